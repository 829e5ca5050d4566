/* test_ctl_link.c - the session's controllers on a fake clock, every input
 * and expected output a literal: the RTCP timer (vc_rtcp_interval_us),
 * peer liveness (vc_liveness) over a trace of packets and ticks, the clock
 * offset from SRs (vc_clockoff) with queueing noise, an SR that lies and a
 * route that got longer, and the retransmission history's rules and byte
 * budget (vc_sendhist).
 */
#include <stdint.h>
#include <string.h>

#include "vc_clockoff.h"
#include "vc_liveness.h"
#include "vc_sendhist.h"
#include "vc_session.h"
#include "vc_test.h"

#define N_OF(x) (sizeof(x) / sizeof((x)[0]))

/* ---- vc_rtcp_interval_us ---------------------------------------------- */

static void test_rtcp_interval_table(void)
{
	static const struct {
		bool connecting;
		uint32_t rnd;
		uint64_t us;
	} t[] = {
		{ true, 0, 200000 },
		{ true, 499999, 200000 },
		{ true, 4294967295u, 200000 },
		{ false, 0, 500000 },
		{ false, 1, 500001 },
		{ false, 250000, 750000 },
		{ false, 499999, 999999 },      /* the longest: under 1 s */
		{ false, 500000, 500000 },
		{ false, 999999, 999999 },
		{ false, 1000000, 500000 },
		{ false, 123456789, 956789 },
		{ false, 2147483648u, 983648 },
		{ false, 4294967295u, 967295 },
	};
	for (size_t i = 0; i < N_OF(t); i++)
		CHECK_EQ(vc_rtcp_interval_us(t[i].connecting, t[i].rnd), t[i].us);
	/* whatever rnd is: 0.5 s <= interval < 1 s */
	int out = 0;
	for (uint64_t r = 0; r <= 0xffffffffu; r += 65521u) {
		uint64_t us = vc_rtcp_interval_us(false, (uint32_t)r);
		out += us < 500000 || us >= 1000000;
	}
	CHECK_EQ(out, 0);
}

/* ---- vc_liveness ------------------------------------------------------ */

enum { PKT, TICK };

static void test_liveness_trace(void)
{
	static const struct {
		int op;
		uint64_t now_us;
		enum vc_live_event ev;
		enum vc_call_state st;
		uint64_t deadline;
	} t[] = {
		/* started at 1.0 s, 5 s timeout */
		{ TICK, 1000000, VC_LIVE_NONE, VC_ST_CONNECTING, UINT64_MAX },
		{ TICK, 100000000, VC_LIVE_NONE, VC_ST_CONNECTING, UINT64_MAX }, /* connecting never times out */
		{ PKT, 100500000, VC_LIVE_CONNECTED, VC_ST_CONNECTED, 105500001 },
		{ PKT, 101000000, VC_LIVE_NONE, VC_ST_CONNECTED, 106000001 },
		{ TICK, 103000000, VC_LIVE_NONE, VC_ST_CONNECTED, 106000001 },
		{ TICK, 105999999, VC_LIVE_NONE, VC_ST_CONNECTED, 106000001 },
		{ TICK, 106000000, VC_LIVE_NONE, VC_ST_CONNECTED, 106000001 },  /* exactly 5 s of silence */
		{ TICK, 106000001, VC_LIVE_LOST, VC_ST_PEER_LOST, UINT64_MAX }, /* just past it */
		{ TICK, 106000002, VC_LIVE_NONE, VC_ST_PEER_LOST, UINT64_MAX }, /* said once */
		{ TICK, 200000000, VC_LIVE_NONE, VC_ST_PEER_LOST, UINT64_MAX },
		{ PKT, 200100000, VC_LIVE_BACK, VC_ST_CONNECTED, 205100001 },
		{ PKT, 200100000, VC_LIVE_NONE, VC_ST_CONNECTED, 205100001 },
		/* a packet stamped before the last one (read before it, handled
		 * after) does not move the deadline back */
		{ PKT, 199000000, VC_LIVE_NONE, VC_ST_CONNECTED, 205100001 },
		/* a tick stamped before the last packet */
		{ TICK, 200000000, VC_LIVE_NONE, VC_ST_CONNECTED, 205100001 },
		/* the receive thread stalled 10 s with packets queued: the first
		 * tick after it says lost, the queued packets say back */
		{ TICK, 215100000, VC_LIVE_LOST, VC_ST_PEER_LOST, UINT64_MAX },
		{ PKT, 215100000, VC_LIVE_BACK, VC_ST_CONNECTED, 220100001 },
		{ PKT, 215100010, VC_LIVE_NONE, VC_ST_CONNECTED, 220100011 },
		{ TICK, 220100011, VC_LIVE_LOST, VC_ST_PEER_LOST, UINT64_MAX },
	};
	struct vc_liveness l;

	vc_liveness_init(&l, 5000000, 1000000);
	for (size_t i = 0; i < N_OF(t); i++) {
		enum vc_live_event ev = t[i].op == PKT ? vc_liveness_packet(&l, t[i].now_us)
						       : vc_liveness_tick(&l, t[i].now_us);
		if (ev != t[i].ev || vc_liveness_state(&l) != (int)t[i].st ||
		    vc_liveness_deadline(&l) != t[i].deadline)
			fprintf(stderr, "  liveness row %zu: event %d state %d deadline %llu\n", i, ev,
				vc_liveness_state(&l), (unsigned long long)vc_liveness_deadline(&l));
		CHECK_EQ(ev, t[i].ev);
		CHECK_EQ(vc_liveness_state(&l), t[i].st);
		CHECK_EQ(vc_liveness_deadline(&l), t[i].deadline);
	}
}

/* The deadline is the first tick that decides: one earlier decides
 * nothing, at it the peer is lost. */
static void test_liveness_deadline(void)
{
	static const struct {
		uint64_t timeout_us, packet_us, deadline;
	} t[] = {
		{ 5000000, 2000000, 7000001 },
		{ 1000000, 2000000, 3000001 },
		{ 30000000, 123456789, 153456790 },
	};
	for (size_t i = 0; i < N_OF(t); i++) {
		struct vc_liveness l;
		vc_liveness_init(&l, t[i].timeout_us, 1000000);
		CHECK_EQ(vc_liveness_packet(&l, t[i].packet_us), VC_LIVE_CONNECTED);
		CHECK_EQ(vc_liveness_deadline(&l), t[i].deadline);
		CHECK_EQ(vc_liveness_tick(&l, t[i].deadline - 1), VC_LIVE_NONE);
		CHECK_EQ(vc_liveness_tick(&l, t[i].deadline), VC_LIVE_LOST);
	}
	static const struct {
		int st;
		const char *name;
	} n[] = {
		{ VC_ST_CONNECTING, "connecting" }, { VC_ST_CONNECTED, "connected" },
		{ VC_ST_PEER_LOST, "peer-lost" },   { VC_ST_ENDED, "ended" },
		{ -1, "ended" },                    { 99, "ended" },
	};
	for (size_t i = 0; i < N_OF(n); i++)
		CHECK(strcmp(vc_call_state_name(n[i].st), n[i].name) == 0);
}

/* ---- vc_clockoff -------------------------------------------------------
 * SRs every 0.5 s from 1.0 s on, 2 s buckets (the default).  The true
 * offset is 20 ms; queueing adds 0..6 ms, and every bucket sees one clean
 * sample (the noise repeats every 4 SRs). */

static const int64_t q_us[4] = { 3000, 0, 6000, 1500 };

static void sample_good(struct vc_clockoff *o, uint64_t from_us, uint64_t to_us, int64_t base_us)
{
	for (uint64_t t = from_us; t <= to_us; t += 500000u)
		vc_clockoff_sample(o, t, base_us + q_us[(t / 500000u) % 4]);
}

static void test_clockoff_noise(void)
{
	static const struct {
		uint64_t now_us;
		int64_t sample_us;
		int64_t est_us;
	} t[] = {
		{ 1000000, 26000, 26000 }, /* the first sample is the estimate */
		{ 1500000, 21500, 21500 },
		{ 2000000, 23000, 21500 }, /* a new bucket; the old one still counts */
		{ 2500000, 20000, 20000 }, /* the floor */
		{ 3000000, 26000, 20000 },
		{ 3500000, 21500, 20000 },
		{ 4000000, 29000, 20000 }, /* queueing only ever adds */
	};
	struct vc_clockoff o;
	int64_t off = 0;

	vc_clockoff_init(&o, 0);
	CHECK_EQ(o.bucket_us, VC_CLOCKOFF_BUCKET_US);
	CHECK(!vc_clockoff_get(&o, 500000, &off));
	for (size_t i = 0; i < N_OF(t); i++) {
		vc_clockoff_sample(&o, t[i].now_us, t[i].sample_us);
		CHECK(vc_clockoff_get(&o, t[i].now_us, &off));
		CHECK_EQ(off, t[i].est_us);
	}
}

/* One SR that lies (500 ms too small, at 5.3 s, in the bucket that starts
 * at 4 s) is the estimate at first, while good SRs keep arriving, and is
 * forgotten when its bucket ages out: at 4 s + 8 x 2 s = 20 s, 14.7 s after
 * it.  One that lies the other way is never used. */
static void test_clockoff_lying_sr(void)
{
	static const struct {
		uint64_t now_us;
		int64_t est_us;
	} t[] = {
		{ 5300000, -480000 },  /* used at first */
		{ 10000000, -480000 },
		{ 19500000, -480000 },
		{ 19999999, -480000 }, /* its bucket is still in the window */
		{ 20000000, 20000 },   /* gone */
		{ 25000000, 20000 },
	};
	struct vc_clockoff o;
	int64_t off = 0;
	size_t k = 0;

	vc_clockoff_init(&o, 0);
	sample_good(&o, 1000000, 5000000, 20000);
	vc_clockoff_sample(&o, 5300000, 20000 - 500000);
	for (uint64_t now = 5300000; now <= 25000000; now += 100000) {
		if (now % 500000 == 0)
			sample_good(&o, now, now, 20000);
		while (k < N_OF(t) && t[k].now_us <= now + 99999) {
			/* the row's moment, between SRs */
			CHECK(vc_clockoff_get(&o, t[k].now_us, &off));
			if (off != t[k].est_us)
				fprintf(stderr, "  lying SR row %zu: %lld\n", k, (long long)off);
			CHECK_EQ(off, t[k].est_us);
			k++;
		}
	}
	CHECK_EQ(k, N_OF(t));
	/* 500 ms too large: ignored */
	vc_clockoff_sample(&o, 25100000, 520000);
	CHECK(vc_clockoff_get(&o, 25100000, &off));
	CHECK_EQ(off, 20000);
}

/* The route gets 25 ms longer at 30 s: the old floor holds until the last
 * bucket with an old sample (28..30 s) ages out at 44 s, then the new one
 * is the estimate.  With no SR for the length of the window, none. */
static void test_clockoff_longer_route(void)
{
	struct vc_clockoff o;
	int64_t off = 0;

	vc_clockoff_init(&o, 0);
	sample_good(&o, 1000000, 29500000, 20000);
	sample_good(&o, 30000000, 43500000, 45000);
	CHECK(vc_clockoff_get(&o, 43999999, &off));
	CHECK_EQ(off, 20000);
	CHECK(vc_clockoff_get(&o, 44000000, &off));
	CHECK_EQ(off, 45000);
	sample_good(&o, 44000000, 50000000, 45000);
	CHECK(vc_clockoff_get(&o, 50000000, &off));
	CHECK_EQ(off, 45000);
	/* The last SR at 50 s (3 ms of queueing) is alone in the bucket from
	 * 50 s: after 64 s it is the only one left, and gone at 66 s. */
	CHECK(vc_clockoff_get(&o, 63999999, &off));
	CHECK_EQ(off, 45000);
	CHECK(vc_clockoff_get(&o, 65999999, &off));
	CHECK_EQ(off, 48000);
	CHECK(!vc_clockoff_get(&o, 66000000, &off));
	/* a shorter bucket: the same rule at its scale (8 x 250 ms) */
	vc_clockoff_init(&o, 250000);
	vc_clockoff_sample(&o, 1100000, -100000); /* bucket from 1.0 s */
	vc_clockoff_sample(&o, 1600000, 7000);
	CHECK(vc_clockoff_get(&o, 2999999, &off));
	CHECK_EQ(off, -100000);
	CHECK(vc_clockoff_get(&o, 3000000, &off));
	CHECK_EQ(off, 7000);
}

/* ---- vc_sendhist -------------------------------------------------------- */

static uint8_t pkt[1200], out[1200];

static struct vc_sendhist *hist_of(uint32_t bps, unsigned n, size_t len)
{
	struct vc_sendhist *h;

	if (vc_sendhist_new(&h, bps))
		return NULL;
	for (unsigned i = 0; i < n; i++) {
		memset(pkt, (int)(i & 0xff), len);
		vc_sendhist_store(h, (uint16_t)i, pkt, len);
	}
	return h;
}

/* A NACK naming all 1000 packets of 1200 bytes, answered at one instant:
 * OK until this round trip's budget (budget_bps / 8 x RTT, at least 9600
 * bytes) is spent, then BUDGET.  The next RTT window has budget again. */
static void test_sendhist_budget_table(void)
{
	static const struct {
		uint32_t bps;
		uint64_t rtt_us;  /* as given */
		uint64_t win_us;  /* the window it makes */
		unsigned ok;
	} t[] = {
		{ 1000000, 100000, 100000, 10 },   /* 12500 bytes */
		{ 1000000, 0, 100000, 10 },        /* RTT unknown: 100 ms */
		{ 2000000, 50000, 50000, 10 },     /* 12500 */
		{ 2000000, 100000, 100000, 20 },   /* 25000 */
		{ 100000, 100000, 100000, 8 },     /* 1250: the 9600 floor */
		{ 0, 100000, 100000, 8 },
		{ 1000000, 1000, 20000, 8 },       /* RTT floored at 20 ms: 2500 -> 9600 */
		{ 1000000, 20000, 20000, 8 },
		{ 8000000, 20000, 20000, 16 },     /* 20000 */
		{ 4000000, 500000, 500000, 208 },  /* 250000 */
		{ 20000000, 1000000, 1000000, 1000 }, /* 2.5 MB: everything */
	};
	for (size_t i = 0; i < N_OF(t); i++) {
		struct vc_sendhist *h = hist_of(t[i].bps, 1000, 1200);
		const uint64_t now = 5000000;
		unsigned ok = 0, budget = 0, other = 0, first_refused = 1000;
		size_t len;

		CHECK(h != NULL);
		if (!h)
			continue;
		for (unsigned s = 0; s < 1000; s++) {
			enum vc_hist_result r = vc_sendhist_take(h, (uint16_t)s, now, t[i].rtt_us, out, sizeof(out),
								 &len);
			if (r == VC_HIST_OK) {
				ok++;
				CHECK_EQ(len, 1200);
				CHECK_EQ(out[0], s & 0xff);
			} else if (r == VC_HIST_BUDGET) {
				budget++;
				if (first_refused == 1000)
					first_refused = s;
				CHECK_EQ(len, 0);
			} else {
				other++;
			}
		}
		if (ok != t[i].ok)
			fprintf(stderr, "  budget row %zu: %u OK\n", i, ok);
		CHECK_EQ(ok, t[i].ok);
		CHECK_EQ(budget, 1000 - t[i].ok);
		CHECK_EQ(other, 0);
		CHECK_EQ(first_refused, t[i].ok); /* the first ones, then none */
		if (t[i].ok < 1000) {
			/* still this window 1 us before it ends: refused */
			CHECK_EQ(vc_sendhist_take(h, 999, now + t[i].win_us - 1, t[i].rtt_us, out, sizeof(out), &len),
				 VC_HIST_BUDGET);
			/* the next window: budget again, as much as before */
			unsigned again = 0;
			for (unsigned s = t[i].ok; s < 1000; s++)
				again += vc_sendhist_take(h, (uint16_t)s, now + t[i].win_us, t[i].rtt_us, out,
							  sizeof(out), &len) == VC_HIST_OK;
			CHECK_EQ(again, t[i].ok < 500 ? t[i].ok : 1000 - t[i].ok);
		}
		vc_sendhist_free(h);
	}
	/* The budget is bytes: 100-byte packets, 125 of them in 12500. */
	struct vc_sendhist *h = hist_of(1000000, 1000, 100);
	unsigned ok = 0;
	size_t len;
	for (unsigned s = 0; s < 1000; s++)
		ok += vc_sendhist_take(h, (uint16_t)s, 5000000, 100000, out, sizeof(out), &len) == VC_HIST_OK;
	CHECK_EQ(ok, 125);
	vc_sendhist_free(h);
}

static void test_sendhist_rules(void)
{
	struct vc_sendhist *h = hist_of(1000000, 1000, 1200);
	size_t len;

	/* the same packet twice within 10 ms */
	static const struct {
		uint16_t seq;
		uint64_t now_us;
		enum vc_hist_result r;
	} t[] = {
		{ 7, 5000000, VC_HIST_OK },
		{ 7, 5000000, VC_HIST_TOO_SOON },
		{ 7, 5009999, VC_HIST_TOO_SOON },
		{ 8, 5009999, VC_HIST_OK },        /* another packet is not held back */
		{ 7, 5010000, VC_HIST_OK },        /* 10 ms on */
		{ 1010, 5020000, VC_HIST_MISSING },/* never stored (an empty slot) */
		{ 2000, 5020000, VC_HIST_MISSING },/* never stored (slot 976 holds 976) */
		{ 976, 5020000, VC_HIST_OK },
		{ 65535, 5020000, VC_HIST_MISSING },
	};
	for (size_t i = 0; i < N_OF(t); i++) {
		enum vc_hist_result r = vc_sendhist_take(h, t[i].seq, t[i].now_us, 100000, out, sizeof(out), &len);
		if (r != t[i].r)
			fprintf(stderr, "  rules row %zu: %d\n", i, r);
		CHECK_EQ(r, t[i].r);
	}
	/* spend the window's budget (4 of 10 went above), then: a packet
	 * resent moments ago is TOO_SOON rather than BUDGET */
	for (uint16_t s = 100; s < 106; s++)
		CHECK_EQ(vc_sendhist_take(h, s, 5030000, 100000, out, sizeof(out), &len), VC_HIST_OK);
	CHECK_EQ(vc_sendhist_take(h, 200, 5030000, 100000, out, sizeof(out), &len), VC_HIST_BUDGET);
	CHECK_EQ(vc_sendhist_take(h, 105, 5035000, 100000, out, sizeof(out), &len), VC_HIST_TOO_SOON);
	/* a buffer too small for the packet */
	CHECK_EQ(vc_sendhist_take(h, 300, 5200000, 100000, out, 1199, &len), VC_HIST_MISSING);
	CHECK_EQ(len, 0);
	vc_sendhist_free(h);

	/* 1024 slots by seq % 1024, across the 16-bit wrap: 65000..65535 and
	 * 0..487 fill them; then 488 takes the slot of 65000 (65000 % 1024 =
	 * 488).  A packet stored anew in a slot is not TOO_SOON. */
	CHECK_EQ(vc_sendhist_new(&h, 100000000), 0);
	for (uint32_t s = 65000; s < 65000 + 1024; s++) {
		memset(pkt, (int)(s & 0xff), sizeof(pkt));
		vc_sendhist_store(h, (uint16_t)s, pkt, sizeof(pkt));
	}
	CHECK_EQ(vc_sendhist_take(h, 65000, 6000000, 100000, out, sizeof(out), &len), VC_HIST_OK);
	CHECK_EQ(vc_sendhist_take(h, 65535, 6000000, 100000, out, sizeof(out), &len), VC_HIST_OK);
	CHECK_EQ(out[0], 65535 & 0xff);
	CHECK_EQ(vc_sendhist_take(h, 0, 6000000, 100000, out, sizeof(out), &len), VC_HIST_OK);
	CHECK_EQ(vc_sendhist_take(h, 487, 6000000, 100000, out, sizeof(out), &len), VC_HIST_OK);
	CHECK_EQ(out[0], 487 & 0xff);
	memset(pkt, 0xab, sizeof(pkt));
	vc_sendhist_store(h, 488, pkt, sizeof(pkt));
	CHECK_EQ(vc_sendhist_take(h, 65000, 6001000, 100000, out, sizeof(out), &len), VC_HIST_MISSING);
	CHECK_EQ(vc_sendhist_take(h, 488, 6001000, 100000, out, sizeof(out), &len), VC_HIST_OK);
	CHECK_EQ(out[0], 0xab);
	CHECK_EQ(vc_sendhist_take(h, 64999, 6001000, 100000, out, sizeof(out), &len), VC_HIST_MISSING);
	/* a packet larger than a slot is not stored: the old one stays */
	static uint8_t big[1201];
	vc_sendhist_store(h, 65001, big, sizeof(big));
	CHECK_EQ(vc_sendhist_take(h, 65001, 6002000, 100000, out, sizeof(out), &len), VC_HIST_OK);
	CHECK_EQ(len, 1200);
	vc_sendhist_free(h);
	vc_sendhist_free(NULL);
}

int main(void)
{
	RUN(test_rtcp_interval_table);
	RUN(test_liveness_trace);
	RUN(test_liveness_deadline);
	RUN(test_clockoff_noise);
	RUN(test_clockoff_lying_sr);
	RUN(test_clockoff_longer_route);
	RUN(test_sendhist_budget_table);
	RUN(test_sendhist_rules);
	return vc_test_summary();
}
