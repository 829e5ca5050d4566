/* vc_asrc.h - audio sources: portaudio[:DEVICE], tone[:HZ] and
 * file:PATH.wav.  48 kHz, mono, 16-bit.
 *
 * portaudio: the device's callback fills a lock-free ring (capture/vc_pa.h);
 * vc_asrc_read() waits on it.  A microphone that fails, stalls or
 * disappears does not end the source: it yields silence on the clock's
 * timeline (capture times keep advancing) while it reopens the device with
 * backoff (0.25 s doubling to 4 s).
 *
 * tone: a sine (default 440 Hz) at -12 dBFS with a short loud click
 * starting exactly at every whole second of the capture clock
 * (capture_us % 1000000 == 0), so a receiver can measure mouth-to-ear
 * latency from the audio alone (see tests/tools/vc-analyze).
 * vc_asrc_read() paces itself to real time on the injected clock.
 * Threading: one owner (the audio capture thread).
 */
#ifndef VC_ASRC_H
#define VC_ASRC_H

#include <stddef.h>
#include <stdint.h>

#include "vc_clock.h"

#define VC_AUDIO_RATE 48000

struct vc_asrc;

struct vc_asrc_cfg {
	const struct vc_clock *clock;
	int paced; /* 1: real time (default); 0: as fast as called */
	/* Test: the tone/file source's sample clock runs this many ppm fast
	 * (negative: slow) against 'clock', like a sound card's crystal: it
	 * makes 48000 * (1 + ppm / 1e6) samples per second of 'clock', stamps
	 * them with 'clock' time, and the tone's clicks stay at whole seconds
	 * of 'clock'.  Not applied to a microphone (it has its own crystal). */
	double skew_ppm;
};

int vc_asrc_open(struct vc_asrc **out, const char *spec, const struct vc_asrc_cfg *cfg,
		 char *err, size_t errlen);
/* Microphone outages so far, and input overflows (0 for other sources). */
unsigned vc_asrc_outages(const struct vc_asrc *s);
/* True for a microphone (portaudio), the one source with an acoustic echo. */
int vc_asrc_is_mic(const struct vc_asrc *s);
uint64_t vc_asrc_overflows(const struct vc_asrc *s);
void vc_asrc_close(struct vc_asrc *s);
/* Produce 'frames' mono samples; *capture_us is the capture time of the
 * first one.  Returns frames, 0 when a microphone had nothing within 250 ms
 * (call again), or negative on error. */
int vc_asrc_read(struct vc_asrc *s, int16_t *pcm, int frames, uint64_t *capture_us);

/* The tone generator itself, unpaced, for tests and the analyser:
 * sample n of a tone whose sample 0 was captured at t0_us. */
struct vc_tone {
	double hz;
	double phase;
	uint64_t t0_us;
	uint64_t n;
	double scale; /* sample period in nominal periods: 1 / (1 + skew) */
};
void vc_tone_init(struct vc_tone *t, double hz, uint64_t t0_us);
/* Samples come skew_ppm fast: the clicks fall on other sample numbers. */
void vc_tone_set_skew(struct vc_tone *t, double skew_ppm);
void vc_tone_generate(struct vc_tone *t, int16_t *pcm, int frames);

#define VC_TONE_CLICK_MS 5

#endif
