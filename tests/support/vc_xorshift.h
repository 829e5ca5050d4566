/* vc_xorshift.h - xorshift32 for the tests' synthetic signals: the same
 * sequence on every machine for a given seed (non-zero). */
#ifndef VC_XORSHIFT_H
#define VC_XORSHIFT_H

#include <stdint.h>

static inline uint32_t rng_next(uint32_t *s)
{
	uint32_t x = *s;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*s = x;
	return x;
}

#endif
