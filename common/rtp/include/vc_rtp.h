/* vc_rtp.h - RTP packets (RFC 3550) with RFC 8285 header extensions.
 *
 * vc_rtp_decode() parses untrusted datagrams: every field is bounds-checked
 * and a bad packet is a negative return, never a crash.  Decoded pointers
 * point into the caller's buffer (no copies, no allocation).
 * Thread-safe: no state.
 */
#ifndef VC_RTP_H
#define VC_RTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VC_RTP_VERSION 2
#define VC_RTP_HDR_MIN 12
#define VC_RTP_MAX_PACKET 1200 /* never send more (wire profile) */
#define VC_RTP_MAX_CSRC 15
#define VC_RTP_MAX_EXT 16      /* elements kept per packet; further ones ignored */

/* Payload types and extension IDs of the vcalld wire profile (docs/PROTOCOL.md). */
#define VC_PT_VP8 96
#define VC_PT_OPUS 111
#define VC_EXT_ABS_CAPTURE_TIME 1 /* 8 bytes: 64-bit NTP capture time */
#define VC_EXT_TRANSPORT_SEQ 2    /* 2 bytes: transport-wide sequence number */

/* Reasons a datagram is rejected (negative return values). */
enum vc_rtp_err {
	VC_RTP_ETRUNC = -1,   /* shorter than its header says */
	VC_RTP_EVERSION = -2, /* version != 2 */
	VC_RTP_EPAD = -3,     /* padding count 0 or past the payload */
	VC_RTP_EEXT = -4,     /* extension block runs past the packet */
	VC_RTP_EEMPTY = -5,   /* no payload left after header and padding */
	VC_RTP_ESPACE = -6,   /* encode: output buffer too small */
	VC_RTP_EINVAL = -7,   /* encode: bad argument (ext id/len out of range) */
};

struct vc_rtp_ext {
	uint8_t id;          /* 1..14 one-byte form, 1..255 two-byte form */
	uint8_t len;         /* data length in bytes (1..16 one-byte, 0..255 two-byte) */
	const uint8_t *data; /* points into the packet, or the caller's data on encode */
};

struct vc_rtp_hdr {
	bool marker;
	uint8_t pt;
	uint16_t seq;
	uint32_t ts;
	uint32_t ssrc;
	uint8_t cc;
	uint32_t csrc[VC_RTP_MAX_CSRC];
	bool has_ext;          /* X bit */
	uint16_t ext_profile;  /* 0xBEDE one-byte, 0x100x two-byte, else opaque */
	uint8_t n_ext;         /* parsed RFC 8285 elements */
	struct vc_rtp_ext ext[VC_RTP_MAX_EXT];
	uint8_t pad_len;       /* padding bytes removed (P bit), 0 if none */
	const uint8_t *payload;
	size_t payload_len;
};

/* Parse buf[0..len).  Returns 0 or a negative vc_rtp_err.  Malformed single
 * extension elements (ID 15 in the one-byte form terminates parsing; an
 * element running past its block is ignored) do not reject the packet. */
int vc_rtp_decode(struct vc_rtp_hdr *h, const uint8_t *buf, size_t len);

/* Serialize header (with CSRCs and the h->n_ext extensions, one-byte form when
 * every id is 1..14 and len 1..16, two-byte form otherwise) followed by
 * payload into buf.  h->payload/payload_len/pad_len are ignored on encode.
 * Returns bytes written or a negative vc_rtp_err. */
int vc_rtp_encode(uint8_t *buf, size_t cap, const struct vc_rtp_hdr *h,
		  const uint8_t *payload, size_t payload_len);

/* First extension element with this id, or NULL. */
const struct vc_rtp_ext *vc_rtp_ext_find(const struct vc_rtp_hdr *h, uint8_t id);

/* RFC 5761 demultiplexing: true when the datagram is RTCP (second byte
 * 192..223).  Needs len >= 2; false otherwise. */
bool vc_rtp_is_rtcp(const uint8_t *buf, size_t len);

/* Helpers for the fixed-size extensions of the profile. */
void vc_rtp_put_be64(uint8_t *p, uint64_t v);
uint64_t vc_rtp_get_be64(const uint8_t *p);

#endif
