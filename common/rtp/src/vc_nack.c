/* vc_nack.c - receiver-side tracker of missing RTP sequence numbers for
 * generic NACK (see vc_nack.h for the contract).
 *
 * The holes live in a fixed array sorted by unwrapped sequence number.  New
 * holes are always newer than every recorded one (they open above the
 * highest seq), so they are appended; a filled hole is found by binary
 * search.  A hole is "due" for a first request reorder_wait after it was
 * seen, and again one retry interval after each request.
 */
#include "vc_nack.h"

#include <assert.h>
#include <string.h>

#define DEF_MAX_AGE_MS 1000u
#define DEF_MAX_RETRIES 5u
#define DEF_MIN_RETRY_MS 20u
#define DEF_REORDER_WAIT_MS 5u
#define DEF_MAX_GAP 256u

/* Times come from the caller (and from the fuzzer): never let a sum wrap
 * round into the past. */
static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint64_t ms_to_us(uint32_t ms)
{
	return (uint64_t)ms * 1000u;
}

static uint64_t retry_interval_us(const struct vc_nack *n, uint64_t rtt_us)
{
	uint64_t floor_us = ms_to_us(n->cfg.min_retry_ms);
	/* rtt * 5/4 written so that it cannot overflow */
	uint64_t r = sat_add(rtt_us, rtt_us / 4);

	return r > floor_us ? r : floor_us;
}

/* When the entry's next request is due (first request or retry). */
static uint64_t due_at(const struct vc_nack *n, const struct vc_nack_entry *e,
		       uint64_t interval_us)
{
	if (e->retries == 0)
		return sat_add(e->seen_us, ms_to_us(n->cfg.reorder_wait_ms));
	return sat_add(e->last_sent_us, interval_us);
}

static uint64_t expires_at(const struct vc_nack *n, const struct vc_nack_entry *e)
{
	return sat_add(e->seen_us, ms_to_us(n->cfg.max_age_ms));
}

/* An exhausted hole is kept until its last request has had one retry
 * interval to be answered, so a retransmission that does arrive still
 * counts as recovered rather than given up. */
static bool exhausted(const struct vc_nack *n, const struct vc_nack_entry *e,
		      uint64_t due_us, uint64_t now_us)
{
	return e->retries >= n->cfg.max_retries && now_us >= due_us;
}

void vc_nack_init(struct vc_nack *n, const struct vc_nack_cfg *cfg)
{
	assert(n);
	memset(n, 0, sizeof(*n));
	if (cfg)
		n->cfg = *cfg;
	if (!n->cfg.max_age_ms)
		n->cfg.max_age_ms = DEF_MAX_AGE_MS;
	if (!n->cfg.max_retries)
		n->cfg.max_retries = DEF_MAX_RETRIES;
	if (!n->cfg.min_retry_ms)
		n->cfg.min_retry_ms = DEF_MIN_RETRY_MS;
	if (!n->cfg.reorder_wait_ms)
		n->cfg.reorder_wait_ms = DEF_REORDER_WAIT_MS;
	if (!n->cfg.max_gap)
		n->cfg.max_gap = DEF_MAX_GAP;
}

/* Forgets the stream (holes and position); keeps cfg and the cumulative
 * counters, which are the caller's statistics. */
void vc_nack_reset(struct vc_nack *n)
{
	assert(n);
	memset(&n->unwrap, 0, sizeof(n->unwrap));
	n->highest = 0;
	n->have_highest = false;
	n->n = 0;
}

static void clear_holes(struct vc_nack *n)
{
	n->given_up += n->n;
	n->n = 0;
}

/* Records the holes highest+1 .. v-1 (gap of them), keeping the newest
 * VC_NACK_MAX when they do not all fit. */
static void add_holes(struct vc_nack *n, int64_t v, uint64_t gap, uint64_t now_us)
{
	int64_t first = v - (int64_t)gap;

	if (gap >= VC_NACK_MAX) {
		/* every recorded hole and the oldest of the new ones go */
		clear_holes(n);
		n->given_up += gap - VC_NACK_MAX;
		first = v - VC_NACK_MAX;
		gap = VC_NACK_MAX;
	} else if (n->n + gap > VC_NACK_MAX) {
		unsigned drop = (unsigned)(n->n + gap - VC_NACK_MAX);

		memmove(&n->e[0], &n->e[drop], (n->n - drop) * sizeof(n->e[0]));
		n->n -= drop;
		n->given_up += drop;
	}
	for (int64_t s = first; s < v; s++) {
		struct vc_nack_entry *e = &n->e[n->n++];

		e->seq = s;
		e->seen_us = now_us;
		e->last_sent_us = 0;
		e->retries = 0;
	}
}

/* Index of the entry with this seq, or -1. */
static int find(const struct vc_nack *n, int64_t v)
{
	unsigned lo = 0, hi = n->n;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;

		if (n->e[mid].seq < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n->n && n->e[lo].seq == v ? (int)lo : -1;
}

enum vc_nack_event vc_nack_on_packet(struct vc_nack *n, uint16_t seq, uint64_t now_us)
{
	int64_t v, d;
	int i;

	assert(n);
	if (!n->have_highest) {
		n->highest = vc_unwrap16(&n->unwrap, seq);
		n->have_highest = true;
		return VC_NACK_NONE;
	}
	/* Peek first: the unwrapper's reference must stay at the highest seq,
	 * not follow late packets around. */
	v = vc_unwrap16_peek(&n->unwrap, seq);
	d = v - n->highest;
	if (d > (int64_t)n->cfg.max_gap || d < -(int64_t)n->cfg.max_gap) {
		/* too much loss to repair by NACK, or the sender restarted */
		clear_holes(n);
		n->highest = vc_unwrap16(&n->unwrap, seq);
		return VC_NACK_RESTART;
	}
	if (d > 0) {
		n->highest = vc_unwrap16(&n->unwrap, seq);
		if (d > 1)
			add_holes(n, v, (uint64_t)(d - 1), now_us);
		return VC_NACK_NONE;
	}
	if (d == 0)
		return VC_NACK_NONE; /* duplicate of the highest */
	i = find(n, v);
	if (i < 0)
		return VC_NACK_NONE; /* duplicate, or a hole already given up */
	memmove(&n->e[i], &n->e[i + 1], (n->n - (unsigned)i - 1) * sizeof(n->e[0]));
	n->n--;
	n->recovered++;
	return VC_NACK_RECOVERED;
}

unsigned vc_nack_collect(struct vc_nack *n, uint64_t now_us, uint64_t rtt_us, uint16_t *out,
			 unsigned max)
{
	uint64_t interval = retry_interval_us(n, rtt_us);
	unsigned w = 0, cnt = 0;

	assert(n);
	assert(out || max == 0);
	/* One pass: drop dead holes (compacting in place), request due ones. */
	for (unsigned r = 0; r < n->n; r++) {
		struct vc_nack_entry e = n->e[r];
		uint64_t due = due_at(n, &e, interval);

		if (now_us >= expires_at(n, &e) || exhausted(n, &e, due, now_us)) {
			n->given_up++;
			continue;
		}
		if (now_us >= due && cnt < max) {
			out[cnt++] = (uint16_t)e.seq; /* low 16 bits are the wire seq */
			e.last_sent_us = now_us;
			e.retries++;
		}
		n->e[w++] = e;
	}
	n->n = w;
	return cnt;
}

uint64_t vc_nack_next_due(const struct vc_nack *n, uint64_t rtt_us)
{
	uint64_t interval = retry_interval_us(n, rtt_us);
	uint64_t best = UINT64_MAX;

	assert(n);
	for (unsigned i = 0; i < n->n; i++) {
		const struct vc_nack_entry *e = &n->e[i];
		uint64_t due = due_at(n, e, interval);

		/* Only what collect would return: not exhausted, and due
		 * before collect would drop it for age. */
		if (e->retries >= n->cfg.max_retries || due >= expires_at(n, e))
			continue;
		if (due < best)
			best = due;
	}
	return best;
}

unsigned vc_nack_pending(const struct vc_nack *n)
{
	assert(n);
	return n->n;
}
