/* vc_sink.c - Y4M/WAV file sinks with timing sidecars, and null sinks. */
#include "vc_sink.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vc_backoff.h"
#include "vc_clock.h"
#include "vc_pa.h"
#include "vc_wav.h"
#include "vc_y4m.h"

#define SPK_TARGET_MS 40
#define SPK_TIMEOUT_MS 250


struct vc_vsink {
	char *path;          /* NULL for the null sink */
	int fps;
	bool open;
	struct vc_y4m_writer y4m;
	FILE *times;
	uint64_t frames;
	uint64_t size_mismatch;
};

struct vc_asink {
	bool is_null;
	/* speakers */
	bool is_pa;
	struct vc_pa_out *pa;
	char pa_dev[128];
	struct vc_backoff retry; /* 0.25 s doubling to 4 s */
	unsigned outages;
	uint64_t underflows_before;
	struct vc_wav_writer wav;
	FILE *times;
	uint64_t samples;
	uint64_t last_mark;
	int rate;
};

static FILE *open_sidecar(const char *path, char *err, size_t errlen)
{
	char tp[4096];
	FILE *fp;

	if (snprintf(tp, sizeof(tp), "%s.times", path) >= (int)sizeof(tp)) {
		snprintf(err, errlen, "path too long: %s", path);
		return NULL;
	}
	fp = fopen(tp, "w");
	if (!fp)
		snprintf(err, errlen, "cannot write %s: %s", tp, strerror(errno));
	return fp;
}

int vc_vsink_open(struct vc_vsink **out, const char *spec, int fps, char *err, size_t errlen)
{
	struct vc_vsink *s = calloc(1, sizeof(*s));
	int rc = -ENOMEM;

	if (!s)
		goto out;
	s->fps = fps > 0 ? fps : 30;
	if (strcmp(spec, "null") == 0) {
		*out = s;
		return 0;
	}
	if (strncmp(spec, "file:", 5) != 0 || !spec[5]) {
		snprintf(err, errlen, "video sink '%s': expected file:PATH.y4m or null", spec);
		rc = -EINVAL;
		goto out;
	}
	s->path = strdup(spec + 5);
	if (!s->path)
		goto out;
	/* Fail now, not at the first frame, if the file cannot be written. */
	FILE *probe = fopen(s->path, "wb");
	if (!probe) {
		snprintf(err, errlen, "video sink: cannot write %s: %s", s->path, strerror(errno));
		rc = -errno;
		goto out;
	}
	fclose(probe);
	s->times = open_sidecar(s->path, err, errlen);
	if (!s->times) {
		rc = -EIO;
		goto out;
	}
	*out = s;
	return 0;
out:
	vc_vsink_close(s);
	return rc;
}

int vc_vsink_render(struct vc_vsink *s, const struct vc_frame *f, uint64_t render_us)
{
	if (!s->path) {
		s->frames++;
		return 0;
	}
	if (!s->open) {
		int rc = vc_y4m_create(&s->y4m, s->path, f->width, f->height, s->fps);
		if (rc)
			return rc;
		s->open = true;
	}
	if (f->width != s->y4m.width || f->height != s->y4m.height) {
		/* Y4M cannot change size mid-file: the frame is not recorded. */
		s->size_mismatch++;
		return 0;
	}
	int rc = vc_y4m_write(&s->y4m, f);
	if (rc)
		return rc;
	fprintf(s->times, "%" PRIu64 " %" PRIu64 "\n", s->frames, render_us);
	s->frames++;
	return 0;
}

uint64_t vc_vsink_frames(const struct vc_vsink *s)
{
	return s->frames;
}

int vc_vsink_close(struct vc_vsink *s)
{
	int rc = 0;

	if (!s)
		return 0;
	if (s->open && vc_y4m_finish(&s->y4m))
		rc = -EIO;
	if (s->times && fclose(s->times))
		rc = -EIO;
	free(s->path);
	free(s);
	return rc;
}

int vc_asink_open(struct vc_asink **out, const char *spec, int rate, char *err, size_t errlen)
{
	struct vc_asink *s = calloc(1, sizeof(*s));
	int rc = -ENOMEM;

	if (!s)
		goto out;
	s->rate = rate;
	if (strcmp(spec, "null") == 0) {
		s->is_null = true;
		*out = s;
		return 0;
	}
	if (strcmp(spec, "portaudio") == 0 || strncmp(spec, "portaudio:", 10) == 0) {
		snprintf(s->pa_dev, sizeof(s->pa_dev), "%s", spec[9] == ':' ? spec + 10 : "");
		s->is_null = true; /* nothing to finish unless the device opens */
		s->is_pa = true;    /* the stream holds the PortAudio reference */
		rc = vc_pa_out_open(&s->pa, s->pa_dev, SPK_TARGET_MS, err, errlen);
		if (rc < 0)
			goto out;
		s->is_null = false;
		*out = s;
		return 0;
	}
	if (strncmp(spec, "file:", 5) != 0 || !spec[5]) {
		snprintf(err, errlen, "audio sink '%s': expected portaudio[:DEVICE], file:PATH.wav or null", spec);
		rc = -EINVAL;
		goto out;
	}
	rc = vc_wav_create(&s->wav, spec + 5, rate, 1);
	if (rc) {
		snprintf(err, errlen, "audio sink: cannot write %s: %s", spec + 5, strerror(-rc));
		s->is_null = true;
		goto out;
	}
	s->times = open_sidecar(spec + 5, err, errlen);
	if (!s->times) {
		rc = -EIO;
		goto out;
	}
	*out = s;
	return 0;
out:
	vc_asink_close(s);
	return rc;
}

static int speaker_write(struct vc_asink *s, const int16_t *pcm, int frames)
{
	uint64_t now = vc_monotonic_us();

	if (!s->pa && vc_backoff_due(&s->retry, now)) {
		char err[256];
		if (vc_pa_out_open(&s->pa, s->pa_dev, SPK_TARGET_MS, err, sizeof(err)) < 0)
			vc_backoff_failed(&s->retry, now);
	}
	if (!s->pa)
		return 0; /* speakers away: dropped; the caller paces itself */
	int rc = vc_pa_out_write(s->pa, pcm, frames, SPK_TIMEOUT_MS);
	/* 0: the device is not taking samples yet (PulseAudio starts slowly):
	 * these are dropped.  Only an error is an outage. */
	if (rc < 0) {
		s->underflows_before += vc_pa_out_underflows(s->pa);
		vc_pa_out_close(s->pa);
		s->pa = NULL;
		s->outages++;
		s->retry = (struct vc_backoff){ .min_us = 250000u, .max_us = 4000000u };
		vc_backoff_start(&s->retry, now);
	}
	return 0;
}

int vc_asink_device_paced(const struct vc_asink *s)
{
	return s->is_pa && s->pa != NULL;
}

uint64_t vc_asink_play_time(const struct vc_asink *s, uint64_t now_us)
{
	return vc_asink_device_paced(s) ? vc_pa_out_play_time(s->pa) : now_us;
}

unsigned vc_asink_outages(const struct vc_asink *s)
{
	return s->outages;
}

uint64_t vc_asink_underflows(const struct vc_asink *s)
{
	return s->underflows_before + (s->pa ? vc_pa_out_underflows(s->pa) : 0);
}

int vc_asink_write(struct vc_asink *s, const int16_t *pcm, int frames, uint64_t play_us)
{
	if (s->is_pa) {
		s->samples += (uint64_t)frames;
		return speaker_write(s, pcm, frames);
	}
	if (s->is_null) {
		s->samples += (uint64_t)frames;
		return 0;
	}
	/* A timing line at the start and once a second after it. */
	if (s->samples == 0 || s->samples - s->last_mark >= (uint64_t)s->rate) {
		fprintf(s->times, "%" PRIu64 " %" PRIu64 "\n", s->samples, play_us);
		s->last_mark = s->samples;
		vc_wav_sync(&s->wav);
		fflush(s->times);
	}
	int rc = vc_wav_write(&s->wav, pcm, frames);
	if (rc < 0)
		return rc;
	s->samples += (uint64_t)frames;
	return 0;
}

int vc_asink_close(struct vc_asink *s)
{
	int rc = 0;

	if (!s)
		return 0;
	if (s->is_pa) {
		vc_pa_out_close(s->pa);
	} else if (!s->is_null && vc_wav_finish(&s->wav)) {
		rc = -EIO;
	}
	if (s->times && fclose(s->times))
		rc = -EIO;
	free(s);
	return rc;
}
