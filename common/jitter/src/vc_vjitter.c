/* vc_vjitter.c - video frame jitter and decode-time estimator (see
 * vc_vjitter.h for the model).
 *
 * Units inside: milliseconds and bytes, as doubles.  Everything that reaches
 * the arithmetic is bounded first (sizes by max_frame_bytes, both steps of d
 * by reset_ms), theta and the covariance are clamped after every update, so
 * the doubles stay far from overflow; isfinite() is the last line of
 * defence, not the plan.  The averages are weighted by the RTP time between
 * frames, so their memory is the same at 15 and at 60 frames/s.
 */
#include "vc_vjitter.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "vc_seq.h"

#define VJ_DEF_RATE 90000u
#define VJ_DEF_CEILING_MS 500u
#define VJ_DEF_RESET_MS 2000u
#define VJ_DEF_NOISE_MEMORY_MS 1500u
#define VJ_DEF_MAX_FRAME (1u << 20)
#define VJ_MIN_RATE 1000u
#define VJ_MAX_RATE 1000000u
#define VJ_MAX_CEILING_MS 10000u
#define VJ_MAX_SPAN_MS 60000u
#define VJ_MAX_FRAME_LIMIT (64u << 20)
#define VJ_DECODE_CLAMP_US 10000000u
#define VJ_US_LIMIT ((int64_t)1 << 60)

/* Noise of d (ms^2).  The floor keeps the outlier limit and the Kalman
 * measurement noise above zero on a perfect network (3 sd = 0.95 ms). */
#define VJ_VAR_INIT 4.0
#define VJ_VAR_MIN 0.1
#define VJ_OUTLIER_SD 4.0
#define VJ_OUTPUT_SD 3.0

/* Frame sizes: "much larger" is above avg + max(3 sd, avg). */
#define VJ_KEY_SD 3.0
#define VJ_AVG_MEMORY_MS 1000.0
#define VJ_MAX_MEMORY_MS 60000.0
/* A frame this much smaller than the largest one (dS < -f * max) most
 * likely queued behind it: its d is not a measurement of the link. */
#define VJ_QUEUED_FRAC 0.25

/* Kalman state: theta0 starts at 512 kbit/s (64 bytes per ms) and lives
 * within 1 kbit/s .. 8 Gbit/s; theta1 starts at 0.  P starts (and is
 * capped) at a 0.01 ms/byte and 10 ms standard deviation; Q lets theta0
 * drift slowly and theta1 a little faster. */
#define VJ_THETA0_INIT (1.0 / 64.0)
#define VJ_THETA0_MIN 1e-6
#define VJ_THETA0_MAX 8.0
#define VJ_P00_INIT 1e-4
#define VJ_P11_INIT 1e2
#define VJ_Q00 2.5e-10
#define VJ_Q11 1e-3

struct vc_vjitter {
	struct vc_vjitter_cfg cfg; /* defaults filled in */

	/* The last frame used: the reference for the next d. */
	bool have_prev;
	struct vc_unwrap unwrap;
	int64_t prev_uts, prev_rtp_us, prev_arrival_us;
	double prev_size;

	double theta[2];
	double p[2][2];            /* covariance of theta, kept symmetric */
	double var;                /* noise variance of d, ms^2 */
	uint64_t var_n;            /* samples in it (the prior counts as one) */
	double avg_size, var_size, max_size;
	uint64_t size_n;
	bool draining;             /* after a keyframe, until a frame is not early */
	double est_ms;

	uint32_t dec[VC_VJITTER_DECODE_MAX]; /* decode times, us, a ring */
	uint32_t dec_next, dec_n;
	double dec_ms;

	struct vc_vjitter_stats st;
};

static double vj_clamp(double v, double lo, double hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* Weight of a new sample in an exponential average with time constant
 * mem_ms, dt_ms after the previous sample; while fewer than about
 * mem_ms / dt_ms samples are in, all of them weigh the same. */
static double vj_weight(uint64_t n, double dt_ms, double mem_ms)
{
	double w = 1.0 - exp(-dt_ms / mem_ms), eq = 1.0 / (double)(n + 1);

	return eq > w ? eq : w;
}

static void vj_update_estimate(struct vc_vjitter *vj)
{
	double size_ms = vj->theta[0] * (vj->max_size - vj->avg_size);
	double e = (size_ms > 0 ? size_ms : 0) + VJ_OUTPUT_SD * sqrt(vj->var);

	vj->est_ms = e > 0 ? vj_clamp(e, 0, vj->cfg.ceiling_ms) : 0; /* NaN -> 0 */
}

/* Back to the initial state; the decode times and the counters stay. */
static void vj_restart(struct vc_vjitter *vj)
{
	vj->have_prev = false;
	vj->theta[0] = VJ_THETA0_INIT;
	vj->theta[1] = 0;
	vj->p[0][0] = VJ_P00_INIT;
	vj->p[0][1] = vj->p[1][0] = 0;
	vj->p[1][1] = VJ_P11_INIT;
	vj->var = VJ_VAR_INIT;
	vj->var_n = 1;
	vj->avg_size = vj->var_size = vj->max_size = 0;
	vj->size_n = 0;
	vj->draining = false;
	vj_update_estimate(vj);
}

/* Fold a frame into the size statistics; true when it is much larger than
 * the average before it (a keyframe), which then leaves the average alone. */
static bool vj_sizes(struct vc_vjitter *vj, double size, double dt_ms)
{
	double w, dev;
	bool big;

	if (!vj->size_n++) {
		vj->avg_size = vj->max_size = size;
		vj->var_size = 0;
		return false;
	}
	big = size > vj->avg_size + fmax(VJ_KEY_SD * sqrt(vj->var_size), vj->avg_size);
	w = vj_weight(vj->size_n - 1, dt_ms, VJ_AVG_MEMORY_MS);
	dev = size - vj->avg_size;
	vj->var_size = (1 - w) * vj->var_size + w * dev * dev;
	if (!big)
		vj->avg_size += w * dev;
	vj->max_size = fmax(vj->max_size * exp(-dt_ms / VJ_MAX_MEMORY_MS), size);
	return big;
}

/* One Kalman step for the measurement d = theta0 ds + theta1 + noise,
 * with the noise variance as the measurement variance. */
static void vj_kalman(struct vc_vjitter *vj, double d, double ds)
{
	double (*p)[2] = vj->p, *t = vj->theta;
	double ph0, ph1, s, k0, k1, r, lim;

	p[0][0] += VJ_Q00;
	p[1][1] += VJ_Q11;
	ph0 = p[0][0] * ds + p[0][1]; /* P h, h = (ds, 1) */
	ph1 = p[1][0] * ds + p[1][1];
	s = ds * ph0 + ph1 + vj->var; /* > 0: P is kept positive semi-definite */
	k0 = ph0 / s;
	k1 = ph1 / s;
	r = d - (t[0] * ds + t[1]);
	t[0] = vj_clamp(t[0] + k0 * r, VJ_THETA0_MIN, VJ_THETA0_MAX);
	t[1] = vj_clamp(t[1] + k1 * r, -(double)vj->cfg.reset_ms, vj->cfg.reset_ms);
	/* P -= K (h' P); h' P = (P h)' as P is symmetric. */
	p[0][0] = vj_clamp(p[0][0] - k0 * ph0, 0, VJ_P00_INIT);
	p[1][1] = vj_clamp(p[1][1] - k1 * ph1, 0, VJ_P11_INIT);
	lim = sqrt(p[0][0] * p[1][1]);
	p[0][1] = p[1][0] = vj_clamp(p[0][1] - k0 * ph1, -lim, lim);
}

/* One measured d.  A keyframe only teaches theta.  The frames behind it
 * that drain the queue it built arrive early (d < 0) one after another;
 * the model has no term for that, and they are covered by the size term,
 * so they teach nothing.  Any other frame goes into the noise (residual
 * clamped) and then into theta, unless it is an outlier or sat behind a
 * much larger frame. */
static void vj_measure(struct vc_vjitter *vj, double d, double ds, double dt_ms, bool big)
{
	double r = d - (vj->theta[0] * ds + vj->theta[1]);
	double lim = VJ_OUTLIER_SD * sqrt(vj->var), w;
	double cap = (double)vj->cfg.ceiling_ms * vj->cfg.ceiling_ms;
	bool outlier = fabs(r) > lim;

	if (big) {
		vj->st.keyframes++;
		vj->draining = true;
		vj_kalman(vj, d, ds);
		return;
	}
	if (vj->draining && d < 0) {
		vj->st.drained++;
		return;
	}
	vj->draining = false;
	if (outlier) {
		vj->st.outliers++;
		r = r > 0 ? lim : -lim;
	}
	w = vj_weight(vj->var_n++, dt_ms, vj->cfg.noise_memory_ms);
	vj->var = vj_clamp((1 - w) * vj->var + w * r * r, VJ_VAR_MIN, cap);
	if (!outlier && ds > -VJ_QUEUED_FRAC * vj->max_size)
		vj_kalman(vj, d, ds);
}

static bool vj_finite(const struct vc_vjitter *vj)
{
	return isfinite(vj->theta[0]) && isfinite(vj->theta[1]) && isfinite(vj->p[0][0]) &&
	       isfinite(vj->p[0][1]) && isfinite(vj->p[1][1]) && isfinite(vj->var) &&
	       isfinite(vj->avg_size) && isfinite(vj->var_size) && isfinite(vj->max_size);
}

/* Start from the initial state with this frame as the reference (the
 * first frame, or after a step or a non-finite value). */
static void vj_start(struct vc_vjitter *vj, uint32_t rtp_ts, int64_t arrival_us, double size)
{
	vj_restart(vj);
	memset(&vj->unwrap, 0, sizeof(vj->unwrap));
	vj->prev_uts = vc_unwrap32(&vj->unwrap, rtp_ts);
	vj->prev_rtp_us = vc_ts_to_us(vj->prev_uts, vj->cfg.clock_rate);
	vj->prev_arrival_us = arrival_us;
	vj->prev_size = size;
	vj->have_prev = true;
	vj_sizes(vj, size, 0);
}

void vc_vjitter_frame(struct vc_vjitter *vj, uint32_t rtp_ts, uint64_t arrival_in_us,
		      uint32_t size_bytes)
{
	int64_t arrival_us, reset_us, uts = 0, dts_us = 0, darr_us = 0;
	double size, dt_ms;
	bool big;

	assert(vj);
	arrival_us = arrival_in_us > (uint64_t)VJ_US_LIMIT ? VJ_US_LIMIT : (int64_t)arrival_in_us;
	if (!size_bytes) {
		vj->st.empty++;
		return;
	}
	if (size_bytes > vj->cfg.max_frame_bytes) {
		vj->st.oversize++;
		size_bytes = vj->cfg.max_frame_bytes;
	}
	size = size_bytes;
	if (vj->have_prev) {
		reset_us = (int64_t)vj->cfg.reset_ms * 1000;
		uts = vc_unwrap32_peek(&vj->unwrap, rtp_ts);
		dts_us = vc_ts_to_us(uts, vj->cfg.clock_rate) - vj->prev_rtp_us;
		darr_us = arrival_us - vj->prev_arrival_us;
		/* A late duplicate (a retransmission, say) is ignored however
		 * late it arrives; a timestamp step back is a restart. */
		if (uts <= vj->prev_uts && dts_us >= -reset_us) {
			vj->st.reordered++;
			return;
		}
		if (dts_us > reset_us || dts_us < -reset_us || darr_us > reset_us ||
		    darr_us < -reset_us) {
			vj->st.resets++;
			vj->have_prev = false;
		}
	}
	if (!vj->have_prev) {
		vj_start(vj, rtp_ts, arrival_us, size);
		vj_update_estimate(vj);
		return;
	}
	if (darr_us < 0) {
		vj->st.clock_back++;
		darr_us = 0;
		arrival_us = vj->prev_arrival_us;
	}
	vc_unwrap32(&vj->unwrap, rtp_ts);
	dt_ms = (double)dts_us / 1000.0;
	big = vj_sizes(vj, size, dt_ms);
	vj_measure(vj, (double)(darr_us - dts_us) / 1000.0, size - vj->prev_size, dt_ms, big);
	vj->prev_uts = uts;
	vj->prev_rtp_us += dts_us;
	vj->prev_arrival_us = arrival_us;
	vj->prev_size = size;
	vj->st.frames++;
	if (!vj_finite(vj)) {
		vj->st.nonfinite++;
		vj_start(vj, rtp_ts, arrival_us, size);
	}
	vj_update_estimate(vj);
}

double vc_vjitter_ms(const struct vc_vjitter *vj)
{
	assert(vj);
	return vj->est_ms;
}

void vc_vjitter_decode_time(struct vc_vjitter *vj, uint64_t decode_us)
{
	uint32_t sorted[VC_VJITTER_DECODE_MAX], win = vj->cfg.decode_window;

	assert(vj);
	vj->dec[vj->dec_next] = decode_us > VJ_DECODE_CLAMP_US ? VJ_DECODE_CLAMP_US
							       : (uint32_t)decode_us;
	vj->dec_next = (vj->dec_next + 1) % win;
	if (vj->dec_n < win)
		vj->dec_n++;
	/* Insertion sort of a copy: at most 64 entries, once per frame. */
	for (uint32_t i = 0; i < vj->dec_n; i++) {
		uint32_t v = vj->dec[i], j = i;

		for (; j > 0 && sorted[j - 1] > v; j--)
			sorted[j] = sorted[j - 1];
		sorted[j] = v;
	}
	/* Nearest rank: the ceil(0.95 n)-th smallest. */
	vj->dec_ms = sorted[(95 * vj->dec_n + 99) / 100 - 1] / 1000.0;
}

double vc_vjitter_decode_ms(const struct vc_vjitter *vj)
{
	assert(vj);
	return vj->dec_ms;
}

void vc_vjitter_stats(const struct vc_vjitter *vj, struct vc_vjitter_stats *st)
{
	assert(vj && st);
	*st = vj->st;
	st->theta0 = vj->theta[0];
	st->theta1 = vj->theta[1];
	st->noise_var = vj->var;
	st->avg_size = vj->avg_size;
	st->max_size = vj->max_size;
}

void vc_vjitter_reset(struct vc_vjitter *vj)
{
	assert(vj);
	vj_restart(vj); /* the reference goes too: have_prev is false */
	memset(vj->dec, 0, sizeof(vj->dec));
	vj->dec_next = vj->dec_n = 0;
	vj->dec_ms = 0;
	memset(&vj->st, 0, sizeof(vj->st));
}

static int vj_cfg_fill(struct vc_vjitter_cfg *c, const struct vc_vjitter_cfg *in)
{
	if (in)
		*c = *in;
	else
		memset(c, 0, sizeof(*c));
	if (!c->clock_rate)
		c->clock_rate = VJ_DEF_RATE;
	if (!c->ceiling_ms)
		c->ceiling_ms = VJ_DEF_CEILING_MS;
	if (!c->reset_ms)
		c->reset_ms = VJ_DEF_RESET_MS;
	if (!c->noise_memory_ms)
		c->noise_memory_ms = VJ_DEF_NOISE_MEMORY_MS;
	if (!c->max_frame_bytes)
		c->max_frame_bytes = VJ_DEF_MAX_FRAME;
	if (!c->decode_window)
		c->decode_window = VC_VJITTER_DECODE_MAX;
	if (c->clock_rate < VJ_MIN_RATE || c->clock_rate > VJ_MAX_RATE ||
	    c->ceiling_ms > VJ_MAX_CEILING_MS || c->reset_ms > VJ_MAX_SPAN_MS ||
	    c->noise_memory_ms > VJ_MAX_SPAN_MS || c->max_frame_bytes > VJ_MAX_FRAME_LIMIT ||
	    c->decode_window > VC_VJITTER_DECODE_MAX)
		return -EINVAL;
	return 0;
}

int vc_vjitter_new(struct vc_vjitter **out, const struct vc_vjitter_cfg *cfg)
{
	struct vc_vjitter_cfg c;
	struct vc_vjitter *vj;
	int err;

	if (!out)
		return -EINVAL;
	err = vj_cfg_fill(&c, cfg);
	if (err)
		return err;
	vj = calloc(1, sizeof(*vj));
	if (!vj)
		return -ENOMEM;
	vj->cfg = c;
	vc_vjitter_reset(vj);
	*out = vj;
	return 0;
}

void vc_vjitter_free(struct vc_vjitter *vj)
{
	free(vj);
}
