/* fuzz_vp8_rtp.c - RFC 7741 descriptor parser on arbitrary payloads.
 * Invariants: only 0 or -EBADMSG; on success the descriptor ends before the
 * payload does and the fields fit their widths.  The same bytes are also
 * packetized and parsed back to check the round trip.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vc_vp8_rtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vc_vp8_desc d;
	int r = vc_vp8_desc_parse(&d, data, size);

	if (r != 0 && r != -EBADMSG)
		abort();
	if (r == 0) {
		if (d.hdr_len >= size || d.hdr_len > VC_VP8_DESC_MAX)
			abort();
		if (d.picture_id > 0x7fff || (!d.picture_id_15 && d.picture_id > 0x7f))
			abort();
		if (d.tid > 3 || d.keyidx > 31 || d.tl0picidx > 255 || d.pid > 7)
			abort();
		if (d.keyframe && (!d.start || d.pid != 0 || (data[d.hdr_len] & 1)))
			abort();
	}

	/* Round trip: the input as a frame, the first byte choosing a size. */
	if (size >= 1) {
		static uint8_t back[4096];
		uint8_t pkt[512];
		struct vc_vp8_packetizer p;
		size_t max = VC_VP8_DESC_MAX + 1 + data[0] % 200, got = 0;
		size_t len = size - 1 < sizeof(back) ? size - 1 : sizeof(back);
		bool last = false;
		int n;

		if (len == 0)
			return 0;
		vc_vp8_packetize_begin(&p, data + 1, len, (uint16_t)(size * 31), max);
		while ((n = vc_vp8_packetize_next(&p, pkt, sizeof(pkt), &last)) > 0) {
			if ((size_t)n > max || vc_vp8_desc_parse(&d, pkt, (size_t)n) != 0)
				abort();
			if (d.start != (got == 0) || (size_t)n - d.hdr_len > len - got)
				abort();
			memcpy(back + got, pkt + d.hdr_len, (size_t)n - d.hdr_len);
			got += (size_t)n - d.hdr_len;
		}
		if (n < 0 || got != len || memcmp(back, data + 1, len) != 0)
			abort();
	}
	return 0;
}
