/* vc_rtcp.c - RTCP compound packets: a writer for SR, RR, SDES CNAME, BYE
 * (RFC 3550 6.4-6.6), generic NACK (RFC 4585 6.2.1), PLI (RFC 4585 6.3.1),
 * FIR (RFC 5104 4.3.1) and REMB (draft-alvestrand-rmcat-remb), and a parser
 * that validates a whole datagram before anyone acts on any part of it.
 *
 * Every read from a packet is preceded by a check of what is left, written
 * as a subtraction so that it cannot wrap.
 */
#include "vc_rtcp.h"
#include "vc_bytes.h"

#include <assert.h>
#include <string.h>

#include "vc_seq.h"

#define HDR 4       /* common header: V P count | PT | length */
#define RB_SIZE 24  /* report block */
#define FMT_NACK 1
#define FMT_PLI 1
#define FMT_FIR 4
#define FMT_AFB 15  /* application layer feedback: REMB */
#define SDES_END 0
#define SDES_CNAME 1

/* ---- writer ---- */

void vc_rtcp_writer_init(struct vc_rtcp_writer *w, uint8_t *buf, size_t cap)
{
	assert(w);
	assert(buf || cap == 0);
	w->buf = buf;
	w->cap = cap;
	w->len = 0;
	w->err = 0;
}

/* Reserve a packet of size bytes (a multiple of 4) and write its common
 * header.  Returns the packet start, or NULL with w->err set. */
static uint8_t *begin(struct vc_rtcp_writer *w, unsigned count, uint8_t pt, size_t size)
{
	uint8_t *p;

	assert(size >= HDR && size % 4 == 0 && count < 32);
	if (w->err)
		return NULL;
	if (w->cap - w->len < size || size / 4 - 1 > 0xffff) {
		w->err = VC_RTCP_ESPACE;
		return NULL;
	}
	p = w->buf + w->len;
	memset(p, 0, size);
	p[0] = (uint8_t)(2u << 6 | count);
	p[1] = pt;
	vc_put16(p + 2, (uint16_t)(size / 4 - 1));
	w->len += size;
	return p;
}

static void fail(struct vc_rtcp_writer *w, int err)
{
	if (!w->err)
		w->err = err;
}

static void put_rb(uint8_t *p, const struct vc_rtcp_rb *rb)
{
	int32_t lost = rb->cum_lost;

	/* 24-bit signed: saturate rather than wrap into a wrong sign. */
	if (lost > 0x7fffff)
		lost = 0x7fffff;
	if (lost < -0x800000)
		lost = -0x800000;
	vc_put32(p, rb->ssrc);
	vc_put32(p + 4, (uint32_t)rb->fraction_lost << 24 | ((uint32_t)lost & 0xffffff));
	vc_put32(p + 8, rb->ext_high_seq);
	vc_put32(p + 12, rb->jitter);
	vc_put32(p + 16, rb->lsr);
	vc_put32(p + 20, rb->dlsr);
}

void vc_rtcp_add_sr(struct vc_rtcp_writer *w, uint32_t ssrc, uint64_t ntp, uint32_t rtp_ts,
		    uint32_t pkt_count, uint32_t octet_count,
		    const struct vc_rtcp_rb *rb, unsigned n_rb)
{
	uint8_t *p;

	assert(w);
	if (n_rb > VC_RTCP_MAX_RB || (n_rb && !rb)) {
		fail(w, VC_RTCP_EINVAL);
		return;
	}
	p = begin(w, n_rb, VC_RTCP_SR, 28 + (size_t)n_rb * RB_SIZE);
	if (!p)
		return;
	vc_put32(p + 4, ssrc);
	vc_put32(p + 8, (uint32_t)(ntp >> 32));
	vc_put32(p + 12, (uint32_t)ntp);
	vc_put32(p + 16, rtp_ts);
	vc_put32(p + 20, pkt_count);
	vc_put32(p + 24, octet_count);
	for (unsigned i = 0; i < n_rb; i++)
		put_rb(p + 28 + i * RB_SIZE, &rb[i]);
}

void vc_rtcp_add_rr(struct vc_rtcp_writer *w, uint32_t ssrc, const struct vc_rtcp_rb *rb, unsigned n_rb)
{
	uint8_t *p;

	assert(w);
	if (n_rb > VC_RTCP_MAX_RB || (n_rb && !rb)) {
		fail(w, VC_RTCP_EINVAL);
		return;
	}
	p = begin(w, n_rb, VC_RTCP_RR, 8 + (size_t)n_rb * RB_SIZE);
	if (!p)
		return;
	vc_put32(p + 4, ssrc);
	for (unsigned i = 0; i < n_rb; i++)
		put_rb(p + 8 + i * RB_SIZE, &rb[i]);
}

void vc_rtcp_add_sdes_cname(struct vc_rtcp_writer *w, uint32_t ssrc, const char *cname)
{
	size_t n, chunk;
	uint8_t *p;

	assert(w);
	if (!cname || (n = strlen(cname)) > 255) {
		fail(w, VC_RTCP_EINVAL);
		return;
	}
	/* SSRC, CNAME item, then at least one zero octet (the end item) and
	 * zeros up to the next 32-bit boundary. */
	chunk = (4 + 2 + n + 1 + 3) & ~(size_t)3;
	p = begin(w, 1, VC_RTCP_SDES, HDR + chunk);
	if (!p)
		return;
	vc_put32(p + 4, ssrc);
	p[8] = SDES_CNAME;
	p[9] = (uint8_t)n;
	memcpy(p + 10, cname, n);
}

void vc_rtcp_add_bye(struct vc_rtcp_writer *w, const uint32_t *ssrc, unsigned n, const char *reason)
{
	size_t rlen = 0, size;
	uint8_t *p;

	assert(w);
	if (n > VC_RTCP_MAX_BYE_SSRC || (n && !ssrc) ||
	    (reason && (rlen = strlen(reason)) > 255)) {
		fail(w, VC_RTCP_EINVAL);
		return;
	}
	size = HDR + (size_t)n * 4;
	if (reason)
		size += (1 + rlen + 3) & ~(size_t)3;
	p = begin(w, n, VC_RTCP_BYE, size);
	if (!p)
		return;
	for (unsigned i = 0; i < n; i++)
		vc_put32(p + 4 + i * 4, ssrc[i]);
	if (reason) {
		p[4 + n * 4] = (uint8_t)rlen;
		memcpy(p + 5 + n * 4, reason, rlen);
	}
}

void vc_rtcp_add_pli(struct vc_rtcp_writer *w, uint32_t sender_ssrc, uint32_t media_ssrc)
{
	uint8_t *p;

	assert(w);
	p = begin(w, FMT_PLI, VC_RTCP_PSFB, 12);
	if (!p)
		return;
	vc_put32(p + 4, sender_ssrc);
	vc_put32(p + 8, media_ssrc);
}

void vc_rtcp_add_fir(struct vc_rtcp_writer *w, uint32_t sender_ssrc, uint32_t media_ssrc, uint8_t seq)
{
	uint8_t *p;

	assert(w);
	/* RFC 5104 4.3.1: the common "media source" field is 0; the target
	 * is named in the FCI entry. */
	p = begin(w, FMT_FIR, VC_RTCP_PSFB, 20);
	if (!p)
		return;
	vc_put32(p + 4, sender_ssrc);
	vc_put32(p + 12, media_ssrc);
	p[16] = seq;
}

/* Position of s in the list's order: distance from the first entry, so that
 * a list spanning the 65535 -> 0 wrap still sorts oldest first. */
static int nack_rel(uint16_t s, uint16_t ref)
{
	return vc_seq_diff(s, ref);
}

void vc_rtcp_add_nack(struct vc_rtcp_writer *w, uint32_t sender_ssrc, uint32_t media_ssrc,
		      const uint16_t *seqs, unsigned n)
{
	uint16_t pid[VC_RTCP_MAX_NACK], blp[VC_RTCP_MAX_NACK];
	unsigned n_fci = 0;
	int done_to = 0; /* entries so far cover rel <= done_to */
	bool have_done = false;
	uint8_t *p;

	assert(w);
	if (n == 0 || !seqs) {
		fail(w, VC_RTCP_EINVAL);
		return;
	}
	/* Oldest remaining seq becomes a PID, the 16 after it go in its BLP.
	 * O(n) per entry and no sorting buffer; at most VC_RTCP_MAX_NACK
	 * entries (the oldest, closest to their deadline) go out. */
	while (n_fci < VC_RTCP_MAX_NACK) {
		int lo = 0;
		bool found = false;

		for (unsigned i = 0; i < n; i++) {
			int r = nack_rel(seqs[i], seqs[0]);

			if (have_done && r <= done_to)
				continue;
			if (!found || r < lo) {
				lo = r;
				found = true;
			}
		}
		if (!found)
			break;
		pid[n_fci] = (uint16_t)(seqs[0] + lo);
		blp[n_fci] = 0;
		for (unsigned i = 0; i < n; i++) {
			int d = nack_rel(seqs[i], seqs[0]) - lo;

			if (d >= 1 && d <= 16)
				blp[n_fci] |= (uint16_t)(1u << (d - 1));
		}
		n_fci++;
		done_to = lo + 16;
		have_done = true;
	}

	p = begin(w, FMT_NACK, VC_RTCP_RTPFB, 12 + (size_t)n_fci * 4);
	if (!p)
		return;
	vc_put32(p + 4, sender_ssrc);
	vc_put32(p + 8, media_ssrc);
	for (unsigned i = 0; i < n_fci; i++) {
		vc_put16(p + 12 + i * 4, pid[i]);
		vc_put16(p + 14 + i * 4, blp[i]);
	}
}

/* ---- parser ---- */

/* One packet of the compound: where it starts and where its contents end
 * (padding removed). */
struct pkt {
	const uint8_t *p;
	unsigned count; /* RC / SC / FMT */
	uint8_t pt;
	size_t size;    /* whole packet, header included */
	size_t body;    /* bytes after the 4-byte header, padding removed */
};

/* Header of the packet at it->off; checks it fits in the datagram. */
static int read_pkt(const struct vc_rtcp_iter *it, size_t off, struct pkt *k)
{
	const uint8_t *p = it->buf + off;
	size_t left = it->len - off;

	if (left < HDR)
		return off == 0 ? VC_RTCP_ETRUNC : VC_RTCP_ETRAIL;
	if (p[0] >> 6 != 2)
		return VC_RTCP_EVERSION;
	k->p = p;
	k->count = p[0] & 0x1f;
	k->pt = p[1];
	k->size = ((size_t)vc_get16(p + 2) + 1) * 4;
	if (left < k->size)
		return VC_RTCP_ETRUNC;
	k->body = k->size - HDR;
	if (p[0] & 0x20) {
		/* Padding: the last octet counts it, itself included. */
		uint8_t pad = p[k->size - 1];

		if (pad == 0 || pad > k->body)
			return VC_RTCP_ELEN;
		k->body -= pad;
	}
	return 0;
}

static void get_rb(const uint8_t *p, struct vc_rtcp_rb *rb)
{
	uint32_t w = vc_get32(p + 4);

	rb->ssrc = vc_get32(p);
	rb->fraction_lost = (uint8_t)(w >> 24);
	/* sign-extend the 24-bit cumulative loss */
	rb->cum_lost = (w & 0x800000) ? (int32_t)(w & 0xffffff) - 0x1000000 : (int32_t)(w & 0xffffff);
	rb->ext_high_seq = vc_get32(p + 8);
	rb->jitter = vc_get32(p + 12);
	rb->lsr = vc_get32(p + 16);
	rb->dlsr = vc_get32(p + 20);
}

static int parse_reports(const struct pkt *k, size_t at, struct vc_rtcp_msg *m)
{
	const uint8_t *b = k->p + HDR;

	/* Anything after the report blocks is a profile extension: ignored. */
	if ((k->body - at) / RB_SIZE < k->count)
		return VC_RTCP_ELEN;
	m->rc = (uint8_t)k->count;
	for (unsigned i = 0; i < k->count; i++)
		get_rb(b + at + (size_t)i * RB_SIZE, &m->rb[i]);
	return 1;
}

static int parse_sr(const struct pkt *k, struct vc_rtcp_msg *m)
{
	const uint8_t *b = k->p + HDR;

	if (k->body < 24)
		return VC_RTCP_ELEN;
	m->type = VC_RTCP_MSG_SR;
	m->ssrc = vc_get32(b);
	m->u.sr.ntp = (uint64_t)vc_get32(b + 4) << 32 | vc_get32(b + 8);
	m->u.sr.rtp_ts = vc_get32(b + 12);
	m->u.sr.pkt_count = vc_get32(b + 16);
	m->u.sr.octet_count = vc_get32(b + 20);
	return parse_reports(k, 24, m);
}

static int parse_rr(const struct pkt *k, struct vc_rtcp_msg *m)
{
	if (k->body < 4)
		return VC_RTCP_ELEN;
	m->type = VC_RTCP_MSG_RR;
	m->ssrc = vc_get32(k->p + HDR);
	return parse_reports(k, 4, m);
}

static int parse_bye(const struct pkt *k, struct vc_rtcp_msg *m)
{
	const uint8_t *b = k->p + HDR;
	size_t off;

	if (k->body / 4 < k->count)
		return VC_RTCP_ELEN;
	m->type = VC_RTCP_MSG_BYE;
	m->u.bye.count = (uint8_t)k->count;
	for (unsigned i = 0; i < k->count; i++)
		m->u.bye.ssrc[i] = vc_get32(b + (size_t)i * 4);
	m->ssrc = k->count ? m->u.bye.ssrc[0] : 0;
	off = (size_t)k->count * 4;
	/* Optional reason: length octet then text; it must fit. */
	if (k->body - off > 0 && (size_t)b[off] > k->body - off - 1)
		return VC_RTCP_ELEN;
	return 1;
}

static int parse_rtpfb(const struct pkt *k, struct vc_rtcp_msg *m)
{
	const uint8_t *b = k->p + HDR;
	size_t n;

	if (k->body < 8)
		return VC_RTCP_ELEN;
	m->ssrc = vc_get32(b);
	if (k->count != FMT_NACK) {
		m->type = VC_RTCP_MSG_OTHER;
		return 1;
	}
	n = (k->body - 8) / 4;
	if (n == 0) /* RFC 4585 6.2.1: at least one FCI entry */
		return VC_RTCP_ELEN;
	m->type = VC_RTCP_MSG_NACK;
	m->u.nack.media_ssrc = vc_get32(b + 4);
	if (n > VC_RTCP_MAX_NACK)
		n = VC_RTCP_MAX_NACK;
	m->u.nack.n = (uint16_t)n;
	for (size_t i = 0; i < n; i++) {
		m->u.nack.pid[i] = vc_get16(b + 8 + i * 4);
		m->u.nack.blp[i] = vc_get16(b + 10 + i * 4);
	}
	return 1;
}

static uint64_t remb_bitrate(unsigned bexp, uint32_t mant)
{
	/* 18-bit mantissa << 6-bit exponent can exceed 64 bits: saturate. */
	if (mant == 0)
		return 0;
	if (bexp > 46 && (mant >> (64 - bexp)) != 0)
		return UINT64_MAX;
	return (uint64_t)mant << bexp;
}

static int parse_psfb(const struct pkt *k, struct vc_rtcp_msg *m)
{
	const uint8_t *b = k->p + HDR;

	if (k->body < 8)
		return VC_RTCP_ELEN;
	m->ssrc = vc_get32(b);
	m->type = VC_RTCP_MSG_OTHER;
	switch (k->count) {
	case FMT_PLI:
		m->type = VC_RTCP_MSG_PLI;
		m->u.fb.media_ssrc = vc_get32(b + 4);
		return 1;
	case FMT_FIR:
		/* First FCI entry: target SSRC, command sequence number. */
		if (k->body - 8 < 8)
			return VC_RTCP_ELEN;
		m->type = VC_RTCP_MSG_FIR;
		m->u.fb.media_ssrc = vc_get32(b + 8);
		m->u.fb.fir_seq = b[12];
		return 1;
	case FMT_AFB: {
		unsigned n;

		if (k->body - 8 < 4 || memcmp(b + 8, "REMB", 4) != 0)
			return 1; /* some other application feedback */
		if (k->body - 12 < 4)
			return VC_RTCP_ELEN;
		n = b[12];
		if ((k->body - 16) / 4 < n)
			return VC_RTCP_ELEN;
		m->type = VC_RTCP_MSG_REMB;
		m->u.remb.bitrate_bps = remb_bitrate(b[13] >> 2,
						     (uint32_t)(b[13] & 3) << 16 | vc_get16(b + 14));
		m->u.remb.n_ssrc = (uint8_t)(n < 8 ? n : 8);
		for (unsigned i = 0; i < m->u.remb.n_ssrc; i++)
			m->u.remb.ssrc[i] = vc_get32(b + 16 + (size_t)i * 4);
		return 1;
	}
	default:
		return 1;
	}
}

/* One SDES chunk at it->sdes_off.  Returns 1 with *m filled when it has a
 * CNAME, 0 when it has none, negative when it runs past the packet. */
static int parse_sdes_chunk(struct vc_rtcp_iter *it, struct vc_rtcp_msg *m)
{
	const uint8_t *b = it->buf;
	size_t off = it->sdes_off, end = it->sdes_end;
	bool have_cname = false;

	if (end - off < 4)
		return VC_RTCP_ELEN; /* SC says more chunks than there are */
	m->ssrc = vc_get32(b + off);
	off += 4;
	for (;;) {
		size_t ilen;

		if (off == end)
			return VC_RTCP_ELEN; /* no end item */
		if (b[off] == SDES_END)
			break;
		if (end - off < 2)
			return VC_RTCP_ELEN;
		ilen = b[off + 1];
		if (end - off - 2 < ilen)
			return VC_RTCP_ELEN;
		if (b[off] == SDES_CNAME && !have_cname) {
			memcpy(m->u.sdes.cname, b + off + 2, ilen);
			m->u.sdes.cname[ilen] = '\0';
			have_cname = true;
		}
		off += 2 + ilen;
	}
	/* The end item, then zeros to the next 32-bit boundary.  Packets
	 * start on 32-bit boundaries, so alignment is relative to buf. */
	off = (off + 4) & ~(size_t)3;
	if (off > end)
		return VC_RTCP_ELEN;
	it->sdes_off = off;
	if (!have_cname)
		return 0;
	m->type = VC_RTCP_MSG_SDES;
	return 1;
}

static int iter_next(struct vc_rtcp_iter *it, struct vc_rtcp_msg *m)
{
	for (;;) {
		struct pkt k;
		int r;

		memset(m, 0, sizeof(*m));
		while (it->sdes_left > 0) {
			it->sdes_left--;
			r = parse_sdes_chunk(it, m);
			if (r != 0)
				return r;
			memset(m, 0, sizeof(*m));
		}
		if (it->off == it->len)
			return 0;
		r = read_pkt(it, it->off, &k);
		if (r < 0)
			return r;
		it->off += k.size;
		switch (k.pt) {
		case VC_RTCP_SR:
			return parse_sr(&k, m);
		case VC_RTCP_RR:
			return parse_rr(&k, m);
		case VC_RTCP_SDES:
			it->sdes_off = (size_t)(k.p - it->buf) + HDR;
			it->sdes_end = it->sdes_off + k.body;
			it->sdes_left = k.count;
			continue;
		case VC_RTCP_BYE:
			return parse_bye(&k, m);
		case VC_RTCP_RTPFB:
			return parse_rtpfb(&k, m);
		case VC_RTCP_PSFB:
			return parse_psfb(&k, m);
		default:
			m->type = VC_RTCP_MSG_OTHER;
			m->ssrc = k.body >= 4 ? vc_get32(k.p + HDR) : 0;
			return 1;
		}
	}
}

int vc_rtcp_next(struct vc_rtcp_iter *it, struct vc_rtcp_msg *m)
{
	int r;

	assert(it && m);
	r = iter_next(it, m);
	if (r < 0) { /* stop here for good */
		it->off = it->len;
		it->sdes_left = 0;
	}
	return r;
}

int vc_rtcp_parse(struct vc_rtcp_iter *it, const uint8_t *buf, size_t len)
{
	struct vc_rtcp_iter dry;
	struct vc_rtcp_msg scratch;
	int r;

	assert(it);
	assert(buf || len == 0);
	memset(it, 0, sizeof(*it));
	if (len < HDR)
		return VC_RTCP_ETRUNC;

	/* Decode every message once, in order, so that a compound is accepted
	 * or rejected whole and the first fault in it names the error. */
	dry = (struct vc_rtcp_iter){ .buf = buf, .len = len };
	while ((r = iter_next(&dry, &scratch)) > 0)
		;
	if (r < 0)
		return r;

	it->buf = buf;
	it->len = len;
	return 0;
}

int vc_rtcp_parse_compound(const uint8_t *buf, size_t len, struct vc_rtcp_msg *out, unsigned max,
			   unsigned *n)
{
	struct vc_rtcp_iter it = { .buf = buf, .len = len };
	struct vc_rtcp_msg scratch;
	int r;

	assert(buf || len == 0);
	assert(out && n);
	*n = 0;
	if (len < HDR)
		return VC_RTCP_ETRUNC;
	if ((buf[0] >> 6) != 2)
		return VC_RTCP_EVERSION;
	if (buf[1] != VC_RTCP_SR && buf[1] != VC_RTCP_RR)
		return VC_RTCP_EFIRST;
	for (;;) {
		struct vc_rtcp_msg *m = *n < max ? &out[*n] : &scratch;
		r = iter_next(&it, m);
		if (r <= 0)
			break;
		if (*n == max) {
			r = VC_RTCP_ELEN; /* more messages than the caller takes: refuse */
			break;
		}
		(*n)++;
	}
	if (r < 0)
		*n = 0;
	return r < 0 ? r : 0;
}
