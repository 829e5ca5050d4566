/* vc_window.c - the call window on SDL2 and SDL2_ttf.
 *
 * Drawing, back to front, on every vc_window_render():
 *   1. the remote picture, scaled into the window with its aspect ratio kept
 *      (black bars), or before the first picture a dark background with
 *      "waiting for <title>" in the middle;
 *   2. the self-view in the bottom-right corner with a thin light border;
 *   3. the stats overlay (when toggled on): a translucent box top-left with
 *      the overlay text in white.
 * Pictures live in IYUV streaming textures, recreated only when the picture
 * size changes; the frame's planes go straight into them with
 * SDL_UpdateYUVTexture.  Text is rendered into a texture only when it
 * changes.  Nothing on the per-frame path allocates.
 * Geometry is in vc_window_layout.h so it can be tested without a display.
 */
#include "vc_window.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <SDL.h>
#include <SDL_ttf.h>

#include "vc_window_layout.h"

#define FONT_PT 16
#define TEXT_MAX 1024 /* overlay text kept; longer text is cut */
#define TITLE_MAX 256
#define BOX_PAD 8
#define POLL_MAX_EVENTS 256 /* per call, so a flood cannot hold the caller */

static const char *const default_fonts[] = {
	"/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf", /* Debian: fonts-dejavu-core */
	"/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
	"/usr/share/fonts/TTF/DejaVuSansMono.ttf",             /* Arch */
	"/usr/share/fonts/dejavu-sans-mono-fonts/DejaVuSansMono.ttf", /* Fedora */
};

/* A picture in a streaming texture of its own size. */
struct picture {
	SDL_Texture *tex;
	int w, h;
	int shown; /* a picture has been uploaded */
};

/* A line or lines of text in a texture, re-rendered when the text changes. */
struct text {
	char str[TEXT_MAX];
	SDL_Texture *tex; /* NULL: empty text, no font, or rendering failed */
	int w, h;
	int valid;        /* tex matches str */
};

struct vc_window {
	SDL_Window *win;
	SDL_Renderer *ren;
	TTF_Font *font;
	int ttf_up;
	struct picture remote, self;
	char title[TITLE_MAX];
	char overlay[TEXT_MAX];
	struct text overlay_txt, waiting_txt;
	int overlay_on;
	int redraw;       /* exposed or resized since the last render */
	int text_warned;
	uint32_t wake_event; /* SDL user event: another thread has news */
};

static int env_set(const char *name)
{
	const char *v = getenv(name);

	return v && *v;
}

static void text_drop(struct text *t)
{
	if (t->tex)
		SDL_DestroyTexture(t->tex);
	t->tex = NULL;
	t->w = t->h = 0;
	t->valid = 0;
}

static void picture_drop(struct picture *p)
{
	if (p->tex)
		SDL_DestroyTexture(p->tex);
	p->tex = NULL;
	p->w = p->h = 0;
	p->shown = 0;
}

/* Bring t's texture up to date with str; only renders when str changed. */
static void text_update(struct vc_window *w, struct text *t, const char *str)
{
	static const SDL_Color white = { 255, 255, 255, 255 };
	SDL_Surface *s;

	if (t->valid && strcmp(t->str, str) == 0)
		return;
	text_drop(t);
	snprintf(t->str, sizeof(t->str), "%s", str);
	t->valid = 1; /* also on failure: try again only for new text */
	if (!w->font || !t->str[0])
		return;
	/* wrap length 0: break at '\n' only. */
	s = TTF_RenderUTF8_Blended_Wrapped(w->font, t->str, white, 0);
	if (s) {
		t->tex = SDL_CreateTextureFromSurface(w->ren, s);
		if (t->tex) {
			t->w = s->w;
			t->h = s->h;
		}
		SDL_FreeSurface(s);
	}
	if (!t->tex && !w->text_warned) {
		w->text_warned = 1;
		fprintf(stderr, "vc_window: cannot render text: %s\n", SDL_GetError());
	}
}

static void open_font(struct vc_window *w, const char *path)
{
	const char *tried = path;

	if (TTF_Init() < 0) {
		fprintf(stderr, "vc_window: SDL_ttf: %s; overlay text disabled\n", TTF_GetError());
		return;
	}
	w->ttf_up = 1;
	if (path) {
		w->font = TTF_OpenFont(path, FONT_PT);
	} else {
		for (size_t i = 0; i < sizeof(default_fonts) / sizeof(default_fonts[0]); i++) {
			tried = default_fonts[i];
			w->font = TTF_OpenFont(tried, FONT_PT);
			if (w->font)
				break;
		}
		if (!w->font)
			tried = "DejaVu Sans Mono (fonts-dejavu-core)";
	}
	if (!w->font)
		fprintf(stderr, "vc_window: no font: %s: %s; overlay text disabled\n", tried,
			TTF_GetError());
}

int vc_window_open(struct vc_window **out, const struct vc_window_cfg *cfg, char *err,
		   size_t errlen)
{
	struct vc_window *w = NULL;
	int rc;

	*out = NULL;
	if (cfg->width <= 0 || cfg->height <= 0 || cfg->width > 16384 || cfg->height > 16384) {
		snprintf(err, errlen, "window: bad size %dx%d", cfg->width, cfg->height);
		return -EINVAL;
	}
	/* Without an explicit driver, SDL could fall back to KMS/DRM and take
	 * over a console; a daemon only wants a window on a desktop. */
	if (!env_set("SDL_VIDEODRIVER") && !env_set("DISPLAY") && !env_set("WAYLAND_DISPLAY")) {
		snprintf(err, errlen, "window: no display (DISPLAY and WAYLAND_DISPLAY unset)");
		return -ENODEV;
	}
	/* The daemon owns SIGINT/SIGTERM. */
	SDL_SetHint(SDL_HINT_NO_SIGNAL_HANDLERS, "1");
	/* VP8 (and the test source) are BT.601 at every size; SDL would
	 * otherwise pick BT.709 for HD pictures. */
	SDL_SetYUVConversionMode(SDL_YUV_CONVERSION_BT601);
	if (SDL_InitSubSystem(SDL_INIT_VIDEO) < 0) {
		snprintf(err, errlen, "window: no display: SDL video: %s", SDL_GetError());
		return -ENODEV;
	}
	w = calloc(1, sizeof(*w));
	if (!w) {
		snprintf(err, errlen, "window: out of memory");
		rc = -ENOMEM;
		goto fail;
	}
	snprintf(w->title, sizeof(w->title), "%s", cfg->title ? cfg->title : "vcalld");
	w->win = SDL_CreateWindow(w->title, SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED,
				  cfg->width, cfg->height,
				  SDL_WINDOW_RESIZABLE | SDL_WINDOW_ALLOW_HIGHDPI);
	if (!w->win) {
		snprintf(err, errlen, "window: cannot create: %s", SDL_GetError());
		rc = -ENODEV;
		goto fail;
	}
	SDL_SetHint(SDL_HINT_RENDER_SCALE_QUALITY, "linear");
	w->ren = SDL_CreateRenderer(w->win, -1, SDL_RENDERER_ACCELERATED);
	if (!w->ren)
		w->ren = SDL_CreateRenderer(w->win, -1, SDL_RENDERER_SOFTWARE);
	if (!w->ren) {
		snprintf(err, errlen, "window: no renderer: %s", SDL_GetError());
		rc = -ENODEV;
		goto fail;
	}
	/* Nothing here reads text input or the mouse; fewer wake-ups. */
	SDL_StopTextInput();
	SDL_EventState(SDL_MOUSEMOTION, SDL_IGNORE);
	open_font(w, cfg->font_path);
	w->wake_event = SDL_RegisterEvents(1);
	w->redraw = 1;
	*out = w;
	return 0;
fail:
	vc_window_close(w);
	if (!w)
		SDL_QuitSubSystem(SDL_INIT_VIDEO);
	return rc;
}

void vc_window_close(struct vc_window *w)
{
	if (!w)
		return;
	text_drop(&w->overlay_txt);
	text_drop(&w->waiting_txt);
	picture_drop(&w->remote);
	picture_drop(&w->self);
	if (w->font)
		TTF_CloseFont(w->font);
	if (w->ttf_up)
		TTF_Quit();
	if (w->ren)
		SDL_DestroyRenderer(w->ren);
	if (w->win)
		SDL_DestroyWindow(w->win);
	free(w);
	SDL_QuitSubSystem(SDL_INIT_VIDEO);
	if (SDL_WasInit(SDL_INIT_EVERYTHING) == 0)
		SDL_Quit();
}

void vc_window_set_title(struct vc_window *w, const char *title)
{
	if (!title || strcmp(title, w->title) == 0)
		return;
	snprintf(w->title, sizeof(w->title), "%s", title);
	SDL_SetWindowTitle(w->win, w->title);
}

static int frame_ok(const struct vc_frame *f)
{
	int cw = (f->width + 1) / 2;

	return f->width > 0 && f->height > 0 && f->plane[0] && f->plane[1] && f->plane[2] &&
	       f->stride[0] >= f->width && f->stride[1] >= cw && f->stride[2] >= cw;
}

static int picture_set(struct vc_window *w, struct picture *p, const struct vc_frame *f)
{
	if (!f)
		return 0;
	if (!frame_ok(f))
		return -EINVAL;
	if (!p->tex || p->w != f->width || p->h != f->height) {
		picture_drop(p);
		p->tex = SDL_CreateTexture(w->ren, SDL_PIXELFORMAT_IYUV, SDL_TEXTUREACCESS_STREAMING,
					   f->width, f->height);
		if (!p->tex)
			return -ENOMEM;
		p->w = f->width;
		p->h = f->height;
	}
	if (SDL_UpdateYUVTexture(p->tex, NULL, f->plane[0], f->stride[0], f->plane[1],
				 f->stride[1], f->plane[2], f->stride[2]) < 0)
		return -EIO;
	p->shown = 1;
	return 0;
}

int vc_window_set_remote(struct vc_window *w, const struct vc_frame *f)
{
	return picture_set(w, &w->remote, f);
}

int vc_window_set_self(struct vc_window *w, const struct vc_frame *f)
{
	return picture_set(w, &w->self, f);
}

void vc_window_set_overlay_text(struct vc_window *w, const char *text)
{
	/* Rendered lazily in vc_window_render, and only while visible. */
	snprintf(w->overlay, sizeof(w->overlay), "%s", text ? text : "");
}

int vc_window_overlay_visible(const struct vc_window *w)
{
	return w->overlay_on;
}

static SDL_Rect sdl_rect(struct vc_rect r)
{
	SDL_Rect s = { r.x, r.y, r.w, r.h };

	return s;
}

static int draw_waiting(struct vc_window *w, int ow, int oh)
{
	char msg[TITLE_MAX + 16];
	int rc = 0;

	snprintf(msg, sizeof(msg), "waiting for %s", w->title);
	text_update(w, &w->waiting_txt, msg);
	if (w->waiting_txt.tex) {
		SDL_Rect d = { (ow - w->waiting_txt.w) / 2, (oh - w->waiting_txt.h) / 2,
			       w->waiting_txt.w, w->waiting_txt.h };
		rc |= SDL_RenderCopy(w->ren, w->waiting_txt.tex, NULL, &d);
	}
	return rc;
}

static int draw_self(struct vc_window *w, int ow, int oh)
{
	struct vc_rect r = vc_layout_pip(w->self.w, w->self.h, ow, oh);
	int rc = 0;

	if (r.w == 0)
		return 0;
	SDL_Rect b = { r.x - VC_PIP_BORDER, r.y - VC_PIP_BORDER, r.w + 2 * VC_PIP_BORDER,
		       r.h + 2 * VC_PIP_BORDER };
	SDL_Rect d = sdl_rect(r);
	rc |= SDL_SetRenderDrawColor(w->ren, 200, 200, 200, 255);
	rc |= SDL_RenderFillRect(w->ren, &b);
	rc |= SDL_RenderCopy(w->ren, w->self.tex, NULL, &d);
	return rc;
}

static int draw_overlay(struct vc_window *w, int ow)
{
	int m = vc_layout_pip_margin(ow);
	int rc = 0;
	SDL_Rect box;

	text_update(w, &w->overlay_txt, w->overlay);
	if (w->overlay_txt.tex) {
		box.w = w->overlay_txt.w + 2 * BOX_PAD;
		box.h = w->overlay_txt.h + 2 * BOX_PAD;
	} else {
		/* No font (or no text): the box alone, sized by the line count. */
		int lines = 1;
		for (const char *p = w->overlay; *p; p++)
			lines += *p == '\n';
		box.w = ow / 3;
		box.h = lines * (FONT_PT + 4) + 2 * BOX_PAD;
	}
	box.x = m;
	box.y = m;
	rc |= SDL_SetRenderDrawBlendMode(w->ren, SDL_BLENDMODE_BLEND);
	rc |= SDL_SetRenderDrawColor(w->ren, 0, 0, 0, 160);
	rc |= SDL_RenderFillRect(w->ren, &box);
	rc |= SDL_SetRenderDrawBlendMode(w->ren, SDL_BLENDMODE_NONE);
	if (w->overlay_txt.tex) {
		SDL_Rect d = { box.x + BOX_PAD, box.y + BOX_PAD, w->overlay_txt.w,
			       w->overlay_txt.h };
		rc |= SDL_RenderCopy(w->ren, w->overlay_txt.tex, NULL, &d);
	}
	return rc;
}

int vc_window_render(struct vc_window *w)
{
	int ow = 0, oh = 0, rc = 0;

	w->redraw = 0;
	if (SDL_GetRendererOutputSize(w->ren, &ow, &oh) < 0)
		return -EIO;
	if (w->remote.shown) {
		struct vc_rect r = vc_layout_fit(w->remote.w, w->remote.h, ow, oh);
		SDL_Rect d = sdl_rect(r);
		rc |= SDL_SetRenderDrawColor(w->ren, 0, 0, 0, 255);
		rc |= SDL_RenderClear(w->ren);
		if (r.w)
			rc |= SDL_RenderCopy(w->ren, w->remote.tex, NULL, &d);
	} else {
		rc |= SDL_SetRenderDrawColor(w->ren, 24, 26, 30, 255);
		rc |= SDL_RenderClear(w->ren);
		rc |= draw_waiting(w, ow, oh);
	}
	if (w->self.shown)
		rc |= draw_self(w, ow, oh);
	if (w->overlay_on)
		rc |= draw_overlay(w, ow);
	SDL_RenderPresent(w->ren);
	return rc < 0 ? -EIO : 0;
}

static void toggle_fullscreen(struct vc_window *w)
{
	int on = (SDL_GetWindowFlags(w->win) & SDL_WINDOW_FULLSCREEN_DESKTOP) ==
		 SDL_WINDOW_FULLSCREEN_DESKTOP;

	if (SDL_SetWindowFullscreen(w->win, on ? 0 : SDL_WINDOW_FULLSCREEN_DESKTOP) < 0)
		fprintf(stderr, "vc_window: fullscreen: %s\n", SDL_GetError());
	w->redraw = 1;
}

/* The renderer lost its textures (e.g. a GPU reset): drop them; pictures
 * come back with the next frame, text on the next render. */
static void device_reset(struct vc_window *w)
{
	picture_drop(&w->remote);
	picture_drop(&w->self);
	text_drop(&w->overlay_txt);
	text_drop(&w->waiting_txt);
	w->redraw = 1;
}

static enum vc_window_event handle(struct vc_window *w, const SDL_Event *ev)
{
	if (w->wake_event != (uint32_t)-1 && ev->type == w->wake_event)
		return VC_WIN_WAKE;
	switch (ev->type) {
	case SDL_QUIT:
		return VC_WIN_QUIT;
	case SDL_WINDOWEVENT:
		switch (ev->window.event) {
		case SDL_WINDOWEVENT_CLOSE:
			return VC_WIN_QUIT;
		case SDL_WINDOWEVENT_EXPOSED:
		case SDL_WINDOWEVENT_SIZE_CHANGED:
		case SDL_WINDOWEVENT_SHOWN:
		case SDL_WINDOWEVENT_RESTORED:
			w->redraw = 1;
			break;
		default:
			break;
		}
		return VC_WIN_NONE;
	case SDL_RENDER_TARGETS_RESET:
		w->redraw = 1;
		return VC_WIN_NONE;
	case SDL_RENDER_DEVICE_RESET:
		device_reset(w);
		return VC_WIN_NONE;
	case SDL_KEYDOWN:
		if (ev->key.repeat || (ev->key.keysym.mod & (KMOD_CTRL | KMOD_ALT | KMOD_GUI)))
			return VC_WIN_NONE;
		switch (ev->key.keysym.sym) {
		case SDLK_q:
		case SDLK_ESCAPE:
			return VC_WIN_QUIT;
		case SDLK_f:
			toggle_fullscreen(w);
			return VC_WIN_FULLSCREEN;
		case SDLK_s:
			w->overlay_on = !w->overlay_on;
			w->redraw = 1;
			return VC_WIN_STATS;
		case SDLK_m:
			return VC_WIN_MUTE;
		case SDLK_v:
			return VC_WIN_CAMERA;
		default:
			return VC_WIN_NONE;
		}
	default:
		return VC_WIN_NONE;
	}
}

void vc_window_wake(struct vc_window *w)
{
	SDL_Event ev;

	if (w->wake_event == (uint32_t)-1)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.type = w->wake_event;
	SDL_PushEvent(&ev); /* thread-safe; a full queue wakes the loop anyway */
}

enum vc_window_event vc_window_poll(struct vc_window *w, int timeout_ms)
{
	uint64_t deadline = SDL_GetTicks64() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);
	enum vc_window_event r = VC_WIN_NONE;
	SDL_Event ev;

	int pumped = 0;

	/* Events that mean nothing to the caller (expose, focus...) are
	 * consumed here until one that does, or the deadline.  Past the
	 * deadline: pump once and drain what is queued.  (Not SDL_PollEvent:
	 * its end-of-cycle marker would hold back an event pushed after it
	 * until the next call.) */
	for (int n = 0; n < POLL_MAX_EVENTS; n++) {
		uint64_t now = SDL_GetTicks64();
		int got;
		if (now < deadline) {
			got = SDL_WaitEventTimeout(&ev, (int)(deadline - now));
		} else {
			if (!pumped)
				SDL_PumpEvents();
			pumped = 1;
			got = SDL_PeepEvents(&ev, 1, SDL_GETEVENT, SDL_FIRSTEVENT, SDL_LASTEVENT) > 0;
		}
		if (!got)
			break;
		r = handle(w, &ev);
		if (r != VC_WIN_NONE)
			break;
	}
	/* Exposed, resized or toggled: draw again even if no frame comes. */
	if (w->redraw)
		vc_window_render(w);
	return r;
}
