/* test_pa.c - vc_pa (PortAudio microphone/speaker) against ALSA file PCMs.
 *
 * No sound card is needed: the test fills in tests/audio/asoundrc.in as a
 * private, complete ALSA configuration (ALSA_CONFIG_PATH), so PortAudio's
 * ALSA host API lists only the test devices, among them:
 *   vcin   capture returns a raw file (a 997 Hz tone the test wrote);
 *   vcout  playback appends every sample to a raw file.
 * Both sit on ALSA's "null" PCM, which has no clock: they run thousands of
 * times faster than real time.  That is what makes overflow and underflow
 * easy to provoke here; real-time pacing is checked by tests/audio (a
 * private PulseAudio daemon).
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vc_clock.h"
#include "vc_pa.h"
#include "tsan_pulse.h"
#include "vc_test.h"
#include "vc_test_stats.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

#define RATE 48000


#define IN_HZ 997.0
#define IN_SECONDS 20
#define OUT_HZ 440.0

static char tmpdir[256];
static char in_path[320];
static char out_path[320];
static int16_t *in_pcm; /* what vcin plays, IN_SECONDS long */

static int16_t in_sample(long n)
{
	return (int16_t)lrint(8000.0 * sin(2.0 * M_PI * IN_HZ * (double)n / RATE));
}

/* Sine at OUT_HZ that is never exactly 0, so silence (0) can be told apart
 * from what we wrote when scanning the output file. */
static int16_t out_sample(long n)
{
	long v = lrint(6000.0 * sin(2.0 * M_PI * OUT_HZ * (double)n / RATE + 0.3));
	return (int16_t)(v == 0 ? 1 : v);
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static int upward_crossings(const int16_t *pcm, int n)
{
	int c = 0;
	for (int i = 1; i < n; i++)
		if (pcm[i - 1] < 0 && pcm[i] >= 0)
			c++;
	return c;
}

static const char *template_path(void)
{
	static char p[512];
	const char *env = getenv("VC_ASOUNDRC_IN");
	if (env && *env)
		return env;
	/* __FILE__ is the absolute source path in CMake builds. */
	snprintf(p, sizeof(p), "%s", __FILE__);
	char *slash = strrchr(p, '/');
	if (!slash)
		return "../audio/asoundrc.in";
	*slash = '\0';
	strncat(p, "/../audio/asoundrc.in", sizeof(p) - strlen(p) - 1);
	return p;
}

static void replace_all(char *s, size_t cap, const char *key, const char *val)
{
	char *at;
	while ((at = strstr(s, key))) {
		size_t klen = strlen(key), vlen = strlen(val), tail = strlen(at + klen);
		if (strlen(s) - klen + vlen + 1 > cap)
			return;
		memmove(at + vlen, at + klen, tail + 1);
		memcpy(at, val, vlen);
	}
}

static int setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "%s/vc_pa.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(in_path, sizeof(in_path), "%s/in.raw", tmpdir);
	snprintf(out_path, sizeof(out_path), "%s/out.raw", tmpdir);

	in_pcm = malloc(sizeof(int16_t) * RATE * IN_SECONDS);
	if (!in_pcm)
		return -1;
	for (long i = 0; i < (long)RATE * IN_SECONDS; i++)
		in_pcm[i] = in_sample(i);
	FILE *f = fopen(in_path, "wb");
	if (!f)
		return -1;
	fwrite(in_pcm, sizeof(int16_t), (size_t)RATE * IN_SECONDS, f); /* LE host */
	fclose(f);

	static char conf[8192];
	f = fopen(template_path(), "r");
	if (!f) {
		fprintf(stderr, "test_pa: cannot read %s\n", template_path());
		return -1;
	}
	size_t n = fread(conf, 1, sizeof(conf) - 1, f);
	conf[n] = '\0';
	fclose(f);
	replace_all(conf, sizeof(conf), "@VC_IN_FILE@", in_path);
	replace_all(conf, sizeof(conf), "@VC_OUT_FILE@", out_path);
	replace_all(conf, sizeof(conf), "@VC_PULSE_SINK@", "vcnull");
	char rc[320];
	snprintf(rc, sizeof(rc), "%s/asound.conf", tmpdir);
	f = fopen(rc, "w");
	if (!f)
		return -1;
	fputs(conf, f);
	fclose(f);

	/* The template's own header says why the whole configuration is
	 * replaced.  A PULSE_SERVER that does not exist keeps its pulse devices
	 * from reaching (or autospawning) a user's PulseAudio while PortAudio
	 * probes them: they are simply not listed here. */
	char dead[320];
	snprintf(dead, sizeof(dead), "unix:%s/no-pulse", tmpdir);
	setenv("ALSA_CONFIG_PATH", rc, 1);
	setenv("PULSE_SERVER", dead, 1);
	return 0;
}

static void teardown(void)
{
	char p[320];
	unlink(in_path);
	unlink(out_path);
	snprintf(p, sizeof(p), "%s/asound.conf", tmpdir);
	unlink(p);
	rmdir(tmpdir);
	free(in_pcm);
}

/* Index of the device called name in vc_pa_list's output, or -1. */
static int list_index(const char *name)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	int idx = -1;
	if (!m)
		return -1;
	vc_pa_list(m);
	fclose(m);
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		int i;
		char dev[128];
		if (sscanf(line, " %d: %127s", &i, dev) == 2 && strcmp(dev, name) == 0)
			idx = i;
	}
	free(buf);
	return idx;
}

static void test_list(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	CHECK(m != NULL);
	if (!m)
		return;
	int n = vc_pa_list(m);
	fclose(m);
	CHECK(n >= 2);
	CHECK(strstr(buf, "vcin") != NULL);
	CHECK(strstr(buf, "vcout") != NULL);
	CHECK(strstr(buf, " Hz") != NULL); /* default rate is printed */
	free(buf);
}

/* The first second read is the file's first second, sample for sample, and
 * the capture time advances by exactly the samples read (10 ms / 20 ms
 * steps; the timeline may be slewed by 1 us per block, see vc_pa.c). */
static void test_input_tone(void)
{
	struct vc_pa_in *in = NULL;
	char err[256];
	const struct vc_clock *clk = vc_clock_monotonic();
	uint64_t t_open = vc_clock_now(clk);

	int r = vc_pa_in_open(&in, "vcin", clk, err, sizeof(err));
	CHECK_EQ(r, 0);
	if (r) {
		fprintf(stderr, "  %s\n", err);
		return;
	}
	static int16_t got[RATE];
	long pos = 0;
	uint64_t prev = 0, first = 0;
	int bad_steps = 0, bad_len = 0;
	/* 50 reads of 10 ms, then 25 reads of 20 ms: 1 s, all of it in the ring
	 * (1.36 s) before the first overflow. */
	for (int i = 0; i < 75; i++) {
		int frames = i < 50 ? 480 : 960;
		uint64_t t;
		int n = vc_pa_in_read(in, got + pos, frames, &t, 2000);
		if (n != frames) {
			bad_len++;
			break;
		}
		if (i == 0) {
			first = t;
		} else {
			int64_t step = (int64_t)(t - prev);
			int64_t want = (i <= 50 ? 480 : 960) * 1000000LL / RATE;
			if (llabs(step - want) > 5) {
				if (bad_steps++ < 5)
					fprintf(stderr, "  read %d: step %lld us, want %lld\n", i,
						(long long)step, (long long)want);
			}
		}
		prev = t;
		pos += n;
	}
	CHECK_EQ(bad_len, 0);
	CHECK_EQ(bad_steps, 0);
	CHECK_EQ(pos, RATE);
	/* The first sample's time is about when we started the stream. */
	CHECK(first + 100000 > t_open && first < t_open + 1000000);
	CHECK(memcmp(got, in_pcm, sizeof(int16_t) * (size_t)pos) == 0);
	/* And independently of the file: it is a 997 Hz tone. */
	CHECK(goertzel_ratio(got, 4800, IN_HZ, RATE) > 0.9);
	CHECK(goertzel_ratio(got, 4800, 1500.0, RATE) < 0.01);
	int zc = upward_crossings(got, RATE);
	CHECK(zc >= 996 && zc <= 998);
	vc_pa_in_close(in);
}

/* Nobody reads: the free-running PCM overflows the ring at once.  Reads then
 * get the oldest 1.36 s, after which capture time jumps forward over the
 * dropped blocks, in whole 10 ms blocks and never backwards. */
static void test_input_overflow(void)
{
	struct vc_pa_in *in = NULL;
	char err[256];
	int r = vc_pa_in_open(&in, "VCIN", NULL, err, sizeof(err)); /* any case */
	CHECK_EQ(r, 0);
	if (r)
		return;
	sleep_ms(200);
	uint64_t ov = vc_pa_in_overflows(in);
	CHECK(ov > 0);

	int16_t buf[480];
	uint64_t prev = 0;
	int jumps = 0, backwards = 0, ragged = 0;
	for (int i = 0; i < 300; i++) {
		uint64_t t;
		int n = vc_pa_in_read(in, buf, 480, &t, 2000);
		if (n != 480) {
			CHECK_EQ(n, 480);
			break;
		}
		if (i > 0) {
			int64_t step = (int64_t)(t - prev);
			if (step < 0)
				backwards++;
			else if (step > 10010) {
				jumps++;
				/* whole blocks, give or take the 1 us/block slew */
				int64_t rem = step % 10000;
				if (rem > 50 && rem < 9950)
					ragged++;
			}
		}
		prev = t;
	}
	CHECK(jumps >= 1);
	CHECK_EQ(backwards, 0);
	CHECK_EQ(ragged, 0);
	CHECK(vc_pa_in_overflows(in) >= ov);
	vc_pa_in_close(in);
}

/* Everything written comes out of the speaker in order: the non-zero
 * samples of the output file are exactly the samples written (the gaps
 * between them are the underflow silence of a device with no clock). */
static void test_output_file(void)
{
	struct vc_pa_out *o = NULL;
	char err[256];
	const int blocks = 100;
	int r = vc_pa_out_open(&o, "vcout", 40, err, sizeof(err));
	CHECK_EQ(r, 0);
	if (r) {
		fprintf(stderr, "  %s\n", err);
		return;
	}
	int16_t buf[480];
	long n = 0;
	int short_writes = 0;
	for (int b = 0; b < blocks; b++) {
		for (int i = 0; i < 480; i++)
			buf[i] = out_sample(n + i);
		int w = vc_pa_out_write(o, buf, 480, 2000);
		if (w != 480)
			short_writes++;
		n += 480;
	}
	CHECK_EQ(short_writes, 0);
	uint64_t now = vc_monotonic_us();
	CHECK(vc_pa_out_play_time(o) >= now);
	sleep_ms(30); /* let the callback drain the ring */
	vc_pa_out_close(o);

	FILE *f = fopen(out_path, "rb");
	CHECK(f != NULL);
	if (!f)
		return;
	long match = 0, extra = 0, mismatch = 0, total = 0;
	int16_t s[4096];
	size_t got;
	while ((got = fread(s, sizeof(int16_t), 4096, f)) > 0) {
		total += (long)got;
		for (size_t i = 0; i < got; i++) {
			if (s[i] == 0)
				continue;
			if (match >= n)
				extra++;
			else if (s[i] == out_sample(match))
				match++;
			else
				mismatch++;
		}
	}
	fclose(f);
	CHECK_EQ(match, n);
	CHECK_EQ(mismatch, 0);
	CHECK_EQ(extra, 0);
	CHECK(total >= n);
	/* Free-running device: silence was played between writes. */
	fprintf(stderr, "  output file: %ld samples, %ld of them ours\n", total, match);
}

static void test_device_selection(void)
{
	struct vc_pa_in *in = NULL;
	struct vc_pa_out *o = NULL;
	char err[256], spec[32];
	int16_t buf[480];
	uint64_t t;

	/* by index */
	int idx = list_index("vcin");
	CHECK(idx >= 0);
	snprintf(spec, sizeof(spec), "%d", idx);
	CHECK_EQ(vc_pa_in_open(&in, spec, NULL, err, sizeof(err)), 0);
	if (in) {
		CHECK_EQ(vc_pa_in_read(in, buf, 480, &t, 2000), 480);
		CHECK(memcmp(buf, in_pcm, sizeof(buf)) == 0); /* it really is vcin */
	}
	vc_pa_in_close(in);
	in = NULL;

	/* by substring, case-insensitive: only vcin's name contains "CIN" */
	CHECK_EQ(vc_pa_in_open(&in, "CIn", NULL, err, sizeof(err)), 0);
	if (in) {
		CHECK_EQ(vc_pa_in_read(in, buf, 480, &t, 2000), 480);
		CHECK(memcmp(buf, in_pcm, sizeof(buf)) == 0);
	}
	vc_pa_in_close(in);
	in = NULL;

	/* default (NULL or ""): the config's pcm.default, whose capture is vcin */
	CHECK_EQ(vc_pa_in_open(&in, "", NULL, err, sizeof(err)), 0);
	if (in) {
		CHECK_EQ(vc_pa_in_read(in, buf, 480, &t, 2000), 480);
		CHECK(memcmp(buf, in_pcm, sizeof(buf)) == 0);
	}
	vc_pa_in_close(in);
	in = NULL;
	CHECK_EQ(vc_pa_out_open(&o, NULL, 40, err, sizeof(err)), 0);
	vc_pa_out_close(o);
	o = NULL;

	/* no match */
	CHECK_EQ(vc_pa_in_open(&in, "foo-no-such", NULL, err, sizeof(err)), -ENODEV);
	CHECK(in == NULL);
	CHECK(strcmp(err, "portaudio: no input device matches 'foo-no-such'") == 0);
	CHECK_EQ(vc_pa_out_open(&o, "bar-no-such", 40, err, sizeof(err)), -ENODEV);
	CHECK(o == NULL);
	CHECK(strcmp(err, "portaudio: no output device matches 'bar-no-such'") == 0);
	CHECK_EQ(vc_pa_in_open(&in, "9999", NULL, err, sizeof(err)), -ENODEV);
	CHECK(strcmp(err, "portaudio: no input device with index 9999") == 0);
	CHECK(strchr(err, '\n') == NULL);
}

static void test_refcount(void)
{
	/* init/exit nest; streams hold their own reference */
	CHECK_EQ(vc_pa_init(), 0);
	CHECK_EQ(vc_pa_init(), 0);
	vc_pa_exit();
	struct vc_pa_out *o = NULL;
	char err[256];
	CHECK_EQ(vc_pa_out_open(&o, "vcout", 20, err, sizeof(err)), 0);
	vc_pa_exit(); /* the stream keeps PortAudio up */
	int16_t buf[480] = { 0 };
	CHECK_EQ(vc_pa_out_write(o, buf, 480, 1000), 480);
	vc_pa_out_close(o);
	vc_pa_out_close(NULL);
	vc_pa_in_close(NULL);
}

int main(void)
{
	if (setup() != 0) {
		fprintf(stderr, "test_pa: setup failed: %s\n", strerror(errno));
		return EXIT_FAILURE;
	}
	CHECK_EQ(vc_pa_init(), 0);
	RUN(test_list);
	RUN(test_input_tone);
	RUN(test_input_overflow);
	RUN(test_output_file);
	RUN(test_device_selection);
	RUN(test_refcount);
	vc_pa_exit();
	teardown();
	return vc_test_summary();
}
