/* vc_nack.h - receiver-side tracker of missing RTP sequence numbers, for
 * generic NACK (RFC 4585 6.2.1).
 *
 * Fed every received sequence number of one stream; remembers the holes
 * (bounded), tells the caller which ones to request now, re-requests after
 * a retry interval derived from the round-trip time, and forgets a hole
 * once the packet arrives, after too many requests or when it is too old.
 * A jump larger than max_gap is not NACKed (that much loss is cheaper to
 * repair with a keyframe): the tracker restarts and says so.
 * Threading: one owner (the receive thread).  No allocation.
 */
#ifndef VC_NACK_H
#define VC_NACK_H

#include <stdbool.h>
#include <stdint.h>

#include "vc_seq.h"

#define VC_NACK_MAX 128 /* holes remembered at once */

struct vc_nack_cfg {
	uint32_t max_age_ms;     /* forget a hole this old (default 1000) */
	uint32_t max_retries;    /* requests per hole (default 5) */
	uint32_t min_retry_ms;   /* floor of the retry interval (default 20) */
	uint32_t reorder_wait_ms;/* first request this long after the hole is seen (default 5) */
	uint16_t max_gap;        /* larger jumps restart the tracker (default 256) */
};

struct vc_nack_entry {
	int64_t seq;             /* unwrapped */
	uint64_t seen_us;
	uint64_t last_sent_us;   /* 0 = never requested */
	uint32_t retries;
};

struct vc_nack {
	struct vc_nack_cfg cfg;
	struct vc_unwrap unwrap;
	int64_t highest;
	bool have_highest;
	struct vc_nack_entry e[VC_NACK_MAX]; /* sorted by seq, n used */
	unsigned n;
	uint64_t recovered;      /* holes filled after being recorded */
	uint64_t given_up;       /* holes dropped unrepaired (age, retries, overflow, restart) */
};

enum vc_nack_event {
	VC_NACK_NONE = 0,
	VC_NACK_RECOVERED = 1,   /* this packet filled a recorded hole */
	VC_NACK_RESTART = 2,     /* jump > max_gap (either way): tracker restarted; ask for a keyframe */
};

/* cfg NULL = defaults; zero fields take their defaults too. */
void vc_nack_init(struct vc_nack *n, const struct vc_nack_cfg *cfg);
void vc_nack_reset(struct vc_nack *n);
enum vc_nack_event vc_nack_on_packet(struct vc_nack *n, uint16_t seq, uint64_t now_us);
/* Sequence numbers to request now (at most max), oldest first; marks them
 * sent.  Retry interval: max(min_retry_ms, rtt_us * 5/4) (rtt_us 0 =
 * unknown: min_retry_ms).  Holes past max_age or max_retries are dropped
 * here.  Returns the count written to out. */
unsigned vc_nack_collect(struct vc_nack *n, uint64_t now_us, uint64_t rtt_us, uint16_t *out, unsigned max);
/* When vc_nack_collect() would next return something, or UINT64_MAX. */
uint64_t vc_nack_next_due(const struct vc_nack *n, uint64_t rtt_us);
unsigned vc_nack_pending(const struct vc_nack *n);

#endif
