/* vc_drift.c - robust drift of the fastest-packet transit (see vc_drift.h). */
#include "vc_drift.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void vc_drift_init(struct vc_drift *d, double min_span_s, double step_ms)
{
	memset(d, 0, sizeof(*d));
	d->min_span_s = min_span_s;
	d->step_ms = step_ms;
}

void vc_drift_reset(struct vc_drift *d)
{
	d->head = 0;
	d->len = 0;
	d->have_last = false;
}

void vc_drift_sample(struct vc_drift *d, uint64_t now_us, int64_t transit_us)
{
	unsigned i;

	if (d->have_last && fabs((double)transit_us - (double)d->last_us) / 1000.0 > d->step_ms) {
		d->restarts++;
		vc_drift_reset(d);
	}
	d->last_us = transit_us;
	d->have_last = true;
	i = (d->head + d->len) % VC_DRIFT_POINTS;
	if (d->len == VC_DRIFT_POINTS)
		d->head = (d->head + 1) % VC_DRIFT_POINTS;
	else
		d->len++;
	/* Seconds and milliseconds from the first point keep the sums small. */
	d->t_s[i] = (double)now_us / 1e6;
	d->v_ms[i] = (double)transit_us / 1000.0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

bool vc_drift_ppm(const struct vc_drift *d, double *ppm)
{
	double slope[VC_DRIFT_POINTS / 2];
	unsigned half = d->len / 2, n = 0;
	double span;

	if (d->len < 4)
		return false;
	span = d->t_s[(d->head + d->len - 1) % VC_DRIFT_POINTS] - d->t_s[d->head];
	if (span < d->min_span_s)
		return false;
	/* Median of the slopes between each point and the one half a window
	 * later: a jitter burst or a queue that bends the fastest transit
	 * for a few seconds moves a few of them, not the median. */
	for (unsigned k = 0; k + half < d->len; k++) {
		unsigned i = (d->head + k) % VC_DRIFT_POINTS, j = (d->head + k + half) % VC_DRIFT_POINTS;
		double dt = d->t_s[j] - d->t_s[i];

		if (dt > 0 && n < VC_DRIFT_POINTS / 2)
			slope[n++] = (d->v_ms[j] - d->v_ms[i]) / dt;
	}
	if (!n)
		return false;
	qsort(slope, n, sizeof(slope[0]), cmp_double);
	/* ms per s is 1e-3: ppm = -slope * 1e3 */
	*ppm = -(n % 2 ? slope[n / 2] : 0.5 * (slope[n / 2 - 1] + slope[n / 2])) * 1000.0;
	return isfinite(*ppm);
}
