/* vc_testsrc.c - the deterministic moving test picture.
 *
 * Everything is an integer function of (index, x, y, size), so the
 * analyser can re-render any frame exactly.  Layers, back to front:
 *  - eight colour bars scrolling left, with a vertical luma ramp and a
 *    low-amplitude pseudo-random texture that moves with the bars (so
 *    motion compensation can predict it: it costs bits on keyframes and
 *    edges, not on every block of every frame);
 *  - a band of fine sine grating in the lower quarter, drifting right;
 *  - a bouncing box with a checker pattern, changing colour each second;
 *  - the barcode strip (vc_barcode.h) at the top.
 */
#include "vc_testsrc.h"

#include <string.h>

#include "vc_barcode.h"

/* BT.601 limited-range 75% bars: white, yellow, cyan, green, magenta, red,
 * blue, black. */
static const uint8_t bars_yuv[8][3] = {
	{ 180, 128, 128 }, { 162, 44, 142 }, { 131, 156, 44 }, { 112, 72, 58 },
	{ 84, 184, 198 },  { 65, 100, 212 }, { 35, 212, 114 }, { 16, 128, 128 },
};

static const uint8_t box_yuv[4][3] = {
	{ 200, 90, 150 }, { 150, 170, 60 }, { 90, 80, 190 }, { 220, 128, 128 },
};

/* A quarter-period sine table (0..64 => 0..127), enough for a grating. */
static int sin16(int phase) /* phase in 1/16 of a period -> -100..100 */
{
	static const int tab[16] = { 0,  38,  71,  92,  100,  92,  71,  38,
				     0, -38, -71, -92, -100, -92, -71, -38 };
	return tab[phase & 15];
}

static uint32_t hash2(uint32_t x, uint32_t y)
{
	uint32_t h = x * 0x9E3779B1u ^ (y + 0x7F4A7C15u) * 0x85EBCA77u;

	h ^= h >> 15;
	h *= 0x2C1B3C6Du;
	h ^= h >> 12;
	return h;
}

static int tri(uint64_t p, int range)
{
	if (range <= 0)
		return 0;
	uint64_t r2 = 2 * (uint64_t)range;
	int v = (int)(p % r2);
	return v > range ? (int)r2 - v : v;
}

static uint8_t clamp8(int v)
{
	return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

void vc_testsrc_render(struct vc_frame *f, uint32_t index, uint64_t capture_us)
{
	const int w = f->width, h = f->height;
	const int strip = vc_barcode_height(w, h);
	/* Bars move 2 px/frame at 640 wide, proportionally elsewhere. */
	const int shift = (int)(((uint64_t)index * 2u * (uint64_t)w / 640u) % (uint64_t)w);
	const int grating_y0 = h - h / 4;
	const int gshift = (int)(((uint64_t)index * 3u) % 16u);
	const int bw = w / 6 > 8 ? (w / 6) & ~1 : 8, bh = h / 5 > 8 ? (h / 5) & ~1 : 8;
	const int bx = tri((uint64_t)index * 4u * (uint64_t)w / 640u, w - bw) & ~1;
	const int by = (strip + tri((uint64_t)index * 3u * (uint64_t)h / 480u,
				    h - strip - bh)) & ~1;
	const uint8_t *bc = box_yuv[(index / 30u) % 4u];

	for (int y = 0; y < h; y++) {
		uint8_t *row = f->plane[0] + (size_t)y * (size_t)f->stride[0];
		int ramp = (y * 40) / (h > 0 ? h : 1) - 20; /* -20..+20 */
		for (int x = 0; x < w; x++) {
			int xs = x + shift;
			int bar = (int)(((int64_t)(xs % w) * 8) / w);
			int v;
			if (x >= bx && x < bx + bw && y >= by && y < by + bh) {
				int cx = (x - bx) / 4, cy = (y - by) / 4;
				v = bc[0] + (((cx ^ cy) & 1) ? 18 : -18);
			} else if (y >= grating_y0) {
				v = 126 + (sin16((x - gshift) & 15) * 60) / 100 +
				    (x * 60) / w - 30;
			} else {
				v = bars_yuv[bar][0] + ramp +
				    (int)(hash2((uint32_t)(xs % w), (uint32_t)y) % 13u) - 6;
			}
			row[x] = clamp8(v);
		}
	}
	for (int y = 0; y < h / 2; y++) {
		uint8_t *ru = f->plane[1] + (size_t)y * (size_t)f->stride[1];
		uint8_t *rv = f->plane[2] + (size_t)y * (size_t)f->stride[2];
		int ly = 2 * y;
		for (int x = 0; x < w / 2; x++) {
			int lx = 2 * x;
			if (lx >= bx && lx < bx + bw && ly >= by && ly < by + bh) {
				ru[x] = bc[1];
				rv[x] = bc[2];
			} else if (ly >= grating_y0) {
				ru[x] = (uint8_t)(128 + (x * 40) / (w / 2) - 20);
				rv[x] = 128;
			} else {
				int bar = (int)(((int64_t)((lx + shift) % w) * 8) / w);
				ru[x] = bars_yuv[bar][1];
				rv[x] = bars_yuv[bar][2];
			}
		}
	}
	f->index = index;
	f->capture_us = capture_us;
	vc_barcode_stamp(f, index, capture_us);
}
