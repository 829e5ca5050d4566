/* test_ctl_audio.c - the audio-side controllers on a fake clock, every
 * input and every expected output a literal: the playout speed
 * (vc_aplay_speed), the tick grid (vc_aplay_want_ms), the lip-sync step
 * (vc_sync_step) and the lip-sync and drift loops of vc_avsync driven by
 * literal traces of notes and ticks, including one wild timestamp and a
 * wild transit sample.  (test_call_ctl.c has the first cut of these.)
 */
#include <math.h>
#include <stdint.h>

#include "vc_aplay.h"
#include "vc_avsync.h"
#include "vc_test.h"

#define NEAR(a, b, tol) CHECK(fabs((double)(a) - (double)(b)) <= (tol))
#define N_OF(x) (sizeof(x) / sizeof((x)[0]))

/* ---- vc_aplay_speed ------------------------------------------------- */

static void test_speed_table(void)
{
	static const struct {
		double delay_ms, target_ms, drift_ppm, speed;
	} t[] = {
		{ 40.0, 40.0, 0, 1.0 },            /* on target */
		{ 41.0, 40.0, 0, 1.0 },            /* inside the 2 ms dead band */
		{ 42.0, 40.0, 0, 1.0 },            /* its upper edge */
		{ 38.0, 40.0, 0, 1.0 },            /* its lower edge */
		{ 42.4, 40.0, 0, 1.001 },          /* 0.4 ms past the band / 400 ms */
		{ 37.6, 40.0, 0, 0.999 },
		{ 62.0, 40.0, 0, 1.05 },           /* 20 / 400 */
		{ 80.0, 40.0, 0, 1.095 },          /* 38 / 400 */
		{ 0.0, 60.0, 0, 0.855 },           /* -58 / 400 */
		{ 142.0, 40.0, 0, 1.25 },          /* exactly the accelerate cap */
		{ 143.0, 40.0, 0, 1.25 },          /* past it: capped */
		{ 5040.0, 40.0, 0, 1.25 },         /* a 5 s backlog after a stall: still capped */
		{ 0.0, 82.0, 0, 0.80 },            /* exactly the expand cap */
		{ 0.0, 1000.0, 0, 0.80 },          /* far below: capped */
		{ 40.0, 40.0, 100, 1.0001 },       /* drift feed-forward alone */
		{ 40.0, 40.0, -250, 0.99975 },
		{ 41.9, 40.0, 50, 1.00005 },       /* dead band + drift */
		{ 80.0, 40.0, 200, 1.095219 },     /* 1.095 x 1.0002 */
		{ 142.0, 40.0, 100, 1.250125 },    /* the cap is on the steering, drift on top */
		{ 0.0, 1000.0, -100, 0.79992 },    /* 0.8 x 0.9999 */
		{ NAN, 40.0, 0, 1.0 },             /* no delay measured: no steering */
	};
	for (size_t i = 0; i < N_OF(t); i++) {
		double s = vc_aplay_speed(t[i].delay_ms, t[i].target_ms, t[i].drift_ppm);
		if (fabs(s - t[i].speed) > 1e-9)
			fprintf(stderr, "  speed row %zu: %.9f, want %.9f\n", i, s, t[i].speed);
		NEAR(s, t[i].speed, 1e-9);
	}
}

/* ---- vc_aplay_want_ms: the least hold on the 5 ms grid >= the target -- */

static void test_want_table(void)
{
	static const struct {
		double delay_ms, fifo_ms, lat_ms, target_ms, want_ms;
	} t[] = {
		/* hold = delay - fifo - latency */
		{ 40.0, 0.0, 0.0, 40.0, 40.0 },   /* hold 40 covers 40 */
		{ 40.0, 0.0, 0.0, 40.5, 45.0 },   /* one tick more */
		{ 40.0, 0.0, 0.0, 35.1, 40.0 },   /* one tick less would not cover it */
		{ 40.0, 0.0, 0.0, 35.0, 35.0 },   /* one tick less covers it exactly */
		{ 40.0, 0.0, 0.0, 21.0, 25.0 },   /* three ticks less */
		{ 47.3, 7.3, 0.0, 40.0, 40.0 },   /* the FIFO is waste: not steered to */
		{ 63.0, 3.0, 20.0, 30.0, 50.0 },  /* hold 40 -> 30, plus 20 ms of sink latency */
		{ 33.0, 0.0, 10.0, 31.0, 43.0 },  /* hold 23 -> 33 */
		{ 25.0, 2.0, 8.0, 40.0, 48.0 },   /* hold 15 -> 40 */
		{ 42.5, 0.0, 0.0, 40.0, 42.5 },   /* hold 42.5 is on its own grid: -0 ticks */
		{ 42.5, 0.0, 0.0, 43.0, 47.5 },
		/* The hold equals the target, but the subtraction leaves it one
		 * rounding error short (39.999999999999993): still no extra
		 * tick. */
		{ 40.3, 0.1, 0.2, 40.0, 40.2 },
		{ 40.8, 0.7, 0.1, 40.0, 40.1 },
		{ 40.9, 0.2, 0.7, 40.0, 40.7 },
	};
	for (size_t i = 0; i < N_OF(t); i++) {
		double w = vc_aplay_want_ms(t[i].delay_ms, t[i].fifo_ms, t[i].lat_ms, t[i].target_ms);
		if (fabs(w - t[i].want_ms) > 1e-6)
			fprintf(stderr, "  want row %zu: %.9f, want %.9f\n", i, w, t[i].want_ms);
		NEAR(w, t[i].want_ms, 1e-6);
	}
}

/* ---- vc_sync_step ------------------------------------------------------ */

static void test_sync_step_table(void)
{
	static const struct {
		uint32_t v0, a0;
		double diff_ms; /* > 0: video later than its audio */
		uint32_t v1, a1;
	} t[] = {
		{ 0, 0, 0.0, 0, 0 },
		{ 0, 0, 4.999, 0, 0 },       /* dead band */
		{ 0, 0, -4.999, 0, 0 },
		{ 0, 0, 5.0, 0, 5 },         /* its edge steps */
		{ 0, 0, -5.0, 5, 0 },
		{ 0, 0, 9.99, 0, 10 },       /* rounded to whole ms */
		{ 0, 0, 30.0, 0, 10 },       /* at most 10 ms a step */
		{ 0, 0, 1000.0, 0, 10 },
		{ 0, 0, -1000.0, 10, 0 },
		{ 15, 0, -20.0, 25, 0 },     /* audio late: video waits more */
		{ 15, 0, 20.0, 5, 0 },       /* video late: its own extra goes first */
		{ 4, 0, 20.0, 0, 0 },        /* ... down to 0, the audio not given any yet */
		{ 0, 4, -20.0, 0, 0 },
		{ 0, 20, -7.0, 0, 13 },
		{ 7, 9, 30.0, 0, 9 },
		{ 0, 395, 30.0, 0, 400 },    /* the 400 ms cap */
		{ 0, 400, 30.0, 0, 400 },
		{ 400, 0, -30.0, 400, 0 },
		{ 0, 0, NAN, 0, 0 },         /* nothing measured */
		{ 0, 0, INFINITY, 0, 0 },
		{ 0, 0, -INFINITY, 0, 0 },
		{ 20, 30, NAN, 20, 30 },
	};
	for (size_t i = 0; i < N_OF(t); i++) {
		uint32_t extra[VC_N_STREAMS];
		extra[VC_VIDEO] = t[i].v0;
		extra[VC_AUDIO] = t[i].a0;
		vc_sync_step(extra, t[i].diff_ms);
		if (extra[VC_VIDEO] != t[i].v1 || extra[VC_AUDIO] != t[i].a1)
			fprintf(stderr, "  sync row %zu: v %u a %u\n", i, extra[VC_VIDEO], extra[VC_AUDIO]);
		CHECK_EQ(extra[VC_VIDEO], t[i].v1);
		CHECK_EQ(extra[VC_AUDIO], t[i].a1);
	}
}

/* ---- lip sync through vc_avsync ---------------------------------------
 * A closed loop on a fake timeline: each tick, 50 audio and 30 video notes
 * of sender time 1000 s; audio is heard audio_ms (+ its extra) later, video
 * shown video_ms (+ its extra) later, each with a little symmetric jitter.
 * Audio notes are stamped when the decoder's output starts, 6.5 ms (the
 * Opus look-ahead) before the media of that timestamp is heard. */

static const int jit_us[10] = { 0, 1500, -1500, 3000, -3000, 700, -700, 2200, -2200, 0 };

static void feed(struct vc_avsync *a, uint32_t audio_ms, uint32_t video_ms, const uint32_t extra[VC_N_STREAMS])
{
	const int64_t sender = 1000000000;

	for (int k = 0; k < 50; k++)
		vc_avsync_note(a, VC_AUDIO, sender,
			       (uint64_t)(sender - 6500 + (int64_t)(audio_ms + extra[VC_AUDIO]) * 1000 +
					  jit_us[k % 10]));
	for (int k = 0; k < 30; k++)
		vc_avsync_note(a, VC_VIDEO, sender,
			       (uint64_t)(sender + (int64_t)(video_ms + extra[VC_VIDEO]) * 1000 + jit_us[k % 10]));
}

struct sync_row {
	uint32_t audio_ms, video_ms; /* the paths this second */
	uint32_t v, a;               /* the extras after the tick */
};

static void run_sync_trace(const char *name, const struct sync_row *t, size_t n)
{
	struct vc_avsync *a;
	uint32_t extra[VC_N_STREAMS] = { 0, 0 };
	uint64_t now = 1000000000;

	CHECK_EQ(vc_avsync_new(&a), 0);
	/* The first second of both streams is start-up: measured, not acted on. */
	feed(a, t[0].audio_ms, t[0].video_ms, extra);
	now += 1000000;
	vc_avsync_tick(a, now, false, 0, extra);
	CHECK_EQ(extra[VC_VIDEO], 0);
	CHECK_EQ(extra[VC_AUDIO], 0);
	for (size_t i = 0; i < n; i++) {
		feed(a, t[i].audio_ms, t[i].video_ms, extra);
		now += 1000000;
		vc_avsync_tick(a, now, false, 0, extra);
		if (extra[VC_VIDEO] != t[i].v || extra[VC_AUDIO] != t[i].a)
			fprintf(stderr, "  %s tick %zu: v %u a %u, want v %u a %u\n", name, i, extra[VC_VIDEO],
				extra[VC_AUDIO], t[i].v, t[i].a);
		CHECK_EQ(extra[VC_VIDEO], t[i].v);
		CHECK_EQ(extra[VC_AUDIO], t[i].a);
	}
	vc_avsync_free(a);
}

static void test_sync_video_late(void)
{
	/* Video consistently 30 ms late: audio waits 10 ms more a tick until
	 * they agree, then stays. */
	static const struct sync_row t30[] = {
		{ 50, 80, 0, 10 }, { 50, 80, 0, 20 }, { 50, 80, 0, 30 }, { 50, 80, 0, 30 }, { 50, 80, 0, 30 },
	};
	run_sync_trace("video 30 late", t30, N_OF(t30));
	/* 27 ms: 10, 10, then the 7 left. */
	static const struct sync_row t27[] = {
		{ 50, 77, 0, 10 }, { 50, 77, 0, 20 }, { 50, 77, 0, 27 }, { 50, 77, 0, 27 },
	};
	run_sync_trace("video 27 late", t27, N_OF(t27));
	/* 23 ms: 10, 10, and the 3 left are inside the dead band. */
	static const struct sync_row t23[] = {
		{ 50, 73, 0, 10 }, { 50, 73, 0, 20 }, { 50, 73, 0, 20 }, { 50, 73, 0, 20 },
	};
	run_sync_trace("video 23 late", t23, N_OF(t23));
}

static void test_sync_audio_late_then_back(void)
{
	/* Audio 23 ms late: video waits (10, 20; 3 left is in the band).  Then
	 * the audio path gets 28 ms faster: video is 25 ms late, and the video
	 * extra is taken back first (10, 0) before the audio gets any (5). */
	static const struct sync_row t[] = {
		{ 73, 50, 10, 0 }, { 73, 50, 20, 0 }, { 73, 50, 20, 0 },
		{ 45, 50, 10, 0 }, { 45, 50, 0, 0 },  { 45, 50, 0, 5 }, { 45, 50, 0, 5 },
	};
	run_sync_trace("audio late then back", t, N_OF(t));
}

/* Open loop (what is added never shows in the notes, e.g. a sink that
 * ignores it): after the start-up second the extra climbs 10 ms a tick and
 * stops at 400 ms. */
static void test_sync_open_loop_cap(void)
{
	struct vc_avsync *a;
	uint32_t extra[VC_N_STREAMS], none[VC_N_STREAMS] = { 0, 0 };
	uint64_t now = 5000000;

	CHECK_EQ(vc_avsync_new(&a), 0);
	for (int s = 1; s <= 45; s++) {
		feed(a, 50, 80, none);
		now += 1000000;
		vc_avsync_tick(a, now, false, 0, extra);
		if (s == 1)
			CHECK_EQ(extra[VC_AUDIO], 0);
		if (s == 2)
			CHECK_EQ(extra[VC_AUDIO], 10);
		if (s == 40)
			CHECK_EQ(extra[VC_AUDIO], 390);
		if (s == 41)
			CHECK_EQ(extra[VC_AUDIO], 400);
		CHECK_EQ(extra[VC_VIDEO], 0);
	}
	CHECK_EQ(extra[VC_AUDIO], 400);
	vc_avsync_free(a);
}

/* One wild timestamp: in sync (audio extra 30), one video note among 30 is
 * 10 s late (a bad RTP -> NTP mapping for one frame).  The mean of that
 * second jumps by 333 ms, but the step cap lets it cost one 10 ms step,
 * which the next second takes back. */
static void test_sync_one_wild_note(void)
{
	struct vc_avsync *a;
	uint32_t extra[VC_N_STREAMS] = { 0, 0 };
	uint64_t now = 1000000000;
	const int64_t sender = 1000000000;
	static const uint32_t want_a[] = { 0, 10, 20, 30, 30, 40, 30, 30, 30 };

	CHECK_EQ(vc_avsync_new(&a), 0);
	for (size_t s = 0; s < N_OF(want_a); s++) {
		feed(a, 50, 80, extra);
		if (s == 5)
			vc_avsync_note(a, VC_VIDEO, sender, (uint64_t)(sender + 10080000));
		now += 1000000;
		vc_avsync_tick(a, now, false, 0, extra);
		CHECK_EQ(extra[VC_AUDIO], want_a[s]);
		CHECK_EQ(extra[VC_VIDEO], 0);
	}
	vc_avsync_free(a);
}

/* A tick needs notes of both streams since the last tick; one-sided or
 * empty seconds change nothing, and the notes do not carry over. */
static void test_sync_needs_both(void)
{
	struct vc_avsync *a;
	uint32_t extra[VC_N_STREAMS];
	const int64_t sender = 1000000000;

	CHECK_EQ(vc_avsync_new(&a), 0);
	vc_avsync_tick(a, 1000000, false, 0, extra); /* nothing at all */
	CHECK_EQ(extra[VC_AUDIO], 0);
	CHECK_EQ(extra[VC_VIDEO], 0);
	vc_avsync_note(a, VC_VIDEO, sender, (uint64_t)(sender + 200000));
	vc_avsync_tick(a, 2000000, false, 0, extra); /* video only */
	CHECK_EQ(extra[VC_AUDIO], 0);
	vc_avsync_note(a, VC_AUDIO, sender, (uint64_t)(sender + 43500));
	vc_avsync_tick(a, 3000000, false, 0, extra); /* audio only: the video note is gone */
	CHECK_EQ(extra[VC_AUDIO], 0);
	CHECK_EQ(extra[VC_VIDEO], 0);
	vc_avsync_note(a, VC_AUDIO, sender, (uint64_t)(sender + 43500)); /* heard at +50 */
	vc_avsync_note(a, VC_VIDEO, sender, (uint64_t)(sender + 58000)); /* shown at +58 */
	vc_avsync_tick(a, 4000000, false, 0, extra); /* both, the first time: start-up */
	CHECK_EQ(extra[VC_AUDIO], 0);
	vc_avsync_note(a, VC_AUDIO, sender, (uint64_t)(sender + 43500));
	vc_avsync_note(a, VC_VIDEO, sender, (uint64_t)(sender + 58000));
	vc_avsync_tick(a, 5000000, false, 0, extra);
	CHECK_EQ(extra[VC_AUDIO], 8);
	CHECK_EQ(extra[VC_VIDEO], 0);
	vc_avsync_free(a);
}

/* ---- drift through vc_avsync_tick ------------------------------------
 * The audio reference transit (fastest packet: arrival - RTP time, us) once
 * a second.  A sender clock that runs 100 ppm slow makes it grow 100 us a
 * second: -100 ppm (> 0 means the sender is fast). */

static void test_drift_growing_transit(void)
{
	struct vc_avsync *a;
	uint32_t extra[VC_N_STREAMS];
	double ppm = 0;

	CHECK_EQ(vc_avsync_new(&a), 0);
	CHECK(!vc_avsync_drift_ppm(a, &ppm));
	for (int s = 0; s <= 60; s++) {
		vc_avsync_tick(a, 1000000000u + (uint64_t)s * 1000000u, true, 35000 + (int64_t)s * 100, extra);
		bool ok = vc_avsync_drift_ppm(a, &ppm);
		if (s < 20) {
			CHECK(!ok); /* the samples span less than 20 s */
		} else {
			CHECK(ok);
			NEAR(ppm, -100.0, 0.01);
		}
	}
	/* Ticks without a transit (none yet after a reset of the buffer)
	 * leave the estimate as it was. */
	vc_avsync_tick(a, 1061000000u, false, 0, extra);
	CHECK(vc_avsync_drift_ppm(a, &ppm));
	NEAR(ppm, -100.0, 0.01);
	vc_avsync_free(a);
}

/* +100 ppm with queueing noise on the fastest packet (0..0.6 ms). */
static void test_drift_noisy(void)
{
	static const int noise_us[13] = { 0, 400, 100, 600, 0, 250, 500, 50, 300, 0, 550, 150, 450 };
	struct vc_avsync *a;
	uint32_t extra[VC_N_STREAMS];
	double ppm = 0;

	CHECK_EQ(vc_avsync_new(&a), 0);
	for (int s = 0; s <= 90; s++)
		vc_avsync_tick(a, 2000000000u + (uint64_t)s * 1000000u, true,
			       40000 - (int64_t)s * 100 + noise_us[s % 13], extra);
	CHECK(vc_avsync_drift_ppm(a, &ppm));
	NEAR(ppm, 100.0, 10.0);
	vc_avsync_free(a);
}

/* One wild transit sample.  Below the 50 ms step threshold (+30 ms or
 * -30 ms: one packet with a bad timestamp) it moves two slopes of ~30 and
 * not the median: the estimate stays at 100.  Above it (+80 ms) the fit
 * restarts (twice: into the sample and back out of it); meanwhile no
 * estimate is given, never a wrong one, and 20 s later it is back. */
static void run_drift_spike(int64_t spike_us, bool restarts)
{
	struct vc_avsync *a;
	uint32_t extra[VC_N_STREAMS];
	double ppm = 0;
	int swung = 0, unknown = 0;

	CHECK_EQ(vc_avsync_new(&a), 0);
	for (int s = 0; s <= 100; s++) {
		int64_t transit = 50000 - (int64_t)s * 100 + (s == 40 ? spike_us : 0);
		vc_avsync_tick(a, 3000000000u + (uint64_t)s * 1000000u, true, transit, extra);
		if (s < 20)
			continue;
		if (!vc_avsync_drift_ppm(a, &ppm)) {
			unknown++;
			continue;
		}
		if (fabs(ppm - 100.0) > 0.01) {
			fprintf(stderr, "  spike %lld: second %d: %.3f ppm\n", (long long)spike_us, s, ppm);
			swung++;
		}
	}
	CHECK_EQ(swung, 0);
	/* a restart at s = 40 and 41: the fit spans 20 s again at s = 61 */
	CHECK_EQ(unknown, restarts ? 21 : 0);
	CHECK(vc_avsync_drift_ppm(a, &ppm));
	NEAR(ppm, 100.0, 0.01);
	vc_avsync_free(a);
}

static void test_drift_wild_sample(void)
{
	run_drift_spike(30000, false);
	run_drift_spike(-30000, false);
	run_drift_spike(80000, true);
	run_drift_spike(-80000, true);
}

/* A real route change (+80 ms that stays): one restart, the same drift
 * 20 s later. */
static void test_drift_route_change(void)
{
	struct vc_avsync *a;
	uint32_t extra[VC_N_STREAMS];
	double ppm = 0;

	CHECK_EQ(vc_avsync_new(&a), 0);
	for (int s = 0; s <= 30; s++)
		vc_avsync_tick(a, (uint64_t)s * 1000000u + 1000000u, true, 50000 - (int64_t)s * 100, extra);
	CHECK(vc_avsync_drift_ppm(a, &ppm));
	for (int s = 31; s <= 70; s++) {
		vc_avsync_tick(a, (uint64_t)s * 1000000u + 1000000u, true, 130000 - (int64_t)s * 100, extra);
		bool ok = vc_avsync_drift_ppm(a, &ppm);
		CHECK_EQ(ok, s >= 51);
		if (ok)
			NEAR(ppm, 100.0, 0.01);
	}
	vc_avsync_free(a);
}

/* The audio sender restarted (a new SSRC, maybe another device): the old
 * estimate is not given for the new sender's clock. */
static void test_drift_reset(void)
{
	struct vc_avsync *a;
	uint32_t extra[VC_N_STREAMS];
	double ppm = 0;

	CHECK_EQ(vc_avsync_new(&a), 0);
	for (int s = 0; s <= 30; s++)
		vc_avsync_tick(a, (uint64_t)s * 1000000u + 1000000u, true, 50000 - (int64_t)s * 100, extra);
	CHECK(vc_avsync_drift_ppm(a, &ppm));
	vc_avsync_reset_drift(a);
	CHECK(!vc_avsync_drift_ppm(a, &ppm));
	/* the buffer was reset too: no transit for a while */
	vc_avsync_tick(a, 32000000u, false, 0, extra);
	CHECK(!vc_avsync_drift_ppm(a, &ppm));
	/* the new sender runs 40 ppm slow */
	for (int s = 33; s <= 53; s++)
		vc_avsync_tick(a, (uint64_t)s * 1000000u, true, 90000 + (int64_t)(s - 33) * 40, extra);
	CHECK(vc_avsync_drift_ppm(a, &ppm));
	NEAR(ppm, -40.0, 0.01);
	vc_avsync_free(a);
}

int main(void)
{
	RUN(test_speed_table);
	RUN(test_want_table);
	RUN(test_sync_step_table);
	RUN(test_sync_video_late);
	RUN(test_sync_audio_late_then_back);
	RUN(test_sync_open_loop_cap);
	RUN(test_sync_one_wild_note);
	RUN(test_sync_needs_both);
	RUN(test_drift_growing_transit);
	RUN(test_drift_noisy);
	RUN(test_drift_wild_sample);
	RUN(test_drift_route_change);
	RUN(test_drift_reset);
	return vc_test_summary();
}
