/* test_window.c - the call window without a display: the layout arithmetic
 * (letterbox, pillarbox, picture-in-picture), the -ENODEV fallback when
 * there is no display, and the API driven on SDL's "dummy" video driver
 * (keys, overlay toggle, picture size changes, bad frames, missing font).
 * What the window really shows is checked on Xvfb by tests/window/.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <SDL.h>

#include "vc_frame.h"
#include "vc_test.h"
#include "vc_testsrc.h"
#include "vc_window.h"
#include "vc_window_layout.h"

static void test_fit(void)
{
	static const struct {
		int pw, ph, bw, bh;
		struct vc_rect want;
	} v[] = {
		{ 640, 480, 640, 480, { 0, 0, 640, 480 } },      /* 1:1 */
		{ 320, 240, 640, 480, { 0, 0, 640, 480 } },      /* 2x up */
		{ 640, 360, 640, 480, { 0, 60, 640, 360 } },     /* 16:9 in 4:3: bars top/bottom */
		{ 640, 480, 1280, 720, { 160, 0, 960, 720 } },   /* 4:3 in 16:9: bars left/right */
		{ 1920, 1080, 800, 600, { 0, 75, 800, 450 } },
		{ 480, 640, 640, 480, { 140, 0, 360, 480 } },    /* portrait */
		{ 640, 480, 641, 480, { 0, 0, 640, 480 } },      /* odd box: centred, rounds down */
		{ 176, 144, 500, 500, { 0, 45, 500, 409 } },     /* 409.09 rounds to 409 */
		{ 8192, 2, 100, 100, { 0, 49, 100, 1 } },        /* at least one pixel */
		{ 0, 480, 640, 480, { 0, 0, 0, 0 } },            /* invalid: empty */
		{ 640, 480, 0, 480, { 0, 0, 0, 0 } },
		{ 640, -2, 640, 480, { 0, 0, 0, 0 } },
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct vc_rect r = vc_layout_fit(v[i].pw, v[i].ph, v[i].bw, v[i].bh);
		if (memcmp(&r, &v[i].want, sizeof(r)) != 0)
			fprintf(stderr, "fit %dx%d in %dx%d: got %d,%d %dx%d\n", v[i].pw, v[i].ph,
				v[i].bw, v[i].bh, r.x, r.y, r.w, r.h);
		CHECK_EQ(r.x, v[i].want.x);
		CHECK_EQ(r.y, v[i].want.y);
		CHECK_EQ(r.w, v[i].want.w);
		CHECK_EQ(r.h, v[i].want.h);
	}
}

/* Properties that must hold for any sizes: inside the box, aspect kept,
 * touching two opposite sides, centred. */
static void test_fit_properties(void)
{
	static const int pics[][2] = { { 640, 480 }, { 1280, 720 }, { 176, 144 }, { 2, 2 },
				       { 480, 640 }, { 4096, 2160 } };
	static const int boxes[][2] = { { 1, 1 }, { 3, 7 }, { 640, 480 }, { 1366, 768 },
					{ 333, 1001 }, { 3840, 2160 } };
	int bad = 0;

	for (size_t i = 0; i < sizeof(pics) / sizeof(pics[0]); i++)
		for (size_t j = 0; j < sizeof(boxes) / sizeof(boxes[0]); j++) {
			int pw = pics[i][0], ph = pics[i][1], bw = boxes[j][0], bh = boxes[j][1];
			struct vc_rect r = vc_layout_fit(pw, ph, bw, bh);
			int inside = r.x >= 0 && r.y >= 0 && r.x + r.w <= bw && r.y + r.h <= bh;
			int touches = r.w == bw || r.h == bh;
			int centred = abs(2 * r.x + r.w - bw) <= 1 && abs(2 * r.y + r.h - bh) <= 1;
			/* aspect within half a pixel of the long side */
			double err = (double)r.w * ph - (double)r.h * pw;
			double tol = 0.5 * (pw > ph ? pw : ph) + 1e-9;
			int aspect = (err < 0 ? -err : err) <= tol || r.w == 1 || r.h == 1;
			if (!inside || !touches || !centred || !aspect) {
				fprintf(stderr, "fit %dx%d in %dx%d -> %d,%d %dx%d\n", pw, ph, bw,
					bh, r.x, r.y, r.w, r.h);
				bad++;
			}
		}
	CHECK_EQ(bad, 0);
}

static void test_pip(void)
{
	/* 640x480 window, 4:3 self-view: 160x120, 10 px from the corner. */
	struct vc_rect r = vc_layout_pip(320, 240, 640, 480);
	CHECK_EQ(r.x, 470);
	CHECK_EQ(r.y, 350);
	CHECK_EQ(r.w, 160);
	CHECK_EQ(r.h, 120);

	/* 16:9 self-view in a 1280x720 window: a quarter of the width. */
	r = vc_layout_pip(1280, 720, 1280, 720);
	CHECK_EQ(r.w, 320);
	CHECK_EQ(r.h, 180);
	CHECK_EQ(r.x, 1280 - 20 - 320);
	CHECK_EQ(r.y, 720 - 20 - 180);

	/* A portrait camera: capped at a third of the height, aspect kept. */
	r = vc_layout_pip(480, 640, 640, 480);
	CHECK_EQ(r.h, 160);
	CHECK_EQ(r.w, 120);
	CHECK_EQ(r.x + r.w, 640 - 10);
	CHECK_EQ(r.y + r.h, 480 - 10);

	/* The border (VC_PIP_BORDER) stays inside the window. */
	CHECK(vc_layout_pip_margin(100) >= VC_PIP_BORDER);
	r = vc_layout_pip(640, 480, 100, 80);
	CHECK(r.x - VC_PIP_BORDER >= 0 && r.x + r.w + VC_PIP_BORDER <= 100);
	CHECK(r.y - VC_PIP_BORDER >= 0 && r.y + r.h + VC_PIP_BORDER <= 80);

	/* Too small a window, or no picture: nothing. */
	r = vc_layout_pip(640, 480, 8, 8);
	CHECK_EQ(r.w, 0);
	r = vc_layout_pip(0, 0, 640, 480);
	CHECK_EQ(r.w, 0);
}

static void clear_display_env(void)
{
	unsetenv("DISPLAY");
	unsetenv("WAYLAND_DISPLAY");
	unsetenv("SDL_VIDEODRIVER");
}

static void test_no_display(void)
{
	struct vc_window_cfg cfg = { .title = "t", .width = 640, .height = 480 };
	struct vc_window *w = (struct vc_window *)&cfg; /* must be reset to NULL */
	char err[256] = "";

	clear_display_env();
	CHECK_EQ(vc_window_open(&w, &cfg, err, sizeof(err)), -ENODEV);
	CHECK(w == NULL);
	CHECK(err[0] != '\0' && strchr(err, '\n') == NULL);
	CHECK(strstr(err, "no display") != NULL);
	fprintf(stderr, "  (no display: %s)\n", err);

	/* SDL itself refusing (an unknown driver) is -ENODEV too. */
	setenv("SDL_VIDEODRIVER", "no-such-driver", 1);
	err[0] = '\0';
	CHECK_EQ(vc_window_open(&w, &cfg, err, sizeof(err)), -ENODEV);
	CHECK(w == NULL);
	CHECK(err[0] != '\0');
	fprintf(stderr, "  (bad driver: %s)\n", err);

	/* Bad sizes are the caller's mistake, not a missing display. */
	cfg.width = 0;
	CHECK_EQ(vc_window_open(&w, &cfg, err, sizeof(err)), -EINVAL);
	clear_display_env();
}

static enum vc_window_event push_key(struct vc_window *w, SDL_Keycode sym, Uint16 mod, int repeat)
{
	SDL_Event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = SDL_KEYDOWN;
	ev.key.state = SDL_PRESSED;
	ev.key.repeat = (Uint8)repeat;
	ev.key.keysym.sym = sym;
	ev.key.keysym.mod = mod;
	SDL_PushEvent(&ev);
	return vc_window_poll(w, 0);
}

/* The whole API on SDL's dummy driver: it draws into memory nobody sees,
 * but every call path runs, under the sanitizers too. */
static void test_dummy_driver(void)
{
	struct vc_window_cfg cfg = { .title = "peer 192.0.2.1", .width = 320, .height = 240 };
	struct vc_window *w = NULL;
	struct vc_frame big, small, odd;
	char err[256] = "";
	SDL_Event ev;

	clear_display_env();
	setenv("SDL_VIDEODRIVER", "dummy", 1);
	CHECK_EQ(vc_window_open(&w, &cfg, err, sizeof(err)), 0);
	if (!w) {
		fprintf(stderr, "  dummy driver: %s\n", err);
		clear_display_env();
		return;
	}
	CHECK_EQ(vc_frame_alloc(&big, 640, 480), 0);
	CHECK_EQ(vc_frame_alloc(&small, 176, 144), 0);
	vc_testsrc_render(&big, 7, 1000);
	vc_frame_fill(&small, 145, 54, 34);

	CHECK_EQ(vc_window_render(w), 0); /* waiting screen */
	vc_window_set_title(w, "in call with 192.0.2.1");
	CHECK_EQ(vc_window_render(w), 0);
	CHECK_EQ(vc_window_set_remote(w, &big), 0);
	CHECK_EQ(vc_window_set_self(w, &small), 0);
	CHECK_EQ(vc_window_set_remote(w, NULL), 0); /* keep the last */
	CHECK_EQ(vc_window_render(w), 0);
	/* Size changes both ways. */
	CHECK_EQ(vc_window_set_remote(w, &small), 0);
	CHECK_EQ(vc_window_render(w), 0);
	CHECK_EQ(vc_window_set_remote(w, &big), 0);
	CHECK_EQ(vc_window_render(w), 0);

	/* A frame that lies about its strides is refused. */
	odd = big;
	odd.stride[0] = 10;
	CHECK_EQ(vc_window_set_remote(w, &odd), -EINVAL);
	odd = big;
	odd.plane[2] = NULL;
	CHECK_EQ(vc_window_set_self(w, &odd), -EINVAL);

	/* Keys. */
	CHECK_EQ(vc_window_overlay_visible(w), 0);
	vc_window_set_overlay_text(w, "rtt 12 ms\nloss 0.0 %\nkbps 812");
	CHECK_EQ(push_key(w, SDLK_s, 0, 0), VC_WIN_STATS);
	CHECK_EQ(vc_window_overlay_visible(w), 1);
	CHECK_EQ(vc_window_render(w), 0);
	vc_window_set_overlay_text(w, "rtt 13 ms\nloss 0.1 %\nkbps 790");
	CHECK_EQ(vc_window_render(w), 0);
	CHECK_EQ(vc_window_render(w), 0); /* same text: no re-render */
	vc_window_set_overlay_text(w, "");
	CHECK_EQ(vc_window_render(w), 0);
	CHECK_EQ(push_key(w, SDLK_s, 0, 0), VC_WIN_STATS);
	CHECK_EQ(vc_window_overlay_visible(w), 0);
	CHECK_EQ(push_key(w, SDLK_m, 0, 0), VC_WIN_MUTE);
	CHECK_EQ(push_key(w, SDLK_v, 0, 0), VC_WIN_CAMERA);
	CHECK_EQ(push_key(w, SDLK_f, 0, 0), VC_WIN_FULLSCREEN);
	CHECK_EQ(push_key(w, SDLK_f, 0, 0), VC_WIN_FULLSCREEN);
	CHECK_EQ(push_key(w, SDLK_m, 0, 1), VC_WIN_NONE);       /* auto-repeat */
	CHECK_EQ(push_key(w, SDLK_q, KMOD_LCTRL, 0), VC_WIN_NONE); /* Ctrl+q is not q */
	CHECK_EQ(push_key(w, SDLK_x, 0, 0), VC_WIN_NONE);
	CHECK_EQ(push_key(w, SDLK_q, 0, 0), VC_WIN_QUIT);
	CHECK_EQ(push_key(w, SDLK_ESCAPE, 0, 0), VC_WIN_QUIT);

	memset(&ev, 0, sizeof(ev));
	ev.type = SDL_WINDOWEVENT;
	ev.window.event = SDL_WINDOWEVENT_CLOSE;
	SDL_PushEvent(&ev);
	CHECK_EQ(vc_window_poll(w, 0), VC_WIN_QUIT);
	memset(&ev, 0, sizeof(ev));
	ev.type = SDL_QUIT;
	SDL_PushEvent(&ev);
	CHECK_EQ(vc_window_poll(w, 0), VC_WIN_QUIT);

	/* An expose alone is no event for the caller; the next key still is. */
	memset(&ev, 0, sizeof(ev));
	ev.type = SDL_WINDOWEVENT;
	ev.window.event = SDL_WINDOWEVENT_EXPOSED;
	SDL_PushEvent(&ev);
	CHECK_EQ(push_key(w, SDLK_m, 0, 0), VC_WIN_MUTE);

	/* The GPU lost its textures: nothing breaks, the next frame restores. */
	memset(&ev, 0, sizeof(ev));
	ev.type = SDL_RENDER_DEVICE_RESET;
	SDL_PushEvent(&ev);
	CHECK_EQ(vc_window_poll(w, 0), VC_WIN_NONE);
	CHECK_EQ(vc_window_render(w), 0);
	CHECK_EQ(vc_window_set_remote(w, &big), 0);
	CHECK_EQ(vc_window_render(w), 0);

	/* Nothing to report: poll waits about its timeout. */
	Uint64 t0 = SDL_GetTicks64();
	CHECK_EQ(vc_window_poll(w, 60), VC_WIN_NONE);
	Uint64 dt = SDL_GetTicks64() - t0;
	CHECK(dt >= 50 && dt < 2000);

	vc_window_close(w);

	/* A missing font: opens, the overlay is only the box, no crash. */
	cfg.font_path = "/nonexistent/vc-test-font.ttf";
	w = NULL;
	CHECK_EQ(vc_window_open(&w, &cfg, err, sizeof(err)), 0);
	if (w) {
		vc_window_set_overlay_text(w, "a\nb");
		CHECK_EQ(push_key(w, SDLK_s, 0, 0), VC_WIN_STATS);
		CHECK_EQ(vc_window_set_remote(w, &big), 0);
		CHECK_EQ(vc_window_render(w), 0);
		vc_window_set_overlay_text(w, "a\nb\nc");
		CHECK_EQ(vc_window_render(w), 0);
		vc_window_close(w);
	}
	vc_window_close(NULL);

	vc_frame_free(&big);
	vc_frame_free(&small);
	clear_display_env();
}

int main(void)
{
	RUN(test_fit);
	RUN(test_fit_properties);
	RUN(test_pip);
	RUN(test_no_display);
	RUN(test_dummy_driver);
	return vc_test_summary();
}
