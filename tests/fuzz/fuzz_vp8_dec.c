/* fuzz_vp8_dec.c - the VP8 decoder wrapper on arbitrary frames.
 * One decoder lives across inputs (as in a call, where state carries over
 * from frame to frame); any outcome but a crash or a bad picture is fine.
 */
#include <stdint.h>
#include <stdlib.h>

#include "vc_vp8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vc_vp8_dec *dec;
	struct vc_frame out = { 0 };

	if (!dec && vc_vp8_dec_new(&dec) != 0)
		abort();
	int r = vc_vp8_dec_decode(dec, data, size, &out);
	if (r == 1) {
		if (out.width <= 0 || out.height <= 0 || out.width > 4096 || out.height > 4096)
			abort();
		/* Touch the corners of every plane: they must be real memory. */
		volatile uint8_t sink = 0;
		for (int p = 0; p < 3; p++) {
			int w = p ? (out.width + 1) / 2 : out.width;
			int h = p ? (out.height + 1) / 2 : out.height;
			sink ^= out.plane[p][0];
			sink ^= out.plane[p][(size_t)(h - 1) * (size_t)out.stride[p] + (size_t)(w - 1)];
		}
		(void)sink;
	} else if (r > 1) {
		abort();
	}
	return 0;
}
