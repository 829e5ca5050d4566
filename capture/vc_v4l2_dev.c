/* vc_v4l2_dev.c - what vc_v4l2.c asks of a camera device before and
 * around streaming (see vc_v4l2.h, vc_v4l2_dev.h): the default ops
 * (libv4l2 and poll()), ioctl with EINTR retry, capabilities, the size and
 * frame interval to ask for among those the device enumerates, and
 * discovery (--list-devices, the default camera).  Every device call goes
 * through struct vc_v4l2_ops, as in vc_v4l2.c.
 */
#include "vc_v4l2.h"
#include "vc_v4l2_dev.h"

#include <errno.h>
#include <fcntl.h>
#include <libv4l2.h>
#include <poll.h>
#include <string.h>

#define VC_V4L2_SCAN 64         /* /dev/video0 .. 63 */
#define VC_V4L2_LIST_FMTS 8     /* formats per --list-devices line */
#define VC_V4L2_LIST_SIZES 12   /* sizes per format on that line */

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

const struct vc_v4l2_ops vc_v4l2_sys_ops = {
	.open = sys_open, .close = sys_close, .ioctl = sys_ioctl,
	.mmap = sys_mmap, .munmap = sys_munmap, .poll = sys_poll, .ctx = NULL,
};

/* ---- helpers ---- */

int vc_v4l2_xioctl(const struct vc_v4l2_ops *ops, int fd, unsigned long req, void *arg)
{
	int r;

	do {
		r = ops->ioctl(ops->ctx, fd, req, arg);
	} while (r < 0 && errno == EINTR);
	return r;
}

void vc_v4l2_fourcc_str(uint32_t f, char out[5])
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

/* Capabilities of this node (device_caps when the driver reports them). */
int vc_v4l2_query_caps(const struct vc_v4l2_ops *ops, int fd, struct v4l2_capability *cap,
		       uint32_t *caps)
{
	memset(cap, 0, sizeof(*cap));
	if (vc_v4l2_xioctl(ops, fd, VIDIOC_QUERYCAP, cap) < 0)
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
		if (vc_v4l2_xioctl(ops, fd, VIDIOC_ENUM_FRAMESIZES, &fs) < 0)
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
void vc_v4l2_choose_size(const struct vc_v4l2_ops *ops, int fd, int req_w, int req_h, int *w,
			 int *h)
{
	struct size_pick p = { .req_w = req_w, .req_h = req_h };

	for (uint32_t i = 0; i < VC_V4L2_MAX_ENUM; i++) {
		struct v4l2_fmtdesc fd_;

		memset(&fd_, 0, sizeof(fd_));
		fd_.index = i;
		fd_.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
		if (vc_v4l2_xioctl(ops, fd, VIDIOC_ENUM_FMT, &fd_) < 0)
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
struct v4l2_fract vc_v4l2_choose_interval(const struct vc_v4l2_ops *ops, int fd, int w, int h,
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
		if (vc_v4l2_xioctl(ops, fd, VIDIOC_ENUM_FRAMEINTERVALS, &fi) < 0)
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

/* ---- discovery ---- */

static int is_capture_node(const struct vc_v4l2_ops *ops, int fd, struct v4l2_capability *cap)
{
	uint32_t caps;

	if (vc_v4l2_query_caps(ops, fd, cap, &caps) < 0)
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
		if (vc_v4l2_xioctl(ops, fd, VIDIOC_ENUM_FRAMESIZES, &fs) < 0)
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
		if (vc_v4l2_xioctl(ops, fd, VIDIOC_ENUM_FMT, &d) < 0)
			break;
		if (d.flags & V4L2_FMT_FLAG_EMULATED)
			continue; /* libv4l2's conversions: show what the camera sends */
		if (shown == VC_V4L2_LIST_FMTS) {
			fputs(", ...", fp);
			break;
		}
		vc_v4l2_fourcc_str(d.pixelformat, cc);
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

	for_each_camera(ops ? ops : &vc_v4l2_sys_ops, list_cb, &l);
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

	return for_each_camera(ops ? ops : &vc_v4l2_sys_ops, path_cb, &p);
}
