/* vc_asrc.h - audio sources: tone[:HZ] and file:PATH.wav (portaudio comes
 * with the devices issue).  48 kHz, mono, 16-bit.
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
};

int vc_asrc_open(struct vc_asrc **out, const char *spec, const struct vc_asrc_cfg *cfg,
		 char *err, size_t errlen);
void vc_asrc_close(struct vc_asrc *s);
/* Produce 'frames' mono samples; *capture_us is the capture time of the
 * first one.  Returns frames, or negative on error. */
int vc_asrc_read(struct vc_asrc *s, int16_t *pcm, int frames, uint64_t *capture_us);

/* The tone generator itself, unpaced, for tests and the analyser:
 * sample n of a tone whose sample 0 was captured at t0_us. */
struct vc_tone {
	double hz;
	double phase;
	uint64_t t0_us;
	uint64_t n;
};
void vc_tone_init(struct vc_tone *t, double hz, uint64_t t0_us);
void vc_tone_generate(struct vc_tone *t, int16_t *pcm, int frames);

#define VC_TONE_CLICK_MS 5

#endif
