/* fuzz_rtp.c - libFuzzer target for vc_rtp_decode().
 * Any input must decode to 0 or a negative code without touching memory
 * outside the datagram; a decoded packet must account for every byte, and
 * re-encoding it must decode back to the same fields.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vc_rtp.h"

#define REQUIRE(c)              \
	do {                    \
		if (!(c))       \
			abort(); \
	} while (0)

#define MAX_REENCODE (1u << 20)

static uint8_t out[MAX_REENCODE + 8192];

static void check_reencode(const struct vc_rtp_hdr *h)
{
	struct vc_rtp_hdr d;
	int n = vc_rtp_encode(out, sizeof(out), h, h->payload, h->payload_len);

	REQUIRE(n > 0);
	REQUIRE(vc_rtp_decode(&d, out, (size_t)n) == 0);
	REQUIRE(d.marker == h->marker && d.pt == h->pt && d.seq == h->seq);
	REQUIRE(d.ts == h->ts && d.ssrc == h->ssrc && d.cc == h->cc);
	REQUIRE(memcmp(d.csrc, h->csrc, sizeof(d.csrc[0]) * h->cc) == 0);
	REQUIRE(d.has_ext == h->has_ext && d.n_ext == h->n_ext);
	if (h->n_ext == 0)
		REQUIRE(d.ext_profile == h->ext_profile);
	for (unsigned i = 0; i < h->n_ext; i++) {
		REQUIRE(d.ext[i].id == h->ext[i].id && d.ext[i].len == h->ext[i].len);
		REQUIRE(memcmp(d.ext[i].data, h->ext[i].data, h->ext[i].len) == 0);
	}
	REQUIRE(d.pad_len == 0 && d.payload_len == h->payload_len);
	REQUIRE(memcmp(d.payload, h->payload, h->payload_len) == 0);
	REQUIRE(d.payload + d.payload_len == out + n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vc_rtp_hdr h;
	int r = vc_rtp_decode(&h, data, size);

	(void)vc_rtp_is_rtcp(data, size);
	if (r != 0) {
		REQUIRE(r >= VC_RTP_EEMPTY && r <= VC_RTP_ETRUNC);
		return 0;
	}
	/* the payload lies inside the buffer and every byte is accounted for */
	REQUIRE(h.payload >= data + VC_RTP_HDR_MIN && h.payload < data + size);
	REQUIRE(h.payload_len > 0);
	REQUIRE((size_t)(h.payload - data) + h.payload_len + h.pad_len == size);
	REQUIRE(h.cc <= VC_RTP_MAX_CSRC && h.n_ext <= VC_RTP_MAX_EXT && h.pt < 128);
	for (unsigned i = 0; i < h.n_ext; i++) {
		const struct vc_rtp_ext *e = &h.ext[i];

		REQUIRE(e->id != 0 && e->data >= data + VC_RTP_HDR_MIN);
		REQUIRE(e->data + e->len <= h.payload);
		REQUIRE(vc_rtp_ext_find(&h, e->id) != NULL);
		if (h.ext_profile == 0xBEDE)
			REQUIRE(e->id < 15 && e->len >= 1 && e->len <= 16);
	}
	if (size <= MAX_REENCODE)
		check_reencode(&h);
	return 0;
}
