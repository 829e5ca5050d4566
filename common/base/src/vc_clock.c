/* vc_clock.c - monotonic and fake clocks. */
#include "vc_clock.h"

#include <errno.h>
#include <time.h>

uint64_t vc_monotonic_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static uint64_t mono_now(const struct vc_clock *c)
{
	(void)c;
	return vc_monotonic_us();
}

static uint64_t fake_now(const struct vc_clock *c)
{
	return atomic_load(&c->fake_us);
}

static struct vc_clock mono_clock = { .now_us = mono_now };

const struct vc_clock *vc_clock_monotonic(void)
{
	return &mono_clock;
}

void vc_clock_fake_init(struct vc_clock *c, uint64_t start_us)
{
	c->now_us = fake_now;
	atomic_store(&c->fake_us, start_us);
}

void vc_clock_fake_set(struct vc_clock *c, uint64_t us)
{
	atomic_store(&c->fake_us, us);
}

void vc_clock_fake_advance(struct vc_clock *c, uint64_t us)
{
	atomic_fetch_add(&c->fake_us, us);
}

void vc_sleep_until_us(uint64_t deadline_us)
{
	struct timespec ts = {
		.tv_sec = (time_t)(deadline_us / 1000000u),
		.tv_nsec = (long)(deadline_us % 1000000u) * 1000L,
	};

	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

uint64_t vc_ntp_from_us(uint64_t us)
{
	uint64_t sec = us / 1000000u;
	uint64_t frac = ((us % 1000000u) << 32) / 1000000u;

	return (sec << 32) | frac;
}

uint64_t vc_us_from_ntp(uint64_t ntp)
{
	uint64_t sec = ntp >> 32;
	uint64_t frac = ntp & 0xffffffffu;

	return sec * 1000000u + ((frac * 1000000u) >> 32);
}
