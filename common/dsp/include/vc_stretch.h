/* vc_stretch.h - time-stretcher for the adaptive audio jitter buffer: makes
 * decoded audio slightly longer (expand) or shorter (accelerate) without
 * changing its pitch and without audible steps, so that the playout delay
 * can follow a moving target instead of dropping or inserting silence.
 *
 * Signal: mono int16 at the rate given to vc_stretch_new() (48 kHz in the
 * call; 8000..48000 accepted), in blocks of 0..vc_stretch_max_block()
 * samples (120 ms).
 *
 * Design: pitch-period insertion and removal (the waveform-similarity
 * overlap-add that NetEQ's accelerate / preemptive expand use), not a
 * continuous WSOLA that re-windows every sample.  The audio runs through a
 * delay line of vc_stretch_latency() samples (20 ms: twice the longest
 * pitch period searched).  While nothing is asked for, the output is the
 * input delayed by exactly that many samples, bit for bit.  When the
 * caller asks for a change, the stretcher looks at the two segments
 * A = x[p, p+T) and B = x[p+T, p+2T) just after the last emitted sample,
 * picks the lag T in 2.5..10 ms (100..400 Hz pitch, or a multiple of a
 * higher one) at which they are most alike (normalised cross-correlation,
 * coarse search on a 12 kHz decimated copy, refined at full rate), and
 *
 *   accelerates:  emits crossfade(A -> B) in place of A B     (T fewer)
 *   expands:      emits A, then crossfade(B -> A), then B...  (T more)
 *
 * Both splices start and end on the natural continuation of the waveform,
 * so there is no step; only whole lags are cut or repeated, so the pitch is
 * kept.  The crossfade is linear for similar segments and turns gradually
 * into an equal-power one as their correlation falls (no energy dip on
 * noise).  An operation is done only where it is inaudible:
 *
 *   periodic   correlation >= 0.9 (voiced speech, tones, music notes);
 *   quiet      both segments below about -54 dBFS RMS (silence, pauses);
 *              here T is chosen to match the request (2.5..10 ms);
 *   steady     noise-like but steady: the eight quarter-segments of A B
 *              are within 6 dB of each other (fan noise, fricatives).
 *
 * Anything else (onsets, clicks, plosives) is refused and retried 2.5 ms
 * later; the request stays pending.  Silence in gives silence out.
 *
 * Requests.  A signed "pending" count (samples to add, > 0, or remove,
 * < 0) accumulates n * (1 / speed - 1) per vc_stretch_process() call plus
 * whatever vc_stretch_adjust() adds; it is clamped to +-100 ms.  It is
 * served in whole lags once |pending| >= T / 2, so it is met to within
 * half a lag over time; no new operation starts in a call once n / 2
 * have been removed or n inserted in it (the 2.0 / 0.5 speed limits).
 * Speed is input duration / output duration, clamped to
 * [VC_STRETCH_SPEED_MIN, VC_STRETCH_SPEED_MAX]: 1.25 plays 5 s of input in
 * 4 s.  NetEQ-style "remove about K samples over
 * this block" is vc_stretch_adjust(s, -K) before a speed-1.0 block: the
 * stretcher removes the lag the signal offers (T >= 2.5 ms, so K below
 * T / 2 stays pending), or nothing if the signal would show it.  The
 * jitter buffer can use either control; both feed the same count, and
 * vc_stretch_adjust(s, -vc_stretch_pending(s)) cancels what is left.
 *
 * Delay.  The samples held inside (vc_stretch_delay(), at most the
 * latency) are audio already decoded but not yet played; a jitter buffer
 * counts them as buffered.  After a removal the hold briefly drops below
 * the latency (the saving shows immediately); it refills from later input.
 * The first latency() output samples after _new() / _reset() are zeros.
 *
 * Threading: not thread-safe; one thread at a time (the playout side).
 * vc_stretch_new()/vc_stretch_free() are the only calls that allocate;
 * the others neither allocate, lock nor block, and their work per call is
 * bounded by the block length (a few analyses of ~30k multiply-adds).
 */
#ifndef VC_STRETCH_H
#define VC_STRETCH_H

#include <stdint.h>

#define VC_STRETCH_SPEED_MIN 0.5
#define VC_STRETCH_SPEED_MAX 2.0

struct vc_stretch;

/* Statistics since _new(); every field only grows. */
struct vc_stretch_stats {
	uint64_t inserts;          /* expand operations (one lag each) */
	uint64_t removes;          /* accelerate operations */
	uint64_t samples_inserted;
	uint64_t samples_removed;
	uint64_t refused;          /* analyses that found the signal unsafe */
};

/* rate: 8000..48000 Hz.  Returns 0, -EINVAL or -ENOMEM. */
int vc_stretch_new(struct vc_stretch **out, int rate);

/* Without the delay line: every call emits all it is given (latency() and
 * delay() are 0), and an operation is tried only at the points of a block
 * from which both segments (up to 20 ms) still lie inside that block; a
 * 20 ms block gets one try, at its start.  For a jitter buffer that hands
 * over whole decoded packets: the packet is the look-ahead (as NetEQ's
 * accelerate uses the frame it just decoded), so stretching adds no
 * delay.  The splice still starts and ends on the natural continuation. */
#define VC_STRETCH_NO_DELAY 1u
int vc_stretch_new_flags(struct vc_stretch **out, int rate, unsigned flags);
void vc_stretch_free(struct vc_stretch *s);

/* Back to the state after _new(): latency() zeros held, nothing pending
 * (stream restart, new SSRC).  Statistics are kept. */
void vc_stretch_reset(struct vc_stretch *s);

/* Process one block of n (0..max_block()) samples.  out must hold at least
 * vc_stretch_max_out(s, n) samples and must not overlap in.  A NaN speed
 * means 1.0; others are clamped.  Returns the number of samples written
 * (n at speed 1.0 with nothing pending; about n / speed on average),
 * or -EINVAL for a caller bug (bad n, NULL buffers, max_out too small). */
int vc_stretch_process(struct vc_stretch *s, const int16_t *in, int n, double speed,
		       int16_t *out, int max_out);

/* Queue a length change: samples > 0 to insert, < 0 to remove, served by
 * the following vc_stretch_process() calls as the signal allows. */
void vc_stretch_adjust(struct vc_stretch *s, int samples);

/* The request not yet served (samples, > 0 insert, < 0 remove). */
int vc_stretch_pending(const struct vc_stretch *s);

/* Largest n accepted by vc_stretch_process(): 120 ms. */
int vc_stretch_max_block(const struct vc_stretch *s);

/* Output bound for a block of n samples: 2 * n + 4 * (longest lag), i.e.
 * 2 * n + 40 ms (at 48 kHz, n = 960: 3840). */
int vc_stretch_max_out(const struct vc_stretch *s, int n);

/* The fixed pass-through delay in samples (20 ms: 960 at 48 kHz). */
int vc_stretch_latency(const struct vc_stretch *s);

/* Samples held right now (1..latency() once running). */
int vc_stretch_delay(const struct vc_stretch *s);

void vc_stretch_stats(const struct vc_stretch *s, struct vc_stretch_stats *st);

#endif
