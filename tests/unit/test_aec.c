/* test_aec.c - echo canceller: ERLE on a simulated echo path, double talk,
 * bypass, timestamp alignment, far-end underrun and the far timeline.
 *
 * The signals are synthetic and deterministic: "speech" is a sum of
 * harmonics of a gliding pitch, shaped into 250 ms syllables with random
 * pauses, plus a little breath noise.  The echo path is a pure delay of
 * ECHO_DELAY_MS followed by a 5 ms decaying impulse response at -10 dB, plus
 * mic noise.  Sample k of either signal is played / captured at
 * T0_US + k / RATE seconds, so the mic block i (captured at T0 + 10 ms * i)
 * holds the echo of far audio played ECHO_DELAY_MS earlier.
 */
#include "vc_aec.h"
#include "vc_test.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include "../support/vc_xorshift.h"

#define RATE 48000
#define FRAME 480
#define SECONDS 10
#define NSAMP (RATE * SECONDS)
#define ECHO_DELAY_MS 40
#define IR_LEN 240 /* 5 ms */
#define T0_US INT64_C(1000000000)
#define FAR_CHUNK 256   /* playout pushes in callback-sized pieces */
#define FAR_LEAD_BLOCKS 5 /* playout runs 50 ms ahead of capture */
#define TALK_FROM_S 7     /* near talker in the last 3 s */

static const double two_pi = 6.283185307179586;


static double rng_uniform(uint32_t *s) /* [-1, 1) */
{
	return (double)rng_next(s) / 2147483648.0 - 1.0;
}

static double rng_noise(uint32_t *s) /* roughly gaussian, unit variance */
{
	return (rng_uniform(s) + rng_uniform(s) + rng_uniform(s)) * 1.0;
}

/* Speech-like signal with peak near `peak`.  silent[] (may be NULL) marks
 * the 10 ms blocks that are inside a pause. */
static void gen_speech(double *out, size_t n, double f0, double f0_dev, double glide_hz,
		       double peak, uint32_t seed)
{
	const size_t slot = RATE / 4; /* 250 ms syllables: 4 Hz */
	uint32_t s = seed;
	double phase = 0.0, env_amp = 0.0, maxv = 0.0;
	bool voiced = true;

	for (size_t k = 0; k < n; k++) {
		double t = (double)k / RATE;
		double pitch = f0 + f0_dev * sin(two_pi * glide_hz * t);
		double pos, env, v = 0.0;

		if (k % slot == 0) {
			/* a quarter of the syllables are pauses; loudness varies */
			voiced = (rng_next(&s) % 4u) != 0;
			env_amp = 0.5 + 0.5 * (rng_uniform(&s) + 1.0) / 2.0;
		}
		pos = (double)(k % slot) / (double)slot;
		env = voiced ? env_amp * sin(3.141592653589793 * pos) * sin(3.141592653589793 * pos) : 0.0;
		phase += two_pi * pitch / RATE;
		if (phase > two_pi)
			phase -= two_pi;
		for (int h = 1; h * pitch < 4000.0; h++)
			v += sin(h * phase) / h;
		v += 0.15 * rng_noise(&s); /* breath */
		out[k] = v * env;
		if (fabs(out[k]) > maxv)
			maxv = fabs(out[k]);
	}
	for (size_t k = 0; k < n; k++)
		out[k] = out[k] * peak / maxv;
}

static int16_t clip16(double v)
{
	if (v > 32767.0)
		return 32767;
	if (v < -32768.0)
		return -32768;
	return (int16_t)lrint(v);
}

struct scene {
	int16_t *far;     /* played by the speaker */
	double *echo;     /* what the mic hears of it */
	double *talker;   /* near-end talker (zero before TALK_FROM_S) */
	int16_t *mic_echo; /* echo + noise */
	int16_t *mic_dt;   /* echo + talker + noise */
};

static struct scene sc;

static bool scene_build(void)
{
	double *farf = calloc(NSAMP, sizeof(double));
	double ir[IR_LEN], e = 0.0;
	uint32_t s = 0x12345u;
	const size_t d = (size_t)RATE * ECHO_DELAY_MS / 1000;

	sc.far = calloc(NSAMP, sizeof(int16_t));
	sc.echo = calloc(NSAMP, sizeof(double));
	sc.talker = calloc(NSAMP, sizeof(double));
	sc.mic_echo = calloc(NSAMP, sizeof(int16_t));
	sc.mic_dt = calloc(NSAMP, sizeof(int16_t));
	if (!farf || !sc.far || !sc.echo || !sc.talker || !sc.mic_echo || !sc.mic_dt)
		return false;

	gen_speech(farf, NSAMP, 130.0, 35.0, 0.7, 12000.0, 0xfa5u);
	for (size_t k = 0; k < NSAMP; k++)
		sc.far[k] = clip16(farf[k]);

	/* direct path then decaying reflections, scaled to -10 dB energy */
	for (int j = 0; j < IR_LEN; j++) {
		ir[j] = (j == 0 ? 1.0 : 0.6 * rng_uniform(&s)) * exp(-(double)j / 48.0);
		e += ir[j] * ir[j];
	}
	for (int j = 0; j < IR_LEN; j++)
		ir[j] *= pow(10.0, -10.0 / 20.0) / sqrt(e);
	for (size_t k = d; k < NSAMP; k++) {
		double v = 0.0;

		for (int j = 0; j < IR_LEN && (size_t)j <= k - d; j++)
			v += ir[j] * sc.far[k - d - (size_t)j];
		sc.echo[k] = v;
	}

	gen_speech(sc.talker, NSAMP, 215.0, 45.0, 0.5, 6000.0, 0x7a1cu);
	for (size_t k = 0; k < (size_t)RATE * TALK_FROM_S; k++)
		sc.talker[k] = 0.0;

	for (size_t k = 0; k < NSAMP; k++) {
		double noise = 8.0 * rng_noise(&s);

		sc.mic_echo[k] = clip16(sc.echo[k] + noise);
		sc.mic_dt[k] = clip16(sc.echo[k] + sc.talker[k] + noise);
	}
	free(farf);
	return true;
}

static void scene_free(void)
{
	free(sc.far);
	free(sc.echo);
	free(sc.talker);
	free(sc.mic_echo);
	free(sc.mic_dt);
}

static int64_t sample_us(size_t k)
{
	return T0_US + (int64_t)((uint64_t)k * 1000000u / RATE);
}

struct run_opts {
	bool residual;
	bool bypass;
	bool push_far;
	int64_t capture_skew_us; /* lie about the capture time by this much */
	double capture_slew_ppm; /* and let the stamps slew against the samples */
	int bulk_delay_ms;
};

/* Push far audio up to (not including) sample `upto`. */
static void push_far_until(struct vc_aec *aec, size_t *pushed, size_t upto)
{
	while (*pushed < upto) {
		size_t n = upto - *pushed < FAR_CHUNK ? upto - *pushed : FAR_CHUNK;

		CHECK_EQ(vc_aec_far(aec, sc.far + *pushed, n, sample_us(*pushed)), 0);
		*pushed += n;
	}
}

/* Run the whole 10 s through a fresh canceller; out gets the processed mic. */
static void run(const int16_t *mic, int16_t *out, const struct run_opts *o,
		struct vc_aec_stats *st, size_t *latency)
{
	struct vc_aec_cfg cfg;
	struct vc_aec *aec = NULL;
	size_t pushed = 0;

	vc_aec_cfg_default(&cfg);
	cfg.residual = o->residual;
	cfg.bypass = o->bypass;
	cfg.bulk_delay_ms = o->bulk_delay_ms;
	CHECK_EQ(vc_aec_new(&aec, &cfg), 0);
	if (!aec)
		return;
	memcpy(out, mic, NSAMP * sizeof(*out));
	for (size_t i = 0; i < NSAMP / FRAME; i++) {
		size_t lead = (i + 1 + FAR_LEAD_BLOCKS) * FRAME;

		if (o->push_far)
			push_far_until(aec, &pushed, lead < NSAMP ? lead : NSAMP);
		int64_t slew = (int64_t)((double)(i * FRAME) * 1e6 / RATE * o->capture_slew_ppm * 1e-6);

		CHECK_EQ(vc_aec_near(aec, out + i * FRAME, FRAME,
				     sample_us(i * FRAME) + o->capture_skew_us + slew), 0);
	}
	vc_aec_stats(aec, st);
	if (latency)
		*latency = vc_aec_latency_samples(aec);
	vc_aec_free(aec);
}

static double energy16(const int16_t *x, size_t from, size_t to)
{
	double e = 0.0;

	for (size_t k = from; k < to; k++)
		e += (double)x[k] * x[k];
	return e;
}

/* ERLE over the last 5 s of the echo-only scene. */
static double erle_db(const int16_t *in, const int16_t *out)
{
	size_t from = (size_t)RATE * 5;

	return 10.0 * log10(energy16(in, from, NSAMP) / (energy16(out, from, NSAMP) + 1.0));
}

static double erle_of(const struct run_opts *o, struct vc_aec_stats *st)
{
	int16_t *out = calloc(NSAMP, sizeof(int16_t));
	double r;

	if (!out)
		return -99.0;
	run(sc.mic_echo, out, o, st, NULL);
	r = erle_db(sc.mic_echo, out);
	free(out);
	return r;
}

static double erle_full;   /* residual suppression on, right timestamps */
static double erle_linear; /* adaptive filter only */

static void test_erle(void)
{
	struct run_opts o = {.residual = true, .push_far = true};
	struct vc_aec_stats st;

	erle_full = erle_of(&o, &st);
	fprintf(stderr, "  ERLE (filter + residual suppression): %.1f dB\n", erle_full);
	CHECK(erle_full >= 15.0);
	CHECK_EQ(st.frames_processed, NSAMP / FRAME);
	CHECK_EQ(st.far_underruns, 0);
	CHECK_EQ(st.far_dropped, 0);
	CHECK_EQ(st.far_gaps, 0);
	CHECK_EQ(st.far_resyncs, 0);

	o.residual = false;
	erle_linear = erle_of(&o, &st);
	fprintf(stderr, "  ERLE (adaptive filter only):          %.1f dB\n", erle_linear);
	/* the linear filter alone must do real work, and the residual
	 * suppressor must add to it (it silently does nothing if speex's
	 * denoiser is off) */
	CHECK(erle_linear >= 10.0);
	CHECK(erle_full >= erle_linear + 3.0);
}

/* Capture stamps that slew 100 ppm against the sample count (what vc_pa
 * does while it disciplines them towards the ADC time) must not cost
 * ERLE: the microphone's blocks are contiguous samples (before, the
 * canceller's reference slipped a sample every 0.2 s: 10-15 dB). */
static void test_slewing_stamps(void)
{
	struct run_opts o = { .residual = true, .push_far = true, .capture_slew_ppm = 100.0 };
	struct vc_aec_stats st;
	double erle = erle_of(&o, &st);

	fprintf(stderr, "  stamps slewing 100 ppm: ERLE %.1f dB (right stamps %.1f), %llu re-anchors\n",
		erle, erle_full, (unsigned long long)st.near_resyncs);
	CHECK(erle >= erle_full - 3.0);
	CHECK_EQ(st.near_resyncs, 0);
}

static void test_bypass(void)
{
	struct run_opts o = {.residual = true, .bypass = true, .push_far = true};
	struct vc_aec_stats st;
	double e = erle_of(&o, &st);

	fprintf(stderr, "  ERLE bypassed: %.2f dB\n", e);
	CHECK(fabs(e) < 0.01);
	CHECK_EQ(st.frames_bypassed, NSAMP / FRAME);
	CHECK_EQ(st.frames_processed, 0);
}

static void test_misaligned(void)
{
	/* Captures reported 150 ms early: the canceller's reference is then
	 * 110 ms *later* audio than the echo it sees, which no causal filter
	 * can model. */
	struct run_opts o = {.residual = true, .push_far = true, .capture_skew_us = -150000};
	struct vc_aec_stats st;
	double wrong = erle_of(&o, &st), wrong_lin;

	o.residual = false;
	wrong_lin = erle_of(&o, &st);
	fprintf(stderr, "  ERLE with capture timestamps 150 ms off: %.1f dB (filter only %.1f dB)\n",
		wrong, wrong_lin);
	/* it did run, on the wrong block; only the first 150 ms had no far data */
	CHECK_EQ(st.far_underruns, 150 / 10);
	CHECK(erle_full - wrong >= 10.0);
	CHECK(erle_linear - wrong_lin >= 8.0);

	/* Captures reported 60 ms early (the echo seems to come 20 ms before
	 * its sound): a bulk delay of -40 ms lets the filter start that early. */
	o = (struct run_opts){.residual = true, .push_far = true, .capture_skew_us = -60000};
	wrong = erle_of(&o, &st);
	o.bulk_delay_ms = -40;
	double early = erle_of(&o, &st);
	fprintf(stderr, "  ERLE with captures 60 ms early: %.1f dB, with bulk delay -40 ms %.1f dB\n",
		wrong, early);
	CHECK(erle_full - wrong >= 10.0);
	CHECK(early >= 20.0);
	CHECK(early - wrong >= 15.0);
}

static void test_double_talk(void)
{
	struct run_opts o = {.residual = true, .push_far = true};
	struct vc_aec_stats st;
	int16_t *out = calloc(NSAMP, sizeof(int16_t));
	size_t from = (size_t)RATE * TALK_FROM_S;
	double xy = 0.0, yy = 0.0, g, g_db, ein = 0.0, eout = 0.0, ratio_db, resid = 0.0,
	       echo_e = 0.0, echo_red_db;
	int quiet_blocks = 0;
	size_t lat = 0;

	if (!out) {
		CHECK(out != NULL);
		return;
	}
	run(sc.mic_dt, out, &o, &st, &lat);
	CHECK_EQ(lat, FRAME); /* the residual suppressor delays by one frame */

	/* 1: how much of the clean talker is in the output (projection gain,
	 * output taken `lat` samples later) */
	for (size_t k = from; k + lat < NSAMP; k++) {
		xy += out[k + lat] * sc.talker[k];
		yy += sc.talker[k] * sc.talker[k];
	}
	g = xy / yy;
	g_db = 20.0 * log10(g > 1e-9 ? g : 1e-9);
	for (size_t k = from; k + lat < NSAMP; k++) {
		double r = out[k + lat] - g * sc.talker[k];

		resid += r * r;
		echo_e += sc.echo[k] * sc.echo[k];
	}
	echo_red_db = 10.0 * log10(echo_e / (resid + 1.0));

	/* 2: energy in/out over 10 ms blocks where the echo at the mic is
	 * 30 dB below the talker and the talker speaks */
	for (size_t b = from / FRAME; b + 1 < NSAMP / FRAME; b++) {
		double ee = 0.0, te = 0.0;

		for (size_t k = b * FRAME; k < (b + 1) * FRAME; k++) {
			ee += sc.echo[k] * sc.echo[k];
			te += sc.talker[k] * sc.talker[k];
		}
		if (ee > 1e-3 * te || te < FRAME * 300.0 * 300.0)
			continue;
		quiet_blocks++;
		ein += energy16(sc.mic_dt, b * FRAME, (b + 1) * FRAME);
		eout += energy16(out, b * FRAME + lat, (b + 1) * FRAME + lat);
	}
	ratio_db = quiet_blocks ? 10.0 * log10(eout / ein) : -99.0;

	fprintf(stderr,
		"  double talk: talker gain %.1f dB (projection), %.1f dB over %d far-silent blocks;"
		" echo+residual reduced %.1f dB during double talk\n",
		g_db, ratio_db, quiet_blocks, echo_red_db);
	CHECK(quiet_blocks >= 10);
	CHECK(g_db >= -6.0 && g_db <= 3.0);
	CHECK(ratio_db >= -6.0 && ratio_db <= 3.0);
	CHECK_EQ(st.frames_processed, NSAMP / FRAME);
	free(out);
}

static void test_underrun(void)
{
	struct run_opts o = {.residual = true, .push_far = false};
	struct vc_aec_stats st;
	int16_t *out = calloc(NSAMP, sizeof(int16_t));

	if (!out) {
		CHECK(out != NULL);
		return;
	}
	run(sc.mic_echo, out, &o, &st, NULL);
	CHECK(memcmp(out, sc.mic_echo, NSAMP * sizeof(*out)) == 0);
	CHECK_EQ(st.far_underruns, NSAMP / FRAME);
	CHECK_EQ(st.frames_processed, 0);
	free(out);
}

static void test_api(void)
{
	struct vc_aec_cfg cfg;
	struct vc_aec *aec = NULL;
	int16_t buf[FRAME] = {0};

	vc_aec_free(NULL);
	CHECK_EQ(vc_aec_new(NULL, NULL), -EINVAL);
	vc_aec_cfg_default(&cfg);
	cfg.frame_samples = 7;
	CHECK_EQ(vc_aec_new(&aec, &cfg), -EINVAL);
	CHECK(aec == NULL);
	vc_aec_cfg_default(&cfg);
	cfg.bulk_delay_ms = 600; /* more than the 500 ms history */
	CHECK_EQ(vc_aec_new(&aec, &cfg), -EINVAL);
	cfg.bulk_delay_ms = -101; /* more than half the 200 ms filter early */
	CHECK_EQ(vc_aec_new(&aec, &cfg), -EINVAL);
	vc_aec_cfg_default(&cfg);
	cfg.sample_rate = 96000;
	CHECK_EQ(vc_aec_new(&aec, &cfg), -EINVAL);

	cfg.sample_rate = 48000;
	cfg.residual = false;
	CHECK_EQ(vc_aec_new(&aec, &cfg), 0);
	if (aec)
		CHECK_EQ(vc_aec_latency_samples(aec), 0);
	vc_aec_free(aec);
	aec = NULL;

	CHECK_EQ(vc_aec_new(&aec, NULL), 0);
	if (!aec)
		return;
	CHECK_EQ(vc_aec_latency_samples(aec), FRAME);
	CHECK_EQ(vc_aec_near(aec, buf, FRAME - 1, T0_US), -EINVAL);
	CHECK_EQ(vc_aec_near(aec, NULL, FRAME, T0_US), -EINVAL);
	CHECK_EQ(vc_aec_far(aec, NULL, 10, T0_US), -EINVAL);
	CHECK_EQ(vc_aec_far(aec, buf, 0, T0_US), 0);
	CHECK(!vc_aec_bypassed(aec));
	vc_aec_set_bypass(aec, true);
	CHECK(vc_aec_bypassed(aec));
	vc_aec_set_bypass(aec, false);
	CHECK(!vc_aec_bypassed(aec));
	vc_aec_free(aec);
}

/* The far ring is bounded: with nobody draining it, pushes are dropped
 * (counted), never block, and the capture side recovers. */
static void test_far_ring_full(void)
{
	struct vc_aec *aec = NULL;
	struct vc_aec_stats st;
	int16_t buf[FRAME] = {0};
	size_t i, ok = 0;

	CHECK_EQ(vc_aec_new(&aec, NULL), 0);
	if (!aec)
		return;
	for (i = 0; i < 200; i++) /* 2 s into a 500 ms ring */
		ok += vc_aec_far(aec, buf, FRAME, T0_US + (int64_t)i * 10000) == 0;
	vc_aec_stats(aec, &st);
	CHECK(ok >= 50 && ok < 200);
	CHECK_EQ(st.far_dropped, 200 - ok);
	/* draining: the newest accepted block is in the history */
	CHECK_EQ(vc_aec_near(aec, buf, FRAME, T0_US + (int64_t)(ok - 1) * 10000), 0);
	vc_aec_stats(aec, &st);
	CHECK_EQ(st.frames_processed, 1);
	CHECK_EQ(vc_aec_far(aec, buf, FRAME, T0_US + (int64_t)ok * 10000), 0);
	vc_aec_free(aec);
}

/* Far timeline: jitter is absorbed, gaps become silence, going back in time
 * restarts the history; a block older than the history is an underrun. */
static void test_far_timeline(void)
{
	struct vc_aec_cfg cfg;
	struct vc_aec *aec = NULL;
	struct vc_aec_stats st;
	int16_t far[FRAME], mic[FRAME] = {0};

	vc_aec_cfg_default(&cfg);
	cfg.residual = false;
	CHECK_EQ(vc_aec_new(&aec, &cfg), 0);
	if (!aec)
		return;
	for (int k = 0; k < FRAME; k++)
		far[k] = (int16_t)(k * 37 % 2000 - 1000);
	/* 2 ms of jitter each way: still one contiguous timeline */
	CHECK_EQ(vc_aec_far(aec, far, FRAME, T0_US), 0);
	CHECK_EQ(vc_aec_far(aec, far, FRAME, T0_US + 12000), 0);
	CHECK_EQ(vc_aec_far(aec, far, FRAME, T0_US + 18000), 0);
	CHECK_EQ(vc_aec_near(aec, mic, FRAME, T0_US + 20000), 0);
	vc_aec_stats(aec, &st);
	CHECK_EQ(st.far_gaps, 0);
	CHECK_EQ(st.far_resyncs, 0);
	CHECK_EQ(st.frames_processed, 1);
	/* not pushed yet */
	CHECK_EQ(vc_aec_near(aec, mic, FRAME, T0_US + 25000), 0);
	vc_aec_stats(aec, &st);
	CHECK_EQ(st.far_underruns, 1);

	/* 100 ms later: a gap filled with silence, the gap itself is usable */
	CHECK_EQ(vc_aec_far(aec, far, FRAME, T0_US + 130000), 0);
	CHECK_EQ(vc_aec_near(aec, mic, FRAME, T0_US + 60000), 0);
	CHECK_EQ(vc_aec_near(aec, mic, FRAME, T0_US + 130000), 0);
	vc_aec_stats(aec, &st);
	CHECK_EQ(st.far_gaps, 1);
	CHECK_EQ(st.frames_processed, 3);
	CHECK_EQ(st.far_underruns, 1);

	/* time goes back 1 s: new timeline, the old samples are gone */
	CHECK_EQ(vc_aec_far(aec, far, FRAME, T0_US - 1000000), 0);
	CHECK_EQ(vc_aec_near(aec, mic, FRAME, T0_US + 130000), 0);
	CHECK_EQ(vc_aec_near(aec, mic, FRAME, T0_US - 1000000), 0);
	vc_aec_stats(aec, &st);
	CHECK_EQ(st.far_resyncs, 1);
	CHECK_EQ(st.far_underruns, 2);
	CHECK_EQ(st.frames_processed, 4);

	/* a mic block older than the 500 ms history */
	for (int i = 1; i <= 60; i++)
		CHECK_EQ(vc_aec_far(aec, far, FRAME, T0_US - 1000000 + i * 10000), 0);
	CHECK_EQ(vc_aec_near(aec, mic, FRAME, T0_US - 1000000), 0);
	vc_aec_stats(aec, &st);
	CHECK_EQ(st.far_underruns, 3);
	vc_aec_free(aec);
}

int main(void)
{
	if (!scene_build()) {
		fprintf(stderr, "out of memory\n");
		return EXIT_FAILURE;
	}
	RUN(test_api);
	RUN(test_far_ring_full);
	RUN(test_far_timeline);
	RUN(test_underrun);
	RUN(test_erle);
	RUN(test_slewing_stamps);
	RUN(test_bypass);
	RUN(test_misaligned);
	RUN(test_double_talk);
	scene_free();
	return vc_test_summary();
}
