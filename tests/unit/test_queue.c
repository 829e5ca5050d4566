/* test_queue.c - vc_queue: order, bound, timed pop, close. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>

#include "vc_clock.h"
#include "vc_queue.h"
#include "vc_test.h"

static void test_order_and_bound(void)
{
	struct vc_queue *q;
	int v[5];

	CHECK_EQ(vc_queue_new(&q, 0), -EINVAL);
	CHECK_EQ(vc_queue_new(&q, 4), 0);
	for (int i = 0; i < 4; i++)
		CHECK_EQ(vc_queue_push(q, &v[i]), 0);
	CHECK_EQ(vc_queue_push(q, &v[4]), -EAGAIN);
	CHECK_EQ(vc_queue_len(q), 4);
	CHECK(vc_queue_pop(q, 0) == &v[0]);
	CHECK_EQ(vc_queue_push(q, &v[4]), 0); /* index wraps */
	for (int i = 1; i < 5; i++)
		CHECK(vc_queue_pop(q, 0) == &v[i]);
	CHECK(vc_queue_pop(q, 0) == NULL); /* empty, no wait */
	CHECK_EQ(vc_queue_len(q), 0);
	vc_queue_free(q);
	vc_queue_free(NULL);
}

static void test_timed_pop(void)
{
	struct vc_queue *q;
	uint64_t start, deadline;

	CHECK_EQ(vc_queue_new(&q, 2), 0);
	start = vc_monotonic_us();
	deadline = start + 20000;
	CHECK(vc_queue_pop(q, deadline) == NULL);
	CHECK(vc_monotonic_us() >= deadline);
	vc_queue_free(q);
}

struct waiter {
	struct vc_queue *q;
	void *got;
	int done;
	pthread_mutex_t m;
};

static void *blocked_pop(void *arg)
{
	struct waiter *w = arg;
	void *item = vc_queue_pop(w->q, UINT64_MAX);

	pthread_mutex_lock(&w->m);
	w->got = item;
	w->done = 1;
	pthread_mutex_unlock(&w->m);
	return NULL;
}

static void test_close_wakes(void)
{
	struct waiter w = { .got = (void *)1 };
	pthread_t t;
	int x;

	pthread_mutex_init(&w.m, NULL);
	CHECK_EQ(vc_queue_new(&w.q, 2), 0);
	CHECK_EQ(pthread_create(&t, NULL, blocked_pop, &w), 0);
	/* give the consumer time to block (the test passes either way) */
	vc_sleep_until_us(vc_monotonic_us() + 10000);
	vc_queue_close(w.q);
	pthread_join(t, NULL);
	CHECK_EQ(w.done, 1);
	CHECK(w.got == NULL);
	CHECK_EQ(vc_queue_push(w.q, &x), -EPIPE);
	vc_queue_free(w.q);
	pthread_mutex_destroy(&w.m);
}

static void test_close_drains(void)
{
	struct vc_queue *q;
	int a, b;

	CHECK_EQ(vc_queue_new(&q, 4), 0);
	CHECK_EQ(vc_queue_push(q, &a), 0);
	CHECK_EQ(vc_queue_push(q, &b), 0);
	vc_queue_close(q);
	CHECK(vc_queue_pop(q, UINT64_MAX) == &a);
	CHECK(vc_queue_pop(q, UINT64_MAX) == &b);
	CHECK(vc_queue_pop(q, UINT64_MAX) == NULL); /* closed: no wait */
	vc_queue_free(q);
}

static void *late_push(void *arg)
{
	vc_sleep_until_us(vc_monotonic_us() + 5000);
	vc_queue_push(arg, arg);
	return NULL;
}

static void test_wakes_on_push(void)
{
	struct vc_queue *q;
	pthread_t t;

	CHECK_EQ(vc_queue_new(&q, 4), 0);
	CHECK_EQ(pthread_create(&t, NULL, late_push, q), 0);
	/* generous deadline: only fails if the push never wakes us */
	CHECK(vc_queue_pop(q, vc_monotonic_us() + 10000000) == (void *)q);
	pthread_join(t, NULL);
	vc_queue_free(q);
}

int main(void)
{
	RUN(test_order_and_bound);
	RUN(test_timed_pop);
	RUN(test_close_wakes);
	RUN(test_close_drains);
	RUN(test_wakes_on_push);
	return vc_test_summary();
}
