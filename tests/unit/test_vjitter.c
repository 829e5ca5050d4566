/* test_vjitter.c - vc_vjitter (video frame jitter and decode-time
 * estimator) on generated streams: 30 frames/s at 90 kHz, plain
 * microsecond times, a fixed-seed PRNG, no sleeping.  Each scenario builds
 * the frames' send times, sizes and network delays, delivers them in
 * arrival order (so jitter larger than a frame interval reorders them) and
 * records the estimate after every frame.  Set VC_VJITTER_VERBOSE=1 for the
 * figures. */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vc_test.h"
#include "vc_test_rng.h"
#include "vc_test_stats.h"
#include "vc_vjitter.h"

#define STEP 3000u            /* 1/30 s of 90 kHz RTP time */
#define FPS 30
#define CEIL_MS 500.0
#define T0 1000000000000ull   /* fake clock start, us */
#define MAXF 4096

static bool verbose;


struct frame {
	uint32_t ts;
	uint64_t arrival;
	uint32_t size;
};

/* What the estimator said after each delivered frame. */
struct trace {
	int n;
	uint64_t at[MAXF];    /* arrival time of the frame just fed, us from T0 */
	double est[MAXF];
	struct vc_vjitter_stats st;
};

static struct frame fr[MAXF];
static double delay_ms[MAXF];  /* network delay of frame i (send order) */
static uint32_t size_b[MAXF];
static struct trace tr, tr2;

static struct vc_vjitter *mk(void)
{
	struct vc_vjitter *vj = NULL;
	int err = vc_vjitter_new(&vj, NULL);

	CHECK_EQ(err, 0);
	return vj;
}

static uint64_t send_us(int i)
{
	return (uint64_t)i * 1000000u / FPS;
}

/* Frames 0..n-1 sent every 1/30 s from ts0 with sizes size_b[i], delayed
 * by delay_ms[i], fed to a fresh estimator in arrival order. */
static void run(int n, uint32_t ts0, struct trace *t)
{
	struct vc_vjitter *vj = mk();

	for (int i = 0; i < n; i++) {
		fr[i].ts = ts0 + (uint32_t)i * STEP;
		fr[i].arrival = T0 + send_us(i) + (uint64_t)llround(delay_ms[i] * 1000);
		fr[i].size = size_b[i];
	}
	for (int i = 1; i < n; i++) { /* insertion sort: nearly sorted already */
		struct frame f = fr[i];
		int j = i;

		for (; j > 0 && fr[j - 1].arrival > f.arrival; j--)
			fr[j] = fr[j - 1];
		fr[j] = f;
	}
	t->n = n;
	for (int i = 0; i < n && vj; i++) {
		vc_vjitter_frame(vj, fr[i].ts, fr[i].arrival, fr[i].size);
		t->at[i] = fr[i].arrival - T0;
		t->est[i] = vc_vjitter_ms(vj);
	}
	if (vj)
		vc_vjitter_stats(vj, &t->st);
	vc_vjitter_free(vj);
}

static bool sane(double v)
{
	return isfinite(v) && v >= 0 && v <= CEIL_MS;
}

/* (a) Constant transit, constant sizes: the estimate falls under 2 ms. */
static void test_constant(void)
{
	int n = 900;
	struct span s;

	for (int i = 0; i < n; i++) {
		delay_ms[i] = 40;
		size_b[i] = 5000;
	}
	run(n, 12345, &tr);
	s = span_of(tr.at, tr.est, tr.n, 1.0, 1e9);
	CHECK(s.max < 2.0);
	CHECK(tr.est[n - 1] < 1.0);
	CHECK_EQ(tr.st.frames, n - 1);
	CHECK_EQ(tr.st.reordered, 0);
	CHECK_EQ(tr.st.resets, 0);
	CHECK_EQ(tr.st.outliers, 0);
	if (verbose)
		fprintf(stderr, "  constant: estimate after 1 s at most %.3f ms, final %.3f ms\n",
			s.max, tr.est[n - 1]);
}

/* (b) Uniform +-15 ms on arrival: after 10 s the estimate stays between
 * 0.7 and 1.6 times what covers 99% of the frames (their delay above the
 * fastest one); the same with sizes varying 3000..5000 bytes that do not
 * affect the delay (theta0 must not make up a size term). */
static void test_uniform(void)
{
	int n = 3000;

	for (int pass = 0; pass < 2; pass++) {
		double p99;
		struct span s;

		rng_state = 2;
		for (int i = 0; i < n; i++) {
			delay_ms[i] = 50 + rng_uniform(-15, 15);
			size_b[i] = pass ? (uint32_t)rng_uniform(3000, 5000) : 4000;
		}
		run(n, 777, &tr);
		p99 = rel_quantile(delay_ms, n, 0.99);
		s = span_of(tr.at, tr.est, tr.n, 10, 1e9);
		CHECK(s.min >= 0.7 * p99 && s.max <= 1.6 * p99);
		CHECK(s.mean >= 0.9 * p99 && s.mean <= 1.4 * p99);
		CHECK_EQ(tr.st.resets, 0);
		CHECK_EQ(tr.st.reordered, 0); /* 30 ms of spread < 33 ms of frame */
		if (verbose)
			fprintf(stderr, "  +-15 ms%s: p99 of delay above the fastest %.2f ms; estimate "
				"after 10 s %.2f..%.2f, mean %.2f ms (%.2f..%.2f x p99); theta0 %.2g "
				"ms/B, outliers %llu\n", pass ? ", sizes 3000..5000" : "", p99,
				s.min, s.max, s.mean, s.min / p99, s.max / p99, tr.st.theta0,
				(unsigned long long)tr.st.outliers);
	}
}

/* (c) A 1 Mbit/s bottleneck (8 us per byte) and no random jitter: theta0
 * is learnt within 30% and the noise term stays small.  First frames of
 * 500..3500 bytes, which never queue; then the same with a 20 kB keyframe
 * every 100 frames, which holds the following frames in the queue. */
static void test_size_delay(void)
{
	const double truth = 0.008; /* ms per byte */
	int n = 3000;

	for (int pass = 0; pass < 2; pass++) {
		double link_free = 0, noise, size_term;
		struct span s;

		rng_state = 3;
		for (int i = 0; i < n; i++) {
			double sent = (double)send_us(i) / 1000.0, start;

			size_b[i] = (uint32_t)rng_uniform(500, 3500);
			if (pass && i % 100 == 50)
				size_b[i] = 20000;
			start = sent > link_free ? sent : link_free;
			link_free = start + size_b[i] * truth;
			delay_ms[i] = 20 + link_free - sent;
		}
		run(n, 4242, &tr);
		noise = 3 * sqrt(tr.st.noise_var);
		size_term = tr.st.theta0 * (tr.st.max_size - tr.st.avg_size);
		CHECK(fabs(tr.st.theta0 - truth) < 0.3 * truth);
		CHECK(noise < (pass ? 5.0 : 2.0));
		s = span_of(tr.at, tr.est, tr.n, 10, 1e9);
		CHECK(sane(s.min) && sane(s.max));
		if (pass) {
			/* The size term covers the keyframe's extra transmission
			 * time over an average frame (20000 - ~2000 bytes). */
			CHECK(s.min >= 0.8 * (20000 - 2000) * truth);
			/* Every keyframe, plus at most a few big early frames. */
			CHECK(tr.st.keyframes >= (uint64_t)n / 100 &&
			      tr.st.keyframes <= (uint64_t)n / 100 + 3);
			CHECK(tr.st.drained >= tr.st.keyframes);
		}
		if (verbose)
			fprintf(stderr, "  1 Mbit/s%s: theta0 %.5f ms/B (true %.3f, %+.1f%%), theta1 "
				"%.2f ms, noise term %.2f ms, size term %.1f ms; estimate after 10 s "
				"%.1f..%.1f ms; keyframes %llu, drained %llu, outliers %llu\n",
				pass ? " + 20 kB keyframes" : "", tr.st.theta0, truth,
				100 * (tr.st.theta0 - truth) / truth, tr.st.theta1, noise, size_term,
				s.min, s.max, (unsigned long long)tr.st.keyframes,
				(unsigned long long)tr.st.drained, (unsigned long long)tr.st.outliers);
	}
}

/* (d) 10 s calm (+-2 ms), 5 s burst (+-40 ms), 15 s calm: the burst is
 * seen, and within 10 s of its end the estimate is back within 5 ms. */
static void test_burst(void)
{
	int n = 900;
	double pre, back_at = -1;
	struct span before, during, after;

	rng_state = 4;
	for (int i = 0; i < n; i++) {
		double t = (double)i / FPS, j = (t >= 10 && t < 15) ? 40 : 2;

		delay_ms[i] = 60 + rng_uniform(-j, j);
		size_b[i] = 4000;
	}
	run(n, 99, &tr);
	before = span_of(tr.at, tr.est, tr.n, 5, 10);
	during = span_of(tr.at, tr.est, tr.n, 10, 15.1);
	after = span_of(tr.at, tr.est, tr.n, 25, 31);
	pre = before.mean;
	/* The last moment after the burst at which the estimate was more than
	 * 5 ms off its pre-burst level: it is back after that. */
	for (int i = 0; i < tr.n; i++) {
		double ts = (double)tr.at[i] / 1e6;

		if (ts >= 15 && fabs(tr.est[i] - pre) > 5)
			back_at = ts;
	}
	CHECK(during.max >= pre + 40); /* 3 sd of d for +-40 ms is ~98 ms */
	CHECK(back_at < 25);
	CHECK(after.max <= pre + 5 && after.min >= pre - 5);
	CHECK(tr.st.reordered > 0);    /* 80 ms of spread reorders frames */
	if (verbose)
		fprintf(stderr, "  burst: before %.2f ms (%.2f..%.2f), burst max %.1f ms (true p99 "
			"%.1f ms), back within 5 ms %.2f s after the burst, last 5 s %.2f..%.2f ms, "
			"reordered %llu\n", pre, before.min, before.max, during.max,
			rel_quantile(delay_ms + 300, 450 - 300, 0.99), back_at < 0 ? 0 : back_at - 15, after.min,
			after.max, (unsigned long long)tr.st.reordered);
}

/* One frame 25 ms late (not late enough to be overtaken) on a calm
 * +-1 ms network: its residual and the next one's are clamped to 4 sd, so
 * the estimate rises by a fraction of itself, not by the 25 ms. */
static void test_late_frame(void)
{
	int n = 600, late = 400;
	double before, peak = 0;

	rng_state = 7;
	for (int i = 0; i < n; i++) {
		delay_ms[i] = 30 + rng_uniform(-1, 1) + (i == late ? 25 : 0);
		size_b[i] = 4000;
	}
	run(n, 31337, &tr);
	before = tr.est[late - 1];
	for (int i = late; i < n; i++)
		peak = fmax(peak, tr.est[i]);
	CHECK_EQ(tr.st.outliers, 2);
	CHECK(peak < before + 3);
	CHECK(tr.est[n - 1] < before + 1);
	if (verbose)
		fprintf(stderr, "  one frame 25 ms late: estimate %.2f ms before, peak %.2f ms, "
			"%.2f ms 6 s later; outliers %llu\n", before, peak, tr.est[n - 1],
			(unsigned long long)tr.st.outliers);
}

/* (e) Hostile input, case by case, then a random storm. */
static void test_hostile(void)
{
	struct vc_vjitter *vj = mk();
	struct vc_vjitter_stats st;
	uint32_t ts;
	uint64_t a;
	double e;
	bool ok = true;

	if (!vj)
		return;
	/* Across the 32-bit wrap, against the same stream elsewhere. */
	rng_state = 5;
	for (int i = 0; i < 600; i++) {
		delay_ms[i] = 30 + rng_uniform(-5, 5);
		size_b[i] = 3000;
	}
	run(600, 0x10000000u, &tr2);
	run(600, 0u - 300u * STEP, &tr); /* wraps at frame 300, t = 10 s */
	CHECK_EQ(tr.st.resets, 0);
	CHECK_EQ(tr.st.reordered, 0);
	CHECK_EQ(tr.st.frames, 599);
	for (int i = 0; i < 600; i++)
		if (fabs(tr.est[i] - tr2.est[i]) > 0.1)
			ok = false;
	CHECK(ok);

	/* A calm stream to start from. */
	ts = 0xFFFFFF00u;
	a = T0;
	for (int i = 0; i < 300; i++, ts += STEP, a += 33333)
		vc_vjitter_frame(vj, ts, a, 3000);
	e = vc_vjitter_ms(vj);
	CHECK(e < 2);

	/* Size 0 changes nothing. */
	vc_vjitter_frame(vj, ts, a, 0);
	vc_vjitter_stats(vj, &st);
	CHECK_EQ(st.empty, 1);
	CHECK(vc_vjitter_ms(vj) == e);

	/* Duplicate and older timestamps are ignored, even seconds late. */
	vc_vjitter_frame(vj, ts - STEP, a + 5000, 3000);
	vc_vjitter_frame(vj, ts - 5 * STEP, a + 3000000, 3000);
	vc_vjitter_stats(vj, &st);
	CHECK_EQ(st.reordered, 2);
	CHECK_EQ(st.resets, 0);
	CHECK(vc_vjitter_ms(vj) == e);

	/* Arrival going backwards a little: zero elapsed, counted. */
	vc_vjitter_frame(vj, ts, a - 40000, 3000);
	ts += STEP;
	a += 33333;
	vc_vjitter_stats(vj, &st);
	CHECK_EQ(st.clock_back, 1);
	CHECK_EQ(st.resets, 0);
	CHECK(sane(vc_vjitter_ms(vj)));

	/* Timestamp jumps (forwards by hours, backwards by an hour) and
	 * arrival jumps (back an hour, forward a day) restart the filter. */
	vc_vjitter_frame(vj, ts + 1000000000u, a, 3000);
	ts += 1000000000u - 90000u * 3600u;
	vc_vjitter_frame(vj, ts, a + 33333, 3000);
	vc_vjitter_frame(vj, ts + STEP, a + 33333 - 3600000000ull, 3000);
	a += 86400000000ull;
	vc_vjitter_frame(vj, ts + 2 * STEP, a, 3000);
	vc_vjitter_stats(vj, &st);
	CHECK_EQ(st.resets, 4);
	CHECK_EQ(st.reordered, 2);
	CHECK_EQ(st.clock_back, 1);
	CHECK(sane(vc_vjitter_ms(vj)));
	/* ... and it learns again from there. */
	ts += 3 * STEP;
	a += 33333;
	for (int i = 0; i < 300; i++, ts += STEP, a += 33333)
		vc_vjitter_frame(vj, ts, a, 3000);
	CHECK(vc_vjitter_ms(vj) < 2);

	/* Huge sizes: clamped, the estimate pinned at most at the ceiling. */
	for (int i = 0; i < 50; i++, ts += STEP, a += 33333)
		vc_vjitter_frame(vj, ts, a + (i & 1) * 20000, (i % 3) ? 3000 : UINT32_MAX);
	vc_vjitter_stats(vj, &st);
	CHECK_EQ(st.oversize, 17);
	CHECK(sane(vc_vjitter_ms(vj)) && isfinite(st.theta0) && isfinite(st.noise_var));

	/* A storm: random timestamps (steps, jumps, repeats), random arrivals
	 * (forwards, backwards, extreme), random sizes.  Never out of range. */
	ok = true;
	rng_state = 55;
	for (int i = 0; i < 200000; i++) {
		uint64_t r = rng_next();
		uint32_t size;

		switch (r & 7) {
		case 0: ts = (uint32_t)(r >> 32); break;
		case 1: break;
		case 2: ts -= (uint32_t)(r >> 40); break;
		default: ts += (uint32_t)((r >> 8) & 0xffff); break;
		}
		switch ((r >> 3) & 7) {
		case 0: a = r; break;
		case 1: a -= (r >> 40); break;
		case 2: a = UINT64_MAX; break;
		default: a += (r >> 44); break;
		}
		size = ((r >> 6) & 7) == 0 ? 0 : ((r >> 6) & 7) == 1 ? UINT32_MAX
									: (uint32_t)(r >> 48);
		vc_vjitter_frame(vj, ts, a, size);
		if (!sane(vc_vjitter_ms(vj)))
			ok = false;
	}
	vc_vjitter_stats(vj, &st);
	CHECK(ok);
	CHECK(isfinite(st.theta0) && isfinite(st.theta1) && isfinite(st.noise_var) &&
	      isfinite(st.avg_size) && isfinite(st.max_size));
	CHECK_EQ(st.nonfinite, 0);
	if (verbose)
		fprintf(stderr, "  storm: frames %llu, reordered %llu, empty %llu, oversize %llu, "
			"clock_back %llu, resets %llu, outliers %llu, keyframes %llu; final "
			"estimate %.2f ms\n", (unsigned long long)st.frames,
			(unsigned long long)st.reordered, (unsigned long long)st.empty,
			(unsigned long long)st.oversize, (unsigned long long)st.clock_back,
			(unsigned long long)st.resets, (unsigned long long)st.outliers,
			(unsigned long long)st.keyframes, vc_vjitter_ms(vj));

	/* Reset forgets everything. */
	vc_vjitter_reset(vj);
	vc_vjitter_stats(vj, &st);
	CHECK_EQ(st.frames + st.reordered + st.resets + st.empty + st.oversize, 0);
	CHECK(fabs(vc_vjitter_ms(vj) - 6.0) < 1e-9); /* 3 x the 2 ms prior */
	vc_vjitter_free(vj);
}

/* (f) Decode time: the 95th percentile (nearest rank) of the last 64. */
static void test_decode(void)
{
	struct vc_vjitter_cfg cfg = {.decode_window = 20};
	struct vc_vjitter *vj = mk(), *v20 = NULL;

	CHECK_EQ(vc_vjitter_new(&v20, &cfg), 0);
	if (!vj || !v20)
		goto out;
	CHECK(vc_vjitter_decode_ms(vj) == 0);
	vc_vjitter_decode_time(vj, 5000);
	CHECK(vc_vjitter_decode_ms(vj) == 5.0);
	/* 1..100 ms in a scrambled order: 37..100 kept; 61st smallest = 97. */
	vc_vjitter_reset(vj);
	for (int i = 0; i < 100; i++) {
		int v = (i * 37) % 100 + 1;

		vc_vjitter_decode_time(vj, (uint64_t)v * 1000);
	}
	/* The kept 64 are the last fed: (i * 37) % 100 + 1 for i = 36..99. */
	{
		double kept[64];

		for (int i = 36; i < 100; i++)
			kept[i - 36] = (i * 37) % 100 + 1;
		qsort(kept, 64, sizeof(*kept), cmp_double);
		CHECK(vc_vjitter_decode_ms(vj) == kept[60]);
	}
	/* 3 spikes in 64 are above the 95th percentile, 4 are not. */
	vc_vjitter_reset(vj);
	for (int i = 0; i < 64; i++)
		vc_vjitter_decode_time(vj, 10000);
	for (int i = 0; i < 3; i++)
		vc_vjitter_decode_time(vj, 200000);
	CHECK(vc_vjitter_decode_ms(vj) == 10.0);
	vc_vjitter_decode_time(vj, 200000);
	CHECK(vc_vjitter_decode_ms(vj) == 200.0);
	/* Window 20: 1..20 ms -> the 19th; a 21st sample pushes out the 1. */
	for (int i = 1; i <= 20; i++)
		vc_vjitter_decode_time(v20, (uint64_t)i * 1000);
	CHECK(vc_vjitter_decode_ms(v20) == 19.0);
	vc_vjitter_decode_time(v20, 30000);
	CHECK(vc_vjitter_decode_ms(v20) == 20.0);
	/* Absurd durations are clamped to 10 s. */
	vc_vjitter_reset(v20);
	vc_vjitter_decode_time(v20, UINT64_MAX);
	CHECK(vc_vjitter_decode_ms(v20) == 10000.0);
	/* Frames do not touch it, reset does. */
	vc_vjitter_frame(v20, 1, T0, 1000);
	CHECK(vc_vjitter_decode_ms(v20) == 10000.0);
	vc_vjitter_reset(v20);
	CHECK(vc_vjitter_decode_ms(v20) == 0);
out:
	vc_vjitter_free(vj);
	vc_vjitter_free(v20);
}

static void test_cfg(void)
{
	struct vc_vjitter *vj = (struct vc_vjitter *)&vj;
	struct vc_vjitter_cfg bad[] = {
		{.clock_rate = 999},
		{.clock_rate = 1000001},
		{.ceiling_ms = 10001},
		{.reset_ms = 60001},
		{.noise_memory_ms = 60001},
		{.max_frame_bytes = (64u << 20) + 1},
		{.decode_window = 65},
	};
	struct vc_vjitter_cfg good = {.clock_rate = 90000, .ceiling_ms = 100};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_EQ(vc_vjitter_new(&vj, &bad[i]), -EINVAL);
	CHECK_EQ(vc_vjitter_new(NULL, NULL), -EINVAL);
	CHECK_EQ(vc_vjitter_new(&vj, &good), 0);
	/* The ceiling holds: a 2 s delay swing every other frame. */
	for (int i = 0; i < 100; i++)
		vc_vjitter_frame(vj, (uint32_t)i * STEP, T0 + send_us(i) + (i & 1) * 1500000u, 1000);
	CHECK(vc_vjitter_ms(vj) == 100.0);
	vc_vjitter_free(vj);
	vc_vjitter_free(NULL);
}

int main(void)
{
	const char *v = getenv("VC_VJITTER_VERBOSE");

	verbose = v && *v && *v != '0';
	RUN(test_constant);
	RUN(test_uniform);
	RUN(test_size_delay);
	RUN(test_burst);
	RUN(test_late_frame);
	RUN(test_hostile);
	RUN(test_decode);
	RUN(test_cfg);
	return vc_test_summary();
}
