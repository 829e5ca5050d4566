/* test_stretch.c - time-stretcher: transparency at speed 1.0, length
 * accuracy, pitch kept, no steps or holes, silence, alternating speeds,
 * noise, transients, NetEQ-style adjust requests and buffer bounds.
 *
 * Signals are synthetic and deterministic: a 440 Hz tone at -10 dBFS and
 * "speech": harmonics 1..12 (amplitude 1/k) of a pitch gliding between 120
 * and 220 Hz, amplitude modulated at 4 Hz (depth 0.1..1.0), plus uniform
 * noise from a fixed-seed xorshift.  Blocks are 20 ms (960 samples).
 * "Stretched length" is output written + samples still held - latency:
 * what the input became, excluding the fixed delay line.
 */
#include "vc_stretch.h"
#include "vc_test.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include "../support/vc_xorshift.h"

#define RATE 48000
#define BLOCK 960
#define SECONDS 2
#define NSAMP (RATE * SECONDS)
#define OUT_CAP (3 * NSAMP)
#define TONE_AMP 10000.0
#define TONE_HZ 440.0

static const double two_pi = 6.283185307179586;

static int16_t sig_tone[NSAMP];
static int16_t sig_speech[NSAMP];
static int16_t sig_voice[NSAMP]; /* the speech without its noise */
static int16_t sig_noise[NSAMP];
static int16_t sig_clicks[NSAMP];
static int16_t sig_zero[NSAMP];
static int16_t outbuf[OUT_CAP];


/* uniform in [-1, 1) */
static double rng_unit(uint32_t *s)
{
	return (double)rng_next(s) / 2147483648.0 - 1.0;
}

static void make_signals(void)
{
	uint32_t seed = 0x5eed1234u;
	double ph = 0.0;

	for (int k = 0; k < NSAMP; k++) {
		double t = (double)k / RATE;

		sig_tone[k] = (int16_t)lrint(TONE_AMP * sin(two_pi * TONE_HZ * t));

		double f0 = 170.0 + 50.0 * sin(two_pi * 0.7 * t);
		double env = 0.55 + 0.45 * sin(two_pi * 4.0 * t);
		double v = 0.0;

		ph += two_pi * f0 / RATE;
		for (int h = 1; h <= 12; h++)
			v += sin(h * ph) / h;
		sig_voice[k] = (int16_t)lrint(2500.0 * env * v);
		sig_speech[k] = (int16_t)lrint(2500.0 * env * v + 300.0 * rng_unit(&seed));
		sig_noise[k] = (int16_t)lrint(8000.0 * rng_unit(&seed));
	}

	/* clicks: +-20000 single samples 26..40 ms apart on digital silence,
	 * too far apart for two to fall at the same place in A and B (which
	 * would be a period to cut) */
	memset(sig_clicks, 0, sizeof(sig_clicks));
	for (int k = 1000; k < NSAMP; k += 1250 + (int)(rng_next(&seed) % 670))
		sig_clicks[k] = (rng_next(&seed) & 1) ? 20000 : -20000;
}

struct result {
	int written;   /* total output */
	int stretched; /* written - latency + held */
	int max_step;  /* largest single-call output */
	int latency;
	struct vc_stretch_stats st;
};

/* Flags for the stretchers run() makes (VC_STRETCH_NO_DELAY tests). */
static unsigned run_flags;

/* Run n samples of in through a fresh stretcher in BLOCK-sample calls at
 * speeds[i % nspeeds]; output into outbuf. */
static struct result run(const int16_t *in, int n, const double *speeds, int nspeeds)
{
	struct vc_stretch *s = NULL;
	struct result r;
	int16_t blk[2 * BLOCK + 4 * RATE / 100];

	memset(&r, 0, sizeof(r));
	CHECK_EQ(vc_stretch_new_flags(&s, RATE, run_flags), 0);
	if (!s)
		return r;
	CHECK(vc_stretch_max_out(s, BLOCK) <= (int)(sizeof(blk) / sizeof(blk[0])));
	r.latency = vc_stretch_latency(s);
	for (int i = 0; i * BLOCK < n; i++) {
		int m = n - i * BLOCK < BLOCK ? n - i * BLOCK : BLOCK;
		int got = vc_stretch_process(s, in + i * BLOCK, m, speeds[i % nspeeds], blk,
					     vc_stretch_max_out(s, m));

		CHECK(got >= 0);
		if (got < 0 || r.written + got > OUT_CAP)
			break;
		memcpy(outbuf + r.written, blk, (size_t)got * sizeof(*blk));
		r.written += got;
		if (got > r.max_step)
			r.max_step = got;
	}
	r.stretched = r.written - r.latency + vc_stretch_delay(s);
	vc_stretch_stats(s, &r.st);
	vc_stretch_free(s);
	return r;
}

/* Index of the first non-zero output sample: where the signal starts
 * after the zeros of the delay line (silence may be stretched too). */
static int first_sound(const int16_t *x, int n)
{
	int k = 0;

	while (k < n && x[k] == 0)
		k++;
	return k;
}

static int max_jump(const int16_t *x, int from, int to)
{
	int m = 0;

	for (int k = from + 1; k < to; k++) {
		int d = abs(x[k] - x[k - 1]);

		if (d > m)
			m = d;
	}
	return m;
}

/* Largest |second difference|: a splice that is continuous in value but
 * not in slope (a hard cut between two similar periods) shows here. */
static int max_bend(const int16_t *x, int from, int to)
{
	int m = 0;

	for (int k = from + 1; k + 1 < to; k++) {
		int d = abs(x[k + 1] - 2 * x[k] + x[k - 1]);

		if (d > m)
			m = d;
	}
	return m;
}

static double power(const int16_t *x, int from, int to)
{
	double e = 0.0;

	for (int k = from; k < to; k++)
		e += (double)x[k] * x[k];
	return to > from ? e / (to - from) : 0.0;
}

/* Smallest mean square over win-sample windows (hop win / 4) of x[from, to). */
static double min_energy(const int16_t *x, int from, int to, int win)
{
	double lo = INFINITY;

	for (int k = from; k + win <= to; k += win / 4) {
		double e = 0.0;

		for (int i = 0; i < win; i++)
			e += (double)x[k + i] * x[k + i];
		e /= win;
		if (e < lo)
			lo = e;
	}
	return lo;
}

/* Frequency from interpolated rising zero crossings in x[from, to). */
static double zc_freq(const int16_t *x, int from, int to)
{
	double first = -1.0, last = -1.0;
	int count = 0;

	for (int k = from + 1; k < to; k++) {
		if (x[k - 1] < 0 && x[k] >= 0) {
			double t = k - 1 + (double)-x[k - 1] / (x[k] - x[k - 1]);

			if (first < 0)
				first = t;
			last = t;
			count++;
		}
	}
	if (count < 2)
		return 0.0;
	return (count - 1) * (double)RATE / (last - first);
}

/* Worst deviation from 440 Hz over 50 ms windows of x[from, to). */
static double worst_freq_err(const int16_t *x, int from, int to)
{
	double worst = 0.0;

	for (int k = from; k + RATE / 20 <= to; k += RATE / 20) {
		double e = fabs(zc_freq(x, k, k + RATE / 20) - TONE_HZ);

		if (e > worst)
			worst = e;
	}
	return worst;
}

static const double speed_one[] = {1.0};
static const double speed_shorter[] = {1.0 / 0.9}; /* output 10% shorter */
static const double speed_longer[] = {1.0 / 1.1};  /* output 10% longer */
static const double speed_alt[] = {0.9, 1.1};

/* (1) speed 1.0: every call returns n, output = input delayed by latency. */
static void test_transparent(void)
{
	const int16_t *sigs[] = {sig_tone, sig_speech, sig_noise};

	for (size_t j = 0; j < sizeof(sigs) / sizeof(sigs[0]); j++) {
		struct result r = run(sigs[j], NSAMP, speed_one, 1);
		int bad = 0;

		CHECK_EQ(r.written, NSAMP);
		CHECK_EQ(r.max_step, BLOCK);
		CHECK_EQ(r.stretched, NSAMP);
		CHECK_EQ(r.latency, RATE / 50);
		for (int k = 0; k < r.written; k++)
			if (outbuf[k] != (k < r.latency ? 0 : sigs[j][k - r.latency]))
				bad++;
		CHECK_EQ(bad, 0);
		CHECK_EQ(r.st.inserts + r.st.removes, 0);
	}

	/* odd block sizes, also 0 and the maximum */
	struct vc_stretch *s = NULL;
	static int16_t blk[2 * 5760 + 4 * 480];
	int pos = 0, wr = 0, bad = 0, sizes[] = {0, 1, 7, 480, 5760, 333, 960, 2};

	CHECK_EQ(vc_stretch_new(&s, RATE), 0);
	CHECK_EQ(vc_stretch_max_block(s), 5760);
	CHECK_EQ(vc_stretch_max_out(s, 5760), (int)(sizeof(blk) / sizeof(blk[0])));
	for (int i = 0; pos < NSAMP - 5760; i++) {
		int m = sizes[i % 8];
		int got = vc_stretch_process(s, sig_speech + pos, m, 1.0, blk,
					     vc_stretch_max_out(s, m));

		if (got != m)
			bad++;
		for (int k = 0; k < got; k++, wr++)
			if (blk[k] != (wr < 960 ? 0 : sig_speech[wr - 960]))
				bad++;
		pos += m;
	}
	CHECK_EQ(bad, 0);
	CHECK_EQ(vc_stretch_delay(s), 960);
	vc_stretch_free(s);
}

/* (2) 10% shorter / longer over 2 s, to within 1% of the input length. */
static void test_length(void)
{
	const int16_t *sigs[] = {sig_tone, sig_speech};
	const char *names[] = {"tone", "speech"};

	for (int j = 0; j < 2; j++) {
		struct result a = run(sigs[j], NSAMP, speed_shorter, 1);
		struct result e = run(sigs[j], NSAMP, speed_longer, 1);
		double ra = (double)a.stretched / NSAMP, re = (double)e.stretched / NSAMP;

		fprintf(stderr, "  length %-6s: shorter %.4f (%llu cuts, %llu refused), "
			"longer %.4f (%llu repeats, %llu refused), max call %d / %d\n",
			names[j], ra, (unsigned long long)a.st.removes,
			(unsigned long long)a.st.refused, re,
			(unsigned long long)e.st.inserts, (unsigned long long)e.st.refused,
			a.max_step, e.max_step);
		CHECK(fabs(ra - 0.9) <= 0.01);
		CHECK(fabs(re - 1.1) <= 0.01);
		/* the raw output (with the 20 ms delay line) is as close */
		CHECK(fabs((double)a.written / NSAMP - 0.9) <= 0.015);
		CHECK(fabs((double)e.written / NSAMP - 1.1) <= 0.015);
	}
}

/* (3) pitch kept: 440 +- 3 Hz in every 50 ms window of the stretched tone. */
static void test_pitch(void)
{
	const double *sp[] = {speed_shorter, speed_longer, speed_alt};
	int nsp[] = {1, 1, 2};

	for (int j = 0; j < 3; j++) {
		struct result r = run(sig_tone, NSAMP, sp[j], nsp[j]);
		double whole = zc_freq(outbuf, r.latency + BLOCK, r.written);
		double worst = worst_freq_err(outbuf, r.latency + BLOCK, r.written);

		fprintf(stderr, "  pitch %d: %.3f Hz overall, worst 50 ms window off by %.3f Hz\n",
			j, whole, worst);
		CHECK(fabs(whole - TONE_HZ) <= 3.0);
		CHECK(worst <= 3.0);
	}
}

/* (4) no steps, no holes: largest sample step <= 1.5x the original's, and
 * 5 ms energy never below half the tone's steady energy. */
static void test_no_steps(void)
{
	const double *sp[] = {speed_shorter, speed_longer, speed_alt};
	int nsp[] = {1, 1, 2};
	int jump0 = max_jump(sig_tone, 0, NSAMP);
	double e0 = TONE_AMP * TONE_AMP / 2.0;
	int sjump0 = max_jump(sig_speech, 0, NSAMP);

	for (int j = 0; j < 3; j++) {
		struct result r = run(sig_tone, NSAMP, sp[j], nsp[j]);
		int start = first_sound(outbuf, r.written);
		int jump = max_jump(outbuf, start, r.written);
		double e = min_energy(outbuf, start, r.written, RATE / 200);

		fprintf(stderr, "  steps tone %d: max step %d (original %d, x%.3f), "
			"min 5 ms energy %.3f of steady\n", j, jump, jump0,
			(double)jump / jump0, e / e0);
		CHECK(jump <= 1.5 * jump0);
		CHECK(e >= 0.5 * e0);

		r = run(sig_speech, NSAMP, sp[j], nsp[j]);
		jump = max_jump(outbuf, r.latency + 1, r.written);
		fprintf(stderr, "  steps speech %d: max step %d (original %d, x%.3f)\n", j,
			jump, sjump0, (double)jump / sjump0);
		CHECK(jump <= 1.5 * sjump0);
	}
}

/* (4b) splices are smooth, not just small: the largest second difference
 * of the stretched tone and clean voice stays within 1.5x the original's
 * (a hard cut at the right lag passes (4) but not this). */
static void test_smooth(void)
{
	const double *sp[] = {speed_shorter, speed_longer, speed_alt};
	int nsp[] = {1, 1, 2};
	const int16_t *sigs[] = {sig_tone, sig_voice};

	for (int i = 0; i < 2; i++) {
		int b0 = max_bend(sigs[i], 0, NSAMP);

		for (int j = 0; j < 3; j++) {
			struct result r = run(sigs[i], NSAMP, sp[j], nsp[j]);
			int b = max_bend(outbuf, first_sound(outbuf, r.written), r.written);

			fprintf(stderr, "  bend %s %d: %d (original %d, x%.3f)\n",
				i ? "voice" : "tone", j, b, b0, (double)b / b0);
			CHECK(b <= 1.5 * b0);
		}
	}
}

/* (5) silence in, silence out - and silence is where the length may move. */
static void test_silence(void)
{
	const double fast[] = {2.0}, slow[] = {0.5};
	struct result a = run(sig_zero, NSAMP, fast, 1);
	int nz = 0;

	for (int k = 0; k < a.written; k++)
		nz += outbuf[k] != 0;
	CHECK_EQ(nz, 0);
	CHECK(fabs((double)a.stretched / NSAMP - 0.5) <= 0.01);

	struct result e = run(sig_zero, NSAMP, slow, 1);

	nz = 0;
	for (int k = 0; k < e.written; k++)
		nz += outbuf[k] != 0;
	CHECK_EQ(nz, 0);
	CHECK(fabs((double)e.stretched / NSAMP - 2.0) <= 0.01);
	fprintf(stderr, "  silence: speed 2.0 -> %.4f, 0.5 -> %.4f, all zero\n",
		(double)a.stretched / NSAMP, (double)e.stretched / NSAMP);
}

/* (6) speeds alternating 0.9 / 1.1 block by block stay continuous and
 * average out. */
static void test_alternating(void)
{
	double want = (1.0 / 0.9 + 1.0 / 1.1) / 2.0;
	struct result r = run(sig_tone, NSAMP, speed_alt, 2);
	int jump0 = max_jump(sig_tone, 0, NSAMP);
	int start = first_sound(outbuf, r.written);
	int jump = max_jump(outbuf, start, r.written);
	double e = min_energy(outbuf, start, r.written, RATE / 200);
	double ratio = (double)r.stretched / NSAMP;

	fprintf(stderr, "  alternating: length %.4f (want %.4f), %llu cuts %llu repeats, "
		"step x%.3f, min energy %.3f\n", ratio, want,
		(unsigned long long)r.st.removes, (unsigned long long)r.st.inserts,
		(double)jump / jump0, e / (TONE_AMP * TONE_AMP / 2.0));
	CHECK(fabs(ratio - want) <= 0.01);
	CHECK(jump <= 1.5 * jump0);
	CHECK(e >= 0.5 * TONE_AMP * TONE_AMP / 2.0);
	CHECK(worst_freq_err(outbuf, r.latency + BLOCK, r.written) <= 3.0);

	r = run(sig_speech, NSAMP, speed_alt, 2);
	ratio = (double)r.stretched / NSAMP;
	CHECK(fabs(ratio - want) <= 0.01);
	CHECK(max_jump(outbuf, r.latency + 1, r.written) <= 1.5 * max_jump(sig_speech, 0, NSAMP));
}

/* Loud white noise is steady: it may be stretched, with no energy dip
 * beyond what the input itself shows. */
static void test_noise(void)
{
	struct result r = run(sig_noise, NSAMP, speed_shorter, 1);
	double e_in = min_energy(sig_noise, 0, NSAMP, RATE / 50);
	double e_out = min_energy(outbuf, first_sound(outbuf, r.written), r.written, RATE / 50);
	double ratio = (double)r.stretched / NSAMP;

	fprintf(stderr, "  noise: length %.4f, min 20 ms energy out/in %.3f, %llu refused\n",
		ratio, e_out / e_in, (unsigned long long)r.st.refused);
	CHECK(fabs(ratio - 0.9) <= 0.01);
	CHECK(e_out >= 0.8 * e_in);

	/* at 2.0 / 0.5 most of the output is crossfades: their power must be
	 * the noise's (a linear fade of uncorrelated noise loses a third) */
	const double fast[] = {2.0}, slow[] = {0.5};
	double p_in = power(sig_noise, 0, NSAMP);

	r = run(sig_noise, NSAMP, fast, 1);
	double pf = power(outbuf, first_sound(outbuf, r.written), r.written) / p_in;

	r = run(sig_noise, NSAMP, slow, 1);
	double ps = power(outbuf, first_sound(outbuf, r.written), r.written) / p_in;

	fprintf(stderr, "  noise power out/in: speed 2.0 %.3f, 0.5 %.3f\n", pf, ps);
	CHECK(pf >= 0.9 && pf <= 1.1);
	CHECK(ps >= 0.9 && ps <= 1.1);
}

/* Clicks on silence: the stretcher cuts and repeats only silence, never
 * halves, doubles or drops a click. */
static void test_transients(void)
{
	const double *sp[] = {speed_shorter, speed_longer};
	int clicks_in = 0;

	for (int k = 0; k < NSAMP; k++)
		clicks_in += sig_clicks[k] != 0;
	for (int j = 0; j < 2; j++) {
		struct result r = run(sig_clicks, NSAMP, sp[j], 1);
		int full = 0, partial = 0;

		for (int k = 0; k < r.written; k++) {
			int a = abs(outbuf[k]);

			if (a == 20000)
				full++;
			else if (a != 0)
				partial++;
		}
		fprintf(stderr, "  clicks %d: %d in, %d out whole, %d partial, length %.4f, "
			"%llu refused\n", j, clicks_in, full, partial,
			(double)r.stretched / NSAMP, (unsigned long long)r.st.refused);
		CHECK_EQ(partial, 0);
		/* the last latency samples of input are still held */
		CHECK(full <= clicks_in && full >= clicks_in - 3);
		CHECK(fabs((double)r.stretched / NSAMP - (j ? 1.1 : 0.9)) <= 0.01);
		CHECK(r.st.refused > 0);
	}
}

/* NetEQ style: "remove / insert about K samples" at speed 1.0. */
static void test_adjust(void)
{
	struct vc_stretch *s = NULL;
	static int16_t blk[2 * BLOCK + 4 * 600];
	int wr = 0, pos = 0;

	CHECK_EQ(vc_stretch_new(&s, RATE), 0);
	for (int i = 0; i < 10; i++, pos += BLOCK)
		wr += vc_stretch_process(s, sig_tone + pos, BLOCK, 1.0, blk, (int)(sizeof(blk) / 2));
	CHECK_EQ(wr, pos);
	vc_stretch_adjust(s, -500);
	CHECK_EQ(vc_stretch_pending(s), -500);
	int got = vc_stretch_process(s, sig_tone + pos, BLOCK, 1.0, blk, (int)(sizeof(blk) / 2));

	pos += BLOCK;
	wr += got;
	/* one 4-period lag (436) or a few shorter ones: within half a lag */
	fprintf(stderr, "  adjust -500: block gave %d, pending %d\n", got,
		vc_stretch_pending(s));
	CHECK(got < BLOCK);
	CHECK(abs(vc_stretch_pending(s)) <= 300);
	int stretched = wr - 960 + vc_stretch_delay(s);

	CHECK(abs(stretched - (pos - 500)) <= 300);

	vc_stretch_adjust(s, 700);
	for (int i = 0; i < 3; i++, pos += BLOCK)
		wr += vc_stretch_process(s, sig_tone + pos, BLOCK, 1.0, blk, (int)(sizeof(blk) / 2));
	stretched = wr - 960 + vc_stretch_delay(s);
	fprintf(stderr, "  adjust +700: stretched %d for %d in, pending %d\n", stretched,
		pos, vc_stretch_pending(s));
	CHECK(abs(stretched - (pos + 200)) <= 300);

	/* the request is clamped to 100 ms */
	vc_stretch_adjust(s, -1000000);
	CHECK_EQ(vc_stretch_pending(s), -4800);
	vc_stretch_reset(s);
	CHECK_EQ(vc_stretch_pending(s), 0);
	CHECK_EQ(vc_stretch_delay(s), 960);
	vc_stretch_free(s);
}

/* Random block sizes, speeds (NaN, out of range), requests and signals:
 * never more than max_out, never outside the buffers (ASan), delay in
 * [1, latency], and a bad rate is refused. */
static void test_bounds(void)
{
	struct vc_stretch *s = NULL;
	static int16_t blk[2 * 5760 + 4 * 600 + 16];
	uint32_t seed = 99;
	int bad = 0, pos = 0;
	const int16_t *sigs[] = {sig_tone, sig_speech, sig_noise, sig_clicks, sig_zero};

	CHECK_EQ(vc_stretch_new(&s, 7999), -EINVAL);
	CHECK(s == NULL);
	CHECK_EQ(vc_stretch_new(&s, 48001), -EINVAL);
	vc_stretch_free(NULL);

	CHECK_EQ(vc_stretch_new(&s, RATE), 0);
	for (int i = 0; i < 3000; i++) {
		int m = (int)(rng_next(&seed) % 5761);
		double sp = 0.3 + 2.0 * (rng_next(&seed) % 1000) / 1000.0;
		const int16_t *sig = sigs[(i / 50) % 5];
		int max_out = vc_stretch_max_out(s, m);

		if (i % 17 == 0)
			sp = NAN;
		if (i % 13 == 0)
			vc_stretch_adjust(s, (int)(rng_next(&seed) % 20001) - 10000);
		if (pos + m > NSAMP)
			pos = 0;
		for (int k = max_out; k < max_out + 16; k++)
			blk[k] = 0x5a5a;
		int got = vc_stretch_process(s, sig + pos, m, sp, blk, max_out);

		pos += m;
		if (got < 0 || got > max_out)
			bad++;
		for (int k = max_out; k < max_out + 16; k++)
			bad += blk[k] != 0x5a5a;
		if (vc_stretch_delay(s) < 1 || vc_stretch_delay(s) > 960)
			bad++;
	}
	CHECK_EQ(bad, 0);
	vc_stretch_free(s);
}

/* Other rates: transparent at 1.0, 10% shorter / longer on the tone. */
static void test_rates(void)
{
	static const int rates[] = {8000, 16000, 24000};

	for (int j = 0; j < 3; j++) {
		int rate = rates[j], n = rate / 50, total = 2 * rate;
		struct vc_stretch *s = NULL;
		static int16_t in[2 * 24000], blk[2 * 480 + 4 * 300];
		double ratio[3];
		const double speeds[] = {1.0, 1.0 / 0.9, 1.0 / 1.1};

		for (int k = 0; k < total; k++)
			in[k] = (int16_t)lrint(TONE_AMP * sin(two_pi * TONE_HZ * k / rate));
		for (int v = 0; v < 3; v++) {
			int wr = 0, bad = 0;

			CHECK_EQ(vc_stretch_new(&s, rate), 0);
			for (int pos = 0; pos < total; pos += n) {
				int got = vc_stretch_process(s, in + pos, n, speeds[v], blk,
							     (int)(sizeof(blk) / 2));

				for (int k = 0; v == 0 && k < got; k++)
					bad += blk[k] != (wr + k < vc_stretch_latency(s) ? 0 :
							  in[wr + k - vc_stretch_latency(s)]);
				wr += got;
			}
			ratio[v] = (double)(wr - vc_stretch_latency(s) + vc_stretch_delay(s)) / total;
			CHECK_EQ(bad, 0);
			vc_stretch_free(s);
		}
		fprintf(stderr, "  rate %d: %.4f %.4f %.4f\n", rate, ratio[0], ratio[1], ratio[2]);
		CHECK(fabs(ratio[0] - 1.0) < 1e-9);
		CHECK(fabs(ratio[1] - 0.9) <= 0.01);
		CHECK(fabs(ratio[2] - 1.1) <= 0.01);
	}
}

/* (13) without the delay line (the call's jitter buffer hands over whole
 * 20 ms packets): speed 1.0 is the input itself, call for call, with no
 * delay; asked to, it still stretches a tone and speech by 10% (one try
 * per packet, at its start), keeps the pitch and makes no steps. */
static void test_no_delay(void)
{
	struct vc_stretch *s = NULL;
	int16_t blk[2 * BLOCK + 4 * RATE / 100];
	const int16_t *sigs[] = {sig_tone, sig_speech};
	const char *names[] = {"tone", "speech"};

	CHECK(vc_stretch_new_flags(&s, RATE, 0x80) < 0 && !s);
	CHECK_EQ(vc_stretch_new_flags(&s, RATE, VC_STRETCH_NO_DELAY), 0);
	if (!s)
		return;
	CHECK_EQ(vc_stretch_latency(s), 0);
	for (int i = 0; i + BLOCK <= NSAMP; i += BLOCK) {
		int got = vc_stretch_process(s, sig_speech + i, BLOCK, 1.0, blk, (int)(sizeof(blk) / 2));

		CHECK_EQ(got, BLOCK);
		CHECK(memcmp(blk, sig_speech + i, BLOCK * sizeof(*blk)) == 0);
		CHECK_EQ(vc_stretch_delay(s), 0);
	}
	vc_stretch_free(s);

	run_flags = VC_STRETCH_NO_DELAY;
	for (int j = 0; j < 2; j++) {
		struct result a = run(sigs[j], NSAMP, speed_shorter, 1);
		double ra = (double)a.written / NSAMP;
		int jump = max_jump(outbuf, 0, a.written), jump0 = max_jump(sigs[j], 0, NSAMP);
		struct result e = run(sigs[j], NSAMP, speed_longer, 1);
		double re = (double)e.written / NSAMP;
		int ejump = max_jump(outbuf, 0, e.written);

		fprintf(stderr, "  no delay %-6s: shorter %.4f (%llu cuts, %llu refused), longer %.4f, "
			"max step x%.3f / x%.3f\n", names[j], ra, (unsigned long long)a.st.removes,
			(unsigned long long)a.st.refused, re, (double)jump / jump0, (double)ejump / jump0);
		CHECK(fabs(ra - 0.9) <= 0.02);
		CHECK(fabs(re - 1.1) <= 0.02);
		CHECK(jump <= 1.5 * jump0);
		CHECK(ejump <= 1.5 * jump0);
		if (j == 0) {
			CHECK(fabs(zc_freq(outbuf, 0, e.written) - TONE_HZ) <= 3.0);
			CHECK(worst_freq_err(outbuf, 0, e.written) <= 3.0);
		}
	}
	run_flags = 0;
}

int main(void)
{
	make_signals();
	RUN(test_transparent);
	RUN(test_length);
	RUN(test_pitch);
	RUN(test_no_steps);
	RUN(test_smooth);
	RUN(test_silence);
	RUN(test_alternating);
	RUN(test_noise);
	RUN(test_transients);
	RUN(test_adjust);
	RUN(test_bounds);
	RUN(test_rates);
	RUN(test_no_delay);
	return vc_test_summary();
}
