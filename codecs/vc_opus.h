/* vc_opus.h - Opus encoder/decoder (libopus) and the RFC 7587 payload.
 *
 * RFC 7587: the RTP payload is exactly one Opus packet; timestamps count
 * 48 kHz samples whatever the internal rate.  vcalld sends mono 20 ms
 * frames (960 samples) with in-band FEC on and the VoIP application;
 * DTX is switched on while the microphone is muted.
 * Decoder: PLC when data is NULL, FEC recovery from the next packet,
 * garbage payloads give an error return (the caller conceals instead).
 * Threading: each object belongs to one thread.
 */
#ifndef VC_OPUS_H
#define VC_OPUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VC_OPUS_RATE 48000
#define VC_OPUS_FRAME 960      /* 20 ms at 48 kHz */
#define VC_OPUS_MAX_PACKET 1275
#define VC_OPUS_MAX_FRAME 5760 /* 120 ms: largest a packet may decode to */
/* The encoder's look-ahead for the profile's configuration (VoIP, 48 kHz):
 * sound captured at t comes out of the decoder this much later than the
 * packet's timestamp says.  A receiver counts it in mouth-to-ear latency;
 * unit.test_opus checks it against libopus (OPUS_GET_LOOKAHEAD). */
#define VC_OPUS_LOOKAHEAD 312
/* With DTX on, an encoded frame this small (TOC byte only, or TOC and a
 * count) is silence the sender need not transmit. */
#define VC_OPUS_DTX_BYTES 2

struct vc_opus_enc;
struct vc_opus_dec;

struct vc_opus_enc_cfg {
	int channels;           /* 1 or 2 */
	uint32_t bitrate_kbps;  /* e.g. 32 */
	int expected_loss_pct;  /* tunes in-band FEC, e.g. 10 */
};

int vc_opus_enc_new(struct vc_opus_enc **out, const struct vc_opus_enc_cfg *cfg);
void vc_opus_enc_free(struct vc_opus_enc *e);
/* Encode exactly VC_OPUS_FRAME samples per channel.  Returns bytes or -errno. */
int vc_opus_enc_encode(struct vc_opus_enc *e, const int16_t *pcm, uint8_t *out, size_t cap);
void vc_opus_enc_set_bitrate(struct vc_opus_enc *e, uint32_t kbps);
/* Discontinuous transmission: in what the encoder's voice detector takes
 * for silence, frames shrink to at most VC_OPUS_DTX_BYTES (not worth
 * sending) with a comfort-noise update every 400 ms.  Off by default: the
 * detector also takes a steady tone or music for silence.  Encode thread
 * only.  Returns 0 or -EINVAL. */
int vc_opus_enc_set_dtx(struct vc_opus_enc *e, bool on);
/* The encoder's look-ahead in samples at 48 kHz, as libopus reports it. */
int vc_opus_enc_lookahead(struct vc_opus_enc *e);

int vc_opus_dec_new(struct vc_opus_dec **out, int channels);
void vc_opus_dec_free(struct vc_opus_dec *d);
/* Decode a packet into pcm (cap_samples per channel).  data == NULL: PLC
 * for 'frame_samples'.  fec: decode the FEC copy of the previous frame
 * carried in data.  Returns samples per channel or a negative value. */
int vc_opus_dec_decode(struct vc_opus_dec *d, const uint8_t *data, size_t len, bool fec,
		       int16_t *pcm, int cap_samples, int frame_samples);
/* True when the packet carries in-band FEC (LBRR) data. */
bool vc_opus_has_fec(const uint8_t *data, size_t len);
/* Samples (at 48 kHz) in the packet, or negative if invalid. */
int vc_opus_packet_samples(const uint8_t *data, size_t len);

#endif
