/* vc_y4m.c - YUV4MPEG2 reader and writer (8-bit 4:2:0 only).
 *
 * Stream header: "YUV4MPEG2" then space-separated tags up to '\n':
 * W<width> H<height> F<num>:<den> C<colour space> (A, I, X and unknown tags
 * ignored).  Frames: "FRAME" [params] '\n' then Y, U, V planes.
 * Header lines are capped (VC_Y4M_MAX_LINE) so a hostile file cannot make
 * us read forever; sizes are capped by vc_frame_alloc's limit.
 */
#include "vc_y4m.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define VC_Y4M_MAX_LINE 1024
#define VC_Y4M_MAX_DIM 8192

/* Read one '\n'-terminated line into buf (without the newline).  Returns
 * length, -1 at clean EOF (nothing read), -2 when too long, -3 when the
 * file ends mid-line. */
static int read_line(FILE *fp, char *buf, int cap)
{
	int n = 0;

	for (;;) {
		int ch = getc(fp);
		if (ch == EOF)
			return n == 0 ? -1 : -3;
		if (ch == '\n')
			break;
		if (n >= cap - 1)
			return -2;
		buf[n++] = (char)ch;
	}
	buf[n] = '\0';
	return n;
}

static int parse_int(const char *s, long *out)
{
	char *end;

	errno = 0;
	long v = strtol(s, &end, 10);
	if (end == s || errno)
		return -1;
	*out = v;
	return (int)(end - s);
}

static int fail(char *err, size_t errlen, int rc, const char *path, const char *what)
{
	if (err && errlen)
		snprintf(err, errlen, "file:%s: %s", path, what);
	return rc;
}

int vc_y4m_open(struct vc_y4m_reader *r, const char *path, char *err, size_t errlen)
{
	char line[VC_Y4M_MAX_LINE];
	char msg[160];
	long w = 0, h = 0, fn = 30, fd = 1;
	int rc;

	memset(r, 0, sizeof(*r));
	r->fp = fopen(path, "rb");
	if (!r->fp) {
		rc = -errno;
		snprintf(msg, sizeof(msg), "cannot open: %s", strerror(errno));
		return fail(err, errlen, rc, path, msg);
	}
	int n = read_line(r->fp, line, (int)sizeof(line));
	if (n == -2) {
		rc = fail(err, errlen, -EINVAL, path, "stream header line too long");
		goto out;
	}
	if (n < 0) {
		rc = fail(err, errlen, -EINVAL, path, "truncated YUV4MPEG2 header");
		goto out;
	}
	if (strncmp(line, "YUV4MPEG2", 9) != 0 || (line[9] != ' ' && line[9] != '\0')) {
		rc = fail(err, errlen, -EINVAL, path, "not a YUV4MPEG2 file (bad magic)");
		goto out;
	}
	char *save = NULL;
	for (char *tok = strtok_r(line + 9, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save)) {
		long v;
		int k;
		switch (tok[0]) {
		case 'W':
		case 'H':
			k = parse_int(tok + 1, &v);
			if (k <= 0 || tok[1 + k] != '\0') {
				snprintf(msg, sizeof(msg), "bad size tag %.32s", tok);
				rc = fail(err, errlen, -EINVAL, path, msg);
				goto out;
			}
			if (tok[0] == 'W')
				w = v;
			else
				h = v;
			break;
		case 'F':
			k = parse_int(tok + 1, &fn);
			if (k <= 0 || tok[1 + k] != ':' || parse_int(tok + 2 + k, &fd) <= 0 ||
			    fn <= 0 || fd <= 0 || fn > 1000000 || fd > 1000000 ||
			    fn / fd > 1000) {
				snprintf(msg, sizeof(msg), "bad frame rate %.32s", tok);
				rc = fail(err, errlen, -EINVAL, path, msg);
				goto out;
			}
			break;
		case 'C':
			if (strcmp(tok, "C420") && strcmp(tok, "C420jpeg") &&
			    strcmp(tok, "C420paldv") && strcmp(tok, "C420mpeg2")) {
				snprintf(msg, sizeof(msg),
					 "unsupported colour space %.32s (only 4:2:0 8-bit)", tok);
				rc = fail(err, errlen, -ENOTSUP, path, msg);
				goto out;
			}
			break;
		default: /* A (aspect), I (interlacing), X (comments), future tags */
			break;
		}
	}
	if (w <= 0 || h <= 0) {
		snprintf(msg, sizeof(msg), "missing or zero size (W%ld H%ld)", w, h);
		rc = fail(err, errlen, -EINVAL, path, msg);
		goto out;
	}
	if (w > VC_Y4M_MAX_DIM || h > VC_Y4M_MAX_DIM) {
		snprintf(msg, sizeof(msg), "size %ldx%ld too large (max %d)", w, h,
			 VC_Y4M_MAX_DIM);
		rc = fail(err, errlen, -EINVAL, path, msg);
		goto out;
	}
	if ((w & 1) || (h & 1)) {
		snprintf(msg, sizeof(msg), "odd size %ldx%ld not supported", w, h);
		rc = fail(err, errlen, -ENOTSUP, path, msg);
		goto out;
	}
	r->frame_hdr_buf = malloc(VC_Y4M_MAX_LINE);
	if (!r->frame_hdr_buf) {
		rc = fail(err, errlen, -ENOMEM, path, "out of memory");
		goto out;
	}
	r->width = (int)w;
	r->height = (int)h;
	r->fps_num = (int)fn;
	r->fps_den = (int)fd;
	r->data_start = ftell(r->fp);
	return 0;
out:
	vc_y4m_close(r);
	return rc;
}

int vc_y4m_read(struct vc_y4m_reader *r, struct vc_frame *f)
{
	if (!r->fp || f->width != r->width || f->height != r->height)
		return -EINVAL;
	int n = read_line(r->fp, r->frame_hdr_buf, VC_Y4M_MAX_LINE);
	if (n == -1)
		return 0;
	if (n < 0)
		return n == -3 ? 0 : -EINVAL; /* a torn last header is just the end */
	if (strncmp(r->frame_hdr_buf, "FRAME", 5) != 0 ||
	    (r->frame_hdr_buf[5] != ' ' && r->frame_hdr_buf[5] != '\0'))
		return -EINVAL;
	for (int p = 0; p < 3; p++) {
		int pw = p ? r->width / 2 : r->width;
		int ph = p ? r->height / 2 : r->height;
		for (int y = 0; y < ph; y++)
			if (fread(f->plane[p] + (size_t)y * (size_t)f->stride[p], 1, (size_t)pw,
				  r->fp) != (size_t)pw)
				return 0; /* torn last frame: treat as end of stream */
	}
	return 1;
}

int vc_y4m_rewind(struct vc_y4m_reader *r)
{
	if (!r->fp)
		return -EINVAL;
	if (fseek(r->fp, r->data_start, SEEK_SET) != 0)
		return -errno;
	return 0;
}

void vc_y4m_close(struct vc_y4m_reader *r)
{
	if (!r)
		return;
	if (r->fp)
		fclose(r->fp);
	free(r->frame_hdr_buf);
	memset(r, 0, sizeof(*r));
}

int vc_y4m_create(struct vc_y4m_writer *w, const char *path, int width, int height, int fps)
{
	memset(w, 0, sizeof(*w));
	if (width < 2 || height < 2 || width > VC_Y4M_MAX_DIM || height > VC_Y4M_MAX_DIM || fps <= 0)
		return -EINVAL;
	w->fp = fopen(path, "wb");
	if (!w->fp)
		return -errno;
	w->width = width;
	w->height = height;
	w->fps = fps;
	if (fprintf(w->fp, "YUV4MPEG2 W%d H%d F%d:1 Ip A1:1 C420jpeg\n", width, height, fps) < 0) {
		int rc = -errno;
		fclose(w->fp);
		w->fp = NULL;
		return rc ? rc : -EIO;
	}
	return 0;
}

int vc_y4m_write(struct vc_y4m_writer *w, const struct vc_frame *f)
{
	if (!w->fp || f->width != w->width || f->height != w->height)
		return -EINVAL;
	if (fputs("FRAME\n", w->fp) == EOF)
		return -EIO;
	for (int p = 0; p < 3; p++) {
		int pw = p ? (w->width + 1) / 2 : w->width;
		int ph = p ? (w->height + 1) / 2 : w->height;
		for (int y = 0; y < ph; y++)
			if (fwrite(f->plane[p] + (size_t)y * (size_t)f->stride[p], 1, (size_t)pw,
				   w->fp) != (size_t)pw)
				return -EIO;
	}
	return 0;
}

int vc_y4m_finish(struct vc_y4m_writer *w)
{
	int rc = 0;

	if (!w->fp)
		return 0;
	if (fflush(w->fp) != 0)
		rc = -EIO;
	if (fclose(w->fp) != 0 && rc == 0)
		rc = -EIO;
	w->fp = NULL;
	return rc;
}
