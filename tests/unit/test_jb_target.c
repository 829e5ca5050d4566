/* test_jb_target.c - the vc_jb's capacity and target delay: a fixed target
 * under jitter, overflow, payload sizes, the extra delay, the adaptive
 * floor, the adaptive target under constant transit and under a jitter
 * burst, and bad configurations.  Adaptive-target scenarios use a
 * fixed-seed PRNG.  Helpers and the playout simulation: vc_test_jb.h.
 * Set VC_JB_VERBOSE=1 for the figures. */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "vc_jb.h"
#include "vc_test.h"
#include "vc_test_jb.h"
#include "vc_test_rng.h"
#include "vc_test_stats.h"

static bool verbose;

/* ------------------------------------------------------------------ */
/* jitter, overflow, sizes                                              */

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
	RUN(test_jitter_fixed);
	RUN(test_overflow);
	RUN(test_too_big);
	RUN(test_extra_ms);
	RUN(test_floor);
	RUN(test_adaptive_constant_transit);
	RUN(test_adaptive_jitter);
	RUN(test_bad_cfg);
	return vc_test_summary();
}
