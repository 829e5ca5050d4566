/* fake_v4l2.h - an emulated V4L2 camera behind struct vc_v4l2_ops.
 *
 * A state machine with the kernel's rules for the ioctls vc_v4l2 uses
 * (QUERYCAP, ENUM_FMT/FRAMESIZES/FRAMEINTERVALS, S_FMT/G_FMT, S_PARM,
 * REQBUFS, QUERYBUF, QBUF, DQBUF, STREAMON/OFF), mmap backed by malloc'd
 * buffers, and an unplug switch.  Misuse (DQBUF before STREAMON, QBUF of a
 * queued or unknown buffer, REQBUFS while streaming or mapped, a bad mmap
 * offset, ...) fails with EINVAL/EBUSY like the kernel and is counted in
 * `misuse` (with the last reason in `why`) so tests can assert on it.
 *
 * Frames are painted at DQBUF time with fake_v4l2_pixel(); padding bytes
 * beyond the visible width are FAKE_V4L2_PAD_BYTE.
 * Single-threaded.  Include fake_v4l2.c into the one test that uses it.
 */
#ifndef FAKE_V4L2_H
#define FAKE_V4L2_H

#include <stddef.h>
#include <stdint.h>

#include <linux/videodev2.h>

#include "vc_v4l2.h"

#define FAKE_V4L2_MAX_SIZES 16
#define FAKE_V4L2_MAX_FMTS 8
#define FAKE_V4L2_MAX_BUFS 8
#define FAKE_V4L2_MAX_FDS 8
#define FAKE_V4L2_PAD_BYTE 0xEE

struct fake_v4l2_buf {
	uint8_t *mem;
	size_t len;
	int queued;
	int mapped;
	int orphan; /* freed by REQBUFS/close while mapped: free on munmap */
};

struct fake_v4l2 {
	/* --- configuration (set before use) --- */
	char path[32];        /* the camera node, e.g. "/dev/video2" */
	char meta_path[32];   /* optional metadata-only node ("" = none) */
	char card[32];
	char driver[16];
	uint32_t caps;        /* device_caps of the camera node */
	uint32_t formats[FAKE_V4L2_MAX_FMTS]; /* native formats */
	int nformats;
	int emulate_yuv420;   /* libv4l2 conversion: YU12 listed (EMULATED) and accepted */
	struct { int w, h; } sizes[FAKE_V4L2_MAX_SIZES]; /* discrete sizes */
	int nsizes;
	int stepwise;         /* use sw instead of sizes */
	int sw_min_w, sw_max_w, sw_step_w, sw_min_h, sw_max_h, sw_step_h;
	int fps_list[4];      /* discrete rates offered (0-terminated; none = ENOTTY) */
	int pad;              /* bytesperline = width + pad */
	int sparm_fails;      /* S_PARM returns EINVAL */
	int sparm_repad;      /* S_PARM renegotiates (like libv4l2 switching source): pad = sparm_pad */
	int sparm_pad;
	int no_monotonic;     /* timestamps flagged UNKNOWN instead of MONOTONIC */
	uint64_t ts_age_us;   /* timestamp = CLOCK_MONOTONIC now - ts_age_us */
	int short_next;       /* next N DQBUFs carry a short bytesused */
	int eagain_next;      /* next N DQBUFs fail with EAGAIN (spurious wake) */
	int dqbuf_errno;      /* next DQBUF fails with this errno (one shot) */
	unsigned reqbufs_max; /* cap on granted buffers (0 = FAKE_V4L2_MAX_BUFS) */

	/* --- state --- */
	int unplugged;
	unsigned generation;  /* bumped at unplug: older fds stay dead */
	struct { int used, meta, nonblock; unsigned gen; } fds[FAKE_V4L2_MAX_FDS];
	int owner;            /* fd slot owning the buffers, -1 none */
	int streaming;
	int width, height, bpl;
	uint32_t pixfmt;
	uint32_t sizeimage;
	struct fake_v4l2_buf bufs[FAKE_V4L2_MAX_BUFS];
	unsigned nbufs;
	unsigned fifo[FAKE_V4L2_MAX_BUFS]; /* queued indices, oldest first */
	unsigned fifo_len;
	uint32_t sequence;    /* next frame's sequence number */
	uint32_t last_seq;    /* sequence of the last frame dequeued */
	int tpf_num, tpf_den; /* current frame interval */
	struct v4l2_fract sparm_asked; /* what the last S_PARM asked for */

	/* --- counters --- */
	int misuse;
	char why[96];
	unsigned opens, closes, dqbufs, qbufs, streamons, streamoffs, sparms, mapped_now;
	size_t live_bytes;    /* buffer memory not yet freed */
};

/* A 640x480/320x240/1280x720 YUYV webcam at `path`, libv4l2 conversion on,
 * 30 and 15 fps. */
void fake_v4l2_init(struct fake_v4l2 *d, const char *path);
/* ops whose ctx is d */
struct vc_v4l2_ops fake_v4l2_ops(struct fake_v4l2 *d);
void fake_v4l2_unplug(struct fake_v4l2 *d);
void fake_v4l2_replug(struct fake_v4l2 *d);
/* Number of buffers currently queued in the driver. */
unsigned fake_v4l2_queued(const struct fake_v4l2 *d);
/* Free whatever the backend leaked (tests check live_bytes first). */
void fake_v4l2_reset(struct fake_v4l2 *d);
/* The pattern painted into frame `seq` at plane p (0 Y, 1 U, 2 V), x, y. */
uint8_t fake_v4l2_pixel(uint32_t seq, int p, int x, int y);

#endif
