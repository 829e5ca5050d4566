/* vc_stretch.c - pitch-period insertion / removal time-stretcher (see
 * vc_stretch.h for the design and the rules for when it acts).
 *
 * State: one linear buffer buf[0, len) of samples not yet emitted, rd the
 * next one to emit (with VC_STRETCH_NO_DELAY nothing is held between
 * calls: operations are tried only where both segments lie in the block).  Each call first moves buf[rd, len) to the front
 * (at most latency samples), appends the block, then emits until exactly
 * latency samples are left, or fewer after a removal.  An operation is
 * only tried at rd while more than latency >= 2 * lag_max samples are
 * held, so the analysis and both segments are always inside the buffer.
 *
 * Bound on the output of one call: the loop ends with at least
 * latency + 1 - 2 * lag_max >= 1 samples held and started with at most
 * latency + n, so it consumes at most n + 2 * lag_max - 1 samples; inserts
 * add at most as much as they consume, hence 2 * n + 4 * lag_max.
 */
#include "vc_stretch.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define RATE_MIN 8000
#define RATE_MAX 48000
#define CORR_PERIODIC 0.9   /* NetEQ's accelerate threshold */
#define QUIET_MS 4096.0     /* mean square of RMS 64, about -54 dBFS */
#define STEADY_RATIO 4.0    /* quarter energies within 6 dB */
#define PENDING_MS 100

struct vc_stretch {
	int rate;
	int lag_min;      /* 2.5 ms */
	int lag_max;      /* 10 ms */
	int latency;      /* 2 * lag_max */
	int max_block;    /* 120 ms */
	int dec;          /* decimation factor for the coarse search */
	int dlag_min;     /* coarse lag range, decimated samples */
	int dlag_max;
	double pending;   /* > 0 insert, < 0 remove; clamped to +-pending_max */
	double pending_max;
	int hold;         /* plain samples to emit before the next analysis */

	int16_t *buf;     /* latency + max_block */
	int len;
	int rd;

	int32_t *dsig;    /* 2 * dlag_max decimated samples */
	int64_t *dpre;    /* prefix sums of dsig^2, 2 * dlag_max + 1 */

	struct vc_stretch_stats st;
};

void vc_stretch_reset(struct vc_stretch *s)
{
	assert(s);
	memset(s->buf, 0, (size_t)s->latency * sizeof(*s->buf));
	s->len = s->latency;
	s->rd = 0;
	s->pending = 0.0;
	s->hold = 0;
}

int vc_stretch_new(struct vc_stretch **out, int rate)
{
	return vc_stretch_new_flags(out, rate, 0);
}

int vc_stretch_new_flags(struct vc_stretch **out, int rate, unsigned flags)
{
	struct vc_stretch *s = NULL;
	int err = -EINVAL;

	assert(out);
	*out = NULL;
	if (rate < RATE_MIN || rate > RATE_MAX || (flags & ~(unsigned)VC_STRETCH_NO_DELAY))
		goto out;
	err = -ENOMEM;
	s = calloc(1, sizeof(*s));
	if (!s)
		goto out;
	s->rate = rate;
	s->lag_min = rate / 400;       /* 2.5 ms */
	s->lag_max = rate / 100;       /* 10 ms */
	s->latency = (flags & VC_STRETCH_NO_DELAY) ? 0 : 2 * s->lag_max;
	s->max_block = rate * 120 / 1000;
	s->dec = (rate + 6000) / 12000; /* about 12 kHz: 48k -> 4, 8k/16k -> 1 */
	if (s->dec < 1)
		s->dec = 1;
	s->dlag_min = s->lag_min / s->dec;
	s->dlag_max = s->lag_max / s->dec;
	s->pending_max = (double)rate * PENDING_MS / 1000.0;
	s->buf = malloc((size_t)(2 * s->lag_max + s->max_block) * sizeof(*s->buf));
	s->dsig = malloc((size_t)(2 * s->dlag_max) * sizeof(*s->dsig));
	s->dpre = malloc((size_t)(2 * s->dlag_max + 1) * sizeof(*s->dpre));
	if (!s->buf || !s->dsig || !s->dpre)
		goto out;
	vc_stretch_reset(s);
	*out = s;
	s = NULL;
	err = 0;
out:
	vc_stretch_free(s);
	return err;
}

void vc_stretch_free(struct vc_stretch *s)
{
	if (!s)
		return;
	free(s->buf);
	free(s->dsig);
	free(s->dpre);
	free(s);
}

int vc_stretch_max_block(const struct vc_stretch *s)
{
	assert(s);
	return s->max_block;
}

int vc_stretch_max_out(const struct vc_stretch *s, int n)
{
	assert(s);
	if (n < 0)
		n = 0;
	if (n > s->max_block)
		n = s->max_block;
	return 2 * n + 4 * s->lag_max;
}

int vc_stretch_latency(const struct vc_stretch *s)
{
	assert(s);
	return s->latency;
}

int vc_stretch_delay(const struct vc_stretch *s)
{
	assert(s);
	return s->len - s->rd;
}

int vc_stretch_pending(const struct vc_stretch *s)
{
	assert(s);
	return (int)lrint(s->pending);
}

static void add_pending(struct vc_stretch *s, double samples)
{
	s->pending += samples;
	if (s->pending > s->pending_max)
		s->pending = s->pending_max;
	if (s->pending < -s->pending_max)
		s->pending = -s->pending_max;
}

void vc_stretch_adjust(struct vc_stretch *s, int samples)
{
	assert(s);
	add_pending(s, samples);
}

void vc_stretch_stats(const struct vc_stretch *s, struct vc_stretch_stats *st)
{
	assert(s && st);
	*st = s->st;
}

static double ncorr(int64_t cross, int64_t e1, int64_t e2)
{
	if (e1 <= 0 || e2 <= 0)
		return 0.0;
	return (double)cross / sqrt((double)e1 * (double)e2);
}

/* Normalised correlation of x[0, t) with x[t, 2t); energies out. */
static double seg_corr(const int16_t *x, int t, int64_t *e1, int64_t *e2)
{
	int64_t c = 0, a = 0, b = 0;

	for (int i = 0; i < t; i++) {
		c += (int64_t)x[i] * x[i + t];
		a += (int64_t)x[i] * x[i];
		b += (int64_t)x[i + t] * x[i + t];
	}
	*e1 = a;
	*e2 = b;
	return ncorr(c, a, b);
}

/* Noise-like but steady: the mean squares of the eight quarters of
 * x[0, 2t) are within STEADY_RATIO of each other, quiet ones counted at
 * the quiet floor.  Catches onsets, clicks and decays. */
static bool steady(const int16_t *x, int t)
{
	int q = t / 4;
	double lo = INFINITY, hi = 0.0;

	for (int k = 0; k < 8; k++) {
		int64_t e = 0;

		for (int i = k * q; i < (k + 1) * q; i++)
			e += (int64_t)x[i] * x[i];
		double ms = (double)e / q;

		if (ms < QUIET_MS)
			ms = QUIET_MS;
		if (ms < lo)
			lo = ms;
		if (ms > hi)
			hi = ms;
	}
	return hi <= STEADY_RATIO * lo;
}

/* Find the lag for an operation at x (x[0, latency) readable).  Returns
 * false if the signal there must not be touched. */
static bool analyse(struct vc_stretch *s, const int16_t *x, int *lag, double *rho)
{
	int d = s->dec, nd = 2 * s->dlag_max;
	int best = s->dlag_min;
	double best_c = -2.0;
	int64_t e1, e2;

	/* coarse: boxcar-decimated copy, lags dlag_min..dlag_max */
	s->dpre[0] = 0;
	for (int j = 0; j < nd; j++) {
		int32_t v = 0;

		for (int k = 0; k < d; k++)
			v += x[j * d + k];
		s->dsig[j] = v;
		s->dpre[j + 1] = s->dpre[j] + (int64_t)v * v;
	}
	for (int l = s->dlag_min; l <= s->dlag_max; l++) {
		int64_t c = 0;

		for (int i = 0; i < l; i++)
			c += (int64_t)s->dsig[i] * s->dsig[i + l];
		double r = ncorr(c, s->dpre[l], s->dpre[2 * l] - s->dpre[l]);

		if (r > best_c) {
			best_c = r;
			best = l;
		}
	}

	/* refine at full rate around best * d */
	int lo = best * d - d, hi = best * d + d;
	int t_best = -1;
	double r_best = -2.0;
	int64_t be1 = 0, be2 = 0;

	if (lo < s->lag_min)
		lo = s->lag_min;
	if (hi > s->lag_max)
		hi = s->lag_max;
	for (int t = lo; t <= hi; t++) {
		double r = seg_corr(x, t, &e1, &e2);

		if (t_best < 0 || r > r_best) {
			r_best = r;
			t_best = t;
			be1 = e1;
			be2 = e2;
		}
	}

	if ((double)be1 < QUIET_MS * t_best && (double)be2 < QUIET_MS * t_best) {
		/* quiet: cut or repeat what was asked for, if the whole span
		 * at that lag is quiet too */
		int t = (int)lrint(fabs(s->pending));

		if (t < s->lag_min)
			t = s->lag_min;
		if (t > s->lag_max)
			t = s->lag_max;
		double r = seg_corr(x, t, &e1, &e2);

		if ((double)e1 < QUIET_MS * t && (double)e2 < QUIET_MS * t) {
			*lag = t;
			*rho = r;
			return true;
		}
	}
	*lag = t_best;
	*rho = r_best;
	return r_best >= CORR_PERIODIC || steady(x, t_best);
}

static int16_t sat16(double v)
{
	if (v >= 32767.0)
		return 32767;
	if (v <= -32768.0)
		return -32768;
	return (int16_t)lrint(v);
}

/* dst[i] = from[i] fading out, to[i] fading in.  Linear weights keep the
 * amplitude of correlated segments; dividing by the expected RMS of the
 * mix (for correlation rho) keeps the power of uncorrelated ones. */
static void xfade(int16_t *dst, const int16_t *from, const int16_t *to, int t, double rho)
{
	if (!(rho > 0.0))
		rho = 0.0;
	if (rho > 1.0)
		rho = 1.0;
	for (int i = 0; i < t; i++) {
		double b = (i + 0.5) / t, a = 1.0 - b;
		double g = 1.0 / sqrt(a * a + b * b + 2.0 * rho * a * b);

		dst[i] = sat16(g * (a * from[i] + b * to[i]));
	}
}

int vc_stretch_process(struct vc_stretch *s, const int16_t *in, int n, double speed,
		       int16_t *out, int max_out)
{
	assert(s && out && n >= 0 && n <= s->max_block && (in || n == 0));
	assert(max_out >= vc_stretch_max_out(s, n));
	if (!s || !out || n < 0 || n > s->max_block || (!in && n > 0) ||
	    max_out < vc_stretch_max_out(s, n))
		return -EINVAL;

	if (isnan(speed))
		speed = 1.0;
	if (speed < VC_STRETCH_SPEED_MIN)
		speed = VC_STRETCH_SPEED_MIN;
	if (speed > VC_STRETCH_SPEED_MAX)
		speed = VC_STRETCH_SPEED_MAX;
	if (speed != 1.0)
		add_pending(s, n * (1.0 / speed - 1.0));

	/* compact, append */
	int held = s->len - s->rd;

	memmove(s->buf, s->buf + s->rd, (size_t)held * sizeof(*s->buf));
	s->rd = 0;
	s->len = held;
	if (n > 0)
		memcpy(s->buf + s->len, in, (size_t)n * sizeof(*s->buf));
	s->len += n;

	int w = 0, removed = 0, inserted = 0;

	while (s->len - s->rd > s->latency) {
		const int16_t *x = s->buf + s->rd;
		/* Both segments must lie in what is held (always true with the
		 * delay line; without it, only in the block's first part). */
		bool room = s->len - s->rd >= 2 * s->lag_max;
		bool want_rm = room && s->pending <= -0.5 * s->lag_min && 2 * removed < n;
		bool want_in = room && s->pending >= 0.5 * s->lag_min && inserted < n;

		if (s->hold == 0 && (want_rm || want_in)) {
			int t;
			double rho;

			if (!analyse(s, x, &t, &rho)) {
				s->st.refused++;
				s->hold = s->lag_min;
			} else if (fabs(s->pending) < 0.5 * t) {
				/* the request only grows at the next call */
				s->hold = s->len - s->rd - s->latency;
			} else if (want_rm) {
				assert(w + t <= max_out);
				xfade(out + w, x, x + t, t, rho);
				w += t;
				s->rd += 2 * t;
				removed += t;
				s->pending += t;
				s->st.removes++;
				s->st.samples_removed += (uint64_t)t;
				continue;
			} else {
				assert(w + 2 * t <= max_out);
				memcpy(out + w, x, (size_t)t * sizeof(*out));
				xfade(out + w + t, x + t, x, t, rho);
				w += 2 * t;
				s->rd += t;
				inserted += t;
				s->pending -= t;
				s->st.inserts++;
				s->st.samples_inserted += (uint64_t)t;
				continue;
			}
		}

		/* plain copy up to the next analysis point or the delay line */
		int k = s->len - s->rd - s->latency;

		if ((want_rm || want_in) && s->hold < k)
			k = s->hold > 0 ? s->hold : 1;
		assert(w + k <= max_out);
		memcpy(out + w, x, (size_t)k * sizeof(*out));
		w += k;
		s->rd += k;
		s->hold = s->hold > k ? s->hold - k : 0;
	}
	return w;
}
