/* vc_vplay.h - video playout: frames from the receive buffer are decoded
 * (never through a broken reference chain: the picture holds until a
 * keyframe repairs it), shown at their render time on the video sink and
 * the window, and timed: freezes, glass-to-glass latency, lip sync notes,
 * and the jitter + decode estimate that drives the render delay.
 *
 * Threading: vc_vplay_thread is the only thread that touches the decoder
 * and the jitter estimator; it sleeps in vc_vrecv_get until a complete
 * frame is due.  vc_freeze_* is pure.
 */
#ifndef VC_VPLAY_H
#define VC_VPLAY_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "vc_avsync.h"
#include "vc_clock.h"
#include "vc_frame.h"
#include "vc_log.h"
#include "vc_session.h"
#include "vc_sink.h"
#include "vc_stats.h"
#include "vc_vrecv.h"

#define VC_VIDEO_RENDER_MARGIN_MS 3.0 /* scheduling slack on top of jitter and decode time */

/* A freeze as webrtc counts it: a frame shown more than max(150 ms, 3 x
 * the average frame interval) after the one before it. */
struct vc_freeze {
	uint64_t last_render_us;
	double avg_interval_ms;
};
/* Returns the freeze length in ms (0: not a freeze). */
uint64_t vc_freeze_frame(struct vc_freeze *fz, uint64_t render_us);

struct vc_vplay_cfg {
	struct vc_vrecv *recv;
	struct vc_session *session;
	struct vc_avsync *sync;
	struct vc_vsink *sink;
	/* the window's mailbox (may be NULL): called with each shown picture */
	void (*show)(void *ctx, const struct vc_frame *pic);
	void *show_ctx;
	/* a keyframe is needed: ask the peer (rate-limited by the caller) */
	void (*need_keyframe)(void *ctx);
	void *kf_ctx;
	const struct vc_clock *clock;
	struct vc_log *log;
	struct vc_stats *stats;
	const _Atomic bool *stop;
};

/* The thread's body; arg: a struct vc_vplay_cfg that outlives it. */
void *vc_vplay_thread(void *arg);

#endif
