/* vc_barcode.c - the frame-number/capture-time barcode of test frames.
 *
 * Layout: 80 bits in two rows of 40 square cells at the top-left of the
 * frame.  Cell size = width/40 rounded down to even (16 at 640 wide, so
 * each cell is two VP8 8x8 blocks across and down).  Bit order, MSB first:
 * marker (8) | frame index (24) | capture_us low 40 bits (40) | CRC-8 (8)
 * where the CRC (poly 0x07, init 0) covers the first 9 bytes.  Row 0 holds
 * bits 0..39, row 1 bits 40..79.  1 = white (Y 235), 0 = black (Y 16); the
 * chroma under the strip is neutral so colour bleed cannot move luma.
 *
 * The reader averages the centre half of each cell (the edges are where
 * blur and block ringing live) and thresholds at the midpoint of the
 * darkest and brightest cell, so a global brightness/contrast shift from
 * the codec does not matter.
 */
#include "vc_barcode.h"

#include <errno.h>
#include <string.h>

#define BC_COLS 40
#define BC_ROWS 2
#define BC_BITS (BC_COLS * BC_ROWS)
#define BC_MARKER 0xB5u
#define BC_BLACK 16
#define BC_WHITE 235
#define BC_MIN_CONTRAST 48

static int cell_size(int width)
{
	return (width / BC_COLS) & ~1;
}

int vc_barcode_height(int width, int height)
{
	int c = cell_size(width);

	if (c < 2 || height < 2 * BC_ROWS * c)
		return 0;
	return BC_ROWS * c;
}

static uint8_t crc8(const uint8_t *p, int n)
{
	uint8_t crc = 0;

	for (int i = 0; i < n; i++) {
		crc ^= p[i];
		for (int b = 0; b < 8; b++)
			crc = (uint8_t)((crc & 0x80) ? (crc << 1) ^ 0x07 : crc << 1);
	}
	return crc;
}

static void pack(uint8_t bytes[10], uint32_t index, uint64_t capture_us)
{
	uint64_t t = capture_us & ((UINT64_C(1) << 40) - 1);

	bytes[0] = BC_MARKER;
	bytes[1] = (uint8_t)(index >> 16);
	bytes[2] = (uint8_t)(index >> 8);
	bytes[3] = (uint8_t)index;
	for (int i = 0; i < 5; i++)
		bytes[4 + i] = (uint8_t)(t >> (32 - 8 * i));
	bytes[9] = crc8(bytes, 9);
}

static int bit_of(const uint8_t bytes[10], int i)
{
	return (bytes[i / 8] >> (7 - i % 8)) & 1;
}

int vc_barcode_stamp(struct vc_frame *f, uint32_t index, uint64_t capture_us)
{
	int c = cell_size(f->width);
	int h = vc_barcode_height(f->width, f->height);
	uint8_t bytes[10];

	if (h == 0)
		return -EINVAL;
	pack(bytes, index, capture_us);
	for (int y = 0; y < h; y++) {
		uint8_t *row = f->plane[0] + (size_t)y * (size_t)f->stride[0];
		int r = y / c;
		for (int col = 0; col < BC_COLS; col++) {
			uint8_t v = bit_of(bytes, r * BC_COLS + col) ? BC_WHITE : BC_BLACK;
			memset(row + col * c, v, (size_t)c);
		}
		/* Right of the 40 cells (width not a multiple of 40): flat black. */
		if (f->width > BC_COLS * c)
			memset(row + BC_COLS * c, BC_BLACK, (size_t)(f->width - BC_COLS * c));
	}
	for (int p = 1; p < 3; p++)
		for (int y = 0; y < h / 2; y++)
			memset(f->plane[p] + (size_t)y * (size_t)f->stride[p], 128,
			       (size_t)(f->width / 2));
	return 0;
}

int vc_barcode_read(const uint8_t *luma, int width, int height, int stride,
		    uint32_t *index, uint64_t *capture_us40)
{
	int c = cell_size(width);
	int avg[BC_BITS];
	int lo = 255, hi = 0;
	uint8_t bytes[10];

	if (!luma || vc_barcode_height(width, height) == 0 || stride < width)
		return -1;
	/* Centre half of each cell: [c/4, c - c/4), at least one pixel. */
	int m = c / 4;
	int n = c - 2 * m;
	for (int i = 0; i < BC_BITS; i++) {
		int x0 = (i % BC_COLS) * c + m;
		int y0 = (i / BC_COLS) * c + m;
		int sum = 0;
		for (int y = y0; y < y0 + n; y++) {
			const uint8_t *row = luma + (size_t)y * (size_t)stride;
			for (int x = x0; x < x0 + n; x++)
				sum += row[x];
		}
		avg[i] = sum / (n * n);
		if (avg[i] < lo)
			lo = avg[i];
		if (avg[i] > hi)
			hi = avg[i];
	}
	if (hi - lo < BC_MIN_CONTRAST)
		return -1;
	int thr = (lo + hi + 1) / 2;
	memset(bytes, 0, sizeof(bytes));
	for (int i = 0; i < BC_BITS; i++)
		if (avg[i] >= thr)
			bytes[i / 8] |= (uint8_t)(1u << (7 - i % 8));
	if (bytes[0] != BC_MARKER || crc8(bytes, 9) != bytes[9])
		return -1;
	if (index)
		*index = ((uint32_t)bytes[1] << 16) | ((uint32_t)bytes[2] << 8) | bytes[3];
	if (capture_us40) {
		uint64_t t = 0;
		for (int i = 0; i < 5; i++)
			t = (t << 8) | bytes[4 + i];
		*capture_us40 = t;
	}
	return 0;
}

uint64_t vc_barcode_unwrap_time(uint64_t t40, uint64_t ref_us)
{
	const uint64_t span = UINT64_C(1) << 40;
	const uint64_t mask = span - 1;
	uint64_t cand = (ref_us & ~mask) | (t40 & mask);

	/* Pick the candidate within half a span of ref. */
	if (cand > ref_us && cand - ref_us > span / 2 && cand >= span)
		cand -= span;
	else if (cand < ref_us && ref_us - cand > span / 2 && cand <= UINT64_MAX - span)
		cand += span;
	return cand;
}
