/* vc_sink.c - Y4M/WAV file sinks with timing sidecars, and null sinks. */
#include "vc_sink.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vc_wav.h"
#include "vc_y4m.h"

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
	if (strncmp(spec, "file:", 5) != 0 || !spec[5]) {
		snprintf(err, errlen, "audio sink '%s': expected file:PATH.wav or null", spec);
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

int vc_asink_write(struct vc_asink *s, const int16_t *pcm, int frames, uint64_t play_us)
{
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
	if (!s->is_null && vc_wav_finish(&s->wav))
		rc = -EIO;
	if (s->times && fclose(s->times))
		rc = -EIO;
	free(s);
	return rc;
}
