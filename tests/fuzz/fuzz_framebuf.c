/* fuzz_framebuf.c - drive vc_framebuf with a byte-coded sequence of puts
 * and gets on a small buffer and check what comes out: every released
 * frame fits the caller's buffer and max_frame, is due, and is exactly the
 * concatenation of the packets last stored under its sequence numbers.
 *
 * Input: a list of ops, first byte op % 4:
 *   0 put:  seq delta, flags/ts step, length, arrival delta
 *   1 get:  time delta
 *   2 time jump
 *   3 reset / retarget (rare)
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vc_framebuf.h"
#include "fuzz_cursor.h"

#define SLOTS 16
#define MAX_PAYLOAD 64
#define MAX_FRAME 200

static uint8_t shadow_len[65536];
static uint8_t shadow_gen[65536];

static uint8_t pat(uint16_t seq, uint8_t gen, size_t k)
{
	return (uint8_t)(seq * 5u + gen * 29u + k);
}

static void check_frame(const struct vc_fb_frame *f, uint64_t now)
{
	size_t off = 0;
	uint16_t seq = f->first_seq;

	if (f->len > f->cap || f->len > MAX_FRAME || f->render_us > now)
		abort();
	if ((uint16_t)(f->last_seq - f->first_seq) >= SLOTS)
		abort();
	for (;;) {
		size_t n = shadow_len[seq];

		if (n > f->len - off)
			abort();
		for (size_t k = 0; k < n; k++)
			if (f->data[off + k] != pat(seq, shadow_gen[seq], k))
				abort();
		off += n;
		if (seq == f->last_seq)
			break;
		seq++;
	}
	if (off != f->len)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vc_framebuf_cfg cfg = { .clock_rate = 90000, .target_ms = 50, .slots = SLOTS,
				       .max_payload = MAX_PAYLOAD, .max_frame = MAX_FRAME };
	struct vc_framebuf *fb;
	struct cur c = { data, size };
	uint8_t payload[256], out[MAX_FRAME + 64];
	uint16_t seq = 1000;
	uint32_t ts = 0xfffff000u;
	uint64_t now = 1000000;
	uint8_t gen = 0;

	if (vc_framebuf_new(&fb, &cfg) != 0)
		abort();
	memset(shadow_len, 0, sizeof(shadow_len));
	memset(shadow_gen, 0, sizeof(shadow_gen));
	while (c.left > 0) {
		uint8_t op = next(&c);

		if (op % 4 == 0) {
			uint8_t sd = next(&c), fl = next(&c), ln = next(&c), ad = next(&c);
			struct vc_fb_pkt_info pi = { 0 };
			size_t len = ln % 80; /* sometimes > MAX_PAYLOAD */
			enum vc_fb_put_result r;

			if (sd == 255)
				seq = (uint16_t)(seq + 40000);
			else
				seq = (uint16_t)(seq + (sd % 12) - 4);
			switch ((fl >> 3) % 8) {
			case 0: case 1: case 2:
				break;
			case 3: case 4:
				ts += 3000;
				break;
			case 5:
				ts -= 3000;
				break;
			case 6:
				ts += 3000u * (next(&c) % 64);
				break;
			default:
				ts = (uint32_t)next(&c) << 24 | (uint32_t)next(&c) << 8;
				break;
			}
			now += (uint64_t)ad * 500;
			pi.seq = seq;
			pi.ts = ts;
			pi.frame_start = fl & 1;
			pi.marker = fl & 2;
			pi.keyframe = fl & 4;
			pi.picture_id = (fl & 0x40) ? -1 : (int32_t)(ts / 3000) & 0x7fff;
			pi.capture_us = now;
			pi.arrival_us = now;
			gen++;
			for (size_t k = 0; k < len; k++)
				payload[k] = pat(seq, gen, k);
			r = vc_framebuf_put(fb, &pi, payload, len);
			if (r == VC_FB_STORED || r == VC_FB_OVERFLOW) {
				if (len > MAX_PAYLOAD)
					abort();
				shadow_len[seq] = (uint8_t)len;
				shadow_gen[seq] = gen;
			}
		} else if (op % 4 == 1 || op % 4 == 2) {
			struct vc_fb_frame f = { .data = out, .cap = sizeof(out) };
			int got = 0;

			now += op % 4 == 1 ? (uint64_t)next(&c) * 1000 : (uint64_t)next(&c) * 20000;
			while (vc_framebuf_get(fb, now, &f) == 1) {
				check_frame(&f, now);
				if (++got > SLOTS)
					abort(); /* each frame holds >= 1 packet */
				f.len = 0;
			}
			if (vc_framebuf_next_due(fb) != UINT64_MAX && vc_framebuf_next_due(fb) <= now)
				abort(); /* a due complete frame was left behind */
		} else {
			uint8_t b = next(&c);

			if (b < 8)
				vc_framebuf_reset(fb);
			else if (b < 16)
				vc_framebuf_set_target_ms(fb, (uint32_t)b * 10);
		}
	}
	vc_framebuf_free(fb);
	return 0;
}
