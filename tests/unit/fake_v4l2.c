/* fake_v4l2.c - the emulated camera (see fake_v4l2.h). */
#include "fake_v4l2.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/videodev2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define FAKE_FD_BASE 1000
#define FAKE_OFF_STEP 0x100000u /* mmap offset of buffer i = i * step */

static int fake_misuse(struct fake_v4l2 *d, int e, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fake_misuse(struct fake_v4l2 *d, int e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(d->why, sizeof(d->why), fmt, ap);
	va_end(ap);
	d->misuse++;
	fprintf(stderr, "fake_v4l2: misuse: %s\n", d->why);
	errno = e;
	return -1;
}

static int fake_err(int e)
{
	errno = e;
	return -1;
}

uint8_t fake_v4l2_pixel(uint32_t seq, int p, int x, int y)
{
	switch (p) {
	case 0: return (uint8_t)(x * 3 + y * 7 + seq * 11);
	case 1: return (uint8_t)(x * 5 + y * 2 + seq * 13 + 64);
	default: return (uint8_t)(x + y * 9 + seq * 17 + 128);
	}
}

void fake_v4l2_init(struct fake_v4l2 *d, const char *path)
{
	memset(d, 0, sizeof(*d));
	snprintf(d->path, sizeof(d->path), "%s", path);
	snprintf(d->card, sizeof(d->card), "Fake Cam 3000");
	snprintf(d->driver, sizeof(d->driver), "fakecam");
	d->caps = V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_STREAMING;
	d->formats[0] = V4L2_PIX_FMT_YUYV;
	d->formats[1] = V4L2_PIX_FMT_MJPEG;
	d->nformats = 2;
	d->emulate_yuv420 = 1;
	d->sizes[0].w = 640;  d->sizes[0].h = 480;
	d->sizes[1].w = 320;  d->sizes[1].h = 240;
	d->sizes[2].w = 1280; d->sizes[2].h = 720;
	d->nsizes = 3;
	d->fps_list[0] = 30;
	d->fps_list[1] = 15;
	d->ts_age_us = 3000;
	d->owner = -1;
	d->width = 640;
	d->height = 480;
	d->bpl = 640;
	d->pixfmt = V4L2_PIX_FMT_YUV420;
	d->tpf_num = 1;
	d->tpf_den = 30;
}

static int fmt_listed(const struct fake_v4l2 *d, uint32_t f)
{
	for (int i = 0; i < d->nformats; i++)
		if (d->formats[i] == f)
			return 1;
	return d->emulate_yuv420 && f == V4L2_PIX_FMT_YUV420;
}

static int size_supported(const struct fake_v4l2 *d, int w, int h)
{
	if (d->stepwise)
		return w >= d->sw_min_w && w <= d->sw_max_w && h >= d->sw_min_h && h <= d->sw_max_h &&
		       (w - d->sw_min_w) % d->sw_step_w == 0 && (h - d->sw_min_h) % d->sw_step_h == 0;
	for (int i = 0; i < d->nsizes; i++)
		if (d->sizes[i].w == w && d->sizes[i].h == h)
			return 1;
	return 0;
}

/* The driver's nearest size, like most drivers' TRY_FMT. */
static void snap_size(const struct fake_v4l2 *d, int *w, int *h)
{
	if (d->stepwise) {
		int sw = *w < d->sw_min_w ? d->sw_min_w : *w > d->sw_max_w ? d->sw_max_w : *w;
		int sh = *h < d->sw_min_h ? d->sw_min_h : *h > d->sw_max_h ? d->sw_max_h : *h;
		*w = d->sw_min_w + (sw - d->sw_min_w) / d->sw_step_w * d->sw_step_w;
		*h = d->sw_min_h + (sh - d->sw_min_h) / d->sw_step_h * d->sw_step_h;
		return;
	}
	long long best = -1;
	int bw = *w, bh = *h;
	for (int i = 0; i < d->nsizes; i++) {
		long long dw = d->sizes[i].w - *w, dh = d->sizes[i].h - *h;
		long long dist = dw * dw + dh * dh;
		if (best < 0 || dist < best) {
			best = dist;
			bw = d->sizes[i].w;
			bh = d->sizes[i].h;
		}
	}
	*w = bw;
	*h = bh;
}

static size_t image_bytes(int bpl, int h)
{
	return (size_t)bpl * (size_t)h + 2 * ((size_t)(bpl / 2) * (size_t)(h / 2));
}

static void free_buffers(struct fake_v4l2 *d)
{
	for (unsigned i = 0; i < d->nbufs; i++) {
		struct fake_v4l2_buf *b = &d->bufs[i];
		if (b->mapped) {
			b->orphan = 1; /* the mapping outlives the buffer list */
			continue;
		}
		free(b->mem);
		d->live_bytes -= b->len;
		memset(b, 0, sizeof(*b));
	}
	d->nbufs = 0;
	d->fifo_len = 0;
}

static void fake_fill(struct fake_v4l2 *d, struct fake_v4l2_buf *b)
{
	uint8_t *y = b->mem;
	uint8_t *u = y + (size_t)d->bpl * (size_t)d->height;
	uint8_t *v = u + (size_t)(d->bpl / 2) * (size_t)(d->height / 2);
	uint32_t seq = d->sequence;

	memset(b->mem, FAKE_V4L2_PAD_BYTE, b->len);
	for (int r = 0; r < d->height; r++)
		for (int c = 0; c < d->width; c++)
			y[(size_t)r * (size_t)d->bpl + (size_t)c] = fake_v4l2_pixel(seq, 0, c, r);
	for (int r = 0; r < d->height / 2; r++)
		for (int c = 0; c < d->width / 2; c++) {
			size_t o = (size_t)r * (size_t)(d->bpl / 2) + (size_t)c;
			u[o] = fake_v4l2_pixel(seq, 1, c, r);
			v[o] = fake_v4l2_pixel(seq, 2, c, r);
		}
}

static int slot_of(struct fake_v4l2 *d, int fd)
{
	int s = fd - FAKE_FD_BASE;

	if (s < 0 || s >= FAKE_V4L2_MAX_FDS || !d->fds[s].used)
		return -1;
	return s;
}

/* ---- ops ---- */

static int fake_open(void *ctx, const char *path, int flags)
{
	struct fake_v4l2 *d = ctx;
	int meta;

	if (strcmp(path, d->path) == 0)
		meta = 0;
	else if (d->meta_path[0] && strcmp(path, d->meta_path) == 0)
		meta = 1;
	else
		return fake_err(ENOENT);
	if (d->unplugged)
		return fake_err(ENOENT);
	if ((flags & O_ACCMODE) != O_RDWR)
		return fake_misuse(d, EINVAL, "open without O_RDWR");
	for (int s = 0; s < FAKE_V4L2_MAX_FDS; s++) {
		if (!d->fds[s].used) {
			d->fds[s].used = 1;
			d->fds[s].meta = meta;
			d->fds[s].nonblock = !!(flags & O_NONBLOCK);
			d->fds[s].gen = d->generation;
			d->opens++;
			return FAKE_FD_BASE + s;
		}
	}
	return fake_err(EMFILE);
}

static int fake_close(void *ctx, int fd)
{
	struct fake_v4l2 *d = ctx;
	int s = slot_of(d, fd);

	if (s < 0)
		return fake_misuse(d, EBADF, "close of unknown fd %d", fd);
	if (d->owner == s) {
		/* the kernel stops streaming and drops buffers on last close */
		d->streaming = 0;
		free_buffers(d);
		d->owner = -1;
	}
	d->fds[s].used = 0;
	d->closes++;
	return 0;
}

static int check_type(struct fake_v4l2 *d, uint32_t type, const char *what)
{
	if (type != V4L2_BUF_TYPE_VIDEO_CAPTURE)
		return fake_misuse(d, EINVAL, "%s with buffer type %u", what, type);
	return 0;
}

static int do_querycap(struct fake_v4l2 *d, int meta, struct v4l2_capability *c)
{
	memset(c, 0, sizeof(*c));
	memcpy(c->driver, d->driver, strnlen(d->driver, sizeof(c->driver)));
	memcpy(c->card, d->card, strnlen(d->card, sizeof(c->card)));
	snprintf((char *)c->bus_info, sizeof(c->bus_info), "fake:0");
	c->version = 0x060100;
	c->device_caps = meta ? V4L2_CAP_META_CAPTURE | V4L2_CAP_STREAMING : d->caps;
	/* the physical device can capture even when this node cannot */
	c->capabilities = c->device_caps | V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_META_CAPTURE |
			  V4L2_CAP_DEVICE_CAPS;
	return 0;
}

static int do_enum_fmt(struct fake_v4l2 *d, struct v4l2_fmtdesc *f)
{
	if (check_type(d, f->type, "ENUM_FMT") < 0)
		return -1;
	uint32_t idx = f->index;
	memset(f, 0, sizeof(*f));
	f->index = idx;
	f->type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	if (idx < (uint32_t)d->nformats) {
		f->pixelformat = d->formats[idx];
	} else if (d->emulate_yuv420 && idx == (uint32_t)d->nformats) {
		int native = 0;
		for (int i = 0; i < d->nformats; i++)
			native |= d->formats[i] == V4L2_PIX_FMT_YUV420;
		if (native)
			return fake_err(EINVAL);
		f->pixelformat = V4L2_PIX_FMT_YUV420;
		f->flags = V4L2_FMT_FLAG_EMULATED;
	} else {
		return fake_err(EINVAL);
	}
	snprintf((char *)f->description, sizeof(f->description), "fmt %u", idx);
	return 0;
}

static int do_enum_sizes(struct fake_v4l2 *d, struct v4l2_frmsizeenum *fs)
{
	uint32_t idx = fs->index, pf = fs->pixel_format;

	if (!fmt_listed(d, pf))
		return fake_err(EINVAL);
	memset(fs, 0, sizeof(*fs));
	fs->index = idx;
	fs->pixel_format = pf;
	if (d->stepwise) {
		if (idx != 0)
			return fake_err(EINVAL);
		fs->type = V4L2_FRMSIZE_TYPE_STEPWISE;
		fs->stepwise.min_width = (uint32_t)d->sw_min_w;
		fs->stepwise.max_width = (uint32_t)d->sw_max_w;
		fs->stepwise.step_width = (uint32_t)d->sw_step_w;
		fs->stepwise.min_height = (uint32_t)d->sw_min_h;
		fs->stepwise.max_height = (uint32_t)d->sw_max_h;
		fs->stepwise.step_height = (uint32_t)d->sw_step_h;
		return 0;
	}
	if (idx >= (uint32_t)d->nsizes)
		return fake_err(EINVAL);
	fs->type = V4L2_FRMSIZE_TYPE_DISCRETE;
	fs->discrete.width = (uint32_t)d->sizes[idx].w;
	fs->discrete.height = (uint32_t)d->sizes[idx].h;
	return 0;
}

static int do_enum_intervals(struct fake_v4l2 *d, struct v4l2_frmivalenum *fi)
{
	uint32_t idx = fi->index;
	int n = 0;

	while (n < 4 && d->fps_list[n])
		n++;
	if (n == 0)
		return fake_err(ENOTTY);
	if (!fmt_listed(d, fi->pixel_format) ||
	    !size_supported(d, (int)fi->width, (int)fi->height) || idx >= (uint32_t)n)
		return fake_err(EINVAL);
	fi->type = V4L2_FRMIVAL_TYPE_DISCRETE;
	fi->discrete.numerator = 1;
	fi->discrete.denominator = (uint32_t)d->fps_list[idx];
	return 0;
}

static void fill_pix(const struct fake_v4l2 *d, struct v4l2_pix_format *p)
{
	memset(p, 0, sizeof(*p));
	p->width = (uint32_t)d->width;
	p->height = (uint32_t)d->height;
	p->pixelformat = d->pixfmt;
	p->field = V4L2_FIELD_NONE;
	p->bytesperline = d->pixfmt == V4L2_PIX_FMT_YUYV ? (uint32_t)d->width * 2 : (uint32_t)d->bpl;
	p->sizeimage = d->sizeimage;
	p->colorspace = V4L2_COLORSPACE_SRGB;
}

static int do_s_fmt(struct fake_v4l2 *d, int s, struct v4l2_format *f)
{
	if (check_type(d, f->type, "S_FMT") < 0)
		return -1;
	if (d->nbufs)
		return fake_misuse(d, EBUSY, "S_FMT with buffers allocated");
	int w = (int)f->fmt.pix.width, h = (int)f->fmt.pix.height;
	uint32_t pf = f->fmt.pix.pixelformat;
	snap_size(d, &w, &h);
	if (!fmt_listed(d, pf))
		pf = d->formats[0];
	d->width = w;
	d->height = h;
	d->pixfmt = pf;
	d->bpl = w + d->pad;
	d->sizeimage = pf == V4L2_PIX_FMT_YUV420 ? (uint32_t)image_bytes(d->bpl, h)
						 : (uint32_t)(w * 2 * h);
	fill_pix(d, &f->fmt.pix);
	return 0;
}

static int do_s_parm(struct fake_v4l2 *d, struct v4l2_streamparm *p)
{
	if (check_type(d, p->type, "S_PARM") < 0)
		return -1;
	d->sparms++;
	if (d->sparm_fails)
		return fake_err(EINVAL);
	struct v4l2_fract t = p->parm.capture.timeperframe;
	d->sparm_asked = t;
	int want = t.numerator ? (int)(t.denominator / t.numerator) : 30;
	int best = d->fps_list[0] ? d->fps_list[0] : 30;
	for (int i = 0; i < 4 && d->fps_list[i]; i++) {
		int a = d->fps_list[i] - want, b = best - want;
		if ((a < 0 ? -a : a) < (b < 0 ? -b : b))
			best = d->fps_list[i];
	}
	d->tpf_num = 1;
	d->tpf_den = best;
	if (d->sparm_repad) {
		d->pad = d->sparm_pad;
		d->bpl = d->width + d->pad;
		d->sizeimage = (uint32_t)image_bytes(d->bpl, d->height);
	}
	memset(&p->parm, 0, sizeof(p->parm));
	p->parm.capture.capability = V4L2_CAP_TIMEPERFRAME;
	p->parm.capture.timeperframe.numerator = 1;
	p->parm.capture.timeperframe.denominator = (uint32_t)best;
	return 0;
}

static int do_reqbufs(struct fake_v4l2 *d, int s, struct v4l2_requestbuffers *rb)
{
	if (check_type(d, rb->type, "REQBUFS") < 0)
		return -1;
	if (rb->memory != V4L2_MEMORY_MMAP)
		return fake_err(EINVAL); /* not misuse: a probe of the I/O method */
	if (d->owner >= 0 && d->owner != s)
		return fake_misuse(d, EBUSY, "REQBUFS from a second fd");
	if (d->streaming)
		return fake_misuse(d, EBUSY, "REQBUFS while streaming");
	for (unsigned i = 0; i < d->nbufs; i++)
		if (d->bufs[i].mapped)
			return fake_misuse(d, EBUSY, "REQBUFS while buffer %u is mapped", i);
	for (unsigned i = 0; i < FAKE_V4L2_MAX_BUFS; i++)
		if (d->bufs[i].orphan)
			return fake_misuse(d, EBUSY, "REQBUFS while a closed fd's buffer %u is mapped", i);
	free_buffers(d);
	if (rb->count == 0) {
		d->owner = -1;
		return 0;
	}
	unsigned max = d->reqbufs_max ? d->reqbufs_max : FAKE_V4L2_MAX_BUFS;
	unsigned n = rb->count < 2 ? 2 : rb->count;
	if (n > max)
		n = max;
	size_t len = ((size_t)d->sizeimage + 4095) & ~(size_t)4095;
	for (unsigned i = 0; i < n; i++) {
		d->bufs[i].mem = malloc(len);
		if (!d->bufs[i].mem)
			return fake_err(ENOMEM);
		d->bufs[i].len = len;
		d->live_bytes += len;
	}
	d->nbufs = n;
	d->owner = s;
	rb->count = n;
	return 0;
}

static int buf_index(struct fake_v4l2 *d, struct v4l2_buffer *b, const char *what)
{
	if (check_type(d, b->type, what) < 0)
		return -1;
	if (b->memory != V4L2_MEMORY_MMAP)
		return fake_misuse(d, EINVAL, "%s with memory %u", what, b->memory);
	if (b->index >= d->nbufs)
		return fake_misuse(d, EINVAL, "%s of unknown buffer %u (have %u)", what, b->index,
				   d->nbufs);
	return (int)b->index;
}

static void fill_buf(struct fake_v4l2 *d, unsigned i, struct v4l2_buffer *b)
{
	memset(b, 0, sizeof(*b));
	b->index = i;
	b->type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	b->memory = V4L2_MEMORY_MMAP;
	b->length = (uint32_t)d->bufs[i].len;
	b->m.offset = i * FAKE_OFF_STEP;
	b->flags = (d->bufs[i].queued ? V4L2_BUF_FLAG_QUEUED : 0) |
		   (d->bufs[i].mapped ? V4L2_BUF_FLAG_MAPPED : 0) |
		   (d->no_monotonic ? V4L2_BUF_FLAG_TIMESTAMP_UNKNOWN
				    : V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC);
}

static int do_dqbuf(struct fake_v4l2 *d, int s, struct v4l2_buffer *b)
{
	if (check_type(d, b->type, "DQBUF") < 0)
		return -1;
	if (b->memory != V4L2_MEMORY_MMAP)
		return fake_misuse(d, EINVAL, "DQBUF with memory %u", b->memory);
	if (!d->streaming)
		return fake_misuse(d, EINVAL, "DQBUF before STREAMON");
	if (d->dqbuf_errno) {
		int e = d->dqbuf_errno;
		d->dqbuf_errno = 0;
		return fake_err(e);
	}
	if (d->eagain_next > 0) {
		d->eagain_next--;
		return fake_err(EAGAIN);
	}
	if (d->fifo_len == 0) {
		if (d->fds[s].nonblock)
			return fake_err(EAGAIN);
		return fake_misuse(d, EINVAL, "blocking DQBUF with no buffer queued (would hang)");
	}
	unsigned i = d->fifo[0];
	memmove(d->fifo, d->fifo + 1, (d->fifo_len - 1) * sizeof(d->fifo[0]));
	d->fifo_len--;
	d->bufs[i].queued = 0;
	fake_fill(d, &d->bufs[i]);
	fill_buf(d, i, b);
	b->bytesused = d->sizeimage;
	if (d->short_next > 0) {
		d->short_next--;
		b->bytesused = d->sizeimage / 2;
	}
	b->field = V4L2_FIELD_NONE;
	b->sequence = d->sequence;
	uint64_t ts = vc_monotonic_us() - d->ts_age_us;
	b->timestamp.tv_sec = (time_t)(ts / 1000000u);
	b->timestamp.tv_usec = (suseconds_t)(ts % 1000000u);
	d->last_seq = d->sequence++;
	d->dqbufs++;
	return 0;
}

static int fake_ioctl(void *ctx, int fd, unsigned long req, void *arg)
{
	struct fake_v4l2 *d = ctx;
	int s = slot_of(d, fd);

	if (s < 0)
		return fake_misuse(d, EBADF, "ioctl on unknown fd %d", fd);
	if (d->unplugged || d->fds[s].gen != d->generation)
		return fake_err(ENODEV);
	if (!arg)
		return fake_misuse(d, EFAULT, "ioctl 0x%lx with NULL arg", req);
	if (req == VIDIOC_QUERYCAP)
		return do_querycap(d, d->fds[s].meta, arg);
	if (d->fds[s].meta)
		return fake_err(req == VIDIOC_ENUM_FMT ? EINVAL : ENOTTY);

	switch (req) {
	case VIDIOC_ENUM_FMT:
		return do_enum_fmt(d, arg);
	case VIDIOC_ENUM_FRAMESIZES:
		return do_enum_sizes(d, arg);
	case VIDIOC_ENUM_FRAMEINTERVALS:
		return do_enum_intervals(d, arg);
	case VIDIOC_S_FMT:
		return do_s_fmt(d, s, arg);
	case VIDIOC_G_FMT: {
		struct v4l2_format *f = arg;
		if (check_type(d, f->type, "G_FMT") < 0)
			return -1;
		fill_pix(d, &f->fmt.pix);
		return 0;
	}
	case VIDIOC_S_PARM:
		return do_s_parm(d, arg);
	case VIDIOC_REQBUFS:
		return do_reqbufs(d, s, arg);
	case VIDIOC_QUERYBUF: {
		int i = buf_index(d, arg, "QUERYBUF");
		if (i < 0)
			return -1;
		fill_buf(d, (unsigned)i, arg);
		return 0;
	}
	case VIDIOC_QBUF: {
		int i = buf_index(d, arg, "QBUF");
		if (i < 0)
			return -1;
		if (d->owner != s)
			return fake_misuse(d, EBUSY, "QBUF from a fd that does not own the buffers");
		if (d->bufs[i].queued)
			return fake_misuse(d, EINVAL, "QBUF of buffer %d that is already queued", i);
		d->bufs[i].queued = 1;
		d->fifo[d->fifo_len++] = (unsigned)i;
		d->qbufs++;
		return 0;
	}
	case VIDIOC_DQBUF:
		return do_dqbuf(d, s, arg);
	case VIDIOC_STREAMON:
		if (check_type(d, *(uint32_t *)arg, "STREAMON") < 0)
			return -1;
		if (d->owner != s || d->nbufs == 0)
			return fake_misuse(d, EINVAL, "STREAMON without buffers");
		d->streaming = 1;
		d->streamons++;
		return 0;
	case VIDIOC_STREAMOFF:
		if (check_type(d, *(uint32_t *)arg, "STREAMOFF") < 0)
			return -1;
		/* all buffers return to the dequeued state */
		for (unsigned i = 0; i < d->nbufs; i++)
			d->bufs[i].queued = 0;
		d->fifo_len = 0;
		d->streaming = 0;
		d->streamoffs++;
		return 0;
	default:
		return fake_err(ENOTTY);
	}
}

static void *fake_mmap(void *ctx, void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	struct fake_v4l2 *d = ctx;
	int s = slot_of(d, fd);

	if (s < 0) {
		fake_misuse(d, EBADF, "mmap of unknown fd %d", fd);
		return MAP_FAILED;
	}
	if (d->unplugged || d->fds[s].gen != d->generation) {
		errno = ENODEV;
		return MAP_FAILED;
	}
	if (!(flags & MAP_SHARED) || !(prot & PROT_READ)) {
		fake_misuse(d, EINVAL, "mmap without MAP_SHARED/PROT_READ");
		return MAP_FAILED;
	}
	if (off < 0 || (uint64_t)off % FAKE_OFF_STEP || (uint64_t)off / FAKE_OFF_STEP >= d->nbufs) {
		fake_misuse(d, EINVAL, "mmap of unknown offset 0x%llx", (unsigned long long)off);
		return MAP_FAILED;
	}
	struct fake_v4l2_buf *b = &d->bufs[(uint64_t)off / FAKE_OFF_STEP];
	if (len != b->len || b->mapped) {
		fake_misuse(d, EINVAL, "mmap of %zu bytes (buffer %zu, mapped %d)", len, b->len,
			    b->mapped);
		return MAP_FAILED;
	}
	b->mapped = 1;
	d->mapped_now++;
	return b->mem;
}

static int fake_munmap(void *ctx, void *addr, size_t len)
{
	struct fake_v4l2 *d = ctx;

	/* munmap works whether or not the device is still there */
	for (unsigned i = 0; i < FAKE_V4L2_MAX_BUFS; i++) {
		struct fake_v4l2_buf *b = &d->bufs[i];
		if (!b->mem || b->mem != addr || !b->mapped)
			continue;
		if (len != b->len)
			return fake_misuse(d, EINVAL, "munmap of %zu bytes, mapped %zu", len, b->len);
		b->mapped = 0;
		d->mapped_now--;
		if (b->orphan) {
			free(b->mem);
			d->live_bytes -= b->len;
			memset(b, 0, sizeof(*b));
		}
		return 0;
	}
	return fake_misuse(d, EINVAL, "munmap of unknown address %p", addr);
}

static int fake_poll(void *ctx, int fd, int timeout_ms)
{
	struct fake_v4l2 *d = ctx;
	int s = slot_of(d, fd);

	if (s < 0)
		return fake_misuse(d, EBADF, "poll of unknown fd %d", fd);
	if (d->unplugged || d->fds[s].gen != d->generation)
		return fake_err(ENODEV); /* POLLERR */
	if (!d->streaming)
		return fake_misuse(d, EINVAL, "poll while not streaming (POLLERR)");
	/* a frame is always ready when a buffer is queued; none queued would
	 * block for timeout_ms on a real camera */
	return d->fifo_len > 0 ? 1 : 0;
}

struct vc_v4l2_ops fake_v4l2_ops(struct fake_v4l2 *d)
{
	struct vc_v4l2_ops o = {
		.open = fake_open, .close = fake_close, .ioctl = fake_ioctl,
		.mmap = fake_mmap, .munmap = fake_munmap, .poll = fake_poll, .ctx = d,
	};
	return o;
}

void fake_v4l2_unplug(struct fake_v4l2 *d)
{
	d->unplugged = 1;
	d->generation++;
	d->streaming = 0;
}

void fake_v4l2_replug(struct fake_v4l2 *d)
{
	d->unplugged = 0;
}

unsigned fake_v4l2_queued(const struct fake_v4l2 *d)
{
	unsigned n = 0;

	for (unsigned i = 0; i < d->nbufs; i++)
		n += d->bufs[i].queued ? 1u : 0u;
	return n;
}

void fake_v4l2_reset(struct fake_v4l2 *d)
{
	for (unsigned i = 0; i < FAKE_V4L2_MAX_BUFS; i++) {
		if (d->bufs[i].mem) {
			free(d->bufs[i].mem);
			d->live_bytes -= d->bufs[i].len;
		}
		memset(&d->bufs[i], 0, sizeof(d->bufs[i]));
	}
	d->nbufs = 0;
	d->fifo_len = 0;
	d->mapped_now = 0;
}
