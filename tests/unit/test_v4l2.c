/* test_v4l2.c - vc_v4l2 against an emulated camera (fake_v4l2.c), plus the
 * real libv4l2 ops on a node that does not exist.
 *
 * Every case ends with check_clean(): the backend never misused the API
 * (the fake counts EINVAL/EBUSY-class misuse), closed every fd and
 * unmapped every buffer.
 */
#include <errno.h>
#include <linux/videodev2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_v4l2.c"
#include "vc_clock.h"
#include "vc_frame.h"
#include "vc_test.h"
#include "vc_v4l2.h"

static struct fake_v4l2 dev;
static struct vc_v4l2_ops ops;

static void setup(const char *path)
{
	fake_v4l2_init(&dev, path);
	ops = fake_v4l2_ops(&dev);
}

static void check_clean(void)
{
	CHECK_EQ(dev.misuse, 0);
	if (dev.misuse)
		fprintf(stderr, "  last misuse: %s\n", dev.why);
	CHECK_EQ(dev.opens, dev.closes);
	CHECK_EQ(dev.mapped_now, 0);
	CHECK_EQ(dev.live_bytes, 0);
	fake_v4l2_reset(&dev);
}

static int open_cam(struct vc_v4l2 **v, int w, int h, int fps, const struct vc_clock *clk,
		    char *err, size_t errlen)
{
	struct vc_v4l2_cfg cfg = {
		.path = dev.path, .width = w, .height = h, .fps = fps, .clock = clk, .ops = &ops,
	};
	err[0] = '\0';
	return vc_v4l2_open(v, &cfg, err, errlen);
}

/* Read until a frame arrives (the fake never needs more than a few tries). */
static int read_frame(struct vc_v4l2 *v, struct vc_frame *f)
{
	int rc = 0;

	for (int i = 0; i < 4 && rc == 0; i++)
		rc = vc_v4l2_read(v, f, 100);
	return rc;
}

static void test_negotiate_exact(void)
{
	struct vc_v4l2 *v = NULL;
	char err[256];

	setup("/dev/video0");
	CHECK_EQ(open_cam(&v, 1280, 720, 30, NULL, err, sizeof(err)), 0);
	CHECK(v != NULL);
	if (v) {
		CHECK_EQ(vc_v4l2_width(v), 1280);
		CHECK_EQ(vc_v4l2_height(v), 720);
		CHECK_EQ(vc_v4l2_fps(v), 30);
		CHECK_EQ(dev.width, 1280);
		CHECK_EQ(dev.pixfmt, V4L2_PIX_FMT_YUV420);
		CHECK(dev.streaming);
		CHECK_EQ(fake_v4l2_queued(&dev), VC_V4L2_BUFFERS);
		CHECK_EQ(dev.sparms, 1);
	}
	vc_v4l2_close(v);
	CHECK(!dev.streaming);
	CHECK_EQ(dev.nbufs, 0);
	check_clean();

	/* 320x240 at 12 fps: the nearest offered rate is 15 */
	setup("/dev/video0");
	v = NULL;
	CHECK_EQ(open_cam(&v, 320, 240, 12, NULL, err, sizeof(err)), 0);
	if (v) {
		CHECK_EQ(vc_v4l2_width(v), 320);
		CHECK_EQ(vc_v4l2_height(v), 240);
		CHECK_EQ(vc_v4l2_fps(v), 15);
		CHECK_EQ(dev.tpf_den, 15);
		/* asked for an enumerated interval, not just 1/12 */
		CHECK_EQ(dev.sparm_asked.numerator, 1);
		CHECK_EQ(dev.sparm_asked.denominator, 15);
	}
	vc_v4l2_close(v);
	check_clean();

	/* S_PARM refused: keep going at the requested rate */
	setup("/dev/video0");
	dev.sparm_fails = 1;
	v = NULL;
	CHECK_EQ(open_cam(&v, 640, 480, 25, NULL, err, sizeof(err)), 0);
	if (v)
		CHECK_EQ(vc_v4l2_fps(v), 25);
	vc_v4l2_close(v);
	check_clean();
}

static void expect_size(int rw, int rh, int ew, int eh)
{
	struct vc_v4l2 *v = NULL;
	char err[256];

	CHECK_EQ(open_cam(&v, rw, rh, 30, NULL, err, sizeof(err)), 0);
	if (!v) {
		fprintf(stderr, "  %dx%d: %s\n", rw, rh, err);
		return;
	}
	if (vc_v4l2_width(v) != ew || vc_v4l2_height(v) != eh)
		fprintf(stderr, "  asked %dx%d: got %dx%d, want %dx%d\n", rw, rh, vc_v4l2_width(v),
			vc_v4l2_height(v), ew, eh);
	CHECK_EQ(vc_v4l2_width(v), ew);
	CHECK_EQ(vc_v4l2_height(v), eh);
	vc_v4l2_close(v);
}

static void test_negotiate_closest(void)
{
	struct vc_v4l2 *v = NULL;
	char err[256];

	setup("/dev/video0");
	expect_size(800, 600, 1280, 720);  /* smallest that is >= requested */
	expect_size(300, 200, 320, 240);
	expect_size(640, 360, 640, 480);
	expect_size(1920, 1080, 1280, 720); /* nothing big enough: the largest */
	expect_size(160, 120, 320, 240);
	check_clean();

	/* a driver's S_FMT would snap 800x600 to 640x480 (nearest); we must ask
	 * for the enumerated 1280x720 instead: the order of sizes must not matter */
	setup("/dev/video0");
	dev.sizes[0].w = 1280; dev.sizes[0].h = 720;
	dev.sizes[1].w = 640;  dev.sizes[1].h = 480;
	dev.sizes[2].w = 1024; dev.sizes[2].h = 768;
	expect_size(800, 600, 1024, 768);
	expect_size(1024, 576, 1024, 768);
	check_clean();

	/* stepwise 160x120 .. 1920x1080 in 16x8 steps */
	setup("/dev/video0");
	dev.stepwise = 1;
	dev.sw_min_w = 160; dev.sw_max_w = 1920; dev.sw_step_w = 16;
	dev.sw_min_h = 120; dev.sw_max_h = 1080; dev.sw_step_h = 8;
	dev.fps_list[0] = 0;                 /* no ENUM_FRAMEINTERVALS either */
	expect_size(640, 480, 640, 480);     /* on the grid */
	expect_size(650, 490, 656, 496);     /* rounded up onto the grid */
	expect_size(100, 100, 160, 120);     /* below the minimum */
	expect_size(4000, 3000, 1920, 1080); /* above the maximum */
	check_clean();

	/* odd requests are refused before touching the device */
	setup("/dev/video0");
	CHECK_EQ(open_cam(&v, 641, 480, 30, NULL, err, sizeof(err)), -EINVAL);
	CHECK(v == NULL);
	CHECK(strstr(err, "641x480") != NULL);
	CHECK_EQ(dev.opens, 0);
	/* and so is an odd size the driver insists on */
	dev.sizes[0].w = 642; dev.sizes[0].h = 481;
	dev.nsizes = 1;
	CHECK_EQ(open_cam(&v, 640, 480, 30, NULL, err, sizeof(err)), -EINVAL);
	CHECK(v == NULL);
	CHECK(strstr(err, "642x481") != NULL);
	check_clean();
}

static int check_pattern(const struct vc_frame *f, uint32_t seq)
{
	int bad = 0;

	for (int p = 0; p < 3; p++) {
		int w = p ? f->width / 2 : f->width, h = p ? f->height / 2 : f->height;
		for (int y = 0; y < h; y++)
			for (int x = 0; x < w; x++) {
				uint8_t got = f->plane[p][(size_t)y * (size_t)f->stride[p] + (size_t)x];
				uint8_t want = fake_v4l2_pixel(seq, p, x, y);
				if (got != want && bad++ < 3)
					fprintf(stderr, "  plane %d (%d,%d): %u, want %u\n", p, x, y,
						got, want);
			}
	}
	return bad;
}

static void stride_case(int w, int h, int pad)
{
	struct vc_v4l2 *v = NULL;
	struct vc_frame f;
	char err[256];

	setup("/dev/video0");
	dev.sizes[0].w = w;
	dev.sizes[0].h = h;
	dev.nsizes = 1;
	dev.pad = pad;
	CHECK_EQ(open_cam(&v, w, h, 30, NULL, err, sizeof(err)), 0);
	if (!v) {
		fprintf(stderr, "  %s\n", err);
		check_clean();
		return;
	}
	CHECK_EQ(dev.bpl, w + pad);
	CHECK_EQ(vc_frame_alloc(&f, w, h), 0);
	for (int i = 0; i < 3; i++) {
		memset(f.mem, 0, vc_i420_size(w, h));
		CHECK_EQ(read_frame(v, &f), 1);
		CHECK_EQ(check_pattern(&f, dev.last_seq), 0);
	}
	vc_frame_free(&f);
	vc_v4l2_close(v);
	check_clean();
}

static void test_stride_copy(void)
{
	struct vc_v4l2 *v = NULL;
	struct vc_frame f;
	char err[256];

	stride_case(320, 240, 0);
	stride_case(320, 240, 64);  /* padded lines */
	stride_case(176, 144, 16);  /* chroma pitch 96 for 88 visible */
	stride_case(64, 48, 2);     /* pad of one chroma byte */

	/* the pitch changes at S_PARM (libv4l2 picking another source for the
	 * rate): buffers are sized and copied with the final format */
	setup("/dev/video0");
	dev.sparm_repad = 1;
	dev.sparm_pad = 128;
	CHECK_EQ(open_cam(&v, 320, 240, 30, NULL, err, sizeof(err)), 0);
	CHECK_EQ(vc_frame_alloc(&f, 320, 240), 0);
	CHECK_EQ(dev.bpl, 448);
	if (v) {
		CHECK_EQ(read_frame(v, &f), 1);
		CHECK_EQ(check_pattern(&f, dev.last_seq), 0);
	}
	vc_frame_free(&f);
	vc_v4l2_close(v);
	check_clean();
}

static void test_timestamps(void)
{
	struct vc_v4l2 *v = NULL;
	struct vc_clock clk;
	struct vc_frame f;
	char err[256];

	/* fake clock: capture = clock_now - (monotonic_now - ts) */
	setup("/dev/video0");
	dev.ts_age_us = 20000;
	vc_clock_fake_init(&clk, 5000000000ull);
	CHECK_EQ(open_cam(&v, 640, 480, 30, &clk, err, sizeof(err)), 0);
	CHECK_EQ(vc_frame_alloc(&f, 640, 480), 0);
	if (v) {
		CHECK_EQ(read_frame(v, &f), 1);
		CHECK(f.capture_us <= 5000000000ull - 20000);
		CHECK(f.capture_us > 5000000000ull - 20000 - 200000);
		CHECK_EQ(f.index, 0);
		/* the clock moves: so does the mapping */
		vc_clock_fake_advance(&clk, 1000000);
		dev.ts_age_us = 5000;
		CHECK_EQ(read_frame(v, &f), 1);
		CHECK(f.capture_us <= 5001000000ull - 5000);
		CHECK(f.capture_us > 5001000000ull - 5000 - 200000);
		CHECK_EQ(f.index, 1);
		/* no MONOTONIC flag: the dequeue time on the caller's clock */
		dev.no_monotonic = 1;
		CHECK_EQ(read_frame(v, &f), 1);
		CHECK_EQ(f.capture_us, 5001000000ull);
	}
	vc_v4l2_close(v);
	check_clean();

	/* the real clock: the driver's stamp itself */
	setup("/dev/video0");
	dev.ts_age_us = 30000;
	v = NULL;
	CHECK_EQ(open_cam(&v, 640, 480, 30, NULL, err, sizeof(err)), 0);
	if (v) {
		uint64_t before = vc_monotonic_us();
		CHECK_EQ(read_frame(v, &f), 1);
		uint64_t after = vc_monotonic_us();
		CHECK(f.capture_us >= before - 30000);
		CHECK(f.capture_us <= after - 30000);
	}
	vc_frame_free(&f);
	vc_v4l2_close(v);
	check_clean();
}

static void test_streaming_cycles(void)
{
	struct vc_v4l2 *v = NULL;
	struct vc_frame f;
	char err[256];
	int ok = 0, kept = 0, pattern_bad = 0;

	setup("/dev/video0");
	CHECK_EQ(open_cam(&v, 320, 240, 30, NULL, err, sizeof(err)), 0);
	CHECK_EQ(vc_frame_alloc(&f, 320, 240), 0);
	if (!v) {
		vc_frame_free(&f);
		check_clean();
		return;
	}
	CHECK_EQ(dev.nbufs, VC_V4L2_BUFFERS);
	for (int i = 0; i < 100; i++) {
		if (vc_v4l2_read(v, &f, 100) == 1 && f.index == (uint32_t)i)
			ok++;
		if (fake_v4l2_queued(&dev) == dev.nbufs)
			kept++;
		if (i % 25 == 0)
			pattern_bad += check_pattern(&f, dev.last_seq);
	}
	CHECK_EQ(ok, 100);
	CHECK_EQ(kept, 100); /* every buffer back in the driver after every read */
	CHECK_EQ(pattern_bad, 0);
	CHECK_EQ(dev.dqbufs, 100);
	CHECK_EQ(dev.qbufs, 100 + VC_V4L2_BUFFERS);
	CHECK_EQ(dev.last_seq, 99);

	/* a spurious wake-up (DQBUF says EAGAIN) is a timeout, not an error */
	dev.eagain_next = 1;
	CHECK_EQ(vc_v4l2_read(v, &f, 100), 0);
	CHECK_EQ(vc_v4l2_read(v, &f, 100), 1);
	CHECK_EQ(fake_v4l2_queued(&dev), dev.nbufs);

	/* a frame of the wrong size is the caller's bug */
	struct vc_frame small;
	CHECK_EQ(vc_frame_alloc(&small, 160, 120), 0);
	CHECK_EQ(vc_v4l2_read(v, &small, 100), -EINVAL);
	vc_frame_free(&small);
	CHECK_EQ(fake_v4l2_queued(&dev), dev.nbufs);

	vc_frame_free(&f);
	vc_v4l2_close(v);
	check_clean();

	/* a driver that grants only 2 buffers still cycles */
	setup("/dev/video0");
	dev.reqbufs_max = 2;
	v = NULL;
	CHECK_EQ(open_cam(&v, 320, 240, 30, NULL, err, sizeof(err)), 0);
	CHECK_EQ(vc_frame_alloc(&f, 320, 240), 0);
	ok = 0;
	for (int i = 0; v && i < 20; i++)
		ok += vc_v4l2_read(v, &f, 100) == 1;
	CHECK_EQ(ok, 20);
	CHECK_EQ(dev.nbufs, 2);
	CHECK_EQ(fake_v4l2_queued(&dev), 2);
	vc_frame_free(&f);
	vc_v4l2_close(v);
	check_clean();
}

static void test_short_buffer_dropped(void)
{
	struct vc_v4l2 *v = NULL;
	struct vc_frame f;
	char err[256];

	setup("/dev/video0");
	dev.pad = 32;
	CHECK_EQ(open_cam(&v, 640, 480, 30, NULL, err, sizeof(err)), 0);
	CHECK_EQ(vc_frame_alloc(&f, 640, 480), 0);
	if (v) {
		memset(f.mem, 0x5a, vc_i420_size(640, 480));
		dev.short_next = 2;
		CHECK_EQ(vc_v4l2_read(v, &f, 100), 0);
		CHECK_EQ(fake_v4l2_queued(&dev), dev.nbufs); /* requeued at once */
		CHECK_EQ(vc_v4l2_read(v, &f, 100), 0);
		CHECK_EQ(f.plane[0][0], 0x5a); /* untouched */
		CHECK_EQ(vc_v4l2_read(v, &f, 100), 1);
		CHECK_EQ(dev.last_seq, 2);
		CHECK_EQ(f.index, 0);
		CHECK_EQ(check_pattern(&f, 2), 0);
		CHECK_EQ(fake_v4l2_queued(&dev), dev.nbufs);
	}
	vc_frame_free(&f);
	vc_v4l2_close(v);
	check_clean();
}

/* poll() that always says "ready", so the loss shows up in DQBUF itself */
static int poll_ready(void *ctx, int fd, int timeout_ms)
{
	return 1;
}

static int ioctl_unplug_at_streamon(void *ctx, int fd, unsigned long req, void *arg)
{
	if (req == VIDIOC_STREAMON)
		fake_v4l2_unplug(ctx);
	return fake_ioctl(ctx, fd, req, arg);
}

static void test_unplug_replug(void)
{
	struct vc_v4l2 *v = NULL;
	struct vc_frame f;
	char err[256];
	int ok = 0;

	setup("/dev/video1");
	CHECK_EQ(open_cam(&v, 640, 480, 30, NULL, err, sizeof(err)), 0);
	CHECK_EQ(vc_frame_alloc(&f, 640, 480), 0);
	for (int i = 0; v && i < 5; i++)
		ok += vc_v4l2_read(v, &f, 100) == 1;
	CHECK_EQ(ok, 5);

	fake_v4l2_unplug(&dev);
	if (v)
		CHECK_EQ(vc_v4l2_read(v, &f, 100), -ENODEV); /* poll reports POLLERR */
	vc_v4l2_close(v); /* STREAMOFF/REQBUFS fail: still unmaps and closes */
	v = NULL;
	CHECK_EQ(dev.mapped_now, 0);
	CHECK_EQ(dev.live_bytes, 0);
	CHECK_EQ(dev.opens, dev.closes);

	/* reopen while unplugged */
	CHECK_EQ(open_cam(&v, 640, 480, 30, NULL, err, sizeof(err)), -ENOENT);
	CHECK(v == NULL);
	CHECK(strcmp(err, "/dev/video1: no such device") == 0);
	if (strcmp(err, "/dev/video1: no such device") != 0)
		fprintf(stderr, "  err: %s\n", err);

	/* back again: streams from the start */
	fake_v4l2_replug(&dev);
	CHECK_EQ(open_cam(&v, 640, 480, 30, NULL, err, sizeof(err)), 0);
	ok = 0;
	for (int i = 0; v && i < 10; i++)
		ok += vc_v4l2_read(v, &f, 100) == 1;
	CHECK_EQ(ok, 10);
	CHECK_EQ(fake_v4l2_queued(&dev), dev.nbufs);
	if (v)
		CHECK_EQ(check_pattern(&f, dev.last_seq), 0);

	/* the loss seen by DQBUF rather than poll; EIO counts as gone too */
	ops.poll = poll_ready;
	dev.dqbuf_errno = EIO;
	if (v)
		CHECK_EQ(vc_v4l2_read(v, &f, 100), -ENODEV);
	if (v)
		CHECK_EQ(vc_v4l2_read(v, &f, 100), 1); /* that buffer stays with the driver */
	CHECK_EQ(fake_v4l2_queued(&dev), dev.nbufs);
	fake_v4l2_unplug(&dev);
	if (v)
		CHECK_EQ(vc_v4l2_read(v, &f, 100), -ENODEV);
	vc_v4l2_close(v);
	vc_frame_free(&f);
	check_clean();

	/* unplugged half way through opening (buffers mapped, STREAMON fails):
	 * open fails with -ENODEV and gives everything back */
	setup("/dev/video1");
	vc_v4l2_close(NULL);
	ops.ioctl = ioctl_unplug_at_streamon;
	v = NULL;
	CHECK_EQ(open_cam(&v, 640, 480, 30, NULL, err, sizeof(err)), -ENODEV);
	CHECK(v == NULL);
	CHECK(strstr(err, "/dev/video1: device vanished") == err);
	check_clean();
}

static void test_not_a_camera(void)
{
	struct vc_v4l2 *v = NULL;
	char err[256];

	setup("/dev/video0");
	dev.caps = V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_READWRITE; /* read() only */
	CHECK_EQ(open_cam(&v, 640, 480, 30, NULL, err, sizeof(err)), -EINVAL);
	CHECK(v == NULL);
	CHECK(strcmp(err, "/dev/video0: no streaming I/O support") == 0);
	check_clean();

	setup("/dev/video0");
	dev.caps = V4L2_CAP_VIDEO_OUTPUT | V4L2_CAP_STREAMING;
	CHECK_EQ(open_cam(&v, 640, 480, 30, NULL, err, sizeof(err)), -EINVAL);
	CHECK(strcmp(err, "/dev/video0: not a video capture device") == 0);
	check_clean();

	setup("/dev/video0");
	dev.caps = V4L2_CAP_VIDEO_CAPTURE_MPLANE | V4L2_CAP_STREAMING;
	CHECK_EQ(open_cam(&v, 640, 480, 30, NULL, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "not a video capture device (multi-planar only)") != NULL);
	check_clean();

	/* a metadata node of a capture device: device_caps decide, not capabilities */
	setup("/dev/video0");
	snprintf(dev.meta_path, sizeof(dev.meta_path), "/dev/video1");
	struct vc_v4l2_cfg cfg = { .path = "/dev/video1", .width = 640, .height = 480, .fps = 30,
				   .ops = &ops };
	CHECK_EQ(vc_v4l2_open(&v, &cfg, err, sizeof(err)), -EINVAL);
	CHECK(strcmp(err, "/dev/video1: not a video capture device") == 0);
	check_clean();

	/* libv4l2 cannot convert: S_FMT answers YUYV */
	setup("/dev/video0");
	dev.emulate_yuv420 = 0;
	dev.nformats = 1;
	CHECK_EQ(open_cam(&v, 640, 480, 30, NULL, err, sizeof(err)), -EINVAL);
	CHECK(v == NULL);
	CHECK(strcmp(err, "/dev/video0: cannot provide 4:2:0 (got 'YUYV')") == 0);
	if (strcmp(err, "/dev/video0: cannot provide 4:2:0 (got 'YUYV')") != 0)
		fprintf(stderr, "  err: %s\n", err);
	CHECK_EQ(dev.nbufs, 0);
	check_clean();

	/* a native I420 camera (no emulation) works directly */
	setup("/dev/video0");
	dev.emulate_yuv420 = 0;
	dev.formats[0] = V4L2_PIX_FMT_YUV420;
	dev.nformats = 1;
	CHECK_EQ(open_cam(&v, 640, 480, 30, NULL, err, sizeof(err)), 0);
	vc_v4l2_close(v);
	check_clean();
}

/* The fake itself must catch misuse, or check_clean() proves nothing. */
static void test_fake_catches_misuse(void)
{
	struct v4l2_buffer b;
	struct v4l2_requestbuffers rb;
	struct v4l2_format fmt;
	int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;

	setup("/dev/video0");
	int fd = ops.open(ops.ctx, "/dev/video0", O_RDWR | O_NONBLOCK);
	CHECK(fd >= 0);
	memset(&fmt, 0, sizeof(fmt));
	fmt.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	fmt.fmt.pix.width = 640;
	fmt.fmt.pix.height = 480;
	fmt.fmt.pix.pixelformat = V4L2_PIX_FMT_YUV420;
	CHECK_EQ(ops.ioctl(ops.ctx, fd, VIDIOC_S_FMT, &fmt), 0);
	memset(&rb, 0, sizeof(rb));
	rb.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	rb.memory = V4L2_MEMORY_MMAP;
	rb.count = 4;
	CHECK_EQ(ops.ioctl(ops.ctx, fd, VIDIOC_REQBUFS, &rb), 0);
	memset(&b, 0, sizeof(b));
	b.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	b.memory = V4L2_MEMORY_MMAP;
	CHECK_EQ(ops.ioctl(ops.ctx, fd, VIDIOC_DQBUF, &b), -1); /* before STREAMON */
	CHECK_EQ(errno, EINVAL);
	CHECK_EQ(dev.misuse, 1);
	b.index = 7;
	CHECK_EQ(ops.ioctl(ops.ctx, fd, VIDIOC_QBUF, &b), -1); /* unknown index */
	CHECK_EQ(dev.misuse, 2);
	b.index = 1;
	CHECK_EQ(ops.ioctl(ops.ctx, fd, VIDIOC_QBUF, &b), 0);
	CHECK_EQ(ops.ioctl(ops.ctx, fd, VIDIOC_QBUF, &b), -1); /* queued twice */
	CHECK_EQ(dev.misuse, 3);
	CHECK_EQ(ops.ioctl(ops.ctx, fd, VIDIOC_STREAMON, &type), 0);
	CHECK_EQ(ops.ioctl(ops.ctx, fd, VIDIOC_REQBUFS, &rb), -1); /* while streaming */
	CHECK_EQ(errno, EBUSY);
	CHECK_EQ(dev.misuse, 4);
	b.index = 0;
	CHECK_EQ(ops.ioctl(ops.ctx, fd, VIDIOC_DQBUF, &b), 0);
	CHECK_EQ(b.index, 1); /* only what was queued comes back */
	CHECK(b.flags & V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC);
	CHECK_EQ(ops.ioctl(ops.ctx, fd, VIDIOC_DQBUF, &b), -1);
	CHECK_EQ(errno, EAGAIN);
	CHECK(ops.mmap(ops.ctx, NULL, 4096, PROT_READ, MAP_SHARED, fd, 12345) == MAP_FAILED);
	CHECK_EQ(dev.misuse, 5);
	CHECK_EQ(ops.close(ops.ctx, fd), 0);
	CHECK_EQ(dev.live_bytes, 0);
	dev.misuse = 0;
	check_clean();
}

static void test_list(void)
{
	char *buf = NULL;
	size_t len = 0;
	char path[64] = "";

	setup("/dev/video2");
	snprintf(dev.meta_path, sizeof(dev.meta_path), "/dev/video3");
	FILE *fp = open_memstream(&buf, &len);
	CHECK(fp != NULL);
	if (!fp)
		return;
	CHECK_EQ(vc_v4l2_list(fp, &ops), 1);
	fclose(fp);
	CHECK(strstr(buf, "/dev/video2: Fake Cam 3000 (fakecam): YUYV 640x480 320x240 1280x720, "
			  "MJPG 640x480 320x240 1280x720\n") != NULL);
	CHECK(strstr(buf, "Fake Cam 3000") != NULL);
	CHECK(strstr(buf, "1280x720") != NULL);
	CHECK(strstr(buf, "YU12") == NULL);       /* libv4l2's emulated formats hidden */
	CHECK(strstr(buf, "/dev/video3") == NULL); /* metadata node skipped */
	if (!strstr(buf, "Fake Cam 3000 (fakecam): YUYV 640x480"))
		fprintf(stderr, "  list: %s", buf);
	free(buf);

	CHECK_EQ(vc_v4l2_default_path(path, sizeof(path), &ops), 1);
	CHECK(strcmp(path, "/dev/video2") == 0);
	check_clean();

	/* many sizes are capped; stepwise shows its range */
	setup("/dev/video0");
	dev.nsizes = FAKE_V4L2_MAX_SIZES;
	for (int i = 0; i < dev.nsizes; i++) {
		dev.sizes[i].w = 160 + 16 * i;
		dev.sizes[i].h = 120 + 8 * i;
	}
	buf = NULL;
	fp = open_memstream(&buf, &len);
	if (!fp)
		return;
	CHECK_EQ(vc_v4l2_list(fp, &ops), 1);
	fclose(fp);
	CHECK(strstr(buf, " ...") != NULL);
	CHECK(strstr(buf, "400x240") == NULL); /* size 16 not shown */
	CHECK(strchr(buf, '\n') == buf + strlen(buf) - 1); /* one line */
	free(buf);
	check_clean();

	setup("/dev/video0");
	dev.stepwise = 1;
	dev.sw_min_w = 160; dev.sw_max_w = 1920; dev.sw_step_w = 16;
	dev.sw_min_h = 120; dev.sw_max_h = 1080; dev.sw_step_h = 8;
	buf = NULL;
	fp = open_memstream(&buf, &len);
	if (!fp)
		return;
	CHECK_EQ(vc_v4l2_list(fp, &ops), 1);
	fclose(fp);
	CHECK(strstr(buf, "YUYV 160x120-1920x1080") != NULL);
	free(buf);
	check_clean();

	/* nothing there */
	setup("/dev/video0");
	fake_v4l2_unplug(&dev);
	CHECK_EQ(vc_v4l2_default_path(path, sizeof(path), &ops), 0);
	check_clean();
}

/* The real libv4l2 ops: no camera on this machine, so the open must fail
 * with a clear reason rather than crash. */
static void test_real_ops_no_device(void)
{
	struct vc_v4l2_cfg cfg = { .path = "/dev/video63", .width = 640, .height = 480, .fps = 30 };
	struct vc_v4l2 *v = (struct vc_v4l2 *)&cfg; /* must be reset to NULL */
	char err[256] = "";
	char path[64];
	char *buf = NULL;
	size_t len = 0;

	int rc = vc_v4l2_open(&v, &cfg, err, sizeof(err));
	CHECK(rc == -ENOENT || rc == -ENODEV);
	CHECK(v == NULL);
	CHECK(strcmp(err, "/dev/video63: no such device") == 0);
	if (rc != -ENOENT)
		fprintf(stderr, "  real open: %d %s\n", rc, err);

	FILE *fp = open_memstream(&buf, &len);
	if (!fp)
		return;
	int n = vc_v4l2_list(fp, NULL);
	fclose(fp);
	CHECK(n >= 0);
	/* the default camera exists exactly when --list-devices finds one */
	CHECK_EQ(vc_v4l2_default_path(path, sizeof(path), NULL), n > 0);
	free(buf);
}

int main(void)
{
	RUN(test_fake_catches_misuse);
	RUN(test_negotiate_exact);
	RUN(test_negotiate_closest);
	RUN(test_stride_copy);
	RUN(test_timestamps);
	RUN(test_streaming_cycles);
	RUN(test_short_buffer_dropped);
	RUN(test_unplug_replug);
	RUN(test_not_a_camera);
	RUN(test_list);
	RUN(test_real_ops_no_device);
	return vc_test_summary();
}
