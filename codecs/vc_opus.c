/* vc_opus.c - Opus encoder/decoder on libopus for RFC 7587 payloads.
 *
 * One RTP payload is one Opus packet; vcalld sends 20 ms VoIP frames with
 * in-band FEC (LBRR) so a single lost packet can be rebuilt from the next.
 * The decoder never trusts its input: empty or malformed packets are an
 * error return and the caller conceals (PLC) instead.
 */
#include "vc_opus.h"

#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdlib.h>

#include <opus/opus.h>

#define ENC_MIN_KBPS 6
#define ENC_MAX_KBPS 510
/* Realtime on small machines: most of the quality for about half the CPU
 * of complexity 10. */
#define ENC_COMPLEXITY 6

struct vc_opus_enc {
	OpusEncoder *enc;
	int channels;
	uint32_t applied_kbps;
	atomic_uint_fast32_t target_kbps;
};

struct vc_opus_dec {
	OpusDecoder *dec;
	int channels;
};

static uint32_t clamp_kbps(uint32_t kbps)
{
	if (kbps < ENC_MIN_KBPS)
		return ENC_MIN_KBPS;
	if (kbps > ENC_MAX_KBPS)
		return ENC_MAX_KBPS;
	return kbps;
}

int vc_opus_enc_new(struct vc_opus_enc **out, const struct vc_opus_enc_cfg *cfg)
{
	struct vc_opus_enc *e = NULL;
	int oerr, err;

	*out = NULL;
	if (!cfg || (cfg->channels != 1 && cfg->channels != 2) || cfg->expected_loss_pct < 0 ||
	    cfg->expected_loss_pct > 100) {
		err = -EINVAL;
		goto out;
	}
	e = calloc(1, sizeof(*e));
	if (!e) {
		err = -ENOMEM;
		goto out;
	}
	e->channels = cfg->channels;
	e->enc = opus_encoder_create(VC_OPUS_RATE, cfg->channels, OPUS_APPLICATION_VOIP, &oerr);
	if (!e->enc || oerr != OPUS_OK) {
		err = oerr == OPUS_ALLOC_FAIL ? -ENOMEM : -EINVAL;
		goto out;
	}
	e->applied_kbps = clamp_kbps(cfg->bitrate_kbps);
	atomic_init(&e->target_kbps, e->applied_kbps);
	/* Constrained VBR: voice gets VBR's efficiency without bursts that
	 * would upset the pacing of a CBR-ish link. FEC needs a loss estimate
	 * to spend bits on LBRR; the signal hint keeps SILK (which carries
	 * the FEC) in play.  DTX starts off: SILK's voice detector takes a
	 * steady tone or music for silence (see vc_opus_enc_set_dtx). */
	if (opus_encoder_ctl(e->enc, OPUS_SET_BITRATE((opus_int32)e->applied_kbps * 1000)) != OPUS_OK ||
	    opus_encoder_ctl(e->enc, OPUS_SET_VBR(1)) != OPUS_OK ||
	    opus_encoder_ctl(e->enc, OPUS_SET_VBR_CONSTRAINT(1)) != OPUS_OK ||
	    opus_encoder_ctl(e->enc, OPUS_SET_COMPLEXITY(ENC_COMPLEXITY)) != OPUS_OK ||
	    opus_encoder_ctl(e->enc, OPUS_SET_SIGNAL(OPUS_SIGNAL_VOICE)) != OPUS_OK ||
	    opus_encoder_ctl(e->enc, OPUS_SET_INBAND_FEC(1)) != OPUS_OK ||
	    opus_encoder_ctl(e->enc, OPUS_SET_PACKET_LOSS_PERC(cfg->expected_loss_pct)) != OPUS_OK ||
	    opus_encoder_ctl(e->enc, OPUS_SET_DTX(0)) != OPUS_OK) {
		err = -EINVAL;
		goto out;
	}
	*out = e;
	e = NULL;
	err = 0;
out:
	if (e) {
		if (e->enc)
			opus_encoder_destroy(e->enc);
		free(e);
	}
	return err;
}

void vc_opus_enc_free(struct vc_opus_enc *e)
{
	if (!e)
		return;
	opus_encoder_destroy(e->enc);
	free(e);
}

void vc_opus_enc_set_bitrate(struct vc_opus_enc *e, uint32_t kbps)
{
	/* Applied by the encode thread before the next frame, like VP8, so the
	 * congestion controller may call this from its own thread. */
	atomic_store_explicit(&e->target_kbps, clamp_kbps(kbps), memory_order_relaxed);
}

int vc_opus_enc_set_dtx(struct vc_opus_enc *e, bool on)
{
	return opus_encoder_ctl(e->enc, OPUS_SET_DTX(on ? 1 : 0)) == OPUS_OK ? 0 : -EINVAL;
}

int vc_opus_enc_lookahead(struct vc_opus_enc *e)
{
	opus_int32 la = 0;

	if (opus_encoder_ctl(e->enc, OPUS_GET_LOOKAHEAD(&la)) != OPUS_OK)
		return -EINVAL;
	return (int)la;
}

int vc_opus_enc_encode(struct vc_opus_enc *e, const int16_t *pcm, uint8_t *out, size_t cap)
{
	if (!pcm || !out || cap == 0)
		return -EINVAL;

	uint32_t kbps = (uint32_t)atomic_load_explicit(&e->target_kbps, memory_order_relaxed);
	if (kbps != e->applied_kbps) {
		if (opus_encoder_ctl(e->enc, OPUS_SET_BITRATE((opus_int32)kbps * 1000)) != OPUS_OK)
			return -EIO;
		e->applied_kbps = kbps;
	}

	/* Nothing is gained by a buffer beyond the largest legal packet. */
	opus_int32 max = cap > VC_OPUS_MAX_PACKET ? VC_OPUS_MAX_PACKET : (opus_int32)cap;
	opus_int32 n = opus_encode(e->enc, pcm, VC_OPUS_FRAME, out, max);
	if (n < 0)
		return n == OPUS_BUFFER_TOO_SMALL ? -ENOBUFS : -EIO;
	return (int)n;
}

int vc_opus_dec_new(struct vc_opus_dec **out, int channels)
{
	struct vc_opus_dec *d = NULL;
	int oerr, err;

	*out = NULL;
	if (channels != 1 && channels != 2) {
		err = -EINVAL;
		goto out;
	}
	d = calloc(1, sizeof(*d));
	if (!d) {
		err = -ENOMEM;
		goto out;
	}
	d->channels = channels;
	d->dec = opus_decoder_create(VC_OPUS_RATE, channels, &oerr);
	if (!d->dec || oerr != OPUS_OK) {
		err = oerr == OPUS_ALLOC_FAIL ? -ENOMEM : -EINVAL;
		goto out;
	}
	*out = d;
	d = NULL;
	err = 0;
out:
	free(d);
	return err;
}

void vc_opus_dec_free(struct vc_opus_dec *d)
{
	if (!d)
		return;
	opus_decoder_destroy(d->dec);
	free(d);
}

/* Opus decodes whole multiples of 2.5 ms (120 samples at 48 kHz). */
static bool valid_conceal_len(int n, int cap)
{
	return n > 0 && n <= cap && n <= VC_OPUS_MAX_FRAME && n % 120 == 0;
}

int vc_opus_dec_decode(struct vc_opus_dec *d, const uint8_t *data, size_t len, bool fec,
		       int16_t *pcm, int cap_samples, int frame_samples)
{
	int n;

	if (!pcm || cap_samples <= 0)
		return -EINVAL;
	if (!data) {
		/* PLC: libopus extrapolates from its state. */
		if (!valid_conceal_len(frame_samples, cap_samples))
			return -EINVAL;
		n = opus_decode(d->dec, NULL, 0, pcm, frame_samples, 0);
	} else {
		/* len 0 would mean PLC to libopus; from the wire it is junk. */
		if (len == 0)
			return -EBADMSG;
		if (len > INT32_MAX)
			return -EMSGSIZE;
		if (fec) {
			/* Rebuild the lost frame before this packet; its length
			 * is the lost frame's, which only the caller knows. */
			if (!valid_conceal_len(frame_samples, cap_samples))
				return -EINVAL;
			n = opus_decode(d->dec, data, (opus_int32)len, pcm, frame_samples, 1);
		} else {
			int max = cap_samples < VC_OPUS_MAX_FRAME ? cap_samples : VC_OPUS_MAX_FRAME;
			n = opus_decode(d->dec, data, (opus_int32)len, pcm, max, 0);
		}
	}
	if (n < 0)
		return n == OPUS_BUFFER_TOO_SMALL ? -ENOBUFS : -EBADMSG;
	return n;
}

/* Parse the whole packet (RFC 6716 3.2) so that callers never act on the
 * TOC of a packet libopus would refuse.  Returns frames or negative. */
static int parse(const uint8_t *data, size_t len, const unsigned char *frames[48], opus_int16 size[48])
{
	if (!data || len == 0)
		return -EBADMSG;
	if (len > INT32_MAX)
		return -EMSGSIZE;
	int nf = opus_packet_parse(data, (opus_int32)len, NULL, frames, size, NULL);
	return nf > 0 ? nf : -EBADMSG;
}

bool vc_opus_has_fec(const uint8_t *data, size_t len)
{
	const unsigned char *frames[48];
	opus_int16 size[48];

	if (parse(data, len, frames, size) < 0)
		return false;
	/* TOC configs 16..31 are CELT only: no SILK layer, no LBRR. */
	unsigned int config = data[0] >> 3;
	if (config >= 16)
		return false;
	if (size[0] < 1)
		return false;
	/* RFC 6716 4.2.3: the SILK layer of the first Opus frame opens, per
	 * channel, with one VAD flag per SILK frame (1 for 10/20 ms, 2 for
	 * 40 ms, 3 for 60 ms) and then the LBRR flag.  They are coded with
	 * probability 1/2 each, so they are the top bits of the first byte. */
	int spf = opus_packet_get_samples_per_frame(data, VC_OPUS_RATE);
	int silk_frames = spf <= 960 ? 1 : spf / 960;
	int channels = opus_packet_get_nb_channels(data);
	for (int ch = 0; ch < channels && ch < 2; ch++) {
		int bit = (ch + 1) * (silk_frames + 1) - 1; /* from the MSB */
		if (size[0] * 8 > bit && (frames[0][bit / 8] & (0x80 >> (bit % 8))))
			return true;
	}
	return false;
}

int vc_opus_packet_samples(const uint8_t *data, size_t len)
{
	const unsigned char *frames[48];
	opus_int16 size[48];
	int r = parse(data, len, frames, size);

	if (r < 0)
		return r;
	int n = opus_packet_get_nb_samples(data, (opus_int32)len, VC_OPUS_RATE);
	if (n <= 0 || n > VC_OPUS_MAX_FRAME)
		return -EBADMSG;
	return n;
}
