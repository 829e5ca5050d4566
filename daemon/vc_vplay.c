/* vc_vplay.c - video decode and render at the render time. */
#include "vc_vplay.h"

#include <math.h>
#include <stdlib.h>

#include "vc_vjitter.h"
#include "vc_vp8.h"

uint64_t vc_freeze_frame(struct vc_freeze *fz, uint64_t render)
{
	uint64_t freeze = 0;

	if (fz->last_render_us && render > fz->last_render_us) {
		double dt = (double)(render - fz->last_render_us) / 1000.0;
		double limit = fmax(150.0, 3.0 * fz->avg_interval_ms);
		if (fz->avg_interval_ms > 0 && dt > limit)
			freeze = (uint64_t)dt;
		fz->avg_interval_ms = fz->avg_interval_ms > 0 ? 0.9 * fz->avg_interval_ms + 0.1 * dt : dt;
	}
	fz->last_render_us = render;
	return freeze;
}

void *vc_vplay_thread(void *arg)
{
	const struct vc_vplay_cfg *c = arg;
	struct vc_stats *st = c->stats;
	struct vc_vp8_dec *dec = NULL;
	struct vc_vjitter *vj = NULL;
	uint8_t *data = malloc(VC_MAX_FRAME_BYTES);
	struct vc_freeze fz = { 0 };
	bool waiting_keyframe = true;
	uint64_t decode_us = 0; /* the decode-time estimate: frames leave the buffer this early */

	if (!data || vc_vp8_dec_new(&dec) || vc_vjitter_new(&vj, NULL)) {
		vc_err(c->log, "video decoder: cannot start");
		goto out;
	}
	while (!atomic_load(c->stop)) {
		struct vc_fb_frame f = { .data = data, .cap = VC_MAX_FRAME_BYTES };

		/* Render time = RTP time on our clock + jitter estimate +
		 * decode time + margin (the buffer's target); a frame is taken
		 * out one decode time early so that it is shown on time. */
		if (!vc_vrecv_get(c->recv, c->clock, decode_us, UINT64_MAX, &f))
			continue;
		vc_vjitter_frame(vj, f.ts, f.last_arrival_us, (uint32_t)(f.len > UINT32_MAX ? UINT32_MAX : f.len));

		/* A broken reference chain is never decoded: the picture holds
		 * (a freeze, counted as such) until a keyframe repairs it.
		 * Missing packets were already NACKed by the receive thread. */
		if (f.gap_before && !f.keyframe)
			waiting_keyframe = true;
		if (waiting_keyframe && !f.keyframe) {
			atomic_fetch_add(&st->frames_dropped, 1);
			c->need_keyframe(c->kf_ctx);
			continue;
		}
		waiting_keyframe = false;
		struct vc_frame pic;
		uint64_t t0 = vc_clock_now(c->clock);
		int rc = vc_vp8_dec_decode(dec, f.data, f.len, &pic);
		if (rc <= 0) {
			atomic_fetch_add(&st->frames_dropped, 1);
			if (rc < 0) {
				waiting_keyframe = true;
				c->need_keyframe(c->kf_ctx);
			}
			continue;
		}
		uint64_t render = vc_clock_now(c->clock);
		atomic_store(&st->decode_us, render - t0);
		vc_vjitter_decode_time(vj, render - t0);
		decode_us = (uint64_t)(vc_vjitter_decode_ms(vj) * 1000.0);
		double want = vc_vjitter_ms(vj) + vc_vjitter_decode_ms(vj) + VC_VIDEO_RENDER_MARGIN_MS;
		vc_vrecv_set_jitter_ms(c->recv, (uint32_t)ceil(want));
		if (vc_vsink_render(c->sink, &pic, render) < 0)
			vc_log_limited(c->log, VC_LOG_ERROR, "video sink: write failed");
		if (c->show)
			c->show(c->show_ctx, &pic);
		atomic_fetch_add(&st->frames_decoded, 1);
		atomic_store(&st->width, (uint32_t)pic.width);
		atomic_store(&st->height, (uint32_t)pic.height);
		int64_t sender_us;
		if (vc_session_sender_time(c->session, VC_VIDEO, f.ts, &sender_us))
			vc_avsync_note(c->sync, VC_VIDEO, sender_us, render);
		if (f.capture_us && render > f.capture_us) {
			atomic_fetch_add(&st->video_e2e_sum_us, render - f.capture_us);
			atomic_fetch_add(&st->video_e2e_n, 1);
		}
		if (render > f.last_arrival_us)
			atomic_store(&st->video_jb_us, render - f.last_arrival_us);
		uint64_t freeze = vc_freeze_frame(&fz, render);
		if (freeze) {
			atomic_fetch_add(&st->freezes, 1);
			atomic_fetch_add(&st->freeze_ms, freeze);
		}
	}
out:
	vc_vjitter_free(vj);
	vc_vp8_dec_free(dec);
	free(data);
	return NULL;
}
