/* vc_ring.c - single-producer/single-consumer lock-free ring.
 *
 * head and tail are free-running counters (they are never masked when
 * stored), so "full" and "empty" need no spare slot: readable = head - tail.
 * The producer owns head, the consumer owns tail; each publishes its own
 * index with a release store and reads the other's with an acquire load, so
 * element bytes written before a head store are visible after the matching
 * head load (and the consumer is done with bytes before a tail store).
 */
#include "vc_ring.h"

#include <errno.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define RING_MAX_ELEM 4096u
#define RING_MAX_COUNT ((size_t)1 << 24)
#define RING_CACHELINE 64

struct vc_ring {
	/* Separate cache lines: the two sides write different indices. */
	alignas(RING_CACHELINE) _Atomic size_t head; /* written by the producer */
	alignas(RING_CACHELINE) _Atomic size_t tail; /* written by the consumer */
	alignas(RING_CACHELINE) size_t mask;
	size_t elem_size;
	uint8_t *buf;
};

int vc_ring_new(struct vc_ring **out, size_t elem_size, size_t count)
{
	struct vc_ring *r = NULL;
	size_t cap = 2;
	int err = 0;

	if (!out || elem_size < 1 || elem_size > RING_MAX_ELEM || count < 2 ||
	    count > RING_MAX_COUNT)
		return -EINVAL;
	while (cap < count)
		cap <<= 1;

	/* aligned_alloc needs a size that is a multiple of the alignment */
	r = aligned_alloc(RING_CACHELINE, (sizeof(*r) + RING_CACHELINE - 1) &
						  ~(size_t)(RING_CACHELINE - 1));
	if (!r) {
		err = -ENOMEM;
		goto out;
	}
	memset(r, 0, sizeof(*r));
	atomic_init(&r->head, 0);
	atomic_init(&r->tail, 0);
	r->mask = cap - 1;
	r->elem_size = elem_size;
	r->buf = malloc(cap * elem_size);
	if (!r->buf) {
		err = -ENOMEM;
		goto out;
	}
	*out = r;
	r = NULL;
out:
	vc_ring_free(r);
	return err;
}

void vc_ring_free(struct vc_ring *r)
{
	if (!r)
		return;
	free(r->buf);
	free(r);
}

/* Copy n elements between the ring (starting at index idx) and a linear
 * buffer, in at most two pieces because of the wrap. */
static void ring_copy_in(struct vc_ring *r, size_t idx, const uint8_t *src, size_t n)
{
	size_t off = idx & r->mask;
	size_t first = r->mask + 1 - off;

	if (first > n)
		first = n;
	memcpy(r->buf + off * r->elem_size, src, first * r->elem_size);
	if (n > first)
		memcpy(r->buf, src + first * r->elem_size, (n - first) * r->elem_size);
}

static void ring_copy_out(const struct vc_ring *r, size_t idx, uint8_t *dst, size_t n)
{
	size_t off = idx & r->mask;
	size_t first = r->mask + 1 - off;

	if (first > n)
		first = n;
	memcpy(dst, r->buf + off * r->elem_size, first * r->elem_size);
	if (n > first)
		memcpy(dst + first * r->elem_size, r->buf, (n - first) * r->elem_size);
}

size_t vc_ring_write(struct vc_ring *r, const void *elems, size_t n)
{
	size_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	size_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
	size_t room = r->mask + 1 - (head - tail);

	if (n > room)
		n = room;
	if (n == 0)
		return 0;
	ring_copy_in(r, head, elems, n);
	atomic_store_explicit(&r->head, head + n, memory_order_release);
	return n;
}

size_t vc_ring_read(struct vc_ring *r, void *elems, size_t n)
{
	size_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	size_t head = atomic_load_explicit(&r->head, memory_order_acquire);
	size_t avail = head - tail;

	if (n > avail)
		n = avail;
	if (n == 0)
		return 0;
	ring_copy_out(r, tail, elems, n);
	atomic_store_explicit(&r->tail, tail + n, memory_order_release);
	return n;
}

size_t vc_ring_readable(const struct vc_ring *r)
{
	/* tail first: head only grows, so head - tail never underflows even
	 * when the other side moves between the two loads */
	size_t tail = atomic_load_explicit(&((struct vc_ring *)r)->tail, memory_order_acquire);
	size_t head = atomic_load_explicit(&((struct vc_ring *)r)->head, memory_order_acquire);
	size_t used = head - tail;

	/* the producer may have refilled after the consumer moved on between
	 * the two loads: never report more than the capacity */
	return used > r->mask + 1 ? r->mask + 1 : used;
}

size_t vc_ring_writable(const struct vc_ring *r)
{
	size_t cap = r->mask + 1;
	size_t used = vc_ring_readable(r);

	return cap - used;
}

size_t vc_ring_capacity(const struct vc_ring *r)
{
	return r->mask + 1;
}
