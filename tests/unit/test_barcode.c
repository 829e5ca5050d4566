/* test_barcode.c - barcode round trips, degradation, CRC, time unwrap. */
#include <string.h>

#include "vc_barcode.h"
#include "vc_frame.h"
#include "vc_test.h"
#include "vc_testsrc.h"

static uint32_t rng = 1;

static int rnd(int n)
{
	rng = rng * 1664525u + 1013904223u;
	return (int)((rng >> 8) % (uint32_t)n);
}

static void add_noise(struct vc_frame *f, int amp)
{
	for (int y = 0; y < f->height; y++)
		for (int x = 0; x < f->width; x++) {
			uint8_t *p = f->plane[0] + (size_t)y * (size_t)f->stride[0] + x;
			int v = *p + rnd(2 * amp + 1) - amp;
			*p = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
		}
}

static void blur3(struct vc_frame *f)
{
	int w = f->width, h = f->height;
	uint8_t *tmp = malloc((size_t)w * (size_t)h);
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			int s = 0, n = 0;
			for (int dy = -1; dy <= 1; dy++)
				for (int dx = -1; dx <= 1; dx++) {
					int yy = y + dy, xx = x + dx;
					if (yy < 0 || yy >= h || xx < 0 || xx >= w)
						continue;
					s += f->plane[0][(size_t)yy * (size_t)f->stride[0] + xx];
					n++;
				}
			tmp[(size_t)y * (size_t)w + x] = (uint8_t)((s + n / 2) / n);
		}
	for (int y = 0; y < h; y++)
		memcpy(f->plane[0] + (size_t)y * (size_t)f->stride[0], tmp + (size_t)y * (size_t)w,
		       (size_t)w);
	free(tmp);
}

static const int sizes[][2] = { { 160, 120 }, { 176, 144 }, { 320, 240 }, { 642, 480 },
				{ 640, 480 }, { 1280, 720 }, { 1920, 1080 } };

static int roundtrip(int w, int h, int noise, int blur, uint32_t idx, uint64_t t)
{
	struct vc_frame f;
	uint32_t ri = 0;
	uint64_t rt = 0;
	int ok;

	if (vc_frame_alloc(&f, w, h) < 0)
		return 0;
	vc_testsrc_render(&f, 7, 0); /* busy background */
	ok = vc_barcode_stamp(&f, idx, t) == 0;
	if (blur)
		blur3(&f);
	if (noise)
		add_noise(&f, noise);
	ok = ok && vc_barcode_read(f.plane[0], w, h, f.stride[0], &ri, &rt) == 0 &&
	     ri == (idx & 0xFFFFFFu) && rt == (t & ((UINT64_C(1) << 40) - 1));
	vc_frame_free(&f);
	return ok;
}

static void test_roundtrip_sizes(void)
{
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		int w = sizes[i][0], h = sizes[i][1];
		CHECK(vc_barcode_height(w, h) == 2 * ((w / 40) & ~1));
		CHECK(roundtrip(w, h, 0, 0, 0, 0));
		CHECK(roundtrip(w, h, 0, 0, 0xFFFFFF, (UINT64_C(1) << 40) - 1));
		CHECK(roundtrip(w, h, 0, 0, 123456, UINT64_C(987654321012)));
		CHECK(roundtrip(w, h, 0, 0, 0x1ABCDEF, UINT64_C(0x123456789ABCD)));
	}
	CHECK_EQ(vc_barcode_height(640, 480), 32);
}

static void test_noise_and_blur(void)
{
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		int w = sizes[i][0], h = sizes[i][1];
		for (int k = 0; k < 10; k++) {
			uint32_t idx = (uint32_t)rnd(1 << 24);
			uint64_t t = ((uint64_t)rnd(1 << 30) << 10) ^ (uint64_t)rnd(1 << 20);
			CHECK(roundtrip(w, h, 40, 0, idx, t));
			CHECK(roundtrip(w, h, 0, 1, idx, t));
			CHECK(roundtrip(w, h, 30, 1, idx, t));
		}
	}
}

static void test_rejects(void)
{
	struct vc_frame f;
	uint32_t ri;
	uint64_t rt;

	vc_frame_alloc(&f, 640, 480);
	vc_frame_fill(&f, 128, 128, 128);
	CHECK(vc_barcode_read(f.plane[0], 640, 480, f.stride[0], &ri, &rt) < 0);
	/* Flip each cell in turn: every single-cell error must be caught. */
	int caught = 0;
	for (int cell = 0; cell < 80; cell++) {
		vc_barcode_stamp(&f, 4242, 99999);
		int c = 16, x0 = (cell % 40) * c, y0 = (cell / 40) * c;
		uint8_t v = f.plane[0][(size_t)(y0 + 8) * 640 + x0 + 8] > 128 ? 16 : 235;
		for (int y = y0; y < y0 + c; y++)
			memset(f.plane[0] + (size_t)y * 640 + x0, v, (size_t)c);
		caught += vc_barcode_read(f.plane[0], 640, 480, f.stride[0], &ri, &rt) < 0;
	}
	CHECK_EQ(caught, 80);
	/* Two flipped cells in the CRC byte (a wrong CRC). */
	vc_barcode_stamp(&f, 1, 2);
	for (int cell = 72; cell < 74; cell++) {
		int x0 = (cell % 40) * 16, y0 = 16;
		uint8_t v = f.plane[0][(size_t)(y0 + 8) * 640 + x0 + 8] > 128 ? 16 : 235;
		for (int y = y0; y < y0 + 16; y++)
			memset(f.plane[0] + (size_t)y * 640 + x0, v, 16);
	}
	CHECK(vc_barcode_read(f.plane[0], 640, 480, f.stride[0], &ri, &rt) < 0);
	vc_frame_free(&f);

	/* Too small. */
	vc_frame_alloc(&f, 40, 30);
	CHECK_EQ(vc_barcode_height(40, 30), 0);
	CHECK(vc_barcode_stamp(&f, 1, 1) < 0);
	CHECK(vc_barcode_read(f.plane[0], 40, 30, f.stride[0], &ri, &rt) < 0);
	vc_frame_free(&f);
}

static void test_unwrap(void)
{
	const uint64_t span = UINT64_C(1) << 40, mask = span - 1;
	const uint64_t ts[] = { 5000000123u, span - 5, span + 5, 3 * span + 12345,
				UINT64_C(0x0123456789ABCDEF) };

	for (size_t i = 0; i < sizeof(ts) / sizeof(ts[0]); i++) {
		uint64_t t = ts[i];
		CHECK(vc_barcode_unwrap_time(t & mask, t) == t);
		CHECK(vc_barcode_unwrap_time(t & mask, t + 2000000) == t);
		CHECK(vc_barcode_unwrap_time(t & mask, t + 86400000000u) == t);
		if (t > 1000000)
			CHECK(vc_barcode_unwrap_time(t & mask, t - 1000000) == t);
	}
	CHECK(vc_barcode_unwrap_time(5, 100) == 5);
	CHECK(vc_barcode_unwrap_time(mask, 100) == mask); /* no negative wrap below 0 */
}

int main(void)
{
	RUN(test_roundtrip_sizes);
	RUN(test_noise_and_blur);
	RUN(test_rejects);
	RUN(test_unwrap);
	return vc_test_summary();
}
