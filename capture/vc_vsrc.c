/* vc_vsrc.c - video sources: testsrc and file:PATH.y4m.
 *
 * Timeline: the first read fixes start_us (the clock's now); frame slot n
 * is due at start_us + n / fps.  A paced read waits for its slot; a caller
 * that is more than one frame late skips to the current slot instead of
 * bursting out the backlog.  capture_us is the slot's due time, index a
 * running count of frames produced (so skips do not leave index gaps;
 * the barcode carries the same index).
 */
#include "vc_vsrc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vc_pace.h"
#include "vc_testsrc.h"
#include "vc_y4m.h"

struct vc_vsrc {
	int is_file;
	struct vc_y4m_reader y4m;
	int width, height;
	int fps_num, fps_den;
	const struct vc_clock *clock;
	int paced;
	int started;
	uint64_t start_us;
	uint64_t slot;     /* next frame slot */
	uint32_t produced; /* running index */
};

int vc_vsrc_open(struct vc_vsrc **out, const char *spec, const struct vc_vsrc_cfg *cfg,
		 char *err, size_t errlen)
{
	struct vc_vsrc *s;
	int rc;

	*out = NULL;
	if (!spec || !cfg) {
		snprintf(err, errlen, "video source: no spec");
		return -EINVAL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "video source: out of memory");
		return -ENOMEM;
	}
	s->clock = cfg->clock ? cfg->clock : vc_clock_monotonic();
	s->paced = cfg->paced;
	if (strcmp(spec, "testsrc") == 0) {
		if (cfg->width < 160 || cfg->height < 120 || cfg->width > 8192 ||
		    cfg->height > 8192 || (cfg->width & 1) || (cfg->height & 1)) {
			snprintf(err, errlen,
				 "testsrc: size %dx%d unsupported (even, 160x120 .. 8192x8192)",
				 cfg->width, cfg->height);
			rc = -EINVAL;
			goto fail;
		}
		if (cfg->fps < 1 || cfg->fps > 240) {
			snprintf(err, errlen, "testsrc: frame rate %d unsupported (1..240)",
				 cfg->fps);
			rc = -EINVAL;
			goto fail;
		}
		s->width = cfg->width;
		s->height = cfg->height;
		s->fps_num = cfg->fps;
		s->fps_den = 1;
	} else if (strncmp(spec, "file:", 5) == 0) {
		rc = vc_y4m_open(&s->y4m, spec + 5, err, errlen);
		if (rc < 0)
			goto fail;
		s->is_file = 1;
		s->width = s->y4m.width;
		s->height = s->y4m.height;
		s->fps_num = s->y4m.fps_num;
		s->fps_den = s->y4m.fps_den;
	} else {
		snprintf(err, errlen, "unknown video source '%.64s' (testsrc | file:PATH.y4m)",
			 spec);
		rc = -EINVAL;
		goto fail;
	}
	*out = s;
	return 0;
fail:
	vc_vsrc_close(s);
	return rc;
}

void vc_vsrc_close(struct vc_vsrc *s)
{
	if (!s)
		return;
	if (s->is_file)
		vc_y4m_close(&s->y4m);
	free(s);
}

int vc_vsrc_width(const struct vc_vsrc *s)
{
	return s->width;
}

int vc_vsrc_height(const struct vc_vsrc *s)
{
	return s->height;
}

int vc_vsrc_fps(const struct vc_vsrc *s)
{
	return (s->fps_num + s->fps_den / 2) / s->fps_den;
}

static uint64_t slot_time(const struct vc_vsrc *s, uint64_t slot)
{
	/* slot * 1e6 * den / num without overflow for any realistic slot. */
	uint64_t per = UINT64_C(1000000) * (uint64_t)s->fps_den;
	uint64_t q = slot / (uint64_t)s->fps_num, r = slot % (uint64_t)s->fps_num;
	return s->start_us + q * per + (r * per) / (uint64_t)s->fps_num;
}

static int read_file_frame(struct vc_vsrc *s, struct vc_frame *f)
{
	int rc = vc_y4m_read(&s->y4m, f);
	if (rc == 0) { /* end of file: loop */
		rc = vc_y4m_rewind(&s->y4m);
		if (rc < 0)
			return rc;
		rc = vc_y4m_read(&s->y4m, f);
		if (rc == 0)
			return -ENODATA; /* a file with no frames */
	}
	return rc < 0 ? rc : 1;
}

int vc_vsrc_read(struct vc_vsrc *s, struct vc_frame *f)
{
	if (f->width != s->width || f->height != s->height)
		return -EINVAL;
	uint64_t now = vc_clock_now(s->clock);
	if (!s->started) {
		s->started = 1;
		s->start_us = now;
		s->slot = 0;
	}
	uint64_t due = slot_time(s, s->slot);
	if (s->paced) {
		uint64_t next = slot_time(s, s->slot + 1);
		if (now >= next && now - due > next - due) {
			/* More than a frame late: jump to the slot now is in. */
			uint64_t el = now - s->start_us;
			uint64_t per = UINT64_C(1000000) * (uint64_t)s->fps_den;
			uint64_t slot = (el / per) * (uint64_t)s->fps_num +
					((el % per) * (uint64_t)s->fps_num) / per;
			if (slot > s->slot)
				s->slot = slot;
			due = slot_time(s, s->slot);
		} else if (now < due) {
			vc_pace_wait(s->clock, due);
		}
	}
	if (s->is_file) {
		int rc = read_file_frame(s, f);
		if (rc < 0)
			return rc;
	} else {
		vc_testsrc_render(f, s->produced & 0xFFFFFFu, due);
	}
	f->index = s->produced++;
	f->capture_us = due;
	s->slot++;
	return 1;
}
