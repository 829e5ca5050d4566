/* test_testsrc.c - the test picture: deterministic, moving, barcoded. */
#include <string.h>

#include "vc_barcode.h"
#include "vc_frame.h"
#include "vc_test.h"
#include "vc_testsrc.h"

static int same(const struct vc_frame *a, const struct vc_frame *b)
{
	return memcmp(a->mem, b->mem, vc_i420_size(a->width, a->height)) == 0;
}

static double diff_fraction(const struct vc_frame *a, const struct vc_frame *b)
{
	size_t n = (size_t)a->width * (size_t)a->height, d = 0;
	for (size_t i = 0; i < n; i++)
		d += a->plane[0][i] != b->plane[0][i];
	return (double)d / (double)n;
}

static void test_deterministic(void)
{
	struct vc_frame a, b;

	vc_frame_alloc(&a, 640, 480);
	vc_frame_alloc(&b, 640, 480);
	for (uint32_t i = 0; i < 200; i += 37) {
		vc_frame_fill(&b, 1, 2, 3);
		vc_testsrc_render(&a, i, 1000000u + i);
		vc_testsrc_render(&b, i, 1000000u + i);
		CHECK(same(&a, &b));
		CHECK_EQ(a.index, i);
		CHECK(a.capture_us == 1000000u + i);
	}
	vc_frame_free(&a);
	vc_frame_free(&b);
}

static void test_moves(void)
{
	struct vc_frame a, b;

	vc_frame_alloc(&a, 640, 480);
	vc_frame_alloc(&b, 640, 480);
	for (uint32_t i = 0; i < 300; i += 29) {
		vc_testsrc_render(&a, i, 0);
		vc_testsrc_render(&b, i + 1, 0);
		CHECK(diff_fraction(&a, &b) > 0.2);
	}
	/* The picture has real detail: many distinct luma values. */
	int hist[256] = { 0 }, distinct = 0;
	for (size_t i = 0; i < 640u * 480u; i++)
		hist[a.plane[0][i]]++;
	for (int v = 0; v < 256; v++)
		distinct += hist[v] > 0;
	CHECK(distinct > 100);
	vc_frame_free(&a);
	vc_frame_free(&b);
}

static void test_sizes_and_barcode(void)
{
	static const int sz[][2] = { { 160, 120 }, { 162, 122 }, { 176, 144 }, { 320, 240 },
				     { 640, 360 }, { 640, 480 }, { 1280, 720 }, { 1920, 1080 } };
	for (size_t s = 0; s < sizeof(sz) / sizeof(sz[0]); s++) {
		struct vc_frame f;
		CHECK(vc_frame_alloc(&f, sz[s][0], sz[s][1]) == 0);
		for (uint32_t i = 0; i < 400; i += 13) {
			uint32_t ri;
			uint64_t rt, t = UINT64_C(123456789000) + i * 33333u;
			vc_testsrc_render(&f, i, t);
			CHECK(vc_barcode_read(f.plane[0], f.width, f.height, f.stride[0], &ri,
					      &rt) == 0);
			CHECK_EQ(ri, i);
			CHECK(rt == t);
		}
		vc_frame_free(&f);
	}
}

int main(void)
{
	RUN(test_deterministic);
	RUN(test_moves);
	RUN(test_sizes_and_barcode);
	return vc_test_summary();
}
