/* vc_frame.c - I420 frame storage. */
#include "vc_frame.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int vc_frame_alloc(struct vc_frame *f, int width, int height)
{
	if (width < 2 || height < 2 || width > 8192 || height > 8192)
		return -EINVAL;
	size_t ys = (size_t)width * (size_t)height;
	size_t cs = (size_t)((width + 1) / 2) * (size_t)((height + 1) / 2);
	uint8_t *mem = malloc(ys + 2 * cs);
	if (!mem)
		return -ENOMEM;
	memset(f, 0, sizeof(*f));
	f->mem = mem;
	f->width = width;
	f->height = height;
	f->plane[0] = mem;
	f->plane[1] = mem + ys;
	f->plane[2] = mem + ys + cs;
	f->stride[0] = width;
	f->stride[1] = (width + 1) / 2;
	f->stride[2] = (width + 1) / 2;
	return 0;
}

void vc_frame_free(struct vc_frame *f)
{
	if (!f)
		return;
	free(f->mem);
	memset(f, 0, sizeof(*f));
}

void vc_frame_copy(struct vc_frame *dst, const struct vc_frame *src)
{
	for (int p = 0; p < 3; p++) {
		int w = p ? (src->width + 1) / 2 : src->width;
		int h = p ? (src->height + 1) / 2 : src->height;
		for (int y = 0; y < h; y++)
			memcpy(dst->plane[p] + (size_t)y * (size_t)dst->stride[p],
			       src->plane[p] + (size_t)y * (size_t)src->stride[p], (size_t)w);
	}
	dst->capture_us = src->capture_us;
	dst->index = src->index;
}

void vc_frame_fill(struct vc_frame *f, uint8_t y, uint8_t u, uint8_t v)
{
	const uint8_t val[3] = { y, u, v };

	for (int p = 0; p < 3; p++) {
		int w = p ? (f->width + 1) / 2 : f->width;
		int h = p ? (f->height + 1) / 2 : f->height;
		for (int r = 0; r < h; r++)
			memset(f->plane[p] + (size_t)r * (size_t)f->stride[p], val[p], (size_t)w);
	}
}
