/* test_pa_rt.c - vc_pa in real time, through a private PulseAudio daemon.
 *
 * Run by run-pulse-test.sh, which starts the daemon (pulse-up.sh) and points
 * ALSA_CONFIG_PATH at a configuration (asoundrc.in) where PortAudio sees
 *   vcpulse_out  a null sink, consumed at exactly 48 kHz by the daemon;
 *   vcpulse_mon  its monitor: a source that records what the sink played.
 * A writer thread plays a 1 kHz tone into vcpulse_out while the main thread
 * reads vcpulse_mon, so the whole path runs paced by a real clock:
 *   - write() blocks: 3 s of audio takes about 3 s to queue;
 *   - read() delivers 10 ms blocks whose capture times advance 10 ms each
 *     and stay within a few hundred ms of "now";
 *   - the tone comes back, and its onset's capture time is close to what
 *     vc_pa_out_play_time() predicted for the first written sample;
 *   - after the writer stops, the output underflows (counted).
 * Then the daemon is killed (VC_PULSE_PID, the PID pulse-up.sh recorded):
 * read and write must fail with -EIO so the daemon's caller can reopen.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vc_clock.h"
#include "vc_pa.h"
#include "tsan_pulse.h"
#include "vc_test.h"
#include "vc_test_stats.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

#define RATE 48000


#define TONE_HZ 1000.0
#define PLAY_BLOCKS 300 /* 3 s */

struct writer {
	struct vc_pa_out *o;
	_Atomic bool go;         /* main: warm-up over, play the tone */
	_Atomic bool abort_warm; /* main: give up */
	uint64_t first_play_us;  /* play_time() just before the tone's first write */
	uint64_t start_us, end_us;
	int short_writes;
};

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* Silence until told to go (the null sink and the ALSA pulse plugin take
 * one to two seconds to settle after a stream starts), then 3 s of tone,
 * then nothing (the output underflows). */
static void *writer_main(void *arg)
{
	struct writer *w = arg;
	int16_t buf[480] = { 0 };

	while (!atomic_load(&w->go)) {
		if (atomic_load(&w->abort_warm))
			return NULL;
		vc_pa_out_write(w->o, buf, 480, 100);
	}
	w->start_us = vc_monotonic_us();
	w->first_play_us = vc_pa_out_play_time(w->o);
	long n = 0;
	for (int b = 0; b < PLAY_BLOCKS; b++) {
		for (int i = 0; i < 480; i++, n++)
			buf[i] = (int16_t)lrint(8000.0 * sin(2.0 * M_PI * TONE_HZ * (double)n / RATE));
		if (vc_pa_out_write(w->o, buf, 480, 1000) != 480)
			w->short_writes++;
	}
	w->end_us = vc_monotonic_us();
	return NULL;
}

static void test_loopback(void)
{
	struct vc_pa_in *in = NULL;
	struct vc_pa_out *o = NULL;
	char err[256];
	int r;

	r = vc_pa_out_open(&o, "vcpulse_out", 60, err, sizeof(err));
	CHECK_EQ(r, 0);
	if (r) {
		fprintf(stderr, "  %s (is libasound2-plugins installed?)\n", err);
		return;
	}
	r = vc_pa_in_open(&in, "vcpulse_mon", NULL, err, sizeof(err));
	CHECK_EQ(r, 0);
	if (r) {
		fprintf(stderr, "  %s\n", err);
		vc_pa_out_close(o);
		return;
	}

	struct writer w = { .o = o };
	atomic_init(&w.go, false);
	atomic_init(&w.abort_warm, false);
	pthread_t th;
	CHECK_EQ(pthread_create(&th, NULL, writer_main, &w), 0);

	int16_t buf[480];
	uint64_t t, prev = 0, t_open = vc_monotonic_us();

	/* Warm-up: wait for 1 s of blocks whose capture times step by exactly
	 * 10 ms (the start-up transient of the pulse plugin's latency report is
	 * over).  At most 10 s. */
	int steady = 0, warm_blocks = 0, warm_errors = 0;
	while (steady < 100 && vc_monotonic_us() - t_open < 10000000u) {
		int n = vc_pa_in_read(in, buf, 480, &t, 1000);
		if (n < 0 && warm_errors++ < 3)
			fprintf(stderr, "  warm-up read: %s\n", strerror(-n));
		if (n != 480)
			continue;
		if (warm_blocks++ && llabs((int64_t)(t - prev) - 10000) <= 20)
			steady++;
		else
			steady = 0;
		prev = t;
	}
	CHECK(steady >= 100);
	CHECK_EQ(warm_errors, 0); /* a slow start is not a dead device */
	fprintf(stderr, "  warm-up: %d blocks, %.2f s\n", warm_blocks,
		(double)(vc_monotonic_us() - t_open) / 1e6);
	uint64_t ov0 = vc_pa_in_overflows(in);
	atomic_store(&w.go, true);

	uint64_t first_t = 0, first_now = 0, last_t = 0, last_now = 0, onset = 0;
	int blocks = 0, tone_blocks = 0, bad_steps = 0, late = 0, early = 0, fails = 0;
	int64_t max_age = 0;
	/* The 3 s of tone, plus 0.5 s for the way through the server. */
	for (int i = 0; i < PLAY_BLOCKS + 50; i++) {
		int n = vc_pa_in_read(in, buf, 480, &t, 1000);
		uint64_t now = vc_monotonic_us();
		if (n != 480) {
			fails++;
			continue;
		}
		if (blocks == 0) {
			first_t = t;
			first_now = now;
		} else if (llabs((int64_t)(t - prev) - 10000) > 20 && bad_steps++ < 5) {
			fprintf(stderr, "  block %d: capture step %lld us\n", i,
				(long long)(t - prev));
		}
		int64_t age = (int64_t)(now - t);
		if (age > max_age)
			max_age = age;
		if (age > 300000)
			late++;
		if (age < 0)
			early++; /* "captured" in the future */
		if (goertzel_ratio(buf, 480, TONE_HZ, RATE) > 0.9) {
			if (!onset) {
				int k = 0;
				while (k < 480 && abs(buf[k]) < 200)
					k++;
				onset = t + (uint64_t)k * 1000000u / RATE;
			}
			tone_blocks++;
		}
		prev = t;
		last_t = t;
		last_now = now;
		blocks++;
	}
	pthread_join(th, NULL);

	CHECK_EQ(fails, 0);
	CHECK_EQ(bad_steps, 0);
	CHECK_EQ(late, 0);
	CHECK_EQ(early, 0);
	CHECK_EQ(w.short_writes, 0);
	CHECK_EQ(vc_pa_in_overflows(in) - ov0, 0);
	/* The device paces the writer: 3 s of tone take 3 s to queue (the ring
	 * was already at target_ms with silence). */
	double write_s = (double)(w.end_us - w.start_us) / 1e6;
	CHECK(write_s > 2.85 && write_s < 3.15);
	/* Capture times run at the wall clock's rate. */
	double cap_s = (double)(last_t - first_t) / 1e6;
	double wall_s = (double)(last_now - first_now) / 1e6;
	CHECK(fabs(cap_s - wall_s) < 0.03);
	/* The tone came back whole (a block either side for the edges). */
	CHECK(tone_blocks >= PLAY_BLOCKS - 2 && tone_blocks <= PLAY_BLOCKS + 1);
	/* vc_pa_out_play_time() predicted when the monitor would capture it. */
	int64_t skew = onset ? (int64_t)(onset - w.first_play_us) : INT64_MAX;
	CHECK(onset != 0 && llabs(skew) < 100000);
	fprintf(stderr,
		"  3 s written in %.3f s; capture %.3f s over %.3f s wall; max age %.1f ms; "
		"tone %d blocks; onset - predicted play time %+.1f ms\n",
		write_s, cap_s, wall_s, (double)max_age / 1000.0, tone_blocks,
		(double)skew / 1000.0);

	/* The writer stopped: the speaker plays silence, counted as underflow. */
	uint64_t uf = vc_pa_out_underflows(o);
	sleep_ms(200);
	CHECK(vc_pa_out_underflows(o) > uf);

	vc_pa_in_close(in);
	vc_pa_out_close(o);
}

/* The server goes away: both directions report -EIO within a few seconds. */
static void test_server_dies(void)
{
	const char *pid_s = getenv("VC_PULSE_PID");
	struct vc_pa_in *in = NULL;
	struct vc_pa_out *o = NULL;
	char err[256];
	int16_t buf[480] = { 0 };
	uint64_t t;

	if (!pid_s || atoi(pid_s) <= 1) {
		fprintf(stderr, "  SKIP: VC_PULSE_PID not set (run through run-pulse-test.sh)\n");
		return;
	}
	CHECK_EQ(vc_pa_out_open(&o, "vcpulse_out", 60, err, sizeof(err)), 0);
	CHECK_EQ(vc_pa_in_open(&in, "vcpulse_mon", NULL, err, sizeof(err)), 0);
	if (!in || !o) {
		vc_pa_in_close(in);
		vc_pa_out_close(o);
		return;
	}
	/* Both streams running (the first capture block can take ~2 s). */
	CHECK_EQ(vc_pa_in_read(in, buf, 480, &t, 5000), 480);
	CHECK_EQ(vc_pa_out_write(o, buf, 480, 1000), 480);

	/* Only the daemon run-pulse-test.sh started for this test. */
	CHECK_EQ(kill((pid_t)atoi(pid_s), SIGKILL), 0);
	uint64_t t0 = vc_monotonic_us();
	int rin = 0, rout = 0;
	while (vc_monotonic_us() - t0 < 6000000u && (rin != -EIO || rout != -EIO)) {
		if (rin != -EIO)
			rin = vc_pa_in_read(in, buf, 480, &t, 100);
		if (rout != -EIO)
			rout = vc_pa_out_write(o, buf, 480, 100);
	}
	CHECK_EQ(rin, -EIO);
	CHECK_EQ(rout, -EIO);
	fprintf(stderr, "  -EIO after %.2f s\n", (double)(vc_monotonic_us() - t0) / 1e6);
	vc_pa_in_close(in);
	vc_pa_out_close(o);
	/* Reopening fails cleanly (the devices are gone with the server). */
	int r = vc_pa_in_open(&in, "vcpulse_mon", NULL, err, sizeof(err));
	CHECK(r < 0 || in != NULL);
	if (r < 0)
		fprintf(stderr, "  reopen: %s\n", err);
	vc_pa_in_close(in);
}

int main(void)
{
	if (!getenv("PULSE_SERVER")) {
		fprintf(stderr, "test_pa_rt: PULSE_SERVER is not set; run it through "
				"tests/audio/run-pulse-test.sh\n");
		return EXIT_FAILURE;
	}
	CHECK_EQ(vc_pa_init(), 0);
	vc_pa_list(stderr);
	RUN(test_loopback);
	RUN(test_server_dies);
	vc_pa_exit();
	return vc_test_summary();
}
