/* vc_y4m.h - YUV4MPEG2 reader and writer (8-bit 4:2:0 only).
 * Threading: one owner per object.
 */
#ifndef VC_Y4M_H
#define VC_Y4M_H

#include <stdio.h>

#include "vc_frame.h"

struct vc_y4m_reader {
	FILE *fp;
	int width, height;
	int fps_num, fps_den;
	long data_start;   /* offset of the first FRAME, for looping */
	char *frame_hdr_buf;
};

/* Open and parse the stream header. On failure returns -errno or -EINVAL
 * and writes a one-line reason into err. */
int vc_y4m_open(struct vc_y4m_reader *r, const char *path, char *err, size_t errlen);
/* Read the next frame into f (allocated at the stream size). Returns 1, 0
 * at end of file, negative on a malformed frame. */
int vc_y4m_read(struct vc_y4m_reader *r, struct vc_frame *f);
int vc_y4m_rewind(struct vc_y4m_reader *r);
void vc_y4m_close(struct vc_y4m_reader *r);

struct vc_y4m_writer {
	FILE *fp;
	int width, height;
	int fps;
};

/* Any size from 2x2 (a peer's picture may be odd-sized: the chroma planes
 * are then (w+1)/2 x (h+1)/2, as in the frame).  The reader takes even
 * sizes only: what it reads feeds the encoder. */
int vc_y4m_create(struct vc_y4m_writer *w, const char *path, int width, int height, int fps);
/* Append one frame (its size must match). Returns 0 or -errno. */
int vc_y4m_write(struct vc_y4m_writer *w, const struct vc_frame *f);
int vc_y4m_finish(struct vc_y4m_writer *w); /* flush and close */

#endif
