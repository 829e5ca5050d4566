/* vc_v4l2.c - camera capture through libv4l2 (see vc_v4l2.h).
 *
 * Every device call goes through struct vc_v4l2_ops so the unit test runs
 * this exact code against an emulated camera.  We always ask for
 * V4L2_PIX_FMT_YUV420 (single plane: Y, then U and V at half the line
 * pitch); libv4l2 converts YUYV, MJPEG and friends to it, so a driver that
 * still answers with something else cannot be used.
 *
 * Negotiation helpers (the size and frame interval to ask for), the
 * default ops and discovery: vc_v4l2_dev.c.
 *
 * Buffers are never read past their mapping: the image size implied by
 * bytesperline is checked against every buffer's length at setup, and a
 * dequeued buffer carrying fewer bytes than that is dropped and requeued.
 */
#include "vc_v4l2.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/videodev2.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "vc_v4l2_dev.h"

#define VC_V4L2_MAX_BUFS 32     /* drivers may raise the count we ask for */
#define VC_V4L2_MAX_TS_AGE_US 2000000u /* older driver stamps are not trusted */

struct vc_v4l2_buf {
	void *mem;
	size_t len;
};

struct vc_v4l2 {
	struct vc_v4l2_ops ops;
	const struct vc_clock *clock;
	char path[128];
	int fd;
	int width, height, fps;
	int stride;           /* luma bytesperline; chroma is stride / 2 */
	size_t image;         /* bytes of one picture at that stride */
	struct vc_v4l2_buf buf[VC_V4L2_MAX_BUFS];
	unsigned nbufs;       /* buffers granted by REQBUFS */
	int requested;        /* REQBUFS succeeded: undo with count 0 */
	int streaming;
	uint32_t count;       /* frames delivered */
	unsigned dropped;
};

/* ---- helpers ---- */

/* Camera-gone errors collapse to -ENODEV (the caller reopens later). */
static int gone_errno(int e)
{
	return (e == ENODEV || e == EIO || e == ENXIO) ? -ENODEV : -e;
}

static int fail(char *err, size_t errlen, int rc, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int fail(char *err, size_t errlen, int rc, const char *path, const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (err && errlen)
		snprintf(err, errlen, "%s: %s", path, msg);
	return rc;
}

static void set_rate(struct vc_v4l2 *v, int fps)
{
	struct v4l2_streamparm parm;

	memset(&parm, 0, sizeof(parm));
	parm.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	parm.parm.capture.timeperframe = vc_v4l2_choose_interval(&v->ops, v->fd, v->width, v->height, fps);
	v->fps = fps;
	if (vc_v4l2_xioctl(&v->ops, v->fd, VIDIOC_S_PARM, &parm) < 0)
		return; /* many drivers cannot: keep the requested rate */
	const struct v4l2_fract *t = &parm.parm.capture.timeperframe;
	if ((parm.parm.capture.capability & V4L2_CAP_TIMEPERFRAME) && t->numerator &&
	    t->denominator) {
		int got = (int)((t->denominator + t->numerator / 2) / t->numerator);
		if (got > 0 && got <= 1000)
			v->fps = got;
	}
}

/* ---- open / close ---- */

static void release(struct vc_v4l2 *v)
{
	if (v->fd < 0)
		return;
	if (v->streaming) {
		int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
		(void)vc_v4l2_xioctl(&v->ops, v->fd, VIDIOC_STREAMOFF, &type);
		v->streaming = 0;
	}
	for (unsigned i = 0; i < v->nbufs; i++) {
		if (v->buf[i].mem)
			(void)v->ops.munmap(v->ops.ctx, v->buf[i].mem, v->buf[i].len);
		v->buf[i].mem = NULL;
	}
	v->nbufs = 0;
	if (v->requested) {
		struct v4l2_requestbuffers rb;
		memset(&rb, 0, sizeof(rb));
		rb.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
		rb.memory = V4L2_MEMORY_MMAP;
		rb.count = 0;
		(void)vc_v4l2_xioctl(&v->ops, v->fd, VIDIOC_REQBUFS, &rb);
		v->requested = 0;
	}
	(void)v->ops.close(v->ops.ctx, v->fd);
	v->fd = -1;
}

static int ioctl_fail(struct vc_v4l2 *v, char *err, size_t errlen, const char *what)
{
	int e = errno;

	if (gone_errno(e) == -ENODEV)
		return fail(err, errlen, -ENODEV, v->path, "device vanished (%s)", what);
	if (e == EBUSY)
		return fail(err, errlen, -EBUSY, v->path, "device busy (%s)", what);
	return fail(err, errlen, -e, v->path, "%s failed: %s", what, strerror(e));
}

/* Take the driver's answer (S_FMT or G_FMT) if it is usable 4:2:0. */
static int accept_format(struct vc_v4l2 *v, const struct v4l2_pix_format *pix, char *err,
			 size_t errlen)
{
	char got[5];

	if (pix->pixelformat != V4L2_PIX_FMT_YUV420) {
		vc_v4l2_fourcc_str(pix->pixelformat, got);
		return fail(err, errlen, -EINVAL, v->path, "cannot provide 4:2:0 (got '%s')", got);
	}
	if (pix->width < 2 || pix->height < 2 || pix->width > VC_V4L2_MAX_DIM ||
	    pix->height > VC_V4L2_MAX_DIM || (pix->width & 1) || (pix->height & 1))
		return fail(err, errlen, -EINVAL, v->path, "unsupported picture size %ux%u (need even)",
			    pix->width, pix->height);
	if (pix->field != V4L2_FIELD_NONE && pix->field != V4L2_FIELD_ANY)
		return fail(err, errlen, -EINVAL, v->path, "interlaced capture (field %u) unsupported",
			    pix->field);
	v->width = (int)pix->width;
	v->height = (int)pix->height;
	/* 0 or a short pitch means "tightly packed" */
	uint32_t bpl = pix->bytesperline >= pix->width ? pix->bytesperline : pix->width;
	if (bpl > 4 * VC_V4L2_MAX_DIM)
		return fail(err, errlen, -EINVAL, v->path, "line pitch %u too large", bpl);
	v->stride = (int)bpl;
	v->image = (size_t)bpl * pix->height + 2 * ((size_t)(bpl / 2) * (pix->height / 2));
	if (pix->sizeimage && pix->sizeimage < v->image)
		return fail(err, errlen, -EINVAL, v->path, "image size %u smaller than %ux%u 4:2:0",
			    pix->sizeimage, pix->width, pix->height);
	return 0;
}

static int set_format(struct vc_v4l2 *v, int w, int h, char *err, size_t errlen)
{
	struct v4l2_format fmt;

	memset(&fmt, 0, sizeof(fmt));
	fmt.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	fmt.fmt.pix.width = (uint32_t)w;
	fmt.fmt.pix.height = (uint32_t)h;
	fmt.fmt.pix.pixelformat = V4L2_PIX_FMT_YUV420;
	fmt.fmt.pix.field = V4L2_FIELD_ANY;
	if (vc_v4l2_xioctl(&v->ops, v->fd, VIDIOC_S_FMT, &fmt) < 0)
		return ioctl_fail(v, err, errlen, "VIDIOC_S_FMT");
	return accept_format(v, &fmt.fmt.pix, err, errlen);
}

/* After S_PARM: libv4l2 may switch the source format for the new rate
 * (e.g. YUYV -> MJPEG), so read the format back before sizing buffers. */
static int recheck_format(struct vc_v4l2 *v, char *err, size_t errlen)
{
	struct v4l2_format fmt;

	memset(&fmt, 0, sizeof(fmt));
	fmt.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	if (vc_v4l2_xioctl(&v->ops, v->fd, VIDIOC_G_FMT, &fmt) < 0)
		return ioctl_fail(v, err, errlen, "VIDIOC_G_FMT");
	return accept_format(v, &fmt.fmt.pix, err, errlen);
}

static int start_streaming(struct vc_v4l2 *v, char *err, size_t errlen)
{
	struct v4l2_requestbuffers rb;
	int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;

	memset(&rb, 0, sizeof(rb));
	rb.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	rb.memory = V4L2_MEMORY_MMAP;
	rb.count = VC_V4L2_BUFFERS;
	if (vc_v4l2_xioctl(&v->ops, v->fd, VIDIOC_REQBUFS, &rb) < 0) {
		if (errno == EINVAL)
			return fail(err, errlen, -EINVAL, v->path, "mmap streaming not supported");
		return ioctl_fail(v, err, errlen, "VIDIOC_REQBUFS");
	}
	v->requested = 1;
	if (rb.count < 2 || rb.count > VC_V4L2_MAX_BUFS)
		return fail(err, errlen, -EINVAL, v->path, "driver granted %u buffers (need 2..%d)",
			    rb.count, VC_V4L2_MAX_BUFS);
	for (unsigned i = 0; i < rb.count; i++) {
		struct v4l2_buffer b;

		memset(&b, 0, sizeof(b));
		b.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
		b.memory = V4L2_MEMORY_MMAP;
		b.index = i;
		if (vc_v4l2_xioctl(&v->ops, v->fd, VIDIOC_QUERYBUF, &b) < 0)
			return ioctl_fail(v, err, errlen, "VIDIOC_QUERYBUF");
		if (b.length < v->image)
			return fail(err, errlen, -EINVAL, v->path, "buffer %u holds %u bytes, need %zu",
				    i, b.length, v->image);
		void *m = v->ops.mmap(v->ops.ctx, NULL, b.length, PROT_READ | PROT_WRITE, MAP_SHARED,
				      v->fd, (off_t)b.m.offset);
		if (m == MAP_FAILED || !m)
			return ioctl_fail(v, err, errlen, "mmap");
		v->buf[i].mem = m;
		v->buf[i].len = b.length;
		v->nbufs = i + 1;
	}
	for (unsigned i = 0; i < v->nbufs; i++) {
		struct v4l2_buffer b;

		memset(&b, 0, sizeof(b));
		b.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
		b.memory = V4L2_MEMORY_MMAP;
		b.index = i;
		if (vc_v4l2_xioctl(&v->ops, v->fd, VIDIOC_QBUF, &b) < 0)
			return ioctl_fail(v, err, errlen, "VIDIOC_QBUF");
	}
	if (vc_v4l2_xioctl(&v->ops, v->fd, VIDIOC_STREAMON, &type) < 0)
		return ioctl_fail(v, err, errlen, "VIDIOC_STREAMON");
	v->streaming = 1;
	return 0;
}

int vc_v4l2_open(struct vc_v4l2 **out, const struct vc_v4l2_cfg *cfg, char *err, size_t errlen)
{
	const char *path = cfg->path ? cfg->path : "/dev/video0";
	int req_w = cfg->width > 0 ? cfg->width : 640;
	int req_h = cfg->height > 0 ? cfg->height : 480;
	int fps = cfg->fps > 0 ? cfg->fps : 30;
	struct v4l2_capability cap;
	struct vc_v4l2 *v;
	uint32_t caps;
	int rc, w, h;

	*out = NULL;
	if ((req_w & 1) || (req_h & 1) || req_w > VC_V4L2_MAX_DIM || req_h > VC_V4L2_MAX_DIM)
		return fail(err, errlen, -EINVAL, path, "requested size %dx%d unsupported (even, up to %d)",
			    req_w, req_h, VC_V4L2_MAX_DIM);
	v = calloc(1, sizeof(*v));
	if (!v)
		return fail(err, errlen, -ENOMEM, path, "out of memory");
	v->ops = cfg->ops ? *cfg->ops : vc_v4l2_sys_ops;
	v->clock = cfg->clock ? cfg->clock : vc_clock_monotonic();
	snprintf(v->path, sizeof(v->path), "%s", path);

	v->fd = v->ops.open(v->ops.ctx, path, O_RDWR | O_NONBLOCK);
	if (v->fd < 0) {
		int e = errno;
		v->fd = -1;
		if (e == ENOENT || e == ENODEV || e == ENXIO)
			rc = fail(err, errlen, e == ENOENT ? -ENOENT : -ENODEV, path, "no such device");
		else
			rc = fail(err, errlen, -e, path, "cannot open: %s", strerror(e));
		goto out;
	}
	if (vc_v4l2_query_caps(&v->ops, v->fd, &cap, &caps) < 0) {
		if (gone_errno(errno) == -ENODEV)
			rc = fail(err, errlen, -ENODEV, path, "device vanished (VIDIOC_QUERYCAP)");
		else
			rc = fail(err, errlen, -EINVAL, path, "not a V4L2 device");
		goto out;
	}
	if (!(caps & V4L2_CAP_VIDEO_CAPTURE)) {
		rc = fail(err, errlen, -EINVAL, path, "not a video capture device%s",
			  (caps & V4L2_CAP_VIDEO_CAPTURE_MPLANE) ? " (multi-planar only)" : "");
		goto out;
	}
	if (!(caps & V4L2_CAP_STREAMING)) {
		rc = fail(err, errlen, -EINVAL, path, "no streaming I/O support");
		goto out;
	}
	vc_v4l2_choose_size(&v->ops, v->fd, req_w, req_h, &w, &h);
	rc = set_format(v, w, h, err, errlen);
	if (rc < 0)
		goto out;
	set_rate(v, fps);
	rc = recheck_format(v, err, errlen);
	if (rc < 0)
		goto out;
	rc = start_streaming(v, err, errlen);
	if (rc < 0)
		goto out;
	*out = v;
	return 0;
out:
	release(v);
	free(v);
	return rc;
}

void vc_v4l2_close(struct vc_v4l2 *v)
{
	if (!v)
		return;
	release(v);
	free(v);
}

int vc_v4l2_width(const struct vc_v4l2 *v)
{
	return v->width;
}

int vc_v4l2_height(const struct vc_v4l2 *v)
{
	return v->height;
}

int vc_v4l2_fps(const struct vc_v4l2 *v)
{
	return v->fps;
}

/* ---- streaming ---- */

static void copy_plane(uint8_t *dst, int dst_stride, const uint8_t *src, size_t src_stride,
		       int w, int h)
{
	for (int y = 0; y < h; y++)
		memcpy(dst + (size_t)y * (size_t)dst_stride, src + (size_t)y * src_stride, (size_t)w);
}

static uint64_t capture_time(const struct vc_v4l2 *v, const struct v4l2_buffer *b,
			     uint64_t dq_clock_us)
{
	if ((b->flags & V4L2_BUF_FLAG_TIMESTAMP_MASK) != V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC)
		return dq_clock_us;
	if (b->timestamp.tv_sec < 0 || b->timestamp.tv_usec < 0 ||
	    (b->timestamp.tv_sec == 0 && b->timestamp.tv_usec == 0))
		return dq_clock_us;
	uint64_t ts = (uint64_t)b->timestamp.tv_sec * 1000000u + (uint64_t)b->timestamp.tv_usec;
	uint64_t mono = vc_monotonic_us();
	uint64_t age = mono > ts ? mono - ts : 0;
	if (age > VC_V4L2_MAX_TS_AGE_US)
		return dq_clock_us; /* stale or bogus stamp */
	if (v->clock == vc_clock_monotonic())
		return ts <= mono ? ts : mono;
	return dq_clock_us > age ? dq_clock_us - age : 0;
}

static int requeue(struct vc_v4l2 *v, uint32_t index)
{
	struct v4l2_buffer b;

	memset(&b, 0, sizeof(b));
	b.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	b.memory = V4L2_MEMORY_MMAP;
	b.index = index;
	if (vc_v4l2_xioctl(&v->ops, v->fd, VIDIOC_QBUF, &b) < 0)
		return gone_errno(errno);
	return 0;
}

int vc_v4l2_read(struct vc_v4l2 *v, struct vc_frame *f, int timeout_ms)
{
	struct v4l2_buffer b;
	int r;

	if (f->width != v->width || f->height != v->height || !f->plane[0])
		return -EINVAL;
	if (!v->streaming || v->fd < 0)
		return -ENODEV;
	r = v->ops.poll(v->ops.ctx, v->fd, timeout_ms);
	if (r < 0)
		return gone_errno(errno);
	if (r == 0)
		return 0;
	memset(&b, 0, sizeof(b));
	b.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	b.memory = V4L2_MEMORY_MMAP;
	if (vc_v4l2_xioctl(&v->ops, v->fd, VIDIOC_DQBUF, &b) < 0)
		return errno == EAGAIN ? 0 : gone_errno(errno);
	uint64_t dq_us = vc_clock_now(v->clock);
	if (b.index >= v->nbufs || !v->buf[b.index].mem)
		return -EIO; /* the driver handed back a buffer we never had */
	/* a short or corrupted picture: give the buffer back and wait for the next */
	if (b.bytesused < v->image || (b.flags & V4L2_BUF_FLAG_ERROR)) {
		v->dropped++;
		r = requeue(v, b.index);
		return r < 0 ? r : 0;
	}
	/* image <= buffer length was checked at QUERYBUF: the copy stays inside */
	const uint8_t *y = v->buf[b.index].mem;
	size_t ys = (size_t)v->stride;
	size_t cs = ys / 2;
	const uint8_t *u = y + ys * (size_t)v->height;
	const uint8_t *vv = u + cs * (size_t)(v->height / 2);
	copy_plane(f->plane[0], f->stride[0], y, ys, v->width, v->height);
	copy_plane(f->plane[1], f->stride[1], u, cs, v->width / 2, v->height / 2);
	copy_plane(f->plane[2], f->stride[2], vv, cs, v->width / 2, v->height / 2);
	f->capture_us = capture_time(v, &b, dq_us);
	f->index = v->count++;
	r = requeue(v, b.index);
	return r < 0 ? r : 1;
}
