/* vc_msend.h - media send: capture -> encode -> packets for the sender.
 *
 *   video thread : camera/test source -> (self view) -> VP8 -> RFC 7741 packets
 *   audio thread : microphone/tone -> echo canceller -> Opus -> packets
 * The audio thread reads the source directly: one hop from the device
 * callback's ring (vc_pa) to the encoder.  Nothing is encoded before the
 * peer is heard (liveness), and a keyframe starts every stream.
 *
 * Threading: one thread per medium, each the only user of its source and
 * encoder; vc_msend_keyframe, mute and camera-off are atomics any thread
 * may set.
 */
#ifndef VC_MSEND_H
#define VC_MSEND_H

#include <stdatomic.h>
#include <stdbool.h>

#include "vc_aec.h"
#include "vc_asrc.h"
#include "vc_clock.h"
#include "vc_frame.h"
#include "vc_liveness.h"
#include "vc_log.h"
#include "vc_sender.h"
#include "vc_session.h"
#include "vc_stats.h"
#include "vc_vsrc.h"

struct vc_msend_cfg {
	struct vc_vsrc *vsrc;        /* NULL: no video */
	struct vc_asrc *asrc;        /* NULL: no audio */
	uint32_t video_kbps, audio_kbps;
	bool aec;                    /* cancel echo (microphones only) */
	struct vc_sender *sender;
	struct vc_session *session;
	const struct vc_liveness *live;
	uint32_t (*random)(void);
	struct vc_log *log;
	struct vc_stats *stats;
};

struct vc_msend;

/* Creates the encoders (and the echo canceller); err gets a one-line reason. */
int vc_msend_new(struct vc_msend **out, const struct vc_msend_cfg *cfg, char *err, size_t errlen);
void vc_msend_free(struct vc_msend *m);
/* Start the capture threads; returns 0 or -errno. */
int vc_msend_start(struct vc_msend *m);
/* Stop capturing: each thread finishes the frame it is on; returns once
 * they have ended (what they queued is still to be sent). */
void vc_msend_stop(struct vc_msend *m);

/* Before vc_msend_start: each captured picture also goes to fn (the self view). */
void vc_msend_set_self_view(struct vc_msend *m, void (*fn)(void *ctx, const struct vc_frame *pic), void *ctx);
void vc_msend_keyframe(void *m);                /* the peer asked for one */
void vc_msend_set_muted(struct vc_msend *m, bool on);
void vc_msend_set_camera_off(struct vc_msend *m, bool off);
bool vc_msend_muted(const struct vc_msend *m);
bool vc_msend_camera_off(const struct vc_msend *m);
struct vc_aec *vc_msend_aec(struct vc_msend *m); /* NULL without one */
uint32_t vc_msend_video_kbps(const struct vc_msend *m); /* the encoder's target */

#endif
