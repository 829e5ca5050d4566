/* fuzz_opus.c - Opus payload handling on arbitrary packets: decode (normal
 * and FEC), sample count and the LBRR flag reader.  A decode succeeds
 * exactly when the packet parses, with the sample count it announced.
 */
#include <stdint.h>
#include <stdlib.h>

#include "vc_opus.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vc_opus_dec *mono, *stereo;
	static int16_t pcm[2 * VC_OPUS_MAX_FRAME];

	if (!mono && (vc_opus_dec_new(&mono, 1) != 0 || vc_opus_dec_new(&stereo, 2) != 0))
		abort();

	int s = vc_opus_packet_samples(data, size);
	if (s == 0 || s > VC_OPUS_MAX_FRAME || (s > 0 && s % 120 != 0))
		abort();
	(void)vc_opus_has_fec(data, size);

	int r = vc_opus_dec_decode(mono, data, size, false, pcm, VC_OPUS_MAX_FRAME, 0);
	if ((r >= 0) != (s > 0) || (r >= 0 && r != s))
		abort();
	r = vc_opus_dec_decode(stereo, data, size, false, pcm, VC_OPUS_MAX_FRAME, 0);
	if ((r >= 0) != (s > 0) || (r >= 0 && r != s))
		abort();
	r = vc_opus_dec_decode(mono, data, size, true, pcm, VC_OPUS_MAX_FRAME, VC_OPUS_FRAME);
	if (r >= 0 && r != VC_OPUS_FRAME)
		abort();
	/* Concealment after whatever came before. */
	if (vc_opus_dec_decode(mono, NULL, 0, false, pcm, VC_OPUS_MAX_FRAME, VC_OPUS_FRAME) !=
	    VC_OPUS_FRAME)
		abort();
	return 0;
}
