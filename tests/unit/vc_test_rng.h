/* vc_test_rng.h - the unit tests' seeded PRNG (splitmix64): a fixed seed
 * per scenario, so every run sees the same delays.  Set rng_state to seed
 * a scenario.  One copy per test program (static). */
#ifndef VC_TEST_RNG_H
#define VC_TEST_RNG_H

#include <stdint.h>

static uint64_t rng_state;

static inline uint64_t rng_next(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in [lo, hi). */
static inline double rng_uniform(double lo, double hi)
{
	return lo + (hi - lo) * (double)(rng_next() >> 11) / 9007199254740992.0;
}

#endif
