/* test_jb.c - the vc_jb contract on plain microsecond times: start
 * timing, steady playout (no time gating once started, delay_ms),
 * reordering, duplicates, late packets, loss with FEC candidates, DTX,
 * underruns and seq/ts wrap.  Capacity and target: test_jb_target.c;
 * skips, jumps, restarts and reset: test_jb_skip.c.  Helpers and the
 * playout simulation: vc_test_jb.h.  Set VC_JB_VERBOSE=1 for the figures. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vc_jb.h"
#include "vc_test.h"
#include "vc_test_jb.h"

static bool verbose;

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
/* seq and ts wrap                                                     */

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
	return vc_test_summary();
}
