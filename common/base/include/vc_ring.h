/* vc_ring.h - single-producer/single-consumer lock-free ring of fixed-size
 * elements (audio samples, pointers).
 *
 * Threading: exactly one writer thread and one reader thread; neither ever
 * blocks, locks or allocates, so either side may be a real-time audio
 * callback.  Capacity is rounded up to a power of two; C11 acquire/release
 * atomics on the two indices.
 */
#ifndef VC_RING_H
#define VC_RING_H

#include <stddef.h>

struct vc_ring;

/* elem_size 1..4096 bytes, count 2..(1<<24).  Returns 0 or -errno. */
int vc_ring_new(struct vc_ring **out, size_t elem_size, size_t count);
void vc_ring_free(struct vc_ring *r);
/* Copy up to n elements in / out; return how many were copied. */
size_t vc_ring_write(struct vc_ring *r, const void *elems, size_t n);
size_t vc_ring_read(struct vc_ring *r, void *elems, size_t n);
size_t vc_ring_readable(const struct vc_ring *r);
size_t vc_ring_writable(const struct vc_ring *r);
size_t vc_ring_capacity(const struct vc_ring *r);

#endif
