/* vc_rtp.c - RTP header decode/encode (RFC 3550 5.1) with RFC 8285 header
 * extensions, and RTP/RTCP demultiplexing (RFC 5761 4).
 *
 * The decoder reads untrusted datagrams: every read is preceded by a check of
 * what is left, written as a subtraction (len - off < need) so that it cannot
 * wrap.  Decoded pointers point into the caller's buffer.
 */
#include "vc_rtp.h"
#include "vc_bytes.h"

#include <assert.h>
#include <string.h>

#define EXT_ONE_BYTE 0xBEDEu
#define EXT_TWO_BYTE 0x1000u /* 0x100X: the low 4 "appbits" are the app's */
#define EXT_TWO_BYTE_MASK 0xFFF0u

void vc_rtp_put_be64(uint8_t *p, uint64_t v)
{
	vc_put32(p, (uint32_t)(v >> 32));
	vc_put32(p + 4, (uint32_t)v);
}

uint64_t vc_rtp_get_be64(const uint8_t *p)
{
	return (uint64_t)vc_get32(p) << 32 | vc_get32(p + 4);
}

static bool is_two_byte_profile(uint16_t profile)
{
	return (profile & EXT_TWO_BYTE_MASK) == EXT_TWO_BYTE;
}

/* Elements of an RFC 8285 block b[0..n).  A bad element never rejects the
 * packet: the block's own length was already checked against the packet,
 * so the worst a hostile element can do is end element parsing early. */
static void parse_ext_elements(struct vc_rtp_hdr *h, const uint8_t *b, size_t n)
{
	bool two = is_two_byte_profile(h->ext_profile);
	size_t off = 0;

	while (off < n && h->n_ext < VC_RTP_MAX_EXT) {
		uint8_t id;
		size_t elen;

		if (b[off] == 0) { /* padding byte, either form */
			off++;
			continue;
		}
		if (two) {
			if (n - off < 2)
				return;
			id = b[off];
			elen = b[off + 1];
			off += 2;
		} else {
			id = b[off] >> 4;
			elen = (size_t)(b[off] & 0x0f) + 1;
			if (id == 15) /* reserved: stop, keep what came before */
				return;
			if (id == 0) { /* ID 0 with nonzero length: not an element */
				off++;
				continue;
			}
			off++;
		}
		if (n - off < elen) /* runs past its block: ignore it */
			return;
		h->ext[h->n_ext].id = id;
		h->ext[h->n_ext].len = (uint8_t)elen;
		h->ext[h->n_ext].data = b + off;
		h->n_ext++;
		off += elen;
	}
}

int vc_rtp_decode(struct vc_rtp_hdr *h, const uint8_t *buf, size_t len)
{
	size_t off, pad = 0;

	assert(h);
	assert(buf || len == 0);
	memset(h, 0, sizeof(*h));

	if (len < VC_RTP_HDR_MIN)
		return VC_RTP_ETRUNC;
	if (buf[0] >> 6 != VC_RTP_VERSION)
		return VC_RTP_EVERSION;

	h->cc = buf[0] & 0x0f;
	h->has_ext = (buf[0] & 0x10) != 0;
	h->marker = (buf[1] & 0x80) != 0;
	h->pt = buf[1] & 0x7f;
	h->seq = vc_get16(buf + 2);
	h->ts = vc_get32(buf + 4);
	h->ssrc = vc_get32(buf + 8);
	off = VC_RTP_HDR_MIN;

	if (len - off < (size_t)h->cc * 4)
		return VC_RTP_ETRUNC;
	for (unsigned i = 0; i < h->cc; i++, off += 4)
		h->csrc[i] = vc_get32(buf + off);

	if (h->has_ext) {
		size_t ext_len;

		if (len - off < 4)
			return VC_RTP_EEXT;
		h->ext_profile = vc_get16(buf + off);
		ext_len = (size_t)vc_get16(buf + off + 2) * 4;
		off += 4;
		if (len - off < ext_len)
			return VC_RTP_EEXT;
		if (h->ext_profile == EXT_ONE_BYTE || is_two_byte_profile(h->ext_profile))
			parse_ext_elements(h, buf + off, ext_len);
		off += ext_len;
	}

	if (buf[0] & 0x20) {
		/* The last octet counts the padding, itself included. */
		pad = buf[len - 1];
		if (pad == 0 || pad > len - off)
			return VC_RTP_EPAD;
	}
	if (len - off - pad == 0)
		return VC_RTP_EEMPTY;

	h->pad_len = (uint8_t)pad;
	h->payload = buf + off;
	h->payload_len = len - off - pad;
	return 0;
}

const struct vc_rtp_ext *vc_rtp_ext_find(const struct vc_rtp_hdr *h, uint8_t id)
{
	assert(h);
	for (unsigned i = 0; i < h->n_ext && i < VC_RTP_MAX_EXT; i++) {
		if (h->ext[i].id == id)
			return &h->ext[i];
	}
	return NULL;
}

bool vc_rtp_is_rtcp(const uint8_t *buf, size_t len)
{
	if (!buf || len < 2)
		return false;
	return buf[1] >= 192 && buf[1] <= 223;
}

/* Size of the extension block body (without its 4-byte header), padded to
 * 32 bits, or a negative error.  *two is set when the two-byte form is needed. */
static int ext_body_size(const struct vc_rtp_hdr *h, bool *two)
{
	size_t n = 0;

	*two = false;
	if (h->n_ext > VC_RTP_MAX_EXT)
		return VC_RTP_EINVAL;
	for (unsigned i = 0; i < h->n_ext; i++) {
		const struct vc_rtp_ext *e = &h->ext[i];

		if (e->id == 0 || (e->len > 0 && !e->data))
			return VC_RTP_EINVAL;
		if (e->id > 14 || e->len == 0 || e->len > 16)
			*two = true;
	}
	for (unsigned i = 0; i < h->n_ext; i++)
		n += (size_t)(*two ? 2 : 1) + h->ext[i].len;
	return (int)((n + 3) & ~(size_t)3); /* at most 16 * 257 + 3 */
}

int vc_rtp_encode(uint8_t *buf, size_t cap, const struct vc_rtp_hdr *h,
		  const uint8_t *payload, size_t payload_len)
{
	bool two = false, ext = false;
	size_t hdr_len, off, body = 0;

	assert(buf || cap == 0);
	assert(h);

	if (h->cc > VC_RTP_MAX_CSRC || h->pt > 127)
		return VC_RTP_EINVAL;
	/* A packet our own decoder would reject as empty is never sent. */
	if (payload_len == 0 || !payload)
		return VC_RTP_EINVAL;
	if (h->has_ext || h->n_ext > 0) {
		int r = ext_body_size(h, &two);

		if (r < 0)
			return r;
		body = (size_t)r;
		ext = true;
	}

	hdr_len = VC_RTP_HDR_MIN + (size_t)h->cc * 4 + (ext ? 4 + body : 0);
	if (cap < hdr_len || cap - hdr_len < payload_len)
		return VC_RTP_ESPACE;
	if (hdr_len + payload_len > (size_t)INT32_MAX)
		return VC_RTP_EINVAL;

	buf[0] = (uint8_t)(VC_RTP_VERSION << 6 | (ext ? 0x10 : 0) | h->cc);
	buf[1] = (uint8_t)((h->marker ? 0x80 : 0) | h->pt);
	vc_put16(buf + 2, h->seq);
	vc_put32(buf + 4, h->ts);
	vc_put32(buf + 8, h->ssrc);
	off = VC_RTP_HDR_MIN;
	for (unsigned i = 0; i < h->cc; i++, off += 4)
		vc_put32(buf + off, h->csrc[i]);

	if (ext) {
		uint16_t profile;
		size_t end;

		if (h->n_ext == 0) /* an empty block keeps the caller's profile */
			profile = h->ext_profile;
		else
			profile = two ? (uint16_t)EXT_TWO_BYTE : (uint16_t)EXT_ONE_BYTE;
		vc_put16(buf + off, profile);
		vc_put16(buf + off + 2, (uint16_t)(body / 4));
		off += 4;
		end = off + body;
		for (unsigned i = 0; i < h->n_ext; i++) {
			const struct vc_rtp_ext *e = &h->ext[i];

			if (two) {
				buf[off++] = e->id;
				buf[off++] = e->len;
			} else {
				buf[off++] = (uint8_t)(e->id << 4 | (e->len - 1));
			}
			if (e->len)
				memcpy(buf + off, e->data, e->len);
			off += e->len;
		}
		memset(buf + off, 0, end - off); /* padding bytes are ID 0 */
		off = end;
	}

	memcpy(buf + off, payload, payload_len);
	return (int)(off + payload_len);
}
