/* test_jb.c - the adaptive vc_jb on plain microsecond times (no sleeping).
 *
 * Two kinds of test:
 *  - direct calls of vc_jb_put / vc_jb_get at chosen instants, for the
 *    exact decisions of the contract in vc_jb.h (NOT_YET until due, PACKET
 *    without time gating once started, DTX / MISSING / UNDERRUN, FEC
 *    candidates, skip past the ceiling, restart, delay_ms);
 *  - a playout simulation: packets are put in arrival order and a caller
 *    polls vc_jb_get every 1 ms until playout starts, then calls it once
 *    per 20 ms step with play_us = now (a clock-paced sink that does not
 *    time-stretch, so the playout delay only moves when the buffer says
 *    UNDERRUN or skips).
 * Adaptive-target scenarios use a fixed-seed PRNG.  Set VC_JB_VERBOSE=1
 * for the figures. */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vc_jb.h"
#include "vc_test.h"
#include "vc_test_rng.h"
#include "vc_test_stats.h"

#define RATE 48000u
#define STEP 960u            /* 20 ms of RTP time */
#define MS 1000ull
#define PKT_US (20 * MS)
#define T0 1000000000ull     /* fake clock start, us */
#define MAXP 4096
#define MAXEV 8192

static bool verbose;

/* ------------------------------------------------------------------ */
/* payloads: bytes derived from (seq, ts) so any mix-up is visible     */

static uint8_t pat(uint16_t seq, uint32_t ts, size_t k)
{
	return (uint8_t)(seq * 31u + ts * 7u + (ts >> 11) + k);
}

static size_t len_of(uint16_t seq)
{
	return 20 + seq % 50;
}

static bool data_matches(const uint8_t *d, size_t len, uint16_t seq, uint32_t ts)
{
	if (len != len_of(seq) || !d)
		return false;
	for (size_t k = 0; k < len; k++)
		if (d[k] != pat(seq, ts, k))
			return false;
	return true;
}

static int put(struct vc_jb *jb, uint16_t seq, uint32_t ts, uint64_t arrival)
{
	uint8_t buf[256];
	size_t len = len_of(seq);

	for (size_t k = 0; k < len; k++)
		buf[k] = pat(seq, ts, k);
	return vc_jb_put(jb, seq, ts, buf, len, arrival);
}

static struct vc_jb *mk(uint32_t target_ms, uint32_t slots)
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
static void make_stream(struct pk *p, int n, uint16_t seq0, uint32_t ts0, uint64_t transit_us)
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

static int cmp_arrival(const void *a, const void *b)
{
	int i = *(const int *)a, j = *(const int *)b;

	if (cmp_base[i].arrival != cmp_base[j].arrival)
		return cmp_base[i].arrival < cmp_base[j].arrival ? -1 : 1;
	return i - j; /* ties keep send order */
}

static void sim_init(struct sim *s, uint32_t target_ms, uint32_t slots)
{
	memset(s, 0, sizeof(*s));
	s->jb = mk(target_ms, slots);
}

/* Deliver the packets in arrival order and run the caller from T0 to
 * t_end.  An arrival at the same instant as a get is put first. */
static void run(struct sim *s, struct pk *p, int n, uint64_t t_end)
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

static int find_ev(const struct sim *s, int res, int nth)
{
	for (int i = 0; i < s->nev; i++)
		if (s->ev[i].res == res && nth-- == 0)
			return i;
	return -1;
}

static int count_bad_data(const struct sim *s)
{
	int bad = 0;

	for (int i = 0; i < s->nev; i++)
		bad += !s->ev[i].data_ok;
	return bad;
}

/* PACKETs come out in the order of the stream (indices into p), each once. */
static int count_out_of_order(const struct sim *s, const struct pk *p, int n)
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

/* ------------------------------------------------------------------ */
/* start timing                                                         */

static void test_start_fixed_target(void)
{
	struct vc_jb *jb = mk(40, 16);
	struct vc_jb_pkt out;
	const uint32_t ts = 123456;

	CHECK_EQ(vc_jb_get(jb, T0, STEP, &out), VC_JB_NOT_YET); /* empty */
	CHECK_EQ(put(jb, 100, ts, T0 + 5 * MS), VC_JB_STORED);
	CHECK_EQ(vc_jb_get(jb, T0 + 5 * MS, STEP, &out), VC_JB_NOT_YET);
	CHECK_EQ(vc_jb_get(jb, T0 + 45 * MS - 1, STEP, &out), VC_JB_NOT_YET);
	CHECK(vc_jb_delay_ms(jb, T0 + 45 * MS - 1) == 0.0); /* not started */
	CHECK_EQ(vc_jb_count(jb), 1);
	CHECK_EQ(vc_jb_get(jb, T0 + 45 * MS, STEP, &out), VC_JB_PACKET);
	CHECK_EQ(out.seq, 100);
	CHECK_EQ(out.ts, ts);
	CHECK_EQ(out.playout_us, T0 + 45 * MS);
	CHECK_EQ(out.arrival_us, T0 + 5 * MS);
	CHECK(!out.fec_candidate);
	CHECK(data_matches(out.data, out.len, 100, ts));
	CHECK_EQ(vc_jb_count(jb), 0);
	/* started: nothing buffered is an underrun, never NOT_YET again */
	CHECK_EQ(vc_jb_get(jb, T0 + 65 * MS, STEP, &out), VC_JB_UNDERRUN);
	vc_jb_free(jb);

	/* Out of order before the start: playout starts at the oldest
	 * timestamp, and its due time follows the fastest packet. */
	jb = mk(40, 16);
	CHECK_EQ(put(jb, 2, ts + STEP, T0 + 25 * MS), VC_JB_STORED); /* transit 5 */
	CHECK_EQ(put(jb, 1, ts, T0 + 30 * MS), VC_JB_STORED);        /* transit 30 */
	CHECK_EQ(vc_jb_get(jb, T0 + 45 * MS - 1, STEP, &out), VC_JB_NOT_YET);
	CHECK_EQ(vc_jb_get(jb, T0 + 45 * MS, STEP, &out), VC_JB_PACKET);
	CHECK_EQ(out.seq, 1);
	CHECK_EQ(out.playout_us, T0 + 45 * MS);
	CHECK_EQ(vc_jb_get(jb, T0 + 45 * MS, STEP, &out), VC_JB_PACKET);
	CHECK_EQ(out.seq, 2);
	vc_jb_free(jb);

	/* A faster packet arriving later moves the reference, and with it
	 * the due time of the (slow) first packet. */
	jb = mk(40, 16);
	CHECK_EQ(put(jb, 1, ts, T0 + 30 * MS), VC_JB_STORED);              /* transit 30 */
	CHECK_EQ(put(jb, 2, ts + STEP, T0 + 50 * MS), VC_JB_STORED);       /* transit 30 */
	CHECK_EQ(vc_jb_get(jb, T0 + 55 * MS, STEP, &out), VC_JB_NOT_YET); /* due T0+70 */
	CHECK_EQ(put(jb, 3, ts + 2 * STEP, T0 + 55 * MS), VC_JB_STORED);   /* transit 15 */
	CHECK_EQ(vc_jb_get(jb, T0 + 55 * MS - 1, STEP, &out), VC_JB_NOT_YET);
	CHECK_EQ(vc_jb_get(jb, T0 + 55 * MS, STEP, &out), VC_JB_PACKET);    /* due T0+55 */
	CHECK_EQ(out.seq, 1);
	CHECK_EQ(out.playout_us, T0 + 55 * MS);
	vc_jb_free(jb);
}

static void test_start_adaptive(void)
{
	struct vc_jb *jb = mk(0, 16);
	struct vc_jb_pkt out;

	CHECK_EQ(vc_jb_target_ms(jb), 20); /* the floor before any packet */
	CHECK_EQ(put(jb, 7, 5000, T0 + 5 * MS), VC_JB_STORED);
	CHECK_EQ(vc_jb_target_ms(jb), 20);
	CHECK_EQ(vc_jb_get(jb, T0 + 25 * MS - 1, STEP, &out), VC_JB_NOT_YET);
	CHECK_EQ(vc_jb_get(jb, T0 + 25 * MS, STEP, &out), VC_JB_PACKET);
	CHECK_EQ(out.seq, 7);
	CHECK_EQ(out.playout_us, T0 + 25 * MS);
	vc_jb_free(jb);
}

/* ------------------------------------------------------------------ */
/* steady playout                                                       */

static void test_in_order_playout(void)
{
	int bad_time = 0, bad_delay = 0;
	int64_t ref;

	sim_init(&S, 40, 64);
	make_stream(P, 100, 100, 123456, 5 * MS);
	run(&S, P, 100, T0 + 99 * PKT_US + 45 * MS);
	CHECK_EQ(S.cnt[VC_JB_PACKET], 100);
	CHECK_EQ(S.nev, 100);
	CHECK_EQ(count_out_of_order(&S, P, 100), 0);
	CHECK_EQ(count_bad_data(&S), 0);
	for (int i = 0; i < S.nev; i++) {
		/* reference transit 5 ms, target 40: heard 45 ms after sending */
		uint64_t due = T0 + (uint64_t)i * PKT_US + 45 * MS;

		if (S.ev[i].now != due || S.ev[i].playout != due)
			bad_time++;
		/* before the first get playout had not started: 0 */
		if (S.ev[i].delay_before != (i ? 40.0 : 0.0))
			bad_delay++;
	}
	CHECK_EQ(bad_time, 0);
	CHECK_EQ(bad_delay, 0);
	CHECK_EQ(vc_jb_count(S.jb), 0);
	CHECK_EQ(vc_jb_target_ms(S.jb), 40);
	CHECK_EQ(vc_jb_skipped(S.jb), 0);
	/* the reference: arrival - rtp time of the fastest packet */
	CHECK(vc_jb_ref_transit_us(S.jb, &ref));
	CHECK_EQ(ref, (int64_t)(T0 + 5 * MS) - (int64_t)123456 * 1000000 / RATE);
	vc_jb_free(S.jb);
}

/* Once playout runs the buffer does not hold packets back to their due
 * time: the caller paces it. */
static void test_no_time_gating_after_start(void)
{
	struct vc_jb *jb = mk(40, 16);
	struct vc_jb_pkt out;

	for (int i = 0; i < 10; i++)
		CHECK_EQ(put(jb, (uint16_t)(50 + i), 9600 + (uint32_t)i * STEP,
			     T0 + (uint64_t)i * PKT_US + 5 * MS),
			 VC_JB_STORED);
	/* all ten at one instant: 45 ms after the first was due */
	for (int i = 0; i < 10; i++) {
		CHECK_EQ(vc_jb_get(jb, T0 + 90 * MS, STEP, &out), VC_JB_PACKET);
		CHECK_EQ(out.seq, 50 + i);
		CHECK_EQ(out.ts, 9600 + (uint32_t)i * STEP);
		CHECK_EQ(out.playout_us, T0 + (uint64_t)i * PKT_US + 45 * MS);
	}
	CHECK_EQ(vc_jb_get(jb, T0 + 90 * MS, STEP, &out), VC_JB_UNDERRUN);
	/* delay of the next timestamp (the 11th): heard at T0+90, its fastest
	 * arrival is T0+205 */
	CHECK(vc_jb_delay_ms(jb, T0 + 90 * MS) == -115.0);
	vc_jb_free(jb);
}

static void test_delay_ms(void)
{
	struct vc_jb *jb = mk(40, 16);
	struct vc_jb_pkt out;

	CHECK(vc_jb_delay_ms(jb, T0) == 0.0); /* empty */
	CHECK_EQ(put(jb, 1, 0, T0 + 30 * MS), VC_JB_STORED);       /* transit 30 */
	CHECK_EQ(put(jb, 2, STEP, T0 + 50 * MS), VC_JB_STORED);    /* transit 30 */
	CHECK(vc_jb_delay_ms(jb, T0 + 100 * MS) == 0.0);           /* not started */
	CHECK_EQ(vc_jb_get(jb, T0 + 70 * MS, STEP, &out), VC_JB_PACKET);
	/* next ts is 1: rtp 20 ms + transit 30 */
	CHECK(vc_jb_delay_ms(jb, T0 + 70 * MS) == 20.0);
	CHECK(vc_jb_delay_ms(jb, T0 + 90 * MS) == 40.0);
	CHECK(vc_jb_delay_ms(jb, T0 + 93500) == 43.5);
	/* a faster packet: the reference moves 20 ms earlier, the delay of the
	 * same instant grows by 20 */
	CHECK_EQ(put(jb, 3, 2 * STEP, T0 + 50 * MS), VC_JB_STORED); /* transit 10 */
	CHECK(vc_jb_delay_ms(jb, T0 + 90 * MS) == 60.0);
	CHECK_EQ(vc_jb_get(jb, T0 + 90 * MS, STEP, &out), VC_JB_PACKET);
	CHECK(vc_jb_delay_ms(jb, T0 + 90 * MS) == 40.0);
	vc_jb_free(jb);
}

/* ------------------------------------------------------------------ */
/* reordering, duplicates, late packets                                 */

static void test_reorder_repaired(void)
{
	int bad = 0;

	sim_init(&S, 40, 64);
	make_stream(P, 100, 7, 5000, 5 * MS);
	for (int i = 0; i < 100; i += 2)
		P[i].arrival += 25 * MS; /* after its successor, before its due time */
	run(&S, P, 100, T0 + 99 * PKT_US + 45 * MS);
	CHECK_EQ(S.cnt[VC_JB_PACKET], 100);
	CHECK_EQ(S.nev, 100);
	CHECK_EQ(count_out_of_order(&S, P, 100), 0);
	CHECK_EQ(count_bad_data(&S), 0);
	for (int i = 0; i < S.nev; i++)
		if (S.ev[i].now != T0 + (uint64_t)i * PKT_US + 45 * MS)
			bad++;
	CHECK_EQ(bad, 0);
	vc_jb_free(S.jb);
}

/* A gap before its due time is an underrun that does not advance: the
 * reordered packet arriving in time is played, not concealed. */
static void test_reorder_before_due(void)
{
	struct vc_jb *jb = mk(40, 16);
	struct vc_jb_pkt out;

	CHECK_EQ(put(jb, 1, 0, T0 + 5 * MS), VC_JB_STORED);
	CHECK_EQ(put(jb, 3, 2 * STEP, T0 + 45 * MS), VC_JB_STORED);
	CHECK_EQ(vc_jb_get(jb, T0 + 45 * MS, STEP, &out), VC_JB_PACKET);
	CHECK_EQ(out.seq, 1);
	/* ts STEP is due at T0+65; the caller asks early (it runs ahead) */
	CHECK_EQ(vc_jb_get(jb, T0 + 50 * MS, STEP, &out), VC_JB_UNDERRUN);
	CHECK_EQ(vc_jb_get(jb, T0 + 65 * MS - 1, STEP, &out), VC_JB_UNDERRUN);
	CHECK_EQ(put(jb, 2, STEP, T0 + 64 * MS), VC_JB_STORED); /* just in time */
	CHECK_EQ(vc_jb_get(jb, T0 + 65 * MS, STEP, &out), VC_JB_PACKET);
	CHECK_EQ(out.seq, 2);
	CHECK_EQ(out.ts, STEP);
	CHECK(data_matches(out.data, out.len, 2, STEP));
	CHECK_EQ(vc_jb_get(jb, T0 + 85 * MS, STEP, &out), VC_JB_PACKET);
	CHECK_EQ(out.seq, 3);
	vc_jb_free(jb);
}

static void test_duplicates(void)
{
	struct vc_jb *jb = mk(0, 16);
	struct vc_jb_pkt out;
	uint8_t junk[30];
	double var;
	uint32_t target;

	memset(junk, 0xa5, sizeof(junk));
	CHECK_EQ(put(jb, 1, 1000, T0), VC_JB_STORED);
	CHECK_EQ(put(jb, 1, 1000, T0 + 1), VC_JB_DUPLICATE);
	CHECK_EQ(put(jb, 2, 1000 + STEP, T0 + PKT_US), VC_JB_STORED);
	CHECK_EQ(put(jb, 3, 1000 + 2 * STEP, T0 + 2 * PKT_US), VC_JB_STORED);
	CHECK_EQ(vc_jb_count(jb), 3);
	/* a duplicate of a buffered packet with other bytes changes nothing */
	CHECK_EQ(vc_jb_put(jb, 2, 1000 + STEP, junk, sizeof(junk), T0 + PKT_US + 1),
		 VC_JB_DUPLICATE);
	CHECK_EQ(vc_jb_get(jb, T0 + 20 * MS, STEP, &out), VC_JB_PACKET);
	CHECK_EQ(out.seq, 1);
	/* played already: a network duplicate, not a late packet */
	CHECK_EQ(put(jb, 1, 1000, T0 + 21 * MS), VC_JB_DUPLICATE);
	CHECK_EQ(vc_jb_count(jb), 2);
	/* duplicates, however slow, teach the estimator nothing */
	var = vc_jb_variation_ms(jb);
	target = vc_jb_target_ms(jb);
	CHECK_EQ(put(jb, 1, 1000, T0 + 400 * MS), VC_JB_DUPLICATE);
	CHECK_EQ(put(jb, 3, 1000 + 2 * STEP, T0 + 400 * MS), VC_JB_DUPLICATE);
	CHECK(vc_jb_variation_ms(jb) == var);
	CHECK_EQ(vc_jb_target_ms(jb), target);
	CHECK_EQ(vc_jb_count(jb), 2);
	CHECK_EQ(vc_jb_get(jb, T0 + 40 * MS, STEP, &out), VC_JB_PACKET);
	CHECK_EQ(out.seq, 2);
	CHECK(data_matches(out.data, out.len, 2, 1000 + STEP));
	CHECK_EQ(put(jb, 2, 1000 + STEP, T0 + 401 * MS), VC_JB_DUPLICATE);
	CHECK_EQ(put(jb, 1, 1000, T0 + 401 * MS), VC_JB_DUPLICATE);
	CHECK_EQ(vc_jb_get(jb, T0 + 60 * MS, STEP, &out), VC_JB_PACKET);
	CHECK_EQ(out.seq, 3);
	CHECK_EQ(vc_jb_get(jb, T0 + 80 * MS, STEP, &out), VC_JB_UNDERRUN);
	vc_jb_free(jb);
}

static void test_late(void)
{
	int m;

	sim_init(&S, 40, 64);
	make_stream(P, 20, 300, 777, 5 * MS);
	P[5].arrival += 60 * MS; /* 65 ms transit: after its 45 ms slot */
	run(&S, P, 20, T0 + 19 * PKT_US + 45 * MS);
	CHECK_EQ(P[5].put_res, VC_JB_LATE);
	CHECK_EQ(S.cnt[VC_JB_PACKET], 19);
	CHECK_EQ(S.cnt[VC_JB_MISSING], 1);
	CHECK_EQ(S.nev, 20);
	CHECK_EQ(count_bad_data(&S), 0);
	m = find_ev(&S, VC_JB_MISSING, 0);
	CHECK_EQ(m, 5);
	if (m == 5) {
		CHECK_EQ(S.ev[5].ts, P[5].ts);
		CHECK_EQ(S.ev[5].now, T0 + 5 * PKT_US + 45 * MS);
		CHECK_EQ(S.ev[5].playout, T0 + 5 * PKT_US + 45 * MS);
		CHECK(S.ev[5].fec); /* packet 6 was there */
		CHECK_EQ(S.ev[5].seq, P[6].seq);
		CHECK_EQ(S.ev[6].res, VC_JB_PACKET);
		CHECK_EQ(S.ev[6].seq, P[6].seq);
	}
	vc_jb_free(S.jb);
}

/* A late packet still teaches the estimator (it was that slow). */
static void test_late_feeds_estimator(void)
{
	struct vc_jb *jb = mk(0, 16);
	struct vc_jb_pkt out;
	double before;

	for (int i = 0; i < 5; i++)
		if (i != 2)
			CHECK_EQ(put(jb, (uint16_t)i, (uint32_t)i * STEP, T0 + (uint64_t)i * PKT_US),
				 VC_JB_STORED);
	before = vc_jb_variation_ms(jb);
	CHECK(before < 5.0);
	CHECK_EQ(vc_jb_target_ms(jb), 20);
	CHECK_EQ(vc_jb_get(jb, T0 + 20 * MS, STEP, &out), VC_JB_PACKET);
	CHECK_EQ(vc_jb_get(jb, T0 + 40 * MS, STEP, &out), VC_JB_PACKET);
	CHECK_EQ(vc_jb_get(jb, T0 + 60 * MS, STEP, &out), VC_JB_MISSING);
	CHECK_EQ(out.ts, 2 * STEP);
	CHECK_EQ(put(jb, 2, 2 * STEP, T0 + 140 * MS), VC_JB_LATE); /* 100 ms late */
	CHECK_EQ(vc_jb_count(jb), 2);
	CHECK(vc_jb_variation_ms(jb) > 50.0);
	CHECK(vc_jb_target_ms(jb) > 50);
	vc_jb_free(jb);
}

/* ------------------------------------------------------------------ */
/* loss, DTX, underrun                                                  */

static void test_loss_fec(void)
{
	int m0, m1, m2;

	sim_init(&S, 40, 64);
	make_stream(P, 40, 1000, 0, 5 * MS);
	P[10].drop = true;
	P[20].drop = true;
	P[21].drop = true;
	run(&S, P, 40, T0 + 39 * PKT_US + 45 * MS);
	CHECK_EQ(S.cnt[VC_JB_PACKET], 37);
	CHECK_EQ(S.cnt[VC_JB_MISSING], 3);
	CHECK_EQ(S.nev, 40);
	CHECK_EQ(count_bad_data(&S), 0);
	CHECK_EQ(count_out_of_order(&S, P, 40), 0);
	m0 = find_ev(&S, VC_JB_MISSING, 0);
	m1 = find_ev(&S, VC_JB_MISSING, 1);
	m2 = find_ev(&S, VC_JB_MISSING, 2);
	CHECK_EQ(m0, 10);
	CHECK_EQ(m1, 20);
	CHECK_EQ(m2, 21);
	if (m0 == 10 && m1 == 20 && m2 == 21) {
		/* concealed exactly when due, never before */
		CHECK_EQ(S.ev[m0].now, T0 + 10 * PKT_US + 45 * MS);
		CHECK_EQ(S.ev[m0].ts, P[10].ts);
		CHECK(S.ev[m0].fec);
		CHECK_EQ(S.ev[m0].seq, P[11].seq);
		CHECK_EQ(S.ev[m0].len, len_of(P[11].seq));
		CHECK(!S.ev[m1].fec); /* 21 is lost too */
		CHECK_EQ(S.ev[m1].ts, P[20].ts);
		CHECK(S.ev[m2].fec);
		CHECK_EQ(S.ev[m2].ts, P[21].ts);
		CHECK_EQ(S.ev[m2].seq, P[22].seq);
		CHECK_EQ(S.ev[m0 + 1].res, VC_JB_PACKET);
		CHECK_EQ(S.ev[m0 + 1].seq, P[11].seq);
	}
	vc_jb_free(S.jb);
}

/* The three answers for a timestamp that is not here: the sender skipped
 * it (consecutive seq: DTX), it is lost (seq gap, later packet here and
 * due: MISSING), or nothing is buffered (UNDERRUN, the timeline waits). */
static void test_dtx_missing_underrun(void)
{
	struct vc_jb *jb;
	struct vc_jb_pkt out;
	const uint32_t T = 480000;

	/* DTX: seq 2 follows seq 1 but is 5 packets later in RTP time */
	jb = mk(40, 16);
	CHECK_EQ(put(jb, 1, T, T0 + 5 * MS), VC_JB_STORED);
	CHECK_EQ(put(jb, 2, T + 5 * STEP, T0 + 105 * MS), VC_JB_STORED);
	CHECK_EQ(vc_jb_get(jb, T0 + 45 * MS, STEP, &out), VC_JB_PACKET);
	for (int k = 1; k < 5; k++) {
		CHECK_EQ(vc_jb_get(jb, T0 + 45 * MS + k * PKT_US, STEP, &out), VC_JB_DTX);
		CHECK_EQ(out.ts, T + STEP); /* the timeline waits for the jump */
		CHECK(!out.data && !out.len && !out.fec_candidate);
	}
	CHECK_EQ(vc_jb_count(jb), 1);
	CHECK_EQ(vc_jb_get(jb, T0 + 145 * MS - 1, STEP, &out), VC_JB_DTX);
	CHECK_EQ(vc_jb_get(jb, T0 + 145 * MS, STEP, &out), VC_JB_PACKET);
	CHECK_EQ(out.seq, 2);
	CHECK_EQ(out.ts, T + 5 * STEP);
	CHECK_EQ(out.playout_us, T0 + 145 * MS);
	CHECK(vc_jb_delay_ms(jb, T0 + 165 * MS) == 40.0); /* back on target */
	vc_jb_free(jb);

	/* MISSING: the same timestamps with a sequence gap */
	jb = mk(40, 16);
	CHECK_EQ(put(jb, 1, T, T0 + 5 * MS), VC_JB_STORED);
	CHECK_EQ(put(jb, 3, T + 4 * STEP, T0 + 85 * MS), VC_JB_STORED);
	CHECK_EQ(vc_jb_get(jb, T0 + 45 * MS, STEP, &out), VC_JB_PACKET);
	CHECK_EQ(vc_jb_get(jb, T0 + 65 * MS - 1, STEP, &out), VC_JB_UNDERRUN); /* not due */
	for (int k = 1; k < 4; k++) {
		CHECK_EQ(vc_jb_get(jb, T0 + 45 * MS + k * PKT_US, STEP, &out), VC_JB_MISSING);
		CHECK_EQ(out.ts, T + (uint32_t)k * STEP);
		CHECK_EQ(out.playout_us, T0 + 45 * MS + k * PKT_US);
		/* only the last one is followed by the packet carrying its FEC */
		CHECK(out.fec_candidate == (k == 3));
		if (k == 3) {
			CHECK_EQ(out.seq, 3);
			CHECK(data_matches(out.data, out.len, 3, T + 4 * STEP));
		} else {
			CHECK(!out.data && !out.len);
		}
	}
	CHECK_EQ(vc_jb_get(jb, T0 + 125 * MS, STEP, &out), VC_JB_PACKET);
	CHECK_EQ(out.seq, 3);
	CHECK_EQ(out.ts, T + 4 * STEP);
	/* the concealed timestamps are LATE now */
	CHECK_EQ(put(jb, 2, T + 2 * STEP, T0 + 126 * MS), VC_JB_LATE);
	vc_jb_free(jb);

	/* UNDERRUN: nothing buffered; the timeline does not advance, so the
	 * packet that finally comes is played (not late), and the delay grew by
	 * the two steps the caller expanded */
	jb = mk(40, 16);
	CHECK_EQ(put(jb, 1, T, T0 + 5 * MS), VC_JB_STORED);
	CHECK_EQ(vc_jb_get(jb, T0 + 45 * MS, STEP, &out), VC_JB_PACKET);
	CHECK_EQ(vc_jb_get(jb, T0 + 65 * MS, STEP, &out), VC_JB_UNDERRUN);
	CHECK_EQ(vc_jb_get(jb, T0 + 85 * MS, STEP, &out), VC_JB_UNDERRUN);
	CHECK_EQ(put(jb, 2, T + STEP, T0 + 90 * MS), VC_JB_STORED); /* 25 ms past due */
	CHECK(vc_jb_delay_ms(jb, T0 + 105 * MS) == 80.0);
	CHECK_EQ(vc_jb_get(jb, T0 + 105 * MS, STEP, &out), VC_JB_PACKET);
	CHECK_EQ(out.seq, 2);
	CHECK_EQ(out.ts, T + STEP);
	CHECK(data_matches(out.data, out.len, 2, T + STEP));
	vc_jb_free(jb);
}

/* DTX in a stream: the sender stops for 300 ms (10 frames of DTX carried
 * by consecutive sequence numbers). */
static void test_dtx_stream(void)
{
	int first_dtx, bad = 0, after;

	sim_init(&S, 100, 64);
	make_stream(P, 40, 500, 96000, 5 * MS);
	for (int i = 20; i < 40; i++) {
		P[i].ts += 15 * STEP;          /* the sender was silent ... */
		P[i].arrival += 15 * PKT_US;   /* ... so the rest comes later */
	}
	run(&S, P, 40, T0 + 55 * PKT_US + 105 * MS);
	CHECK_EQ(S.cnt[VC_JB_PACKET], 40);
	CHECK_EQ(S.cnt[VC_JB_MISSING], 0);
	CHECK(S.cnt[VC_JB_DTX] > 0);
	CHECK_EQ(count_out_of_order(&S, P, 40), 0);
	CHECK_EQ(count_bad_data(&S), 0);
	first_dtx = find_ev(&S, VC_JB_DTX, 0);
	after = -1;
	for (int i = 0; i < S.nev; i++) {
		if (S.ev[i].res == VC_JB_DTX && S.ev[i].ts != P[19].ts + STEP)
			bad++;
		if (S.ev[i].res == VC_JB_PACKET && S.ev[i].seq == P[20].seq)
			after = i;
	}
	CHECK_EQ(bad, 0);
	CHECK(first_dtx > 0);
	CHECK(after > 0);
	if (after > 0) {
		/* the jump happens exactly when the packet after the pause is due,
		 * with the delay back on target */
		CHECK_EQ(S.ev[after].now, P[20].arrival + 100 * MS);
		CHECK_EQ(S.ev[after].playout, P[20].arrival + 100 * MS);
		CHECK_EQ(S.ev[after - 1].res, VC_JB_DTX);
		if (after + 1 < S.nev)
			CHECK(S.ev[after + 1].delay_before == 100.0);
	}
	if (verbose)
		fprintf(stderr, "  dtx stream: %d DTX, %d UNDERRUN\n", S.cnt[VC_JB_DTX],
			S.cnt[VC_JB_UNDERRUN]);
	vc_jb_free(S.jb);
}

/* A network freeze: nothing arrives for 100 ms, then the backlog at once.
 * The caller expands (UNDERRUN) without advancing, then plays every
 * packet; the delay has grown by the 60 ms it expanded. */
static void test_underrun_in_stream(void)
{
	int u0;

	sim_init(&S, 40, 64);
	make_stream(P, 60, 2000, 777000, 5 * MS);
	for (int i = 10; i < 15; i++)
		P[i].arrival = T0 + 300 * MS;
	run(&S, P, 60, T0 + 59 * PKT_US + 105 * MS);
	CHECK_EQ(S.cnt[VC_JB_PACKET], 60);
	CHECK_EQ(S.cnt[VC_JB_UNDERRUN], 3);
	CHECK_EQ(S.cnt[VC_JB_MISSING], 0);
	CHECK_EQ(S.cnt[VC_JB_DTX], 0);
	CHECK_EQ(count_out_of_order(&S, P, 60), 0);
	CHECK_EQ(count_bad_data(&S), 0);
	u0 = find_ev(&S, VC_JB_UNDERRUN, 0);
	CHECK_EQ(u0, 10);
	if (u0 == 10 && S.nev > 14) {
		CHECK_EQ(S.ev[10].now, T0 + 245 * MS);
		CHECK_EQ(S.ev[12].now, T0 + 285 * MS);
		CHECK(S.ev[12].delay_before == 80.0);
		CHECK_EQ(S.ev[13].res, VC_JB_PACKET);
		CHECK_EQ(S.ev[13].seq, P[10].seq);
		CHECK_EQ(S.ev[13].ts, P[10].ts);
		CHECK(S.ev[13].delay_before == 100.0);
		CHECK(S.ev[S.nev - 1].delay_before == 100.0);
	}
	for (int i = 0; i < 60; i++)
		CHECK_EQ(P[i].put_res, VC_JB_STORED);
	vc_jb_free(S.jb);
}

/* ------------------------------------------------------------------ */
/* wrap, jitter, overflow, sizes                                        */

static void test_wrap(void)
{
	int bad = 0;

	sim_init(&S, 40, 64);
	/* seq crosses 65535 -> 0 and ts crosses 0xffffffff -> 0 mid-stream */
	make_stream(P, 60, 65520, 0xffffffffu - 20 * STEP + 100, 5 * MS);
	P[20].arrival += 25 * MS; /* reorder right at the wrap */
	P[17].arrival += 25 * MS;
	run(&S, P, 60, T0 + 59 * PKT_US + 45 * MS);
	CHECK_EQ(S.cnt[VC_JB_PACKET], 60);
	CHECK_EQ(S.nev, 60);
	CHECK_EQ(count_bad_data(&S), 0);
	for (int i = 0; i < S.nev && i < 60; i++)
		if (S.ev[i].ts != P[i].ts || S.ev[i].seq != P[i].seq ||
		    S.ev[i].now != T0 + (uint64_t)i * PKT_US + 45 * MS ||
		    S.ev[i].delay_before != (i ? 40.0 : 0.0))
			bad++;
	CHECK_EQ(bad, 0);
	vc_jb_free(S.jb);

	/* loss, FEC and DTX right at the wrap, starting at 0xffffffff - 959 */
	{
		struct vc_jb *jb = mk(40, 16);
		struct vc_jb_pkt out;
		const uint32_t t = 0xffffffffu - (STEP - 1);

		CHECK_EQ(put(jb, 65535, t, T0 + 5 * MS), VC_JB_STORED);
		CHECK_EQ(put(jb, 1, t + 2 * STEP, T0 + 45 * MS), VC_JB_STORED); /* seq 0 lost */
		CHECK_EQ(put(jb, 2, t + 5 * STEP, T0 + 105 * MS), VC_JB_STORED); /* then DTX */
		CHECK_EQ(vc_jb_get(jb, T0 + 45 * MS, STEP, &out), VC_JB_PACKET);
		CHECK_EQ(out.ts, t);
		CHECK_EQ(vc_jb_get(jb, T0 + 65 * MS, STEP, &out), VC_JB_MISSING);
		CHECK_EQ(out.ts, t + STEP); /* 0 after the wrap */
		CHECK_EQ(out.ts, 0);
		CHECK(out.fec_candidate);
		CHECK_EQ(out.seq, 1);
		CHECK_EQ(vc_jb_get(jb, T0 + 85 * MS, STEP, &out), VC_JB_PACKET);
		CHECK_EQ(out.ts, t + 2 * STEP);
		CHECK_EQ(vc_jb_get(jb, T0 + 105 * MS, STEP, &out), VC_JB_DTX);
		CHECK_EQ(out.ts, t + 3 * STEP);
		CHECK_EQ(vc_jb_get(jb, T0 + 145 * MS, STEP, &out), VC_JB_PACKET);
		CHECK_EQ(out.ts, t + 5 * STEP);
		CHECK_EQ(out.seq, 2);
		vc_jb_free(jb);
	}
}


/* uniform integer in [lo, hi] */
static int64_t rng_int(int64_t lo, int64_t hi)
{
	return lo + (int64_t)(rng_next() % (uint64_t)(hi - lo + 1));
}

/* 0..30 ms of jitter under a fixed 40 ms target never underruns: the
 * fastest possible first start leaves 40 ms for every packet. */
static void test_jitter_fixed(void)
{
	int bad = 0;

	rng_state = 12345;
	sim_init(&S, 40, 64);
	make_stream(P, 1000, 40000, 99, 0);
	for (int i = 0; i < 1000; i++)
		P[i].arrival += (uint64_t)rng_int(0, 30 * (int64_t)MS);
	run(&S, P, 1000, T0 + 999 * PKT_US + 80 * MS);
	CHECK_EQ(S.cnt[VC_JB_PACKET], 1000);
	CHECK_EQ(S.cnt[VC_JB_MISSING] + S.cnt[VC_JB_DTX], 0);
	for (int i = 0; i < 1000 && i < S.nev; i++)
		bad += S.ev[i].res != VC_JB_PACKET; /* underruns only after the end */
	CHECK_EQ(bad, 0);
	CHECK_EQ(count_out_of_order(&S, P, 1000), 0);
	CHECK_EQ(count_bad_data(&S), 0);
	for (int i = 0; i < 1000; i++)
		if (P[i].put_res != VC_JB_STORED)
			bad++;
	CHECK_EQ(bad, 0);
	vc_jb_free(S.jb);
}

static void test_overflow(void)
{
	struct vc_jb *jb = mk(40, 4);
	struct vc_jb_pkt out;

	for (int i = 0; i < 4; i++)
		CHECK_EQ(put(jb, (uint16_t)(10 + i), (uint32_t)i * STEP, T0 + (uint64_t)i * PKT_US),
			 VC_JB_STORED);
	CHECK_EQ(put(jb, 14, 4 * STEP, T0 + 4 * PKT_US), VC_JB_OVERFLOW);
	CHECK_EQ(put(jb, 15, 5 * STEP, T0 + 5 * PKT_US), VC_JB_OVERFLOW);
	CHECK_EQ(vc_jb_count(jb), 4);
	/* the two oldest went; playout starts at the oldest left */
	CHECK_EQ(vc_jb_get(jb, T0 + 200 * MS, STEP, &out), VC_JB_PACKET);
	CHECK_EQ(out.seq, 12);
	CHECK(data_matches(out.data, out.len, 12, 2 * STEP));
	/* an overflowing packet older than everything is the one dropped */
	vc_jb_reset(jb);
	for (int i = 2; i < 6; i++)
		CHECK_EQ(put(jb, (uint16_t)(10 + i), (uint32_t)i * STEP, T0 + (uint64_t)i * PKT_US),
			 VC_JB_STORED);
	CHECK_EQ(put(jb, 10, 0, T0 + 6 * PKT_US), VC_JB_OVERFLOW);
	CHECK_EQ(vc_jb_count(jb), 4);
	/* reference: transit T0 (the slow seq 10 does not move it) */
	CHECK_EQ(vc_jb_get(jb, T0 + 80 * MS, STEP, &out), VC_JB_PACKET);
	CHECK_EQ(out.seq, 12);
	/* while playing: a full buffer drops its oldest, the timeline goes on
	 * with a sequence gap, concealed at the due times (the caller asks
	 * for them after these arrivals: play_us is when audio is heard) */
	for (int i = 6; i < 9; i++)
		CHECK_EQ(put(jb, (uint16_t)(10 + i), (uint32_t)i * STEP, T0 + (uint64_t)i * PKT_US),
			 i == 6 ? VC_JB_STORED : VC_JB_OVERFLOW);
	CHECK_EQ(vc_jb_count(jb), 4); /* 15..18 */
	CHECK_EQ(vc_jb_get(jb, T0 + 100 * MS, STEP, &out), VC_JB_MISSING);
	CHECK_EQ(out.ts, 3 * STEP);
	CHECK(!out.fec_candidate);
	CHECK_EQ(vc_jb_get(jb, T0 + 120 * MS, STEP, &out), VC_JB_MISSING);
	CHECK_EQ(out.ts, 4 * STEP);
	CHECK(out.fec_candidate);
	CHECK_EQ(vc_jb_get(jb, T0 + 140 * MS, STEP, &out), VC_JB_PACKET);
	CHECK_EQ(out.seq, 15);
	vc_jb_free(jb);
}

static void test_too_big(void)
{
	static uint8_t d[201];
	struct vc_jb *jb = mk(40, 8);
	struct vc_jb_pkt out;

	CHECK_EQ(vc_jb_put(jb, 1, 0, d, 201, T0), VC_JB_TOO_BIG);
	CHECK_EQ(vc_jb_count(jb), 0);
	CHECK_EQ(vc_jb_target_ms(jb), 40);
	CHECK(!vc_jb_ref_transit_us(jb, &(int64_t){ 0 })); /* not even measured */
	CHECK_EQ(vc_jb_put(jb, 1, 0, d, 200, T0), VC_JB_STORED);
	CHECK_EQ(vc_jb_put(jb, 2, STEP, d, 0, T0 + PKT_US), VC_JB_STORED); /* empty is fine */
	CHECK_EQ(vc_jb_count(jb), 2);
	CHECK_EQ(vc_jb_get(jb, T0 + 40 * MS, STEP, &out), VC_JB_PACKET);
	CHECK_EQ(out.len, 200);
	CHECK_EQ(vc_jb_get(jb, T0 + 60 * MS, STEP, &out), VC_JB_PACKET);
	CHECK_EQ(out.len, 0);
	CHECK_EQ(out.seq, 2);
	vc_jb_free(jb);
}

/* ------------------------------------------------------------------ */
/* skip, jumps, restart, reset                                          */

/* The caller stalls for 1 s while packets keep coming: on resume every
 * packet that would be heard more than the ceiling (500 ms) after the
 * fastest packet's schedule is skipped, and the delay stays at the
 * ceiling from then on. */
static void test_skip_past_ceiling(void)
{
	int first = -1;
	int64_t cap;

	sim_init(&S, 40, 128);
	make_stream(P, 200, 300, 4800, 5 * MS);
	S.stall_from = T0 + 20 * PKT_US + 45 * MS;   /* due time of P[20] */
	S.stall_to = S.stall_from + 1000 * MS;
	/* ends with the last packet: P[199] is heard 500 ms after its fastest
	 * arrival (5 ms transit) */
	run(&S, P, 200, T0 + 199 * PKT_US + 5 * MS + 500 * MS);
	for (int i = 0; i < S.nev; i++)
		if (S.ev[i].now >= S.stall_to) {
			first = i;
			break;
		}
	CHECK_EQ(first, 20);
	if (first == 20) {
		/* P[20..46] would be heard more than 500 ms late; P[47] exactly 500 */
		CHECK_EQ(S.ev[first].res, VC_JB_PACKET);
		CHECK_EQ(S.ev[first].seq, P[47].seq);
		CHECK_EQ(S.ev[first].ts, P[47].ts);
		CHECK(S.ev[first].delay_before == 1040.0); /* still at P[20] */
		CHECK(S.ev[first + 1].delay_before == 500.0);
	}
	CHECK_EQ(vc_jb_skipped(S.jb), 27);
	CHECK_EQ(S.cnt[VC_JB_PACKET], 173);
	CHECK_EQ(S.cnt[VC_JB_MISSING] + S.cnt[VC_JB_DTX] + S.cnt[VC_JB_UNDERRUN], 0);
	CHECK_EQ(count_out_of_order(&S, P, 200), 0);
	CHECK_EQ(count_bad_data(&S), 0);
	cap = 0;
	for (int i = first + 1; i >= 1 && i < S.nev; i++)
		cap += S.ev[i].delay_before != 500.0;
	CHECK_EQ(cap, 0);
	vc_jb_free(S.jb);

	/* a single buffered packet is played however late */
	{
		struct vc_jb *jb = mk(40, 16);
		struct vc_jb_pkt out;

		CHECK_EQ(put(jb, 1, 0, T0 + 5 * MS), VC_JB_STORED);
		CHECK_EQ(put(jb, 2, STEP, T0 + 25 * MS), VC_JB_STORED);
		CHECK_EQ(vc_jb_get(jb, T0 + 45 * MS, STEP, &out), VC_JB_PACKET);
		CHECK_EQ(vc_jb_get(jb, T0 + 1500 * MS, STEP, &out), VC_JB_PACKET);
		CHECK_EQ(out.seq, 2);
		CHECK_EQ(vc_jb_skipped(jb), 0);
		/* two buffered (slow, but within the estimator's 2 s window so the
		 * reference stays): the first is skipped, the last one played */
		CHECK_EQ(put(jb, 3, 2 * STEP, T0 + 1500 * MS), VC_JB_STORED);
		CHECK_EQ(put(jb, 4, 3 * STEP, T0 + 1500 * MS), VC_JB_STORED);
		CHECK_EQ(vc_jb_get(jb, T0 + 1500 * MS, STEP, &out), VC_JB_PACKET);
		CHECK_EQ(out.seq, 4);
		CHECK_EQ(vc_jb_skipped(jb), 1);
		vc_jb_free(jb);
	}
}

/* A gap of more than 1 s of RTP time with media beyond it is jumped when
 * the packet after it is due, not concealed step by step. */
static void test_long_gap_jump(void)
{
	int first = -1;

	sim_init(&S, 40, 64);
	make_stream(P, 150, 1, 1000, 5 * MS);
	for (int i = 50; i < 110; i++)
		P[i].drop = true; /* 1.2 s lost */
	run(&S, P, 150, T0 + 149 * PKT_US + 45 * MS);
	CHECK_EQ(S.cnt[VC_JB_PACKET], 90);
	CHECK_EQ(S.cnt[VC_JB_MISSING], 0);
	CHECK_EQ(S.cnt[VC_JB_DTX], 0);
	CHECK_EQ(S.cnt[VC_JB_UNDERRUN], 60);
	for (int i = 0; i < S.nev; i++)
		if (S.ev[i].res == VC_JB_PACKET && S.ev[i].seq == P[110].seq)
			first = i;
	CHECK(first > 0);
	if (first > 0) {
		CHECK_EQ(S.ev[first].now, P[110].arrival + 40 * MS);
		CHECK_EQ(S.ev[first - 1].res, VC_JB_UNDERRUN);
		if (first + 1 < S.nev)
			CHECK(S.ev[first + 1].delay_before == 40.0);
	}
	CHECK_EQ(count_out_of_order(&S, P, 150), 0);
	vc_jb_free(S.jb);
}

/* The sender's timestamps jump 10 s ahead: the reference follows at once
 * (vc_delay restarts on a transit step > 2 s) and the new segment plays in
 * order, nothing concealed.  What was still buffered of the old segment
 * (at most the target's worth) is now "10 s late" and may be skipped.
 * (When the new segment starts: see test_skip_waits_until_due.) */
static void test_sender_jumps_ahead(void)
{
	int played_new = 0;

	sim_init(&S, 40, 64);
	make_stream(P, 100, 1, 1000, 5 * MS);
	for (int i = 50; i < 100; i++)
		P[i].ts += 10 * RATE;
	run(&S, P, 100, T0 + 99 * PKT_US + 45 * MS);
	CHECK_EQ(S.cnt[VC_JB_MISSING] + S.cnt[VC_JB_DTX], 0);
	CHECK_EQ(S.cnt[VC_JB_PACKET] + (int)vc_jb_skipped(S.jb), 100);
	CHECK(vc_jb_skipped(S.jb) <= 2);
	CHECK_EQ(count_out_of_order(&S, P, 100), 0);
	CHECK_EQ(count_bad_data(&S), 0);
	for (int i = 0; i < S.nev; i++)
		played_new += S.ev[i].res == VC_JB_PACKET && S.ev[i].seq >= P[50].seq;
	CHECK_EQ(played_new, 50);
	for (int i = 0; i < 100; i++)
		CHECK_EQ(P[i].put_res, VC_JB_STORED);
	vc_jb_free(S.jb);
}

/* One packet with a wild timestamp (10 s ahead, a bogus seq) in a clean
 * stream costs at most that packet: vc_delay moves its reference only when
 * three packets in a row agree (before, the buffered packets looked 10 s
 * late and were skipped, and the buffer restarted). */
static void test_wild_timestamp(void)
{
	int late = 0, played_wild = 0;

	sim_init(&S, 40, 64);
	make_stream(P, 101, 1, 1000, 5 * MS);
	P[100].seq = 40000; /* the bogus one, arriving with P[49] */
	P[100].ts = P[50].ts + 10 * RATE;
	P[100].arrival = P[49].arrival;
	run(&S, P, 101, T0 + 99 * PKT_US + 45 * MS);
	for (int i = 0; i < 100; i++)
		late += P[i].put_res != VC_JB_STORED;
	for (int i = 0; i < S.nev; i++)
		played_wild += S.ev[i].res == VC_JB_PACKET && S.ev[i].seq == 40000;
	CHECK_EQ(late, 0);
	CHECK_EQ(vc_jb_skipped(S.jb), 0);
	CHECK_EQ(played_wild, 0);
	CHECK_EQ(S.cnt[VC_JB_PACKET], 100);
	vc_jb_free(S.jb);
}

/* After a 10 s timestamp jump, the skip loop drops what is stale and the
 * new segment plays from its due time, keeping the 40 ms target (before,
 * P[50] played on arrival, 40 ms early, and playout went on with no
 * margin). */
static void test_skip_waits_until_due(void)
{
	int bad = 0;

	sim_init(&S, 40, 64);
	make_stream(P, 100, 1, 1000, 5 * MS);
	for (int i = 50; i < 100; i++)
		P[i].ts += 10 * RATE;
	run(&S, P, 100, T0 + 99 * PKT_US + 45 * MS);
	for (int i = 0; i < S.nev; i++)
		if (S.ev[i].res == VC_JB_PACKET && S.ev[i].seq >= P[50].seq &&
		    S.ev[i].now != P[S.ev[i].seq - P[0].seq].arrival + 40 * MS)
			bad++;
	CHECK_EQ(bad, 0);
	vc_jb_free(S.jb);
}

/* A 300 ms outage (nothing arrives, seq gap < 1 s): the caller expands
 * through it (UNDERRUN); once the first packet after it is due the
 * timeline jumps there (before, the 15 lost timestamps were concealed one
 * by one afterwards: 560 ms of concealment, delay 260 ms above target). */
static void test_outage_recovery(void)
{
	int first = -1;

	sim_init(&S, 40, 64);
	make_stream(P, 100, 1, 1000, 5 * MS);
	for (int i = 50; i < 65; i++)
		P[i].drop = true;
	run(&S, P, 100, T0 + 99 * PKT_US + 45 * MS);
	for (int i = 0; i < S.nev; i++)
		if (S.ev[i].res == VC_JB_PACKET && S.ev[i].seq == P[65].seq)
			first = i;
	CHECK(first > 0);
	if (first > 0)
		CHECK_EQ(S.ev[first].now, P[65].arrival + 40 * MS);
	CHECK(S.cnt[VC_JB_MISSING] + S.cnt[VC_JB_UNDERRUN] <= 15);
	vc_jb_free(S.jb);
}

/* Three packets in a row more than 1 s behind the timeline: the sender
 * restarted its timestamps; the buffer starts over with the third. */
static void test_far_late_restart(void)
{
	int late = 0, played_new = 0, first_new = -1;

	sim_init(&S, 40, 64);
	make_stream(P, 100, 1, 10 * RATE, 5 * MS);
	for (int i = 50; i < 100; i++)
		P[i].ts -= 10 * RATE;
	run(&S, P, 100, T0 + 99 * PKT_US + 45 * MS);
	for (int i = 50; i < 100; i++)
		late += P[i].put_res == VC_JB_LATE;
	CHECK_EQ(late, 2); /* the third in a row restarts */
	CHECK_EQ(P[52].put_res, VC_JB_STORED);
	for (int i = 0; i < S.nev; i++)
		if (S.ev[i].res == VC_JB_PACKET && S.ev[i].seq >= P[52].seq) {
			if (first_new < 0)
				first_new = i;
			played_new++;
		}
	CHECK_EQ(played_new, 48); /* P[52..99] */
	CHECK_EQ(S.cnt[VC_JB_PACKET], 98);
	CHECK_EQ(S.cnt[VC_JB_MISSING], 0);
	CHECK(first_new > 0);
	if (first_new > 0) {
		/* started afresh: due = its arrival + target */
		CHECK_EQ(S.ev[first_new].now, P[52].arrival + 40 * MS);
		CHECK_EQ(S.ev[first_new].seq, P[52].seq);
		CHECK_EQ(S.ev[first_new - 1].seq, P[49].seq);
	}
	vc_jb_free(S.jb);

	/* stragglers not in a row do not restart */
	{
		struct vc_jb *jb = mk(40, 16);
		struct vc_jb_pkt out;
		const uint32_t t = 5 * RATE;

		CHECK_EQ(put(jb, 100, t, T0 + 5 * MS), VC_JB_STORED);
		CHECK_EQ(put(jb, 101, t + STEP, T0 + 25 * MS), VC_JB_STORED);
		CHECK_EQ(vc_jb_get(jb, T0 + 45 * MS, STEP, &out), VC_JB_PACKET);
		CHECK_EQ(put(jb, 10, t - 3 * RATE, T0 + 30 * MS), VC_JB_LATE);
		CHECK_EQ(put(jb, 11, t - 3 * RATE + STEP, T0 + 31 * MS), VC_JB_LATE);
		CHECK_EQ(put(jb, 102, t + 2 * STEP, T0 + 45 * MS), VC_JB_STORED);
		CHECK_EQ(put(jb, 12, t - 3 * RATE + 2 * STEP, T0 + 46 * MS), VC_JB_LATE);
		CHECK_EQ(put(jb, 13, t - 3 * RATE + 3 * STEP, T0 + 47 * MS), VC_JB_LATE);
		CHECK_EQ(vc_jb_count(jb), 2);
		CHECK_EQ(vc_jb_get(jb, T0 + 65 * MS, STEP, &out), VC_JB_PACKET);
		CHECK_EQ(out.seq, 101);
		/* a third one in a row does */
		CHECK_EQ(put(jb, 14, t - 3 * RATE + 4 * STEP, T0 + 48 * MS), VC_JB_STORED);
		CHECK_EQ(vc_jb_count(jb), 1);
		CHECK_EQ(vc_jb_get(jb, T0 + 85 * MS, STEP, &out), VC_JB_NOT_YET);
		CHECK_EQ(vc_jb_get(jb, T0 + 88 * MS, STEP, &out), VC_JB_PACKET);
		CHECK_EQ(out.seq, 14);
		vc_jb_free(jb);
	}
}

static void test_reset(void)
{
	struct vc_jb *jb = mk(0, 8);
	struct vc_jb_pkt out;
	int64_t ref;

	CHECK_EQ(put(jb, 1, 50000, T0), VC_JB_STORED);
	CHECK_EQ(put(jb, 2, 50000 + STEP, T0 + 200 * MS), VC_JB_STORED); /* 180 ms slow */
	CHECK(vc_jb_target_ms(jb) > 20);
	CHECK_EQ(vc_jb_get(jb, T0 + vc_jb_target_ms(jb) * MS, STEP, &out), VC_JB_PACKET);
	vc_jb_reset(jb);
	CHECK_EQ(vc_jb_count(jb), 0);
	CHECK_EQ(vc_jb_target_ms(jb), 20);
	CHECK(vc_jb_variation_ms(jb) == 0.0);
	CHECK(vc_jb_delay_ms(jb, T0 + 300 * MS) == 0.0);
	CHECK(!vc_jb_ref_transit_us(jb, &ref));
	CHECK_EQ(vc_jb_get(jb, T0 + 300 * MS, STEP, &out), VC_JB_NOT_YET);
	/* a new stream with an older timestamp is not "late" (nor a duplicate
	 * of the one played) after reset, and its reference is fresh */
	CHECK_EQ(put(jb, 9, 50000, T0 + 400 * MS), VC_JB_STORED);
	CHECK_EQ(vc_jb_get(jb, T0 + 420 * MS - 1, STEP, &out), VC_JB_NOT_YET);
	CHECK_EQ(vc_jb_get(jb, T0 + 420 * MS, STEP, &out), VC_JB_PACKET);
	CHECK_EQ(out.seq, 9);
	CHECK(vc_jb_ref_transit_us(jb, &ref));
	CHECK_EQ(ref, (int64_t)(T0 + 400 * MS) - (int64_t)50000 * 1000000 / RATE);
	vc_jb_free(jb);
}

/* ------------------------------------------------------------------ */
/* target: fixed, extra, adaptive                                       */

static void test_extra_ms(void)
{
	struct vc_jb *jb = mk(40, 16);
	struct vc_jb_pkt out;

	vc_jb_set_extra_ms(jb, 30);
	CHECK_EQ(vc_jb_target_ms(jb), 70);
	CHECK_EQ(put(jb, 1, 0, T0 + 5 * MS), VC_JB_STORED);
	CHECK_EQ(vc_jb_get(jb, T0 + 75 * MS - 1, STEP, &out), VC_JB_NOT_YET);
	CHECK_EQ(vc_jb_get(jb, T0 + 75 * MS, STEP, &out), VC_JB_PACKET);
	CHECK_EQ(out.playout_us, T0 + 75 * MS);
	vc_jb_set_extra_ms(jb, 100000); /* at most the ceiling */
	CHECK_EQ(vc_jb_target_ms(jb), 40 + 500);
	vc_jb_set_extra_ms(jb, 0);
	CHECK_EQ(vc_jb_target_ms(jb), 40);
	vc_jb_set_target_ms(jb, 60);
	CHECK_EQ(vc_jb_target_ms(jb), 60);
	vc_jb_set_target_ms(jb, 0); /* adaptive: one packet on a clean path */
	CHECK_EQ(vc_jb_target_ms(jb), 20);
	vc_jb_set_extra_ms(jb, 30);
	CHECK_EQ(vc_jb_target_ms(jb), 50);
	vc_jb_free(jb);

	/* adaptive + extra from the start */
	jb = mk(0, 16);
	vc_jb_set_extra_ms(jb, 25);
	CHECK_EQ(put(jb, 1, 0, T0 + 5 * MS), VC_JB_STORED);
	CHECK_EQ(vc_jb_get(jb, T0 + 50 * MS - 1, STEP, &out), VC_JB_NOT_YET);
	CHECK_EQ(vc_jb_get(jb, T0 + 50 * MS, STEP, &out), VC_JB_PACKET);
	vc_jb_free(jb);
}

/* cfg.floor_ms raises the adaptive floor (the caller's pipeline needs it);
 * a fixed target ignores it, jitter above it still counts. */
static void test_floor(void)
{
	struct vc_jb_cfg cfg = { .clock_rate = RATE, .floor_ms = 60, .slots = 64,
				 .max_payload = 200 };
	struct vc_jb *jb = NULL;
	struct vc_jb_pkt out;

	CHECK_EQ(vc_jb_new(&jb, &cfg), 0);
	if (!jb)
		return;
	CHECK_EQ(vc_jb_target_ms(jb), 60);
	CHECK_EQ(put(jb, 1, 0, T0 + 5 * MS), VC_JB_STORED);
	CHECK_EQ(vc_jb_target_ms(jb), 60);
	CHECK_EQ(vc_jb_get(jb, T0 + 65 * MS - 1, STEP, &out), VC_JB_NOT_YET);
	CHECK_EQ(vc_jb_get(jb, T0 + 65 * MS, STEP, &out), VC_JB_PACKET);
	vc_jb_set_extra_ms(jb, 10);
	CHECK_EQ(vc_jb_target_ms(jb), 70);
	vc_jb_set_extra_ms(jb, 0);
	vc_jb_set_target_ms(jb, 40); /* fixed: below the floor is allowed */
	CHECK_EQ(vc_jb_target_ms(jb), 40);
	vc_jb_set_target_ms(jb, 0);
	CHECK_EQ(vc_jb_target_ms(jb), 60);
	/* a packet 150 ms slow among three: the estimate goes above the floor */
	CHECK_EQ(put(jb, 2, STEP, T0 + 175 * MS), VC_JB_STORED);
	CHECK(vc_jb_target_ms(jb) > 100);
	vc_jb_free(jb);
	jb = NULL;
	cfg.floor_ms = 20000;
	CHECK(vc_jb_new(&jb, &cfg) < 0);
	CHECK(jb == NULL);
}

static void test_adaptive_constant_transit(void)
{
	int bad_target = 0;

	sim_init(&S, 0, 64);
	make_stream(P, 500, 9, 0xffffffffu - 100 * STEP, 30 * MS);
	run(&S, P, 500, T0 + 499 * PKT_US + 50 * MS);
	CHECK_EQ(S.cnt[VC_JB_PACKET], 500);
	CHECK_EQ(S.nev, 500);
	CHECK_EQ(count_bad_data(&S), 0);
	for (int i = 0; i < S.nev; i++)
		if (S.ev[i].target != 20 || S.ev[i].delay_before != (i ? 20.0 : 0.0) ||
		    S.ev[i].now != P[i].arrival + 20 * MS)
			bad_target++;
	CHECK_EQ(bad_target, 0);
	CHECK_EQ(vc_jb_target_ms(S.jb), 20);
	CHECK(vc_jb_variation_ms(S.jb) < 5.0); /* within the first 5 ms bucket */
	vc_jb_free(S.jb);
}

static double relv[MAXP];

/* Uniform jitter of +-15 ms for 20 s, a 5 s burst of +-60 ms, then +-15 ms
 * again for 15 s (ts across the 32-bit wrap, reordered by the network). */
static void test_adaptive_jitter(void)
{
	const int n1 = 1000, n2 = 250, n3 = 750, n = n1 + n2 + n3;
	const uint64_t base = 80 * MS;
	struct vc_jb *jb = mk(0, 4096); /* put only: room for all */
	double tmin = 1e18, p95, pre = 0, max_dev = 0, max_burst = 0, max_after = 0;
	int npre = 0, back_at = -1;
	uint32_t ts0 = 0xffffffffu - 300 * STEP;

	rng_state = 0xfeedbeef;
	make_stream(P, n, 40000, ts0, base);
	for (int i = 0; i < n; i++) {
		int64_t j = i >= n1 && i < n1 + n2 ? 60 : 15;

		P[i].arrival = (uint64_t)((int64_t)P[i].arrival + rng_int(-j * 1000, j * 1000));
	}
	/* the p95 of (transit - min transit) of the calm phase */
	for (int i = 0; i < n1; i++) {
		double tr = (double)P[i].arrival - (double)i * PKT_US;

		relv[i] = tr;
		if (tr < tmin)
			tmin = tr;
	}
	for (int i = 0; i < n1; i++)
		relv[i] = (relv[i] - tmin) / 1000.0;
	qsort(relv, (size_t)n1, sizeof(relv[0]), cmp_double);
	p95 = relv[(int)(0.95 * n1)];

	for (int i = 0; i < n; i++)
		order_idx[i] = i;
	cmp_base = P;
	qsort(order_idx, (size_t)n, sizeof(order_idx[0]), cmp_arrival);
	for (int k = 0; k < n; k++) {
		const struct pk *q = &P[order_idx[k]];
		uint64_t t = q->arrival - T0; /* time since the start, us */
		double tgt;

		CHECK_EQ(put(jb, q->seq, q->ts, q->arrival), VC_JB_STORED);
		tgt = vc_jb_target_ms(jb);
		/* calm phase, after 5 s of learning: near the p95 */
		if (t >= 5000 * MS && t < 20000 * MS) {
			double dev = fabs(tgt - p95);

			if (dev > max_dev)
				max_dev = dev;
			if (t >= 15000 * MS) {
				pre += tgt;
				npre++;
			}
		}
		if (t >= 20000 * MS && t < 25500 * MS && tgt > max_burst)
			max_burst = tgt;
		/* 10 s after the burst ended, and from then on */
		if (t >= 35000 * MS && t < 40000 * MS) {
			double dev = fabs(tgt - pre / (npre ? npre : 1));

			if (dev > max_after)
				max_after = dev;
		}
		if (t >= 25000 * MS && back_at < 0 && npre &&
		    fabs(tgt - pre / npre) <= 10.0)
			back_at = (int)((t - 25000 * MS) / MS);
	}
	if (npre)
		pre /= npre;
	if (verbose)
		fprintf(stderr,
			"  jitter: p95 %.1f ms, calm target dev max %.1f, pre-burst %.1f, "
			"burst max %.0f, back within 10 ms after %d ms, dev after 10 s %.1f\n",
			p95, max_dev, pre, max_burst, back_at, max_after);
	CHECK(p95 > 25.0 && p95 < 31.0); /* the generator itself */
	CHECK(max_dev <= 5.0);
	CHECK(fabs(pre - p95) <= 5.0);
	CHECK(max_burst >= pre + 50.0); /* +-60 ms: p95 of the burst ~110 */
	CHECK(max_burst <= 500.0);
	CHECK(back_at >= 0 && back_at <= 10000);
	CHECK(max_after <= 10.0);
	vc_jb_free(jb);
}

static void test_bad_cfg(void)
{
	struct vc_jb *jb = NULL;
	struct vc_jb_cfg cfg = { .clock_rate = 48000, .target_ms = 40, .slots = 0,
				 .max_payload = 100 };

	CHECK(vc_jb_new(&jb, &cfg) < 0);
	cfg.slots = 8;
	cfg.clock_rate = 0;
	CHECK(vc_jb_new(&jb, &cfg) < 0);
	cfg.clock_rate = 48000;
	cfg.max_payload = 0;
	CHECK(vc_jb_new(&jb, &cfg) < 0);
	cfg.max_payload = 100;
	cfg.ceiling_ms = 20000;
	CHECK(vc_jb_new(&jb, &cfg) < 0);
	cfg.ceiling_ms = 100;
	cfg.packet_ms = 200; /* floor above the ceiling */
	CHECK(vc_jb_new(&jb, &cfg) < 0);
	cfg.packet_ms = 0;
	cfg.target_ms = 20000;
	CHECK(vc_jb_new(&jb, &cfg) < 0);
	CHECK(jb == NULL);
	cfg.target_ms = 0;
	CHECK_EQ(vc_jb_new(&jb, &cfg), 0);
	CHECK(jb != NULL);
	vc_jb_set_target_ms(jb, 1000000);
	CHECK_EQ(vc_jb_target_ms(jb), 10000);
	vc_jb_free(jb);
	vc_jb_free(NULL);
}

int main(void)
{
	verbose = getenv("VC_JB_VERBOSE") != NULL;
	RUN(test_start_fixed_target);
	RUN(test_start_adaptive);
	RUN(test_in_order_playout);
	RUN(test_no_time_gating_after_start);
	RUN(test_delay_ms);
	RUN(test_reorder_repaired);
	RUN(test_reorder_before_due);
	RUN(test_duplicates);
	RUN(test_late);
	RUN(test_late_feeds_estimator);
	RUN(test_loss_fec);
	RUN(test_dtx_missing_underrun);
	RUN(test_dtx_stream);
	RUN(test_underrun_in_stream);
	RUN(test_wrap);
	RUN(test_jitter_fixed);
	RUN(test_overflow);
	RUN(test_too_big);
	RUN(test_skip_past_ceiling);
	RUN(test_long_gap_jump);
	RUN(test_sender_jumps_ahead);
	RUN(test_far_late_restart);
	RUN(test_reset);
	RUN(test_extra_ms);
	RUN(test_floor);
	RUN(test_adaptive_constant_transit);
	RUN(test_adaptive_jitter);
	RUN(test_bad_cfg);
	RUN(test_wild_timestamp);
	RUN(test_skip_waits_until_due);
	RUN(test_outage_recovery);
	return vc_test_summary();
}
