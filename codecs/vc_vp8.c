/* vc_vp8.c - VP8 encoder and decoder on libvpx, tuned for real-time calls.
 *
 * The encoder runs one pass CBR at the realtime deadline with no lookahead,
 * so every input frame comes straight back out (or is dropped by rate
 * control).  Keyframe requests and bitrate changes may arrive from any
 * thread; they are atomics that the encode thread applies before the next
 * frame.  Nothing on the per-frame path allocates: the caller's planes are
 * wrapped, not copied.
 *
 * The decoder treats every input as hostile: libvpx errors and frames it
 * marks corrupt become -EBADMSG, and keyframes announcing a picture larger
 * than we are willing to allocate for are refused before libvpx sees them.
 */
#include "vc_vp8.h"

#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vpx/vp8cx.h>
#include <vpx/vp8dx.h>
#include <vpx/vpx_decoder.h>
#include <vpx/vpx_encoder.h>

/* Largest picture the decoder accepts from the network: 4K either way and
 * no more area than 4096x2304 (about 14 MB per reference buffer). */
#define DEC_MAX_SIDE 4096
#define DEC_MAX_AREA (4096 * 2304)

#define ENC_MIN_KBPS 30
#define ENC_MAX_KBPS 20000

struct vc_vp8_enc {
	vpx_codec_ctx_t codec;
	vpx_codec_enc_cfg_t cfg;
	vpx_image_t img;
	int64_t last_pts;
	atomic_bool want_key;
	atomic_uint_fast32_t target_kbps; /* requested; cfg holds what is applied */
};

struct vc_vp8_dec {
	vpx_codec_ctx_t codec;
};

static uint32_t clamp_kbps(uint32_t kbps)
{
	if (kbps < ENC_MIN_KBPS)
		return ENC_MIN_KBPS;
	if (kbps > ENC_MAX_KBPS)
		return ENC_MAX_KBPS;
	return kbps;
}

static unsigned int enc_threads(int width, int height)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	/* libvpx's VP8 encoder threads spin-wait on each other: on a machine
	 * with few cores, shared with the decoder, the other call threads or a
	 * second daemon, a second thread makes encoding slower, not faster.
	 * Only large pictures on machines with cores to spare get one. */
	if (n < 4 || (long)width * height < 1280 * 720)
		return 1;
	return 2;
}

int vc_vp8_enc_new(struct vc_vp8_enc **out, const struct vc_vp8_enc_cfg *cfg)
{
	struct vc_vp8_enc *e = NULL;
	bool inited = false;
	int err;

	*out = NULL;
	if (!cfg || cfg->width < 2 || cfg->height < 2 || cfg->width > 8192 || cfg->height > 8192 ||
	    (cfg->width & 1) || (cfg->height & 1) || cfg->fps <= 0 || cfg->fps > 240) {
		err = -EINVAL;
		goto out;
	}
	e = calloc(1, sizeof(*e));
	if (!e) {
		err = -ENOMEM;
		goto out;
	}
	if (vpx_codec_enc_config_default(vpx_codec_vp8_cx(), &e->cfg, 0) != VPX_CODEC_OK) {
		err = -EINVAL;
		goto out;
	}

	vpx_codec_enc_cfg_t *c = &e->cfg;
	c->g_w = (unsigned int)cfg->width;
	c->g_h = (unsigned int)cfg->height;
	c->g_timebase.num = 1;
	c->g_timebase.den = cfg->fps; /* pts are frame indices */
	c->g_threads = enc_threads(cfg->width, cfg->height);
	c->g_pass = VPX_RC_ONE_PASS;
	c->g_lag_in_frames = 0;
	c->g_error_resilient = VPX_ERROR_RESILIENT_DEFAULT;
	c->rc_end_usage = VPX_CBR;
	c->rc_target_bitrate = clamp_kbps(cfg->bitrate_kbps);
	c->rc_resize_allowed = 0;
	/* Dropping a frame under a sudden overshoot keeps latency bounded;
	 * a call prefers a skipped frame to a queue building up. */
	c->rc_dropframe_thresh = 30;
	/* q 2..56: below 2 wastes bits, above 56 VP8 falls apart visibly. */
	c->rc_min_quantizer = 2;
	c->rc_max_quantizer = 56;
	c->rc_undershoot_pct = 100;
	c->rc_overshoot_pct = 15;
	/* A short decoder buffer model (ms) so rate control reacts within
	 * about half a second, as a congestion controller expects. */
	c->rc_buf_initial_sz = 500;
	c->rc_buf_optimal_sz = 600;
	c->rc_buf_sz = 1000;
	if (cfg->keyframe_interval) {
		c->kf_mode = VPX_KF_AUTO;
		c->kf_min_dist = 0;
		c->kf_max_dist = cfg->keyframe_interval;
	} else {
		/* Only on request (PLI/FIR); forced keyframes still work. */
		c->kf_mode = VPX_KF_DISABLED;
		c->kf_min_dist = 0;
		c->kf_max_dist = 0;
	}

	if (vpx_codec_enc_init(&e->codec, vpx_codec_vp8_cx(), c, 0) != VPX_CODEC_OK) {
		err = -EINVAL;
		goto out;
	}
	inited = true;

	/* Negative cpu-used: fixed speed level 6, fast enough for 640x480 on
	 * one core with quality still fine for a call. */
	if (vpx_codec_control(&e->codec, VP8E_SET_CPUUSED, -6) != VPX_CODEC_OK ||
	    vpx_codec_control(&e->codec, VP8E_SET_NOISE_SENSITIVITY, 0u) != VPX_CODEC_OK ||
	    vpx_codec_control(&e->codec, VP8E_SET_STATIC_THRESHOLD, 1u) != VPX_CODEC_OK ||
	    vpx_codec_control(&e->codec, VP8E_SET_TOKEN_PARTITIONS, (int)VP8_ONE_TOKENPARTITION) !=
		    VPX_CODEC_OK ||
	    /* Cap keyframes at ~ optimal buffer / 2 worth of frames, so a
	     * keyframe does not stall the link for long. */
	    vpx_codec_control(&e->codec, VP8E_SET_MAX_INTRA_BITRATE_PCT,
			      (unsigned int)(c->rc_buf_optimal_sz / 2 * (unsigned)cfg->fps / 10)) !=
		    VPX_CODEC_OK) {
		err = -EINVAL;
		goto out;
	}

	e->last_pts = -1;
	atomic_init(&e->want_key, false);
	atomic_init(&e->target_kbps, c->rc_target_bitrate);
	*out = e;
	e = NULL;
	err = 0;
out:
	if (e) {
		if (inited)
			vpx_codec_destroy(&e->codec);
		free(e);
	}
	return err;
}

void vc_vp8_enc_free(struct vc_vp8_enc *e)
{
	if (!e)
		return;
	vpx_codec_destroy(&e->codec);
	free(e);
}

void vc_vp8_enc_request_keyframe(struct vc_vp8_enc *e)
{
	atomic_store_explicit(&e->want_key, true, memory_order_relaxed);
}

void vc_vp8_enc_set_bitrate(struct vc_vp8_enc *e, uint32_t kbps)
{
	atomic_store_explicit(&e->target_kbps, clamp_kbps(kbps), memory_order_relaxed);
}

uint32_t vc_vp8_enc_bitrate(const struct vc_vp8_enc *e)
{
	/* C11 atomic_load wants a non-const object on older compilers. */
	return (uint32_t)atomic_load_explicit((atomic_uint_fast32_t *)&e->target_kbps,
					      memory_order_relaxed);
}

int vc_vp8_enc_encode(struct vc_vp8_enc *e, const struct vc_frame *frame, struct vc_vp8_pkt *pkt)
{
	vpx_enc_frame_flags_t flags = 0;

	if (!frame || !pkt || frame->width != (int)e->cfg.g_w || frame->height != (int)e->cfg.g_h)
		return -EINVAL;

	uint32_t kbps = (uint32_t)atomic_load_explicit(&e->target_kbps, memory_order_relaxed);
	if (kbps != e->cfg.rc_target_bitrate) {
		e->cfg.rc_target_bitrate = kbps;
		if (vpx_codec_enc_config_set(&e->codec, &e->cfg) != VPX_CODEC_OK)
			return -EIO;
	}
	if (atomic_exchange_explicit(&e->want_key, false, memory_order_relaxed))
		flags |= VPX_EFLAG_FORCE_KF;

	/* Wrap the caller's planes: vpx_img_wrap only fills in the struct,
	 * then the planes and strides are pointed at the real ones. */
	vpx_img_wrap(&e->img, VPX_IMG_FMT_I420, e->cfg.g_w, e->cfg.g_h, 1, frame->plane[0]);
	for (int p = 0; p < 3; p++) {
		e->img.planes[p] = frame->plane[p];
		e->img.stride[p] = frame->stride[p];
	}

	/* libvpx wants increasing pts; a source restart must not stall it. */
	int64_t pts = frame->index;
	if (pts <= e->last_pts)
		pts = e->last_pts + 1;
	e->last_pts = pts;

	if (vpx_codec_encode(&e->codec, &e->img, pts, 1, flags, VPX_DL_REALTIME) != VPX_CODEC_OK) {
		/* Do not lose a keyframe request to a failed frame. */
		if (flags & VPX_EFLAG_FORCE_KF)
			atomic_store_explicit(&e->want_key, true, memory_order_relaxed);
		return -EIO;
	}

	vpx_codec_iter_t iter = NULL;
	const vpx_codec_cx_pkt_t *cx;
	int got = 0;
	while ((cx = vpx_codec_get_cx_data(&e->codec, &iter))) {
		/* No lag and no partition output: at most one frame packet. */
		if (cx->kind != VPX_CODEC_CX_FRAME_PKT || got)
			continue;
		pkt->data = cx->data.frame.buf;
		pkt->len = cx->data.frame.sz;
		pkt->keyframe = (cx->data.frame.flags & VPX_FRAME_IS_KEY) != 0;
		got = 1;
	}
	/* A dropped frame that should have been a keyframe: try the next. */
	if (!got && (flags & VPX_EFLAG_FORCE_KF))
		atomic_store_explicit(&e->want_key, true, memory_order_relaxed);
	return got;
}

int vc_vp8_dec_new(struct vc_vp8_dec **out)
{
	struct vc_vp8_dec *d;
	vpx_codec_dec_cfg_t cfg = { .threads = 1, .w = 0, .h = 0 };
	int err;

	*out = NULL;
	d = calloc(1, sizeof(*d));
	if (!d) {
		err = -ENOMEM;
		goto out;
	}
	if (vpx_codec_dec_init(&d->codec, vpx_codec_vp8_dx(), &cfg, 0) != VPX_CODEC_OK) {
		err = -EINVAL;
		goto out;
	}
	*out = d;
	d = NULL;
	err = 0;
out:
	free(d);
	return err;
}

void vc_vp8_dec_free(struct vc_vp8_dec *d)
{
	if (!d)
		return;
	vpx_codec_destroy(&d->codec);
	free(d);
}

/* Keyframe header (RFC 6386 9.1): 3-byte tag, start code 9d 01 2a, then
 * 14-bit width and height.  Refuse sizes we would not allocate for. */
static int check_keyframe_size(const uint8_t *data, size_t len)
{
	if (len < 10)
		return -EBADMSG;
	if (data[3] != 0x9d || data[4] != 0x01 || data[5] != 0x2a)
		return -EBADMSG;
	unsigned int w = (unsigned int)(data[6] | (data[7] << 8)) & 0x3fff;
	unsigned int h = (unsigned int)(data[8] | (data[9] << 8)) & 0x3fff;
	if (w == 0 || h == 0 || w > DEC_MAX_SIDE || h > DEC_MAX_SIDE ||
	    (unsigned long)w * h > DEC_MAX_AREA)
		return -EMSGSIZE;
	return 0;
}

int vc_vp8_dec_decode(struct vc_vp8_dec *d, const uint8_t *data, size_t len, struct vc_frame *out)
{
	int corrupt = 0;

	/* Empty input would mean "flush" to libvpx; from the network it is
	 * simply malformed. */
	if (!data || len == 0)
		return -EBADMSG;
	if (len > UINT_MAX)
		return -EMSGSIZE;
	if (vc_vp8_is_keyframe(data, len)) {
		int r = check_keyframe_size(data, len);
		if (r < 0)
			return r;
	}
	if (vpx_codec_decode(&d->codec, data, (unsigned int)len, NULL, 0) != VPX_CODEC_OK)
		return -EBADMSG;
	/* Damage libvpx papered over (truncated token data, or a reference
	 * that was itself corrupt) is still damage: the caller should ask
	 * for a keyframe rather than show it. */
	if (vpx_codec_control(&d->codec, VP8D_GET_FRAME_CORRUPTED, &corrupt) == VPX_CODEC_OK &&
	    corrupt)
		return -EBADMSG;

	vpx_codec_iter_t iter = NULL;
	vpx_image_t *img, *last = NULL;
	while ((img = vpx_codec_get_frame(&d->codec, &iter)))
		last = img;
	if (!last)
		return 0;
	if (last->fmt != VPX_IMG_FMT_I420 || last->d_w > INT_MAX || last->d_h > INT_MAX)
		return -EBADMSG;

	/* Only the picture fields: capture_us and index stay the caller's. */
	out->width = (int)last->d_w;
	out->height = (int)last->d_h;
	for (int p = 0; p < 3; p++) {
		out->plane[p] = last->planes[p];
		out->stride[p] = last->stride[p];
	}
	out->mem = NULL;
	return 1;
}

bool vc_vp8_is_keyframe(const uint8_t *data, size_t len)
{
	/* Frame tag bit 0 is P: 0 for a keyframe. */
	return data && len >= 1 && (data[0] & 0x01) == 0;
}
