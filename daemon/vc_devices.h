/* vc_devices.h - which devices a call uses, and the fallbacks.
 *
 * A default device that is missing or unusable is not an error: one line
 * on stderr and the call falls back (camera -> testsrc, microphone -> tone,
 * speakers -> null, window -> null).  A device asked for by name must
 * work.  Reopening a device that fails mid-call is the sources' and sinks'
 * own business (vc_vsrc, vc_asrc, vc_sink back off and retry).
 *
 * Threading: called on the main thread before the call starts (the window
 * must be opened on the thread that will drive it).
 */
#ifndef VC_DEVICES_H
#define VC_DEVICES_H

#include <stddef.h>

#include "vc_asrc.h"
#include "vc_clock.h"
#include "vc_log.h"
#include "vc_opts.h"
#include "vc_sink.h"
#include "vc_vsrc.h"
#include "vc_window.h"

struct vc_devices {
	struct vc_vsrc *vsrc;    /* NULL: --video-source none */
	struct vc_asrc *asrc;    /* NULL: --audio-source none */
	struct vc_vsink *vsink;
	struct vc_asink *asink;
	struct vc_window *win;   /* NULL: no window */
	int width, height, fps;  /* what is sent */
};

/* Open everything the options ask for.  Returns 0, or -1 with a one-line
 * reason in err (what was opened is closed again). */
int vc_devices_open(struct vc_devices *d, const struct vc_opts *o, const struct vc_clock *clk,
		    struct vc_log *log, const char *title, char *err, size_t errlen);
/* Complete and close the sinks; -1 when a file could not be completed. */
int vc_devices_close_sinks(struct vc_devices *d);
void vc_devices_close(struct vc_devices *d);

#endif
