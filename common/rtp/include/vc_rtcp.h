/* vc_rtcp.h - RTCP compound packets: SR, RR, SDES CNAME, BYE (RFC 3550),
 * generic NACK and PLI/FIR (RFC 4585, RFC 5104); REMB is parsed (a browser
 * may send it) but not written.
 *
 * Building: a struct vc_rtcp_writer appends packets into a caller buffer;
 * the first error sticks in w->err and further appends do nothing.
 * Parsing: vc_rtcp_parse() validates the whole compound first (every
 * length field inside the datagram, version 2, no trailing bytes) and then
 * iterates; a compound that fails validation is rejected whole.
 * vc_rtcp_parse_compound() does the same in one pass into an array and
 * also requires the SR/RR first: the daemon's entry point.
 * Thread-safe: no state.
 */
#ifndef VC_RTCP_H
#define VC_RTCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VC_RTCP_SR 200
#define VC_RTCP_RR 201
#define VC_RTCP_SDES 202
#define VC_RTCP_BYE 203
#define VC_RTCP_APP 204
#define VC_RTCP_RTPFB 205
#define VC_RTCP_PSFB 206

#define VC_RTCP_MAX_RB 31
#define VC_RTCP_MAX_NACK 64   /* FCI entries kept per NACK packet */
#define VC_RTCP_MAX_BYE_SSRC 31

enum vc_rtcp_err {
	VC_RTCP_ETRUNC = -1,   /* length field past the datagram, or < 4 bytes */
	VC_RTCP_EVERSION = -2,
	VC_RTCP_ELEN = -3,     /* length inconsistent with its contents (RC too big, zero-length SR...) */
	VC_RTCP_ETRAIL = -4,   /* bytes left over that are not a whole packet */
	VC_RTCP_ESPACE = -5,   /* writer: buffer full */
	VC_RTCP_EINVAL = -6,
	VC_RTCP_EFIRST = -7,   /* a compound that does not start with SR or RR */
};

struct vc_rtcp_rb {
	uint32_t ssrc;
	uint8_t fraction_lost;
	int32_t cum_lost;     /* 24-bit signed */
	uint32_t ext_high_seq;
	uint32_t jitter;      /* RTP timestamp units */
	uint32_t lsr;
	uint32_t dlsr;        /* 1/65536 s */
};

enum vc_rtcp_type {
	VC_RTCP_MSG_SR = 1,
	VC_RTCP_MSG_RR,
	VC_RTCP_MSG_SDES,  /* one message per chunk that carries a CNAME */
	VC_RTCP_MSG_BYE,
	VC_RTCP_MSG_NACK,
	VC_RTCP_MSG_PLI,
	VC_RTCP_MSG_FIR,
	VC_RTCP_MSG_REMB,
	VC_RTCP_MSG_OTHER, /* valid but not understood (APP, unknown FMT...) */
};

struct vc_rtcp_msg {
	enum vc_rtcp_type type;
	uint32_t ssrc; /* sender SSRC (SR/RR/PLI/FIR/NACK/REMB), chunk SSRC for SDES, first SSRC for BYE */
	union {
		struct {
			uint64_t ntp;
			uint32_t rtp_ts;
			uint32_t pkt_count;
			uint32_t octet_count;
		} sr;
		struct {
			char cname[256]; /* NUL-terminated copy */
		} sdes;
		struct {
			uint8_t count;
			uint32_t ssrc[VC_RTCP_MAX_BYE_SSRC];
		} bye;
		struct {
			uint32_t media_ssrc;
			uint16_t n;
			uint16_t pid[VC_RTCP_MAX_NACK];
			uint16_t blp[VC_RTCP_MAX_NACK];
		} nack;
		struct {
			uint32_t media_ssrc;
			uint8_t fir_seq; /* FIR only */
		} fb;
		struct {
			uint64_t bitrate_bps;
			uint8_t n_ssrc;
			uint32_t ssrc[8];
		} remb;
	} u;
	uint8_t rc; /* report blocks (SR/RR) */
	struct vc_rtcp_rb rb[VC_RTCP_MAX_RB];
};

/* ---- writer ---- */
struct vc_rtcp_writer {
	uint8_t *buf;
	size_t cap;
	size_t len;
	int err;
};

void vc_rtcp_writer_init(struct vc_rtcp_writer *w, uint8_t *buf, size_t cap);
void vc_rtcp_add_sr(struct vc_rtcp_writer *w, uint32_t ssrc, uint64_t ntp, uint32_t rtp_ts,
		    uint32_t pkt_count, uint32_t octet_count,
		    const struct vc_rtcp_rb *rb, unsigned n_rb);
void vc_rtcp_add_rr(struct vc_rtcp_writer *w, uint32_t ssrc, const struct vc_rtcp_rb *rb, unsigned n_rb);
void vc_rtcp_add_sdes_cname(struct vc_rtcp_writer *w, uint32_t ssrc, const char *cname);
void vc_rtcp_add_bye(struct vc_rtcp_writer *w, const uint32_t *ssrc, unsigned n, const char *reason);
void vc_rtcp_add_pli(struct vc_rtcp_writer *w, uint32_t sender_ssrc, uint32_t media_ssrc);
void vc_rtcp_add_fir(struct vc_rtcp_writer *w, uint32_t sender_ssrc, uint32_t media_ssrc, uint8_t seq);
void vc_rtcp_add_nack(struct vc_rtcp_writer *w, uint32_t sender_ssrc, uint32_t media_ssrc,
		      const uint16_t *seqs, unsigned n);

/* ---- parser ---- */
struct vc_rtcp_iter {
	const uint8_t *buf;
	size_t len;
	size_t off;
	/* SDES chunk position inside the current packet */
	size_t sdes_off, sdes_end;
	unsigned sdes_left;
};

/* Validate the compound datagram.  Returns 0 (and initialises it) or a
 * negative vc_rtcp_err. */
int vc_rtcp_parse(struct vc_rtcp_iter *it, const uint8_t *buf, size_t len);
/* Next message: 1 with *m filled, 0 at the end, negative on a packet whose
 * contents are inconsistent (the iteration stops there). */
int vc_rtcp_next(struct vc_rtcp_iter *it, struct vc_rtcp_msg *m);

/* Decode a whole compound in one pass into out[0..*n) (at most max
 * messages).  RFC 3550 6.1: the first packet must be an SR or an RR.
 * Returns 0, or a negative vc_rtcp_err (VC_RTCP_EFIRST, or VC_RTCP_ELEN
 * for more than max messages); on error nothing in out is to be used:
 * a compound is accepted or rejected whole. */
int vc_rtcp_parse_compound(const uint8_t *buf, size_t len, struct vc_rtcp_msg *out, unsigned max,
			   unsigned *n);

#endif
