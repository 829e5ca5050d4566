/* vc_window_layout.h - where the call window puts its pictures (private to
 * vc_window.c; a header so the unit tests can check the arithmetic without
 * a display).
 *
 * All sizes in window pixels.  Empty or invalid inputs give an empty rect
 * (w = h = 0), which the renderer skips.
 */
#ifndef VC_WINDOW_LAYOUT_H
#define VC_WINDOW_LAYOUT_H

#include <stdint.h>

struct vc_rect {
	int x, y, w, h;
};

/* Picture-in-picture: this fraction of the window width, at most this
 * fraction of its height, this far from the bottom-right corner. */
#define VC_PIP_WIDTH_DIV 4
#define VC_PIP_HEIGHT_DIV 3
#define VC_PIP_MARGIN_MIN 4
#define VC_PIP_MARGIN_DIV 64
#define VC_PIP_BORDER 2

/* The largest pic_w:pic_h rectangle inside a box of box_w x box_h, centred
 * in it (letterbox or pillarbox), rounded to the nearest pixel. */
static inline struct vc_rect vc_layout_fit(int pic_w, int pic_h, int box_w, int box_h)
{
	struct vc_rect r = { 0, 0, 0, 0 };

	if (pic_w <= 0 || pic_h <= 0 || box_w <= 0 || box_h <= 0)
		return r;
	/* Compare aspect ratios by cross-multiplying in 64 bits. */
	if ((int64_t)pic_w * box_h >= (int64_t)box_w * pic_h) {
		r.w = box_w;
		r.h = (int)(((int64_t)box_w * pic_h * 2 + pic_w) / (2 * (int64_t)pic_w));
	} else {
		r.h = box_h;
		r.w = (int)(((int64_t)box_h * pic_w * 2 + pic_h) / (2 * (int64_t)pic_h));
	}
	if (r.w < 1)
		r.w = 1;
	if (r.h < 1)
		r.h = 1;
	r.x = (box_w - r.w) / 2;
	r.y = (box_h - r.h) / 2;
	return r;
}

static inline int vc_layout_pip_margin(int win_w)
{
	int m = win_w / VC_PIP_MARGIN_DIV;

	return m < VC_PIP_MARGIN_MIN ? VC_PIP_MARGIN_MIN : m;
}

/* The self-view: about a quarter of the window width (a third of its height
 * at most, for tall pictures), aspect kept, in the bottom-right corner with
 * a margin that leaves room for the border. */
static inline struct vc_rect vc_layout_pip(int pic_w, int pic_h, int win_w, int win_h)
{
	struct vc_rect r = { 0, 0, 0, 0 };
	int m = vc_layout_pip_margin(win_w);

	if (win_w <= 2 * m || win_h <= 2 * m)
		return r;
	r = vc_layout_fit(pic_w, pic_h, win_w / VC_PIP_WIDTH_DIV, win_h / VC_PIP_HEIGHT_DIV);
	if (r.w == 0)
		return r;
	r.x = win_w - m - r.w;
	r.y = win_h - m - r.h;
	return r;
}

#endif
