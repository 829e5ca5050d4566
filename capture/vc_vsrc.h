/* vc_vsrc.h - video sources: v4l2[:/dev/videoN], testsrc and file:PATH.y4m.
 *
 * vc_vsrc_read() paces itself: it sleeps on the injected clock's timeline
 * until the next frame is due (1/fps after the previous), then fills the
 * caller's frame and stamps capture_us and index.  A Y4M file plays at its
 * own frame rate and loops.
 * A camera that fails or disappears (ENODEV, EIO, the node gone) does not
 * end the source: it yields placeholder pictures at the frame rate while it
 * reopens the device with backoff (0.25 s doubling to 4 s), and says
 * VC_VSRC_RESUMED on the first real frame after the outage so the caller can
 * send a keyframe.  A camera that comes back at another size stays away.
 * Threading: one owner (the video capture thread).
 */
#ifndef VC_VSRC_H
#define VC_VSRC_H

#include <stddef.h>
#include <stdint.h>

#include "vc_clock.h"
#include "vc_frame.h"
#include "vc_v4l2.h"

/* vc_vsrc_read() results */
#define VC_VSRC_FRAME 1       /* a picture from the source */
#define VC_VSRC_PLACEHOLDER 2 /* the camera is away: a placeholder picture */
#define VC_VSRC_RESUMED 3     /* the first camera picture after an outage */

struct vc_vsrc;

struct vc_vsrc_cfg {
	int width, height, fps;       /* requested; a file source reports its own */
	const struct vc_clock *clock;
	int paced;                    /* 1: sleep to real time (default); 0: as fast as called */
	const struct vc_v4l2_ops *v4l2_ops; /* NULL = libv4l2; tests pass an emulated camera */
};

/* spec: "v4l2" (first camera) | "v4l2:/dev/videoN" | "testsrc" | "file:PATH.y4m".  Returns 0 or -errno with a one-line
 * reason in err. */
int vc_vsrc_open(struct vc_vsrc **out, const char *spec, const struct vc_vsrc_cfg *cfg,
		 char *err, size_t errlen);
void vc_vsrc_close(struct vc_vsrc *s);
int vc_vsrc_width(const struct vc_vsrc *s);
int vc_vsrc_height(const struct vc_vsrc *s);
int vc_vsrc_fps(const struct vc_vsrc *s);
/* Wait for and produce the next frame into f (allocated at the source's
 * size).  Returns VC_VSRC_FRAME, VC_VSRC_PLACEHOLDER, VC_VSRC_RESUMED, 0
 * when a camera delivered nothing in time (call again), or negative on a
 * file error. */
int vc_vsrc_read(struct vc_vsrc *s, struct vc_frame *f);
/* Number of camera outages so far (0 for other sources). */
unsigned vc_vsrc_outages(const struct vc_vsrc *s);

#endif
