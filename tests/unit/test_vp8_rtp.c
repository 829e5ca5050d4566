/* test_vp8_rtp.c - RFC 7741 payload descriptor: hand-written vectors,
 * packetize/depacketize round trips, PictureID wrap, hostile short payloads.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vc_test.h"
#include "vc_vp8_rtp.h"

struct vector {
	const char *name;
	uint8_t bytes[12];
	size_t len;
	int ret;
	bool start, non_ref;
	uint8_t pid;
	int32_t picture_id;
	bool picture_id_15;
	int16_t tl0picidx;
	int8_t tid;
	bool layer_sync;
	int8_t keyidx;
	size_t hdr_len;
	bool keyframe;
};

/* Payload bytes after the descriptor: 0x10 is a keyframe tag (P=0),
 * 0x11 an inter frame (P=1). */
static const struct vector vectors[] = {
	{ "no X, S, keyframe", { 0x10, 0x10, 0x02 }, 3, 0,
	  true, false, 0, -1, false, -1, -1, false, -1, 1, true },
	{ "no X, S, inter", { 0x10, 0x11 }, 2, 0,
	  true, false, 0, -1, false, -1, -1, false, -1, 1, false },
	{ "no X, not S: no keyframe", { 0x00, 0x10 }, 2, 0,
	  false, false, 0, -1, false, -1, -1, false, -1, 1, false },
	{ "S, PID 1: not partition 0", { 0x11, 0x10 }, 2, 0,
	  true, false, 1, -1, false, -1, -1, false, -1, 1, false },
	{ "N and PID 7, reserved bits ignored", { 0x6f, 0x11 }, 2, 0,
	  false, true, 7, -1, false, -1, -1, false, -1, 1, false },
	{ "X with nothing set", { 0x90, 0x00, 0x10 }, 3, 0,
	  true, false, 0, -1, false, -1, -1, false, -1, 2, true },
	{ "I 7-bit", { 0x90, 0x80, 0x55, 0x10 }, 4, 0,
	  true, false, 0, 0x55, false, -1, -1, false, -1, 3, true },
	{ "I 15-bit", { 0x90, 0x80, 0x81, 0x23, 0x10 }, 5, 0,
	  true, false, 0, 0x0123, true, -1, -1, false, -1, 4, true },
	{ "I 15-bit max", { 0x80, 0x80, 0xff, 0xff, 0x11 }, 5, 0,
	  false, false, 0, 0x7fff, true, -1, -1, false, -1, 4, false },
	{ "L only", { 0x90, 0x40, 0x07, 0x10 }, 4, 0,
	  true, false, 0, -1, false, 7, -1, false, -1, 3, true },
	{ "T only, TID 2, Y", { 0x90, 0x20, 0xa0, 0x10 }, 4, 0,
	  true, false, 0, -1, false, -1, 2, true, -1, 3, true },
	{ "K only, KEYIDX 21", { 0x90, 0x10, 0xd5, 0x10 }, 4, 0,
	  true, false, 0, -1, false, -1, -1, false, 21, 3, true },
	{ "I15 L T K", { 0x90, 0xf0, 0x80, 0x01, 0xfe, 0x5f, 0x10 }, 7, 0,
	  true, false, 0, 1, true, 254, 1, false, 31, 6, true },
	{ "I7 L T", { 0x80, 0xe0, 0x7f, 0x00, 0xc0, 0x11, 0xaa }, 7, 0,
	  false, false, 0, 127, false, 0, 3, false, -1, 5, false },
	{ "T K share one byte", { 0x90, 0x30, 0x7f, 0x10 }, 4, 0,
	  true, false, 0, -1, false, -1, 1, true, 31, 3, true },
	/* Errors: too short for its own flags, or no VP8 data. */
	{ .name = "empty", .bytes = { 0 }, .len = 0, .ret = -EBADMSG },
	{ .name = "descriptor only", .bytes = { 0x10 }, .len = 1, .ret = -EBADMSG },
	{ .name = "X byte missing", .bytes = { 0x80 }, .len = 1, .ret = -EBADMSG },
	{ .name = "X, I: PictureID missing", .bytes = { 0x80, 0x80 }, .len = 2, .ret = -EBADMSG },
	{ .name = "X, I, M: second byte missing", .bytes = { 0x90, 0x80, 0x80 }, .len = 3, .ret = -EBADMSG },
	{ .name = "X, I15: no data", .bytes = { 0x90, 0x80, 0x80, 0x00 }, .len = 4, .ret = -EBADMSG },
	{ .name = "X, all: short", .bytes = { 0x90, 0xff }, .len = 2, .ret = -EBADMSG },
	{ .name = "X, L T K, no TK byte", .bytes = { 0x80, 0xf0, 0x01, 0x02 }, .len = 4, .ret = -EBADMSG },
	{ .name = "X, T: no data", .bytes = { 0x80, 0x20, 0x40 }, .len = 3, .ret = -EBADMSG },
	{ .name = "X, K: missing", .bytes = { 0x80, 0x10 }, .len = 2, .ret = -EBADMSG },
};

static void test_vectors(void)
{
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		const struct vector *v = &vectors[i];
		struct vc_vp8_desc d;
		/* Copy into a buffer of exactly len bytes so ASan sees overreads. */
		uint8_t *buf = malloc(v->len ? v->len : 1);
		if (!buf)
			continue;
		memcpy(buf, v->bytes, v->len);
		int r = vc_vp8_desc_parse(&d, buf, v->len);
		free(buf);
		if (r != v->ret)
			fprintf(stderr, "  vector '%s'\n", v->name);
		CHECK_EQ(r, v->ret);
		if (r != 0 || v->ret != 0)
			continue;
		CHECK_EQ(d.start, v->start);
		CHECK_EQ(d.non_ref, v->non_ref);
		CHECK_EQ(d.pid, v->pid);
		CHECK_EQ(d.picture_id, v->picture_id);
		CHECK_EQ(d.picture_id_15, v->picture_id_15);
		CHECK_EQ(d.tl0picidx, v->tl0picidx);
		CHECK_EQ(d.tid, v->tid);
		CHECK_EQ(d.layer_sync, v->layer_sync);
		CHECK_EQ(d.keyidx, v->keyidx);
		CHECK_EQ(d.hdr_len, v->hdr_len);
		CHECK_EQ(d.keyframe, v->keyframe);
	}
}

/* Packetize a frame, parse every payload back and reassemble. */
static void round_trip(size_t len, size_t max_payload, uint16_t picid)
{
	uint8_t *frame = malloc(len);
	uint8_t *back = malloc(len);
	uint8_t pkt[1500];
	struct vc_vp8_packetizer p;
	size_t got = 0, npkts = 0, smallest = SIZE_MAX, largest = 0;
	bool last = false, saw_last = false, ok = true;

	if (!frame || !back) {
		CHECK(0);
		goto out;
	}
	for (size_t i = 0; i < len; i++)
		frame[i] = (uint8_t)(i * 7 + (i >> 8));
	frame[0] &= 0xfe; /* keyframe tag */
	vc_vp8_packetize_begin(&p, frame, len, picid, max_payload);
	for (;;) {
		int n = vc_vp8_packetize_next(&p, pkt, sizeof(pkt), &last);
		if (n <= 0) {
			CHECK_EQ(n, 0);
			break;
		}
		struct vc_vp8_desc d;
		ok &= (size_t)n <= max_payload;
		ok &= vc_vp8_desc_parse(&d, pkt, (size_t)n) == 0;
		ok &= d.start == (npkts == 0);
		ok &= d.keyframe == (npkts == 0);
		ok &= d.pid == 0 && d.picture_id == picid && d.picture_id_15;
		ok &= last == (got + ((size_t)n - d.hdr_len) == len);
		ok &= !saw_last; /* nothing after the final packet */
		saw_last = last;
		size_t data = (size_t)n - d.hdr_len;
		if (got + data > len) {
			ok = false;
			break;
		}
		memcpy(back + got, pkt + d.hdr_len, data);
		got += data;
		npkts++;
		if (data < smallest)
			smallest = data;
		if (data > largest)
			largest = data;
		if (npkts > len + 1) {
			ok = false;
			break;
		}
	}
	if (!ok)
		fprintf(stderr, "  round trip of %zu bytes failed\n", len);
	CHECK(ok);
	CHECK(saw_last);
	CHECK_EQ(got, len);
	CHECK(memcmp(back, frame, len) == 0);
	/* Fewest packets possible, sizes within one byte of each other. */
	size_t room = max_payload - 4;
	CHECK_EQ(npkts, (len + room - 1) / room);
	CHECK(largest - smallest <= 1);
	/* Once done, it stays done. */
	CHECK_EQ(vc_vp8_packetize_next(&p, pkt, sizeof(pkt), &last), 0);
out:
	free(frame);
	free(back);
}

static void test_packetize(void)
{
	static const size_t sizes[] = { 1, 100, 1188, 1189, 5000, 100000 };
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		round_trip(sizes[i], 1200 - 12, 0x1234);
	/* Smallest legal max_payload: one data byte per packet. */
	round_trip(50, VC_VP8_DESC_MAX + 1, 3);
}

static void test_spread(void)
{
	/* 1189 bytes in 1184-byte rooms: two packets of 595 and 594, not
	 * 1184 and 5. */
	uint8_t frame[1189] = { 0 }, pkt[1200];
	struct vc_vp8_packetizer p;
	bool last;

	vc_vp8_packetize_begin(&p, frame, sizeof(frame), 1, 1188);
	CHECK_EQ(vc_vp8_packetize_next(&p, pkt, sizeof(pkt), &last), 4 + 595);
	CHECK(!last);
	CHECK_EQ(vc_vp8_packetize_next(&p, pkt, sizeof(pkt), &last), 4 + 594);
	CHECK(last);
	CHECK_EQ(vc_vp8_packetize_next(&p, pkt, sizeof(pkt), &last), 0);
}

static void test_picture_id_wrap(void)
{
	uint8_t frame[10] = { 0 }, pkt[64];
	struct vc_vp8_packetizer p;
	struct vc_vp8_desc d;
	bool last;
	uint16_t id = 0x7fff;

	for (int i = 0; i < 2; i++) {
		vc_vp8_packetize_begin(&p, frame, sizeof(frame), id, 1188);
		int n = vc_vp8_packetize_next(&p, pkt, sizeof(pkt), &last);
		CHECK_EQ(n, 14);
		CHECK_EQ(vc_vp8_desc_parse(&d, pkt, (size_t)(n > 0 ? n : 0)), 0);
		CHECK_EQ(d.picture_id, i == 0 ? 0x7fff : 0);
		CHECK(d.picture_id_15);
		if (i == 0) {
			CHECK_EQ(pkt[2], 0xff);
			CHECK_EQ(pkt[3], 0xff);
		} else {
			CHECK_EQ(pkt[2], 0x80);
			CHECK_EQ(pkt[3], 0x00);
		}
		id = (uint16_t)((id + 1) & 0x7fff);
	}
	/* Bits above 15 are not leaked into M. */
	vc_vp8_packetize_begin(&p, frame, sizeof(frame), 0xffff, 1188);
	CHECK_EQ(vc_vp8_packetize_next(&p, pkt, sizeof(pkt), &last), 14);
	CHECK_EQ(vc_vp8_desc_parse(&d, pkt, 14), 0);
	CHECK_EQ(d.picture_id, 0x7fff);
}

static void test_packetize_errors(void)
{
	uint8_t frame[100] = { 0 }, pkt[64];
	struct vc_vp8_packetizer p;
	bool last = true;

	/* max_payload too small for descriptor + one byte. */
	vc_vp8_packetize_begin(&p, frame, sizeof(frame), 1, VC_VP8_DESC_MAX);
	CHECK(vc_vp8_packetize_next(&p, pkt, sizeof(pkt), &last) < 0);
	CHECK(!last);
	/* Output buffer smaller than the packet. */
	vc_vp8_packetize_begin(&p, frame, sizeof(frame), 1, 1188);
	CHECK_EQ(vc_vp8_packetize_next(&p, pkt, sizeof(pkt), &last), -ENOBUFS);
	/* Empty frame. */
	vc_vp8_packetize_begin(&p, frame, 0, 1, 1188);
	CHECK(vc_vp8_packetize_next(&p, pkt, sizeof(pkt), &last) < 0);
}

/* 1- and 2-byte payloads with extension bits: every one is too short. */
static void test_hostile(void)
{
	static const uint8_t hostile[][2] = {
		{ 0x80, 0 }, { 0x80, 0x80 }, { 0x90, 0xff }, { 0x80, 0xf0 }, { 0x80, 0x40 },
		{ 0x80, 0x20 }, { 0x80, 0x10 }, { 0xff, 0xff }, { 0x10, 0 },
	};
	static const size_t lens[] = { 1, 2, 2, 2, 2, 2, 2, 2, 1 };

	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		struct vc_vp8_desc d;
		uint8_t *buf = malloc(lens[i]);
		if (!buf)
			continue;
		memcpy(buf, hostile[i], lens[i]);
		CHECK_EQ(vc_vp8_desc_parse(&d, buf, lens[i]), -EBADMSG);
		free(buf);
	}
	/* Every byte pair and single byte: never past the end, hdr_len < len. */
	int bad = 0;
	for (unsigned int v = 0; v < 65536; v++) {
		uint8_t *buf = malloc(2);
		struct vc_vp8_desc d;
		if (!buf)
			break;
		buf[0] = (uint8_t)(v >> 8);
		buf[1] = (uint8_t)v;
		for (size_t n = 1; n <= 2; n++) {
			int r = vc_vp8_desc_parse(&d, buf, n);
			if (r == 0 && d.hdr_len >= n)
				bad++;
			if (r != 0 && r != -EBADMSG)
				bad++;
		}
		free(buf);
	}
	CHECK_EQ(bad, 0);
	struct vc_vp8_desc d;
	CHECK_EQ(vc_vp8_desc_parse(&d, NULL, 5), -EBADMSG);
}

int main(void)
{
	RUN(test_vectors);
	RUN(test_packetize);
	RUN(test_spread);
	RUN(test_picture_id_wrap);
	RUN(test_packetize_errors);
	RUN(test_hostile);
	return vc_test_summary();
}
