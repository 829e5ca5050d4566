/* vc_msend.c - capture and encode threads. */
#include "vc_msend.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vc_opus.h"
#include "vc_vp8.h"
#include "vc_vp8_rtp.h"

/* RTP time counts samples as the sample clock makes them, so a receiver
 * sees the capture device's drift and can compensate it.  Capture time
 * re-anchors it only when the two part by more than this: a device stall
 * (skip ahead: a gap the receiver conceals) or a burst of backlog (blocks
 * whose time has already been sent are dropped). */
#define AUDIO_ANCHOR_US 120000
#define AUDIO_BLOCK_US (VC_OPUS_FRAME * 1000000u / VC_OPUS_RATE)
#define AEC_BLOCK (VC_OPUS_FRAME / 2) /* vc_aec's default 10 ms block */
/* Device latencies as PortAudio reports them can be off by tens of ms
 * (seen: the microphone's stamps 40 ms early from one run to the next),
 * and an echo that seems to come before its sound cannot be cancelled.
 * A negative bulk delay makes the canceller's 200 ms filter cover echoes
 * from 40 ms "early" to 160 ms late (the speakers' queue and the room are
 * well inside). */
#define AEC_BULK_DELAY_MS (-40)

struct vc_msend {
	struct vc_msend_cfg cfg;
	struct vc_vp8_enc *venc;
	struct vc_opus_enc *aenc;
	struct vc_aec *aec;
	_Atomic bool stop, muted, camera_off;
	void (*self_view)(void *ctx, const struct vc_frame *pic);
	void *self_ctx;
	pthread_t th[2];
	int n_th;
};

static uint64_t samples_us(int n)
{
	return (uint64_t)n * 1000000u / VC_OPUS_RATE;
}

static bool media_flowing(const struct vc_msend *m)
{
	int st = vc_liveness_state(m->cfg.live);
	return st == VC_ST_CONNECTED || st == VC_ST_PEER_LOST;
}

int vc_msend_new(struct vc_msend **out, const struct vc_msend_cfg *cfg, char *err, size_t errlen)
{
	struct vc_msend *m = calloc(1, sizeof(*m));

	*out = NULL;
	if (!m) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	m->cfg = *cfg;
	if (cfg->vsrc) {
		int w = vc_vsrc_width(cfg->vsrc), h = vc_vsrc_height(cfg->vsrc), fps = vc_vsrc_fps(cfg->vsrc);
		struct vc_vp8_enc_cfg ec = { .width = w, .height = h, .fps = fps, .bitrate_kbps = cfg->video_kbps,
					     .keyframe_interval = (uint32_t)fps * 10 };
		if (vc_vp8_enc_new(&m->venc, &ec)) {
			snprintf(err, errlen, "VP8 encoder: cannot start at %dx%d", w, h);
			goto fail;
		}
	}
	if (cfg->asrc) {
		struct vc_opus_enc_cfg oc = { .channels = 1, .bitrate_kbps = cfg->audio_kbps,
					      .expected_loss_pct = 10 };
		if (vc_opus_enc_new(&m->aenc, &oc)) {
			snprintf(err, errlen, "Opus encoder: cannot start");
			goto fail;
		}
		/* Only a microphone hears the speakers: a tone or a file has no
		 * echo to cancel (and would only pay the canceller's 10 ms). */
		struct vc_aec_cfg acfg;
		vc_aec_cfg_default(&acfg);
		acfg.bulk_delay_ms = AEC_BULK_DELAY_MS;
		if (cfg->aec && vc_asrc_is_mic(cfg->asrc) && vc_aec_new(&m->aec, &acfg)) {
			snprintf(err, errlen, "echo canceller: cannot start");
			goto fail;
		}
	}
	*out = m;
	return 0;
fail:
	vc_msend_free(m);
	return -EINVAL;
}

void vc_msend_free(struct vc_msend *m)
{
	if (!m)
		return;
	vc_vp8_enc_free(m->venc);
	vc_opus_enc_free(m->aenc);
	vc_aec_free(m->aec);
	free(m);
}

static void *video_thread(void *arg)
{
	struct vc_msend *m = arg;
	struct vc_stats *st = m->cfg.stats;
	struct vc_log *log = m->cfg.log;
	struct vc_frame frame;
	uint16_t picture_id = (uint16_t)(m->cfg.random() & 0x7fff);
	uint32_t ts_offset = vc_session_ts_offset(m->cfg.session, VC_VIDEO);
	bool need_keyframe = true;
	int camera_state = VC_VSRC_FRAME;

	if (vc_frame_alloc(&frame, vc_vsrc_width(m->cfg.vsrc), vc_vsrc_height(m->cfg.vsrc))) {
		vc_err(log, "video: out of memory");
		return NULL;
	}
	while (!atomic_load(&m->stop)) {
		int rc = vc_vsrc_read(m->cfg.vsrc, &frame);
		if (rc < 0) {
			vc_err(log, "video source failed (%s); video stops", strerror(-rc));
			break;
		}
		if (rc == 0)
			continue; /* the camera was slow: nothing this time */
		if (rc != camera_state) {
			if (rc == VC_VSRC_PLACEHOLDER)
				vc_warn(log, "camera lost; sending a placeholder and retrying");
			else if (rc == VC_VSRC_RESUMED)
				vc_info(log, "camera back");
			camera_state = rc == VC_VSRC_RESUMED ? VC_VSRC_FRAME : rc;
		}
		if (rc == VC_VSRC_RESUMED)
			need_keyframe = true;
		if (atomic_load(&m->camera_off))
			vc_frame_fill(&frame, 16, 128, 128); /* the peer sees black */
		if (m->self_view)
			m->self_view(m->self_ctx, &frame);
		atomic_fetch_add(&st->frames_captured, 1);
		atomic_store(&st->camera_outages, vc_vsrc_outages(m->cfg.vsrc));
		if (!media_flowing(m)) {
			need_keyframe = true;
			continue;
		}
		if (need_keyframe) {
			vc_vp8_enc_request_keyframe(m->venc);
			need_keyframe = false;
		}
		struct vc_vp8_pkt vp;
		rc = vc_vp8_enc_encode(m->venc, &frame, &vp);
		if (rc < 0) {
			vc_log_limited(log, VC_LOG_WARN, "video: encode failed (%d)", rc);
			continue;
		}
		if (rc == 0)
			continue;
		atomic_fetch_add(&st->frames_encoded, 1);
		if (vp.keyframe)
			atomic_fetch_add(&st->keyframes, 1);

		struct vc_vp8_packetizer pz;
		uint32_t ts = ts_offset + (uint32_t)(frame.capture_us * 9 / 100);
		bool last = false;
		vc_vp8_packetize_begin(&pz, vp.data, vp.len, picture_id, VC_MAX_RTP_PAYLOAD);
		while (!last) {
			struct vc_pkt *p = vc_sender_pkt_get(m->cfg.sender);
			if (!p) {
				/* Pool exhausted: the frame is lost; the next one must not reference it. */
				atomic_fetch_add(&st->send_dropped, 1);
				need_keyframe = true;
				break;
			}
			int n = vc_vp8_packetize_next(&pz, p->data, sizeof(p->data), &last);
			if (n <= 0) {
				vc_sender_pkt_put(m->cfg.sender, p);
				break;
			}
			p->stream = VC_VIDEO;
			p->len = (size_t)n;
			p->ts = ts;
			p->marker = last;
			p->capture_us = frame.capture_us;
			if (!vc_sender_enqueue(m->cfg.sender, p)) {
				need_keyframe = true;
				break;
			}
		}
		picture_id = (uint16_t)((picture_id + 1) & 0x7fff);
	}
	vc_frame_free(&frame);
	return NULL;
}

/* Capture one 20 ms block, cancel echo, encode, queue: one thread, the
 * device's own ring being the only hand-off before it. */
static void *audio_thread(void *arg)
{
	struct vc_msend *m = arg;
	struct vc_stats *st = m->cfg.stats;
	uint32_t ts_offset = vc_session_ts_offset(m->cfg.session, VC_AUDIO);
	int16_t pcm[VC_OPUS_FRAME];
	uint64_t capture_us, base_us = 0, sent = 0; /* samples counted since base_us */
	bool have_base = false, silent = false, dtx = false;

	while (!atomic_load(&m->stop)) {
		int rc = vc_asrc_read(m->cfg.asrc, pcm, VC_OPUS_FRAME, &capture_us);
		if (rc < 0) {
			vc_err(m->cfg.log, "audio source failed (%s); audio stops", strerror(-rc));
			break;
		}
		atomic_store(&st->mic_outages, vc_asrc_outages(m->cfg.asrc));
		atomic_store(&st->mic_overflows, vc_asrc_overflows(m->cfg.asrc));
		if (rc == 0)
			continue; /* a slow device: nothing captured this time */
		if (!have_base) {
			base_us = capture_us;
			have_base = true;
		}
		int64_t diff = (int64_t)(capture_us - base_us) - (int64_t)(sent * 1000000u / VC_OPUS_RATE);
		if (diff < -AUDIO_ANCHOR_US) {
			atomic_fetch_add(&st->audio_stale, 1);
			continue;
		}
		if (diff > AUDIO_ANCHOR_US)
			sent += (uint64_t)(diff / (int64_t)AUDIO_BLOCK_US) * VC_OPUS_FRAME;
		uint32_t ts = ts_offset + (uint32_t)sent;
		sent += VC_OPUS_FRAME;
		if (!media_flowing(m))
			continue;
		struct vc_pkt *p = vc_sender_pkt_get(m->cfg.sender);
		if (!p) {
			atomic_fetch_add(&st->send_dropped, 1);
			continue;
		}
		/* Muted: silence, and DTX so that almost nothing is sent. */
		bool muted = atomic_load(&m->muted);
		if (muted != dtx && vc_opus_enc_set_dtx(m->aenc, muted) == 0)
			dtx = muted;
		if (muted)
			memset(pcm, 0, sizeof(pcm));
		uint64_t stamp = capture_us;
		if (m->aec) {
			/* The canceller works in 10 ms blocks and hands back
			 * its input a block late (speex's preprocessor). */
			for (int h = 0; h < VC_OPUS_FRAME; h += AEC_BLOCK)
				vc_aec_near(m->aec, pcm + h, AEC_BLOCK, (int64_t)(capture_us + samples_us(h)));
			stamp -= samples_us((int)vc_aec_latency_samples(m->aec));
		}
		int n = vc_opus_enc_encode(m->aenc, pcm, p->data, sizeof(p->data));
		if (n <= VC_OPUS_DTX_BYTES) {
			/* Silence under DTX (or an encoder error): nothing
			 * is sent; the receiver tells the gap from loss by
			 * the unbroken sequence numbers. */
			if (n > 0)
				atomic_fetch_add(&st->audio_dtx_frames, 1);
			silent = n > 0;
			vc_sender_pkt_put(m->cfg.sender, p);
			continue;
		}
		p->stream = VC_AUDIO;
		p->len = (size_t)n;
		p->ts = ts;
		p->marker = silent; /* RFC 3551: first packet of a talkspurt */
		silent = false;
		p->capture_us = stamp;
		vc_sender_enqueue(m->cfg.sender, p);
	}
	return NULL;
}

int vc_msend_start(struct vc_msend *m)
{
	int rc;

	if (m->cfg.vsrc) {
		if ((rc = pthread_create(&m->th[m->n_th], NULL, video_thread, m)) != 0)
			return -rc;
		m->n_th++;
	}
	if (m->cfg.asrc) {
		if ((rc = pthread_create(&m->th[m->n_th], NULL, audio_thread, m)) != 0)
			return -rc;
		m->n_th++;
	}
	return 0;
}

void vc_msend_stop(struct vc_msend *m)
{
	atomic_store(&m->stop, true);
	for (int i = 0; i < m->n_th; i++)
		pthread_join(m->th[i], NULL);
	m->n_th = 0;
}

void vc_msend_set_self_view(struct vc_msend *m, void (*fn)(void *ctx, const struct vc_frame *pic), void *ctx)
{
	m->self_view = fn;
	m->self_ctx = ctx;
}

void vc_msend_keyframe(void *arg)
{
	struct vc_msend *m = arg;

	if (m->venc)
		vc_vp8_enc_request_keyframe(m->venc);
}

void vc_msend_set_muted(struct vc_msend *m, bool on)
{
	atomic_store(&m->muted, on);
}

void vc_msend_set_camera_off(struct vc_msend *m, bool off)
{
	atomic_store(&m->camera_off, off);
}

bool vc_msend_muted(const struct vc_msend *m)
{
	return atomic_load(&m->muted);
}

bool vc_msend_camera_off(const struct vc_msend *m)
{
	return atomic_load(&m->camera_off);
}

struct vc_aec *vc_msend_aec(struct vc_msend *m)
{
	return m->aec;
}

uint32_t vc_msend_video_kbps(const struct vc_msend *m)
{
	return m->venc ? vc_vp8_enc_bitrate(m->venc) : 0;
}
