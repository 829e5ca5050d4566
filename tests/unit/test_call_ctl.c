/* test_call_ctl.c - the call's controllers on a fake timeline: playout
 * speed, lip sync, the video render-delay policy, the RTCP timer, the
 * keyframe limiter, NACK decisions, peer liveness, the clock offset, the
 * retransmission budget and freeze counting.  Every input is a literal. */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "vc_aplay.h"
#include "vc_avsync.h"
#include "vc_clockoff.h"
#include "vc_liveness.h"
#include "vc_sendhist.h"
#include "vc_session.h"
#include "vc_test.h"
#include "vc_vplay.h"
#include "vc_vrecv.h"

#define NEAR(a, b, tol) CHECK(fabs((double)(a) - (double)(b)) <= (tol))

static void test_aplay_speed(void)
{
	static const struct { double delay, target, ppm, speed; } t[] = {
		{ 40.0, 40.0, 0, 1.0 },       /* on target */
		{ 41.9, 40.0, 0, 1.0 },       /* inside the 2 ms dead band */
		{ 38.1, 40.0, 0, 1.0 },
		{ 42.0, 40.0, 0, 1.0 },       /* the band's edge */
		{ 46.0, 40.0, 0, 1.01 },      /* (6 - 2) / 400 */
		{ 34.0, 40.0, 0, 0.99 },
		{ 142.0, 40.0, 0, 1.25 },     /* capped: max accelerate */
		{ 500.0, 40.0, 0, 1.25 },     /* a backlog after a stall: still capped */
		{ 0.0, 140.0, 0, 0.80 },      /* capped: max expand */
		{ 40.0, 40.0, 100, 1.0001 },  /* drift feed-forward alone */
		{ 46.0, 40.0, -100, 1.01 * 0.9999 },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		NEAR(vc_aplay_speed(t[i].delay, t[i].target, t[i].ppm), t[i].speed, 1e-9);
}

static void test_aplay_want(void)
{
	/* delay, fifo, sink latency, target -> the delay to steer to: the
	 * least hold on the 5 ms grid that covers the target. */
	static const struct { double delay, fifo, lat, target, want; } t[] = {
		{ 40.0, 0.0, 0.0, 40.0, 40.0 },  /* hold 40 covers 40 exactly */
		{ 40.0, 0.0, 0.0, 38.0, 40.0 },  /* hold 40: target 38 -> +0 ticks (ceil(-0.4)=0) */
		{ 40.0, 0.0, 0.0, 41.0, 45.0 },  /* one tick more */
		{ 40.0, 0.0, 0.0, 30.0, 30.0 },  /* two ticks less */
		{ 50.0, 5.0, 10.0, 30.0, 40.0 }, /* hold 35 -> 30; plus the 10 ms of latency */
		{ 20.0, 0.0, 0.0, 32.0, 35.0 },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		NEAR(vc_aplay_want_ms(t[i].delay, t[i].fifo, t[i].lat, t[i].target), t[i].want, 1e-9);
}

static void test_sync_step(void)
{
	static const struct { uint32_t v0, a0; double diff; uint32_t v1, a1; } t[] = {
		{ 0, 0, 4.9, 0, 0 },      /* dead band */
		{ 0, 0, -4.9, 0, 0 },
		{ 0, 0, 5.0, 0, 5 },      /* video late: audio waits 5 more */
		{ 0, 0, 30.0, 0, 10 },    /* at most 10 ms a step */
		{ 0, 0, -30.0, 10, 0 },   /* audio late: video waits */
		{ 20, 0, 30.0, 10, 0 },   /* video late but has extra: take it back first */
		{ 0, 20, -7.0, 0, 13 },   /* audio late with extra: take back 7 */
		{ 0, 395, 30.0, 0, 400 }, /* capped at 400 */
		{ 0, 3, -10.0, 0, 0 },    /* never below 0 */
		{ 0, 0, NAN, 0, 0 },      /* nothing measured */
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint32_t extra[VC_N_STREAMS];
		extra[VC_VIDEO] = t[i].v0;
		extra[VC_AUDIO] = t[i].a0;
		vc_sync_step(extra, t[i].diff);
		CHECK_EQ(extra[VC_VIDEO], t[i].v1);
		CHECK_EQ(extra[VC_AUDIO], t[i].a1);
	}
}

/* Video shown 30 ms later than its audio: the first second is start-up
 * (no step); then audio gets 10, 20, 30 ms more in 10 ms steps, and stays
 * once they agree. */
static void test_avsync_trace(void)
{
	struct vc_avsync *a;
	static const uint32_t want_audio[] = { 0, 10, 20, 30, 30, 30 };
	uint64_t t = 1000000;

	CHECK_EQ(vc_avsync_new(&a), 0);
	uint32_t shown_extra = 0;
	for (size_t s = 0; s < sizeof(want_audio) / sizeof(want_audio[0]); s++) {
		uint32_t extra[VC_N_STREAMS];
		for (int k = 0; k < 50; k++) {
			/* sender time 0 us for both; audio heard after 50 ms +
			 * what was added, video shown after 80 ms.  Audio notes
			 * carry the 6.5 ms decoder look-ahead. */
			vc_avsync_note(a, VC_AUDIO, 0, 43500 + shown_extra * 1000u);
			vc_avsync_note(a, VC_VIDEO, 0, 80000);
		}
		t += 1000000;
		vc_avsync_tick(a, t, false, 0, extra);
		CHECK_EQ(extra[VC_AUDIO], want_audio[s]);
		CHECK_EQ(extra[VC_VIDEO], 0);
		shown_extra = extra[VC_AUDIO];
	}
	/* No notes of one stream: no step. */
	uint32_t extra[VC_N_STREAMS];
	vc_avsync_note(a, VC_VIDEO, 0, 500000);
	vc_avsync_tick(a, t + 1000000, false, 0, extra);
	CHECK_EQ(extra[VC_AUDIO], 30);
	vc_avsync_free(a);
}

/* 100 ppm of sender drift: the reference transit shrinks 100 us a second.
 * One wild sample (a route change of 80 ms) restarts the fit rather than
 * swinging it. */
static void test_avsync_drift(void)
{
	struct vc_avsync *a;
	uint32_t extra[VC_N_STREAMS];
	double ppm = 0;
	uint64_t t = 0;

	CHECK_EQ(vc_avsync_new(&a), 0);
	CHECK(!vc_avsync_drift_ppm(a, &ppm));
	for (int s = 0; s <= 60; s++) {
		t = (uint64_t)s * 1000000u;
		vc_avsync_tick(a, t, true, 20000 - s * 100, extra);
	}
	CHECK(vc_avsync_drift_ppm(a, &ppm));
	NEAR(ppm, 100.0, 1.0);
	vc_avsync_tick(a, t + 1000000, true, 20000 - 61 * 100 + 80000, extra);
	CHECK(!vc_avsync_drift_ppm(a, &ppm) || fabs(ppm - 100.0) < 5.0);
	vc_avsync_free(a);
}

static void test_vdelay(void)
{
	static const struct vc_vdelay_in in[] = {
		/* now, fixed, jitter, sync, last nack, rtt */
		{ 5000000, 0, 30, 0, 0, 0 },             /* adaptive */
		{ 5000000, 80, 30, 0, 0, 0 },            /* fixed wins */
		{ 5000000, 0, 30, 12, 0, 0 },            /* plus lip sync */
		{ 5000000, 0, 30, 0, 4000000, 40000 },   /* NACKing: rtt 40 + 60 */
		{ 5000000, 0, 30, 0, 4000000, 0 },       /* no rtt yet: 100 + 60 */
		{ 5000000, 0, 30, 0, 4000000, 900000 },  /* capped at 400 */
		{ 5000000, 0, 200, 0, 4000000, 40000 },  /* jitter above the NACK need */
		{ 14000001, 0, 30, 0, 4000000, 40000 },  /* the hold is over (10 s) */
		{ 13999999, 0, 30, 0, 4000000, 40000 },  /* ... not quite */
	};
	static const uint32_t want[] = { 30, 80, 42, 100, 160, 400, 200, 30, 100 };
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		CHECK_EQ(vc_vdelay_target(&in[i]), want[i]);
}

static _Atomic uint64_t race_last;
static _Atomic int race_wins;
static _Atomic int race_go;

static void *racer(void *arg)
{
	uint64_t now = *(uint64_t *)arg;

	while (!atomic_load(&race_go))
		;
	if (vc_kf_limiter_try(&race_last, now, VC_PLI_MIN_INTERVAL_US))
		atomic_fetch_add(&race_wins, 1);
	return NULL;
}

static void test_kf_limiter(void)
{
	_Atomic uint64_t last = 0;

	CHECK(vc_kf_limiter_try(&last, 1000000, 250000));
	CHECK(!vc_kf_limiter_try(&last, 1100000, 250000));
	CHECK(!vc_kf_limiter_try(&last, 1249999, 250000));
	CHECK(vc_kf_limiter_try(&last, 1250000, 250000));
	CHECK_EQ(atomic_load(&last), 1250000);
	/* Two threads asking at the same moment: one request, every round. */
	int bad = 0;
	for (int round = 0; round < 300; round++) {
		pthread_t th[2];
		uint64_t now = 1000000u + (uint64_t)round * 300000u;
		atomic_store(&race_wins, 0);
		atomic_store(&race_go, 0);
		for (int k = 0; k < 2; k++)
			pthread_create(&th[k], NULL, racer, &now);
		atomic_store(&race_go, 1);
		for (int k = 0; k < 2; k++)
			pthread_join(th[k], NULL);
		bad += atomic_load(&race_wins) != 1;
	}
	CHECK_EQ(bad, 0);
}

static void test_rtcp_interval(void)
{
	CHECK_EQ(vc_rtcp_interval_us(true, 0), 200000);
	CHECK_EQ(vc_rtcp_interval_us(true, 123456789), 200000);
	CHECK_EQ(vc_rtcp_interval_us(false, 0), 500000);
	CHECK_EQ(vc_rtcp_interval_us(false, 499999), 999999);
	CHECK_EQ(vc_rtcp_interval_us(false, 500000), 500000);
	CHECK_EQ(vc_rtcp_interval_us(false, 0xffffffffu), 500000 + 0xffffffffu % 500000);
	CHECK(vc_rtcp_interval_us(false, 0xffffffffu) < 1000000);
}

static void test_liveness(void)
{
	struct vc_liveness l;

	vc_liveness_init(&l, 5000000, 1000000);
	CHECK_EQ(vc_liveness_state(&l), VC_ST_CONNECTING);
	CHECK_EQ(vc_liveness_deadline(&l), UINT64_MAX);
	CHECK_EQ(vc_liveness_tick(&l, 60000000), VC_LIVE_NONE); /* connecting never times out */
	CHECK_EQ(vc_liveness_packet(&l, 2000000), VC_LIVE_CONNECTED);
	CHECK_EQ(vc_liveness_packet(&l, 2100000), VC_LIVE_NONE);
	CHECK_EQ(vc_liveness_deadline(&l), 7100001);
	CHECK_EQ(vc_liveness_tick(&l, 7100000), VC_LIVE_NONE);  /* exactly 5 s: not yet */
	CHECK_EQ(vc_liveness_tick(&l, 7100001), VC_LIVE_LOST);
	CHECK_EQ(vc_liveness_state(&l), VC_ST_PEER_LOST);
	CHECK_EQ(vc_liveness_tick(&l, 9000000), VC_LIVE_NONE);  /* lost once */
	CHECK_EQ(vc_liveness_packet(&l, 9500000), VC_LIVE_BACK);
	CHECK_EQ(vc_liveness_state(&l), VC_ST_CONNECTED);
	/* a late-stamped packet does not move the clock back */
	CHECK_EQ(vc_liveness_packet(&l, 9400000), VC_LIVE_NONE);
	CHECK_EQ(vc_liveness_deadline(&l), 14500001);
	CHECK(strcmp(vc_call_state_name(VC_ST_PEER_LOST), "peer-lost") == 0);
	CHECK(strcmp(vc_call_state_name(VC_ST_ENDED), "ended") == 0);
}

static void test_clockoff(void)
{
	struct vc_clockoff o;
	int64_t off = 0;

	vc_clockoff_init(&o, 2000000);
	CHECK(!vc_clockoff_get(&o, 0, &off));
	/* SRs twice a second; true offset 1000 us plus 0..7 ms of queueing. */
	static const int64_t noise[] = { 3000, 7000, 0, 5000, 1000, 6000, 2000, 4000 };
	uint64_t t = 1000000;
	for (int i = 0; i < 8; i++, t += 500000)
		vc_clockoff_sample(&o, t, 1000 + noise[i]);
	CHECK(vc_clockoff_get(&o, t, &off));
	CHECK_EQ(off, 1000);
	/* One SR that lies: 500 ms "earlier" than any real path. */
	vc_clockoff_sample(&o, t, 1000 - 500000);
	CHECK(vc_clockoff_get(&o, t, &off));
	CHECK_EQ(off, -499000);
	uint64_t lie_t = t;
	for (int i = 0; i < 40; i++) {
		t += 500000;
		vc_clockoff_sample(&o, t, 1000 + noise[i % 8] + 1000);
		vc_clockoff_get(&o, t, &off);
		if (t - lie_t >= 16000000u)
			break;
	}
	CHECK(vc_clockoff_get(&o, t, &off));
	CHECK(off >= 1000 && off <= 2000); /* the lie is forgotten */
	/* A route that got 30 ms longer is adopted once the window has moved. */
	for (int i = 0; i < 40; i++, t += 500000)
		vc_clockoff_sample(&o, t, 31000 + noise[i % 8]);
	CHECK(vc_clockoff_get(&o, t, &off));
	CHECK_EQ(off, 31000);
	/* Nothing for longer than the window: no estimate. */
	CHECK(!vc_clockoff_get(&o, t + 17000000u, &off));
}

static void test_sendhist_budget(void)
{
	struct vc_sendhist *h;
	uint8_t pkt[1200], out[1200];
	size_t len;

	/* 1 Mbit/s of budget: 12500 bytes in a 100 ms round trip. */
	CHECK_EQ(vc_sendhist_new(&h, 1000000), 0);
	for (unsigned i = 0; i < 1000; i++) {
		memset(pkt, (int)(i & 0xff), sizeof(pkt));
		vc_sendhist_store(h, (uint16_t)(60000 + i), pkt, sizeof(pkt)); /* wraps past 65535 */
	}
	int ok = 0, budget = 0;
	for (unsigned i = 0; i < 1000; i++) {
		enum vc_hist_result r = vc_sendhist_take(h, (uint16_t)(60000 + i), 5000000, 100000, out,
							 sizeof(out), &len);
		ok += r == VC_HIST_OK;
		budget += r == VC_HIST_BUDGET;
	}
	CHECK_EQ(ok, 10);      /* 10 x 1200 <= 12500 < 11 x 1200 */
	CHECK_EQ(budget, 990);
	/* What came back is the packet stored. */
	CHECK_EQ(vc_sendhist_take(h, (uint16_t)(60000 + 500), 5100000, 100000, out, sizeof(out), &len),
		 VC_HIST_OK);
	CHECK_EQ(len, 1200);
	CHECK_EQ(out[0], 500 & 0xff);
	/* the same packet again within 10 ms */
	CHECK_EQ(vc_sendhist_take(h, (uint16_t)(60000 + 500), 5105000, 100000, out, sizeof(out), &len),
		 VC_HIST_TOO_SOON);
	/* never stored, and overwritten (1024 slots) */
	CHECK_EQ(vc_sendhist_take(h, 1234, 5200000, 100000, out, sizeof(out), &len), VC_HIST_MISSING);
	vc_sendhist_store(h, (uint16_t)(60000 + 1024), pkt, sizeof(pkt));
	CHECK_EQ(vc_sendhist_take(h, 60000, 5300000, 100000, out, sizeof(out), &len), VC_HIST_MISSING);
	/* No RTT known: 100 ms assumed; a 1 ms RTT counts as 20 ms: the
	 * 9600-byte floor (8 packets). */
	vc_sendhist_free(h);
	CHECK_EQ(vc_sendhist_new(&h, 1000000), 0);
	for (unsigned i = 0; i < 100; i++)
		vc_sendhist_store(h, (uint16_t)i, pkt, sizeof(pkt));
	ok = 0;
	for (unsigned i = 0; i < 100; i++)
		ok += vc_sendhist_take(h, (uint16_t)i, 1000000, 1000, out, sizeof(out), &len) == VC_HIST_OK;
	CHECK_EQ(ok, 8);
	vc_sendhist_free(h);
	/* A reported RTT of 30 s counts as 1 s: 125000 bytes (104 packets),
	 * not the whole history. */
	CHECK_EQ(vc_sendhist_new(&h, 1000000), 0);
	for (unsigned i = 0; i < 1000; i++)
		vc_sendhist_store(h, (uint16_t)i, pkt, sizeof(pkt));
	ok = 0;
	for (unsigned i = 0; i < 1000; i++)
		ok += vc_sendhist_take(h, (uint16_t)i, 1000000, 30000000, out, sizeof(out), &len) == VC_HIST_OK;
	CHECK_EQ(ok, 104);
	vc_sendhist_free(h);
	vc_sendhist_free(NULL);
}

static void test_freeze(void)
{
	struct vc_freeze fz = { 0 };
	uint64_t t = 1000000, total = 0;
	int n = 0;

	CHECK_EQ(vc_freeze_frame(&fz, t), 0); /* the first frame */
	for (int i = 0; i < 60; i++) {
		t += 33333;
		total += vc_freeze_frame(&fz, t);
	}
	CHECK_EQ(total, 0);
	t += 400000; /* one 400 ms hole */
	uint64_t f = vc_freeze_frame(&fz, t);
	CHECK_EQ(f, 400);
	n += f > 0;
	t += 120000; /* 120 ms: under 150, not a freeze */
	CHECK_EQ(vc_freeze_frame(&fz, t), 0);
	CHECK_EQ(n, 1);
}

/* NACK decisions through the receive buffer on a fake timeline. */
static void test_vrecv_nack(void)
{
	struct vc_stats st;
	struct vc_vrecv *v;
	uint16_t seqs[64];
	uint64_t next, t = 10000000;
	uint8_t payload[100] = { 0 };

	memset(&st, 0, sizeof(st));
	CHECK_EQ(vc_vrecv_new(&v, 0, &st), 0);
	/* frames of 2 packets each; seq 104 goes missing */
	for (uint16_t s = 100; s < 110; s++) {
		if (s == 104)
			continue;
		struct vc_fb_pkt_info pi = { .seq = s, .ts = 3000u * (s / 2), .marker = s & 1,
					     .frame_start = !(s & 1), .keyframe = s == 100, .picture_id = -1,
					     .arrival_us = t };
		CHECK(!vc_vrecv_put(v, &pi, payload, sizeof(payload)));
		if (s == 105) /* the hole is seen; within the 5 ms reorder wait: nothing */
			CHECK_EQ(vc_vrecv_nacks(v, t + 2000, 40000, seqs, 64, &next), 0);
		t += 1000;
	}
	CHECK_EQ(atomic_load(&st.video_target_ms), 30);
	CHECK_EQ(vc_vrecv_nacks(v, t + 10000, 40000, seqs, 64, &next), 1);
	CHECK_EQ(seqs[0], 104);
	/* while NACKing, the render delay covers a round trip + 60 ms */
	CHECK_EQ(atomic_load(&st.video_target_ms), 100);
	CHECK(next > t + 10000);
	/* a duplicate is refused and counted */
	struct vc_fb_pkt_info dup = { .seq = 105, .ts = 3000u * 52, .marker = 1, .picture_id = -1,
				      .arrival_us = t };
	vc_vrecv_put(v, &dup, payload, sizeof(payload));
	CHECK_EQ(atomic_load(&st.rejected_duplicate), 1);
	/* 10 s after the last NACK the target falls back */
	CHECK_EQ(vc_vrecv_nacks(v, t + 10000 + 10000001, 40000, seqs, 64, &next), 0);
	CHECK_EQ(atomic_load(&st.video_target_ms), 30);
	/* a jump of thousands (a backlog after a stall): a keyframe, not a
	 * NACK storm */
	struct vc_fb_pkt_info far = { .seq = 110 + 5000, .ts = 3000u * 3000, .marker = 1, .picture_id = -1,
				      .arrival_us = t + 20000001 };
	CHECK(vc_vrecv_put(v, &far, payload, sizeof(payload)));
	CHECK(vc_vrecv_nacks(v, t + 20100000, 40000, seqs, 64, &next) <= 64);
	vc_vrecv_free(v);
}

int main(void)
{
	RUN(test_aplay_speed);
	RUN(test_aplay_want);
	RUN(test_sync_step);
	RUN(test_avsync_trace);
	RUN(test_avsync_drift);
	RUN(test_vdelay);
	RUN(test_kf_limiter);
	RUN(test_rtcp_interval);
	RUN(test_liveness);
	RUN(test_clockoff);
	RUN(test_sendhist_budget);
	RUN(test_freeze);
	RUN(test_vrecv_nack);
	return vc_test_summary();
}
