/* test_ring.c - vc_ring: fill/drain, index wrap, partial writes, and a
 * two-thread producer/consumer stress run (meant for TSan too). */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "vc_ring.h"
#include "vc_test.h"

static void test_new_args(void)
{
	struct vc_ring *r = NULL;

	CHECK_EQ(vc_ring_new(&r, 0, 8), -EINVAL);
	CHECK_EQ(vc_ring_new(&r, 4097, 8), -EINVAL);
	CHECK_EQ(vc_ring_new(&r, 4, 1), -EINVAL);
	CHECK_EQ(vc_ring_new(&r, 4, ((size_t)1 << 24) + 1), -EINVAL);
	CHECK(r == NULL);
	CHECK_EQ(vc_ring_new(&r, 4, 5), 0);
	CHECK_EQ(vc_ring_capacity(r), 8); /* rounded up to a power of two */
	vc_ring_free(r);
	vc_ring_free(NULL);
}

static void test_fill_drain(void)
{
	struct vc_ring *r;
	int32_t in[16], out[16];

	CHECK_EQ(vc_ring_new(&r, sizeof(int32_t), 16), 0);
	for (int i = 0; i < 16; i++)
		in[i] = i * 3 - 7;
	CHECK_EQ(vc_ring_readable(r), 0);
	CHECK_EQ(vc_ring_writable(r), 16);
	CHECK_EQ(vc_ring_read(r, out, 4), 0);
	CHECK_EQ(vc_ring_write(r, in, 16), 16);
	CHECK_EQ(vc_ring_readable(r), 16);
	CHECK_EQ(vc_ring_writable(r), 0);
	CHECK_EQ(vc_ring_write(r, in, 1), 0);
	memset(out, 0, sizeof(out));
	CHECK_EQ(vc_ring_read(r, out, 32), 16);
	CHECK(memcmp(in, out, sizeof(in)) == 0);
	CHECK_EQ(vc_ring_readable(r), 0);
	vc_ring_free(r);
}

static void test_wrap(void)
{
	struct vc_ring *r;
	uint16_t in[5], out[5];
	uint16_t next_in = 0, next_out = 0;
	int bad = 0;

	/* 5 elements at a time through 8 slots: every read and write
	 * straddles the end of the buffer sooner or later */
	CHECK_EQ(vc_ring_new(&r, sizeof(uint16_t), 8), 0);
	for (int round = 0; round < 1000; round++) {
		for (int i = 0; i < 5; i++)
			in[i] = next_in++;
		if (vc_ring_write(r, in, 5) != 5)
			bad++;
		if (vc_ring_read(r, out, 5) != 5)
			bad++;
		for (int i = 0; i < 5; i++)
			if (out[i] != next_out++)
				bad++;
	}
	CHECK_EQ(bad, 0);
	CHECK_EQ(vc_ring_readable(r), 0);
	vc_ring_free(r);
}

static void test_partial(void)
{
	struct vc_ring *r;
	uint8_t in[3][3] = { { 1, 2, 3 }, { 4, 5, 6 }, { 7, 8, 9 } };
	uint8_t out[4][3];

	CHECK_EQ(vc_ring_new(&r, 3, 4), 0);
	CHECK_EQ(vc_ring_write(r, in, 3), 3);
	CHECK_EQ(vc_ring_write(r, in, 3), 1); /* only one slot left */
	CHECK_EQ(vc_ring_writable(r), 0);
	CHECK_EQ(vc_ring_read(r, out, 2), 2);
	CHECK_EQ(vc_ring_writable(r), 2);
	CHECK_EQ(vc_ring_write(r, in[1], 3), 2); /* wraps: 2 of 3 fit */
	CHECK_EQ(vc_ring_read(r, out, 4), 4);
	CHECK(out[0][0] == 7 && out[0][2] == 9); /* third of first batch */
	CHECK(out[1][0] == 1 && out[1][2] == 3); /* single from second */
	CHECK(out[2][0] == 4 && out[3][0] == 7 && out[3][2] == 9);
	vc_ring_free(r);
}

#define STRESS_N 1000000u

struct stress {
	struct vc_ring *r;
	uint64_t errors;
};

static void *producer(void *arg)
{
	struct stress *st = arg;
	uint32_t buf[37];
	uint32_t next = 0;

	while (next < STRESS_N) {
		/* varying batch sizes so the split point moves around */
		size_t n = 1 + next % 37;

		if (n > STRESS_N - next)
			n = STRESS_N - next;
		for (size_t i = 0; i < n; i++)
			buf[i] = next + (uint32_t)i;
		size_t w = vc_ring_write(st->r, buf, n);
		next += (uint32_t)w;
		if (w == 0)
			sched_yield();
	}
	return NULL;
}

static void *consumer(void *arg)
{
	struct stress *st = arg;
	uint32_t buf[29];
	uint32_t next = 0;

	while (next < STRESS_N) {
		size_t n = vc_ring_read(st->r, buf, 1 + next % 29);

		for (size_t i = 0; i < n; i++)
			if (buf[i] != next++)
				st->errors++;
		if (vc_ring_readable(st->r) > vc_ring_capacity(st->r))
			st->errors++;
		if (n == 0)
			sched_yield();
	}
	return NULL;
}

static void test_stress(void)
{
	struct stress st = { 0 };
	pthread_t p, c;

	CHECK_EQ(vc_ring_new(&st.r, sizeof(uint32_t), 64), 0);
	CHECK_EQ(pthread_create(&c, NULL, consumer, &st), 0);
	CHECK_EQ(pthread_create(&p, NULL, producer, &st), 0);
	pthread_join(p, NULL);
	pthread_join(c, NULL);
	CHECK_EQ(st.errors, 0);
	CHECK_EQ(vc_ring_readable(st.r), 0);
	vc_ring_free(st.r);
}

int main(void)
{
	RUN(test_new_args);
	RUN(test_fill_drain);
	RUN(test_wrap);
	RUN(test_partial);
	RUN(test_stress);
	return vc_test_summary();
}
