/* vc_v4l2_dev.h - private to capture/vc_v4l2*.c: the device queries of
 * vc_v4l2_dev.c that the capture code of vc_v4l2.c uses.
 */
#ifndef VC_V4L2_DEV_H
#define VC_V4L2_DEV_H

#include <linux/videodev2.h>
#include <stdint.h>

#include "vc_v4l2.h"

#define VC_V4L2_MAX_DIM 8192
#define VC_V4L2_MAX_ENUM 256    /* cap on every enumeration loop */

/* NULL ops in vc_v4l2.h: libv4l2 and poll(). */
extern const struct vc_v4l2_ops vc_v4l2_sys_ops;

/* ops->ioctl, retried on EINTR. */
int vc_v4l2_xioctl(const struct vc_v4l2_ops *ops, int fd, unsigned long req, void *arg);
/* Printable fourcc (the big-endian flag dropped, '?' for the unprintable). */
void vc_v4l2_fourcc_str(uint32_t f, char out[5]);
/* VIDIOC_QUERYCAP into cap; *caps = the node's capabilities (device_caps
 * when the driver reports them).  0, or -1 with errno. */
int vc_v4l2_query_caps(const struct vc_v4l2_ops *ops, int fd, struct v4l2_capability *cap,
		       uint32_t *caps);
/* The size to ask S_FMT for, among the sizes of every format the device
 * enumerates: exact, else the smallest >= requested, else the largest (the
 * requested size when nothing is enumerated). */
void vc_v4l2_choose_size(const struct vc_v4l2_ops *ops, int fd, int req_w, int req_h, int *w,
			 int *h);
/* The frame interval to ask S_PARM for: the offered I420 interval at w x h
 * whose rate is closest to fps (ties to the faster), else 1/fps. */
struct v4l2_fract vc_v4l2_choose_interval(const struct vc_v4l2_ops *ops, int fd, int w, int h,
					  int fps);

#endif
