/* vc_aplay.h - audio receive and playout: the adaptive jitter buffer, the
 * capture-time side table, Opus decode/FEC/PLC, the time-stretcher that
 * steers the playout delay to the buffer's target, and the playout thread
 * that hands the sink one 5 ms block per tick (and the echo canceller the
 * same samples).
 *
 * Threading: the receive thread puts packets and sets the lip-sync extra;
 * the playout thread (vc_aplay_thread) decodes and plays.  One mutex
 * guards the jitter buffer, shared with nothing on the video path, held
 * for buffer operations only (a copy of one packet), never across decode
 * or I/O.  Until playout starts, and after the peer's BYE has played out,
 * the thread sleeps until a packet arrives.  vc_aplay_speed and
 * vc_aplay_hold_ms are pure.
 */
#ifndef VC_APLAY_H
#define VC_APLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vc_aec.h"
#include "vc_avsync.h"
#include "vc_clock.h"
#include "vc_log.h"
#include "vc_session.h"
#include "vc_sink.h"
#include "vc_stats.h"

#define VC_APLAY_BLOCK 240          /* 5 ms: one tick */
#define VC_APLAY_TICK_MS 5.0
#define VC_APLAY_DEADBAND_MS 2.0    /* no stretching this close to the target */
#define VC_APLAY_TIME_CONST_MS 400.0 /* proportional steering: error / this = speed change */
#define VC_APLAY_MAX_ACCEL 0.25
#define VC_APLAY_MAX_EXPAND 0.20

/* Playout speed for a chunk: drift feed-forward plus proportional steering
 * of the delay towards the target outside a small dead band. */
double vc_aplay_speed(double delay_ms, double target_ms, double drift_ppm);
/* The delay to steer to.  The delay is the sink's latency (lat) + how long
 * after the fastest packet's schedule this packet is decoded (the hold) +
 * what waits in the FIFO.  The FIFO is waste; the hold must cover the
 * target and can only move in whole ticks (a packet is decoded at a tick).
 * So aim at the least hold on this tick grid that is >= the target. */
double vc_aplay_want_ms(double delay_ms, double fifo_ms, double lat_ms, double target_ms);

struct vc_aplay_cfg {
	uint32_t fixed_target_ms;  /* --audio-jb-ms, 0 = adaptive */
	struct vc_asink *sink;
	struct vc_aec *aec;        /* NULL: no echo canceller */
	struct vc_session *session;
	struct vc_avsync *sync;
	const struct vc_clock *clock;
	struct vc_log *log;
	struct vc_stats *stats;
};

struct vc_aplay;

int vc_aplay_new(struct vc_aplay **out, const struct vc_aplay_cfg *cfg);
void vc_aplay_free(struct vc_aplay *a);

/* ---- receive thread ---- */
void vc_aplay_reset(struct vc_aplay *a);   /* the peer's audio (re)started */
/* capture_us: sender capture time on our clock, 0 if unknown. */
void vc_aplay_put(struct vc_aplay *a, uint16_t seq, uint32_t ts, const uint8_t *payload, size_t len,
		  uint64_t capture_us, uint64_t now_us);
bool vc_aplay_ref_transit_us(struct vc_aplay *a, int64_t *transit_us);
void vc_aplay_set_extra_ms(struct vc_aplay *a, uint32_t ms);

/* ---- the call ---- */
bool vc_aplay_empty(struct vc_aplay *a);
/* We hung up: from now on running out of packets is the end of the call,
 * not something to conceal (a lost packet still is). */
void vc_aplay_ending(struct vc_aplay *a);
void *vc_aplay_thread(void *arg);  /* arg: the vc_aplay */
void vc_aplay_stop(struct vc_aplay *a);

#endif
