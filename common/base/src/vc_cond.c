/* vc_cond.c - monotonic condition variables with microsecond deadlines. */
#include "vc_cond.h"

#include <errno.h>
#include <time.h>

int vc_cond_init_monotonic(pthread_cond_t *cv)
{
	pthread_condattr_t ca;
	int rc = pthread_condattr_init(&ca);

	if (rc)
		return -rc;
	rc = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	if (!rc)
		rc = pthread_cond_init(cv, &ca);
	pthread_condattr_destroy(&ca);
	return -rc;
}

int vc_cond_wait_until(pthread_cond_t *cv, pthread_mutex_t *m, uint64_t deadline_us)
{
	if (deadline_us == UINT64_MAX)
		return -pthread_cond_wait(cv, m);
	struct timespec ts = { .tv_sec = (time_t)(deadline_us / 1000000u),
			       .tv_nsec = (long)(deadline_us % 1000000u) * 1000L };
	return -pthread_cond_timedwait(cv, m, &ts);
}
