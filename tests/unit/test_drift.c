/* test_drift.c - vc_drift (least-squares slope of the fastest-packet
 * transit) on generated series: plain microsecond times, a fixed-seed
 * PRNG, no sleeping.  Also end to end: a sender whose clock is off by a
 * known amount, through vc_jb's reference (vc_jb_ref_transit_us), sampled
 * once a second as the daemon does.  Set VC_DRIFT_VERBOSE=1 for the
 * figures.
 *
 * Sign: a sender clock running fast by e makes the transit fall by e
 * seconds per second, and vc_drift reports +e * 1e6 ppm. */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vc_drift.h"
#include "vc_jb.h"
#include "vc_test.h"
#include "vc_test_rng.h"

#define SEC 1000000ull
#define T0 1000000000000ull /* our clock at the start, us (11.6 days of uptime) */
#define MIN_SPAN_S 20.0
#define STEP_MS 50.0

static bool verbose;

/* Feed one sample per second for 'seconds' seconds from t0 (its own index
 * s0 for the line): transit = base - ppm * t (us) + U(-noise, noise).
 * Returns how many calls of vc_drift_ppm said true. */
static int feed_line(struct vc_drift *d, uint64_t t0, int s0, int seconds, int64_t base_us,
		     double ppm, double noise_us)
{
	int yes = 0;
	double dummy;

	for (int s = s0; s < s0 + seconds; s++) {
		double tr = (double)base_us - ppm * s + rng_uniform(-noise_us, noise_us);

		vc_drift_sample(d, t0 + (uint64_t)s * SEC, (int64_t)llround(tr));
		yes += vc_drift_ppm(d, &dummy);
	}
	return yes;
}

static void test_plus_100ppm(void)
{
	struct vc_drift d;
	double ppm = 0;
	int yes;

	rng_state = 1;
	vc_drift_init(&d, MIN_SPAN_S, STEP_MS);
	CHECK(!vc_drift_ppm(&d, &ppm)); /* nothing yet */
	/* t = 0..60 s: 61 samples, an estimate from t = 20 on (41 of them) */
	yes = feed_line(&d, T0, 0, 61, 123456789, 100.0, 500.0);
	CHECK_EQ(yes, 41);
	CHECK(vc_drift_ppm(&d, &ppm));
	if (verbose)
		fprintf(stderr, "  +100 ppm series, 60 s: %.2f ppm\n", ppm);
	CHECK(fabs(ppm - 100.0) <= 10.0);
	CHECK_EQ(d.restarts, 0);
}

static void test_minus_1000ppm(void)
{
	struct vc_drift d;
	double ppm = 0;

	rng_state = 2;
	vc_drift_init(&d, MIN_SPAN_S, STEP_MS);
	feed_line(&d, T0, 0, 61, -5000000, -1000.0, 500.0);
	CHECK(vc_drift_ppm(&d, &ppm));
	if (verbose)
		fprintf(stderr, "  -1000 ppm series, 60 s: %.2f ppm\n", ppm);
	CHECK(fabs(ppm + 1000.0) <= 10.0);
	CHECK_EQ(d.restarts, 0);
	/* no drift, no noise: exactly 0 */
	vc_drift_init(&d, MIN_SPAN_S, STEP_MS);
	feed_line(&d, T0, 0, 30, 777, 0.0, 0.0);
	CHECK(vc_drift_ppm(&d, &ppm));
	CHECK(fabs(ppm) < 1e-6);
}

/* Nothing before the samples span min_span_s, whatever their number. */
static void test_min_span(void)
{
	struct vc_drift d;
	double ppm;
	int yes = 0;

	vc_drift_init(&d, MIN_SPAN_S, STEP_MS);
	/* 100 samples 0.19 s apart: 18.81 s */
	for (int k = 0; k < 100; k++) {
		vc_drift_sample(&d, T0 + (uint64_t)k * 190000, 1000 - k * 19);
		yes += vc_drift_ppm(&d, &ppm);
	}
	CHECK_EQ(yes, 0);
	/* one more at 20 s: spans 20 s */
	vc_drift_sample(&d, T0 + 20 * SEC, 1000 - 2000);
	CHECK(vc_drift_ppm(&d, &ppm));
	CHECK(fabs(ppm - 100.0) < 1.0);
	/* exactly at the span */
	vc_drift_init(&d, 10.0, STEP_MS);
	for (int s = 0; s < 10; s++)
		vc_drift_sample(&d, T0 + (uint64_t)s * SEC, 0);
	CHECK(!vc_drift_ppm(&d, &ppm)); /* 9 s */
	vc_drift_sample(&d, T0 + 10 * SEC, 0);
	CHECK(vc_drift_ppm(&d, &ppm)); /* 10 s */
	/* reset: nothing again */
	vc_drift_reset(&d);
	CHECK(!vc_drift_ppm(&d, &ppm));
	vc_drift_sample(&d, T0 + 11 * SEC, 0);
	CHECK(!vc_drift_ppm(&d, &ppm));
}

/* A 100 ms step (a route change, a restarted sender) starts the fit again:
 * no estimate until min_span_s later, then only the new line counts. */
static void test_step_restarts(void)
{
	struct vc_drift d;
	double ppm = 0;
	int yes;

	rng_state = 3;
	vc_drift_init(&d, MIN_SPAN_S, STEP_MS);
	feed_line(&d, T0, 0, 61, 0, 100.0, 500.0);
	CHECK(vc_drift_ppm(&d, &ppm));
	/* +100 ms, and from then on -1000 ppm */
	yes = feed_line(&d, T0 + 61 * SEC, 0, 20, 100000 - 6100, -1000.0, 500.0);
	CHECK_EQ(d.restarts, 1);
	CHECK_EQ(yes, 0); /* 19 s of the new line */
	yes = feed_line(&d, T0 + 61 * SEC, 20, 41, 100000 - 6100, -1000.0, 500.0);
	CHECK_EQ(yes, 41);
	CHECK(vc_drift_ppm(&d, &ppm));
	if (verbose)
		fprintf(stderr, "  after a +100 ms step: %.2f ppm (restarts %llu)\n", ppm,
			(unsigned long long)d.restarts);
	CHECK(fabs(ppm + 1000.0) <= 10.0);
	CHECK_EQ(d.restarts, 1);
	/* a step down restarts too */
	feed_line(&d, T0 + 200 * SEC, 0, 5, -500000, 0.0, 0.0);
	CHECK_EQ(d.restarts, 2);
	CHECK(!vc_drift_ppm(&d, &ppm));
	/* a 40 ms step does not (below step_ms) */
	vc_drift_init(&d, MIN_SPAN_S, STEP_MS);
	feed_line(&d, T0, 0, 30, 0, 0.0, 0.0);
	feed_line(&d, T0 + 30 * SEC, 0, 30, 40000, 0.0, 0.0);
	CHECK_EQ(d.restarts, 0);
	CHECK(vc_drift_ppm(&d, &ppm));
}

/* The fit is over the last VC_DRIFT_POINTS samples: after a slope change
 * (no step) the old line is forgotten once the ring has turned. */
static void test_window(void)
{
	struct vc_drift d;
	double ppm = 0;

	rng_state = 4;
	vc_drift_init(&d, MIN_SPAN_S, STEP_MS);
	feed_line(&d, T0, 0, 300, 0, 100.0, 500.0); /* the ring turned twice */
	CHECK(vc_drift_ppm(&d, &ppm));
	CHECK(fabs(ppm - 100.0) <= 5.0);
	/* continue from where the line is, at -200 ppm */
	feed_line(&d, T0 + 300 * SEC, 0, VC_DRIFT_POINTS, -30000, -200.0, 500.0);
	CHECK(vc_drift_ppm(&d, &ppm));
	if (verbose)
		fprintf(stderr, "  window: %.2f ppm after %d s at -200\n", ppm, VC_DRIFT_POINTS);
	CHECK(fabs(ppm + 200.0) <= 5.0);
	CHECK_EQ(d.restarts, 0);
}

/* Far from the origin: an 11-day uptime and a transit of 10^12 us (a
 * random RTP timestamp origin) lose no precision that matters. */
static void test_large_offsets(void)
{
	struct vc_drift d;
	double ppm = 0;

	rng_state = 5;
	vc_drift_init(&d, MIN_SPAN_S, STEP_MS);
	feed_line(&d, 1000 * T0, 0, 61, 1000000000000ll, 100.0, 500.0);
	CHECK(vc_drift_ppm(&d, &ppm));
	CHECK(fabs(ppm - 100.0) <= 10.0);
	vc_drift_init(&d, MIN_SPAN_S, STEP_MS);
	feed_line(&d, T0, 0, 61, -1000000000000ll, -1000.0, 500.0);
	CHECK(vc_drift_ppm(&d, &ppm));
	CHECK(fabs(ppm + 1000.0) <= 10.0);
}

/* Whatever it is fed, an estimate it gives is a finite number. */
static void test_hostile(void)
{
	struct vc_drift d;
	double ppm;
	int nonfinite = 0, given = 0;
	/* large, but with differences that fit in int64 (see
	 * test_int64_extremes for the rest) */
	const int64_t big = (int64_t)1 << 61;

	/* time standing still */
	vc_drift_init(&d, 0.0, STEP_MS);
	for (int k = 0; k < 200; k++) {
		vc_drift_sample(&d, T0, k * 10);
		if (vc_drift_ppm(&d, &ppm)) {
			given++;
			nonfinite += !isfinite(ppm);
		}
	}
	CHECK_EQ(nonfinite, 0);
	CHECK_EQ(given, 0); /* no time, no slope */
	/* time going backwards */
	vc_drift_init(&d, MIN_SPAN_S, STEP_MS);
	for (int k = 0; k < 200; k++) {
		vc_drift_sample(&d, T0 - (uint64_t)k * SEC, k * 10);
		if (vc_drift_ppm(&d, &ppm))
			nonfinite += !isfinite(ppm);
	}
	CHECK_EQ(nonfinite, 0);
	/* extremes of time and transit, mixed with sane samples */
	rng_state = 6;
	vc_drift_init(&d, 1.0, STEP_MS);
	for (int k = 0; k < 20000; k++) {
		uint64_t r = rng_next();
		uint64_t now;
		int64_t tr;

		switch (r % 6) {
		case 0: now = 0; break;
		case 1: now = UINT64_MAX; break;
		case 2: now = T0 + (uint64_t)k * 1000; break;
		case 3: now = T0; break;
		case 4: now = rng_next(); break;
		default: now = T0 + (uint64_t)k * SEC; break;
		}
		switch ((r >> 8) % 5) {
		case 0: tr = big; break;
		case 1: tr = -big; break;
		case 2: tr = 0; break;
		case 3: tr = (int64_t)(rng_next() >> 3) - (big / 2); break;
		default: tr = (int64_t)(r >> 40); break;
		}
		vc_drift_sample(&d, now, tr);
		if (vc_drift_ppm(&d, &ppm)) {
			given++;
			nonfinite += !isfinite(ppm);
		}
	}
	CHECK_EQ(nonfinite, 0);
	/* the same, but transit only small steps so the fit keeps going */
	vc_drift_init(&d, 0.0, 1e300);
	given = 0;
	for (int k = 0; k < 20000; k++) {
		uint64_t r = rng_next();
		uint64_t now = r % 3 == 0 ? UINT64_MAX - (r >> 50) : r % 3 == 1 ? r >> 20 : 0;
		int64_t tr = (int64_t)(rng_next() >> 4) - (big / 4);

		vc_drift_sample(&d, now, tr);
		if (vc_drift_ppm(&d, &ppm)) {
			given++;
			nonfinite += !isfinite(ppm);
		}
	}
	CHECK_EQ(nonfinite, 0);
	CHECK(given > 0);
	if (verbose)
		fprintf(stderr, "  hostile: %d estimates given, all finite\n", given);
}

/* INT64_MAX after INT64_MIN: the step test must not overflow int64
 * (UBSan checks it), and the estimate stays finite. */
static void test_int64_extremes(void)
{
	struct vc_drift d;
	double ppm;

	vc_drift_init(&d, 0.0, STEP_MS);
	vc_drift_sample(&d, T0, INT64_MIN);
	vc_drift_sample(&d, T0 + SEC, INT64_MAX);
	vc_drift_sample(&d, T0 + 2 * SEC, INT64_MIN);
	CHECK_EQ(d.restarts, 2);
	CHECK(!vc_drift_ppm(&d, &ppm));
}

/* End to end: a sender clock off by 'ppm', 20 ms Opus packets with 0..30 ms
 * of jitter through vc_jb; once a second the daemon's receive thread reads
 * the reference transit and feeds vc_drift. */
static double through_jb(double ppm_true, int seconds, uint64_t seed)
{
	struct vc_jb_cfg cfg = { .clock_rate = 48000, .slots = 256, .max_payload = 16 };
	struct vc_jb *jb = NULL;
	struct vc_drift d;
	int n = seconds * 50;
	uint64_t *arr = calloc((size_t)n, sizeof(*arr));
	int *idx = calloc((size_t)n, sizeof(*idx));
	uint64_t next_sample = T0 + SEC;
	double ppm = NAN;
	uint8_t b[4] = { 0 };
	int bad_put = 0;

	CHECK_EQ(vc_jb_new(&jb, &cfg), 0);
	if (!jb || !arr || !idx)
		goto out;
	rng_state = seed;
	vc_drift_init(&d, MIN_SPAN_S, STEP_MS);
	/* a fast sender clock sends its 20 ms of media in 20 / (1 + e) ms of ours */
	for (int i = 0; i < n; i++) {
		arr[i] = T0 + (uint64_t)llround(i * 20000.0 / (1.0 + ppm_true * 1e-6)) + 5000 +
			 (uint64_t)rng_uniform(0, 30000);
		idx[i] = i;
	}
	/* arrival order (insertion sort: nearly sorted already) */
	for (int i = 1; i < n; i++)
		for (int k = i; k > 0 && arr[idx[k - 1]] > arr[idx[k]]; k--) {
			int t = idx[k];

			idx[k] = idx[k - 1];
			idx[k - 1] = t;
		}
	for (int k = 0; k < n; k++) {
		int i = idx[k];
		int64_t tr;
		int r;

		while (arr[i] >= next_sample) {
			if (vc_jb_ref_transit_us(jb, &tr))
				vc_drift_sample(&d, next_sample, tr);
			next_sample += SEC;
		}
		/* nobody plays: the oldest packets overflow, which is fine,
		 * every arrival still feeds the reference */
		r = vc_jb_put(jb, (uint16_t)i, 0xffff0000u + (uint32_t)i * 960u, b, sizeof(b), arr[i]);
		bad_put += r != VC_JB_STORED && r != VC_JB_OVERFLOW;
	}
	if (!vc_drift_ppm(&d, &ppm))
		ppm = NAN;
	CHECK_EQ(d.restarts, 0);
	CHECK_EQ(bad_put, 0);
out:
	vc_jb_free(jb);
	free(arr);
	free(idx);
	return ppm;
}

static void test_through_jb(void)
{
	/* 121 s: the fit's full 120 samples (60 s gives up to ~13 ppm of
	 * error on some seeds with this jitter, 121 s under 5) */
	double p1 = through_jb(100.0, 121, 7), p2 = through_jb(-1000.0, 121, 8),
	       p3 = through_jb(0.0, 121, 9);

	if (verbose)
		fprintf(stderr, "  through vc_jb: %.2f (100), %.2f (-1000), %.2f (0) ppm\n", p1,
			p2, p3);
	CHECK(fabs(p1 - 100.0) <= 10.0);
	CHECK(fabs(p2 + 1000.0) <= 10.0);
	CHECK(fabs(p3) <= 10.0);
}

int main(void)
{
	verbose = getenv("VC_DRIFT_VERBOSE") != NULL;
	RUN(test_plus_100ppm);
	RUN(test_minus_1000ppm);
	RUN(test_min_span);
	RUN(test_step_restarts);
	RUN(test_window);
	RUN(test_large_offsets);
	RUN(test_hostile);
	RUN(test_int64_extremes);
	RUN(test_through_jb);
	return vc_test_summary();
}
