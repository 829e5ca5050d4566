/* vc_avsync.h - lip sync and clock drift.
 *
 * Lip sync: each stream's RTP timestamps map to the sender's clock through
 * its last SR (NTP <-> RTP); for what is played or shown the playout
 * threads note how late that is, local time minus sender time.  The clock
 * offset between the hosts is the same for both streams, so the
 * difference of the means is the A/V offset.  Once a second the earlier
 * stream is given more delay (or the later one's added delay is taken
 * back) in steps of at most VC_SYNC_STEP_MS, from the second second in
 * which both streams played on (the first is start-up); the audio buffer reaches its
 * new target by stretching, so the step is not heard.
 *
 * Drift: once a second the audio jitter buffer's reference transit feeds a
 * robust slope (vc_drift); the estimate is published for audio playout.
 *
 * Threading: each playout thread notes its own stream (one small lock per
 * stream, never shared between audio and video); the receive thread ticks.
 * vc_sync_step is pure.
 */
#ifndef VC_AVSYNC_H
#define VC_AVSYNC_H

#include <stdbool.h>
#include <stdint.h>

#include "vc_session.h"

#define VC_SYNC_STEP_MS 10.0
#define VC_SYNC_DEADBAND_MS 5.0
#define VC_SYNC_MAX_EXTRA_MS 400u
#define VC_SYNC_WARMUP_TICKS 1   /* ticks of both streams measured but not acted on */
#define VC_DRIFT_MIN_SPAN_S 20.0 /* of fastest-packet samples before drift_ppm is given */
#define VC_DRIFT_STEP_MS 50.0    /* a jump this large (a route change) starts the fit again */

/* One lip-sync decision.  diff_ms > 0: video is shown later than the
 * audio captured with it is heard.  extra[VC_VIDEO], extra[VC_AUDIO]: delay
 * added to each stream (ms), updated in place. */
void vc_sync_step(uint32_t extra[VC_N_STREAMS], double diff_ms);

struct vc_avsync;

int vc_avsync_new(struct vc_avsync **out);
void vc_avsync_free(struct vc_avsync *a);
/* Playout thread of stream st: media of sender time sender_us is heard or
 * shown at shown_us. */
void vc_avsync_note(struct vc_avsync *a, enum vc_stream st, int64_t sender_us, uint64_t shown_us);
/* Receive thread, once a second: drift from the audio reference transit
 * (have_transit false: none yet) and one lip-sync step.  Writes the delay
 * each stream should add. */
void vc_avsync_tick(struct vc_avsync *a, uint64_t now_us, bool have_transit, int64_t transit_us,
		    uint32_t extra[VC_N_STREAMS]);
/* The drift estimate (ppm of the audio sender against us); false if none. */
bool vc_avsync_drift_ppm(const struct vc_avsync *a, double *ppm);
/* The audio sender's clock restarted: forget the drift fit. */
void vc_avsync_reset_drift(struct vc_avsync *a);

#endif
