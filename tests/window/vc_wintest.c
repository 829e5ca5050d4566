/* vc_wintest.c - drives the call window on a real X server (Xvfb) and checks
 * screenshots of it.  run_window_test.sh starts Xvfb and runs the modes:
 *
 *   vc_wintest show DIR    open a 640x480 window (fills the 640x480 screen)
 *                          and walk through four phases; each phase writes
 *                          DIR/<phase>.ready and waits for the script's
 *                          DIR/<phase>.done, taken after its screenshot:
 *                            waiting   - no remote picture yet, self-view on
 *                            remote    - testsrc frames 640x480, then frozen
 *                            overlay   - 's' pushed as a key event, stats text
 *                            letterbox - 's' again, 640x360 frames (bars)
 *                          then 'q' must give VC_WIN_QUIT.
 *   vc_wintest check DIR   check DIR/<phase>.rgb (raw 640x480 RGB from xwd):
 *                          barcode index, picture vs. a re-render, the PiP
 *                          colour and border, the overlay box and its text,
 *                          the black bars, the waiting screen.
 *   vc_wintest nofont      open with a font that does not exist, show the
 *                          overlay, close: no crash (the script counts the
 *                          stderr notes: exactly one).
 */
#define _GNU_SOURCE /* dl_iterate_phdr, RTLD_NODELETE: see pin_libraries() */
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <SDL.h>

#include "vc_barcode.h"
#include "vc_callwin.h"
#include "vc_frame.h"
#include "vc_test.h"
#include "vc_testsrc.h"
#include "vc_window.h"
#include "vc_window_layout.h"

#define W 640
#define H 480
#define TITLE0 "vcalld-wintest peer 192.0.2.7"
#define TITLE1 "vcalld-wintest: in call with 192.0.2.7"
#define REMOTE_FIRST 1000u
#define REMOTE_COUNT 30u
#define LBOX_FIRST 2000u
#define LBOX_COUNT 15u
#define LBOX_H 360
#define ODD_W 321 /* an odd-sized peer picture, flat grey */
#define ODD_H 241
#define ODD_Y 180
#define SHOT_WAIT_MS 30000

/* Saturated green in BT.601 studio range: RGB (0, 255, 0). */
#define SELF_Y 145
#define SELF_U 54
#define SELF_V 34

static const char *dir;

static uint64_t capture_of(uint32_t index)
{
	return (uint64_t)index * 33333u + 5000000u;
}

static void path_of(char *buf, size_t len, const char *phase, const char *ext)
{
	snprintf(buf, len, "%s/%s.%s", dir, phase, ext);
}

/* ------------------------------------------------------------------ show */

static int pin_one(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	(void)arg;
	if (info->dlpi_name && info->dlpi_name[0])
		(void)dlopen(info->dlpi_name, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
	return 0;
}

/* Keep every library loaded so far mapped for the life of the process.
 * SDL dlopens the GL stack (Mesa) and dlcloses it at SDL_Quit; what Mesa
 * still holds then has no root LeakSanitizer can see and is reported as
 * leaks in "<unknown module>".  Pinned, those blocks stay reachable from
 * the library's globals and are not reported; our own leaks still are. */
static void pin_libraries(void)
{
	dl_iterate_phdr(pin_one, NULL);
}

static int announce(const char *phase, unsigned info)
{
	char tmp[4096], fin[4096];
	FILE *fp;

	path_of(tmp, sizeof(tmp), phase, "ready.tmp");
	path_of(fin, sizeof(fin), phase, "ready");
	fp = fopen(tmp, "w");
	if (!fp) {
		perror(tmp);
		return -1;
	}
	fprintf(fp, "%u\n", info);
	if (fclose(fp) != 0 || rename(tmp, fin) != 0) {
		perror(fin);
		return -1;
	}
	return 0;
}

/* Keep the window serviced until the script has its screenshot. */
static int wait_shot(struct vc_window *w, const char *phase)
{
	char done[4096];

	path_of(done, sizeof(done), phase, "done");
	for (int t = 0; t < SHOT_WAIT_MS; t += 20) {
		if (access(done, F_OK) == 0)
			return 0;
		if (vc_window_poll(w, 20) == VC_WIN_QUIT) {
			fprintf(stderr, "wintest: window closed during %s\n", phase);
			return -1;
		}
	}
	fprintf(stderr, "wintest: no screenshot of %s in time\n", phase);
	return -1;
}

static enum vc_window_event key(struct vc_window *w, SDL_Keycode sym)
{
	SDL_Event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = SDL_KEYDOWN;
	ev.key.state = SDL_PRESSED;
	ev.key.keysym.sym = sym;
	if (SDL_PushEvent(&ev) != 1)
		fprintf(stderr, "wintest: SDL_PushEvent: %s\n", SDL_GetError());
	return vc_window_poll(w, 100);
}

/* Render and service events for about ms milliseconds. */
static void settle(struct vc_window *w, int ms)
{
	for (int t = 0; t < ms; t += 20) {
		CHECK_EQ(vc_window_render(w), 0);
		CHECK_EQ(vc_window_poll(w, 20), VC_WIN_NONE);
	}
}

static int show(void)
{
	struct vc_window_cfg cfg = { .title = TITLE0, .width = W, .height = H };
	struct vc_window *w = NULL;
	struct vc_frame remote, lbox, self;
	char err[256];
	uint32_t i;
	int rc;

	rc = vc_window_open(&w, &cfg, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "wintest: vc_window_open: %d: %s\n", rc, err);
		return EXIT_FAILURE;
	}
	if (vc_frame_alloc(&remote, W, H) < 0 || vc_frame_alloc(&lbox, W, LBOX_H) < 0 ||
	    vc_frame_alloc(&self, 320, 240) < 0)
		return EXIT_FAILURE;
	vc_frame_fill(&self, SELF_Y, SELF_U, SELF_V);

	/* waiting: the self-view is up, the peer's picture is not. */
	CHECK_EQ(vc_window_set_self(w, &self), 0);
	settle(w, 400);
	if (announce("waiting", 0) < 0 || wait_shot(w, "waiting") < 0)
		goto fail;

	/* remote: ~1 s of the test picture, then the last one stays. */
	vc_window_set_title(w, TITLE1);
	for (i = 0; i < REMOTE_COUNT; i++) {
		vc_testsrc_render(&remote, REMOTE_FIRST + i, capture_of(REMOTE_FIRST + i));
		CHECK_EQ(vc_window_set_remote(w, &remote), 0);
		CHECK_EQ(vc_window_set_self(w, NULL), 0);
		CHECK_EQ(vc_window_render(w), 0);
		CHECK_EQ(vc_window_poll(w, 33), VC_WIN_NONE);
	}
	if (announce("remote", REMOTE_FIRST + REMOTE_COUNT - 1) < 0 || wait_shot(w, "remote") < 0)
		goto fail;

	/* overlay: the s key, as the keyboard would deliver it. */
	CHECK_EQ(vc_window_overlay_visible(w), 0);
	vc_window_set_overlay_text(w, "vcalld stats\nrtt 42 ms  loss 0.0 %\n"
				      "video 812 kbps 30 fps\naudio 32 kbps");
	CHECK_EQ(key(w, SDLK_s), VC_WIN_STATS);
	CHECK_EQ(vc_window_overlay_visible(w), 1);
	settle(w, 200);
	if (announce("overlay", REMOTE_FIRST + REMOTE_COUNT - 1) < 0 || wait_shot(w, "overlay") < 0)
		goto fail;

	/* letterbox: overlay off again, a 16:9 picture in the 4:3 window. */
	CHECK_EQ(key(w, SDLK_s), VC_WIN_STATS);
	CHECK_EQ(vc_window_overlay_visible(w), 0);
	for (i = 0; i < LBOX_COUNT; i++) {
		vc_testsrc_render(&lbox, LBOX_FIRST + i, capture_of(LBOX_FIRST + i));
		CHECK_EQ(vc_window_set_remote(w, &lbox), 0);
		CHECK_EQ(vc_window_render(w), 0);
		CHECK_EQ(vc_window_poll(w, 33), VC_WIN_NONE);
	}
	if (announce("letterbox", LBOX_FIRST + LBOX_COUNT - 1) < 0 ||
	    wait_shot(w, "letterbox") < 0)
		goto fail;

	/* odd: a 321x241 picture (a peer may send one) through the call's
	 * mailbox, as video playout hands it to the main thread. */
	struct vc_mailbox *mb = NULL;
	struct vc_frame odd;
	const struct vc_frame *got;
	if (vc_mailbox_new(&mb) < 0 || vc_frame_alloc(&odd, ODD_W, ODD_H) < 0)
		goto fail;
	vc_frame_fill(&odd, ODD_Y, 128, 128);
	vc_mailbox_post(mb, &odd);
	got = vc_mailbox_take(mb);
	CHECK(got != NULL);
	CHECK(vc_mailbox_take(mb) == NULL); /* taken once */
	if (got) {
		CHECK_EQ(got->width, ODD_W);
		CHECK_EQ(got->height, ODD_H);
		CHECK_EQ(vc_window_set_remote(w, got), 0);
	}
	settle(w, 200);
	vc_frame_free(&odd);
	vc_mailbox_free(mb);
	if (announce("odd", 0) < 0 || wait_shot(w, "odd") < 0)
		goto fail;

	CHECK_EQ(key(w, SDLK_m), VC_WIN_MUTE);
	CHECK_EQ(key(w, SDLK_q), VC_WIN_QUIT);
	pin_libraries();
	vc_window_close(w);
	vc_frame_free(&remote);
	vc_frame_free(&lbox);
	vc_frame_free(&self);
	return vc_test_summary();
fail:
	vc_window_close(w);
	vc_frame_free(&remote);
	vc_frame_free(&lbox);
	vc_frame_free(&self);
	return EXIT_FAILURE;
}

static int nofont(void)
{
	struct vc_window_cfg cfg = { .title = "nofont", .width = 320, .height = 240,
				     .font_path = "/nonexistent/vc-wintest.ttf" };
	struct vc_window *w = NULL;
	struct vc_frame f;
	char err[256];
	int rc = vc_window_open(&w, &cfg, err, sizeof(err));

	if (rc < 0) {
		fprintf(stderr, "wintest: vc_window_open: %d: %s\n", rc, err);
		return EXIT_FAILURE;
	}
	if (vc_frame_alloc(&f, 320, 240) < 0)
		return EXIT_FAILURE;
	vc_testsrc_render(&f, 1, 1);
	vc_window_set_overlay_text(w, "rtt 1 ms\nloss 0 %");
	CHECK_EQ(key(w, SDLK_s), VC_WIN_STATS);
	for (int i = 0; i < 5; i++) {
		CHECK_EQ(vc_window_set_remote(w, &f), 0);
		CHECK_EQ(vc_window_render(w), 0);
		vc_window_set_overlay_text(w, i & 1 ? "a" : "b\nc");
	}
	pin_libraries();
	vc_window_close(w);
	vc_frame_free(&f);
	return vc_test_summary();
}

/* ----------------------------------------------------------------- check */

struct shot {
	uint8_t rgb[W * H * 3];
	uint8_t luma[W * H];
};

static int luma_of(const uint8_t *p)
{
	/* BT.601 studio range, the inverse of what SDL did to show the frame. */
	return 16 + ((66 * p[0] + 129 * p[1] + 25 * p[2] + 128) >> 8);
}

static const uint8_t *px(const struct shot *s, int x, int y)
{
	return s->rgb + ((size_t)y * W + (size_t)x) * 3;
}

static int load(struct shot *s, const char *phase)
{
	char p[4096];
	FILE *fp;
	size_t n;

	path_of(p, sizeof(p), phase, "rgb");
	fp = fopen(p, "rb");
	if (!fp) {
		perror(p);
		return -1;
	}
	n = fread(s->rgb, 1, sizeof(s->rgb), fp);
	fclose(fp);
	if (n != sizeof(s->rgb)) {
		fprintf(stderr, "%s: %zu bytes, want %zu (screen must be %dx%d)\n", p, n,
			sizeof(s->rgb), W, H);
		return -1;
	}
	for (int i = 0; i < W * H; i++)
		s->luma[i] = (uint8_t)luma_of(s->rgb + (size_t)i * 3);
	return 0;
}

static unsigned info_of(const char *phase)
{
	char p[4096];
	unsigned v = 0;
	FILE *fp;

	path_of(p, sizeof(p), phase, "ready");
	fp = fopen(p, "r");
	if (!fp || fscanf(fp, "%u", &v) != 1)
		fprintf(stderr, "%s: unreadable\n", p);
	if (fp)
		fclose(fp);
	return v;
}

static int in_rect(struct vc_rect r, int x, int y)
{
	return x >= r.x && x < r.x + r.w && y >= r.y && y < r.y + r.h;
}

/* The self-view: flat green inside, the light border around it. */
static void check_pip(const struct shot *s, const char *phase)
{
	struct vc_rect r = vc_layout_pip(320, 240, W, H);
	int bad = 0, n = 0, border_bad = 0;

	for (int y = r.y + 2; y < r.y + r.h - 2; y++)
		for (int x = r.x + 2; x < r.x + r.w - 2; x++) {
			const uint8_t *p = px(s, x, y);
			n++;
			bad += !(p[0] <= 40 && p[1] >= 200 && p[2] <= 40);
		}
	for (int y = r.y; y < r.y + r.h; y += 4) {
		const uint8_t *l = px(s, r.x - VC_PIP_BORDER, y);
		const uint8_t *rr = px(s, r.x + r.w + VC_PIP_BORDER - 1, y);
		border_bad += abs(l[0] - 200) > 8 || abs(l[1] - 200) > 8 || abs(rr[2] - 200) > 8;
	}
	fprintf(stderr, "%s: pip %d,%d %dx%d: %d/%d pixels not green, %d border misses\n", phase,
		r.x, r.y, r.w, r.h, bad, n, border_bad);
	CHECK_EQ(bad, 0);
	CHECK_EQ(border_bad, 0);
	const uint8_t *c = px(s, r.x + r.w / 2, r.y + r.h / 2);
	fprintf(stderr, "%s: pip centre rgb %d %d %d\n", phase, c[0], c[1], c[2]);
}

/* Mean |luma difference| between the shot (at offset oy) and testsrc frame
 * 'index' re-rendered at w x h, outside the self-view. */
static double picture_error(const struct shot *s, int oy, int w, int h, uint32_t index)
{
	struct vc_frame f;
	struct vc_rect pip = vc_layout_pip(320, 240, W, H);
	double sum = 0;
	long n = 0;

	pip.x -= VC_PIP_BORDER;
	pip.y -= VC_PIP_BORDER;
	pip.w += 2 * VC_PIP_BORDER;
	pip.h += 2 * VC_PIP_BORDER;
	if (vc_frame_alloc(&f, w, h) < 0)
		return 1e9;
	vc_testsrc_render(&f, index, capture_of(index));
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			if (in_rect(pip, x, y + oy))
				continue;
			int a = s->luma[(size_t)(y + oy) * W + (size_t)x];
			int b = f.plane[0][(size_t)y * (size_t)f.stride[0] + (size_t)x];
			sum += abs(a - b);
			n++;
		}
	vc_frame_free(&f);
	return n ? sum / (double)n : 1e9;
}

static void check_barcode(const struct shot *s, const char *phase, int oy, int h, unsigned want)
{
	uint32_t idx = 0;
	uint64_t t40 = 0;
	int rc = vc_barcode_read(s->luma + (size_t)oy * W, W, h, W, &idx, &t40);

	fprintf(stderr, "%s: barcode rc %d index %u (want %u)\n", phase, rc, idx, want);
	CHECK_EQ(rc, 0);
	CHECK_EQ(idx, want);
	CHECK_EQ(t40, capture_of(want) & ((UINT64_C(1) << 40) - 1));
}

static void check_waiting(const struct shot *s)
{
	struct vc_rect pip = vc_layout_pip(320, 240, W, H);
	long bg = 0, n = 0, text_mid = 0, bright_elsewhere = 0;

	pip.x -= VC_PIP_BORDER;
	pip.y -= VC_PIP_BORDER;
	pip.w += 2 * VC_PIP_BORDER;
	pip.h += 2 * VC_PIP_BORDER;
	for (int y = 0; y < H; y++)
		for (int x = 0; x < W; x++) {
			if (in_rect(pip, x, y))
				continue;
			const uint8_t *p = px(s, x, y);
			int l = s->luma[(size_t)y * W + (size_t)x];
			n++;
			bg += abs(p[0] - 24) <= 2 && abs(p[1] - 26) <= 2 && abs(p[2] - 30) <= 2;
			if (l > 150) {
				if (y >= H / 2 - 30 && y < H / 2 + 30)
					text_mid++;
				else
					bright_elsewhere++;
			}
		}
	fprintf(stderr, "waiting: %ld/%ld background, %ld text pixels mid, %ld elsewhere\n", bg,
		n, text_mid, bright_elsewhere);
	CHECK(bg > n * 9 / 10);
	CHECK(text_mid > 100);
	CHECK_EQ(bright_elsewhere, 0);
}

static void check_overlay(const struct shot *before, const struct shot *s)
{
	/* Inside the box whatever the font metrics: it starts at the margin
	 * and holds four lines of text. */
	int m = vc_layout_pip_margin(W);
	struct vc_rect in = { m + 2, m + 2, 160, 70 };
	long changed = 0, n = 0, text = 0, moved = 0;

	for (int y = in.y; y < in.y + in.h; y++)
		for (int x = in.x; x < in.x + in.w; x++) {
			int a = before->luma[(size_t)y * W + (size_t)x];
			int b = s->luma[(size_t)y * W + (size_t)x];
			n++;
			changed += abs(a - b) > 8;
			text += b > 200; /* under the dark box only text is this bright */
		}
	/* Away from the box and the PiP nothing may change: the frame is frozen. */
	for (int y = 150; y < 330; y++)
		for (int x = 300; x < 460; x++)
			moved += before->luma[(size_t)y * W + (size_t)x] !=
				 s->luma[(size_t)y * W + (size_t)x];
	fprintf(stderr, "overlay: %ld/%ld box pixels changed, %ld text pixels, %ld changed outside\n",
		changed, n, text, moved);
	CHECK(changed > n / 2);
	CHECK(text > 100);
	CHECK_EQ(moved, 0);
}

static void check_letterbox(const struct shot *s)
{
	struct vc_rect pip = vc_layout_pip(320, 240, W, H);
	int top = (H - LBOX_H) / 2;
	long bar_bad = 0, bar_n = 0;

	pip.x -= VC_PIP_BORDER;
	pip.y -= VC_PIP_BORDER;
	pip.w += 2 * VC_PIP_BORDER;
	pip.h += 2 * VC_PIP_BORDER;
	for (int y = 0; y < H; y++) {
		if (y >= top && y < top + LBOX_H)
			continue;
		for (int x = 0; x < W; x++) {
			if (in_rect(pip, x, y))
				continue;
			const uint8_t *p = px(s, x, y);
			bar_n++;
			bar_bad += p[0] > 4 || p[1] > 4 || p[2] > 4;
		}
	}
	fprintf(stderr, "letterbox: %ld/%ld bar pixels not black\n", bar_bad, bar_n);
	CHECK_EQ(bar_bad, 0);
	CHECK(bar_n > 0);
}

/* The odd-sized grey picture fills the window (its aspect is 4:3 within a
 * pixel), the letterbox bars included: every pixel but the PiP and a
 * one-pixel edge is grey (Y 180 -> RGB 191 in BT.601). */
static void check_odd(const struct shot *s)
{
	struct vc_rect pip = vc_layout_pip(320, 240, W, H);
	long n = 0, grey = 0;

	pip.x -= VC_PIP_BORDER;
	pip.y -= VC_PIP_BORDER;
	pip.w += 2 * VC_PIP_BORDER;
	pip.h += 2 * VC_PIP_BORDER;
	for (int y = 1; y < H - 1; y++)
		for (int x = 1; x < W - 1; x++) {
			if (in_rect(pip, x, y))
				continue;
			const uint8_t *p = px(s, x, y);
			n++;
			grey += abs(p[0] - 191) <= 4 && abs(p[1] - 191) <= 4 && abs(p[2] - 191) <= 4;
		}
	fprintf(stderr, "odd: %ld/%ld pixels of the %dx%d grey picture\n", grey, n, ODD_W, ODD_H);
	CHECK(grey > n * 98 / 100);
}

static int check(void)
{
	static struct shot waiting, remote, overlay, lbox, odd;

	if (load(&waiting, "waiting") < 0 || load(&remote, "remote") < 0 ||
	    load(&overlay, "overlay") < 0 || load(&lbox, "letterbox") < 0 || load(&odd, "odd") < 0)
		return EXIT_FAILURE;
	check_odd(&odd);
	check_pip(&odd, "odd");

	check_waiting(&waiting);
	check_pip(&waiting, "waiting");

	unsigned last = info_of("remote");
	check_barcode(&remote, "remote", 0, H, last);
	double e = picture_error(&remote, 0, W, H, last);
	fprintf(stderr, "remote: mean |luma error| vs frame %u: %.2f\n", last, e);
	CHECK(e < 4.0);
	check_pip(&remote, "remote");

	check_overlay(&remote, &overlay);
	check_pip(&overlay, "overlay");

	unsigned lb = info_of("letterbox");
	int top = (H - LBOX_H) / 2;
	check_barcode(&lbox, "letterbox", top, LBOX_H, lb);
	e = picture_error(&lbox, top, W, LBOX_H, lb);
	fprintf(stderr, "letterbox: mean |luma error| vs frame %u: %.2f\n", lb, e);
	CHECK(e < 4.0);
	check_letterbox(&lbox);
	check_pip(&lbox, "letterbox");
	return vc_test_summary();
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "show") == 0) {
		dir = argv[2];
		return show();
	}
	if (argc == 3 && strcmp(argv[1], "check") == 0) {
		dir = argv[2];
		return check();
	}
	if (argc == 2 && strcmp(argv[1], "nofont") == 0)
		return nofont();
	fprintf(stderr, "usage: vc_wintest show DIR | check DIR | nofont\n");
	return 2;
}
