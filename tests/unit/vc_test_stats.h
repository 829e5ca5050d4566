/* vc_test_stats.h - the small statistics the timing tests check their
 * estimators against (one copy per test program: static). */
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

#endif
