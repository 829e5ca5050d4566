/* vc_vsrc.c - video sources: v4l2 cameras, testsrc and file:PATH.y4m.
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

#include "vc_backoff.h"
#include "vc_pace.h"
#include "vc_testsrc.h"
#include "vc_y4m.h"


struct vc_vsrc {
	int is_file;
	/* camera */
	struct vc_v4l2 *cam;
	int is_cam;
	char cam_path[256];
	const struct vc_v4l2_ops *ops;
	int cam_req_w, cam_req_h, cam_req_fps;
	int cam_lost;
	int cam_resumed;
	struct vc_backoff retry; /* 0.25 s doubling to 4 s */
	unsigned outages;
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

static int cam_open(struct vc_vsrc *s, char *err, size_t errlen)
{
	struct vc_v4l2_cfg vc = {
		.path = s->cam_path, .width = s->cam_req_w, .height = s->cam_req_h,
		.fps = s->cam_req_fps, .clock = s->clock, .ops = s->ops,
	};
	return vc_v4l2_open(&s->cam, &vc, err, errlen);
}

static int open_camera(struct vc_vsrc *s, const char *spec, const struct vc_vsrc_cfg *cfg,
		       char *err, size_t errlen)
{
	int rc;

	s->ops = cfg->v4l2_ops;
	if (spec[4] == ':' && spec[5]) {
		snprintf(s->cam_path, sizeof(s->cam_path), "%s", spec + 5);
	} else if (!vc_v4l2_default_path(s->cam_path, sizeof(s->cam_path), s->ops)) {
		snprintf(err, errlen, "v4l2: no camera found (/dev/video*)");
		return -ENODEV;
	}
	s->cam_req_w = cfg->width;
	s->cam_req_h = cfg->height;
	s->cam_req_fps = cfg->fps;
	rc = cam_open(s, err, errlen);
	if (rc < 0)
		return rc;
	s->is_cam = 1;
	s->width = vc_v4l2_width(s->cam);
	s->height = vc_v4l2_height(s->cam);
	s->fps_num = vc_v4l2_fps(s->cam) > 0 ? vc_v4l2_fps(s->cam) : (cfg->fps > 0 ? cfg->fps : 30);
	s->fps_den = 1;
	return 0;
}

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
	} else if (strcmp(spec, "v4l2") == 0 || strncmp(spec, "v4l2:", 5) == 0) {
		rc = open_camera(s, spec, cfg, err, errlen);
		if (rc < 0)
			goto fail;
	} else {
		snprintf(err, errlen,
			 "unknown video source '%.64s' (v4l2[:DEVICE] | testsrc | file:PATH.y4m)", spec);
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
	vc_v4l2_close(s->cam);
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

unsigned vc_vsrc_outages(const struct vc_vsrc *s)
{
	return s->outages;
}

/* The slot timeline starts at the first read (and again after an outage). */
static void timeline_start(struct vc_vsrc *s, uint64_t now)
{
	if (!s->started) {
		s->started = 1;
		s->start_us = now;
		s->slot = 0;
	}
}

static void cam_lost(struct vc_vsrc *s, uint64_t now)
{
	vc_v4l2_close(s->cam);
	s->cam = NULL;
	s->cam_lost = 1;
	s->outages++;
	s->retry = (struct vc_backoff){ .min_us = 250000u, .max_us = 4000000u };
	vc_backoff_start(&s->retry, now);
	s->started = 0; /* placeholders run on their own timeline */
}

/* Try the camera again; it must come back at the size the encoder has. */
static void cam_retry(struct vc_vsrc *s, uint64_t now)
{
	char err[256];

	if (!vc_backoff_due(&s->retry, now))
		return;
	if (cam_open(s, err, sizeof(err)) == 0) {
		if (vc_v4l2_width(s->cam) == s->width && vc_v4l2_height(s->cam) == s->height) {
			s->cam_lost = 0;
			s->cam_resumed = 1;
			return;
		}
		vc_v4l2_close(s->cam);
		s->cam = NULL;
	}
	vc_backoff_failed(&s->retry, now);
}

static int read_camera(struct vc_vsrc *s, struct vc_frame *f)
{
	if (!s->cam_lost) {
		int timeout_ms = 3000 / (s->fps_num > 0 ? s->fps_num : 30) + 100;
		int rc = vc_v4l2_read(s->cam, f, timeout_ms);
		if (rc == 1) {
			f->index = s->produced++;
			if (s->cam_resumed) {
				s->cam_resumed = 0;
				return VC_VSRC_RESUMED;
			}
			return VC_VSRC_FRAME;
		}
		if (rc == 0)
			return 0;
		cam_lost(s, vc_clock_now(s->clock));
	}
	/* Camera away: a placeholder at the frame rate, and a retry when due. */
	uint64_t now = vc_clock_now(s->clock);
	timeline_start(s, now);
	uint64_t due = slot_time(s, s->slot);
	if (s->paced && now < due)
		vc_pace_wait(s->clock, due);
	cam_retry(s, vc_clock_now(s->clock));
	if (!s->cam_lost)
		return read_camera(s, f);
	vc_frame_fill(f, 40, 128, 128);
	f->index = s->produced++;
	f->capture_us = due;
	s->slot++;
	return VC_VSRC_PLACEHOLDER;
}

int vc_vsrc_read(struct vc_vsrc *s, struct vc_frame *f)
{
	if (f->width != s->width || f->height != s->height)
		return -EINVAL;
	if (s->is_cam)
		return read_camera(s, f);
	uint64_t now = vc_clock_now(s->clock);
	timeline_start(s, now);
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
