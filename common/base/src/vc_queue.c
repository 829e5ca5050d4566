/* vc_queue.c - bounded pointer queue (mutex + condvar on CLOCK_MONOTONIC).
 *
 * A circular array of capacity pointers, allocated once.  Pushes never
 * block (a full queue is the producer's signal to drop), so only consumers
 * wait, on one condition variable whose clock is CLOCK_MONOTONIC so that
 * wall-clock steps cannot stretch or shorten a timed pop.
 */
#include "vc_queue.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "vc_cond.h"

#define QUEUE_MAX_CAP ((size_t)1 << 24)

struct vc_queue {
	pthread_mutex_t lock;
	pthread_cond_t nonempty;
	void **items;
	size_t cap;
	size_t head; /* index of the oldest item */
	size_t len;
	bool closed;
	bool have_lock, have_cond; /* what _free must destroy */
};

int vc_queue_new(struct vc_queue **out, size_t capacity)
{
	struct vc_queue *q = NULL;
	int err = 0;

	if (!out || capacity < 1 || capacity > QUEUE_MAX_CAP)
		return -EINVAL;
	q = calloc(1, sizeof(*q));
	if (!q) {
		err = -ENOMEM;
		goto out;
	}
	q->items = calloc(capacity, sizeof(*q->items));
	if (!q->items) {
		err = -ENOMEM;
		goto out;
	}
	q->cap = capacity;
	err = -pthread_mutex_init(&q->lock, NULL);
	if (err)
		goto out;
	q->have_lock = true;
	err = vc_cond_init_monotonic(&q->nonempty);
	if (err)
		goto out;
	q->have_cond = true;
	*out = q;
	q = NULL;
out:
	vc_queue_free(q);
	return err;
}

void vc_queue_free(struct vc_queue *q)
{
	if (!q)
		return;
	if (q->have_cond)
		pthread_cond_destroy(&q->nonempty);
	if (q->have_lock)
		pthread_mutex_destroy(&q->lock);
	free(q->items);
	free(q);
}

int vc_queue_push(struct vc_queue *q, void *item)
{
	int err = 0;

	pthread_mutex_lock(&q->lock);
	if (q->closed) {
		err = -EPIPE;
	} else if (q->len == q->cap) {
		err = -EAGAIN;
	} else {
		q->items[(q->head + q->len) % q->cap] = item;
		q->len++;
		pthread_cond_signal(&q->nonempty);
	}
	pthread_mutex_unlock(&q->lock);
	return err;
}

void *vc_queue_pop(struct vc_queue *q, uint64_t deadline_us)
{
	void *item = NULL;

	pthread_mutex_lock(&q->lock);
	while (q->len == 0 && !q->closed && deadline_us != 0) {
		if (vc_cond_wait_until(&q->nonempty, &q->lock, deadline_us) == -ETIMEDOUT)
			break;
	}
	if (q->len > 0) {
		item = q->items[q->head];
		q->items[q->head] = NULL;
		q->head = (q->head + 1) % q->cap;
		q->len--;
	}
	pthread_mutex_unlock(&q->lock);
	return item;
}

size_t vc_queue_len(struct vc_queue *q)
{
	size_t n;

	pthread_mutex_lock(&q->lock);
	n = q->len;
	pthread_mutex_unlock(&q->lock);
	return n;
}

void vc_queue_close(struct vc_queue *q)
{
	pthread_mutex_lock(&q->lock);
	q->closed = true;
	pthread_cond_broadcast(&q->nonempty);
	pthread_mutex_unlock(&q->lock);
}
