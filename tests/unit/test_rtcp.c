/* test_rtcp.c - RTCP writer and parser: compounds built and read back field
 * by field, and literal hostile datagrams with the exact code each must get.
 */
#include <string.h>

#include "vc_rtcp.h"
#include "vc_rtp.h"
#include "vc_test.h"

static int parse_all(const uint8_t *buf, size_t len, struct vc_rtcp_msg *out, int max)
{
	struct vc_rtcp_iter it;
	int r = vc_rtcp_parse(&it, buf, len), n = 0;

	if (r < 0)
		return r;
	while ((r = vc_rtcp_next(&it, &out[n < max ? n : max - 1])) > 0)
		n++;
	return r < 0 ? r : n;
}

static struct vc_rtcp_msg msgs[8];

static void check_rb(const struct vc_rtcp_rb *a, const struct vc_rtcp_rb *b)
{
	CHECK_EQ(a->ssrc, b->ssrc);
	CHECK_EQ(a->fraction_lost, b->fraction_lost);
	CHECK_EQ(a->cum_lost, b->cum_lost);
	CHECK_EQ(a->ext_high_seq, b->ext_high_seq);
	CHECK_EQ(a->jitter, b->jitter);
	CHECK_EQ(a->lsr, b->lsr);
	CHECK_EQ(a->dlsr, b->dlsr);
}

static void test_sr_sdes(void)
{
	const struct vc_rtcp_rb rb[2] = {
		{ 0x11111111u, 25, -5, 0x0001FFFFu, 1234, 0xAABBCCDDu, 65536 },
		{ 0x22222222u, 255, 0x7FFFFF, 0xFFFFFFFFu, 0, 0, 0 },
	};
	uint8_t buf[256];
	struct vc_rtcp_writer w;

	vc_rtcp_writer_init(&w, buf, sizeof(buf));
	vc_rtcp_add_sr(&w, 0xCAFEBABEu, 0x0123456789ABCDEFull, 90000, 1000, 123456, rb, 2);
	vc_rtcp_add_sdes_cname(&w, 0xCAFEBABEu, "alice@host");
	CHECK_EQ(w.err, 0);
	CHECK_EQ(w.len, 28 + 48 + 4 + 20);
	/* header bytes as RFC 3550 lays them out */
	CHECK_EQ(buf[0], 0x82);
	CHECK_EQ(buf[1], 200);
	CHECK_EQ(buf[3], (28 + 48) / 4 - 1);
	CHECK_EQ(buf[76], 0x81);
	CHECK_EQ(buf[77], 202);
	CHECK_EQ(buf[79], 5);  /* 24 bytes */
	CHECK_EQ(buf[84], 1);  /* CNAME */
	CHECK_EQ(buf[85], 10);
	CHECK(memcmp(buf + 86, "alice@host", 10) == 0);
	CHECK(buf[96] == 0 && buf[97] == 0 && buf[98] == 0 && buf[99] == 0);

	CHECK_EQ(parse_all(buf, w.len, msgs, 8), 2);
	CHECK_EQ(msgs[0].type, VC_RTCP_MSG_SR);
	CHECK_EQ(msgs[0].ssrc, 0xCAFEBABEu);
	CHECK(msgs[0].u.sr.ntp == 0x0123456789ABCDEFull);
	CHECK_EQ(msgs[0].u.sr.rtp_ts, 90000);
	CHECK_EQ(msgs[0].u.sr.pkt_count, 1000);
	CHECK_EQ(msgs[0].u.sr.octet_count, 123456);
	CHECK_EQ(msgs[0].rc, 2);
	check_rb(&msgs[0].rb[0], &rb[0]);
	check_rb(&msgs[0].rb[1], &rb[1]);
	CHECK_EQ(msgs[1].type, VC_RTCP_MSG_SDES);
	CHECK_EQ(msgs[1].ssrc, 0xCAFEBABEu);
	CHECK(strcmp(msgs[1].u.sdes.cname, "alice@host") == 0);
}

static void test_sdes_padding(void)
{
	char name[256];

	/* every length mod 4: at least one zero octet, 32-bit aligned */
	static const size_t lens[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 100, 253, 254, 255 };

	for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
		size_t n = lens[k];
		uint8_t buf[300];
		struct vc_rtcp_writer w;

		memset(name, 'a' + (int)(n % 26), n);
		name[n] = '\0';
		vc_rtcp_writer_init(&w, buf, sizeof(buf));
		vc_rtcp_add_sdes_cname(&w, 7, name);
		CHECK_EQ(w.err, 0);
		CHECK_EQ(w.len % 4, 0);
		CHECK_EQ(w.len, 4 + ((4 + 2 + n + 1 + 3) & ~(size_t)3));
		CHECK_EQ(buf[10 + n], 0);
		CHECK_EQ(buf[w.len - 1], 0);
		CHECK_EQ(parse_all(buf, w.len, msgs, 8), 1);
		CHECK_EQ(strlen(msgs[0].u.sdes.cname), n);
		CHECK(strcmp(msgs[0].u.sdes.cname, name) == 0);
	}
	/* 256 bytes does not fit the item */
	uint8_t buf[300];
	struct vc_rtcp_writer w;
	char big[257];
	memset(big, 'x', 256);
	big[256] = '\0';
	vc_rtcp_writer_init(&w, buf, sizeof(buf));
	vc_rtcp_add_sdes_cname(&w, 7, big);
	CHECK_EQ(w.err, VC_RTCP_EINVAL);
	CHECK_EQ(w.len, 0);
}

static void test_rr_sdes_bye(void)
{
	const struct vc_rtcp_rb rb = { 0xDEADBEEFu, 3, -0x800000, 70000, 77, 0x12345678u, 0x9ABCu };
	const uint32_t bye[2] = { 0x01020304u, 0x05060708u };
	uint8_t buf[256];
	struct vc_rtcp_writer w;

	vc_rtcp_writer_init(&w, buf, sizeof(buf));
	vc_rtcp_add_rr(&w, 0x99u, &rb, 1);
	vc_rtcp_add_sdes_cname(&w, 0x99u, "bob");
	vc_rtcp_add_bye(&w, bye, 2, "done");
	CHECK_EQ(w.err, 0);
	CHECK_EQ(w.len, 32 + 16 + (4 + 8 + 8));
	CHECK_EQ(buf[48], 0x82);
	CHECK_EQ(buf[49], 203);
	CHECK_EQ(buf[60], 4);
	CHECK(memcmp(buf + 61, "done", 4) == 0);
	CHECK_EQ(buf[65], 0);

	CHECK_EQ(parse_all(buf, w.len, msgs, 8), 3);
	CHECK_EQ(msgs[0].type, VC_RTCP_MSG_RR);
	CHECK_EQ(msgs[0].ssrc, 0x99u);
	CHECK_EQ(msgs[0].rc, 1);
	check_rb(&msgs[0].rb[0], &rb);
	CHECK_EQ(msgs[1].type, VC_RTCP_MSG_SDES);
	CHECK_EQ(msgs[1].ssrc, 0x99u);
	CHECK(strcmp(msgs[1].u.sdes.cname, "bob") == 0);
	CHECK_EQ(msgs[2].type, VC_RTCP_MSG_BYE);
	CHECK_EQ(msgs[2].ssrc, 0x01020304u);
	CHECK_EQ(msgs[2].u.bye.count, 2);
	CHECK_EQ(msgs[2].u.bye.ssrc[1], 0x05060708u);

	/* RR without blocks, BYE without reason */
	vc_rtcp_writer_init(&w, buf, sizeof(buf));
	vc_rtcp_add_rr(&w, 5, NULL, 0);
	vc_rtcp_add_bye(&w, bye, 1, NULL);
	CHECK_EQ(w.err, 0);
	CHECK_EQ(w.len, 8 + 8);
	CHECK_EQ(parse_all(buf, w.len, msgs, 8), 2);
	CHECK_EQ(msgs[0].type, VC_RTCP_MSG_RR);
	CHECK_EQ(msgs[0].rc, 0);
	CHECK_EQ(msgs[1].type, VC_RTCP_MSG_BYE);
	CHECK_EQ(msgs[1].u.bye.count, 1);

	/* cum_lost beyond 24 bits saturates instead of flipping sign */
	struct vc_rtcp_rb big = { .ssrc = 1, .cum_lost = 0x1000000 };
	vc_rtcp_writer_init(&w, buf, sizeof(buf));
	vc_rtcp_add_rr(&w, 5, &big, 1);
	CHECK_EQ(parse_all(buf, w.len, msgs, 8), 1);
	CHECK_EQ(msgs[0].rb[0].cum_lost, 0x7FFFFF);
}

static void test_pli_fir(void)
{
	uint8_t buf[64];
	struct vc_rtcp_writer w;

	vc_rtcp_writer_init(&w, buf, sizeof(buf));
	vc_rtcp_add_pli(&w, 0xA, 0xB);
	vc_rtcp_add_fir(&w, 0xC, 0xD, 0xEE);
	CHECK_EQ(w.err, 0);
	CHECK_EQ(w.len, 12 + 20);
	CHECK_EQ(buf[0], 0x81);
	CHECK_EQ(buf[1], 206);
	CHECK_EQ(buf[12], 0x84);
	CHECK_EQ(buf[12 + 8 + 3], 0); /* FIR: media source field is 0 */
	CHECK_EQ(parse_all(buf, w.len, msgs, 8), 2);
	CHECK_EQ(msgs[0].type, VC_RTCP_MSG_PLI);
	CHECK_EQ(msgs[0].ssrc, 0xA);
	CHECK_EQ(msgs[0].u.fb.media_ssrc, 0xB);
	CHECK_EQ(msgs[1].type, VC_RTCP_MSG_FIR);
	CHECK_EQ(msgs[1].ssrc, 0xC);
	CHECK_EQ(msgs[1].u.fb.media_ssrc, 0xD);
	CHECK_EQ(msgs[1].u.fb.fir_seq, 0xEE);
}

/* Seqs named by a parsed NACK, as a bitmap over 65536. */
static void nack_expand(const struct vc_rtcp_msg *m, uint8_t *set)
{
	memset(set, 0, 65536 / 8);
	for (unsigned i = 0; i < m->u.nack.n; i++) {
		uint16_t p = m->u.nack.pid[i];

		set[p / 8] |= (uint8_t)(1u << (p % 8));
		for (unsigned b = 0; b < 16; b++) {
			if (m->u.nack.blp[i] & (1u << b)) {
				uint16_t s = (uint16_t)(p + b + 1);

				set[s / 8] |= (uint8_t)(1u << (s % 8));
			}
		}
	}
}

static void test_nack(void)
{
	static const uint16_t seqs[] = { 65534, 3, 65535, 0, 20, 1, 65534 };
	static uint8_t set[65536 / 8], want[65536 / 8];
	uint16_t many[70];
	uint8_t buf[512];
	struct vc_rtcp_writer w;

	vc_rtcp_writer_init(&w, buf, sizeof(buf));
	vc_rtcp_add_nack(&w, 0x1111, 0x2222, seqs, sizeof(seqs) / sizeof(seqs[0]));
	CHECK_EQ(w.err, 0);
	CHECK_EQ(w.len, 12 + 2 * 4);
	CHECK_EQ(buf[0], 0x81);
	CHECK_EQ(buf[1], 205);
	CHECK_EQ(parse_all(buf, w.len, msgs, 8), 1);
	CHECK_EQ(msgs[0].type, VC_RTCP_MSG_NACK);
	CHECK_EQ(msgs[0].ssrc, 0x1111);
	CHECK_EQ(msgs[0].u.nack.media_ssrc, 0x2222);
	CHECK_EQ(msgs[0].u.nack.n, 2);
	CHECK_EQ(msgs[0].u.nack.pid[0], 65534); /* oldest first, across the wrap */
	CHECK_EQ(msgs[0].u.nack.blp[0], 0x17);  /* 65535, 0, 1, 3 */
	CHECK_EQ(msgs[0].u.nack.pid[1], 20);
	CHECK_EQ(msgs[0].u.nack.blp[1], 0);
	nack_expand(&msgs[0], set);
	memset(want, 0, sizeof(want));
	for (size_t i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++)
		want[seqs[i] / 8] |= (uint8_t)(1u << (seqs[i] % 8));
	CHECK(memcmp(set, want, sizeof(set)) == 0);

	/* 17 in a row: one full BLP and a second PID */
	for (int i = 0; i < 18; i++)
		many[i] = (uint16_t)(117 - i);
	vc_rtcp_writer_init(&w, buf, sizeof(buf));
	vc_rtcp_add_nack(&w, 1, 2, many, 18);
	CHECK_EQ(parse_all(buf, w.len, msgs, 8), 1);
	CHECK_EQ(msgs[0].u.nack.n, 2);
	CHECK_EQ(msgs[0].u.nack.pid[0], 100);
	CHECK_EQ(msgs[0].u.nack.blp[0], 0xFFFF);
	CHECK_EQ(msgs[0].u.nack.pid[1], 117);

	/* 70 isolated seqs need 70 entries: capped at VC_RTCP_MAX_NACK, oldest kept */
	for (int i = 0; i < 70; i++)
		many[i] = (uint16_t)(65000 + i * 17); /* crosses the wrap */
	vc_rtcp_writer_init(&w, buf, sizeof(buf));
	vc_rtcp_add_nack(&w, 1, 2, many, 70);
	CHECK_EQ(w.err, 0);
	CHECK_EQ(w.len, 12 + VC_RTCP_MAX_NACK * 4);
	CHECK_EQ(parse_all(buf, w.len, msgs, 8), 1);
	CHECK_EQ(msgs[0].u.nack.n, VC_RTCP_MAX_NACK);
	CHECK_EQ(msgs[0].u.nack.pid[0], 65000);
	CHECK_EQ(msgs[0].u.nack.pid[63], (uint16_t)(65000 + 63 * 17));

	vc_rtcp_writer_init(&w, buf, sizeof(buf));
	vc_rtcp_add_nack(&w, 1, 2, many, 0);
	CHECK_EQ(w.err, VC_RTCP_EINVAL);
}

static void test_remb(void)
{
	/* REMB is parsed, not written (transport-wide feedback replaces it):
	 * 1.5 Mbit/s = mantissa 187500 (0x2DC6C) x 2^3, for two SSRCs. */
	static const uint8_t remb[28] = { 0x8F, 206, 0, 6, 0, 0, 0, 0x77, 0, 0, 0, 0, 'R', 'E', 'M', 'B',
					  2, (3 << 2) | 0x2, 0xDC, 0x6C, 0, 0, 0xAA, 0xAA, 0, 0, 0xBB, 0xBB };
	CHECK_EQ(parse_all(remb, sizeof(remb), msgs, 8), 1);
	CHECK_EQ(msgs[0].type, VC_RTCP_MSG_REMB);
	CHECK_EQ(msgs[0].ssrc, 0x77);
	CHECK_EQ(msgs[0].u.remb.n_ssrc, 2);
	CHECK_EQ(msgs[0].u.remb.ssrc[1], 0xBBBB);
	CHECK(msgs[0].u.remb.bitrate_bps == 1500000);

	/* hand-written: exp 63, mantissa max saturates; 9 ssrcs keeps 8 */
	uint8_t sat[20 + 36] = { 0x8F, 206, 0, 13, 0, 0, 0, 1, 0, 0, 0, 0, 'R', 'E', 'M', 'B',
				 9, 0xFF, 0xFF, 0xFF };
	CHECK_EQ(parse_all(sat, sizeof(sat), msgs, 8), 1);
	CHECK(msgs[0].u.remb.bitrate_bps == UINT64_MAX);
	CHECK_EQ(msgs[0].u.remb.n_ssrc, 8);
}

static void test_other_types(void)
{
	static const uint8_t pkt[] = {
		/* APP */
		0x80, 204, 0, 2, 0, 0, 0, 9, 'n', 'a', 'm', 'e',
		/* RTPFB FMT 15 (transport-cc) */
		0x8F, 205, 0, 3, 0, 0, 0, 8, 0, 0, 0, 1, 0, 1, 0, 0,
		/* PSFB FMT 15, not REMB */
		0x8F, 206, 0, 3, 0, 0, 0, 7, 0, 0, 0, 0, 'X', 'Y', 'Z', 'W',
		/* PSFB FMT 2 (SLI) */
		0x82, 206, 0, 3, 0, 0, 0, 6, 0, 0, 0, 1, 0, 0, 0, 0,
		/* XR */
		0x80, 207, 0, 1, 0, 0, 0, 5,
		/* SDES: chunk without CNAME (NAME only) then one with */
		0x82, 202, 0, 6, 0, 0, 0, 1, 2, 3, 'x', 'y', 'z', 0, 0, 0,
		0, 0, 0, 2, 1, 2, 'h', 'i', 0, 0, 0, 0,
		/* SDES with SC 0 */
		0x80, 202, 0, 0,
	};
	int n = parse_all(pkt, sizeof(pkt), msgs, 8);

	CHECK_EQ(n, 6);
	CHECK_EQ(msgs[0].type, VC_RTCP_MSG_OTHER);
	CHECK_EQ(msgs[0].ssrc, 9);
	CHECK_EQ(msgs[1].type, VC_RTCP_MSG_OTHER);
	CHECK_EQ(msgs[1].ssrc, 8);
	CHECK_EQ(msgs[2].type, VC_RTCP_MSG_OTHER);
	CHECK_EQ(msgs[3].type, VC_RTCP_MSG_OTHER);
	CHECK_EQ(msgs[4].type, VC_RTCP_MSG_OTHER);
	CHECK_EQ(msgs[4].ssrc, 5);
	CHECK_EQ(msgs[5].type, VC_RTCP_MSG_SDES);
	CHECK_EQ(msgs[5].ssrc, 2);
	CHECK(strcmp(msgs[5].u.sdes.cname, "hi") == 0);

	/* two chunks, the first ending exactly on a 32-bit boundary so
	 * that its end item is a whole word of zeros */
	static const uint8_t two[] = {
		0x82, 202, 0, 6,
		0, 0, 0, 1, 1, 2, 'a', 'b', 0, 0, 0, 0,
		0, 0, 0, 2, 1, 3, 'c', 'd', 'e', 0, 0, 0,
	};
	CHECK_EQ(parse_all(two, sizeof(two), msgs, 8), 2);
	CHECK_EQ(msgs[0].ssrc, 1);
	CHECK(strcmp(msgs[0].u.sdes.cname, "ab") == 0);
	CHECK_EQ(msgs[1].ssrc, 2);
	CHECK(strcmp(msgs[1].u.sdes.cname, "cde") == 0);

	/* padding on the last packet (RR + 4 bytes of padding) */
	static const uint8_t padded[] = { 0xA0, 201, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4 };
	CHECK_EQ(parse_all(padded, sizeof(padded), msgs, 8), 1);
	CHECK_EQ(msgs[0].type, VC_RTCP_MSG_RR);
	CHECK_EQ(msgs[0].ssrc, 3);
}

static void test_writer_errors(void)
{
	struct vc_rtcp_rb rb[32] = { { 0 } };
	uint8_t buf[40];
	struct vc_rtcp_writer w;

	vc_rtcp_writer_init(&w, buf, sizeof(buf));
	vc_rtcp_add_rr(&w, 1, rb, 32);
	CHECK_EQ(w.err, VC_RTCP_EINVAL);
	CHECK_EQ(w.len, 0);

	vc_rtcp_writer_init(&w, buf, sizeof(buf));
	vc_rtcp_add_rr(&w, 1, rb, 1); /* 32 bytes */
	CHECK_EQ(w.err, 0);
	vc_rtcp_add_pli(&w, 1, 2);    /* 12 more do not fit */
	CHECK_EQ(w.err, VC_RTCP_ESPACE);
	CHECK_EQ(w.len, 32);
	vc_rtcp_add_bye(&w, NULL, 0, NULL); /* 4 would fit, but the error sticks */
	CHECK_EQ(w.err, VC_RTCP_ESPACE);
	CHECK_EQ(w.len, 32);

	vc_rtcp_writer_init(&w, buf, 27);
	vc_rtcp_add_sr(&w, 1, 0, 0, 0, 0, NULL, 0);
	CHECK_EQ(w.err, VC_RTCP_ESPACE);
	vc_rtcp_writer_init(&w, buf, 28);
	vc_rtcp_add_sr(&w, 1, 0, 0, 0, 0, NULL, 0);
	CHECK_EQ(w.err, 0);
	CHECK_EQ(w.len, 28);
}

/* ---- hostile datagrams ---- */

#define B(...) { __VA_ARGS__ }, sizeof((uint8_t[]){ __VA_ARGS__ })

struct hostile {
	const char *name;
	uint8_t b[48];
	size_t len;
	int want;
};

/* A valid RR with one report block; its prefixes are the short datagrams. */
#define RR32 0x81, 201, 0, 7, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, \
	     0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
#define RR8 0x80, 201, 0, 1, 0, 0, 0, 1

static const struct hostile hostile[] = {
	{ "empty", { RR32 }, 0, VC_RTCP_ETRUNC },
	{ "1 byte", { RR32 }, 1, VC_RTCP_ETRUNC },
	{ "2 bytes", { RR32 }, 2, VC_RTCP_ETRUNC },
	{ "3 bytes", { RR32 }, 3, VC_RTCP_ETRUNC },
	{ "4 bytes", { RR32 }, 4, VC_RTCP_ETRUNC },
	{ "5 bytes", { RR32 }, 5, VC_RTCP_ETRUNC },
	{ "6 bytes", { RR32 }, 6, VC_RTCP_ETRUNC },
	{ "7 bytes", { RR32 }, 7, VC_RTCP_ETRUNC },
	{ "8 bytes", { RR32 }, 8, VC_RTCP_ETRUNC },
	{ "9 bytes", { RR32 }, 9, VC_RTCP_ETRUNC },
	{ "10 bytes", { RR32 }, 10, VC_RTCP_ETRUNC },
	{ "11 bytes", { RR32 }, 11, VC_RTCP_ETRUNC },
	{ "valid RR (control)", { RR32 }, 32, 0 },
	{ "version 0", B(0x00, 201, 0, 1, 0, 0, 0, 1), VC_RTCP_EVERSION },
	{ "version 1", B(0x40, 201, 0, 1, 0, 0, 0, 1), VC_RTCP_EVERSION },
	{ "version 3", B(0xC0, 201, 0, 1, 0, 0, 0, 1), VC_RTCP_EVERSION },
	{ "second packet version 0", B(RR8, 0x00, 201, 0, 1, 0, 0, 0, 1), VC_RTCP_EVERSION },
	{ "length past datagram", B(0x80, 201, 0, 5, 0, 0, 0, 1, 0, 0, 0, 0), VC_RTCP_ETRUNC },
	{ "length 0xFFFF", B(0x80, 201, 0xFF, 0xFF, 0, 0, 0, 1), VC_RTCP_ETRUNC },
	{ "second packet length past datagram", B(RR8, 0x80, 201, 0, 2, 0, 0, 0, 1),
	  VC_RTCP_ETRUNC },
	{ "RR length 0 with RC 1", B(0x81, 201, 0, 0), VC_RTCP_ELEN },
	{ "RR length 0 with RC 1, data follows", B(0x81, 201, 0, 0, 0, 0, 0, 1), VC_RTCP_ELEN },
	{ "RR length 0, RC 0", B(0x80, 201, 0, 0), VC_RTCP_ELEN },
	{ "SR length 0", B(0x80, 200, 0, 0), VC_RTCP_ELEN },
	{ "SR too short for sender info", B(0x80, 200, 0, 1, 0, 0, 0, 1), VC_RTCP_ELEN },
	{ "RR RC 2 with one block",
	  B(0x82, 201, 0, 7, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0,
	    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
	  VC_RTCP_ELEN },
	{ "SR RC 1 with no block",
	  B(0x81, 200, 0, 6, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0, 0, 0, 0, 0, 0, 0, 0),
	  VC_RTCP_ELEN },
	{ "RR RC 31 in 8 bytes", B(0x9F, 201, 0, 1, 0, 0, 0, 1), VC_RTCP_ELEN },
	{ "SDES item past packet", B(0x81, 202, 0, 2, 0, 0, 0, 1, 1, 10, 'a', 'b'), VC_RTCP_ELEN },
	{ "SDES item without end octet", B(0x81, 202, 0, 2, 0, 0, 0, 1, 1, 2, 'a', 'b'),
	  VC_RTCP_ELEN },
	{ "SDES item header cut", B(0x81, 202, 0, 2, 0, 0, 0, 1, 2, 1, 'a', 1), VC_RTCP_ELEN },
	{ "SDES item past packet, more packets follow",
	  B(0x81, 202, 0, 2, 0, 0, 0, 1, 1, 10, 'a', 'b', RR8), VC_RTCP_ELEN },
	{ "SDES SC 2 with one chunk", B(0x82, 202, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0), VC_RTCP_ELEN },
	{ "SDES SC 1, no chunk", B(0x81, 202, 0, 0), VC_RTCP_ELEN },
	{ "valid RR then bad SDES", B(RR8, 0x81, 202, 0, 2, 0, 0, 0, 1, 1, 9, 'x', 'y'),
	  VC_RTCP_ELEN },
	{ "BYE reason past packet", B(0x81, 203, 0, 2, 0, 0, 0, 1, 8, 'b', 'y', 'e'), VC_RTCP_ELEN },
	{ "BYE reason length 4 in 3", B(0x81, 203, 0, 2, 0, 0, 0, 1, 4, 'b', 'y', 'e'),
	  VC_RTCP_ELEN },
	{ "BYE SC 2 with one SSRC", B(0x82, 203, 0, 1, 0, 0, 0, 1), VC_RTCP_ELEN },
	{ "trailing 1 byte", B(RR8, 0x80), VC_RTCP_ETRAIL },
	{ "trailing 2 bytes", B(RR8, 0x80, 201), VC_RTCP_ETRAIL },
	{ "trailing 3 bytes", B(RR8, 0xDE, 0xAD, 0xBE), VC_RTCP_ETRAIL },
	{ "trailing 4 garbage bytes", B(RR8, 0xDE, 0xAD, 0xBE, 0xEF), VC_RTCP_EVERSION },
	{ "trailing 4 zero bytes", B(RR8, 0, 0, 0, 0), VC_RTCP_EVERSION },
	{ "NACK without FCI", B(0x81, 205, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2), VC_RTCP_ELEN },
	{ "RTPFB without media SSRC", B(0x81, 205, 0, 1, 0, 0, 0, 1), VC_RTCP_ELEN },
	{ "PLI without media SSRC", B(0x81, 206, 0, 1, 0, 0, 0, 1), VC_RTCP_ELEN },
	{ "FIR without FCI", B(0x84, 206, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0), VC_RTCP_ELEN },
	{ "REMB without count field",
	  B(0x8F, 206, 0, 3, 0, 0, 0, 1, 0, 0, 0, 0, 'R', 'E', 'M', 'B'), VC_RTCP_ELEN },
	{ "REMB SSRC count past packet",
	  B(0x8F, 206, 0, 5, 0, 0, 0, 1, 0, 0, 0, 0, 'R', 'E', 'M', 'B', 2, 0, 0, 1, 0, 0, 0, 9),
	  VC_RTCP_ELEN },
	{ "P with pad count 0", B(0xA0, 201, 0, 1, 0, 0, 0, 0), VC_RTCP_ELEN },
	{ "P with pad count past body", B(0xA0, 201, 0, 1, 0, 0, 0, 9), VC_RTCP_ELEN },
	{ "P padding eats the SSRC", B(0xA0, 201, 0, 1, 0, 0, 0, 4), VC_RTCP_ELEN },
	/* RTP packets with M set and PT 72..76 look like RTCP 200..204 */
	{ "RTP PT 72+M, seq 0x1234",
	  B(0x80, 0xC8, 0x12, 0x34, 0, 0, 0x03, 0xC0, 0xDE, 0xAD, 0xBE, 0xEF, 1, 2, 3, 4, 5, 6, 7, 8),
	  VC_RTCP_ETRUNC },
	{ "RTP PT 72+M, seq 0", B(0x80, 0xC8, 0, 0, 0, 0, 0x03, 0xC0, 0xDE, 0xAD, 0xBE, 0xEF, 1, 2),
	  VC_RTCP_ELEN },
	{ "RTP PT 73+M, seq 0x0100",
	  B(0x80, 0xC9, 0x01, 0x00, 0, 0, 0x03, 0xC0, 0xDE, 0xAD, 0xBE, 0xEF, 1, 2, 3, 4),
	  VC_RTCP_ETRUNC },
	{ "RTP PT 74+M, seq 7",
	  B(0x80, 0xCA, 0, 7, 0, 0, 0x03, 0xC0, 0xDE, 0xAD, 0xBE, 0xEF, 1, 2, 3, 4),
	  VC_RTCP_ETRUNC },
	{ "RTP PT 75+M, seq 0, ts 0",
	  B(0x80, 0xCB, 0, 0, 0, 0, 0, 0, 0xDE, 0xAD, 0xBE, 0xEF, 1, 2, 3, 4),
	  VC_RTCP_EVERSION },
	{ "RTP PT 76+M, seq 0x8000",
	  B(0x80, 0xCC, 0x80, 0x00, 0, 0, 0x03, 0xC0, 0xDE, 0xAD, 0xBE, 0xEF, 1, 2, 3, 4),
	  VC_RTCP_ETRUNC },
};

static void test_hostile(void)
{
	for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		const struct hostile *t = &hostile[i];
		int bad = vc_test_failed;
		struct vc_rtcp_iter it;
		int r = vc_rtcp_parse(&it, t->b, t->len);

		CHECK_EQ(r, t->want);
		if (r == 0) {
			struct vc_rtcp_msg m;

			while ((r = vc_rtcp_next(&it, &m)) > 0)
				;
			CHECK_EQ(r, 0);
		}
		if (strncmp(t->name, "RTP PT", 6) == 0)
			CHECK(vc_rtp_is_rtcp(t->b, t->len));
		if (vc_test_failed != bad)
			fprintf(stderr, "  in hostile case \"%s\"\n", t->name);
	}
}

/* vc_rtcp_next() checks contents on its own too, for a caller that skipped
 * vc_rtcp_parse(), and stops for good after an error. */
static void test_next_without_parse(void)
{
	static const uint8_t pkt[] = { RR8, 0x81, 202, 0, 2, 0, 0, 0, 1, 1, 9, 'x', 'y' };
	struct vc_rtcp_iter it = { .buf = pkt, .len = sizeof(pkt) };
	struct vc_rtcp_msg m;

	CHECK_EQ(vc_rtcp_next(&it, &m), 1);
	CHECK_EQ(m.type, VC_RTCP_MSG_RR);
	CHECK_EQ(vc_rtcp_next(&it, &m), VC_RTCP_ELEN);
	CHECK_EQ(vc_rtcp_next(&it, &m), 0);
}

int main(void)
{
	RUN(test_sr_sdes);
	RUN(test_sdes_padding);
	RUN(test_rr_sdes_bye);
	RUN(test_pli_fir);
	RUN(test_nack);
	RUN(test_remb);
	RUN(test_other_types);
	RUN(test_writer_errors);
	RUN(test_hostile);
	RUN(test_next_without_parse);
	return vc_test_summary();
}
