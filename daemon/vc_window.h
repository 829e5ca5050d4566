/* vc_window.h - the call window (SDL2): the remote picture scaled with its
 * aspect ratio kept, a self-view picture-in-picture, a title with the peer
 * and call state, an optional stats overlay (SDL2_ttf), and the keys.
 *
 * Frames are copied into IYUV streaming textures created once per picture
 * size (no per-frame allocation).  Resizable; f toggles fullscreen inside.
 * Threading: SDL wants the main thread: every call from the main thread,
 * but vc_window_wake, which any thread may call.
 */
#ifndef VC_WINDOW_H
#define VC_WINDOW_H

#include <stddef.h>

#include "vc_frame.h"

struct vc_window;

struct vc_window_cfg {
	const char *title;
	int width, height;      /* initial window size */
	const char *font_path;  /* NULL = a DejaVu font from the usual Debian paths */
};

enum vc_window_event {
	VC_WIN_NONE = 0,
	VC_WIN_QUIT,            /* q, Esc, or the window closed: hang up */
	VC_WIN_FULLSCREEN,      /* f (already applied) */
	VC_WIN_MUTE,            /* m: toggle microphone mute */
	VC_WIN_CAMERA,          /* v: toggle camera off */
	VC_WIN_STATS,           /* s: toggle the stats overlay (already applied) */
	VC_WIN_WAKE,            /* vc_window_wake() was called */
};

/* Returns 0, or -ENODEV (no display: the caller falls back to the null sink)
 * or another -errno, with a one-line reason in err. */
int vc_window_open(struct vc_window **out, const struct vc_window_cfg *cfg, char *err, size_t errlen);
void vc_window_close(struct vc_window *w);
void vc_window_set_title(struct vc_window *w, const char *title);
/* Copy a picture in (NULL: keep the last one). */
int vc_window_set_remote(struct vc_window *w, const struct vc_frame *f);
int vc_window_set_self(struct vc_window *w, const struct vc_frame *f);
/* Text for the overlay ("\n" separates lines); shown while toggled on. */
void vc_window_set_overlay_text(struct vc_window *w, const char *text);
int vc_window_overlay_visible(const struct vc_window *w);
/* Draw and present. */
int vc_window_render(struct vc_window *w);
/* Any thread: make a waiting vc_window_poll return VC_WIN_WAKE (a new
 * picture, or the call is ending). */
void vc_window_wake(struct vc_window *w);
/* Wait up to timeout_ms for input and return the next event, or VC_WIN_NONE. */
enum vc_window_event vc_window_poll(struct vc_window *w, int timeout_ms);

#endif
