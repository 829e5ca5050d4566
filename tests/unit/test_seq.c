/* test_seq.c - serial-number arithmetic (vc_seq.h) across the wraps. */
#include "vc_seq.h"
#include "vc_test.h"

static void test_seq_diff_wrap(void)
{
	CHECK_EQ(vc_seq_diff(0, 65535), 1);
	CHECK_EQ(vc_seq_diff(65535, 0), -1);
	CHECK_EQ(vc_seq_diff(5, 65530), 11);
	CHECK_EQ(vc_seq_diff(65530, 5), -11);
	CHECK_EQ(vc_seq_diff(100, 100), 0);
	CHECK_EQ(vc_seq_diff(32767, 0), 32767);
	CHECK_EQ(vc_seq_diff(32768, 0), -32768); /* the ambiguous half-way point */
	CHECK(vc_seq_newer(0, 65535));
	CHECK(!vc_seq_newer(65535, 0));
	CHECK(vc_seq_newer(3, 65000));
	CHECK(!vc_seq_newer(7, 7));
	CHECK(vc_seq_newer(1000, 999));
	CHECK(!vc_seq_newer(999, 1000));
}

static void test_ts_diff_wrap(void)
{
	CHECK_EQ(vc_ts_diff(0, 0xFFFFFFFFu), 1);
	CHECK_EQ(vc_ts_diff(0xFFFFFFFFu, 0), -1);
	CHECK_EQ(vc_ts_diff(2999, 0xFFFFFFFFu - 2999), 5999);
	CHECK_EQ(vc_ts_diff(0x7FFFFFFFu, 0), 0x7FFFFFFF);
	CHECK(vc_ts_newer(0, 0xFFFFFFFFu));
	CHECK(vc_ts_newer(1500, 0xFFFFF000u));
	CHECK(!vc_ts_newer(0xFFFFFFFFu, 0));
	CHECK(!vc_ts_newer(42, 42));
}

static void test_unwrap16_forward(void)
{
	struct vc_unwrap u = { 0 };
	uint16_t s = 65000;
	int64_t expect = 65000;

	CHECK_EQ(vc_unwrap16(&u, s), expect);
	/* five full wraps in steps of 1000 */
	for (int i = 0; i < 5 * 66; i++) {
		s = (uint16_t)(s + 1000);
		expect += 1000;
		CHECK_EQ(vc_unwrap16(&u, s), expect);
	}
	CHECK(expect > 5 * 65536);
}

static void test_unwrap16_reorder_across_wrap(void)
{
	struct vc_unwrap u = { 0 };

	CHECK_EQ(vc_unwrap16(&u, 65534), 65534);
	CHECK_EQ(vc_unwrap16(&u, 1), 65537);       /* past the wrap */
	CHECK_EQ(vc_unwrap16(&u, 65535), 65535);   /* late packet: before the wrap */
	CHECK_EQ(vc_unwrap16(&u, 0), 65536);
	CHECK_EQ(vc_unwrap16(&u, 2), 65538);
	CHECK_EQ(vc_unwrap16_peek(&u, 65533), 65533);
	CHECK_EQ(vc_unwrap16_peek(&u, 10), 65546);
	CHECK_EQ(u.last, 65538); /* peek did not move */

	/* reordering just before the start of the stream goes negative */
	struct vc_unwrap v = { 0 };
	CHECK_EQ(vc_unwrap16(&v, 0), 0);
	CHECK_EQ(vc_unwrap16(&v, 65535), -1);
}

static void test_unwrap32(void)
{
	struct vc_unwrap u = { 0 };
	uint32_t ts = 0xFFFF0000u;
	int64_t expect = 0xFFFF0000u;

	CHECK_EQ(vc_unwrap32_peek(&u, 7), 7);
	CHECK_EQ(vc_unwrap32(&u, ts), expect);
	/* three wraps in steps of 2^30 */
	for (int i = 0; i < 12; i++) {
		ts += 0x40000000u;
		expect += 0x40000000;
		CHECK_EQ(vc_unwrap32(&u, ts), expect);
	}
	CHECK(expect > 3 * 0x100000000ll);

	struct vc_unwrap w = { 0 };
	CHECK_EQ(vc_unwrap32(&w, 0xFFFFFF00u), 0xFFFFFF00ll);
	CHECK_EQ(vc_unwrap32(&w, 0x100u), 0x100000100ll);
	CHECK_EQ(vc_unwrap32(&w, 0xFFFFFFF0u), 0xFFFFFFF0ll); /* reordered */
	CHECK_EQ(vc_unwrap32(&w, 0x200u), 0x100000200ll);
}

/* Ticks to microseconds: exact on whole ticks, floor below zero (so time
 * stays monotone across 0), clamped far away. */
static void test_ts_to_us(void)
{
	static const struct {
		int64_t ticks;
		uint32_t rate;
		int64_t us;
	} v[] = {
		{ 0, 90000, 0 },
		{ 90000, 90000, 1000000 },
		{ 3000, 90000, 33333 },
		{ 960, 48000, 20000 },
		{ -1, 90000, -12 },        /* floor(-1/90000 s) in us */
		{ -90000, 90000, -1000000 },
		{ (int64_t)1 << 50, 90000, (((int64_t)1 << 48) / 90000) * 1000000 +
					    (((int64_t)1 << 48) % 90000) * 1000000 / 90000 },
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		CHECK_EQ(vc_ts_to_us(v[i].ticks, v[i].rate), v[i].us);
	/* monotone across zero */
	for (int64_t t = -200; t < 200; t++)
		CHECK(vc_ts_to_us(t, 90000) <= vc_ts_to_us(t + 1, 90000));
}

int main(void)
{
	RUN(test_seq_diff_wrap);
	RUN(test_ts_diff_wrap);
	RUN(test_unwrap16_forward);
	RUN(test_unwrap16_reorder_across_wrap);
	RUN(test_unwrap32);
	RUN(test_ts_to_us);
	return vc_test_summary();
}
