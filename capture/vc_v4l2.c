/* vc_v4l2.c - camera capture through libv4l2 (see vc_v4l2.h).
 *
 * Every device call goes through struct vc_v4l2_ops so the unit test runs
 * this exact code against an emulated camera.  We always ask for
 * V4L2_PIX_FMT_YUV420 (single plane: Y, then U and V at half the line
 * pitch); libv4l2 converts YUYV, MJPEG and friends to it, so a driver that
 * still answers with something else cannot be used.
 *
 * Buffers are never read past their mapping: the image size implied by
 * bytesperline is checked against every buffer's length at setup, and a
 * dequeued buffer carrying fewer bytes than that is dropped and requeued.
 */
#include "vc_v4l2.h"

#include <errno.h>
#include <fcntl.h>
#include <libv4l2.h>
#include <linux/videodev2.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define VC_V4L2_MAX_BUFS 32     /* drivers may raise the count we ask for */
#define VC_V4L2_SCAN 64         /* /dev/video0 .. 63 */
#define VC_V4L2_MAX_DIM 8192
#define VC_V4L2_MAX_ENUM 256    /* cap on every enumeration loop */
#define VC_V4L2_LIST_FMTS 8     /* formats per --list-devices line */
#define VC_V4L2_LIST_SIZES 12   /* sizes per format on that line */
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

/* ---- default ops: libv4l2 and poll() ---- */

static int sys_open(void *ctx, const char *path, int flags)
{
	return v4l2_open(path, flags);
}

static int sys_close(void *ctx, int fd)
{
	return v4l2_close(fd);
}

static int sys_ioctl(void *ctx, int fd, unsigned long request, void *arg)
{
	return v4l2_ioctl(fd, request, arg);
}

static void *sys_mmap(void *ctx, void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return v4l2_mmap(addr, len, prot, flags, fd, (int64_t)off);
}

static int sys_munmap(void *ctx, void *addr, size_t len)
{
	return v4l2_munmap(addr, len);
}

static int sys_poll(void *ctx, int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int r = poll(&p, 1, timeout_ms);

	if (r < 0)
		return errno == EINTR ? 0 : -1;
	if (r == 0)
		return 0;
	/* We always stream with buffers queued, so an error here means the
	 * device went away. */
	if (p.revents & (POLLERR | POLLHUP | POLLNVAL)) {
		errno = ENODEV;
		return -1;
	}
	return 1;
}

static const struct vc_v4l2_ops sys_ops = {
	.open = sys_open, .close = sys_close, .ioctl = sys_ioctl,
	.mmap = sys_mmap, .munmap = sys_munmap, .poll = sys_poll, .ctx = NULL,
};

/* ---- helpers ---- */

static int xioctl(const struct vc_v4l2_ops *ops, int fd, unsigned long req, void *arg)
{
	int r;

	do {
		r = ops->ioctl(ops->ctx, fd, req, arg);
	} while (r < 0 && errno == EINTR);
	return r;
}

/* Camera-gone errors collapse to -ENODEV (the caller reopens later). */
static int gone_errno(int e)
{
	return (e == ENODEV || e == EIO || e == ENXIO) ? -ENODEV : -e;
}

static void fourcc_str(uint32_t f, char out[5])
{
	f &= 0x7fffffffu;              /* big-endian flag */
	for (int i = 0; i < 4; i++) {
		char c = (char)((f >> (8 * i)) & 0xff);
		out[i] = (c >= 0x20 && c < 0x7f) ? c : '?';
	}
	out[4] = '\0';
}

/* Copy a fixed-size, maybe unterminated driver string. */
static void copy_name(char *dst, size_t cap, const uint8_t *src, size_t srclen)
{
	size_t n = 0;

	while (n < srclen && src[n] && n + 1 < cap) {
		dst[n] = (src[n] >= 0x20 && src[n] < 0x7f) ? (char)src[n] : '?';
		n++;
	}
	dst[n] = '\0';
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

/* Capabilities of this node (device_caps when the driver reports them). */
static int query_caps(const struct vc_v4l2_ops *ops, int fd, struct v4l2_capability *cap,
		      uint32_t *caps)
{
	memset(cap, 0, sizeof(*cap));
	if (xioctl(ops, fd, VIDIOC_QUERYCAP, cap) < 0)
		return -1;
	*caps = (cap->capabilities & V4L2_CAP_DEVICE_CAPS) ? cap->device_caps
							   : cap->capabilities;
	return 0;
}

/* ---- size negotiation ---- */

struct size_pick {
	int req_w, req_h;
	int exact;                  /* requested size offered */
	int ge_w, ge_h;             /* smallest offered size >= requested */
	int big_w, big_h;           /* largest offered size */
	int any;
};

static long long area(int w, int h)
{
	return (long long)w * h;
}

static void offer(struct size_pick *p, int w, int h)
{
	if (w < 2 || h < 2 || (w & 1) || (h & 1) || w > VC_V4L2_MAX_DIM || h > VC_V4L2_MAX_DIM)
		return;
	p->any = 1;
	if (w == p->req_w && h == p->req_h)
		p->exact = 1;
	if (w >= p->req_w && h >= p->req_h &&
	    (!p->ge_w || area(w, h) < area(p->ge_w, p->ge_h))) {
		p->ge_w = w;
		p->ge_h = h;
	}
	if (!p->big_w || area(w, h) > area(p->big_w, p->big_h)) {
		p->big_w = w;
		p->big_h = h;
	}
}

/* Snap v into [min, max] on the grid min + k * step, rounding up. */
static int snap_up(uint32_t v, uint32_t min, uint32_t max, uint32_t step)
{
	if (v <= min)
		return (int)min;
	if (v >= max)
		return (int)max;
	if (step == 0)
		step = 1;
	uint64_t k = ((uint64_t)v - min + step - 1) / step;
	uint64_t r = (uint64_t)min + k * step;
	return (int)(r > max ? max : r);
}

static void offer_stepwise(struct size_pick *p, const struct v4l2_frmsize_stepwise *s)
{
	uint32_t sw = s->step_width ? s->step_width : 1;
	uint32_t sh = s->step_height ? s->step_height : 1;
	int w = snap_up((uint32_t)p->req_w, s->min_width, s->max_width, sw);
	int h = snap_up((uint32_t)p->req_h, s->min_height, s->max_height, sh);

	/* grid sizes may be odd: step down to an even one still on the grid */
	if ((w & 1) && (uint32_t)w >= s->min_width + sw)
		w -= (int)sw;
	if ((h & 1) && (uint32_t)h >= s->min_height + sh)
		h -= (int)sh;
	offer(p, w, h);
	offer(p, (int)(s->max_width & ~1u), (int)(s->max_height & ~1u));
}

static void enum_sizes(const struct vc_v4l2_ops *ops, int fd, uint32_t fmt, struct size_pick *p)
{
	for (uint32_t i = 0; i < VC_V4L2_MAX_ENUM; i++) {
		struct v4l2_frmsizeenum fs;

		memset(&fs, 0, sizeof(fs));
		fs.index = i;
		fs.pixel_format = fmt;
		if (xioctl(ops, fd, VIDIOC_ENUM_FRAMESIZES, &fs) < 0)
			return;
		if (fs.type == V4L2_FRMSIZE_TYPE_DISCRETE) {
			offer(p, (int)fs.discrete.width, (int)fs.discrete.height);
		} else {
			offer_stepwise(p, &fs.stepwise);
			return; /* stepwise/continuous: only index 0 is valid */
		}
	}
}

/* Pick the size to ask for among those of every format (libv4l2 converts
 * from whichever offers it): exact, else the smallest >= requested, else
 * the largest. */
static void choose_size(const struct vc_v4l2_ops *ops, int fd, int req_w, int req_h, int *w,
			int *h)
{
	struct size_pick p = { .req_w = req_w, .req_h = req_h };

	for (uint32_t i = 0; i < VC_V4L2_MAX_ENUM; i++) {
		struct v4l2_fmtdesc fd_;

		memset(&fd_, 0, sizeof(fd_));
		fd_.index = i;
		fd_.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
		if (xioctl(ops, fd, VIDIOC_ENUM_FMT, &fd_) < 0)
			break;
		enum_sizes(ops, fd, fd_.pixelformat, &p);
	}
	*w = req_w;
	*h = req_h;
	if (!p.any || p.exact)
		return; /* exact, or no enumeration: S_FMT adjusts */
	if (p.ge_w) {
		*w = p.ge_w;
		*h = p.ge_h;
	} else {
		*w = p.big_w;
		*h = p.big_h;
	}
}

/* Frame interval for fps: the offered interval whose rate is closest
 * (ties to the faster one).  Falls back to 1/fps.  Enumerated for I420 at
 * the negotiated size: either native, or libv4l2 answers for the format it
 * converts from. */
static struct v4l2_fract choose_interval(const struct vc_v4l2_ops *ops, int fd, int w, int h,
					 int fps)
{
	struct v4l2_fract best = { 1, (uint32_t)fps };
	double best_d = -1.0;

	for (uint32_t i = 0; i < VC_V4L2_MAX_ENUM; i++) {
		struct v4l2_frmivalenum fi;

		memset(&fi, 0, sizeof(fi));
		fi.index = i;
		fi.pixel_format = V4L2_PIX_FMT_YUV420;
		fi.width = (uint32_t)w;
		fi.height = (uint32_t)h;
		if (xioctl(ops, fd, VIDIOC_ENUM_FRAMEINTERVALS, &fi) < 0)
			break;
		if (fi.type != V4L2_FRMIVAL_TYPE_DISCRETE) {
			/* continuous/stepwise: 1/fps clamped to the range */
			const struct v4l2_frmival_stepwise *s = &fi.stepwise;
			if (s->min.numerator && s->min.denominator && s->max.denominator) {
				double want = 1.0 / fps;
				double lo = (double)s->min.numerator / s->min.denominator;
				double hi = (double)s->max.numerator / s->max.denominator;
				if (want < lo)
					best = s->min;
				else if (want > hi)
					best = s->max;
			}
			break;
		}
		if (!fi.discrete.numerator || !fi.discrete.denominator)
			continue;
		double rate = (double)fi.discrete.denominator / fi.discrete.numerator;
		double d = rate - fps;
		d = d < 0 ? -d * 1.0001 : d; /* tie: prefer the faster rate */
		if (best_d < 0 || d < best_d) {
			best_d = d;
			best = fi.discrete;
		}
	}
	return best;
}

static void set_rate(struct vc_v4l2 *v, int fps)
{
	struct v4l2_streamparm parm;

	memset(&parm, 0, sizeof(parm));
	parm.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	parm.parm.capture.timeperframe = choose_interval(&v->ops, v->fd, v->width, v->height, fps);
	v->fps = fps;
	if (xioctl(&v->ops, v->fd, VIDIOC_S_PARM, &parm) < 0)
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
		(void)xioctl(&v->ops, v->fd, VIDIOC_STREAMOFF, &type);
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
		(void)xioctl(&v->ops, v->fd, VIDIOC_REQBUFS, &rb);
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
		fourcc_str(pix->pixelformat, got);
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
	if (xioctl(&v->ops, v->fd, VIDIOC_S_FMT, &fmt) < 0)
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
	if (xioctl(&v->ops, v->fd, VIDIOC_G_FMT, &fmt) < 0)
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
	if (xioctl(&v->ops, v->fd, VIDIOC_REQBUFS, &rb) < 0) {
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
		if (xioctl(&v->ops, v->fd, VIDIOC_QUERYBUF, &b) < 0)
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
		if (xioctl(&v->ops, v->fd, VIDIOC_QBUF, &b) < 0)
			return ioctl_fail(v, err, errlen, "VIDIOC_QBUF");
	}
	if (xioctl(&v->ops, v->fd, VIDIOC_STREAMON, &type) < 0)
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
	v->ops = cfg->ops ? *cfg->ops : sys_ops;
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
	if (query_caps(&v->ops, v->fd, &cap, &caps) < 0) {
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
	choose_size(&v->ops, v->fd, req_w, req_h, &w, &h);
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
	if (xioctl(&v->ops, v->fd, VIDIOC_QBUF, &b) < 0)
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
	if (xioctl(&v->ops, v->fd, VIDIOC_DQBUF, &b) < 0)
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

/* ---- discovery ---- */

static int is_capture_node(const struct vc_v4l2_ops *ops, int fd, struct v4l2_capability *cap)
{
	uint32_t caps;

	if (query_caps(ops, fd, cap, &caps) < 0)
		return 0;
	return (caps & V4L2_CAP_VIDEO_CAPTURE) && (caps & V4L2_CAP_STREAMING);
}

static void list_sizes(FILE *fp, const struct vc_v4l2_ops *ops, int fd, uint32_t fmt)
{
	for (uint32_t i = 0; i < VC_V4L2_MAX_ENUM; i++) {
		struct v4l2_frmsizeenum fs;

		memset(&fs, 0, sizeof(fs));
		fs.index = i;
		fs.pixel_format = fmt;
		if (xioctl(ops, fd, VIDIOC_ENUM_FRAMESIZES, &fs) < 0)
			return;
		if (fs.type != V4L2_FRMSIZE_TYPE_DISCRETE) {
			fprintf(fp, " %ux%u-%ux%u", fs.stepwise.min_width, fs.stepwise.min_height,
				fs.stepwise.max_width, fs.stepwise.max_height);
			return;
		}
		if (i == VC_V4L2_LIST_SIZES) {
			fputs(" ...", fp);
			return;
		}
		fprintf(fp, " %ux%u", fs.discrete.width, fs.discrete.height);
	}
}

static void list_one(FILE *fp, const struct vc_v4l2_ops *ops, int fd, const char *path,
		     const struct v4l2_capability *cap)
{
	char card[sizeof(cap->card) + 1], driver[sizeof(cap->driver) + 1];
	unsigned shown = 0;

	copy_name(card, sizeof(card), cap->card, sizeof(cap->card));
	copy_name(driver, sizeof(driver), cap->driver, sizeof(cap->driver));
	fprintf(fp, "%s: %s (%s):", path, card, driver);
	for (uint32_t i = 0; i < VC_V4L2_MAX_ENUM; i++) {
		struct v4l2_fmtdesc d;
		char cc[5];

		memset(&d, 0, sizeof(d));
		d.index = i;
		d.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
		if (xioctl(ops, fd, VIDIOC_ENUM_FMT, &d) < 0)
			break;
		if (d.flags & V4L2_FMT_FLAG_EMULATED)
			continue; /* libv4l2's conversions: show what the camera sends */
		if (shown == VC_V4L2_LIST_FMTS) {
			fputs(", ...", fp);
			break;
		}
		fourcc_str(d.pixelformat, cc);
		fprintf(fp, "%s %s", shown ? "," : "", cc);
		list_sizes(fp, ops, fd, d.pixelformat);
		shown++;
	}
	fputc('\n', fp);
}

/* Call fn for each /dev/videoN (N < VC_V4L2_SCAN) that can capture, with
 * the node open, until fn returns non-zero; returns that value, or 0. */
typedef int (*camera_fn)(void *arg, const struct vc_v4l2_ops *ops, int fd, const char *path,
			 const struct v4l2_capability *cap);

static int for_each_camera(const struct vc_v4l2_ops *ops, camera_fn fn, void *arg)
{
	for (int n = 0; n < VC_V4L2_SCAN; n++) {
		struct v4l2_capability cap;
		char path[32];
		int rc = 0;

		snprintf(path, sizeof(path), "/dev/video%d", n);
		int fd = ops->open(ops->ctx, path, O_RDWR | O_NONBLOCK);
		if (fd < 0)
			continue;
		if (is_capture_node(ops, fd, &cap))
			rc = fn(arg, ops, fd, path, &cap);
		(void)ops->close(ops->ctx, fd);
		if (rc)
			return rc;
	}
	return 0;
}

struct list_ctx {
	FILE *fp;
	int found;
};

static int list_cb(void *arg, const struct vc_v4l2_ops *ops, int fd, const char *path,
		   const struct v4l2_capability *cap)
{
	struct list_ctx *l = arg;

	list_one(l->fp, ops, fd, path, cap);
	l->found++;
	return 0;
}

int vc_v4l2_list(FILE *fp, const struct vc_v4l2_ops *ops)
{
	struct list_ctx l = { .fp = fp, .found = 0 };

	for_each_camera(ops ? ops : &sys_ops, list_cb, &l);
	return l.found;
}

struct path_ctx {
	char *path;
	size_t len;
};

static int path_cb(void *arg, const struct vc_v4l2_ops *ops, int fd, const char *path,
		   const struct v4l2_capability *cap)
{
	struct path_ctx *p = arg;

	if (p->path && p->len)
		snprintf(p->path, p->len, "%s", path);
	return 1;
}

int vc_v4l2_default_path(char *path, size_t len, const struct vc_v4l2_ops *ops)
{
	struct path_ctx p = { .path = path, .len = len };

	return for_each_camera(ops ? ops : &sys_ops, path_cb, &p);
}
