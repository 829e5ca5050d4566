/* vc_vrecv.h - video receive: the frame buffer (packets to frames), the
 * NACK tracker, the render-delay policy and the keyframe-request limiter.
 *
 * Threading: the receive thread puts packets, collects NACKs and updates
 * the target; the video playout thread takes frames (vc_vrecv_get sleeps
 * until a complete frame is due, and is woken when a packet completes a
 * frame that is due earlier than what it waits for, or the target moves).
 * One mutex, shared with nothing on the audio path.  The two policies
 * below are pure functions of their inputs and time.
 */
#ifndef VC_VRECV_H
#define VC_VRECV_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "vc_clock.h"
#include "vc_framebuf.h"
#include "vc_stats.h"

#define VC_MAX_FRAME_BYTES (1u << 20)

/* ---- the render-delay policy (pure) ----
 * While packets are being NACKed, a retransmission must be able to arrive
 * before its frame is given up: hold video for a round trip plus the time
 * to notice the hole, for VC_NACK_DELAY_HOLD_US after the last NACK.
 * Otherwise: the configured delay, or the adaptive jitter + decode
 * estimate; plus what lip sync adds. */
#define VC_NACK_DELAY_HOLD_US 10000000u
#define VC_NACK_EXTRA_MS 60u      /* notice a lost last packet (one frame interval), reorder wait, jitter */
#define VC_NACK_MAX_TARGET_MS 400u
#define VC_NACK_DEFAULT_RTT_US 100000u
#define VC_VIDEO_INITIAL_TARGET_MS 30u

struct vc_vdelay_in {
	uint64_t now_us;
	uint32_t fixed_ms;       /* --video-jb-ms, 0 = adaptive */
	uint32_t jitter_ms;      /* jitter + decode + margin, from playout */
	uint32_t sync_extra_ms;  /* added for lip sync */
	uint64_t last_nack_us;   /* 0: never */
	uint64_t rtt_us;         /* 0: unknown */
};
uint32_t vc_vdelay_target(const struct vc_vdelay_in *in);

/* ---- keyframe requests (pure, lock-free) ----
 * True (and *last_us = now) when the last request is at least min_us old;
 * a compare-and-swap, so two threads asking at once send one request. */
#define VC_PLI_MIN_INTERVAL_US 250000u /* re-ask if the keyframe itself was lost */
bool vc_kf_limiter_try(_Atomic uint64_t *last_us, uint64_t now_us, uint64_t min_us);

/* ---- the receive buffer ---- */
struct vc_vrecv;

int vc_vrecv_new(struct vc_vrecv **out, uint32_t fixed_target_ms, struct vc_stats *stats);
void vc_vrecv_free(struct vc_vrecv *v);
/* The peer's video (re)started: forget what was buffered. */
void vc_vrecv_reset(struct vc_vrecv *v);
/* One packet (payload after the VP8 descriptor).  Refusals are counted
 * under rejected.*.  Returns true when a hole too big to repair by NACK
 * calls for a keyframe instead. */
bool vc_vrecv_put(struct vc_vrecv *v, const struct vc_fb_pkt_info *pi, const uint8_t *payload, size_t len);
/* NACKs due now (at most max) and the render-delay update; returns how
 * many seqs were written.  *next_us: when the next NACK falls due. */
unsigned vc_vrecv_nacks(struct vc_vrecv *v, uint64_t now_us, uint64_t rtt_us, uint16_t *seqs, unsigned max,
			uint64_t *next_us);
/* Inputs of the render-delay policy from other threads. */
void vc_vrecv_set_jitter_ms(struct vc_vrecv *v, uint32_t ms);
void vc_vrecv_set_sync_extra_ms(struct vc_vrecv *v, uint32_t ms);
/* Playout thread: a frame due by now + lead_us, waiting at most until
 * deadline_us (absolute, CLOCK_MONOTONIC).  Returns 1 with *f, 0 when none. */
int vc_vrecv_get(struct vc_vrecv *v, const struct vc_clock *clk, uint64_t lead_us, uint64_t deadline_us,
		 struct vc_fb_frame *f);
/* Nothing left to play (for the hang-up drain). */
bool vc_vrecv_empty(struct vc_vrecv *v);
/* At the end: vc_vrecv_get no longer waits, and a waiting one returns. */
void vc_vrecv_stop(struct vc_vrecv *v);

#endif
