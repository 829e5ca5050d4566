/* test_nack.c - the NACK hole tracker (vc_nack.h) on a fake clock: when holes
 * are requested, re-requested and forgotten, restarts, the 65535 -> 0 wrap,
 * overflow, and next_due agreeing with collect.
 */
#include <string.h>

#include "vc_nack.h"
#include "vc_test.h"

#define MS 1000ull
#define T0 (10000 * MS) /* an arbitrary nonzero start time */

/* Defaults spelled out so the tests do not depend on them silently. */
static const struct vc_nack_cfg cfg_std = {
	.max_age_ms = 1000, .max_retries = 5, .min_retry_ms = 20,
	.reorder_wait_ms = 5, .max_gap = 256,
};

static unsigned collect(struct vc_nack *n, uint64_t now, uint64_t rtt, uint16_t *out)
{
	return vc_nack_collect(n, now, rtt, out, VC_NACK_MAX);
}

static void feed_range(struct vc_nack *n, uint16_t from, unsigned count, uint64_t now)
{
	for (unsigned i = 0; i < count; i++)
		vc_nack_on_packet(n, (uint16_t)(from + i), now);
}

static void test_defaults(void)
{
	struct vc_nack n;
	struct vc_nack_cfg c = { .max_retries = 3 };

	vc_nack_init(&n, NULL);
	CHECK_EQ(n.cfg.max_age_ms, 1000);
	CHECK_EQ(n.cfg.max_retries, 5);
	CHECK_EQ(n.cfg.min_retry_ms, 20);
	CHECK_EQ(n.cfg.reorder_wait_ms, 5);
	CHECK_EQ(n.cfg.max_gap, 256);
	vc_nack_init(&n, &c);
	CHECK_EQ(n.cfg.max_retries, 3);
	CHECK_EQ(n.cfg.max_gap, 256);
	CHECK_EQ(vc_nack_pending(&n), 0);
	CHECK_EQ(vc_nack_next_due(&n, 0), UINT64_MAX);
}

static void test_in_order(void)
{
	struct vc_nack n;
	uint16_t out[VC_NACK_MAX];
	uint64_t t = T0;

	vc_nack_init(&n, &cfg_std);
	for (unsigned i = 0; i < 1000; i++, t += 20 * MS) {
		CHECK_EQ(vc_nack_on_packet(&n, (uint16_t)(60000 + i), t), VC_NACK_NONE);
		CHECK_EQ(collect(&n, t, 0, out), 0);
	}
	CHECK_EQ(vc_nack_pending(&n), 0);
	CHECK_EQ(vc_nack_next_due(&n, 0), UINT64_MAX);
	CHECK_EQ(n.given_up, 0);
}

static void test_gap_of_three(void)
{
	struct vc_nack n;
	uint16_t out[VC_NACK_MAX];

	vc_nack_init(&n, &cfg_std);
	feed_range(&n, 100, 5, T0);                      /* 100..104 */
	vc_nack_on_packet(&n, 108, T0 + 1 * MS);         /* 105..107 missing */
	CHECK_EQ(vc_nack_pending(&n), 3);
	CHECK_EQ(collect(&n, T0 + 1 * MS, 0, out), 0);   /* just seen */
	CHECK_EQ(collect(&n, T0 + 6 * MS - 1, 0, out), 0); /* 1 us short of reorder_wait */
	CHECK_EQ(collect(&n, T0 + 6 * MS, 0, out), 3);
	CHECK_EQ(out[0], 105);
	CHECK_EQ(out[1], 106);
	CHECK_EQ(out[2], 107);
	/* requested now: not again until the retry interval */
	CHECK_EQ(collect(&n, T0 + 7 * MS, 0, out), 0);
}

static void test_collect_respects_max(void)
{
	struct vc_nack n;
	uint16_t out[4] = { 0 };

	vc_nack_init(&n, &cfg_std);
	vc_nack_on_packet(&n, 10, T0);
	vc_nack_on_packet(&n, 20, T0); /* 11..19 */
	CHECK_EQ(vc_nack_collect(&n, T0 + 5 * MS, 0, out, 2), 2);
	CHECK_EQ(out[0], 11);
	CHECK_EQ(out[1], 12);
	/* the rest stay due, oldest first */
	CHECK_EQ(vc_nack_collect(&n, T0 + 5 * MS, 0, out, 4), 4);
	CHECK_EQ(out[0], 13);
	CHECK_EQ(out[3], 16);
	CHECK_EQ(vc_nack_collect(&n, T0 + 5 * MS, 0, out, 0), 0);
	CHECK_EQ(vc_nack_pending(&n), 9);
}

static void test_reorder_not_requested(void)
{
	struct vc_nack n;
	uint16_t out[VC_NACK_MAX];

	vc_nack_init(&n, &cfg_std);
	vc_nack_on_packet(&n, 500, T0);
	vc_nack_on_packet(&n, 502, T0);              /* 501 late */
	CHECK_EQ(collect(&n, T0 + 2 * MS, 0, out), 0);
	CHECK_EQ(vc_nack_on_packet(&n, 501, T0 + 4 * MS), VC_NACK_RECOVERED);
	CHECK_EQ(vc_nack_pending(&n), 0);
	for (uint64_t t = T0 + 4 * MS; t < T0 + 2000 * MS; t += 5 * MS)
		CHECK_EQ(collect(&n, t, 0, out), 0);
	CHECK_EQ(n.given_up, 0);
}

static void test_retry_interval(void)
{
	struct vc_nack n;
	uint16_t out[VC_NACK_MAX];
	uint64_t t;

	/* rtt unknown: min_retry (20 ms) */
	vc_nack_init(&n, &cfg_std);
	vc_nack_on_packet(&n, 1, T0);
	vc_nack_on_packet(&n, 3, T0);
	t = T0 + 5 * MS;
	CHECK_EQ(collect(&n, t, 0, out), 1);
	CHECK_EQ(collect(&n, t + 20 * MS - 1, 0, out), 0);
	CHECK_EQ(collect(&n, t + 20 * MS, 0, out), 1);
	CHECK_EQ(out[0], 2);

	/* small rtt: the floor still wins (8 * 5/4 = 10 ms < 20 ms) */
	vc_nack_init(&n, &cfg_std);
	vc_nack_on_packet(&n, 1, T0);
	vc_nack_on_packet(&n, 3, T0);
	CHECK_EQ(collect(&n, t, 8 * MS, out), 1);
	CHECK_EQ(collect(&n, t + 20 * MS - 1, 8 * MS, out), 0);
	CHECK_EQ(collect(&n, t + 20 * MS, 8 * MS, out), 1);

	/* rtt 100 ms: 125 ms */
	vc_nack_init(&n, &cfg_std);
	vc_nack_on_packet(&n, 1, T0);
	vc_nack_on_packet(&n, 3, T0);
	CHECK_EQ(collect(&n, t, 100 * MS, out), 1);
	CHECK_EQ(collect(&n, t + 20 * MS, 100 * MS, out), 0);
	CHECK_EQ(collect(&n, t + 125 * MS - 1, 100 * MS, out), 0);
	CHECK_EQ(collect(&n, t + 125 * MS, 100 * MS, out), 1);
	CHECK_EQ(n.e[0].retries, 2);
	CHECK_EQ(n.e[0].last_sent_us, t + 125 * MS);
}

static void test_max_retries(void)
{
	struct vc_nack n;
	uint16_t out[VC_NACK_MAX];
	uint64_t t = T0 + 5 * MS;
	unsigned sent = 0;

	vc_nack_init(&n, &cfg_std);
	vc_nack_on_packet(&n, 40, T0);
	vc_nack_on_packet(&n, 42, T0);
	for (int i = 0; i < 5; i++, t += 20 * MS)
		sent += collect(&n, t, 0, out);
	CHECK_EQ(sent, 5);
	/* last request still has its retry interval to be answered */
	CHECK_EQ(vc_nack_pending(&n), 1);
	CHECK_EQ(n.given_up, 0);
	CHECK_EQ(vc_nack_next_due(&n, 0), UINT64_MAX); /* nothing more to send */
	CHECK_EQ(collect(&n, t - 1, 0, out), 0);
	CHECK_EQ(vc_nack_pending(&n), 1);
	CHECK_EQ(collect(&n, t, 0, out), 0);
	CHECK_EQ(vc_nack_pending(&n), 0);
	CHECK_EQ(n.given_up, 1);
	CHECK_EQ(n.recovered, 0);
	/* the packet turning up now is just ignored */
	CHECK_EQ(vc_nack_on_packet(&n, 41, t), VC_NACK_NONE);
	CHECK_EQ(n.recovered, 0);
}

static void test_last_retry_answered(void)
{
	struct vc_nack n;
	uint16_t out[VC_NACK_MAX];
	uint64_t t = T0 + 5 * MS;

	vc_nack_init(&n, &cfg_std);
	vc_nack_on_packet(&n, 40, T0);
	vc_nack_on_packet(&n, 42, T0);
	for (int i = 0; i < 5; i++, t += 20 * MS)
		CHECK_EQ(collect(&n, t, 0, out), 1);
	CHECK_EQ(collect(&n, t - 1, 0, out), 0);     /* a collect meanwhile keeps it */
	CHECK_EQ(vc_nack_on_packet(&n, 41, t - 1), VC_NACK_RECOVERED);
	CHECK_EQ(n.recovered, 1);
	CHECK_EQ(n.given_up, 0);
}

static void test_max_age(void)
{
	struct vc_nack n;
	uint16_t out[VC_NACK_MAX];
	struct vc_nack_cfg c = cfg_std;
	uint64_t t;

	/* many retries allowed: age is what ends it */
	c.max_retries = 1000;
	vc_nack_init(&n, &c);
	vc_nack_on_packet(&n, 7, T0);
	vc_nack_on_packet(&n, 9, T0);
	for (t = T0 + 5 * MS; t < T0 + 1000 * MS; t += 20 * MS)
		CHECK_EQ(collect(&n, t, 0, out), 1);
	CHECK_EQ(vc_nack_pending(&n), 1);
	/* next due would be at 1005 ms, past the age limit: never */
	CHECK_EQ(vc_nack_next_due(&n, 0), UINT64_MAX);
	CHECK_EQ(collect(&n, T0 + 1000 * MS - 1, 0, out), 0);
	CHECK_EQ(vc_nack_pending(&n), 1);
	CHECK_EQ(collect(&n, T0 + 1000 * MS, 0, out), 0);
	CHECK_EQ(vc_nack_pending(&n), 0);
	CHECK_EQ(n.given_up, 1);

	/* a hole never requested (collect not called) ages out too */
	vc_nack_init(&n, &cfg_std);
	vc_nack_on_packet(&n, 7, T0);
	vc_nack_on_packet(&n, 10, T0);
	CHECK_EQ(collect(&n, T0 + 2000 * MS, 0, out), 0);
	CHECK_EQ(n.given_up, 2);
}

static void test_recovered(void)
{
	struct vc_nack n;
	uint16_t out[VC_NACK_MAX];

	vc_nack_init(&n, &cfg_std);
	vc_nack_on_packet(&n, 1000, T0);
	vc_nack_on_packet(&n, 1005, T0);             /* 1001..1004 */
	CHECK_EQ(collect(&n, T0 + 5 * MS, 0, out), 4);
	CHECK_EQ(vc_nack_on_packet(&n, 1003, T0 + 30 * MS), VC_NACK_RECOVERED);
	CHECK_EQ(vc_nack_on_packet(&n, 1001, T0 + 31 * MS), VC_NACK_RECOVERED);
	CHECK_EQ(vc_nack_on_packet(&n, 1001, T0 + 32 * MS), VC_NACK_NONE); /* twice */
	CHECK_EQ(n.recovered, 2);
	CHECK_EQ(vc_nack_pending(&n), 2);
	CHECK_EQ(collect(&n, T0 + 25 * MS, 0, out), 2);
	CHECK_EQ(out[0], 1002);
	CHECK_EQ(out[1], 1004);
	/* order kept after removals */
	CHECK(n.e[0].seq < n.e[1].seq);
}

static void test_wrap(void)
{
	struct vc_nack n;
	uint16_t out[VC_NACK_MAX];

	vc_nack_init(&n, &cfg_std);
	CHECK_EQ(vc_nack_on_packet(&n, 65534, T0), VC_NACK_NONE);
	CHECK_EQ(vc_nack_on_packet(&n, 65535, T0), VC_NACK_NONE);
	CHECK_EQ(vc_nack_on_packet(&n, 1, T0), VC_NACK_NONE);  /* 0 missing */
	CHECK_EQ(vc_nack_pending(&n), 1);
	CHECK_EQ(collect(&n, T0 + 5 * MS, 0, out), 1);
	CHECK_EQ(out[0], 0);
	/* a late 65535 is a duplicate, not a huge backward jump */
	CHECK_EQ(vc_nack_on_packet(&n, 65535, T0 + 6 * MS), VC_NACK_NONE);
	CHECK_EQ(vc_nack_on_packet(&n, 0, T0 + 7 * MS), VC_NACK_RECOVERED);
	CHECK_EQ(vc_nack_pending(&n), 0);

	/* holes straddling the wrap come out oldest first */
	vc_nack_init(&n, &cfg_std);
	vc_nack_on_packet(&n, 65533, T0);
	vc_nack_on_packet(&n, 2, T0);                /* 65534 65535 0 1 */
	CHECK_EQ(collect(&n, T0 + 5 * MS, 0, out), 4);
	CHECK_EQ(out[0], 65534);
	CHECK_EQ(out[1], 65535);
	CHECK_EQ(out[2], 0);
	CHECK_EQ(out[3], 1);
}

static void test_forward_jump_restart(void)
{
	struct vc_nack n;
	uint16_t out[VC_NACK_MAX];

	vc_nack_init(&n, &cfg_std);
	vc_nack_on_packet(&n, 100, T0);
	vc_nack_on_packet(&n, 102, T0);              /* 101 */
	/* exactly max_gap ahead is still NACKed (255 holes, 128 kept) */
	CHECK_EQ(vc_nack_on_packet(&n, 102 + 256, T0), VC_NACK_NONE);
	CHECK_EQ(vc_nack_pending(&n), VC_NACK_MAX);
	vc_nack_init(&n, &cfg_std);
	vc_nack_on_packet(&n, 100, T0);
	vc_nack_on_packet(&n, 102, T0);              /* 101 */
	CHECK_EQ(vc_nack_on_packet(&n, 102 + 257, T0 + MS), VC_NACK_RESTART);
	CHECK_EQ(vc_nack_pending(&n), 0);
	CHECK_EQ(n.given_up, 1);
	CHECK_EQ(collect(&n, T0 + 500 * MS, 0, out), 0);
	CHECK_EQ(vc_nack_next_due(&n, 0), UINT64_MAX);
	/* tracking resumes from the new position */
	CHECK_EQ(vc_nack_on_packet(&n, 102 + 258, T0 + 2 * MS), VC_NACK_NONE);
	CHECK_EQ(vc_nack_on_packet(&n, 102 + 260, T0 + 2 * MS), VC_NACK_NONE);
	CHECK_EQ(collect(&n, T0 + 7 * MS, 0, out), 1);
	CHECK_EQ(out[0], 102 + 259);
}

static void test_backward_jump_restart(void)
{
	struct vc_nack n;
	uint16_t out[VC_NACK_MAX];

	vc_nack_init(&n, &cfg_std);
	vc_nack_on_packet(&n, 5000, T0);
	vc_nack_on_packet(&n, 5003, T0);             /* 5001 5002 */
	/* max_gap behind: an old packet, ignored */
	CHECK_EQ(vc_nack_on_packet(&n, 5003 - 256, T0), VC_NACK_NONE);
	CHECK_EQ(vc_nack_pending(&n), 2);
	CHECK_EQ(vc_nack_on_packet(&n, 5003 - 257, T0), VC_NACK_RESTART);
	CHECK_EQ(vc_nack_pending(&n), 0);
	CHECK_EQ(n.given_up, 2);
	/* the restarted stream continues from there without holes */
	CHECK_EQ(vc_nack_on_packet(&n, 5003 - 256, T0 + MS), VC_NACK_NONE);
	CHECK_EQ(collect(&n, T0 + 100 * MS, 0, out), 0);
	/* and a backward jump across the wrap */
	vc_nack_init(&n, &cfg_std);
	vc_nack_on_packet(&n, 10, T0);
	CHECK_EQ(vc_nack_on_packet(&n, 65000, T0), VC_NACK_RESTART);
	CHECK_EQ(vc_nack_on_packet(&n, 65001, T0), VC_NACK_NONE);
}

static void test_overflow_drops_oldest(void)
{
	struct vc_nack n;
	uint16_t out[VC_NACK_MAX];
	uint16_t s = 65500; /* across the wrap, for good measure */

	vc_nack_init(&n, &cfg_std);
	vc_nack_on_packet(&n, s, T0);
	/* 100 single holes: s+1, s+3, ... */
	for (int i = 0; i < 100; i++) {
		s = (uint16_t)(s + 2);
		vc_nack_on_packet(&n, s, T0 + (uint64_t)i * MS);
	}
	CHECK_EQ(vc_nack_pending(&n), 100);
	CHECK_EQ(n.given_up, 0);
	/* a gap of 40 more: 12 of the oldest must go */
	s = (uint16_t)(s + 41);
	vc_nack_on_packet(&n, s, T0 + 100 * MS);
	CHECK_EQ(vc_nack_pending(&n), VC_NACK_MAX);
	CHECK_EQ(n.given_up, 12);
	CHECK_EQ((uint16_t)n.e[0].seq, (uint16_t)(65500 + 1 + 2 * 12));
	CHECK_EQ((uint16_t)n.e[VC_NACK_MAX - 1].seq, (uint16_t)(s - 1));
	for (unsigned i = 1; i < n.n; i++)
		CHECK(n.e[i - 1].seq < n.e[i].seq);
	CHECK_EQ(collect(&n, T0 + 200 * MS, 0, out), VC_NACK_MAX);
	CHECK_EQ(out[0], (uint16_t)(65500 + 1 + 2 * 12));

	/* one gap bigger than the array: keeps the newest VC_NACK_MAX */
	vc_nack_init(&n, &cfg_std);
	vc_nack_on_packet(&n, 1, T0);
	vc_nack_on_packet(&n, 3, T0);                /* 2 */
	vc_nack_on_packet(&n, 3 + 201, T0);          /* 4..203: 200 holes */
	CHECK_EQ(vc_nack_pending(&n), VC_NACK_MAX);
	CHECK_EQ(n.given_up, 1 + 200 - VC_NACK_MAX);
	CHECK_EQ(n.e[0].seq, 204 - VC_NACK_MAX);
	CHECK_EQ(n.e[VC_NACK_MAX - 1].seq, 203);
}

static void test_duplicates(void)
{
	struct vc_nack n;
	uint16_t out[VC_NACK_MAX];

	vc_nack_init(&n, &cfg_std);
	feed_range(&n, 300, 10, T0);
	CHECK_EQ(vc_nack_on_packet(&n, 309, T0), VC_NACK_NONE);
	CHECK_EQ(vc_nack_on_packet(&n, 305, T0), VC_NACK_NONE);
	CHECK_EQ(vc_nack_on_packet(&n, 300, T0), VC_NACK_NONE);
	CHECK_EQ(vc_nack_pending(&n), 0);
	CHECK_EQ(n.recovered, 0);
	CHECK_EQ(collect(&n, T0 + 100 * MS, 0, out), 0);
}

static void test_next_due_matches_collect(void)
{
	static const uint64_t rtts[] = { 0, 10 * MS, 40 * MS, 300 * MS };
	struct vc_nack n;
	uint16_t out[VC_NACK_MAX];

	for (size_t k = 0; k < sizeof(rtts) / sizeof(rtts[0]); k++) {
		uint64_t rtt = rtts[k];
		uint64_t due;
		int rounds = 0;

		vc_nack_init(&n, &cfg_std);
		vc_nack_on_packet(&n, 10, T0);
		vc_nack_on_packet(&n, 12, T0);           /* 11 at T0 */
		vc_nack_on_packet(&n, 15, T0 + 3 * MS);  /* 13, 14 at T0+3 */
		CHECK_EQ(vc_nack_next_due(&n, rtt), T0 + 5 * MS);
		/* walk every due time: 1 us early gives nothing, on time gives some */
		while ((due = vc_nack_next_due(&n, rtt)) != UINT64_MAX && rounds < 100) {
			CHECK_EQ(collect(&n, due - 1, rtt, out), 0);
			CHECK(collect(&n, due, rtt, out) > 0);
			rounds++;
		}
		CHECK(rounds >= 5);
		CHECK(rounds < 100);
	}
	/* the nearest of first request and retry wins */
	vc_nack_init(&n, &cfg_std);
	vc_nack_on_packet(&n, 10, T0);
	vc_nack_on_packet(&n, 12, T0);
	CHECK_EQ(collect(&n, T0 + 5 * MS, 0, out), 1); /* 11 sent, retry at T0+25 */
	vc_nack_on_packet(&n, 14, T0 + 10 * MS);       /* 13 due at T0+15 */
	CHECK_EQ(vc_nack_next_due(&n, 0), T0 + 15 * MS);
	CHECK_EQ(vc_nack_next_due(&n, 0) - T0, 15 * MS);
	CHECK_EQ(collect(&n, T0 + 15 * MS, 0, out), 1);
	CHECK_EQ(out[0], 13);
	CHECK_EQ(vc_nack_next_due(&n, 0), T0 + 25 * MS);
}

static void test_reset(void)
{
	struct vc_nack n;
	uint16_t out[VC_NACK_MAX];

	vc_nack_init(&n, &cfg_std);
	vc_nack_on_packet(&n, 10, T0);
	vc_nack_on_packet(&n, 12, T0);
	vc_nack_on_packet(&n, 11, T0);
	vc_nack_on_packet(&n, 20, T0);
	vc_nack_reset(&n);
	CHECK_EQ(vc_nack_pending(&n), 0);
	CHECK_EQ(n.recovered, 1);                      /* statistics kept */
	CHECK_EQ(n.cfg.max_gap, 256);
	/* a new stream far away is not a jump */
	CHECK_EQ(vc_nack_on_packet(&n, 40000, T0), VC_NACK_NONE);
	CHECK_EQ(vc_nack_on_packet(&n, 40002, T0), VC_NACK_NONE);
	CHECK_EQ(collect(&n, T0 + 5 * MS, 0, out), 1);
	CHECK_EQ(out[0], 40001);
}

int main(void)
{
	RUN(test_defaults);
	RUN(test_in_order);
	RUN(test_gap_of_three);
	RUN(test_collect_respects_max);
	RUN(test_reorder_not_requested);
	RUN(test_retry_interval);
	RUN(test_max_retries);
	RUN(test_last_retry_answered);
	RUN(test_max_age);
	RUN(test_recovered);
	RUN(test_wrap);
	RUN(test_forward_jump_restart);
	RUN(test_backward_jump_restart);
	RUN(test_overflow_drops_oldest);
	RUN(test_duplicates);
	RUN(test_next_due_matches_collect);
	RUN(test_reset);
	return vc_test_summary();
}
