/* test_jb.c - vc_jb on a fake clock: exact playout timing, reordering,
 * duplicates, late packets, loss with FEC candidates, wrap-around, jitter,
 * overflow, oversize payloads, restarts and reset. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "vc_clock.h"
#include "vc_jb.h"
#include "vc_test.h"

#define RATE 48000u
#define STEP 960u           /* 20 ms */
#define MS 1000u
#define T0 1000000000ull    /* fake clock start */

struct pk {
	uint16_t seq;
	uint32_t ts;
	uint64_t arrival;
	size_t len;
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
	bool data_ok;
};

struct sim {
	struct vc_jb *jb;
	struct vc_clock clk;
	struct ev ev[4096];
	int nev;
	int npacket, nmissing, nfec;
	uint64_t stall_from, stall_to; /* playout side does not call get */
};

static uint8_t pat(uint16_t seq, size_t k)
{
	return (uint8_t)(seq * 31u + k);
}

static bool data_matches(const uint8_t *d, size_t len, uint16_t seq, size_t want_len)
{
	if (len != want_len || (len && !d))
		return false;
	for (size_t k = 0; k < len; k++)
		if (d[k] != pat(seq, k))
			return false;
	return true;
}

static size_t len_of(uint16_t seq)
{
	return 20 + seq % 50;
}

static void put_pk(struct sim *s, struct pk *p)
{
	uint8_t buf[256];

	for (size_t k = 0; k < p->len && k < sizeof(buf); k++)
		buf[k] = pat(p->seq, k);
	p->put_res = vc_jb_put(s->jb, p->seq, p->ts, buf, p->len, p->arrival);
}

/* Stream of n 20 ms packets starting at seq0/ts0, sent at T0 + i*20 ms,
 * arriving after 'transit' plus extra[i] (ms). */
static void make_stream(struct pk *p, int n, uint16_t seq0, uint32_t ts0, uint64_t transit_us)
{
	for (int i = 0; i < n; i++) {
		p[i].seq = (uint16_t)(seq0 + i);
		p[i].ts = ts0 + (uint32_t)i * STEP;
		p[i].arrival = T0 + (uint64_t)i * 20 * MS + transit_us;
		p[i].len = len_of(p[i].seq);
		p[i].drop = false;
		p[i].put_res = -1;
	}
}

/* Advance the fake clock in 1 ms steps up to t_end; at each step put what
 * has arrived (in arrival order) and drain vc_jb_get. */
static void run(struct sim *s, struct pk *p, int n, uint64_t t_end)
{
	bool done[2048] = { false };

	for (uint64_t now = vc_clock_now(&s->clk); now <= t_end; now += MS) {
		vc_clock_fake_set(&s->clk, now);
		for (;;) {
			int best = -1;

			for (int i = 0; i < n; i++)
				if (!done[i] && p[i].arrival <= now &&
				    (best < 0 || p[i].arrival < p[best].arrival))
					best = i;
			if (best < 0)
				break;
			done[best] = true;
			if (!p[best].drop)
				put_pk(s, &p[best]);
		}
		for (;;) {
			if (now >= s->stall_from && now < s->stall_to)
				break;
			struct vc_jb_pkt out;
			int r = vc_jb_get(s->jb, vc_clock_now(&s->clk), STEP, &out);
			struct ev *e;

			if (r == VC_JB_NOT_YET)
				break;
			if (s->nev >= (int)(sizeof(s->ev) / sizeof(s->ev[0])))
				break;
			e = &s->ev[s->nev++];
			e->now = now;
			e->res = r;
			e->ts = out.ts;
			e->seq = out.seq;
			e->fec = out.fec_candidate;
			e->len = out.len;
			e->playout = out.playout_us;
			e->data_ok = (r == VC_JB_MISSING && !out.fec_candidate) ||
				     data_matches(out.data, out.len, out.seq, len_of(out.seq));
			if (r == VC_JB_PACKET)
				s->npacket++;
			else
				s->nmissing++;
			if (out.fec_candidate)
				s->nfec++;
		}
	}
}

static void sim_init(struct sim *s, uint32_t target_ms, uint32_t slots)
{
	struct vc_jb_cfg cfg = { .clock_rate = RATE, .target_ms = target_ms, .slots = slots,
				 .max_payload = 200 };

	memset(s, 0, sizeof(*s));
	vc_clock_fake_init(&s->clk, T0);
	CHECK_EQ(vc_jb_new(&s->jb, &cfg), 0);
}

static struct sim S; /* big: keep it off the stack */
static struct pk P[1024];

static void test_in_order_exact_timing(void)
{
	int bad_time = 0, bad_data = 0;

	sim_init(&S, 40, 64);
	make_stream(P, 100, 100, 123456, 5 * MS);
	run(&S, P, 100, T0 + 99 * 20 * MS + 45 * MS);
	CHECK_EQ(S.npacket, 100);
	CHECK_EQ(S.nmissing, 0);
	for (int i = 0; i < S.nev && i < 100; i++) {
		/* baseline = 5 ms transit, target 40 ms: exactly 45 ms after send */
		uint64_t due = T0 + (uint64_t)i * 20 * MS + 45 * MS;

		if (S.ev[i].now != due || S.ev[i].playout != due)
			bad_time++;
		if (S.ev[i].ts != P[i].ts || S.ev[i].seq != P[i].seq || !S.ev[i].data_ok)
			bad_data++;
	}
	CHECK_EQ(bad_time, 0);
	CHECK_EQ(bad_data, 0);
	CHECK_EQ(vc_jb_count(S.jb), 0);
	CHECK_EQ(vc_jb_target_ms(S.jb), 40);
	vc_jb_free(S.jb);
}

static void test_delay_ms(void)
{
	struct vc_jb_pkt out;

	sim_init(&S, 40, 64);
	make_stream(P, 3, 1, 0, 5 * MS);
	CHECK(vc_jb_delay_ms(S.jb, T0) == 0.0); /* empty */
	put_pk(&S, &P[0]);
	/* the packet arriving now waits exactly the target */
	CHECK(vc_jb_delay_ms(S.jb, P[0].arrival) == 40.0);
	CHECK(vc_jb_delay_ms(S.jb, P[0].arrival + 10 * MS) == 30.0);
	CHECK_EQ(vc_jb_get(S.jb, P[0].arrival + 39 * MS, STEP, &out), VC_JB_NOT_YET);
	CHECK_EQ(vc_jb_get(S.jb, P[0].arrival + 40 * MS, STEP, &out), VC_JB_PACKET);
	vc_jb_set_target_ms(S.jb, 60);
	CHECK_EQ(vc_jb_target_ms(S.jb), 60);
	vc_jb_free(S.jb);
}

static void test_reorder_repaired(void)
{
	int bad = 0;

	sim_init(&S, 40, 64);
	make_stream(P, 100, 7, 5000, 5 * MS);
	for (int i = 0; i < 100; i += 2)
		P[i].arrival += 25 * MS; /* arrives after its successor */
	run(&S, P, 100, T0 + 99 * 20 * MS + 45 * MS);
	CHECK_EQ(S.npacket, 100);
	CHECK_EQ(S.nmissing, 0);
	for (int i = 0; i < S.nev && i < 100; i++)
		if (S.ev[i].seq != P[i].seq || !S.ev[i].data_ok ||
		    S.ev[i].now != T0 + (uint64_t)i * 20 * MS + 45 * MS)
			bad++;
	CHECK_EQ(bad, 0);
	vc_jb_free(S.jb);
}

static void test_duplicates(void)
{
	struct vc_jb_pkt out;
	uint8_t d[8] = { 0 };

	sim_init(&S, 40, 64);
	CHECK_EQ(vc_jb_put(S.jb, 1, 1000, d, 8, T0), VC_JB_STORED);
	CHECK_EQ(vc_jb_put(S.jb, 1, 1000, d, 8, T0 + 1), VC_JB_DUPLICATE);
	CHECK_EQ(vc_jb_put(S.jb, 2, 1000 + STEP, d, 8, T0 + 20 * MS), VC_JB_STORED);
	CHECK_EQ(vc_jb_count(S.jb), 2);
	CHECK_EQ(vc_jb_get(S.jb, T0 + 40 * MS, STEP, &out), VC_JB_PACKET);
	CHECK_EQ(out.seq, 1);
	/* played already: a network duplicate, not a late packet */
	CHECK_EQ(vc_jb_put(S.jb, 1, 1000, d, 8, T0 + 41 * MS), VC_JB_DUPLICATE);
	CHECK_EQ(vc_jb_put(S.jb, 2, 1000 + STEP, d, 8, T0 + 41 * MS), VC_JB_DUPLICATE);
	CHECK_EQ(vc_jb_count(S.jb), 1);
	vc_jb_free(S.jb);
}

static void test_late(void)
{
	int late_ev = -1;

	sim_init(&S, 40, 64);
	make_stream(P, 20, 300, 777, 5 * MS);
	P[5].arrival += 60 * MS; /* 65 ms transit: after its 45 ms slot */
	run(&S, P, 20, T0 + 19 * 20 * MS + 45 * MS);
	CHECK_EQ(P[5].put_res, VC_JB_LATE);
	CHECK_EQ(S.npacket, 19);
	CHECK_EQ(S.nmissing, 1);
	for (int i = 0; i < S.nev; i++)
		if (S.ev[i].res == VC_JB_MISSING)
			late_ev = i;
	CHECK_EQ(late_ev, 5);
	if (late_ev == 5) {
		CHECK_EQ(S.ev[5].ts, P[5].ts);
		CHECK_EQ(S.ev[5].now, T0 + 5 * 20 * MS + 45 * MS);
		CHECK(S.ev[5].fec); /* packet 6 was there */
		CHECK_EQ(S.ev[5].seq, P[6].seq);
		CHECK(S.ev[5].data_ok);
	}
	vc_jb_free(S.jb);
}

static void test_loss_fec(void)
{
	int miss[4], nm = 0;

	sim_init(&S, 40, 64);
	make_stream(P, 40, 1000, 0, 5 * MS);
	P[10].drop = true;
	P[20].drop = true;
	P[21].drop = true;
	run(&S, P, 40, T0 + 39 * 20 * MS + 45 * MS);
	CHECK_EQ(S.npacket, 37);
	CHECK_EQ(S.nmissing, 3);
	for (int i = 0; i < S.nev; i++)
		if (S.ev[i].res == VC_JB_MISSING && nm < 4)
			miss[nm++] = i;
	CHECK_EQ(nm, 3);
	if (nm == 3) {
		/* missing exactly when due, never before */
		CHECK_EQ(S.ev[miss[0]].now, T0 + 10 * 20 * MS + 45 * MS);
		CHECK_EQ(S.ev[miss[0]].ts, P[10].ts);
		CHECK(S.ev[miss[0]].fec);
		CHECK_EQ(S.ev[miss[0]].seq, P[11].seq);
		CHECK_EQ(S.ev[miss[0]].len, P[11].len);
		CHECK(S.ev[miss[0]].data_ok);
		CHECK(!S.ev[miss[1]].fec); /* 21 is lost too */
		CHECK_EQ(S.ev[miss[1]].ts, P[20].ts);
		CHECK(S.ev[miss[2]].fec);
		CHECK_EQ(S.ev[miss[2]].seq, P[22].seq);
		CHECK_EQ(S.ev[miss[0] + 1].res, VC_JB_PACKET);
		CHECK_EQ(S.ev[miss[0] + 1].seq, P[11].seq);
	}
	CHECK_EQ(S.nfec, 2);
	vc_jb_free(S.jb);
}

static void test_wrap(void)
{
	int bad = 0;

	sim_init(&S, 40, 64);
	/* seq crosses 65535 -> 0 and ts crosses 0xffffffff -> 0 mid-stream */
	make_stream(P, 60, 65520, 0xffffffffu - 20 * STEP + 100, 5 * MS);
	P[20].arrival += 25 * MS; /* reorder right at the wrap */
	P[17].arrival += 25 * MS;
	run(&S, P, 60, T0 + 59 * 20 * MS + 45 * MS);
	CHECK_EQ(S.npacket, 60);
	CHECK_EQ(S.nmissing, 0);
	for (int i = 0; i < S.nev && i < 60; i++)
		if (S.ev[i].ts != P[i].ts || S.ev[i].seq != P[i].seq || !S.ev[i].data_ok ||
		    S.ev[i].now != T0 + (uint64_t)i * 20 * MS + 45 * MS)
			bad++;
	CHECK_EQ(bad, 0);
	vc_jb_free(S.jb);
}

static uint32_t lcg(uint32_t *st)
{
	*st = *st * 1664525u + 1013904223u;
	return *st >> 8;
}

static void test_jitter(void)
{
	uint32_t seed = 12345;
	int bad = 0;

	sim_init(&S, 40, 64);
	make_stream(P, 1000, 40000, 99, 0);
	for (int i = 0; i < 1000; i++)
		P[i].arrival += lcg(&seed) % (30 * MS + 1);
	run(&S, P, 1000, T0 + 999 * 20 * MS + 41 * MS);
	CHECK_EQ(S.nmissing, 0);
	CHECK_EQ(S.npacket, 1000);
	for (int i = 0; i < S.nev && i < 1000; i++)
		if (S.ev[i].seq != P[i].seq || !S.ev[i].data_ok || S.ev[i].playout > S.ev[i].now ||
		    S.ev[i].now - S.ev[i].playout >= MS) /* 1 ms polling */
			bad++;
	CHECK_EQ(bad, 0);
	bad = 0;
	for (int i = 0; i < 1000; i++)
		if (P[i].put_res != VC_JB_STORED)
			bad++;
	CHECK_EQ(bad, 0);
	vc_jb_free(S.jb);
}

static void test_overflow(void)
{
	struct vc_jb_pkt out;

	sim_init(&S, 40, 4);
	make_stream(P, 6, 10, 0, 5 * MS);
	for (int i = 0; i < 6; i++)
		put_pk(&S, &P[i]);
	CHECK_EQ(P[3].put_res, VC_JB_STORED);
	CHECK_EQ(P[4].put_res, VC_JB_OVERFLOW);
	CHECK_EQ(P[5].put_res, VC_JB_OVERFLOW);
	CHECK_EQ(vc_jb_count(S.jb), 4);
	/* the two oldest went; playout starts at the oldest left */
	CHECK_EQ(vc_jb_get(S.jb, T0 + 500 * MS, STEP, &out), VC_JB_PACKET);
	CHECK_EQ(out.seq, 12);
	CHECK(data_matches(out.data, out.len, 12, len_of(12)));
	/* an overflowing packet older than everything is the one dropped */
	vc_jb_reset(S.jb);
	for (int i = 2; i < 6; i++)
		put_pk(&S, &P[i]);
	put_pk(&S, &P[0]);
	CHECK_EQ(P[0].put_res, VC_JB_OVERFLOW);
	CHECK_EQ(vc_jb_get(S.jb, T0 + 500 * MS, STEP, &out), VC_JB_PACKET);
	CHECK_EQ(out.seq, 12);
	vc_jb_free(S.jb);
}

static void test_too_big(void)
{
	static uint8_t d[201];

	sim_init(&S, 40, 8);
	CHECK_EQ(vc_jb_put(S.jb, 1, 0, d, 201, T0), VC_JB_TOO_BIG);
	CHECK_EQ(vc_jb_count(S.jb), 0);
	CHECK_EQ(vc_jb_put(S.jb, 1, 0, d, 200, T0), VC_JB_STORED);
	CHECK_EQ(vc_jb_put(S.jb, 2, STEP, d, 0, T0), VC_JB_STORED); /* empty is fine */
	CHECK_EQ(vc_jb_count(S.jb), 2);
	vc_jb_free(S.jb);
}

static void test_reset(void)
{
	struct vc_jb_pkt out;
	uint8_t d[4] = { 0 };

	sim_init(&S, 40, 8);
	CHECK_EQ(vc_jb_put(S.jb, 1, 50000, d, 4, T0), VC_JB_STORED);
	CHECK_EQ(vc_jb_get(S.jb, T0 + 40 * MS, STEP, &out), VC_JB_PACKET);
	vc_jb_reset(S.jb);
	CHECK_EQ(vc_jb_count(S.jb), 0);
	CHECK_EQ(vc_jb_get(S.jb, T0 + 100 * MS, STEP, &out), VC_JB_NOT_YET);
	/* a new stream with an older timestamp is not "late" after reset,
	 * and its baseline is measured afresh */
	CHECK_EQ(vc_jb_put(S.jb, 9, 100, d, 4, T0 + 200 * MS), VC_JB_STORED);
	CHECK_EQ(vc_jb_get(S.jb, T0 + 239 * MS, STEP, &out), VC_JB_NOT_YET);
	CHECK_EQ(vc_jb_get(S.jb, T0 + 240 * MS, STEP, &out), VC_JB_PACKET);
	CHECK_EQ(out.seq, 9);
	vc_jb_free(S.jb);
}

static void test_sender_jumps_ahead(void)
{
	int bad = 0;

	sim_init(&S, 40, 64);
	make_stream(P, 100, 1, 1000, 5 * MS);
	/* from packet 50 the sender's timestamps jump 10 s ahead */
	for (int i = 50; i < 100; i++)
		P[i].ts += 10 * RATE;
	run(&S, P, 100, T0 + 99 * 20 * MS + 45 * MS);
	CHECK_EQ(S.npacket, 100);
	CHECK(S.nmissing <= 1);
	for (int i = 0, k = 0; i < S.nev; i++)
		if (S.ev[i].res == VC_JB_PACKET && S.ev[i].seq != P[k++].seq)
			bad++;
	CHECK_EQ(bad, 0);
	vc_jb_free(S.jb);
}

static void test_sender_jumps_back(void)
{
	int late = 0, played_new = 0;

	sim_init(&S, 40, 64);
	make_stream(P, 100, 1, 10 * RATE, 5 * MS);
	/* from packet 50 the timestamps restart 10 s earlier */
	for (int i = 50; i < 100; i++)
		P[i].ts -= 10 * RATE;
	run(&S, P, 100, T0 + 99 * 20 * MS + 45 * MS);
	for (int i = 50; i < 100; i++)
		late += P[i].put_res == VC_JB_LATE;
	for (int i = 0; i < S.nev; i++)
		played_new += S.ev[i].res == VC_JB_PACKET && S.ev[i].seq > 52;
	CHECK_EQ(late, 2); /* the third in a row restarts the timeline */
	CHECK_EQ(played_new, 48); /* P[52..99] */
	vc_jb_free(S.jb);
}

static void test_long_gap_resync(void)
{
	int first = -1, nover = 0;

	sim_init(&S, 40, 64);
	make_stream(P, 300, 1, 1000, 5 * MS);
	/* the playout side stalls for 3 s while packets keep coming: the
	 * buffer overflows, so on resume the expected packet is gone and the
	 * oldest buffered one is > 1 s ahead of it */
	S.stall_from = T0 + 500 * MS;
	S.stall_to = T0 + 3500 * MS;
	run(&S, P, 300, T0 + 299 * 20 * MS + 45 * MS);
	for (int i = 0; i < 300; i++)
		nover += P[i].put_res == VC_JB_OVERFLOW;
	CHECK(nover > 0);
	CHECK(S.nmissing <= 1); /* not 60 concealment steps in a row */
	for (int i = 0; i < S.nev; i++)
		if (S.ev[i].now >= S.stall_to && first < 0)
			first = i;
	CHECK(first >= 0);
	if (first >= 0) {
		/* resumes at the oldest packet still buffered: 64 slots */
		CHECK_EQ(S.ev[first].res, VC_JB_PACKET);
		CHECK_EQ(S.ev[first].seq, P[174 - 64 + 1].seq);
	}
	vc_jb_free(S.jb);
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
	CHECK(jb == NULL);
	vc_jb_free(NULL);
}

int main(void)
{
	RUN(test_in_order_exact_timing);
	RUN(test_delay_ms);
	RUN(test_reorder_repaired);
	RUN(test_duplicates);
	RUN(test_late);
	RUN(test_loss_fec);
	RUN(test_wrap);
	RUN(test_jitter);
	RUN(test_overflow);
	RUN(test_too_big);
	RUN(test_reset);
	RUN(test_sender_jumps_ahead);
	RUN(test_sender_jumps_back);
	RUN(test_long_gap_resync);
	RUN(test_bad_cfg);
	return vc_test_summary();
}
