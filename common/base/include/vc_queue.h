/* vc_queue.h - bounded blocking queue of pointers (many producers, many
 * consumers), for handing packets and frames between ordinary threads.
 *
 * Threading: takes a mutex for a few instructions; NOT for real-time audio
 * callbacks (use vc_ring there).  vc_queue_close() wakes every waiter.
 */
#ifndef VC_QUEUE_H
#define VC_QUEUE_H

#include <stddef.h>
#include <stdint.h>

struct vc_queue;

int vc_queue_new(struct vc_queue **out, size_t capacity);
void vc_queue_free(struct vc_queue *q);
/* Non-blocking push: 0, or -EAGAIN when full, -EPIPE when closed. */
int vc_queue_push(struct vc_queue *q, void *item);
/* Pop, waiting until the absolute monotonic deadline (0 = don't wait,
 * UINT64_MAX = forever).  Returns the item, or NULL on timeout/closed. */
void *vc_queue_pop(struct vc_queue *q, uint64_t deadline_us);
size_t vc_queue_len(struct vc_queue *q);
/* Wake all waiters; later pushes fail, pops drain what is left then NULL. */
void vc_queue_close(struct vc_queue *q);

#endif
