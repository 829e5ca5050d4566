/* fuzz_jb.c - drive vc_jb with a byte-coded sequence of puts and gets on a
 * small buffer and check what comes out: payloads are the bytes stored for
 * that (seq, ts), within max_payload, never released before they are due,
 * and the buffer never holds more than its slots.
 *
 * Input: a list of ops, first byte op % 4:
 *   0,3 put: seq delta, ts step, length, arrival delta
 *   1   get: time delta, step size
 *   2   reset / retarget (rare) or a time jump
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vc_jb.h"
#include "fuzz_cursor.h"

#define SLOTS 8
#define MAX_PAYLOAD 64

static uint8_t pat(uint16_t seq, uint32_t ts, size_t k)
{
	return (uint8_t)(seq * 3u + ts * 7u + (ts >> 8) + k);
}

static void check_payload(const struct vc_jb_pkt *p, uint32_t ts)
{
	if (p->len > MAX_PAYLOAD || (p->len && !p->data))
		abort();
	for (size_t k = 0; k < p->len; k++)
		if (p->data[k] != pat(p->seq, ts, k))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vc_jb_cfg cfg = { .clock_rate = 48000, .target_ms = 40, .slots = SLOTS,
				 .max_payload = MAX_PAYLOAD };
	struct vc_jb *jb;
	struct cur c = { data, size };
	uint8_t payload[256];
	uint16_t seq = 65500;
	uint32_t ts = 0xffff0000u;
	uint64_t now = 1000000;

	if (vc_jb_new(&jb, &cfg) != 0)
		abort();
	while (c.left > 0) {
		uint8_t op = next(&c);

		if (op % 4 == 0 || op % 4 == 3) {
			uint8_t sd = next(&c), tsd = next(&c), ln = next(&c), ad = next(&c);
			size_t len = ln % 80; /* sometimes > MAX_PAYLOAD */
			enum vc_jb_put_result r;

			seq = (uint16_t)(seq + (sd % 8) - 2);
			switch (tsd % 8) {
			case 0: case 1: case 2:
				ts += 960;
				break;
			case 3:
				ts -= 960 * (tsd >> 3);
				break;
			case 4:
				ts += 960 * (tsd >> 3);
				break;
			case 5:
				ts += 480;
				break;
			case 6:
				break;
			default:
				ts = (uint32_t)next(&c) << 24 | (uint32_t)next(&c) << 12;
				break;
			}
			now += (uint64_t)ad * 250;
			for (size_t k = 0; k < len; k++)
				payload[k] = pat(seq, ts, k);
			r = vc_jb_put(jb, seq, ts, payload, len, now);
			if (r == VC_JB_TOO_BIG && len <= MAX_PAYLOAD)
				abort();
			if (r != VC_JB_TOO_BIG && len > MAX_PAYLOAD)
				abort();
		} else if (op % 4 == 1) {
			uint8_t td = next(&c), sm = next(&c);
			uint32_t samples = sm < 200 ? 960 : (sm < 230 ? 480 : 1u + sm * 13u);
			struct vc_jb_pkt p;
			int rounds = 0;

			now += (uint64_t)td * 1000;
			for (;;) {
				int r = vc_jb_get(jb, now, samples, &p);

				if (r == VC_JB_NOT_YET)
					break;
				if (p.playout_us > now)
					abort();
				if (r == VC_JB_PACKET)
					check_payload(&p, p.ts);
				else if (p.fec_candidate)
					check_payload(&p, p.ts + samples);
				else if (p.data || p.len)
					abort();
				/* a time step can owe many concealment steps; the
				 * test caller just stops after a while */
				if (++rounds > 600)
					break;
			}
		} else {
			uint8_t b = next(&c);

			if (b < 4)
				vc_jb_reset(jb);
			else if (b < 12)
				vc_jb_set_target_ms(jb, (uint32_t)b * 20);
			else
				now += (uint64_t)b * 10000;
		}
		if (vc_jb_count(jb) > SLOTS)
			abort();
		{
			double d = vc_jb_delay_ms(jb, now);

			if (!(d >= 0.0 && d < 1e9))
				abort();
		}
	}
	vc_jb_free(jb);
	return 0;
}
