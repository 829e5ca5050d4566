/* vc_jb.h - audio jitter buffer (first version: fixed target delay).
 *
 * Holds whole RTP payloads (one Opus packet each) in preallocated slots,
 * ordered by unwrapped RTP timestamp.  It reorders, drops duplicates and
 * packets that arrive after their playout time, and releases packets at
 * local time = arrival-time baseline + RTP time + target delay.
 *
 * Timing model: for every packet, transit = arrival_us - rtp_time_us(ts).
 * The baseline is the smallest transit seen (so the earliest-arriving
 * packet defines "no network delay"); playout_us(ts) = rtp_time_us(ts) +
 * baseline + target_us.  The playout side asks for the packet of the next
 * timestamp in its sequence.
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
	uint32_t target_ms;    /* fixed playout delay above the fastest packet */
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
	VC_JB_NOT_YET = 0,   /* nothing due: playout has not started or next is in the future */
	VC_JB_PACKET = 1,    /* *out filled with the packet for next_ts */
	VC_JB_MISSING = 2,   /* next_ts is due but absent: conceal (FEC candidate in *out if fec) */
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

/* Ask for the packet whose timestamp is the next one to play.  Before the
 * first packet has been released the start is the oldest buffered packet.
 * 'samples' is the duration of one playout step in timestamp units (960
 * for 20 ms at 48 kHz); after VC_JB_PACKET or VC_JB_MISSING the expected
 * timestamp advances by it. */
enum vc_jb_get_result vc_jb_get(struct vc_jb *jb, uint64_t now_us, uint32_t samples,
				struct vc_jb_pkt *out);

/* Stats */
size_t vc_jb_count(const struct vc_jb *jb);
/* Current buffering delay: playout time of the newest minus now, in ms
 * (what a packet arriving now waits), 0 if empty. */
double vc_jb_delay_ms(const struct vc_jb *jb, uint64_t now_us);
uint32_t vc_jb_target_ms(const struct vc_jb *jb);
void vc_jb_set_target_ms(struct vc_jb *jb, uint32_t target_ms);
/* Forget everything (new SSRC). */
void vc_jb_reset(struct vc_jb *jb);

#endif
