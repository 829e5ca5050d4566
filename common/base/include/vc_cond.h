/* vc_cond.h - condition variables on CLOCK_MONOTONIC, waited on until an
 * absolute deadline in microseconds (the timeline of vc_clock).
 * Threading: as pthread_cond_*; the caller holds the mutex.
 */
#ifndef VC_COND_H
#define VC_COND_H

#include <pthread.h>
#include <stdint.h>

/* Returns 0 or a negative errno. */
int vc_cond_init_monotonic(pthread_cond_t *cv);
/* Wait until signalled or deadline_us (UINT64_MAX: no deadline).  Returns
 * 0, or -ETIMEDOUT once the deadline has passed. */
int vc_cond_wait_until(pthread_cond_t *cv, pthread_mutex_t *m, uint64_t deadline_us);

#endif
