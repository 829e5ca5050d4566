/* vc_v4l2.h - camera capture through libv4l2.
 *
 * Negotiation: query capabilities (video capture + streaming required),
 * enumerate formats and frame sizes, pick the best for the requested size
 * and rate (native I420/YU12 first; YUYV, MJPEG or anything else is
 * converted to I420 by libv4l2, which presents it as V4L2_PIX_FMT_YUV420),
 * set the frame interval, mmap streaming with VC_V4L2_BUFFERS buffers.
 * Capture times come from the driver's buffer timestamp (CLOCK_MONOTONIC
 * when the driver says V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC), mapped onto the
 * caller's clock; otherwise the dequeue time.
 *
 * Every system call goes through struct vc_v4l2_ops, so tests run the same
 * negotiation, queueing, streaming and unplug paths against an emulated
 * device.  NULL ops = libv4l2 (v4l2_open, v4l2_ioctl, v4l2_mmap...).
 * Threading: one owner (the video capture thread).
 */
#ifndef VC_V4L2_H
#define VC_V4L2_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "vc_clock.h"
#include "vc_frame.h"

#define VC_V4L2_BUFFERS 4

struct vc_v4l2_ops {
	int (*open)(void *ctx, const char *path, int flags);
	int (*close)(void *ctx, int fd);
	int (*ioctl)(void *ctx, int fd, unsigned long request, void *arg);
	void *(*mmap)(void *ctx, void *addr, size_t len, int prot, int flags, int fd, off_t off);
	int (*munmap)(void *ctx, void *addr, size_t len);
	/* wait until fd is readable or timeout_ms passes: 1 ready, 0 timeout, -1 error (errno) */
	int (*poll)(void *ctx, int fd, int timeout_ms);
	void *ctx;
};

struct vc_v4l2;

struct vc_v4l2_cfg {
	const char *path;             /* NULL = "/dev/video0" */
	int width, height, fps;       /* requested */
	const struct vc_clock *clock;
	const struct vc_v4l2_ops *ops; /* NULL = libv4l2 */
};

/* Open and start streaming.  Returns 0 or -errno (-ENODEV, -ENOENT when
 * there is no such device, -EINVAL when it cannot capture) with a one-line
 * reason in err. */
int vc_v4l2_open(struct vc_v4l2 **out, const struct vc_v4l2_cfg *cfg, char *err, size_t errlen);
void vc_v4l2_close(struct vc_v4l2 *v);
int vc_v4l2_width(const struct vc_v4l2 *v);
int vc_v4l2_height(const struct vc_v4l2 *v);
int vc_v4l2_fps(const struct vc_v4l2 *v);
/* Dequeue the next frame, copy it into f (allocated at the negotiated
 * size) and requeue the buffer.  Waits at most timeout_ms.  Returns 1, 0 on
 * timeout, or -errno: -ENODEV / -EIO / -ENOENT mean the camera is gone
 * (close it and reopen later). */
int vc_v4l2_read(struct vc_v4l2 *v, struct vc_frame *f, int timeout_ms);

/* --list-devices: one line per camera with its formats and sizes, e.g.
 * "/dev/video0: Integrated Camera (uvcvideo): YUYV 640x480 1280x720, MJPG ...".
 * Returns the number of cameras found. */
int vc_v4l2_list(FILE *fp, const struct vc_v4l2_ops *ops);
/* True when a default camera exists (/dev/video0 .. 63 that can capture). */
int vc_v4l2_default_path(char *path, size_t len, const struct vc_v4l2_ops *ops);

#endif
