/* test_rtp.c - RTP header decode/encode: round trips, hand-written packets,
 * and literal hostile datagrams with the exact code each must get.
 */
#include <string.h>

#include "vc_rtp.h"
#include "vc_test.h"

/* ---- round trips ---- */

static const uint8_t abs_time[8] = { 0xE5, 0x6A, 0x01, 0x02, 0x80, 0x00, 0x00, 0x01 };
static const uint8_t tseq[2] = { 0x12, 0x34 };
static const uint8_t blob16[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
static uint8_t blob255[255];

struct rt_case {
	const char *name;
	struct vc_rtp_hdr h;
	size_t payload_len;
	uint16_t want_profile; /* expected on the wire */
	size_t want_size;
};

static void check_same(const char *name, const struct vc_rtp_hdr *a, const struct vc_rtp_hdr *b)
{
	int bad = vc_test_failed;

	CHECK_EQ(a->marker, b->marker);
	CHECK_EQ(a->pt, b->pt);
	CHECK_EQ(a->seq, b->seq);
	CHECK_EQ(a->ts, b->ts);
	CHECK_EQ(a->ssrc, b->ssrc);
	CHECK_EQ(a->cc, b->cc);
	for (unsigned i = 0; i < a->cc && i < VC_RTP_MAX_CSRC; i++)
		CHECK_EQ(a->csrc[i], b->csrc[i]);
	CHECK_EQ(a->n_ext, b->n_ext);
	for (unsigned i = 0; i < a->n_ext && i < b->n_ext; i++) {
		CHECK_EQ(a->ext[i].id, b->ext[i].id);
		CHECK_EQ(a->ext[i].len, b->ext[i].len);
		CHECK(a->ext[i].len == 0 || memcmp(a->ext[i].data, b->ext[i].data, a->ext[i].len) == 0);
	}
	if (vc_test_failed != bad)
		fprintf(stderr, "  in round trip case %s\n", name);
}

static void test_round_trip(void)
{
	struct rt_case cases[] = {
		{ "minimal", { .pt = VC_PT_OPUS, .seq = 1, .ts = 2, .ssrc = 3 }, 1, 0, 13 },
		{ "all bits high",
		  { .marker = true, .pt = 127, .seq = 0xFFFF, .ts = 0xFFFFFFFFu, .ssrc = 0xFFFFFFFFu },
		  100, 0, 112 },
		{ "15 csrcs",
		  { .pt = VC_PT_VP8, .seq = 0x8000, .ts = 0x80000000u, .ssrc = 0xCAFEBABEu, .cc = 15,
		    .csrc = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 0xFFFFFFFFu } },
		  10, 0, 12 + 60 + 10 },
		{ "one-byte ext",
		  { .marker = true, .pt = VC_PT_VP8, .seq = 42, .ts = 90000, .ssrc = 0x11223344u,
		    .has_ext = true, .n_ext = 2,
		    .ext = { { VC_EXT_ABS_CAPTURE_TIME, 8, abs_time }, { VC_EXT_TRANSPORT_SEQ, 2, tseq } } },
		  500, 0xBEDE, 12 + 4 + 12 + 500 },
		{ "one-byte ext, id 14 len 16, with csrc",
		  { .pt = 0, .seq = 7, .ts = 7, .ssrc = 7, .cc = 2, .csrc = { 0xAAAAAAAAu, 0x55555555u },
		    .n_ext = 1, .ext = { { 14, 16, blob16 } } },
		  3, 0xBEDE, 12 + 8 + 4 + 20 + 3 },
		{ "two-byte ext: id 15",
		  { .pt = 96, .seq = 65535, .ts = 1, .ssrc = 1, .n_ext = 2,
		    .ext = { { 15, 2, tseq }, { 1, 8, abs_time } } },
		  20, 0x1000, 12 + 4 + 16 + 20 },
		{ "two-byte ext: zero length and 255 bytes",
		  { .pt = 96, .seq = 2, .ts = 3, .ssrc = 4, .cc = 1, .csrc = { 9 }, .n_ext = 3,
		    .ext = { { 200, 0, NULL }, { 255, 255, blob255 }, { 1, 1, tseq } } },
		  1, 0x1000, 12 + 4 + 4 + 264 + 1 },
		{ "two-byte ext: only a zero-length element",
		  { .pt = 96, .seq = 9, .ts = 9, .ssrc = 9, .n_ext = 1, .ext = { { 5, 0, NULL } } },
		  1, 0x1000, 12 + 4 + 4 + 1 },
		{ "two-byte ext: len 17",
		  { .pt = 96, .seq = 2, .ts = 3, .ssrc = 4, .n_ext = 1, .ext = { { 3, 17, blob255 } } },
		  1, 0x1000, 12 + 4 + 20 + 1 },
	};
	uint8_t payload[600], buf[1500];

	for (size_t i = 0; i < sizeof(blob255); i++)
		blob255[i] = (uint8_t)(i * 7 + 1);
	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i ^ 0x5A);

	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		const struct rt_case *t = &cases[c];
		struct vc_rtp_hdr d;
		int n = vc_rtp_encode(buf, sizeof(buf), &t->h, payload, t->payload_len);

		CHECK_EQ(n, (int)t->want_size);
		if (n < 0)
			continue;
		CHECK_EQ(buf[0] >> 6, 2);
		CHECK_EQ(vc_rtp_is_rtcp(buf, (size_t)n), false);
		CHECK_EQ(vc_rtp_decode(&d, buf, (size_t)n), 0);
		check_same(t->name, &t->h, &d);
		CHECK_EQ(d.has_ext, t->want_profile != 0);
		CHECK_EQ(d.ext_profile, t->want_profile);
		CHECK_EQ(d.pad_len, 0);
		CHECK_EQ(d.payload_len, t->payload_len);
		CHECK(d.payload == buf + n - t->payload_len);
		CHECK(memcmp(d.payload, payload, t->payload_len) == 0);
		/* the encoder must refuse every buffer one byte too small */
		CHECK_EQ(vc_rtp_encode(buf, (size_t)n - 1, &t->h, payload, t->payload_len),
			 VC_RTP_ESPACE);
		CHECK_EQ(vc_rtp_encode(buf, 0, &t->h, payload, t->payload_len), VC_RTP_ESPACE);
	}
}

static void test_ext_find(void)
{
	struct vc_rtp_hdr h = { .pt = 96, .n_ext = 2,
				.ext = { { VC_EXT_TRANSPORT_SEQ, 2, tseq },
					 { VC_EXT_ABS_CAPTURE_TIME, 8, abs_time } } };
	uint8_t buf[100], pl[4] = { 1, 2, 3, 4 };
	struct vc_rtp_hdr d;
	const struct vc_rtp_ext *e;
	int n = vc_rtp_encode(buf, sizeof(buf), &h, pl, sizeof(pl));

	CHECK(n > 0);
	CHECK_EQ(vc_rtp_decode(&d, buf, (size_t)n), 0);
	e = vc_rtp_ext_find(&d, VC_EXT_ABS_CAPTURE_TIME);
	CHECK(e != NULL);
	if (e) {
		CHECK_EQ(e->len, 8);
		CHECK(vc_rtp_get_be64(e->data) == 0xE56A010280000001ull);
	}
	e = vc_rtp_ext_find(&d, VC_EXT_TRANSPORT_SEQ);
	CHECK(e != NULL && e->len == 2 && e->data[0] == 0x12 && e->data[1] == 0x34);
	CHECK(vc_rtp_ext_find(&d, 3) == NULL);
	CHECK(vc_rtp_ext_find(&d, 0) == NULL);

	uint8_t b8[8];
	vc_rtp_put_be64(b8, 0x0102030405060708ull);
	CHECK(b8[0] == 1 && b8[7] == 8);
	CHECK(vc_rtp_get_be64(b8) == 0x0102030405060708ull);
}

static void test_encode_errors(void)
{
	uint8_t buf[200], pl[1] = { 0 };
	struct vc_rtp_hdr h = { .pt = 96 };

	CHECK_EQ(vc_rtp_encode(buf, sizeof(buf), &h, pl, 0), VC_RTP_EINVAL);
	CHECK_EQ(vc_rtp_encode(buf, sizeof(buf), &h, NULL, 1), VC_RTP_EINVAL);
	h.pt = 128;
	CHECK_EQ(vc_rtp_encode(buf, sizeof(buf), &h, pl, 1), VC_RTP_EINVAL);
	h.pt = 96;
	h.cc = 16;
	CHECK_EQ(vc_rtp_encode(buf, sizeof(buf), &h, pl, 1), VC_RTP_EINVAL);
	h.cc = 0;
	h.n_ext = 1;
	h.ext[0] = (struct vc_rtp_ext){ 0, 1, tseq }; /* id 0 is padding */
	CHECK_EQ(vc_rtp_encode(buf, sizeof(buf), &h, pl, 1), VC_RTP_EINVAL);
	h.ext[0] = (struct vc_rtp_ext){ 1, 4, NULL };
	CHECK_EQ(vc_rtp_encode(buf, sizeof(buf), &h, pl, 1), VC_RTP_EINVAL);
	h.ext[0] = (struct vc_rtp_ext){ 1, 2, tseq };
	h.n_ext = VC_RTP_MAX_EXT + 1;
	CHECK_EQ(vc_rtp_encode(buf, sizeof(buf), &h, pl, 1), VC_RTP_EINVAL);
	h.n_ext = 1;
	CHECK_EQ(vc_rtp_encode(buf, sizeof(buf), &h, pl, 1), 12 + 4 + 4 + 1);
}

/* ---- hand-written packets ---- */

static void test_decode_padding(void)
{
	/* V=2 P=1 X=0 CC=1, M=1 PT=96, csrc, "hello" + 3 bytes padding */
	static const uint8_t pkt[] = {
		0xA1, 0xE0, 0x12, 0x34, 0xDE, 0xAD, 0xBE, 0xEF, 0x01, 0x02, 0x03, 0x04,
		0x0A, 0x0B, 0x0C, 0x0D,
		'h', 'e', 'l', 'l', 'o',
		0x00, 0x00, 0x03,
	};
	struct vc_rtp_hdr h;

	CHECK_EQ(vc_rtp_decode(&h, pkt, sizeof(pkt)), 0);
	CHECK_EQ(h.marker, true);
	CHECK_EQ(h.pt, 96);
	CHECK_EQ(h.seq, 0x1234);
	CHECK_EQ(h.ts, 0xDEADBEEFu);
	CHECK_EQ(h.ssrc, 0x01020304u);
	CHECK_EQ(h.cc, 1);
	CHECK_EQ(h.csrc[0], 0x0A0B0C0Du);
	CHECK_EQ(h.has_ext, false);
	CHECK_EQ(h.n_ext, 0);
	CHECK_EQ(h.pad_len, 3);
	CHECK_EQ(h.payload_len, 5);
	CHECK(h.payload == pkt + 16);
	CHECK(memcmp(h.payload, "hello", 5) == 0);
}

static void test_decode_one_byte_ext(void)
{
	static const uint8_t pkt[] = {
		0x90, 0x6F, 0x00, 0x01, 0x00, 0x00, 0x03, 0xC0, 0xAB, 0xCD, 0xEF, 0x01,
		0xBE, 0xDE, 0x00, 0x04,
		0x17, 1, 2, 3, 4, 5, 6, 7, 8, /* id 1, 8 bytes */
		0x00,                         /* padding between elements */
		0x21, 0xFF, 0xFE,             /* id 2, 2 bytes */
		0xF8, 0x31, 0x01,             /* ID 15: parsing stops here */
		0x42,
	};
	struct vc_rtp_hdr h;

	CHECK_EQ(vc_rtp_decode(&h, pkt, sizeof(pkt)), 0);
	CHECK_EQ(h.pt, VC_PT_OPUS);
	CHECK_EQ(h.ts, 960u);
	CHECK_EQ(h.has_ext, true);
	CHECK_EQ(h.ext_profile, 0xBEDE);
	CHECK_EQ(h.n_ext, 2);
	CHECK_EQ(h.ext[0].id, 1);
	CHECK_EQ(h.ext[0].len, 8);
	CHECK(h.ext[0].data == pkt + 17);
	CHECK_EQ(h.ext[1].id, 2);
	CHECK_EQ(h.ext[1].len, 2);
	CHECK_EQ(h.ext[1].data[0], 0xFF);
	CHECK_EQ(h.payload_len, 1);
	CHECK_EQ(h.payload[0], 0x42);
}

static void test_decode_two_byte_ext(void)
{
	static const uint8_t pkt[] = {
		0x80 | 0x10, 0x60, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0, 0, 1,
		0x10, 0x07, 0x00, 0x02, /* appbits 7 */
		0x10, 0x03, 0xA, 0xB, 0xC, /* id 16, 3 bytes */
		0x01, 0x00,                /* id 1, empty */
		0x00,                      /* padding */
		0x99, 0x98,
	};
	struct vc_rtp_hdr h;

	CHECK_EQ(vc_rtp_decode(&h, pkt, sizeof(pkt)), 0);
	CHECK_EQ(h.ext_profile, 0x1007);
	CHECK_EQ(h.n_ext, 2);
	CHECK_EQ(h.ext[0].id, 16);
	CHECK_EQ(h.ext[0].len, 3);
	CHECK_EQ(h.ext[0].data[2], 0xC);
	CHECK_EQ(h.ext[1].id, 1);
	CHECK_EQ(h.ext[1].len, 0);
	CHECK_EQ(h.payload_len, 2);
	CHECK_EQ(h.payload[0], 0x99);
}

static void test_decode_opaque_ext_and_limits(void)
{
	/* unknown profile: block skipped, no elements */
	static const uint8_t opaque[] = {
		0x90, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1,
		0x12, 0x34, 0x00, 0x01, 0x11, 0x22, 0x33, 0x44,
		0x55,
	};
	struct vc_rtp_hdr h;
	uint8_t many[12 + 4 + 40 + 1];

	CHECK_EQ(vc_rtp_decode(&h, opaque, sizeof(opaque)), 0);
	CHECK_EQ(h.ext_profile, 0x1234);
	CHECK_EQ(h.n_ext, 0);
	CHECK_EQ(h.payload_len, 1);
	CHECK_EQ(h.payload[0], 0x55);

	/* 20 one-byte elements of 1 byte: only VC_RTP_MAX_EXT are kept */
	memset(many, 0, sizeof(many));
	many[0] = 0x90;
	many[1] = 0x60;
	many[12] = 0xBE;
	many[13] = 0xDE;
	many[15] = 10;
	for (int i = 0; i < 20; i++) {
		many[16 + 2 * i] = (uint8_t)(((i % 14) + 1) << 4);
		many[17 + 2 * i] = (uint8_t)i;
	}
	many[sizeof(many) - 1] = 0x77;
	CHECK_EQ(vc_rtp_decode(&h, many, sizeof(many)), 0);
	CHECK_EQ(h.n_ext, VC_RTP_MAX_EXT);
	CHECK_EQ(h.ext[15].data[0], 15);
	CHECK_EQ(h.payload_len, 1);
}

/* ---- hostile datagrams ---- */

#define B(...) { __VA_ARGS__ }, sizeof((uint8_t[]){ __VA_ARGS__ })

struct hostile {
	const char *name;
	uint8_t b[48];
	size_t len;
	int want;
	int want_n_ext;     /* when want == 0 */
	size_t want_payload;
};

/* A valid 13-byte packet whose prefixes are the short datagrams. */
#define VALID13 0x80, 0x60, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x03, 0xAA

static const struct hostile hostile[] = {
	{ "empty", { VALID13 }, 0, VC_RTP_ETRUNC, 0, 0 },
	{ "1 byte", { VALID13 }, 1, VC_RTP_ETRUNC, 0, 0 },
	{ "2 bytes", { VALID13 }, 2, VC_RTP_ETRUNC, 0, 0 },
	{ "3 bytes", { VALID13 }, 3, VC_RTP_ETRUNC, 0, 0 },
	{ "4 bytes", { VALID13 }, 4, VC_RTP_ETRUNC, 0, 0 },
	{ "5 bytes", { VALID13 }, 5, VC_RTP_ETRUNC, 0, 0 },
	{ "6 bytes", { VALID13 }, 6, VC_RTP_ETRUNC, 0, 0 },
	{ "7 bytes", { VALID13 }, 7, VC_RTP_ETRUNC, 0, 0 },
	{ "8 bytes", { VALID13 }, 8, VC_RTP_ETRUNC, 0, 0 },
	{ "9 bytes", { VALID13 }, 9, VC_RTP_ETRUNC, 0, 0 },
	{ "10 bytes", { VALID13 }, 10, VC_RTP_ETRUNC, 0, 0 },
	{ "11 bytes", { VALID13 }, 11, VC_RTP_ETRUNC, 0, 0 },
	{ "valid 13 bytes (control)", { VALID13 }, 13, 0, 0, 1 },
	{ "version 0", B(0x00, 0x60, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0xAA), VC_RTP_EVERSION, 0, 0 },
	{ "version 1", B(0x40, 0x60, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0xAA), VC_RTP_EVERSION, 0, 0 },
	{ "version 3", B(0xC0, 0x60, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0xAA), VC_RTP_EVERSION, 0, 0 },
	{ "cc 15 in 12 bytes", B(0x8F, 0x60, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3), VC_RTP_ETRUNC, 0, 0 },
	{ "cc 2, one csrc", B(0x82, 0x60, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5),
	  VC_RTP_ETRUNC, 0, 0 },
	{ "X, 0 bytes left", B(0x90, 0x60, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3), VC_RTP_EEXT, 0, 0 },
	{ "X, 3 bytes left", B(0x90, 0x60, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0xBE, 0xDE, 0x00),
	  VC_RTP_EEXT, 0, 0 },
	{ "ext length 0xFFFF",
	  B(0x90, 0x60, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0xBE, 0xDE, 0xFF, 0xFF, 0x10, 0, 0, 0, 0xAA),
	  VC_RTP_EEXT, 0, 0 },
	{ "ext length 2, 1 word there",
	  B(0x90, 0x60, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0xBE, 0xDE, 0x00, 0x02, 0x10, 0, 0, 0),
	  VC_RTP_EEXT, 0, 0 },
	{ "one-byte ID 15 stops parsing",
	  B(0x90, 0x60, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0xBE, 0xDE, 0x00, 0x02,
	    0x10, 0x55, 0xF3, 0x20, 0x21, 0x22, 0x00, 0x00, 0xAA, 0xBB),
	  0, 1, 2 },
	{ "one-byte ID 15 first",
	  B(0x90, 0x60, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0xBE, 0xDE, 0x00, 0x01,
	    0xF0, 0x10, 0x55, 0x00, 0xAA),
	  0, 0, 1 },
	{ "one-byte element past its block",
	  B(0x90, 0x60, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0xBE, 0xDE, 0x00, 0x01,
	    0x1F, 0x01, 0x02, 0x03, 0xAA, 0xBB, 0xCC),
	  0, 0, 3 },
	{ "second element past its block",
	  B(0x90, 0x60, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0xBE, 0xDE, 0x00, 0x01,
	    0x20, 0x09, 0x33, 0x01, 0xAA),
	  0, 1, 1 },
	{ "two-byte element past its block",
	  B(0x90, 0x60, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0x10, 0x00, 0x00, 0x01,
	    0x05, 0x03, 0x01, 0x02, 0xAA),
	  0, 0, 1 },
	{ "two-byte header cut by block end",
	  B(0x90, 0x60, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0x10, 0x00, 0x00, 0x01,
	    0x05, 0x01, 0x01, 0x07, 0xAA),
	  0, 1, 1 },
	{ "P, pad count 0", B(0xA0, 0x60, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0xAA, 0x00), VC_RTP_EPAD, 0, 0 },
	{ "P, pad count > payload",
	  B(0xA0, 0x60, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0xAA, 0x00, 0x04), VC_RTP_EPAD, 0, 0 },
	{ "P, pad count = whole packet",
	  B(0xA0, 0x60, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0xAA, 0x00, 0x00, 0x10), VC_RTP_EPAD, 0, 0 },
	{ "P, pad count 255", B(0xA0, 0x60, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0xAA, 0xFF),
	  VC_RTP_EPAD, 0, 0 },
	{ "P, pad count = payload (padding only)",
	  B(0xA0, 0x60, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0x00, 0x00, 0x03), VC_RTP_EEMPTY, 0, 0 },
	{ "P, no payload, last header byte as count",
	  B(0xA0, 0x60, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3), VC_RTP_EPAD, 0, 0 },
	{ "header is the whole packet", B(0x80, 0x60, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3),
	  VC_RTP_EEMPTY, 0, 0 },
	{ "header + csrc is the whole packet",
	  B(0x81, 0x60, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 9, 9, 9, 9), VC_RTP_EEMPTY, 0, 0 },
	{ "header + ext is the whole packet",
	  B(0x90, 0x60, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0xBE, 0xDE, 0x00, 0x01, 0x10, 0x01, 0, 0),
	  VC_RTP_EEMPTY, 0, 0 },
};

static void test_hostile(void)
{
	for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		const struct hostile *t = &hostile[i];
		struct vc_rtp_hdr h;
		int bad = vc_test_failed;
		int r = vc_rtp_decode(&h, t->b, t->len);

		CHECK_EQ(r, t->want);
		if (r == 0 && t->want == 0) {
			CHECK_EQ(h.n_ext, t->want_n_ext);
			CHECK_EQ(h.payload_len, t->want_payload);
			CHECK(h.payload + h.payload_len + h.pad_len == t->b + t->len);
		}
		if (vc_test_failed != bad)
			fprintf(stderr, "  in hostile case \"%s\"\n", t->name);
	}
}

static void test_is_rtcp(void)
{
	/* RTP PT 72..76 with M set puts 200..204 in the second byte */
	for (uint8_t pt = 72; pt <= 76; pt++) {
		uint8_t b[2] = { 0x80, (uint8_t)(0x80 | pt) };

		CHECK(vc_rtp_is_rtcp(b, 2));
		b[1] = pt; /* without M it is plain RTP */
		CHECK(!vc_rtp_is_rtcp(b, 2));
	}
	uint8_t edge[2] = { 0x80, 191 };
	CHECK(!vc_rtp_is_rtcp(edge, 2));
	edge[1] = 192;
	CHECK(vc_rtp_is_rtcp(edge, 2));
	edge[1] = 223;
	CHECK(vc_rtp_is_rtcp(edge, 2));
	edge[1] = 224;
	CHECK(!vc_rtp_is_rtcp(edge, 2));
	edge[1] = 0xE0; /* M + PT 96: VP8 */
	CHECK(!vc_rtp_is_rtcp(edge, 2));
	edge[1] = 0xEF; /* M + PT 111: opus */
	CHECK(!vc_rtp_is_rtcp(edge, 2));
	edge[1] = 200;
	CHECK(!vc_rtp_is_rtcp(edge, 1));
	CHECK(!vc_rtp_is_rtcp(edge, 0));
	CHECK(!vc_rtp_is_rtcp(NULL, 0));
}

int main(void)
{
	RUN(test_round_trip);
	RUN(test_ext_find);
	RUN(test_encode_errors);
	RUN(test_decode_padding);
	RUN(test_decode_one_byte_ext);
	RUN(test_decode_two_byte_ext);
	RUN(test_decode_opaque_ext_and_limits);
	RUN(test_hostile);
	RUN(test_is_rtcp);
	return vc_test_summary();
}
