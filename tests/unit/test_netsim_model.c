/* test_netsim_model.c - the impairment model of vc-netsim, without sockets. */
#include "netsim_model.h"
#include "vc_test.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

static struct ns_dir dir, dir2;
static unsigned char pkt[NS_MAX_PAYLOAD];

static void put_seq(uint32_t seq)
{
	memcpy(pkt, &seq, sizeof(seq));
}

static uint32_t get_seq(const unsigned char *b)
{
	uint32_t seq;

	memcpy(&seq, b, sizeof(seq));
	return seq;
}

/* Drain everything due by now into seqs[] (and arrival times); returns count. */
static int drain(struct ns_dir *d, uint64_t now, uint32_t *seqs, uint64_t *times, int max)
{
	unsigned char buf[NS_MAX_PAYLOAD];
	int n = 0, len;
	uint64_t due;

	while (n < max && ns_dir_next_due(d, &due) && due <= now) {
		len = ns_dir_pop(d, now, buf, sizeof(buf));
		if (len < 4)
			break;
		seqs[n] = get_seq(buf);
		if (times)
			times[n] = due;
		n++;
	}
	return n;
}

static void test_determinism(void)
{
	struct ns_params p = { .delay_ms = 20, .jitter_ms = 10, .loss = 0.05, .burst_loss = 0.02,
			       .burst_len = 3, .reorder = 0.05, .dup = 0.02, .rate_kbps = 2000,
			       .queue_ms = 100 };
	static uint32_t s1[30000], s2[30000];
	static uint64_t t1[30000], t2[30000];
	int n1 = 0, n2 = 0, same = 1;

	CHECK(ns_params_check(&p) == NULL);
	CHECK_EQ(ns_dir_init(&dir, &p, 42, 0, 0), 0);
	CHECK_EQ(ns_dir_init(&dir2, &p, 42, 0, 0), 0);
	for (uint32_t i = 0; i < 20000; i++) {
		uint64_t now = 1000 + (uint64_t)i * 500;

		put_seq(i);
		ns_dir_submit(&dir, now, pkt, 200 + i % 900);
		ns_dir_submit(&dir2, now, pkt, 200 + i % 900);
		n1 += drain(&dir, now, s1 + n1, t1 + n1, 30000 - n1);
		n2 += drain(&dir2, now, s2 + n2, t2 + n2, 30000 - n2);
	}
	n1 += drain(&dir, UINT64_MAX, s1 + n1, t1 + n1, 30000 - n1);
	n2 += drain(&dir2, UINT64_MAX, s2 + n2, t2 + n2, 30000 - n2);
	CHECK_EQ(n1, n2);
	for (int i = 0; i < n1 && i < n2; i++)
		if (s1[i] != s2[i] || t1[i] != t2[i])
			same = 0;
	CHECK(same);
	CHECK(memcmp(&dir.c, &dir2.c, sizeof(dir.c)) == 0);
	CHECK(dir.c.dropped_random > 0 && dir.c.dropped_burst > 0 && dir.c.duplicated > 0);
	ns_dir_free(&dir2);

	/* another seed, or the other direction, gives another pattern */
	CHECK_EQ(ns_dir_init(&dir2, &p, 43, 0, 0), 0);
	for (uint32_t i = 0; i < 20000; i++)
		ns_dir_submit(&dir2, 1000 + (uint64_t)i * 500, pkt, 200 + i % 900);
	CHECK(dir2.c.dropped_random != dir.c.dropped_random ||
	      dir2.c.dropped_burst != dir.c.dropped_burst);
	ns_dir_free(&dir2);
	CHECK_EQ(ns_dir_init(&dir2, &p, 42, 1, 0), 0);
	for (uint32_t i = 0; i < 20000; i++)
		ns_dir_submit(&dir2, 1000 + (uint64_t)i * 500, pkt, 200 + i % 900);
	CHECK(dir2.c.dropped_random != dir.c.dropped_random ||
	      dir2.c.dropped_burst != dir.c.dropped_burst);
	ns_dir_free(&dir2);
	ns_dir_free(&dir);
}

static void test_random_loss_rate(void)
{
	struct ns_params p = { .loss = 0.03 };
	double rate;

	CHECK_EQ(ns_dir_init(&dir, &p, 7, 0, 0), 0);
	for (uint32_t i = 0; i < 100000; i++) {
		put_seq(i);
		ns_dir_submit(&dir, (uint64_t)i * 100, pkt, 100);
		while (ns_dir_pop(&dir, (uint64_t)i * 100, pkt, sizeof(pkt)) >= 0)
			;
	}
	rate = (double)dir.c.dropped_random / 100000.0;
	fprintf(stderr, "  random loss: configured 3%%, got %.3f%%\n", rate * 100);
	CHECK(fabs(rate - 0.03) < 0.003); /* ~5 sigma of a binomial(100k, 3%) */
	CHECK_EQ(dir.c.packets_in, 100000);
	CHECK_EQ(dir.c.packets_out + dir.c.dropped_random, 100000);
	CHECK_EQ(dir.c.dropped_burst + dir.c.dropped_queue + dir.c.duplicated, 0);
	ns_dir_free(&dir);
}

static void test_gilbert_elliott(void)
{
	struct ns_params p = { .burst_loss = 0.05, .burst_len = 4 };
	uint64_t bursts = 0, lost = 0, run = 0;
	const uint32_t n = 200000;
	double rate, mean_len;

	CHECK(ns_params_check(&p) == NULL);
	CHECK_EQ(ns_dir_init(&dir, &p, 99, 0, 0), 0);
	for (uint32_t i = 0; i < n; i++) {
		uint64_t before = dir.c.dropped_burst;

		ns_dir_submit(&dir, (uint64_t)i * 100, pkt, 100);
		ns_dir_pop(&dir, (uint64_t)i * 100, pkt, sizeof(pkt));
		if (dir.c.dropped_burst != before) {
			lost++;
			run++;
		} else if (run) {
			bursts++;
			run = 0;
		}
	}
	if (run)
		bursts++;
	rate = (double)lost / n;
	mean_len = bursts ? (double)lost / (double)bursts : 0;
	fprintf(stderr, "  burst loss: configured 5%% x 4, got %.2f%% in bursts of %.2f\n",
		rate * 100, mean_len);
	CHECK(fabs(rate - 0.05) < 0.01);
	CHECK(fabs(mean_len - 4.0) < 0.4);
	ns_dir_free(&dir);

	/* impossible combinations are refused */
	p.burst_loss = 0.9;
	p.burst_len = 2;
	CHECK(ns_params_check(&p) != NULL);
	p.burst_loss = 0.1;
	p.burst_len = 0.5;
	CHECK(ns_params_check(&p) != NULL);
}

static void test_rate_cap(void)
{
	/* 97 B + 28 B header = 1000 bit = 1 ms at 1000 kbit/s */
	struct ns_params p = { .rate_kbps = 1000, .queue_ms = 50 };
	uint32_t seqs[200];
	uint64_t times[200];
	int n, paced = 1;

	CHECK_EQ(ns_dir_init(&dir, &p, 1, 0, 0), 0);
	for (uint32_t i = 0; i < 100; i++) {
		put_seq(i);
		ns_dir_submit(&dir, 10000, pkt, 97);
	}
	/* packet k starts after k ms of queueing: k = 0..50 fit, 51..99 wait too long */
	CHECK_EQ(dir.c.dropped_queue, 49);
	n = drain(&dir, UINT64_MAX, seqs, times, 200);
	CHECK_EQ(n, 51);
	for (int k = 0; k < n; k++)
		if (seqs[k] != (uint32_t)k || times[k] != 10000 + 1000 * (uint64_t)(k + 1))
			paced = 0;
	CHECK(paced);
	/* once the queue has drained, a packet goes straight through */
	put_seq(1000);
	CHECK_EQ(ns_dir_submit(&dir, 200000, pkt, 97), 1);
	CHECK(ns_dir_next_due(&dir, &times[0]) && times[0] == 201000);
	ns_dir_free(&dir);

	/* a steady overload: throughput stays at the cap */
	p.rate_kbps = 500;
	p.queue_ms = 100;
	CHECK_EQ(ns_dir_init(&dir, &p, 1, 0, 0), 0);
	for (uint32_t i = 0; i < 10000; i++) { /* 1000 bit every 1 ms = 1000 kbit/s offered */
		uint64_t now = (uint64_t)i * 1000;

		ns_dir_submit(&dir, now, pkt, 97);
		while (ns_dir_pop(&dir, now, pkt, sizeof(pkt)) >= 0)
			;
	}
	fprintf(stderr, "  rate cap: offered 2x the cap, delivered %llu of 10000, queue drops %llu\n",
		(unsigned long long)dir.c.packets_out, (unsigned long long)dir.c.dropped_queue);
	/* 10 s at 500 kbit/s = 5000 packets, minus what is still queued (<= 100 ms) */
	CHECK(dir.c.packets_out >= 4850 && dir.c.packets_out <= 5001);
	CHECK(dir.c.dropped_queue >= 4800);
	ns_dir_free(&dir);
}

static void test_jitter_keeps_order(void)
{
	struct ns_params p = { .delay_ms = 10, .jitter_ms = 15 };
	static uint32_t seqs[20000];
	static uint64_t times[20000];
	int n, ordered = 1;

	CHECK_EQ(ns_dir_init(&dir, &p, 5, 0, 0), 0);
	n = 0;
	for (uint32_t i = 0; i < 10000; i++) {
		put_seq(i);
		ns_dir_submit(&dir, (uint64_t)i * 1000, pkt, 100);
		n += drain(&dir, (uint64_t)i * 1000, seqs + n, times + n, 20000 - n);
	}
	n += drain(&dir, UINT64_MAX, seqs + n, times + n, 20000 - n);
	CHECK_EQ(n, 10000);
	for (int k = 0; k < n; k++)
		if (seqs[k] != (uint32_t)k)
			ordered = 0;
	CHECK(ordered);
	CHECK_EQ(dir.c.reordered, 0);
	ns_dir_free(&dir);

	/* sparse packets: each delay lies in delay +- jitter, mean near delay */
	p.jitter_ms = 5;
	CHECK_EQ(ns_dir_init(&dir, &p, 5, 0, 0), 0);
	{
		double sum = 0;
		uint64_t lo = UINT64_MAX, hi = 0;

		for (uint32_t i = 0; i < 2000; i++) {
			uint64_t now = (uint64_t)i * 50000, due;

			ns_dir_submit(&dir, now, pkt, 100);
			CHECK(ns_dir_next_due(&dir, &due));
			due -= now;
			sum += (double)due;
			lo = due < lo ? due : lo;
			hi = due > hi ? due : hi;
			ns_dir_pop(&dir, UINT64_MAX, pkt, sizeof(pkt));
		}
		CHECK(lo >= 5000 && hi <= 15000);
		CHECK(fabs(sum / 2000 - 10000) < 300);
	}
	ns_dir_free(&dir);
}

static void test_reorder(void)
{
	struct ns_params p = { .delay_ms = 5, .reorder = 0.05 };
	static uint32_t seqs[20000];
	int n, inversions = 0;
	uint32_t max_seen = 0;

	CHECK_EQ(ns_dir_init(&dir, &p, 11, 0, 0), 0);
	n = 0;
	for (uint32_t i = 0; i < 10000; i++) {
		put_seq(i);
		ns_dir_submit(&dir, (uint64_t)i * 1000, pkt, 100); /* 1 packet/ms */
		n += drain(&dir, (uint64_t)i * 1000, seqs + n, NULL, 20000 - n);
	}
	n += drain(&dir, UINT64_MAX, seqs + n, NULL, 20000 - n);
	CHECK_EQ(n, 10000);
	for (int k = 0; k < n; k++) {
		if (k && seqs[k] < max_seen)
			inversions++;
		if (seqs[k] > max_seen)
			max_seen = seqs[k];
	}
	fprintf(stderr, "  reorder: 5%% held back, %llu marked, %d arrive after a later one\n",
		(unsigned long long)dir.c.reordered, inversions);
	CHECK(fabs((double)dir.c.reordered / 10000 - 0.05) < 0.01);
	/* at 1 packet/ms a 5..30 ms hold-back is always overtaken */
	CHECK(inversions >= (int)dir.c.reordered * 9 / 10);
	ns_dir_free(&dir);
}

static void test_dup(void)
{
	struct ns_params p = { .dup = 0.1 };
	static uint32_t seqs[30000];
	int n, dups = 0;

	CHECK_EQ(ns_dir_init(&dir, &p, 3, 0, 0), 0);
	n = 0;
	for (uint32_t i = 0; i < 20000; i++) {
		put_seq(i);
		ns_dir_submit(&dir, (uint64_t)i * 5000, pkt, 100);
		n += drain(&dir, (uint64_t)i * 5000, seqs + n, NULL, 30000 - n);
	}
	n += drain(&dir, UINT64_MAX, seqs + n, NULL, 30000 - n);
	for (int k = 1; k < n; k++)
		if (seqs[k] == seqs[k - 1])
			dups++;
	CHECK_EQ(n, 20000 + (int)dir.c.duplicated);
	CHECK_EQ(dups, (int)dir.c.duplicated);
	CHECK(fabs((double)dir.c.duplicated / 20000 - 0.1) < 0.01);
	ns_dir_free(&dir);
}

static void test_blackout_and_limits(void)
{
	struct ns_params p = { .n_blackouts = 1, .blackouts = { { 2000000, 3000000 } } };
	uint64_t t0 = 5000000;

	CHECK_EQ(ns_dir_init(&dir, &p, 1, 0, t0), 0);
	for (uint32_t i = 0; i < 600; i++) /* 6 s at 100 packets/s */
		ns_dir_submit(&dir, t0 + (uint64_t)i * 10000, pkt, 100);
	CHECK_EQ(dir.c.dropped_blackout, 300);
	CHECK_EQ(ns_dir_held(&dir), 300);
	/* the pool is bounded: nothing is taken out, so it fills up */
	for (uint32_t i = 0; i < NS_MAX_HELD; i++)
		ns_dir_submit(&dir, t0 + 9000000, pkt, 100);
	CHECK_EQ(ns_dir_held(&dir), NS_MAX_HELD);
	CHECK_EQ(dir.c.dropped_overflow, 300);
	CHECK_EQ(ns_dir_submit(&dir, t0, pkt, NS_MAX_PAYLOAD + 1), 0);
	CHECK_EQ(dir.c.dropped_oversize, 1);
	CHECK_EQ(ns_dir_pop(&dir, 0, pkt, sizeof(pkt)), -1); /* nothing due yet */
	ns_dir_free(&dir);
}

/* Delay of one sparse packet (no queueing, no order clamp) submitted at now. */
static uint64_t one_delay(struct ns_dir *d, uint64_t now)
{
	uint64_t due = 0;

	ns_dir_submit(d, now, pkt, 100);
	CHECK(ns_dir_next_due(d, &due));
	ns_dir_pop(d, UINT64_MAX, pkt, sizeof(pkt));
	return due - now;
}

static void test_jitter_burst(void)
{
	/* 10 ms fixed delay; from 2 s to 3 s after t0 +- 8 ms of jitter */
	struct ns_params p = { .delay_ms = 10, .n_jitter_bursts = 1,
			       .jitter_bursts = { { 2000000, 1000000, 8.0 } } };
	uint64_t t0 = 7000000, lo = UINT64_MAX, hi = 0;
	int outside_exact = 1, n_in = 0;

	CHECK(ns_params_check(&p) == NULL);
	CHECK_EQ(ns_dir_init(&dir, &p, 21, 0, t0), 0);
	for (uint32_t i = 0; i < 400; i++) { /* 4 s, a packet every 10 ms */
		uint64_t t = (uint64_t)i * 10000, delay = one_delay(&dir, t0 + t);

		if (t >= 2000000 && t < 3000000) {
			lo = delay < lo ? delay : lo;
			hi = delay > hi ? delay : hi;
			n_in++;
		} else if (delay != 10000) {
			outside_exact = 0;
		}
	}
	fprintf(stderr, "  jitter burst: %d packets inside, delay %llu..%llu us\n", n_in,
		(unsigned long long)lo, (unsigned long long)hi);
	CHECK(outside_exact); /* no jitter before or after the window */
	CHECK_EQ(n_in, 100);
	CHECK(lo >= 2000 && hi <= 18000); /* 10 +- 8 ms ... */
	CHECK(hi - lo > 12000);           /* ... and it really spreads */

	/* the histogram saw all 400: min 2..10 ms, median 10 ms, max 10..18 ms */
	CHECK_EQ(dir.delay.n, 400);
	CHECK_EQ(dir.delay_small.n, 400); /* 100-byte packets count as audio */
	CHECK_EQ(dir.delay.min_us, lo);
	CHECK_EQ(dir.delay.max_us, hi);
	CHECK(fabs(ns_hist_pct_ms(&dir.delay, 50) - 10.0) < 0.11);
	CHECK(ns_hist_pct_ms(&dir.delay, 95) > 10.0 && ns_hist_pct_ms(&dir.delay, 95) <= 18.0);
	CHECK(ns_hist_pct_ms(&dir.delay, 100) == (double)hi / 1000.0);
	ns_dir_free(&dir);

	/* a burst that keeps order: 1 packet/ms through +- 30 ms never reorders */
	p.jitter_bursts[0].jitter_ms = 30;
	CHECK_EQ(ns_dir_init(&dir, &p, 21, 0, 0), 0);
	{
		static uint32_t seqs[5000];
		int n = 0, ordered = 1;

		for (uint32_t i = 0; i < 4000; i++) {
			put_seq(i);
			ns_dir_submit(&dir, (uint64_t)i * 1000, pkt, 1000);
			n += drain(&dir, (uint64_t)i * 1000, seqs + n, NULL, 5000 - n);
		}
		n += drain(&dir, UINT64_MAX, seqs + n, NULL, 5000 - n);
		CHECK_EQ(n, 4000);
		for (int k = 0; k < n; k++)
			if (seqs[k] != (uint32_t)k)
				ordered = 0;
		CHECK(ordered);
		CHECK_EQ(dir.delay.n, 4000);
		CHECK_EQ(dir.delay_small.n, 0); /* 1000-byte packets are not audio */
		CHECK(ns_hist_pct_ms(&dir.delay_small, 50) < 0);
	}
	ns_dir_free(&dir);

	/* limits */
	p.n_jitter_bursts = NS_MAX_JITTER_BURSTS + 1;
	CHECK(ns_params_check(&p) != NULL);
	p.n_jitter_bursts = 1;
	p.jitter_bursts[0].jitter_ms = -1;
	CHECK(ns_params_check(&p) != NULL);
}

static void test_delay_histogram(void)
{
	struct ns_params p = { .rate_kbps = 1000, .queue_ms = 5000 };

	/* 97 B + 28 B = 1 ms each at 1000 kbit/s: a burst of 3000 packets waits
	 * 1, 2, ... 3000 ms: 2000 ms and up (1001 of them) are beyond the bins */
	CHECK_EQ(ns_dir_init(&dir, &p, 1, 0, 0), 0);
	for (uint32_t i = 0; i < 3000; i++)
		ns_dir_submit(&dir, 0, pkt, 97);
	CHECK_EQ(dir.delay.n, 3000);
	CHECK_EQ(dir.delay.over, 1001);
	CHECK_EQ(dir.delay.min_us, 1000);
	CHECK_EQ(dir.delay.max_us, 3000000);
	CHECK(fabs(ns_hist_pct_ms(&dir.delay, 50) - 1500.0) < 0.11);
	CHECK(fabs(ns_hist_pct_ms(&dir.delay, 0) - 1.0) < 0.11);
	CHECK(ns_hist_pct_ms(&dir.delay, 95) == 3000.0); /* in 'over': reported as max */
	ns_dir_free(&dir);
}

int main(void)
{
	RUN(test_determinism);
	RUN(test_random_loss_rate);
	RUN(test_gilbert_elliott);
	RUN(test_rate_cap);
	RUN(test_jitter_keeps_order);
	RUN(test_reorder);
	RUN(test_dup);
	RUN(test_blackout_and_limits);
	RUN(test_jitter_burst);
	RUN(test_delay_histogram);
	return vc_test_summary();
}
