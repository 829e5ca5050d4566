/* vc_frame.h - an I420 video frame.
 *
 * Frames are allocated once (by a source, a decoder wrapper or a sink) and
 * reused; nothing on the per-frame path allocates.
 */
#ifndef VC_FRAME_H
#define VC_FRAME_H

#include <stddef.h>
#include <stdint.h>

struct vc_frame {
	int width, height;
	uint8_t *plane[3];   /* Y, U, V */
	int stride[3];
	uint64_t capture_us; /* CLOCK_MONOTONIC time the picture was taken */
	uint32_t index;      /* source frame counter */
	void *mem;           /* owned storage, or NULL when planes are borrowed */
};

/* Allocate planes for w x h (2..8192; odd sizes round the chroma planes
 * up, as VP8 and I420 do). Returns 0 or -errno. */
int vc_frame_alloc(struct vc_frame *f, int width, int height);
void vc_frame_free(struct vc_frame *f);
/* Copy picture (planes) and metadata from src into dst of the same size. */
void vc_frame_copy(struct vc_frame *dst, const struct vc_frame *src);
/* Fill with a flat colour (Y, U, V). */
void vc_frame_fill(struct vc_frame *f, uint8_t y, uint8_t u, uint8_t v);
/* Size in bytes of a tightly packed I420 picture. */
static inline size_t vc_i420_size(int w, int h)
{
	return (size_t)w * (size_t)h + 2 * ((size_t)((w + 1) / 2) * (size_t)((h + 1) / 2));
}

#endif
