/* vc_jb.h - adaptive audio jitter buffer: packet store, playout timeline
 * and target delay.
 *
 * Holds whole RTP payloads (one Opus packet each) in preallocated slots,
 * ordered by unwrapped RTP timestamp.  It reorders, drops duplicates and
 * packets that arrive after their timestamp was played.
 *
 * Timing model.  Every stored or late packet feeds a vc_delay estimator
 * (common/jitter/src/vc_delay.h, private to this library): the reference
 * is the fastest packet of the last 2 s (its transit = arrival - RTP
 * time), and the target is the 95th
 * percentile of how much later than that reference packets arrive, with a
 * floor of one packet and a hard ceiling (or a fixed target when the
 * configuration says so).  The nominal playout time of timestamp ts is
 *
 *   due(ts) = rtp_us(ts) + reference transit + target + extra
 *
 * ('extra' is added by lip sync).  The caller plays the timeline in order
 * and tells vc_jb_get() when the audio it is about to produce will be
 * heard (play_us); the playout delay is
 *
 *   delay = play_us - (rtp_us(next ts) + reference transit)
 *
 * i.e. how long after its fastest possible arrival the audio is heard.
 * The buffer does not hold packets back to their due time once playout
 * runs: the caller keeps 'delay' near the target by time-stretching
 * (vc_jb_delay_ms() against vc_jb_target_ms()), so a moving target or a
 * drifting sender clock never causes a step.
 *
 * What vc_jb_get() says about the next timestamp:
 *   PACKET    it is here: decode it (the timeline advances).
 *   MISSING   it is lost: a later packet is here with a sequence gap and
 *             the missing one is past its due time; conceal (PLC, or FEC
 *             from the following packet when *out is a candidate).
 *   DTX       the sender sent nothing for it: the next packet present
 *             follows the last one played without a sequence gap (Opus
 *             DTX).  Play comfort silence; the timeline jumps to that
 *             packet once it is due.
 *   UNDERRUN  nothing to play yet (a late packet, or a pause): the caller
 *             conceals or expands without advancing the timeline, so the
 *             delay grows by what it plays (NetEQ's "expand").
 *   NOT_YET   playout has not started: the first packet is not due yet.
 * A packet more than the ceiling past its due time is skipped (counted):
 * a packet is never heard more than the ceiling after the fastest
 * packet's schedule while a later one waits.
 *
 * Threading: not thread-safe; the owner wraps calls in its own mutex
 * (receive thread puts, playout thread gets).  No allocation after _new.
 */
#ifndef VC_JB_H
#define VC_JB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vc_jb;

struct vc_jb_cfg {
	uint32_t clock_rate;   /* e.g. 48000 */
	uint32_t target_ms;    /* 0: adaptive; else a fixed target delay */
	uint32_t packet_ms;    /* packet duration: the adaptive floor (default 20) */
	uint32_t floor_ms;     /* a higher floor: the least the caller's playout
				* pipeline can keep without underruns (0: none) */
	uint32_t ceiling_ms;   /* hard ceiling of the target (default 500) */
	uint32_t slots;        /* capacity in packets, e.g. 64 */
	uint32_t max_payload;  /* bytes per slot, e.g. 1200 */
};

enum vc_jb_put_result {
	VC_JB_STORED = 0,
	VC_JB_DUPLICATE = 1, /* same timestamp already buffered or played */
	VC_JB_LATE = 2,      /* its timestamp was already played out (or concealed) */
	VC_JB_OVERFLOW = 3,  /* buffer full: the oldest packet was dropped to make room */
	VC_JB_TOO_BIG = 4,   /* payload larger than max_payload: dropped */
};

enum vc_jb_get_result {
	VC_JB_NOT_YET = 0,   /* playout has not started */
	VC_JB_PACKET = 1,    /* *out filled with the packet for the next timestamp */
	VC_JB_MISSING = 2,   /* lost: conceal (FEC candidate in *out if fec_candidate) */
	VC_JB_DTX = 3,       /* not sent (DTX): comfort silence, out->ts says where */
	VC_JB_UNDERRUN = 4,  /* nothing to play yet: expand without advancing */
};

struct vc_jb_pkt {
	uint32_t ts;
	uint16_t seq;
	const uint8_t *data;    /* valid until the next put/get on this buffer */
	size_t len;
	uint64_t arrival_us;
	uint64_t playout_us;
	bool fec_candidate;     /* VC_JB_MISSING: data is the following packet (for in-band FEC) */
};

int vc_jb_new(struct vc_jb **out, const struct vc_jb_cfg *cfg);
void vc_jb_free(struct vc_jb *jb);

enum vc_jb_put_result vc_jb_put(struct vc_jb *jb, uint16_t seq, uint32_t ts,
				const uint8_t *payload, size_t len, uint64_t arrival_us);

/* What to play next, for audio that will be heard at play_us (see the
 * top).  Playout starts with the oldest buffered packet once it is due.
 * 'samples' is one playout step in timestamp units (960 for 20 ms at
 * 48 kHz); after PACKET, MISSING and DTX the timeline advances by it (a
 * DTX gap is left in one jump once its next packet is due). */
enum vc_jb_get_result vc_jb_get(struct vc_jb *jb, uint64_t play_us, uint32_t samples,
				struct vc_jb_pkt *out);

/* Stats */
size_t vc_jb_count(const struct vc_jb *jb);
/* Playout delay of the next timestamp if heard at play_us, in ms above
 * the fastest packet (see the top); 0 before playout starts. */
double vc_jb_delay_ms(const struct vc_jb *jb, uint64_t play_us);
/* Target delay in ms: the estimate (or the fixed target) plus extra. */
uint32_t vc_jb_target_ms(const struct vc_jb *jb);
/* Fixed target (0: adaptive again). */
void vc_jb_set_target_ms(struct vc_jb *jb, uint32_t target_ms);
/* Delay added on top of the target (lip sync), at most the ceiling. */
void vc_jb_set_extra_ms(struct vc_jb *jb, uint32_t extra_ms);
/* The measured 95th-percentile delay variation in ms (vc_delay). */
double vc_jb_variation_ms(const struct vc_jb *jb);
/* Packets skipped because they were more than the ceiling late. */
uint64_t vc_jb_skipped(const struct vc_jb *jb);
/* The reference transit (arrival minus RTP time of the fastest recent
 * packet, on this buffer's timeline) in us; false before the first
 * packet.  Its slope over time is the sender's clock drift (vc_drift.h). */
bool vc_jb_ref_transit_us(const struct vc_jb *jb, int64_t *transit_us);
/* Forget everything (new SSRC). */
void vc_jb_reset(struct vc_jb *jb);

#endif
