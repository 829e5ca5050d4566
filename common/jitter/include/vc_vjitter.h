/* vc_vjitter.h - video frame jitter and decode-time estimator.
 *
 * Fed every complete video frame's (RTP timestamp, arrival time of its last
 * packet, size in bytes), it estimates how much delay the frame buffer must
 * add so that frames are complete when they are due.  The model:
 *
 *   d(i)   = (arrival(i) - arrival(i-1)) - (rtp_us(i) - rtp_us(i-1))
 *            the frame delay variation, ms (rtp_us: unwrapped, via vc_seq.h)
 *   dS(i)  = size(i) - size(i-1), bytes
 *   d(i)   = theta0 * dS(i) + theta1 + noise
 *            theta0: ms per byte (1 / bottleneck capacity), so a frame
 *            larger than the previous one arrives later by its extra bytes;
 *            theta1: a slowly moving offset (queue building or draining).
 *   A 2-state Kalman filter tracks theta.  The noise variance is an
 *   exponential average of the squared residual r = d - (theta0 dS + theta1)
 *   over noise_memory_ms of RTP time (an equal-weight average for the first
 *   frames, so the start is quick).
 *   estimate = theta0 * (max_size - avg_size) + 3 * sqrt(noise variance),
 *            clamped to [0, ceiling_ms]: the time a frame as large as the
 *            largest recent one takes longer than an average one, plus the
 *            random part (3 standard deviations of d).
 *
 * Outliers: a residual beyond 4 standard deviations counts into the noise
 * as exactly 4 (so one late frame cannot blow it up, yet a real change
 * raises it by a quarter per frame) and does not move theta.  A frame much
 * larger than average (a keyframe: above twice the average and 3 standard
 * deviations of size) is what teaches theta0, so it always updates the
 * Kalman filter, but it is left out of the noise, and so are the frames
 * behind it that drain the queue it built (d < 0 from the keyframe on,
 * until a frame is not early): the size term already covers them.  A frame
 * smaller than the previous one by more than a quarter of max_size never
 * updates the filter (it most likely sat behind it).  avg_size follows only
 * the frames that are not much larger; max_size decays over a minute.
 *
 * Decode time: the caller also feeds each measured decode duration; the
 * estimate is the 95th percentile of the last decode_window (<= 64) of them.
 *
 * Intended use (video playout):
 *   render_us = rtp_us(ts) + baseline transit (vc_framebuf's fastest frame)
 *               + vc_vjitter_ms() + vc_vjitter_decode_ms() + render margin
 *   i.e. vc_framebuf_set_target_ms(ceil(jitter + decode + margin)).  The
 *   playout thread should then take frames out as soon as they are due
 *   within decode + margin (now + that) and show each at its render_us, so
 *   that only the jitter part is waiting for the network.
 *
 * Input it survives (hostile or broken peers, clock trouble):
 *  - 32-bit timestamp wrap (unwrapped); a timestamp older than or equal to
 *    the last used one (reordered, duplicate) is ignored and counted.
 *  - a timestamp step or an arrival step (either way) of more than reset_ms
 *    restarts the filter: theta, noise and size statistics go back to their
 *    initial state and this frame is the new reference.  (A sender restart
 *    or a long pause says nothing about the network any more.)
 *  - arrival going backwards by less than reset_ms: zero elapsed time.
 *  - size 0 is ignored; a size above max_frame_bytes counts as that.
 *  - every state variable is clamped; a non-finite value restarts the
 *    filter (counted), so the estimate is always a number in [0, ceiling].
 *
 * Threading: not thread-safe; one owner (the video playout thread, which
 * sees every released frame and times its decode).  No allocation after
 * _new; all state is fixed-size.
 */
#ifndef VC_VJITTER_H
#define VC_VJITTER_H

#include <stdint.h>

struct vc_vjitter;

#define VC_VJITTER_DECODE_MAX 64u

/* Zero in any field means "the default". */
struct vc_vjitter_cfg {
	uint32_t clock_rate;      /* RTP clock (default 90000) */
	uint32_t ceiling_ms;      /* estimate ceiling (default 500) */
	uint32_t reset_ms;        /* timestamp/arrival step that restarts (default 2000) */
	uint32_t noise_memory_ms; /* noise averaging time constant (default 1500) */
	uint32_t max_frame_bytes; /* larger sizes are clamped (default 1 MiB) */
	uint32_t decode_window;   /* decode times kept, <= 64 (default 64) */
};

struct vc_vjitter_stats {
	uint64_t frames;     /* frames used as a measurement */
	uint64_t reordered;  /* timestamp older than or equal to the last: ignored */
	uint64_t empty;      /* size 0: ignored */
	uint64_t oversize;   /* size clamped to max_frame_bytes */
	uint64_t clock_back; /* arrival earlier than the previous frame's */
	uint64_t resets;     /* restarts on a timestamp or arrival step */
	uint64_t outliers;   /* residuals clamped to 4 standard deviations */
	uint64_t keyframes;  /* frames taken as much larger than average */
	uint64_t drained;    /* early frames behind a keyframe: not measured */
	uint64_t nonfinite;  /* restarts because a value stopped being finite */
	double theta0;       /* ms per byte */
	double theta1;       /* ms */
	double noise_var;    /* ms^2 */
	double avg_size;     /* bytes */
	double max_size;     /* bytes */
};

/* 0, -EINVAL (clock_rate outside 1000..1000000, ceiling above 10 s,
 * reset or noise memory above 60 s, max_frame_bytes above 64 MiB,
 * decode_window above 64) or -ENOMEM.  cfg may be NULL: all defaults. */
int vc_vjitter_new(struct vc_vjitter **out, const struct vc_vjitter_cfg *cfg);
void vc_vjitter_free(struct vc_vjitter *vj);

/* One complete frame: arrival_us of its last packet, on the caller's
 * monotonic clock. */
void vc_vjitter_frame(struct vc_vjitter *vj, uint32_t rtp_ts, uint64_t arrival_us,
		      uint32_t size_bytes);

/* Jitter delay estimate, ms, in [0, ceiling_ms] (3 * the initial 2 ms
 * noise deviation before there is a measurement). */
double vc_vjitter_ms(const struct vc_vjitter *vj);

/* One measured decode duration (clamped to 10 s). */
void vc_vjitter_decode_time(struct vc_vjitter *vj, uint64_t decode_us);

/* 95th percentile (nearest rank) of the kept decode times, ms; 0 before
 * the first. */
double vc_vjitter_decode_ms(const struct vc_vjitter *vj);

void vc_vjitter_stats(const struct vc_vjitter *vj, struct vc_vjitter_stats *st);

/* Forget everything, counters and decode times included (new SSRC, new
 * call). */
void vc_vjitter_reset(struct vc_vjitter *vj);

#endif
