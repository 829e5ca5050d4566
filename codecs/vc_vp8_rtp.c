/* vc_vp8_rtp.c - RFC 7741 VP8 payload descriptor: packetizer and parser.
 *
 * Descriptor layout (RFC 7741 section 4.2):
 *
 *        0 1 2 3 4 5 6 7
 *       +-+-+-+-+-+-+-+-+
 *       |X|R|N|S|R| PID |   always
 *       +-+-+-+-+-+-+-+-+
 *  X:   |I|L|T|K| RSV   |   if X
 *  I:   |M| PictureID   |   if I (M=1: 15-bit PictureID, one more byte)
 *       |   PictureID   |
 *  L:   |   TL0PICIDX   |   if L
 *  T/K: |TID|Y| KEYIDX  |   if T or K
 *
 * We always send X=1, I=1, M=1 (4 bytes), S=1 on the first packet, PID=0:
 * the whole frame travels as one partition.
 */
#include "vc_vp8_rtp.h"

#include <errno.h>
#include <string.h>

#define B0_X 0x80
#define B0_N 0x20
#define B0_S 0x10
#define B0_PID 0x07
#define BX_I 0x80
#define BX_L 0x40
#define BX_T 0x20
#define BX_K 0x10
#define PICID_M 0x80

#define OUT_DESC_LEN 4     /* what the packetizer writes */
#define MAX_RTP_PAYLOAD 65535 /* nothing larger fits an RTP packet over UDP */

void vc_vp8_packetize_begin(struct vc_vp8_packetizer *p, const uint8_t *frame, size_t len,
			    uint16_t picture_id, size_t max_payload)
{
	p->frame = frame;
	p->len = len;
	p->off = 0;
	p->max_payload = max_payload;
	p->picture_id = picture_id & 0x7fff;
	p->first = true;
}

int vc_vp8_packetize_next(struct vc_vp8_packetizer *p, uint8_t *out, size_t cap, bool *last)
{
	if (last)
		*last = false;
	if (p->max_payload < VC_VP8_DESC_MAX + 1 || p->max_payload > MAX_RTP_PAYLOAD ||
	    !p->frame || p->len == 0 || p->off > p->len)
		return -EINVAL;
	if (p->off == p->len)
		return 0;

	/* Spread the rest evenly over as few packets as fit, so the last
	 * one is not a runt: n = ceil(rest / room), size = ceil(rest / n). */
	size_t room = p->max_payload - OUT_DESC_LEN;
	size_t rest = p->len - p->off;
	size_t npkts = rest / room + (rest % room != 0);
	size_t chunk = rest / npkts + (rest % npkts != 0);

	if (!out || cap < OUT_DESC_LEN || cap - OUT_DESC_LEN < chunk)
		return -ENOBUFS;

	out[0] = B0_X | (p->first ? B0_S : 0); /* N=0, PID=0 */
	out[1] = BX_I;
	out[2] = (uint8_t)(PICID_M | (p->picture_id >> 8));
	out[3] = (uint8_t)(p->picture_id & 0xff);
	memcpy(out + OUT_DESC_LEN, p->frame + p->off, chunk);
	p->off += chunk;
	p->first = false;
	if (last)
		*last = p->off == p->len;
	return (int)(OUT_DESC_LEN + chunk);
}

int vc_vp8_desc_parse(struct vc_vp8_desc *d, const uint8_t *payload, size_t len)
{
	size_t off = 0;

	memset(d, 0, sizeof(*d));
	d->picture_id = -1;
	d->tl0picidx = -1;
	d->tid = -1;
	d->keyidx = -1;

	if (!payload || len < 1)
		return -EBADMSG;
	uint8_t b0 = payload[off++];
	d->start = (b0 & B0_S) != 0;
	d->non_ref = (b0 & B0_N) != 0;
	d->pid = b0 & B0_PID;

	if (b0 & B0_X) {
		if (len - off < 1)
			return -EBADMSG;
		uint8_t bx = payload[off++];

		if (bx & BX_I) {
			if (len - off < 1)
				return -EBADMSG;
			if (payload[off] & PICID_M) {
				if (len - off < 2)
					return -EBADMSG;
				d->picture_id = ((payload[off] & 0x7f) << 8) | payload[off + 1];
				d->picture_id_15 = true;
				off += 2;
			} else {
				d->picture_id = payload[off] & 0x7f;
				off += 1;
			}
		}
		if (bx & BX_L) {
			if (len - off < 1)
				return -EBADMSG;
			d->tl0picidx = payload[off++];
		}
		/* One shared byte carries TID/Y and KEYIDX when either is on. */
		if (bx & (BX_T | BX_K)) {
			if (len - off < 1)
				return -EBADMSG;
			uint8_t tk = payload[off++];
			if (bx & BX_T) {
				d->tid = (int8_t)(tk >> 6);
				d->layer_sync = (tk & 0x20) != 0;
			}
			if (bx & BX_K)
				d->keyidx = (int8_t)(tk & 0x1f);
		}
	}

	/* A descriptor with nothing after it carries no VP8 data. */
	if (len - off < 1)
		return -EBADMSG;
	d->hdr_len = off;
	/* The P bit is only a frame header at the start of partition 0. */
	d->keyframe = d->start && d->pid == 0 && (payload[off] & 0x01) == 0;
	return 0;
}
