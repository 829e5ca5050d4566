/* vc_devices.c - device choice and fallback. */
#include "vc_devices.h"

#include <stdio.h>
#include <string.h>

#include "vc_opus.h"
#include "vc_v4l2.h"

static int open_vsrc(struct vc_devices *d, const struct vc_opts *o, const struct vc_clock *clk,
		     struct vc_log *log, char *err, size_t errlen)
{
	struct vc_vsrc_cfg vc = { .width = o->width, .height = o->height, .fps = o->fps,
				  .clock = clk, .paced = 1, .v4l2_ops = o->v4l2_ops };
	char path[256], why[256];

	if (o->video_source)
		return vc_vsrc_open(&d->vsrc, o->video_source, &vc, err, errlen);
	if (!vc_v4l2_default_path(path, sizeof(path), o->v4l2_ops)) {
		vc_info(log, "video source: no camera found, using testsrc");
	} else {
		char camspec[280];
		snprintf(camspec, sizeof(camspec), "v4l2:%s", path);
		if (vc_vsrc_open(&d->vsrc, camspec, &vc, why, sizeof(why)) == 0)
			return 0;
		vc_info(log, "video source: %s, using testsrc", why);
	}
	return vc_vsrc_open(&d->vsrc, "testsrc", &vc, err, errlen);
}

static int open_asrc(struct vc_devices *d, const struct vc_opts *o, const struct vc_clock *clk,
		     struct vc_log *log, char *err, size_t errlen)
{
	struct vc_asrc_cfg ac = { .clock = clk, .paced = 1, .skew_ppm = o->audio_clock_ppm };
	char why[256];

	if (o->audio_source)
		return vc_asrc_open(&d->asrc, o->audio_source, &ac, err, errlen);
	if (vc_asrc_open(&d->asrc, "portaudio", &ac, why, sizeof(why)) == 0)
		return 0;
	vc_info(log, "audio source: no microphone (%s), using tone", why);
	return vc_asrc_open(&d->asrc, "tone", &ac, err, errlen);
}

static int open_sinks(struct vc_devices *d, const struct vc_opts *o, struct vc_log *log, const char *title,
		      char *err, size_t errlen)
{
	const char *vk = o->video_sink, *ak = o->audio_sink;
	char why[256];

	if (!vk || strcmp(vk, "sdl") == 0) {
		struct vc_window_cfg wc = { .title = title, .width = o->width, .height = o->height };
		/* A display that cannot be opened is never fatal: the call goes on. */
		if (vc_window_open(&d->win, &wc, why, sizeof(why)) != 0)
			vc_info(log, "video sink: %s, using null%s", why, vk ? " (sdl was asked for)" : "");
		vk = "null";
	}
	if (!ak) {
		if (vc_asink_open(&d->asink, "portaudio", VC_OPUS_RATE, why, sizeof(why)) != 0) {
			vc_info(log, "audio sink: no speakers (%s), using null", why);
			ak = "null";
		}
	}
	if (vc_vsink_open(&d->vsink, vk, d->fps ? d->fps : o->fps, err, errlen))
		return -1;
	if (!d->asink && vc_asink_open(&d->asink, ak, VC_OPUS_RATE, err, errlen))
		return -1;
	return 0;
}

int vc_devices_open(struct vc_devices *d, const struct vc_opts *o, const struct vc_clock *clk,
		    struct vc_log *log, const char *title, char *err, size_t errlen)
{
	memset(d, 0, sizeof(*d));
	if (!o->video_source || strcmp(o->video_source, "none") != 0) {
		if (open_vsrc(d, o, clk, log, err, errlen))
			goto fail;
		d->width = vc_vsrc_width(d->vsrc);
		d->height = vc_vsrc_height(d->vsrc);
		d->fps = vc_vsrc_fps(d->vsrc);
	}
	if ((!o->audio_source || strcmp(o->audio_source, "none") != 0) && open_asrc(d, o, clk, log, err, errlen))
		goto fail;
	if (open_sinks(d, o, log, title, err, errlen))
		goto fail;
	return 0;
fail:
	vc_devices_close(d);
	return -1;
}

int vc_devices_close_sinks(struct vc_devices *d)
{
	int rc = 0;

	if (vc_vsink_close(d->vsink) < 0)
		rc = -1;
	if (vc_asink_close(d->asink) < 0)
		rc = -1;
	d->vsink = NULL;
	d->asink = NULL;
	return rc;
}

void vc_devices_close(struct vc_devices *d)
{
	vc_vsrc_close(d->vsrc);
	vc_asrc_close(d->asrc);
	vc_devices_close_sinks(d);
	vc_window_close(d->win);
	memset(d, 0, sizeof(*d));
}
