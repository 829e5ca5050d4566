/* vc_vsrc.h - video sources: testsrc and file:PATH.y4m (v4l2 comes with the
 * devices issue).
 *
 * vc_vsrc_read() paces itself: it sleeps on the injected clock's timeline
 * until the next frame is due (1/fps after the previous), then fills the
 * caller's frame and stamps capture_us and index.  A Y4M file plays at its
 * own frame rate and loops.
 * Threading: one owner (the video capture thread).
 */
#ifndef VC_VSRC_H
#define VC_VSRC_H

#include <stddef.h>
#include <stdint.h>

#include "vc_clock.h"
#include "vc_frame.h"

struct vc_vsrc;

struct vc_vsrc_cfg {
	int width, height, fps;       /* requested; a file source reports its own */
	const struct vc_clock *clock;
	int paced;                    /* 1: sleep to real time (default); 0: as fast as called */
};

/* spec: "testsrc" | "file:PATH.y4m".  Returns 0 or -errno with a one-line
 * reason in err. */
int vc_vsrc_open(struct vc_vsrc **out, const char *spec, const struct vc_vsrc_cfg *cfg,
		 char *err, size_t errlen);
void vc_vsrc_close(struct vc_vsrc *s);
int vc_vsrc_width(const struct vc_vsrc *s);
int vc_vsrc_height(const struct vc_vsrc *s);
int vc_vsrc_fps(const struct vc_vsrc *s);
/* Wait for and produce the next frame into f (allocated at the source's
 * size).  Returns 1, or negative on error. */
int vc_vsrc_read(struct vc_vsrc *s, struct vc_frame *f);

#endif
