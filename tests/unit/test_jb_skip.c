/* test_jb_skip.c - the vc_jb's timeline discontinuities: skipping past
 * the ceiling after a stalled caller, long gaps, sender timestamp jumps
 * and wild timestamps, outages, far-late restarts, and reset.  Helpers and
 * the playout simulation: vc_test_jb.h. */
#include <stdint.h>

#include "vc_jb.h"
#include "vc_test.h"
#include "vc_test_jb.h"

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

int main(void)
{
	RUN(test_skip_past_ceiling);
	RUN(test_long_gap_jump);
	RUN(test_sender_jumps_ahead);
	RUN(test_far_late_restart);
	RUN(test_reset);
	RUN(test_wild_timestamp);
	RUN(test_skip_waits_until_due);
	RUN(test_outage_recovery);
	return vc_test_summary();
}
