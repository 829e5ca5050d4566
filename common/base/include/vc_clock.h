/* vc_clock.h - the one time source of vcalld.
 *
 * All media timing reads CLOCK_MONOTONIC in microseconds through a struct
 * vc_clock, so tests can inject a fake clock and run without sleeping.
 * Threading: vc_clock_now() may be called from any thread; a fake clock is
 * advanced with an atomic store.
 */
#ifndef VC_CLOCK_H
#define VC_CLOCK_H

#include <stdatomic.h>
#include <stdint.h>

struct vc_clock {
	uint64_t (*now_us)(const struct vc_clock *c);
	_Atomic uint64_t fake_us; /* used by the fake clock only */
};

/* The process-wide monotonic clock (read-only, safe from any thread). */
const struct vc_clock *vc_clock_monotonic(void);

static inline uint64_t vc_clock_now(const struct vc_clock *c)
{
	return c->now_us(c);
}

/* Fake clock for tests: starts at start_us, moves only when told. */
void vc_clock_fake_init(struct vc_clock *c, uint64_t start_us);
void vc_clock_fake_set(struct vc_clock *c, uint64_t us);
void vc_clock_fake_advance(struct vc_clock *c, uint64_t us);

/* Raw CLOCK_MONOTONIC in microseconds. */
uint64_t vc_monotonic_us(void);

/* Sleep until the absolute monotonic time deadline_us (returns early on
 * signal; callers re-check their stop flag). */
void vc_sleep_until_us(uint64_t deadline_us);

/* vcalld's "NTP" timeline for RTCP SR and abs-capture-time is CLOCK_MONOTONIC
 * in 64-bit NTP format (32.32 fixed point seconds).  Two daemons on one host
 * therefore share a clock; across hosts the offset is estimated from RTCP. */
uint64_t vc_ntp_from_us(uint64_t us);
uint64_t vc_us_from_ntp(uint64_t ntp);
/* Middle 32 bits of an NTP timestamp (RTCP LSR/DLSR units: 1/65536 s). */
static inline uint32_t vc_ntp_mid32(uint64_t ntp)
{
	return (uint32_t)(ntp >> 16);
}

#endif
