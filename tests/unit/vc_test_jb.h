/* vc_test_jb.h - what the vc_jb tests share (test_jb.c, test_jb_target.c,
 * test_jb_skip.c): the jitter buffer on plain microsecond times (no
 * sleeping).
 *
 * Two kinds of test use it:
 *  - direct calls of vc_jb_put / vc_jb_get at chosen instants, for the
 *    exact decisions of the contract in vc_jb.h, with payloads derived
 *    from (seq, ts) (put, data_matches) so any mix-up is visible;
 *  - a playout simulation (sim_init, make_stream, run): packets are put in
 *    arrival order and a caller polls vc_jb_get every 1 ms until playout
 *    starts, then calls it once per 20 ms step with play_us = now (a
 *    clock-paced sink that does not time-stretch, so the playout delay
 *    only moves when the buffer says UNDERRUN or skips).
 * One copy per test program (static). */
#ifndef VC_TEST_JB_H
#define VC_TEST_JB_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vc_jb.h"
#include "vc_test.h"

#define RATE 48000u
#define STEP 960u            /* 20 ms of RTP time */
#define MS 1000ull
#define PKT_US (20 * MS)
#define T0 1000000000ull     /* fake clock start, us */
#define MAXP 4096
#define MAXEV 8192

/* ------------------------------------------------------------------ */
/* payloads: bytes derived from (seq, ts) so any mix-up is visible     */

static inline uint8_t pat(uint16_t seq, uint32_t ts, size_t k)
{
	return (uint8_t)(seq * 31u + ts * 7u + (ts >> 11) + k);
}

static inline size_t len_of(uint16_t seq)
{
	return 20 + seq % 50;
}

static inline bool data_matches(const uint8_t *d, size_t len, uint16_t seq, uint32_t ts)
{
	if (len != len_of(seq) || !d)
		return false;
	for (size_t k = 0; k < len; k++)
		if (d[k] != pat(seq, ts, k))
			return false;
	return true;
}

static inline int put(struct vc_jb *jb, uint16_t seq, uint32_t ts, uint64_t arrival)
{
	uint8_t buf[256];
	size_t len = len_of(seq);

	for (size_t k = 0; k < len; k++)
		buf[k] = pat(seq, ts, k);
	return vc_jb_put(jb, seq, ts, buf, len, arrival);
}

static inline struct vc_jb *mk(uint32_t target_ms, uint32_t slots)
{
	struct vc_jb_cfg cfg = { .clock_rate = RATE, .target_ms = target_ms, .slots = slots,
				 .max_payload = 200 };
	struct vc_jb *jb = NULL;

	CHECK_EQ(vc_jb_new(&jb, &cfg), 0);
	return jb;
}

/* ------------------------------------------------------------------ */
/* playout simulation                                                  */

struct pk {
	uint16_t seq;
	uint32_t ts;
	uint64_t arrival;
	bool drop;
	int put_res;
};

struct ev {
	uint64_t now;
	int res;
	uint32_t ts;
	uint16_t seq;
	bool fec;
	size_t len;
	uint64_t playout;
	bool data_ok;         /* payload is that of (seq, ts) (or absent when it should be) */
	double delay_before;  /* vc_jb_delay_ms(now) just before the call */
	uint32_t target;
};

struct sim {
	struct vc_jb *jb;
	struct ev ev[MAXEV];
	int nev;
	int cnt[5];                    /* per vc_jb_get_result, NOT_YET excluded */
	uint64_t stall_from, stall_to; /* the caller does not call get in [from, to) */
};

static struct sim S; /* big: off the stack */
static struct pk P[MAXP];
static int order_idx[MAXP];

/* n 20 ms packets from seq0/ts0, sent at T0 + i * 20 ms, arriving after
 * transit_us. */
static inline void make_stream(struct pk *p, int n, uint16_t seq0, uint32_t ts0,
			       uint64_t transit_us)
{
	for (int i = 0; i < n; i++) {
		p[i].seq = (uint16_t)(seq0 + i);
		p[i].ts = ts0 + (uint32_t)i * STEP;
		p[i].arrival = T0 + (uint64_t)i * PKT_US + transit_us;
		p[i].drop = false;
		p[i].put_res = -1;
	}
}

static const struct pk *cmp_base;

static inline int cmp_arrival(const void *a, const void *b)
{
	int i = *(const int *)a, j = *(const int *)b;

	if (cmp_base[i].arrival != cmp_base[j].arrival)
		return cmp_base[i].arrival < cmp_base[j].arrival ? -1 : 1;
	return i - j; /* ties keep send order */
}

static inline void sim_init(struct sim *s, uint32_t target_ms, uint32_t slots)
{
	memset(s, 0, sizeof(*s));
	s->jb = mk(target_ms, slots);
}

/* Deliver the packets in arrival order and run the caller from T0 to
 * t_end.  An arrival at the same instant as a get is put first. */
static inline void run(struct sim *s, struct pk *p, int n, uint64_t t_end)
{
	uint64_t tg = T0;
	int k = 0;

	for (int i = 0; i < n; i++)
		order_idx[i] = i;
	cmp_base = p;
	qsort(order_idx, (size_t)n, sizeof(order_idx[0]), cmp_arrival);
	for (;;) {
		uint64_t ta = k < n ? p[order_idx[k]].arrival : UINT64_MAX;

		if (tg >= s->stall_from && tg < s->stall_to) {
			tg = s->stall_to;
			continue;
		}
		if (ta <= tg && ta <= t_end) {
			struct pk *q = &p[order_idx[k++]];

			if (!q->drop)
				q->put_res = put(s->jb, q->seq, q->ts, q->arrival);
			continue;
		}
		if (tg > t_end || s->nev >= MAXEV)
			break;
		{
			struct vc_jb_pkt out;
			double d = vc_jb_delay_ms(s->jb, tg);
			int r = vc_jb_get(s->jb, tg, STEP, &out);
			struct ev *e;

			if (r == VC_JB_NOT_YET) {
				tg += MS; /* poll until playout starts */
				continue;
			}
			e = &s->ev[s->nev++];
			e->now = tg;
			e->res = r;
			e->ts = out.ts;
			e->seq = out.seq;
			e->fec = out.fec_candidate;
			e->len = out.len;
			e->playout = out.playout_us;
			e->delay_before = d;
			e->target = vc_jb_target_ms(s->jb);
			if (r == VC_JB_PACKET)
				e->data_ok = data_matches(out.data, out.len, out.seq, out.ts);
			else if (r == VC_JB_MISSING && out.fec_candidate)
				e->data_ok = data_matches(out.data, out.len, out.seq, out.ts + STEP);
			else
				e->data_ok = !out.data && !out.len && !out.fec_candidate;
			s->cnt[r]++;
			tg += PKT_US;
		}
	}
}

static inline int find_ev(const struct sim *s, int res, int nth)
{
	for (int i = 0; i < s->nev; i++)
		if (s->ev[i].res == res && nth-- == 0)
			return i;
	return -1;
}

static inline int count_bad_data(const struct sim *s)
{
	int bad = 0;

	for (int i = 0; i < s->nev; i++)
		bad += !s->ev[i].data_ok;
	return bad;
}

/* PACKETs come out in the order of the stream (indices into p), each once. */
static inline int count_out_of_order(const struct sim *s, const struct pk *p, int n)
{
	int bad = 0, k = 0;

	for (int i = 0; i < s->nev; i++) {
		if (s->ev[i].res != VC_JB_PACKET)
			continue;
		while (k < n && p[k].seq != s->ev[i].seq)
			k++;
		if (k == n || p[k].ts != s->ev[i].ts)
			bad++;
		else
			k++;
	}
	return bad;
}

#endif
