/* vc_pace.h - private to capture/: waiting for a due time on the injected
 * clock.  The real monotonic clock sleeps with vc_sleep_until_us(); any
 * other (fake) clock is polled with short real sleeps until a test thread
 * moves it past the deadline.
 */
#ifndef VC_PACE_H
#define VC_PACE_H

#include "vc_clock.h"

static inline void vc_pace_wait(const struct vc_clock *c, uint64_t due_us)
{
	if (c == vc_clock_monotonic()) {
		while (vc_monotonic_us() < due_us)
			vc_sleep_until_us(due_us);
		return;
	}
	while (vc_clock_now(c) < due_us)
		vc_sleep_until_us(vc_monotonic_us() + 1000);
}

#endif
