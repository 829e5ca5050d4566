/* vc_vp8.h - VP8 encoder and decoder (libvpx) for real-time calls.
 *
 * Encoder: realtime deadline, CBR, error resilient, no lag, one thread per
 * core up to 2, keyframe on request, bitrate change while running.
 * Decoder: I420 output; corrupt input is an error return, never a crash.
 * Threading: each object belongs to one thread (its capture/encode or
 * decode thread); vc_vp8_enc_request_keyframe() and
 * vc_vp8_enc_set_bitrate() may be called from any thread (they only set
 * atomics that the encode thread applies before the next frame).
 */
#ifndef VC_VP8_H
#define VC_VP8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vc_frame.h"

struct vc_vp8_enc;
struct vc_vp8_dec;

struct vc_vp8_enc_cfg {
	int width, height;
	int fps;
	uint32_t bitrate_kbps;
	uint32_t keyframe_interval; /* max frames between keyframes, 0 = only on request */
};

/* Encoded output: one frame. data points into encoder memory, valid until
 * the next encode call. */
struct vc_vp8_pkt {
	const uint8_t *data;
	size_t len;
	bool keyframe;
};

int vc_vp8_enc_new(struct vc_vp8_enc **out, const struct vc_vp8_enc_cfg *cfg);
void vc_vp8_enc_free(struct vc_vp8_enc *e);
/* Encode one frame (pts in frame units is taken from frame->index).
 * Returns 1 with *pkt filled, 0 if the encoder dropped the frame, or -errno. */
int vc_vp8_enc_encode(struct vc_vp8_enc *e, const struct vc_frame *frame, struct vc_vp8_pkt *pkt);
void vc_vp8_enc_request_keyframe(struct vc_vp8_enc *e);
void vc_vp8_enc_set_bitrate(struct vc_vp8_enc *e, uint32_t kbps);
uint32_t vc_vp8_enc_bitrate(const struct vc_vp8_enc *e);

int vc_vp8_dec_new(struct vc_vp8_dec **out);
void vc_vp8_dec_free(struct vc_vp8_dec *d);
/* Decode one whole frame.  Returns 1 with *out pointing at the decoder's
 * picture (borrowed planes, valid until the next decode), 0 if no picture
 * came out, or a negative value for corrupt data. */
int vc_vp8_dec_decode(struct vc_vp8_dec *d, const uint8_t *data, size_t len, struct vc_frame *out);

/* True when the VP8 frame header (first byte) says keyframe. */
bool vc_vp8_is_keyframe(const uint8_t *data, size_t len);

#endif
