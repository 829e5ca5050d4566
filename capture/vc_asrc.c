/* vc_asrc.c - audio sources: tone[:HZ] and file:PATH.wav, 48 kHz mono.
 *
 * The tone (see vc_asrc.h): a sine at -12 dBFS (peak 8192).  At every whole
 * second of the capture clock a click replaces it for VC_TONE_CLICK_MS
 * (5 ms = 240 samples): a full-scale (peak 32000) cosine burst at 3 kHz
 * (1 kHz when the tone itself lies in 2..4.5 kHz), starting at its peak in
 * the first sample whose capture time t0 + n * 1e6/48000 is at or past the
 * second (the previous sample's time is before it).  The click is 12 dB
 * above the tone with an instant attack, so after Opus and concealment its
 * onset is still the first place where the level jumps to several times
 * the tone's (tests/tools/vc_analyze.c finds it that way).
 *
 * Timing is kept in units of 1/48 us so sample times are exact:
 * A(n) = 48 * t0 + 1000 * n, and sample n starts a click iff
 * A(n) mod 48e6 < 1000.  Everything is a function of (t0, n), so any
 * chunking of the reads gives the same samples.
 */
#include "vc_asrc.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vc_backoff.h"
#include "vc_pa.h"
#include "vc_pace.h"
#include "vc_wav.h"

#define TONE_PEAK 8192.0   /* -12 dBFS */
#define CLICK_PEAK 32000.0
#define CLICK_SAMPLES (VC_TONE_CLICK_MS * VC_AUDIO_RATE / 1000)
#define TICKS_PER_S UINT64_C(48000000) /* 1/48 us units */

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

static double click_hz(double tone_hz)
{
	return (tone_hz >= 2000.0 && tone_hz <= 4500.0) ? 1000.0 : 3000.0;
}

/* Fractional phase (cycles) of sample n of a sine at hz, computed so that
 * precision does not decay with n. */
static double phase_at(double hz, uint64_t n)
{
	double whole = fmod((double)(n / VC_AUDIO_RATE) * hz, 1.0);
	double part = (double)(n % VC_AUDIO_RATE) * hz / VC_AUDIO_RATE;
	return fmod(whole + part, 1.0);
}

void vc_tone_init(struct vc_tone *t, double hz, uint64_t t0_us)
{
	t->hz = hz;
	t->t0_us = t0_us;
	t->n = 0;
	t->phase = 0.0;
	t->scale = 1.0;
}

void vc_tone_set_skew(struct vc_tone *t, double skew_ppm)
{
	t->scale = 1.0 / (1.0 + skew_ppm * 1e-6);
}

/* Samples since the last whole second of capture time for sample n, on a
 * skewed sample clock (double: ticks of 1/48 us stay exact to ~1e-3). */
static uint64_t since_second_skewed(const struct vc_tone *t, uint64_t n)
{
	double tick = 1000.0 * t->scale; /* 1/48 us per sample */
	double a = 48.0 * (double)t->t0_us + tick * (double)n;

	return (uint64_t)(fmod(a, (double)TICKS_PER_S) / tick);
}

void vc_tone_generate(struct vc_tone *t, int16_t *pcm, int frames)
{
	const double inc = t->hz / VC_AUDIO_RATE;
	const double cinc = click_hz(t->hz) / VC_AUDIO_RATE;
	double ph = phase_at(t->hz, t->n);
	uint64_t a = 48u * t->t0_us + 1000u * t->n;

	for (int i = 0; i < frames; i++) {
		/* Samples since the last whole-second crossing. */
		uint64_t since = t->scale == 1.0 ? (a % TICKS_PER_S) / 1000u
						 : since_second_skewed(t, t->n + (uint64_t)i);
		double v;
		if (since < CLICK_SAMPLES)
			v = CLICK_PEAK * cos(2.0 * M_PI * cinc * (double)since);
		else
			v = TONE_PEAK * sin(2.0 * M_PI * ph);
		pcm[i] = (int16_t)lrint(v);
		ph += inc;
		if (ph >= 1.0)
			ph -= 1.0;
		a += 1000u;
	}
	t->n += (uint64_t)frames;
	t->phase = ph;
}

#define FILE_CHUNK 960

#define MIC_TIMEOUT_MS 250

struct vc_asrc {
	int is_file;
	/* microphone */
	int is_pa;
	struct vc_pa_in *pa;
	char pa_dev[128];
	int pa_lost;
	struct vc_backoff retry; /* 0.25 s doubling to 4 s */
	unsigned outages;
	uint64_t overflows_before; /* of closed streams */
	struct vc_tone tone;
	double hz;
	struct vc_wav_reader wav;
	int16_t tmp[FILE_CHUNK * 2];
	const struct vc_clock *clock;
	int paced;
	int started;
	uint64_t t0;
	uint64_t n; /* next sample's number on the timeline */
	double skew_ppm;
};

int vc_asrc_open(struct vc_asrc **out, const char *spec, const struct vc_asrc_cfg *cfg,
		 char *err, size_t errlen)
{
	struct vc_asrc *s;
	int rc;

	*out = NULL;
	if (!spec || !cfg) {
		snprintf(err, errlen, "audio source: no spec");
		return -EINVAL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "audio source: out of memory");
		return -ENOMEM;
	}
	s->clock = cfg->clock ? cfg->clock : vc_clock_monotonic();
	s->paced = cfg->paced;
	s->skew_ppm = cfg->skew_ppm;
	if (strcmp(spec, "tone") == 0) {
		s->hz = 440.0;
	} else if (strncmp(spec, "tone:", 5) == 0) {
		char *end;
		double hz = strtod(spec + 5, &end);
		if (end == spec + 5 || *end != '\0' || !(hz >= 20.0 && hz <= 20000.0)) {
			snprintf(err, errlen, "tone: bad frequency '%.32s' (20..20000 Hz)",
				 spec + 5);
			rc = -EINVAL;
			goto fail;
		}
		s->hz = hz;
	} else if (strcmp(spec, "portaudio") == 0 || strncmp(spec, "portaudio:", 10) == 0) {
		snprintf(s->pa_dev, sizeof(s->pa_dev), "%s", spec[9] == ':' ? spec + 10 : "");
		/* No PortAudio reference of our own: the stream holds one, so
		 * when every stream is closed PortAudio rescans its devices
		 * (only then does a replugged or new device appear). */
		s->is_pa = 1;
		rc = vc_pa_in_open(&s->pa, s->pa_dev, s->clock, err, errlen);
		if (rc < 0)
			goto fail;
	} else if (strncmp(spec, "file:", 5) == 0) {
		rc = vc_wav_open(&s->wav, spec + 5, err, errlen);
		if (rc < 0)
			goto fail;
		s->is_file = 1;
		if (s->wav.rate != VC_AUDIO_RATE || s->wav.channels > 2) {
			snprintf(err, errlen,
				 "file:%.200s: %d Hz %d channels unsupported (48000 Hz mono or stereo)",
				 spec + 5, s->wav.rate, s->wav.channels);
			rc = -ENOTSUP;
			goto fail;
		}
		if (s->wav.data_bytes == 0) {
			snprintf(err, errlen, "file:%.200s: no samples", spec + 5);
			rc = -ENODATA;
			goto fail;
		}
	} else {
		snprintf(err, errlen,
			 "unknown audio source '%.64s' (portaudio[:DEVICE] | tone[:HZ] | file:PATH.wav)", spec);
		rc = -EINVAL;
		goto fail;
	}
	*out = s;
	return 0;
fail:
	vc_asrc_close(s);
	return rc;
}

void vc_asrc_close(struct vc_asrc *s)
{
	if (!s)
		return;
	if (s->is_file)
		vc_wav_close(&s->wav);
	vc_pa_in_close(s->pa);
	free(s);
}

int vc_asrc_is_mic(const struct vc_asrc *s)
{
	return s->is_pa;
}

unsigned vc_asrc_outages(const struct vc_asrc *s)
{
	return s->outages;
}

uint64_t vc_asrc_overflows(const struct vc_asrc *s)
{
	return s->overflows_before + (s->pa ? vc_pa_in_overflows(s->pa) : 0);
}

static void mic_lost(struct vc_asrc *s, uint64_t now)
{
	s->overflows_before += vc_pa_in_overflows(s->pa);
	vc_pa_in_close(s->pa);
	s->pa = NULL;
	s->pa_lost = 1;
	s->outages++;
	s->retry = (struct vc_backoff){ .min_us = 250000u, .max_us = 4000000u };
	vc_backoff_start(&s->retry, now);
	s->started = 0; /* silence runs on the clock's timeline from now */
}

static void mic_retry(struct vc_asrc *s, uint64_t now)
{
	char err[256];

	if (!vc_backoff_due(&s->retry, now))
		return;
	if (vc_pa_in_open(&s->pa, s->pa_dev, s->clock, err, sizeof(err)) == 0) {
		s->pa_lost = 0;
		return;
	}
	vc_backoff_failed(&s->retry, now);
}

static int read_file(struct vc_asrc *s, int16_t *pcm, int frames)
{
	int done = 0, rewinds = 0;

	while (done < frames) {
		int want = frames - done;
		if (want > FILE_CHUNK)
			want = FILE_CHUNK;
		int got = vc_wav_read(&s->wav, s->wav.channels == 1 ? pcm + done : s->tmp, want);
		if (got < 0)
			return got;
		if (got == 0) {
			if (++rewinds > 2)
				return -ENODATA;
			int rc = vc_wav_rewind(&s->wav);
			if (rc < 0)
				return rc;
			continue;
		}
		rewinds = 0;
		if (s->wav.channels == 2)
			for (int i = 0; i < got; i++)
				pcm[done + i] = (int16_t)(((int)s->tmp[2 * i] +
							   (int)s->tmp[2 * i + 1]) / 2);
		done += got;
	}
	return frames;
}

static uint64_t sample_time(const struct vc_asrc *s, uint64_t n)
{
	if (s->skew_ppm != 0.0 && !s->is_pa)
		return s->t0 + (uint64_t)llround((double)n * 1e6 / (VC_AUDIO_RATE * (1.0 + s->skew_ppm * 1e-6)));
	return s->t0 + (n / VC_AUDIO_RATE) * 1000000u + ((n % VC_AUDIO_RATE) * 1000000u) / VC_AUDIO_RATE;
}

int vc_asrc_read(struct vc_asrc *s, int16_t *pcm, int frames, uint64_t *capture_us)
{
	if (frames <= 0 || !pcm)
		return frames == 0 ? 0 : -EINVAL;
	if (s->is_pa && !s->pa_lost) {
		int rc = vc_pa_in_read(s->pa, pcm, frames, capture_us, MIC_TIMEOUT_MS);
		if (rc == frames)
			return frames;
		/* Slow is not lost (PulseAudio takes ~2 s to start; vc_pa says
		 * -EIO when the device really stopped): nothing this time. */
		if (rc >= 0)
			return 0;
		mic_lost(s, vc_clock_now(s->clock));
	}
	uint64_t now = vc_clock_now(s->clock);
	if (!s->started) {
		s->started = 1;
		s->t0 = now;
		s->n = 0;
		vc_tone_init(&s->tone, s->hz, now);
		vc_tone_set_skew(&s->tone, s->skew_ppm);
	}
	uint64_t due = sample_time(s, s->n);
	if (s->paced) {
		uint64_t chunk_us = (uint64_t)frames * 1000000u / VC_AUDIO_RATE;
		if (now > due && now - due > chunk_us) {
			/* More than a chunk late: skip to now rather than burst. */
			uint64_t el = now - s->t0;
			s->n = (el / 1000000u) * VC_AUDIO_RATE +
			       ((el % 1000000u) * VC_AUDIO_RATE) / 1000000u;
			if (s->skew_ppm != 0.0)
				s->n = (uint64_t)((double)el * VC_AUDIO_RATE * (1.0 + s->skew_ppm * 1e-6) / 1e6);
			due = sample_time(s, s->n);
		} else if (now < due) {
			vc_pace_wait(s->clock, due);
		}
	}
	if (s->is_pa) {
		/* Microphone away: silence, and a retry when due. */
		memset(pcm, 0, (size_t)frames * sizeof(pcm[0]));
		mic_retry(s, vc_clock_now(s->clock));
	} else if (s->is_file) {
		int rc = read_file(s, pcm, frames);
		if (rc < 0)
			return rc;
	} else {
		s->tone.n = s->n;
		vc_tone_generate(&s->tone, pcm, frames);
	}
	s->n += (uint64_t)frames;
	*capture_us = due;
	return frames;
}
