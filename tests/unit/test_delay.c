/* test_delay.c - vc_delay (target-delay estimator) on generated jitter
 * profiles: 20 ms Opus packets at 48 kHz, plain microsecond times, a
 * fixed-seed PRNG, no sleeping.  Each scenario builds the packets' send
 * times and network delays, delivers them in arrival order (so jitter
 * larger than a packet reorders them, as a network would) and records the
 * estimator after every packet.  Set VC_DELAY_VERBOSE=1 for the figures. */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vc_delay.h"
#include "vc_test.h"
#include "vc_test_rng.h"
#include "vc_test_stats.h"

#define RATE 48000u
#define STEP 960u          /* 20 ms of RTP time */
#define PKT_US 20000u
#define FLOOR_MS 20u
#define CEIL_MS 500u
#define T0 1000000000000ull /* fake clock start, us */
#define MAXP 4096

static bool verbose;


struct pkt {
	uint32_t ts;
	uint64_t arrival;
	int idx;           /* send order */
};

/* What the estimator said after each delivered packet. */
struct trace {
	int n;
	uint64_t at[MAXP];     /* arrival time of the packet just fed */
	double target[MAXP];   /* whole ms */
	double pct[MAXP];
	struct vc_delay_stats st;
};

static struct pkt pk[MAXP];
static double delay_ms[MAXP];
static struct trace tr, tr2;

static struct vc_delay *mk(void)
{
	struct vc_delay_cfg cfg = {.clock_rate = RATE, .packet_ms = FLOOR_MS, .ceiling_ms = CEIL_MS};
	struct vc_delay *d = NULL;
	int err = vc_delay_new(&d, &cfg);

	CHECK_EQ(err, 0);
	return d;
}

/* Packets 0..n-1 sent every 20 ms from ts0, each delayed by delay_ms[i],
 * fed to a fresh estimator in arrival order (ties keep send order). */
static void run(int n, uint32_t ts0, struct trace *t)
{
	struct vc_delay *d = mk();

	for (int i = 0; i < n; i++) {
		pk[i].ts = ts0 + (uint32_t)i * STEP;
		pk[i].arrival = T0 + (uint64_t)i * PKT_US + (uint64_t)llround(delay_ms[i] * 1000);
		pk[i].idx = i;
	}
	for (int i = 1; i < n; i++) { /* insertion sort: nearly sorted already */
		struct pkt p = pk[i];
		int j = i;

		while (j > 0 && pk[j - 1].arrival > p.arrival) {
			pk[j] = pk[j - 1];
			j--;
		}
		pk[j] = p;
	}
	t->n = n;
	for (int i = 0; i < n && d; i++) {
		vc_delay_update(d, pk[i].ts, pk[i].arrival);
		t->at[i] = pk[i].arrival - T0;
		t->target[i] = vc_delay_target_ms(d);
		t->pct[i] = vc_delay_percentile_ms(d);
	}
	if (d)
		vc_delay_stats(d, &t->st);
	vc_delay_free(d);
}

static bool in_range(const struct trace *t)
{
	for (int i = 0; i < t->n; i++)
		if (t->target[i] < FLOOR_MS || t->target[i] > CEIL_MS)
			return false;
	return true;
}

/* (1) A perfect network: the target is the floor, one packet. */
static void test_no_jitter(void)
{
	int n = 500;

	for (int i = 0; i < n; i++)
		delay_ms[i] = 40;
	run(n, 12345, &tr);
	for (int i = 0; i < n; i++)
		CHECK_EQ(tr.target[i], FLOOR_MS);
	CHECK(tr.pct[n - 1] < 5.0);
	CHECK_EQ(tr.st.packets, n);
	CHECK_EQ(tr.st.reordered, 0);
	CHECK_EQ(tr.st.resets, 0);
	if (verbose)
		fprintf(stderr, "  no jitter: target %.0f ms, measured p95 %.2f ms\n",
			tr.target[n - 1], tr.pct[n - 1]);
}

/* Scenario helper for (2) and (3): after a 2 s start every target within
 * tol ms of the true 95th percentile of the delay variation. */
static void check_steady(const char *name, double tol)
{
	int n = 3000; /* 60 s */
	double p95 = rel_quantile(delay_ms, n, 0.95);
	struct span s = span_of(tr.at, tr.target, tr.n, 2.0, 1e9);

	CHECK(s.min >= p95 - tol && s.max <= p95 + tol);
	CHECK(fabs(s.mean - p95) < tol / 2);
	if (verbose)
		fprintf(stderr, "  %s: true p95 %.2f ms; target after 2 s min %.0f max %.0f "
			"mean %.2f ms; final measured %.2f ms; reordered %llu\n",
			name, p95, s.min, s.max, s.mean, tr.pct[n - 1],
			(unsigned long long)tr.st.reordered);
}

/* (2) Uniform jitter 0..30 ms: within 5 ms of the true 95th percentile. */
static void test_uniform_jitter(void)
{
	int n = 3000;

	rng_state = 2;
	for (int i = 0; i < n; i++)
		delay_ms[i] = 40 + rng_uniform(0, 30);
	run(n, 777, &tr);
	check_steady("uniform 0..30", 5);
	CHECK(tr.st.reordered > 0); /* 30 ms of jitter reorders 20 ms packets */
}

/* (3) The media-timing bar: 20 ms +- 15 ms, within 15 ms (we ask 5). */
static void test_20pm15(void)
{
	int n = 3000;

	rng_state = 3;
	for (int i = 0; i < n; i++) {
		double v = 20 + rng_uniform(-15, 15);

		delay_ms[i] = v < 0 ? 0 : v;
	}
	run(n, 0xabcdef01u, &tr);
	check_steady("20 +- 15", 5);
}

/* (4) 10 s calm (+-2 ms), 5 s burst (+-40 ms), 15 s calm. */
static void test_burst(void)
{
	int n = 1500;
	double pre, peak = 0, recovered_at = -1, risen_at = -1;
	struct span before, during, after;

	rng_state = 4;
	for (int i = 0; i < n; i++) {
		double t = i * 0.02, j = (t >= 10 && t < 15) ? 40 : 2, v;

		v = 50 + rng_uniform(-j, j);
		delay_ms[i] = v < 0 ? 0 : v;
	}
	run(n, 99, &tr);
	before = span_of(tr.at, tr.target, tr.n, 5, 10);
	during = span_of(tr.at, tr.target, tr.n, 10, 15.05);
	after = span_of(tr.at, tr.target, tr.n, 25, 31);
	pre = before.mean;
	for (int i = 0; i < tr.n; i++)
		peak = tr.target[i] > peak ? tr.target[i] : peak;
	/* Last moment after the burst at which the target was more than 10 ms
	 * above its pre-burst level: recovery is complete after it. */
	for (int i = 0; i < tr.n; i++) {
		double ts = (double)tr.at[i] / 1e6;

		if (ts >= 15 && fabs(tr.target[i] - pre) > 10)
			recovered_at = ts;
	}
	for (int i = 0; i < tr.n && risen_at < 0; i++)
		if (tr.at[i] >= 10000000 && tr.target[i] >= pre + 40)
			risen_at = (double)tr.at[i] / 1e6 - 10;
	CHECK(during.max >= pre + 40); /* the burst is seen (true p95 ~76 ms) */
	CHECK(recovered_at < 25);      /* back within 10 s of the burst's end */
	CHECK(after.max <= pre + 10);
	CHECK(in_range(&tr));
	if (verbose)
		fprintf(stderr, "  burst: pre-burst target %.1f ms (%.0f..%.0f), burst max %.0f "
			"(true burst p95 %.1f ms), +40 ms %.2f s into the burst, back within "
			"10 ms %.2f s after the burst ends, last 5 s %.0f..%.0f ms\n",
			pre, before.min, before.max, peak, rel_quantile(delay_ms + 500, 750 - 500, 0.95), risen_at,
			recovered_at < 0 ? 0 : recovered_at - 15, after.min, after.max);
}

/* (5) One packet 300 ms late moves the estimate by little, briefly. */
static void test_single_late(void)
{
	int n = 1000, late = 500;
	double worst = 0, worst_after = 0;

	rng_state = 5;
	for (int i = 0; i < n; i++)
		delay_ms[i] = 20 + rng_uniform(-15, 15);
	run(n, 5, &tr2);
	delay_ms[late] += 300;
	run(n, 5, &tr);
	/* The late packet arrives 300 ms later, so the traces line up by
	 * arrival time only after it; compare the percentile at equal
	 * arrival times (both traces hold the same other packets). */
	for (int i = 0, j = 0; i < tr.n; i++) {
		double diff;

		while (j < tr2.n - 1 && tr2.at[j] < tr.at[i])
			j++;
		if (tr2.at[j] != tr.at[i])
			continue; /* the late packet itself */
		diff = fabs(tr.pct[i] - tr2.pct[j]);

		worst = diff > worst ? diff : worst;
		if ((double)tr.at[i] / 1e6 > late * 0.02 + 0.3 + 3)
			worst_after = diff > worst_after ? diff : worst_after;
	}
	CHECK(worst < 3);
	CHECK(worst_after < 0.5);
	CHECK_EQ(tr.st.over_ceiling, 0);

	/* On a calm network the floor does not move at all. */
	rng_state = 55;
	for (int i = 0; i < n; i++)
		delay_ms[i] = 40 + rng_uniform(-2, 2);
	delay_ms[late] += 300;
	run(n, 5, &tr);
	CHECK(span_of(tr.at, tr.target, tr.n, 0, 100).max == FLOOR_MS);
	if (verbose)
		fprintf(stderr, "  single 300 ms late packet: percentile moved at most %.2f ms, "
			"%.3f ms from 3 s later; calm network target max %.0f ms\n",
			worst, worst_after, span_of(tr.at, tr.target, tr.n, 0, 100).max);
}

/* (6) The same stream across the 32-bit timestamp wrap: identical output. */
static void test_wrap(void)
{
	int n = 1000;
	bool same = true;

	rng_state = 6;
	for (int i = 0; i < n; i++)
		delay_ms[i] = 30 + rng_uniform(-25, 25); /* reorders across the wrap */
	run(n, 0x10000000u, &tr2);
	run(n, (uint32_t)(0u - 500u * STEP), &tr); /* wraps at packet 500, t = 10 s */
	CHECK(tr.st.reordered > 0);
	CHECK_EQ(tr.st.reordered, tr2.st.reordered);
	CHECK_EQ(tr.st.resets, 0);
	for (int i = 0; i < n; i++)
		if (tr.target[i] != tr2.target[i] || tr.pct[i] != tr2.pct[i])
			same = false;
	CHECK(same);
	if (verbose)
		fprintf(stderr, "  wrap: %s output across the wrap, final target %.0f ms, "
			"reordered %llu\n", same ? "identical" : "DIFFERENT", tr.target[n - 1],
			(unsigned long long)tr.st.reordered);
	/* And the bare wrap 0xFFFFFFFF -> 0 at the sample level. */
	{
		struct vc_delay *d = mk();
		uint32_t ts = 0xFFFFFFFFu - 100 * STEP + 1;

		for (int i = 0; i < 200 && d; i++, ts += STEP)
			vc_delay_update(d, ts, T0 + (uint64_t)i * PKT_US);
		if (d) {
			struct vc_delay_stats st;

			vc_delay_stats(d, &st);
			CHECK_EQ(vc_delay_target_ms(d), FLOOR_MS);
			CHECK(vc_delay_percentile_ms(d) < 5);
			CHECK_EQ(st.resets, 0);
			CHECK_EQ(st.reordered, 0);
		}
		vc_delay_free(d);
	}
}

/* (7) Every 10th packet held back 25 ms (so it arrives after the next
 * one): the target covers it, and nothing else moves. */
static void test_reorder(void)
{
	int n = 1000;

	for (int i = 0; i < n; i++)
		delay_ms[i] = (i % 10 == 5) ? 55 : 30;
	run(n, 1, &tr);
	CHECK_EQ(tr.st.reordered, n / 10);
	CHECK_EQ(tr.st.resets, 0);
	CHECK(tr.target[n - 1] >= 25 && tr.target[n - 1] <= 30);
	CHECK(tr.pct[n - 1] >= 25 && tr.pct[n - 1] <= 30);
	/* A held-back packet from before the wrap arriving after it. */
	{
		struct vc_delay *d = mk();
		uint32_t ts0 = 0u - 3 * STEP;
		uint64_t a = T0;

		struct vc_delay_stats st;

		if (d) {
			vc_delay_update(d, ts0, a);
			vc_delay_update(d, ts0 + STEP, a + PKT_US);
			vc_delay_update(d, ts0 + 3 * STEP, a + 3 * PKT_US); /* 0 */
			vc_delay_update(d, ts0 + 2 * STEP, a + 3 * PKT_US + 5000);
			vc_delay_update(d, ts0 + 4 * STEP, a + 4 * PKT_US);
			vc_delay_stats(d, &st);
			CHECK_EQ(st.reordered, 1);
			CHECK_EQ(st.resets, 0);
			CHECK_EQ(st.packets, 5);
			CHECK(fabs(st.last_rel_ms) < 1e-9);
		}
		vc_delay_free(d);
	}
	if (verbose)
		fprintf(stderr, "  reorder (10%% held 25 ms): target %.0f ms, measured %.2f ms, "
			"reordered %llu\n", tr.target[n - 1], tr.pct[n - 1],
			(unsigned long long)tr.st.reordered);
}

/* (8) Hostile input: timestamps jumping by hours, arrival time going
 * backwards (a little and a lot), extremes.  No crash, target always in
 * [floor, ceiling], and a normal stream afterwards settles again. */
static void test_hostile(void)
{
	struct vc_delay *d = mk();
	struct vc_delay_stats st;
	uint32_t ts = 4242;
	uint64_t a = T0;
	bool ok = true;
	const uint32_t hour = 3600u * RATE;

	if (!d)
		return;
	rng_state = 8;
#define FEED(t_, a_)                                                                \
	do {                                                                        \
		vc_delay_update(d, (t_), (a_));                                     \
		uint32_t tg_ = vc_delay_target_ms(d);                               \
		double p_ = vc_delay_percentile_ms(d);                              \
		if (tg_ < FLOOR_MS || tg_ > CEIL_MS || !(p_ >= 0 && p_ <= CEIL_MS)) \
			ok = false;                                                 \
	} while (0)
	for (int i = 0; i < 100; i++, ts += STEP, a += PKT_US)
		FEED(ts, a);
	FEED(ts + hour, a);          /* one packet an hour ahead */
	FEED(ts - hour, a + 1);      /* one an hour behind */
	FEED(ts + 0x80000000u, a + 2); /* exactly half the timestamp space */
	for (int i = 0; i < 50; i++, ts += STEP, a += PKT_US)
		FEED(ts, a);
	ts += 5 * hour;              /* the sender jumps for good */
	for (int i = 0; i < 50; i++, ts += STEP, a += PKT_US)
		FEED(ts, a);
	FEED(ts, a - 10000);         /* arrival 10 ms backwards */
	FEED(ts + STEP, a - 3600000000ull); /* arrival an hour backwards */
	FEED(ts + 2 * STEP, 0);
	FEED(ts + 3 * STEP, UINT64_MAX);
	FEED(ts + 4 * STEP, UINT64_MAX);
	FEED(0, 0);
	for (int i = 0; i < 2000; i++) /* random garbage */
		FEED((uint32_t)rng_next(), rng_next() >> (rng_next() & 63));
	for (int i = 0; i < 2000; i++) /* garbage mixed into a live stream */
		FEED(i % 7 ? ts + (uint32_t)i * STEP : (uint32_t)rng_next(),
		     a + (uint64_t)i * PKT_US - (i % 11 ? 0 : 1000000));
	CHECK(ok);
	vc_delay_stats(d, &st);
	CHECK(st.resets > 0);
	CHECK(st.clock_back > 0);
	/* A clean stream now: back to the floor within a few seconds. */
	ts = 17;
	a = T0 + 7200000000ull;
	for (int i = 0; i < 500; i++, ts += STEP, a += PKT_US)
		FEED(ts, a);
	CHECK(ok);
	CHECK_EQ(vc_delay_target_ms(d), FLOOR_MS);
	if (verbose)
		fprintf(stderr, "  hostile: resets %llu, clock_back %llu, over_ceiling %llu, "
			"final target %u ms\n", (unsigned long long)st.resets,
			(unsigned long long)st.clock_back, (unsigned long long)st.over_ceiling,
			vc_delay_target_ms(d));
#undef FEED
	/* Reset forgets the network. */
	for (int i = 0; i < 100; i++, ts += STEP, a += PKT_US)
		vc_delay_update(d, ts, a + (uint64_t)(i % 2) * 80000);
	CHECK(vc_delay_target_ms(d) > 60);
	vc_delay_reset(d);
	CHECK_EQ(vc_delay_target_ms(d), FLOOR_MS);
	CHECK(vc_delay_percentile_ms(d) == 0);
	vc_delay_stats(d, &st);
	CHECK_EQ(st.packets, 0);
	vc_delay_free(d);
}

/* (8b) A sender whose timestamps jump back by an hour for good, then a
 * receive clock that steps back an hour: each is one reference reset and
 * no packet is mistaken for an hour-late one (without the reset the next
 * window_ms of packets would all read "late beyond the ceiling").  Then
 * two 5 s pauses. */
static void test_jump_resets(void)
{
	struct vc_delay *d = mk();
	struct vc_delay_stats st;
	uint32_t ts = 1000, maxt = 0;
	uint64_t a = T0;
	const uint32_t hour = 3600u * RATE;

	if (!d)
		return;
	for (int i = 0; i < 300; i++, ts += STEP, a += PKT_US)
		vc_delay_update(d, ts, a);
	ts -= hour;
	for (int i = 0; i < 300; i++, ts += STEP, a += PKT_US) {
		vc_delay_update(d, ts, a);
		maxt = vc_delay_target_ms(d) > maxt ? vc_delay_target_ms(d) : maxt;
	}
	a -= 3600000000ull;
	for (int i = 0; i < 300; i++, ts += STEP, a += PKT_US) {
		vc_delay_update(d, ts, a);
		maxt = vc_delay_target_ms(d) > maxt ? vc_delay_target_ms(d) : maxt;
	}
	/* A 5 s pause with timestamps following real time (DTX), then one
	 * where the sender's timestamps simply carry on: neither is a jump
	 * nor late packets. */
	a += 5000000;
	ts += 250 * STEP;
	for (int i = 0; i < 100; i++, ts += STEP, a += PKT_US) {
		vc_delay_update(d, ts, a);
		maxt = vc_delay_target_ms(d) > maxt ? vc_delay_target_ms(d) : maxt;
	}
	a += 5000000;
	for (int i = 0; i < 100; i++, ts += STEP, a += PKT_US) {
		vc_delay_update(d, ts, a);
		maxt = vc_delay_target_ms(d) > maxt ? vc_delay_target_ms(d) : maxt;
	}
	vc_delay_stats(d, &st);
	CHECK_EQ(maxt, FLOOR_MS);
	CHECK_EQ(st.resets, 2);
	CHECK_EQ(st.clock_back, 1);
	CHECK_EQ(st.over_ceiling, 0);
	/* not counted: the clock-back restart packet, and the three packets
	 * of each confirmed timestamp jump */
	CHECK_EQ(st.packets, 1100 - 1 - 3);
	vc_delay_free(d);
}

static void test_cfg(void)
{
	struct vc_delay *d = NULL;
	struct vc_delay_cfg ok = {.clock_rate = RATE, .packet_ms = 20};
	struct vc_delay_cfg bad[] = {
		{.clock_rate = 0, .packet_ms = 20},
		{.clock_rate = RATE, .packet_ms = 0},
		{.clock_rate = RATE, .packet_ms = 20, .ceiling_ms = 10},
		{.clock_rate = RATE, .packet_ms = 20, .ceiling_ms = 20000},
		{.clock_rate = RATE, .packet_ms = 20, .bucket_ms = 1000},
		{.clock_rate = RATE, .packet_ms = 20, .ceiling_ms = 10000, .bucket_ms = 1},
		{.clock_rate = RATE, .packet_ms = 20, .quantile = 1.0},
		{.clock_rate = RATE, .packet_ms = 20, .quantile = -0.5},
		{.clock_rate = RATE, .packet_ms = 20, .memory_ms = 1000000},
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_EQ(vc_delay_new(&d, &bad[i]), -EINVAL);
		CHECK(d == NULL);
	}
	CHECK_EQ(vc_delay_new(NULL, &ok), -EINVAL);
	CHECK_EQ(vc_delay_new(&d, NULL), -EINVAL);
	CHECK_EQ(vc_delay_new(&d, &ok), 0);
	if (d) {
		CHECK_EQ(vc_delay_target_ms(d), 20);
		CHECK(vc_delay_percentile_ms(d) == 0);
	}
	vc_delay_free(d);
	vc_delay_free(NULL);
}

int main(void)
{
	const char *v = getenv("VC_DELAY_VERBOSE");

	verbose = v && *v && *v != '0';
	RUN(test_cfg);
	RUN(test_no_jitter);
	RUN(test_uniform_jitter);
	RUN(test_20pm15);
	RUN(test_burst);
	RUN(test_single_late);
	RUN(test_wrap);
	RUN(test_reorder);
	RUN(test_hostile);
	RUN(test_jump_resets);
	return vc_test_summary();
}
