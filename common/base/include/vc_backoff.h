/* vc_backoff.h - when to try a failed device again: first after min_us,
 * then doubling up to max_us, so a missing device costs a few attempts a
 * second at first and one every max_us after that, never a busy loop.
 */
#ifndef VC_BACKOFF_H
#define VC_BACKOFF_H

#include <stdbool.h>
#include <stdint.h>

struct vc_backoff {
	uint64_t min_us, max_us;
	uint64_t delay_us;
	uint64_t next_us;
};

/* The device just failed at now_us: first retry after min_us. */
static inline void vc_backoff_start(struct vc_backoff *b, uint64_t now_us)
{
	b->delay_us = b->min_us;
	b->next_us = now_us + b->delay_us;
}

static inline bool vc_backoff_due(const struct vc_backoff *b, uint64_t now_us)
{
	return now_us >= b->next_us;
}

/* A retry failed at now_us: wait twice as long (at most max_us). */
static inline void vc_backoff_failed(struct vc_backoff *b, uint64_t now_us)
{
	b->delay_us = b->delay_us * 2 > b->max_us ? b->max_us : b->delay_us * 2;
	b->next_us = now_us + b->delay_us;
}

#endif
