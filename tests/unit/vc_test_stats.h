/* vc_test_stats.h - the small statistics the tests check their results
 * against (one copy per test program: static). */
#ifndef VC_TEST_STATS_H
#define VC_TEST_STATS_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

static inline int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The q-quantile (nearest rank) of x[i] - min(x) over n > 0 values: the
 * delay above the fastest that a buffer needs to cover that share. */
static inline double rel_quantile(const double *x, int n, double q)
{
	double *v = malloc((size_t)n * sizeof(*v)), mn = x[0], r;
	int rank;

	if (!v)
		abort();
	for (int i = 0; i < n; i++)
		mn = x[i] < mn ? x[i] : mn;
	for (int i = 0; i < n; i++)
		v[i] = x[i] - mn;
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	rank = (int)ceil(q * n) - 1;
	r = v[rank < 0 ? 0 : rank];
	free(v);
	return r;
}

struct span {
	double min, max, mean;
};

/* min / max / mean of v[i] over the i whose at_us[i] lies in [from_s, to_s). */
static inline struct span span_of(const uint64_t *at_us, const double *v, int n, double from_s,
				  double to_s)
{
	struct span s = {1e9, -1e9, 0};
	int cnt = 0;

	for (int i = 0; i < n; i++) {
		double ts = (double)at_us[i] / 1e6;

		if (ts < from_s || ts >= to_s)
			continue;
		s.min = fmin(s.min, v[i]);
		s.max = fmax(s.max, v[i]);
		s.mean += v[i];
		cnt++;
	}
	s.mean = cnt ? s.mean / cnt : 0;
	return s;
}

/* Relative power of hz in pcm (Goertzel), normalised by the block energy:
 * about 1 for a pure tone at hz, about 0 for anything else. */
static inline double goertzel_ratio(const int16_t *pcm, int n, double hz, int rate)
{
	double k = 2.0 * cos(2.0 * 3.14159265358979323846 * hz / rate), s1 = 0, s2 = 0, energy = 0;

	for (int i = 0; i < n; i++) {
		double s0 = pcm[i] + k * s1 - s2;
		s2 = s1;
		s1 = s0;
		energy += (double)pcm[i] * pcm[i];
	}
	double p = s1 * s1 + s2 * s2 - k * s1 * s2;
	return energy > 0 ? p / (energy * n / 2.0) : 0.0;
}

#endif
