/* vc_callshot.c - judge screenshots of vcalld's window during a call.
 *
 * vc_callshot overlay BEFORE.rgb AFTER.rgb: after the s key the top-left
 * box must be dimmed with white text on it (and the picture elsewhere the
 * same picture, give or take the frames that moved on).
 *
 * vc_callshot SHOT.rgb  (640x480 raw RGB of the root window, which the
 * 640x480 window fills): the remote picture must be the peer's testsrc, so
 * its barcode must decode at the top of the screen; the self-view region
 * (vc_layout_pip) must hold the local picture, which the test makes plain
 * green; and the rest of the remote picture must not be flat.  A black,
 * frozen-on-"waiting", or wrongly placed window cannot pass.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vc_barcode.h"
#include "vc_window_layout.h"

#define W 640
#define H 480

static uint8_t rgb[W * H * 3];
static uint8_t luma[W * H];

static int load(const char *path, uint8_t *buf)
{
	FILE *fp = fopen(path, "rb");
	size_t n = fp ? fread(buf, 1, (size_t)W * H * 3, fp) : 0;

	if (fp)
		fclose(fp);
	return n == (size_t)W * H * 3 ? 0 : -1;
}

static uint8_t before[W * H * 3];

/* The overlay box: at least a quarter of the top-left 320x100 darker than
 * before, and text: near-white pixels in it that were not there before. */
static int check_overlay(void)
{
	int darker = 0, white = 0;

	for (int y = 0; y < 100; y++)
		for (int x = 0; x < 320; x++) {
			const uint8_t *a = before + ((size_t)y * W + (size_t)x) * 3;
			const uint8_t *b = rgb + ((size_t)y * W + (size_t)x) * 3;
			int la = a[0] + a[1] + a[2], lb = b[0] + b[1] + b[2];
			if (lb < la - 60)
				darker++;
			if (b[0] > 220 && b[1] > 220 && b[2] > 220 && !(a[0] > 220 && a[1] > 220 && a[2] > 220))
				white++;
		}
	printf("overlay: %d pixels darker, %d new white (text) pixels in the top-left box\n", darker, white);
	if (darker < 320 * 100 / 4 || white < 200) {
		printf("FAIL overlay: not shown after the s key\n");
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	int fails = 0;

	if (argc == 4 && strcmp(argv[1], "overlay") == 0) {
		if (load(argv[2], before) || load(argv[3], rgb)) {
			fprintf(stderr, "vc_callshot: cannot read %s / %s (640x480 RGB)\n", argv[2], argv[3]);
			return 2;
		}
		return check_overlay();
	}
	if (argc != 2 || load(argv[1], rgb)) {
		fprintf(stderr, "usage: vc_callshot SHOT.rgb | overlay BEFORE.rgb AFTER.rgb (640x480 RGB)\n");
		return 2;
	}
	for (int i = 0; i < W * H; i++) {
		const uint8_t *p = rgb + (size_t)i * 3;
		luma[i] = (uint8_t)(16 + ((66 * p[0] + 129 * p[1] + 25 * p[2] + 128) >> 8));
	}

	uint32_t idx;
	uint64_t t40;
	if (vc_barcode_read(luma, W, H, W, &idx, &t40) == 0) {
		printf("remote picture: barcode frame %u\n", idx);
	} else {
		printf("FAIL remote picture: no barcode at the top of the window\n");
		fails++;
	}

	struct vc_rect pip = vc_layout_pip(W, H, W, H);
	double r = 0, g = 0, b = 0;
	int n = 0;
	for (int y = pip.y + 4; y < pip.y + pip.h - 4; y++)
		for (int x = pip.x + 4; x < pip.x + pip.w - 4; x++) {
			const uint8_t *p = rgb + ((size_t)y * W + (size_t)x) * 3;
			r += p[0];
			g += p[1];
			b += p[2];
			n++;
		}
	if (n > 0) {
		r /= n;
		g /= n;
		b /= n;
	}
	printf("self-view %dx%d at %d,%d: mean RGB %.0f %.0f %.0f\n", pip.w, pip.h, pip.x, pip.y, r, g, b);
	if (n == 0 || g < 150 || r > 100 || b > 100) {
		printf("FAIL self-view: not the local (green) picture\n");
		fails++;
	}

	/* The remote picture's middle band (below the barcode, left of the
	 * self-view) must have detail: testsrc is bars, a box and texture. */
	double sum = 0, sq = 0;
	int m = 0;
	for (int y = H / 4; y < H / 2; y++)
		for (int x = 0; x < pip.x; x++) {
			double v = luma[y * W + x];
			sum += v;
			sq += v * v;
			m++;
		}
	double var = sq / m - (sum / m) * (sum / m);
	printf("remote picture: luma variance %.0f\n", var);
	if (var < 200) {
		printf("FAIL remote picture: flat\n");
		fails++;
	}
	return fails ? 1 : 0;
}
