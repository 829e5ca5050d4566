/* test_source.c - RTP source statistics (RFC 3550 A.1, A.3, A.8, 6.4.1):
 * probation, wrap, loss and fraction lost, reordering, resync, jitter, RTT.
 */
#include <math.h>
#include <string.h>

#include "vc_clock.h"
#include "vc_source.h"
#include "vc_test.h"

static void test_probation(void)
{
	struct vc_source s;

	vc_source_init(&s, 0x1234, 90000, 1000);
	CHECK(!s.validated);
	CHECK_EQ(vc_source_update(&s, 1000, 0, 0), VC_SRC_PROBATION);
	CHECK(!s.validated);
	CHECK_EQ(vc_source_expected(&s), 0);
	CHECK_EQ(vc_source_update(&s, 1001, 0, 1000), VC_SRC_OK);
	CHECK(s.validated);
	CHECK_EQ(vc_source_expected(&s), 1);
	CHECK_EQ(s.received, 1);
	CHECK_EQ(vc_source_lost(&s), 0);

	/* a gap during probation restarts it */
	vc_source_init(&s, 1, 90000, 500);
	CHECK_EQ(vc_source_update(&s, 500, 0, 0), VC_SRC_PROBATION);
	CHECK_EQ(vc_source_update(&s, 502, 0, 0), VC_SRC_PROBATION);
	CHECK_EQ(vc_source_update(&s, 504, 0, 0), VC_SRC_PROBATION);
	CHECK(!s.validated);
	CHECK_EQ(vc_source_update(&s, 505, 0, 0), VC_SRC_OK);
	CHECK_EQ(vc_source_ext_max_seq(&s), 505);

	/* probation across the wrap */
	vc_source_init(&s, 1, 48000, 65535);
	CHECK_EQ(vc_source_update(&s, 65535, 0, 0), VC_SRC_PROBATION);
	CHECK_EQ(vc_source_update(&s, 0, 0, 0), VC_SRC_OK);
	CHECK_EQ(vc_source_ext_max_seq(&s), 0);
	CHECK_EQ(vc_source_update(&s, 1, 0, 0), VC_SRC_OK);
	CHECK_EQ(vc_source_expected(&s), 2);
}

static void test_wrap(void)
{
	struct vc_source s;
	uint16_t seq = 65530;

	vc_source_init(&s, 1, 90000, seq);
	CHECK_EQ(vc_source_update(&s, seq, 0, 0), VC_SRC_PROBATION);
	for (int i = 0; i < 15; i++) {
		seq++;
		CHECK_EQ(vc_source_update(&s, seq, 0, 0), VC_SRC_OK);
	}
	CHECK_EQ(seq, 9);
	CHECK_EQ(s.cycles, 65536);
	CHECK_EQ(vc_source_ext_max_seq(&s), 65536 + 9);
	CHECK_EQ(vc_source_expected(&s), 15);
	CHECK_EQ(s.received, 15);
	CHECK_EQ(vc_source_lost(&s), 0);

	/* three more wraps */
	for (int i = 0; i < 3 * 65536; i++)
		vc_source_update(&s, ++seq, 0, 0);
	CHECK_EQ(vc_source_ext_max_seq(&s), 4 * 65536 + 9);
	CHECK_EQ(vc_source_lost(&s), 0);
}

/* Validated source at seq 0..1; returns with max_seq 1. */
static void start(struct vc_source *s)
{
	vc_source_init(s, 7, 90000, 0);
	vc_source_update(s, 0, 0, 0);
	vc_source_update(s, 1, 0, 0);
}

static void test_loss(void)
{
	struct vc_source s;
	struct vc_rtcp_rb rb;

	start(&s);
	for (uint16_t q = 2; q < 100; q++) {
		if (q == 10 || q == 11 || q == 12 || q == 50)
			continue;
		CHECK_EQ(vc_source_update(&s, q, 0, 0), VC_SRC_OK);
	}
	CHECK_EQ(vc_source_expected(&s), 99);
	CHECK_EQ(vc_source_lost(&s), 4);
	vc_source_report(&s, &rb, 0);
	CHECK_EQ(rb.ssrc, 7);
	CHECK_EQ(rb.cum_lost, 4);
	CHECK_EQ(rb.fraction_lost, (4 * 256) / 99);
	CHECK_EQ(rb.ext_high_seq, 99);

	/* next interval: 100 expected, 10 lost (every tenth) */
	for (uint16_t q = 100; q < 200; q++) {
		if (q % 10 == 5)
			continue;
		vc_source_update(&s, q, 0, 0);
	}
	vc_source_report(&s, &rb, 0);
	CHECK_EQ(rb.cum_lost, 14);
	CHECK_EQ(rb.fraction_lost, (10 * 256) / 100);

	/* nothing new: fraction 0, cumulative unchanged */
	vc_source_report(&s, &rb, 0);
	CHECK_EQ(rb.fraction_lost, 0);
	CHECK_EQ(rb.cum_lost, 14);

	/* a burst: 100 of 101 lost */
	vc_source_update(&s, 300, 0, 0);
	vc_source_report(&s, &rb, 0);
	CHECK_EQ(rb.fraction_lost, (100 * 256) / 101);
	CHECK_EQ(rb.cum_lost, 14 + 100);

	/* duplicates make the interval's loss negative: reported as 0 */
	vc_source_update(&s, 300, 0, 0);
	vc_source_update(&s, 300, 0, 0);
	vc_source_report(&s, &rb, 0);
	CHECK_EQ(rb.fraction_lost, 0);
	CHECK_EQ(rb.cum_lost, 112);
	/* one new seq plus duplicates: interval loss -2, still reported as 0 */
	vc_source_update(&s, 301, 0, 0);
	vc_source_update(&s, 301, 0, 0);
	vc_source_update(&s, 301, 0, 0);
	vc_source_report(&s, &rb, 0);
	CHECK_EQ(rb.fraction_lost, 0);
	CHECK_EQ(rb.cum_lost, 110);
}

static void test_reorder(void)
{
	struct vc_source s;
	static const uint16_t order[] = { 2, 3, 4, 7, 5, 6, 8, 9 };

	start(&s);
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		CHECK_EQ(vc_source_update(&s, order[i], 0, 0), VC_SRC_OK);
	CHECK_EQ(vc_source_ext_max_seq(&s), 9);
	CHECK_EQ(vc_source_lost(&s), 0);

	/* reordered across the wrap does not add a cycle */
	struct vc_source w;
	vc_source_init(&w, 1, 90000, 65533);
	vc_source_update(&w, 65533, 0, 0);
	vc_source_update(&w, 65534, 0, 0);
	CHECK_EQ(vc_source_update(&w, 0, 0, 0), VC_SRC_OK);
	CHECK_EQ(vc_source_update(&w, 65535, 0, 0), VC_SRC_OK);
	CHECK_EQ(vc_source_update(&w, 1, 0, 0), VC_SRC_OK);
	CHECK_EQ(vc_source_ext_max_seq(&w), 65536 + 1);
	CHECK_EQ(vc_source_lost(&w), 0);

	/* at max 500: 99 behind is misordered (counted), 100+ is a jump */
	for (uint16_t q = 10; q <= 500; q++)
		vc_source_update(&s, q, 0, 0);
	CHECK_EQ(vc_source_update(&s, 401, 0, 0), VC_SRC_OK);
	CHECK_EQ(vc_source_update(&s, 400, 0, 0), VC_SRC_BAD);
	CHECK_EQ(vc_source_ext_max_seq(&s), 500);
}

static void test_jump_resync(void)
{
	struct vc_source s;
	int64_t recv;

	start(&s);
	for (uint16_t q = 2; q <= 100; q++)
		vc_source_update(&s, q, 0, 0);
	recv = (int64_t)s.received;

	/* gap just under MAX_DROPOUT is a loss, at MAX_DROPOUT a jump */
	CHECK_EQ(vc_source_update(&s, 100 + VC_SRC_MAX_DROPOUT, 0, 0), VC_SRC_BAD);
	CHECK_EQ(vc_source_update(&s, 100 + VC_SRC_MAX_DROPOUT - 1, 0, 0), VC_SRC_OK);
	CHECK_EQ(vc_source_lost(&s), VC_SRC_MAX_DROPOUT - 2);
	CHECK_EQ((int64_t)s.received, recv + 1);

	/* a lone jump is dropped and the stream goes on */
	uint16_t m = (uint16_t)(100 + VC_SRC_MAX_DROPOUT - 1);
	CHECK_EQ(vc_source_update(&s, 40000, 0, 0), VC_SRC_BAD);
	CHECK_EQ(vc_source_update(&s, (uint16_t)(m + 1), 0, 0), VC_SRC_OK);
	CHECK_EQ(vc_source_ext_max_seq(&s), m + 1);
	/* two in a row after the jump: restart there */
	CHECK_EQ(vc_source_update(&s, 40000, 0, 0), VC_SRC_BAD);
	CHECK_EQ(vc_source_update(&s, 40001, 0, 0), VC_SRC_OK);
	CHECK_EQ(vc_source_ext_max_seq(&s), 40001);
	CHECK_EQ(vc_source_expected(&s), 1);
	CHECK_EQ(s.received, 1);
	CHECK_EQ(vc_source_update(&s, 40002, 0, 0), VC_SRC_OK);
	CHECK_EQ(vc_source_lost(&s), 0);
	/* the old stream's packets are now a jump backwards */
	CHECK_EQ(vc_source_update(&s, (uint16_t)(m + 2), 0, 0), VC_SRC_BAD);
}

static void test_jitter(void)
{
	struct vc_source s;
	struct vc_rtcp_rb rb;
	uint32_t ts = 0xFFFFE000u; /* wraps during the run */
	uint64_t t = 5000000;

	/* constant transit: 20 ms packets, ts and arrival in step */
	vc_source_init(&s, 1, 90000, 10);
	for (int i = 0; i < 200; i++) {
		vc_source_update(&s, (uint16_t)(10 + i), ts, t);
		ts += 1800;
		t += 20000;
	}
	CHECK_EQ(s.jitter_q4, 0);
	CHECK(vc_source_jitter_ms(&s) == 0.0);

	/* arrivals alternately 5 ms late and on time: |D| = 450 ts every
	 * packet, so J converges to 450 (5 ms) */
	vc_source_init(&s, 1, 90000, 10);
	ts = 0x7FFFF000u;
	t = 1000000;
	vc_source_update(&s, 10, ts, t);
	vc_source_update(&s, 11, ts + 1800, t + 20000 + 5000);
	CHECK_EQ(s.jitter_q4, 0); /* first valid packet only sets the transit */
	vc_source_update(&s, 12, ts + 3600, t + 40000);
	CHECK_EQ(s.jitter_q4, 450);        /* 0 + 450 - ((0 + 8) >> 4) */
	vc_source_update(&s, 13, ts + 5400, t + 60000 + 5000);
	CHECK_EQ(s.jitter_q4, 450 + 450 - ((450 + 8) >> 4));
	vc_source_update(&s, 14, ts + 7200, t + 80000);
	CHECK_EQ(s.jitter_q4, 872 + 450 - ((872 + 8) >> 4)); /* rounds: 55, not 54 */
	for (int i = 5; i < 400; i++)
		vc_source_update(&s, (uint16_t)(10 + i), ts + 1800u * (uint32_t)i,
				 t + 20000u * (uint64_t)i + (i % 2 ? 5000 : 0));
	CHECK(fabs(vc_source_jitter_ms(&s) - 5.0) < 0.1);
	vc_source_report(&s, &rb, t);
	CHECK(rb.jitter >= 445 && rb.jitter <= 450);

	/* a sender restart (new seq and timestamp bases) resyncs without
	 * feeding the jump between the two timelines into the jitter */
	vc_source_init(&s, 3, 90000, 100);
	t = 0;
	for (int i = 0; i < 50; i++)
		vc_source_update(&s, (uint16_t)(100 + i), 1800u * (uint32_t)i, t += 20000);
	CHECK_EQ(s.jitter_q4, 0);
	CHECK_EQ(vc_source_update(&s, 30000, 123456789u, t += 20000), VC_SRC_BAD);
	CHECK_EQ(vc_source_update(&s, 30001, 123456789u + 1800, t += 20000), VC_SRC_OK);
	CHECK_EQ(vc_source_update(&s, 30002, 123456789u + 3600, t += 20000), VC_SRC_OK);
	CHECK_EQ(s.jitter_q4, 0);

	/* audio clock: 48 kHz, +-2 ms around 20 ms */
	vc_source_init(&s, 2, 48000, 0);
	for (int i = 0; i < 500; i++)
		vc_source_update(&s, (uint16_t)i, 960u * (uint32_t)i,
				 20000u * (uint64_t)i + (i % 2 ? 2000 : 0));
	CHECK(fabs(vc_source_jitter_ms(&s) - 2.0) < 0.05);
}

static void test_rtt(void)
{
	struct vc_source s;
	struct vc_rtcp_rb rb;
	int64_t rtt;

	/* Hand-made RB: our SR at 9.9 s, held 50 ms by the peer, back at 10 s */
	memset(&rb, 0, sizeof(rb));
	rb.lsr = vc_ntp_mid32(vc_ntp_from_us(9900000));
	rb.dlsr = 3277; /* 0.05 s in 1/65536 s */
	rtt = vc_rtt_us(&rb, 10000000);
	CHECK(rtt >= 49950 && rtt <= 50050);

	rb.lsr = 0;
	CHECK_EQ(vc_rtt_us(&rb, 10000000), -1);
	rb.lsr = vc_ntp_mid32(vc_ntp_from_us(9900000));
	rb.dlsr = 65536; /* held 1 s: more than the whole round trip */
	CHECK_EQ(vc_rtt_us(&rb, 10000000), -1);

	/* End to end: A sends an SR at 100 s; it arrives at B 10 ms later;
	 * B reports 200 ms after that; the RR reaches A 10 ms later. */
	uint64_t sr_sent = 100000000, sr_arrival = sr_sent + 10000;
	uint64_t rr_sent = sr_arrival + 200000, rr_arrival = rr_sent + 10000;

	vc_source_init(&s, 0xA, 90000, 0);
	vc_source_report(&s, &rb, rr_sent);
	CHECK_EQ(rb.lsr, 0); /* no SR yet */
	CHECK_EQ(rb.dlsr, 0);
	vc_source_sr_received(&s, vc_ntp_from_us(sr_sent), sr_arrival);
	vc_source_report(&s, &rb, rr_sent);
	CHECK_EQ(rb.ssrc, 0xA);
	CHECK_EQ(rb.lsr, vc_ntp_mid32(vc_ntp_from_us(sr_sent)));
	CHECK_EQ(rb.dlsr, (200000ull << 16) / 1000000);
	rtt = vc_rtt_us(&rb, rr_arrival);
	CHECK(rtt >= 19950 && rtt <= 20050);

	/* across the 2^16 s wrap of the middle 32 bits */
	sr_sent = 65535ull * 1000000 + 900000;
	vc_source_sr_received(&s, vc_ntp_from_us(sr_sent), sr_sent + 30000);
	vc_source_report(&s, &rb, sr_sent + 30000 + 100000);
	rtt = vc_rtt_us(&rb, sr_sent + 30000 + 100000 + 30000);
	CHECK(rtt >= 59950 && rtt <= 60050);
}

int main(void)
{
	RUN(test_probation);
	RUN(test_wrap);
	RUN(test_loss);
	RUN(test_reorder);
	RUN(test_jump_resync);
	RUN(test_jitter);
	RUN(test_rtt);
	return vc_test_summary();
}
