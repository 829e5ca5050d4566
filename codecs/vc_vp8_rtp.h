/* vc_vp8_rtp.h - RTP payload format for VP8 (RFC 7741).
 *
 * Packetizer: splits one encoded frame into payloads of at most max_payload
 * bytes (descriptor included) with a 15-bit PictureID (M=1), S=1 on the
 * first packet, PID=0 (one partition as a whole).  The RTP marker goes on
 * the last packet.
 * Depacketizer: parses the payload descriptor of an untrusted packet; all
 * X/I/L/T/K extensions are bounds-checked.
 * Threading: no state beyond the caller's structs.
 */
#ifndef VC_VP8_RTP_H
#define VC_VP8_RTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VC_VP8_DESC_MAX 6 /* X + I(2) + L + T/K bytes */

struct vc_vp8_packetizer {
	const uint8_t *frame;
	size_t len;
	size_t off;
	size_t max_payload;   /* total payload bytes per packet incl. descriptor */
	uint16_t picture_id;  /* 15 bit */
	bool first;
};

/* Start packetizing one frame. max_payload must leave room for the
 * descriptor (>= VC_VP8_DESC_MAX + 1). */
void vc_vp8_packetize_begin(struct vc_vp8_packetizer *p, const uint8_t *frame, size_t len,
			    uint16_t picture_id, size_t max_payload);
/* Write the next payload into out (cap bytes).  Returns its length, 0 when
 * the frame is done, negative on error; *last is set on the final packet. */
int vc_vp8_packetize_next(struct vc_vp8_packetizer *p, uint8_t *out, size_t cap, bool *last);

struct vc_vp8_desc {
	bool start;          /* S */
	uint8_t pid;         /* partition index */
	bool non_ref;        /* N */
	int32_t picture_id;  /* -1 if absent; 7 or 15 bit value */
	bool picture_id_15;
	int16_t tl0picidx;   /* -1 if absent */
	int8_t tid;          /* -1 if absent */
	bool layer_sync;
	int8_t keyidx;       /* -1 if absent */
	size_t hdr_len;      /* descriptor length: payload data starts here */
	bool keyframe;       /* start of partition 0 and VP8 header P bit = 0 */
};

/* Parse the descriptor.  Returns 0 or -EBADMSG (too short for its own
 * flags, or no VP8 data after it). */
int vc_vp8_desc_parse(struct vc_vp8_desc *d, const uint8_t *payload, size_t len);

#endif
