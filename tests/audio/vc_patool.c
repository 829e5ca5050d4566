/* vc_patool.c - play a tone into, or record from, a PortAudio device, for
 * the call-audio tests (tests/audio/run-call-audio-test.sh,
 * run-echo-test.sh):
 *   vc_patool play DEVICE HZ SECONDS        a sine at -12 dBFS, device-paced
 *   vc_patool rec DEVICE SKIP SECONDS OUT.wav   48 kHz mono, after SKIP s
 *   vc_patool speech OUT.wav SECONDS [SEED] speech-like audio (48 kHz mono)
 *   vc_patool echodelay OUTDEV INDEV SECONDS
 *                                           the echo path delay as an echo
 *                                           canceller in vcalld sees it
 */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vc_json.h"
#include "vc_pa.h"
#include "vc_wav.h"
#include "../support/vc_xorshift.h"

#define BLOCK 960

static int play(const char *dev, double hz, int seconds)
{
	struct vc_pa_out *out = NULL;
	char err[256];
	int16_t pcm[BLOCK];
	double ph = 0;

	if (vc_pa_out_open(&out, dev, 60, err, sizeof(err)) < 0) {
		fprintf(stderr, "vc_patool: %s\n", err);
		return 1;
	}
	for (int b = 0; b < seconds * 50; b++) {
		for (int i = 0; i < BLOCK; i++) {
			pcm[i] = (int16_t)lrint(8192.0 * sin(2 * M_PI * ph));
			ph += hz / VC_PA_RATE;
			if (ph >= 1.0)
				ph -= 1.0;
		}
		int n = vc_pa_out_write(out, pcm, BLOCK, 5000);
		if (n < 0) {
			fprintf(stderr, "vc_patool: play failed (%d) after %d blocks\n", n, b);
			vc_pa_out_close(out);
			return 1;
		}
	}
	vc_pa_out_close(out);
	return 0;
}

static int rec(const char *dev, int skip_s, int seconds, const char *path)
{
	struct vc_pa_in *in = NULL;
	struct vc_wav_writer w;
	char err[256];
	int16_t pcm[BLOCK];
	uint64_t t;
	int rc = 1;

	if (vc_pa_in_open(&in, dev, vc_clock_monotonic(), err, sizeof(err)) < 0) {
		fprintf(stderr, "vc_patool: %s\n", err);
		return 1;
	}
	if (vc_wav_create(&w, path, VC_PA_RATE, 1) < 0) {
		fprintf(stderr, "vc_patool: cannot write %s\n", path);
		goto out;
	}
	for (int i = 0; i < (skip_s + seconds) * 50; i++) {
		int n = vc_pa_in_read(in, pcm, BLOCK, &t, 5000);
		if (n != BLOCK) {
			fprintf(stderr, "vc_patool: read failed (%d) after %d blocks\n", n, i);
			vc_wav_finish(&w);
			goto out;
		}
		if (i >= skip_s * 50 && vc_wav_write(&w, pcm, n) < 0)
			break;
	}
	rc = vc_wav_finish(&w) < 0;
out:
	vc_pa_in_close(in);
	return rc;
}

/* ---- speech: a deterministic speech-like signal ------------------------ */


static double rng_unit(uint32_t *s) /* [0, 1) */
{
	return (double)(rng_next(s) >> 8) / 16777216.0;
}

/* Vowel formants (F1, F2, F3 in Hz), roughly those of an adult male. */
static const double vowels[][3] = {
	{ 730, 1090, 2440 }, /* a */
	{ 530, 1840, 2480 }, /* e */
	{ 270, 2290, 3010 }, /* i */
	{ 570, 840, 2410 },  /* o */
	{ 300, 870, 2240 },  /* u */
	{ 660, 1720, 2410 }, /* ae */
	{ 520, 1190, 2390 }, /* uh */
};
#define NVOWELS (sizeof(vowels) / sizeof(vowels[0]))

/* A two-pole band-pass (constant 0 dB peak gain) whose centre may move
 * from sample to sample. */
struct reson {
	double x1, x2, y1, y2;
};

static double reson_run(struct reson *r, double x, double hz, double bw)
{
	double w0 = 2.0 * M_PI * hz / VC_PA_RATE;
	double alpha = sin(w0) * bw / (2.0 * hz); /* sin(w0) / 2Q */
	double a0 = 1.0 + alpha;
	double y = (alpha * x - alpha * r->x2 + 2.0 * cos(w0) * r->y1 - (1.0 - alpha) * r->y2) / a0;

	r->x2 = r->x1;
	r->x1 = x;
	r->y2 = r->y1;
	r->y1 = y;
	return y;
}

/* Syllables of 120..320 ms (a vowel, half of them after a 30..80 ms
 * fricative), a pause after one in five, loudness varying by syllable; the
 * voice is a band-limited pulse train (harmonics falling 6 dB/octave up to
 * 5 kHz) at a pitch that glides with the phrase and falls over each
 * syllable, shaped by three formant resonators that move between vowels.
 * Peak -6 dBFS. */
static int speech(const char *path, double seconds, uint32_t seed)
{
	size_t n = (size_t)(seconds * VC_PA_RATE);
	double *x = calloc(n ? n : 1, sizeof(double));
	int16_t *pcm = malloc((n ? n : 1) * sizeof(int16_t));
	uint32_t s = seed ? seed : 1;
	struct reson rf[3] = { 0 }, fric = { 0 };
	double ph = 0, peak = 0, cur_f[3] = { 500, 1500, 2500 };
	struct vc_wav_writer w;
	size_t k = 0;

	if (!x || !pcm) {
		free(x);
		free(pcm);
		return 1;
	}
	while (k < n) {
		/* one syllable */
		size_t fric_len = rng_unit(&s) < 0.5 ? (size_t)((0.03 + 0.05 * rng_unit(&s)) * VC_PA_RATE) : 0;
		size_t voc_len = (size_t)((0.12 + 0.20 * rng_unit(&s)) * VC_PA_RATE);
		size_t pause = rng_unit(&s) < 0.2 ? (size_t)((0.10 + 0.30 * rng_unit(&s)) * VC_PA_RATE) : 0;
		const double *v = vowels[rng_next(&s) % NVOWELS];
		double loud = 0.55 + 0.45 * rng_unit(&s);
		double accent = 1.0 + 0.15 * (rng_unit(&s) - 0.3);
		double fric_hz = 2500.0 + 3000.0 * rng_unit(&s);

		for (size_t i = 0; i < fric_len && k < n; i++, k++) {
			double pos = (double)i / (double)fric_len;
			double env = sin(M_PI * pos);
			double noise = 2.0 * rng_unit(&s) - 1.0;

			x[k] = 0.35 * loud * env * reson_run(&fric, noise, fric_hz, 1500.0);
		}
		for (size_t i = 0; i < voc_len && k < n; i++, k++) {
			double t = (double)k / VC_PA_RATE, pos = (double)i / (double)voc_len;
			double f0 = (118.0 + 22.0 * sin(2 * M_PI * 0.23 * t)) * accent * (1.0 - 0.12 * pos);
			/* 20 ms attack, 50 ms release */
			double a = fmin(1.0, (double)i / (0.02 * VC_PA_RATE));
			double r = fmin(1.0, (double)(voc_len - i) / (0.05 * VC_PA_RATE));
			double env = loud * sin(M_PI / 2 * a) * sin(M_PI / 2 * r);
			double c, s1, s0 = 0, src = 0, out = 0;

			ph += 2 * M_PI * f0 / VC_PA_RATE;
			if (ph > 2 * M_PI)
				ph -= 2 * M_PI;
			/* sum of sin(h ph) / h by the Chebyshev recurrence */
			c = 2.0 * cos(ph);
			s1 = sin(ph);
			for (int h = 1; h * f0 < 5000.0; h++) {
				src += s1 / h;
				double s2 = c * s1 - s0;
				s0 = s1;
				s1 = s2;
			}
			src += 0.05 * (2.0 * rng_unit(&s) - 1.0); /* breath */
			for (int f = 0; f < 3; f++) {
				/* formants glide to the vowel's over ~30 ms */
				cur_f[f] += (v[f] - cur_f[f]) * (1.0 / (0.03 * VC_PA_RATE) * 4.0);
				out += reson_run(&rf[f], src, cur_f[f], 60.0 + 40.0 * f) / (1 + f);
			}
			x[k] = env * out;
		}
		for (size_t i = 0; i < pause && k < n; i++, k++)
			x[k] = 0;
	}
	for (k = 0; k < n; k++)
		if (fabs(x[k]) > peak)
			peak = fabs(x[k]);
	for (k = 0; k < n; k++)
		pcm[k] = (int16_t)lrint(peak > 0 ? x[k] * 16384.0 / peak : 0);
	int rc = 1;
	if (vc_wav_create(&w, path, VC_PA_RATE, 1) == 0) {
		rc = vc_wav_write(&w, pcm, (int)n) < 0;
		rc |= vc_wav_finish(&w) < 0;
	}
	if (rc)
		fprintf(stderr, "vc_patool: cannot write %s\n", path);
	free(x);
	free(pcm);
	return rc;
}

/* ---- echodelay ---------------------------------------------------------- */

/* Plays noise bursts into OUTDEV the way vcalld's playout does (20 ms
 * writes into a 40 ms device queue, each stamped with the time just before
 * its write, which is what vcalld hands its echo canceller as the far-end
 * time) while it records INDEV (stamped with vc_pa's capture times, what
 * the canceller gets for the microphone).  The sample lag between the two
 * streams comes from cross-correlation; the delay of every played block is
 * then (capture time of its echo) - (its write time): the delay the
 * canceller's filter has to cover.  Prints one JSON line: that delay
 * (median, percentiles), the lag, correlation and gain of the echo, and of
 * the capture stamps after the settling time their slew against the sample
 * count (us per s) and how long after its stamped end each 10 ms block was
 * in hand (median and minimum, ms; negative = a stamp in the future). */
#define ED_SPK_TARGET_MS 40 /* daemon/vc_sink.c SPK_TARGET_MS */
#define ED_OUT_BLOCK 960    /* vcalld's playout block */
#define ED_IN_BLOCK 480
/* The first 2 s are not judged: PulseAudio's capture hands over its first
 * second or so in bursts, and vc_pa's capture stamps re-anchor forwards in
 * 50 ms steps until they match the device's clock. */
#define ED_SETTLE_BLOCKS 100

struct ed_play {
	const char *dev;
	int16_t *far;
	uint64_t *far_t; /* write time of each block */
	int blocks;
	int rc;
	_Atomic bool stop; /* set once the recorder has closed its stream */
};

static void *ed_player(void *arg)
{
	struct ed_play *p = arg;
	struct vc_pa_out *out = NULL;
	char err[256];

	if (vc_pa_out_open(&out, p->dev, ED_SPK_TARGET_MS, err, sizeof(err)) < 0) {
		fprintf(stderr, "vc_patool: %s\n", err);
		p->rc = 1;
		return NULL;
	}
	/* the probe, then silence until the recorder is done: closing one
	 * stream while the other polls makes PortAudio's ALSA capture fail
	 * now and then (the pulse plugin's poll descriptors) */
	for (int b = 0; !atomic_load(&p->stop); b++) {
		static const int16_t silence[ED_OUT_BLOCK];
		const int16_t *pcm = silence;
		if (b < p->blocks) {
			p->far_t[b] = vc_monotonic_us();
			pcm = p->far + (size_t)b * ED_OUT_BLOCK;
		}
		int n = vc_pa_out_write(out, pcm, ED_OUT_BLOCK, 5000);
		if (n != ED_OUT_BLOCK) {
			fprintf(stderr, "vc_patool: play failed (%d) after %d blocks\n", n, b);
			p->rc = 1;
			break;
		}
	}
	while (!atomic_load(&p->stop))
		usleep(10000);
	vc_pa_out_close(out);
	return NULL;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static int echodelay(const char *outdev, const char *indev, int seconds)
{
	struct vc_pa_in *in = NULL;
	struct ed_play p = { .dev = outdev, .blocks = seconds * 50 };
	int in_blocks = (seconds + 1) * 100; /* a second longer than the play */
	size_t nf = (size_t)p.blocks * ED_OUT_BLOCK, nm = (size_t)in_blocks * ED_IN_BLOCK;
	int16_t *mic = malloc(nm * sizeof(int16_t));
	uint64_t *mic_t = malloc((size_t)in_blocks * sizeof(uint64_t));
	int64_t *mic_lat = malloc((size_t)in_blocks * sizeof(int64_t));
	int64_t *delays = malloc((size_t)p.blocks * sizeof(int64_t));
	char err[256];
	uint32_t s = 0x5eed;
	pthread_t th;
	int rc = 1, got = 0;

	p.far = calloc(nf, sizeof(int16_t));
	p.far_t = calloc((size_t)p.blocks, sizeof(uint64_t));
	if (!mic || !mic_t || !mic_lat || !delays || !p.far || !p.far_t || seconds < 3)
		goto out;
	/* noise bursts of 20..100 ms at -12 dBFS with 20..150 ms gaps: an
	 * envelope that cross-correlates at one lag only */
	for (size_t k = 0; k < nf;) {
		size_t on = (size_t)((0.02 + 0.08 * rng_unit(&s)) * VC_PA_RATE);
		size_t off = (size_t)((0.02 + 0.13 * rng_unit(&s)) * VC_PA_RATE);
		for (size_t i = 0; i < on && k < nf; i++, k++)
			p.far[k] = (int16_t)lrint(8192.0 * 1.7 * (rng_unit(&s) - 0.5));
		k += off;
	}
	if (vc_pa_in_open(&in, indev, vc_clock_monotonic(), err, sizeof(err)) < 0) {
		fprintf(stderr, "vc_patool: %s\n", err);
		goto out;
	}
	if (pthread_create(&th, NULL, ed_player, &p) != 0) {
		vc_pa_in_close(in);
		goto out;
	}
	for (got = 0; got < in_blocks; got++) {
		int n = vc_pa_in_read(in, mic + (size_t)got * ED_IN_BLOCK, ED_IN_BLOCK, &mic_t[got], 5000);
		if (n != ED_IN_BLOCK) {
			fprintf(stderr, "vc_patool: read failed (%d) after %d blocks\n", n, got);
			break;
		}
		/* when the block was in hand, after the stamped end of its
		 * capture (negative: the stamp lies in the future) */
		mic_lat[got] = (int64_t)vc_monotonic_us() - (int64_t)mic_t[got] - 10000;
	}
	vc_pa_in_close(in);
	atomic_store(&p.stop, true);
	pthread_join(th, NULL);
	if (p.rc || got < in_blocks)
		goto out;
	nm = (size_t)got * ED_IN_BLOCK;
	/* coarse: 1 ms energy envelopes, lag (mic index - far index) in
	 * 0..1 s; then the exact sample lag within +-2 ms */
	size_t ef = nf / 48, em = nm / 48;
	double *envf = calloc(ef, sizeof(double)), *envm = calloc(em, sizeof(double));
	if (!envf || !envm) {
		free(envf);
		free(envm);
		goto out;
	}
	for (size_t k = 0; k < ef * 48; k++)
		envf[k / 48] += (double)p.far[k] * p.far[k];
	for (size_t k = 0; k < em * 48; k++)
		envm[k / 48] += (double)mic[k] * mic[k];
	double mf = 0, mm = 0;
	for (size_t i = 0; i < ef; i++)
		mf += (envf[i] = sqrt(envf[i])) / (double)ef;
	for (size_t i = 0; i < em; i++)
		mm += (envm[i] = sqrt(envm[i])) / (double)em;
	long best_ms = 0;
	double best = -1e300;
	for (long lag = -1000; lag <= 1000; lag++) {
		double acc = 0;
		for (long i = lag < 0 ? -lag : 0; i < (long)ef && i + lag < (long)em; i++)
			acc += (envf[i] - mf) * (envm[i + lag] - mm);
		if (acc > best) {
			best = acc;
			best_ms = lag;
		}
	}
	free(envf);
	free(envm);
	long lag = 0;
	double bestc = -1e300, ff = 0, mmx = 0, fm = 0;
	for (long l = best_ms * 48 - 96; l <= best_ms * 48 + 96; l++) {
		double acc = 0;
		for (long k = l < 0 ? -l : 0; k < (long)nf && k + l < (long)nm; k++)
			acc += (double)p.far[k] * mic[k + l];
		if (acc > bestc) {
			bestc = acc;
			lag = l;
		}
	}
	for (long k = lag < 0 ? -lag : 0; k < (long)nf && k + lag < (long)nm; k++) {
		ff += (double)p.far[k] * p.far[k];
		mmx += (double)mic[k + lag] * mic[k + lag];
		fm += (double)p.far[k] * mic[k + lag];
	}
	/* per played block (that the recording holds): capture time of its
	 * first sample's echo minus its write time */
	int nd = 0;
	for (int b = ED_SETTLE_BLOCKS; b < p.blocks; b++) {
		long ms = (long)b * ED_OUT_BLOCK + lag;
		if (ms < 0)
			continue;
		size_t m = (size_t)ms;
		size_t mb = m / ED_IN_BLOCK;
		if (mb >= (size_t)got)
			break;
		uint64_t tm = mic_t[mb] + (uint64_t)(m - mb * ED_IN_BLOCK) * 1000000u / VC_PA_RATE;
		delays[nd++] = (int64_t)tm - (int64_t)p.far_t[b];
	}
	if (nd < 10 || ff <= 0 || mmx <= 0)
		goto out;
	qsort(delays, (size_t)nd, sizeof(delays[0]), cmp_i64);
	/* the capture stamps after the settling time: how far they run from
	 * the sample count (slew), and how late the blocks were in hand */
	int s0 = 2 * ED_SETTLE_BLOCKS, nl = got - s0;
	double slew = (double)((int64_t)(mic_t[got - 1] - mic_t[s0]) - (int64_t)(got - 1 - s0) * 10000) /
		      ((got - 1 - s0) / 100.0);
	qsort(mic_lat + s0, (size_t)nl, sizeof(mic_lat[0]), cmp_i64);
	json_t *o = json_object();
	vc_json_set_i64(o, "lag_samples", lag);
	vc_json_set_fixed(o, "corr", fm / sqrt(ff * mmx), 3);
	vc_json_set_fixed(o, "gain_db", 10 * log10(mmx / ff), 1);
	vc_json_set_fixed(o, "delay_ms", delays[nd / 2] / 1000.0, 1);
	vc_json_set_fixed(o, "delay_ms_p5", delays[nd * 5 / 100] / 1000.0, 1);
	vc_json_set_fixed(o, "delay_ms_p95", delays[nd * 95 / 100] / 1000.0, 1);
	vc_json_set_fixed(o, "delay_ms_min", delays[0] / 1000.0, 1);
	vc_json_set_fixed(o, "delay_ms_max", delays[nd - 1] / 1000.0, 1);
	vc_json_set_i64(o, "blocks", nd);
	vc_json_set_fixed(o, "capture_stamp_slew_us_per_s", slew, 0);
	vc_json_set_fixed(o, "capture_in_hand_ms", mic_lat[s0 + nl / 2] / 1000.0, 1);
	vc_json_set_fixed(o, "capture_in_hand_ms_min", mic_lat[s0] / 1000.0, 1);
	rc = vc_json_write_line(stdout, o) == 0 ? 0 : 1;
	json_decref(o);
out:
	free(mic);
	free(mic_t);
	free(mic_lat);
	free(delays);
	free(p.far);
	free(p.far_t);
	return rc;
}

int main(int argc, char **argv)
{
	int rc = 2;

	/* speech needs no audio device */
	if ((argc == 4 || argc == 5) && strcmp(argv[1], "speech") == 0)
		return speech(argv[2], atof(argv[3]), argc == 5 ? (uint32_t)strtoul(argv[4], NULL, 0) : 1);
	if (vc_pa_init() < 0) {
		fprintf(stderr, "vc_patool: PortAudio does not start\n");
		return 1;
	}
	if (argc == 5 && strcmp(argv[1], "play") == 0)
		rc = play(argv[2], atof(argv[3]), atoi(argv[4]));
	else if (argc == 6 && strcmp(argv[1], "rec") == 0)
		rc = rec(argv[2], atoi(argv[3]), atoi(argv[4]), argv[5]);
	else if (argc == 5 && strcmp(argv[1], "echodelay") == 0)
		rc = echodelay(argv[2], argv[3], atoi(argv[4]));
	else
		fprintf(stderr, "usage: vc_patool play DEVICE HZ SECONDS | rec DEVICE SKIP SECONDS OUT.wav\n"
				"       | speech OUT.wav SECONDS [SEED] | echodelay OUTDEV INDEV SECONDS\n");
	vc_pa_exit();
	return rc;
}
