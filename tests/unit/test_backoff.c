/* test_backoff.c - retry timing for failed devices. */
#include "vc_backoff.h"
#include "vc_test.h"

static void test_doubling_to_cap(void)
{
	struct vc_backoff b = { .min_us = 250000, .max_us = 4000000 };
	uint64_t now = 1000000;
	static const uint64_t want[] = { 250000, 500000, 1000000, 2000000, 4000000, 4000000 };

	vc_backoff_start(&b, now);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		CHECK_EQ(b.delay_us, want[i]);
		CHECK(!vc_backoff_due(&b, now + want[i] - 1));
		CHECK(vc_backoff_due(&b, now + want[i]));
		now += want[i];
		vc_backoff_failed(&b, now);
	}
	/* a new failure after a recovery starts small again */
	vc_backoff_start(&b, now);
	CHECK_EQ(b.delay_us, 250000);
	/* attempts in the first 2 s of an outage: 0.25, 0.75, 1.75 s */
	int attempts = 0;
	vc_backoff_start(&b, 0);
	for (uint64_t t = 0; t <= 2000000; t += 1000)
		if (vc_backoff_due(&b, t)) {
			attempts++;
			vc_backoff_failed(&b, t);
		}
	CHECK_EQ(attempts, 3);
}

int main(void)
{
	RUN(test_doubling_to_cap);
	return vc_test_summary();
}
