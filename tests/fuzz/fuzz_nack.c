/* fuzz_nack.c - drive vc_nack with a byte-coded stream of packets, collects
 * and resets, and check it against what must always hold: at most
 * VC_NACK_MAX holes, strictly increasing, every hole opened is later
 * recovered, given up or still pending (counted by a shadow of the
 * highest seq), RECOVERED exactly when the packet was a hole, RESTART
 * exactly on jumps over max_gap, collect returning exactly the due holes
 * (oldest first, at most max, nothing written past out[max]) as the header
 * defines them, and next_due agreeing with collect.
 *
 * Input: bytes 0-1 pick the config, then ops, first byte op % 4:
 *   0,1 packet: seq step, time step (step >= 248: then a 16-bit jump, hi lo)
 *   2   collect: rtt, max, time step
 *   3   rare: reset, next_due probe, time jump (either way)
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vc_nack.h"
#include "fuzz_cursor.h"

#define CANARY 0xA5A5u

/* What the fuzzer knows independently of the tracker. */
struct shadow {
	struct vc_unwrap u;
	int64_t highest;
	bool have;
	uint64_t opened; /* holes opened since init (recorded or not) */
};

static void check_state(const struct vc_nack *n, const struct shadow *sh)
{
	if (n->n > VC_NACK_MAX)
		abort();
	for (unsigned i = 1; i < n->n; i++)
		if (n->e[i - 1].seq >= n->e[i].seq)
			abort();
	if (n->n && (!sh->have || n->e[n->n - 1].seq >= sh->highest))
		abort();
	if (n->have_highest != sh->have || (sh->have && n->highest != sh->highest))
		abort();
	if (n->given_up + n->recovered + n->n != sh->opened)
		abort();
	for (unsigned i = 0; i < n->n; i++)
		if (n->e[i].retries > n->cfg.max_retries)
			abort();
}

static int find_seq(const struct vc_nack *n, int64_t v)
{
	for (unsigned i = 0; i < n->n; i++)
		if (n->e[i].seq == v)
			return (int)i;
	return -1;
}

static void do_packet(struct vc_nack *n, struct shadow *sh, uint16_t seq, uint64_t now,
		      struct vc_nack *before)
{
	enum vc_nack_event ev;
	bool was_hole = false;
	int64_t v = 0, d = 0;

	if (sh->have) {
		v = vc_unwrap16_peek(&sh->u, seq);
		d = v - sh->highest;
		was_hole = find_seq(n, v) >= 0;
	}
	*before = *n;
	ev = vc_nack_on_packet(n, seq, now);
	if (!sh->have) {
		sh->highest = vc_unwrap16(&sh->u, seq);
		sh->have = true;
		if (ev != VC_NACK_NONE)
			abort();
		return;
	}
	if (d > n->cfg.max_gap || d < -(int64_t)n->cfg.max_gap) {
		if (ev != VC_NACK_RESTART)
			abort();
		sh->highest = vc_unwrap16(&sh->u, seq);
		return;
	}
	if (ev == VC_NACK_RESTART || (ev == VC_NACK_RECOVERED) != was_hole)
		abort();
	if (was_hole && find_seq(n, v) >= 0)
		abort();
	if (d > 0) {
		/* the new holes are the newest entries; the oldest old ones made room */
		uint64_t keep = (uint64_t)(d - 1) < VC_NACK_MAX ? (uint64_t)(d - 1) : VC_NACK_MAX;
		unsigned room = VC_NACK_MAX - (unsigned)keep;
		unsigned old_kept = before->n < room ? before->n : room;

		if (n->n != old_kept + keep)
			abort();
		for (unsigned i = 0; i < old_kept; i++)
			if (n->e[i].seq != before->e[before->n - old_kept + i].seq)
				abort();
		for (uint64_t i = 0; i < keep; i++)
			if (n->e[n->n - 1 - i].seq != v - 1 - (int64_t)i ||
			    n->e[n->n - 1 - i].seen_us != now || n->e[n->n - 1 - i].retries)
				abort();
		sh->opened += (uint64_t)(d - 1);
		sh->highest = vc_unwrap16(&sh->u, seq);
	}
}

/* The header's rules, written out again independently of vc_nack.c. */
static uint64_t ivl_us(const struct vc_nack *n, uint64_t rtt)
{
	uint64_t floor_us = (uint64_t)n->cfg.min_retry_ms * 1000;
	uint64_t r = rtt > UINT64_MAX - rtt / 4 ? UINT64_MAX : rtt + rtt / 4;

	return r > floor_us ? r : floor_us;
}

/* false when the sum would wrap (never due) */
static bool due_time(const struct vc_nack *n, const struct vc_nack_entry *e, uint64_t ivl,
		     uint64_t *t)
{
	uint64_t base = e->retries ? e->last_sent_us : e->seen_us;
	uint64_t add = e->retries ? ivl : (uint64_t)n->cfg.reorder_wait_ms * 1000;

	if (base > UINT64_MAX - add)
		return false;
	*t = base + add;
	return true;
}

static bool should_send(const struct vc_nack *n, const struct vc_nack_entry *e, uint64_t now,
			uint64_t ivl)
{
	uint64_t age = now > e->seen_us ? now - e->seen_us : 0;
	uint64_t t;

	return age < (uint64_t)n->cfg.max_age_ms * 1000 && e->retries < n->cfg.max_retries &&
	       due_time(n, e, ivl, &t) && now >= t;
}

static void do_collect(struct vc_nack *n, uint64_t now, uint64_t rtt, unsigned max)
{
	uint16_t out[VC_NACK_MAX + 8];
	struct vc_nack before = *n;
	uint64_t ivl = ivl_us(n, rtt);
	unsigned got, k = 0;

	for (unsigned i = 0; i < VC_NACK_MAX + 8; i++)
		out[i] = CANARY;
	got = vc_nack_collect(n, now, rtt, out, max);
	if (got > max || got > VC_NACK_MAX)
		abort();
	for (unsigned i = max; i < VC_NACK_MAX + 8; i++)
		if (out[i] != CANARY)
			abort();
	/* exactly the first `max` holes that should go, oldest first, each
	 * now marked sent */
	for (unsigned j = 0; j < before.n && k < max; j++) {
		const struct vc_nack_entry *e = &before.e[j];
		int idx;

		if (!should_send(&before, e, now, ivl))
			continue;
		if (k >= got || out[k] != (uint16_t)e->seq)
			abort();
		idx = find_seq(n, e->seq);
		if (idx < 0 || n->e[idx].last_sent_us != now || n->e[idx].retries != e->retries + 1)
			abort();
		k++;
	}
	if (k != got)
		abort();
	/* the tracker only drops or updates: what is left was there before */
	for (unsigned i = 0; i < n->n; i++)
		if (find_seq(&before, n->e[i].seq) < 0)
			abort();
	/* and it drops exactly the holes too old, or requested max_retries
	 * times with the last request's retry interval over */
	for (unsigned j = 0; j < before.n; j++) {
		const struct vc_nack_entry *e = &before.e[j];
		uint64_t age = now > e->seen_us ? now - e->seen_us : 0, t;
		bool dead = age >= (uint64_t)n->cfg.max_age_ms * 1000 ||
			    (e->retries >= n->cfg.max_retries && due_time(n, e, ivl, &t) && now >= t);

		if (dead != (find_seq(n, e->seq) < 0))
			abort();
	}
}

/* On a copy: 1 us before next_due nothing comes out, at next_due something;
 * and no earlier moment at which some hole could fall due yields anything. */
static void probe_next_due(const struct vc_nack *n, uint64_t rtt)
{
	uint16_t out[VC_NACK_MAX];
	struct vc_nack cp;
	uint64_t due = vc_nack_next_due(n, rtt);
	uint64_t ivl = ivl_us(n, rtt);

	for (unsigned i = 0; i < n->n; i++) {
		uint64_t t;

		if (!due_time(n, &n->e[i], ivl, &t) || t >= due)
			continue;
		cp = *n;
		if (vc_nack_collect(&cp, t, rtt, out, VC_NACK_MAX) != 0)
			abort();
	}
	if (due == UINT64_MAX)
		return;
	cp = *n;
	if (due > 0 && vc_nack_collect(&cp, due - 1, rtt, out, VC_NACK_MAX) != 0)
		abort();
	cp = *n;
	if (vc_nack_collect(&cp, due, rtt, out, VC_NACK_MAX) == 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint16_t gaps[8] = { 0, 4, 16, 100, 200, 300, 1000, 40000 };
	struct cur c = { data, size };
	struct vc_nack n, scratch;
	struct vc_nack_cfg cfg;
	struct shadow sh;
	uint8_t k = next(&c), k2 = next(&c);
	uint64_t now = 1000000;
	uint16_t seq = 65000;

	memset(&cfg, 0, sizeof(cfg));
	memset(&sh, 0, sizeof(sh));
	/* 0 fields exercise the defaults */
	cfg.max_gap = gaps[k % 8];
	cfg.max_retries = (k >> 3) % 8;
	cfg.reorder_wait_ms = k2 % 8;
	cfg.min_retry_ms = (uint32_t)(k2 >> 3) * 3;
	cfg.max_age_ms = (k >> 6) ? 100u * (k >> 6) : 0;
	vc_nack_init(&n, &cfg);
	check_state(&n, &sh);

	while (c.left > 0) {
		uint8_t op = next(&c);

		switch (op % 4) {
		case 0:
		case 1: {
			uint8_t sd = next(&c), td = next(&c);

			if (sd >= 248) {
				unsigned hi = next(&c); /* two statements: read order is fixed */

				seq = (uint16_t)(seq + (hi << 8 | next(&c)));
			} else
				seq = (uint16_t)(seq + (sd % 24) - 6);
			now += (uint64_t)td * 250;
			do_packet(&n, &sh, seq, now, &scratch);
			break;
		}
		case 2: {
			uint8_t rb = next(&c), mb = next(&c), td = next(&c);
			uint64_t rtt = rb == 255 ? UINT64_MAX : (uint64_t)rb * 2000;

			now += (uint64_t)td * 1000;
			do_collect(&n, now, rtt, mb % (VC_NACK_MAX + 8));
			break;
		}
		default: {
			uint8_t what = next(&c), arg = next(&c);

			if (what % 4 == 0) {
				vc_nack_reset(&n);
				/* counters stay; the shadow follows a fresh stream */
				memset(&sh.u, 0, sizeof(sh.u));
				sh.have = false;
				sh.opened = n.given_up + n.recovered;
			} else if (what % 4 == 1) {
				probe_next_due(&n, (uint64_t)arg * 2000);
			} else if (what % 4 == 2) {
				now += (uint64_t)arg * 100000;
			} else {
				now = now > (uint64_t)arg * 1000 ? now - (uint64_t)arg * 1000 : 0;
			}
			break;
		}
		}
		check_state(&n, &sh);
	}
	probe_next_due(&n, 0);
	return 0;
}
