/* vc_drift.h - clock drift between a remote media clock and ours.
 *
 * The caller feeds, about once a second, the transit of the fastest recent
 * packet of a stream (arrival time minus RTP time, both in microseconds:
 * vc_jb's reference).  Queueing makes single transits noisy, but the
 * fastest packet of a window is a clean sample of "network floor + clock
 * offset", and a sender whose media clock runs fast by e makes that offset
 * fall by e seconds every second.  The estimate is a robust slope of the
 * last VC_DRIFT_POINTS samples, the median of the slopes between each
 * sample and the one half the window later (a jitter burst that bends the
 * fastest transit for a few seconds moves only a few of them):
 *
 *   drift_ppm = -slope * 1e6   (> 0: the sender's media clock is fast)
 *
 * It is given only once the samples span min_span_s (noise on a 1 ms
 * floor over 30 s is a few ppm).  A step larger than step_us between two
 * samples (a route change, a restarted sender) starts the fit again.
 *
 * What it does not see: the playout device's own clock against ours.  On
 * a clock-paced sink there is none; on a sound card the buffer-level loop
 * absorbs it (see docs/TIMING.md).
 *
 * Threading: not thread-safe, one owner.  No allocation (a plain struct).
 */
#ifndef VC_DRIFT_H
#define VC_DRIFT_H

#include <stdbool.h>
#include <stdint.h>

#define VC_DRIFT_POINTS 120

struct vc_drift {
	double t_s[VC_DRIFT_POINTS];
	double v_ms[VC_DRIFT_POINTS];
	unsigned head, len;
	double min_span_s;
	double step_ms;
	int64_t last_us;
	bool have_last;
	uint64_t restarts;
};

/* min_span_s: seconds of samples needed before an estimate (e.g. 20);
 * step_ms: a jump this large restarts the fit (e.g. 50). */
void vc_drift_init(struct vc_drift *d, double min_span_s, double step_ms);
void vc_drift_reset(struct vc_drift *d);
/* One sample: now_us on our clock, transit_us of the fastest packet. */
void vc_drift_sample(struct vc_drift *d, uint64_t now_us, int64_t transit_us);
/* True with *ppm set once the samples span min_span_s. */
bool vc_drift_ppm(const struct vc_drift *d, double *ppm);

#endif
