/* vc_aec.h - acoustic echo canceller: speexdsp's adaptive echo canceller
 * plus its residual echo suppressor, fed with a far-end (speaker) signal that
 * is aligned to the near-end (microphone) signal by timestamps.
 *
 * Signal: mono int16 at cfg.sample_rate (48 kHz), near-end processed in
 * blocks of exactly cfg.frame_samples (480 = 10 ms).
 *
 * Threading rule (two sides, one thread each, plus read-only observers):
 *
 *   playout side  vc_aec_far()   exactly one thread at a time (normally the
 *                                speaker callback).  Never blocks, locks or
 *                                allocates: it copies the samples and their
 *                                playout timestamp into a lock-free SPSC ring
 *                                and returns.  When the ring is full (the
 *                                capture side has stopped draining it) the
 *                                whole push is dropped and counted.
 *   capture side  vc_aec_near()  exactly one thread at a time (normally the
 *                                capture thread).  Drains the ring into a
 *                                bounded far-end history, picks the far-end
 *                                block that matches the mic block in time,
 *                                and cancels the echo in place.  Never
 *                                allocates or blocks either.
 *   any thread    vc_aec_set_bypass(), vc_aec_stats()  (atomics).
 *
 *   vc_aec_new()/vc_aec_free() are the only calls that allocate; no other call
 *   may run concurrently with them.
 *
 * Time alignment.  Both timestamps are microseconds on the same monotonic
 * clock (CLOCK_MONOTONIC, vc_clock):
 *
 *   play_us     when the FIRST sample of the pushed far-end buffer leaves the
 *               speaker (the DAC time, not the time it was queued);
 *   capture_us  when the FIRST sample of the mic block entered the ADC.
 *
 * The echo path delay of a sound is (capture time at the mic) - (playout
 * time at the speaker): a few ms of air plus whatever the two clocks'
 * latency estimates get wrong.  For a mic block captured at capture_us the
 * module hands the canceller the far-end samples that were played from
 * (capture_us - bulk_delay_ms) on; the adaptive filter (filter_ms long) then
 * models echo delays in [bulk_delay_ms, bulk_delay_ms + filter_ms).  With
 * honest timestamps bulk_delay_ms = 0 is right; raise it only if the
 * reported latencies are known to under-state the delay by a fixed amount.
 * A negative bulk delay (down to -filter_ms / 2) covers latencies that may
 * over-state it: an echo that seems to come before its sound cannot be
 * cancelled, so the window then starts that far "early".
 * Microphone blocks are placed the same way: consecutive blocks are taken as
 * contiguous samples (their stamps may slew against the sample count) and
 * only a stamp more than 30 ms off re-anchors the microphone's timeline.
 * Far-end samples are placed on a sample-accurate timeline: consecutive
 * pushes are treated as contiguous while their timestamps stay within
 * resync_ms of that timeline (callback jitter is ignored); a later timestamp
 * inserts silence (nothing was played), an earlier one restarts the timeline.
 *
 * If the far-end samples for a mic block are not (or no longer) in the
 * history - nothing was pushed, the speaker side lags, or the history is too
 * short for the delay - the mic block passes through unchanged and
 * far_underruns counts it.
 */
#ifndef VC_AEC_H
#define VC_AEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vc_aec;

struct vc_aec_cfg {
	unsigned sample_rate;   /* Hz, 8000..48000 (default 48000) */
	unsigned frame_samples; /* near block size, 10 ms worth (default 480) */
	unsigned filter_ms;     /* echo tail the filter models (default 200) */
	int bulk_delay_ms;      /* fixed extra delay on top of timestamps (0);
				 * -filter_ms / 2 .. 2000 */
	unsigned history_ms;    /* far-end history kept on the capture side;
				 * bounds bulk_delay + how far playout may run
				 * ahead of capture (default 500) */
	unsigned ring_ms;       /* far-end ring between the two sides (500) */
	unsigned resync_ms;     /* timestamp jitter tolerated before the far
				 * timeline is re-anchored (default 5) */
	bool residual;          /* residual echo suppression (default true) */
	bool denoise;           /* speex noise suppression (default false) */
	bool bypass;            /* start bypassed (--no-aec) (default false) */
};

/* Statistics; every field only grows.  Readable from any thread. */
struct vc_aec_stats {
	uint64_t frames_processed; /* mic blocks run through the canceller */
	uint64_t frames_bypassed;  /* mic blocks passed through: bypass on */
	uint64_t far_underruns;    /* mic blocks passed through: no far data */
	uint64_t far_dropped;      /* far pushes dropped: ring full */
	uint64_t far_gaps;         /* far timeline gaps filled with silence */
	uint64_t far_resyncs;      /* far timeline restarted (time went back) */
	uint64_t near_resyncs;     /* mic timeline re-anchored (stamp > 30 ms off) */
};

/* The defaults above. */
void vc_aec_cfg_default(struct vc_aec_cfg *cfg);

/* cfg NULL means defaults.  Returns 0 or -EINVAL (bad cfg) / -ENOMEM. */
int vc_aec_new(struct vc_aec **out, const struct vc_aec_cfg *cfg);
void vc_aec_free(struct vc_aec *aec);

/* Playout side: n samples (1..ring capacity) that are played from play_us
 * on.  Returns 0, -ENOBUFS (ring full: dropped and counted) or -EINVAL. */
int vc_aec_far(struct vc_aec *aec, const int16_t *pcm, size_t n, int64_t play_us);

/* Capture side: one mic block of exactly frame_samples, captured from
 * capture_us on, echo-cancelled in place.  Returns 0 (processed, bypassed
 * or passed through on underrun - see the stats) or -EINVAL. */
int vc_aec_near(struct vc_aec *aec, int16_t *pcm_in_out, size_t n, int64_t capture_us);

/* Any thread.  While bypassed vc_aec_near() still drains the far ring (so
 * the history stays current) but leaves the mic block untouched. */
void vc_aec_set_bypass(struct vc_aec *aec, bool bypass);
bool vc_aec_bypassed(const struct vc_aec *aec);

void vc_aec_stats(const struct vc_aec *aec, struct vc_aec_stats *st);

/* Samples by which vc_aec_near() delays the mic signal while it is not
 * bypassed: one frame (10 ms) when the residual suppressor / denoiser runs
 * (speex's preprocessor works on overlapping windows), else 0.  Add it to
 * the capture latency used for A/V sync. */
size_t vc_aec_latency_samples(const struct vc_aec *aec);

#endif
