/* fuzz_rtcp.c - libFuzzer target for the RTCP parser.
 * A compound that vc_rtcp_parse() accepts must iterate to the end without
 * an error, every message must respect the limits of struct vc_rtcp_msg,
 * and what the writer makes of the messages must parse again.  Inputs the
 * parser rejects are also fed to vc_rtcp_next() directly, as a careless
 * caller would.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vc_rtcp.h"

#define REQUIRE(c)              \
	do {                    \
		if (!(c))       \
			abort(); \
	} while (0)

static uint8_t out[1u << 21];

static void rewrite(struct vc_rtcp_writer *w, const struct vc_rtcp_msg *m)
{
	uint16_t seqs[VC_RTCP_MAX_NACK * 17];
	unsigned n = 0;

	switch (m->type) {
	case VC_RTCP_MSG_SR:
		vc_rtcp_add_sr(w, m->ssrc, m->u.sr.ntp, m->u.sr.rtp_ts, m->u.sr.pkt_count,
			       m->u.sr.octet_count, m->rb, m->rc);
		break;
	case VC_RTCP_MSG_RR:
		vc_rtcp_add_rr(w, m->ssrc, m->rb, m->rc);
		break;
	case VC_RTCP_MSG_SDES:
		vc_rtcp_add_sdes_cname(w, m->ssrc, m->u.sdes.cname);
		break;
	case VC_RTCP_MSG_BYE:
		vc_rtcp_add_bye(w, m->u.bye.ssrc, m->u.bye.count, "x");
		break;
	case VC_RTCP_MSG_NACK:
		for (unsigned i = 0; i < m->u.nack.n; i++) {
			seqs[n++] = m->u.nack.pid[i];
			for (unsigned b = 0; b < 16; b++)
				if (m->u.nack.blp[i] & (1u << b))
					seqs[n++] = (uint16_t)(m->u.nack.pid[i] + b + 1);
		}
		vc_rtcp_add_nack(w, m->ssrc, m->u.nack.media_ssrc, seqs, n);
		break;
	case VC_RTCP_MSG_PLI:
		vc_rtcp_add_pli(w, m->ssrc, m->u.fb.media_ssrc);
		break;
	case VC_RTCP_MSG_FIR:
		vc_rtcp_add_fir(w, m->ssrc, m->u.fb.media_ssrc, m->u.fb.fir_seq);
		break;
	case VC_RTCP_MSG_REMB: /* parsed (a browser may send it), never written */
	case VC_RTCP_MSG_OTHER:
		break;
	default:
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vc_rtcp_iter it;
	struct vc_rtcp_msg m;
	struct vc_rtcp_writer w;
	int r = vc_rtcp_parse(&it, data, size), known = 0;
	static struct vc_rtcp_msg all[8];
	unsigned n_all;
	int rc = vc_rtcp_parse_compound(data, size, all, 8, &n_all);

	/* The one-pass parser accepts exactly the valid compounds that start
	 * with SR or RR and fit its array; what it refuses leaves nothing. */
	if (r != 0)
		REQUIRE(rc < 0 && n_all == 0);
	else if (size >= 2 && data[1] != VC_RTCP_SR && data[1] != VC_RTCP_RR)
		REQUIRE(rc == VC_RTCP_EFIRST && n_all == 0);
	else
		REQUIRE((rc == 0 && n_all >= 1 && n_all <= 8) || (rc == VC_RTCP_ELEN && n_all == 0));

	if (r != 0) {
		REQUIRE(r >= VC_RTCP_ESPACE && r <= VC_RTCP_ETRUNC);
		/* next() alone must stay in bounds and stop for good */
		struct vc_rtcp_iter raw = { .buf = data, .len = size };
		while ((r = vc_rtcp_next(&raw, &m)) > 0)
			;
		REQUIRE(vc_rtcp_next(&raw, &m) == 0);
		return 0;
	}
	vc_rtcp_writer_init(&w, out, sizeof(out));
	while ((r = vc_rtcp_next(&it, &m)) > 0) {
		REQUIRE(m.type >= VC_RTCP_MSG_SR && m.type <= VC_RTCP_MSG_OTHER);
		REQUIRE(m.rc <= VC_RTCP_MAX_RB);
		if (m.type == VC_RTCP_MSG_SDES)
			REQUIRE(memchr(m.u.sdes.cname, 0, sizeof(m.u.sdes.cname)) != NULL);
		if (m.type == VC_RTCP_MSG_BYE)
			REQUIRE(m.u.bye.count <= VC_RTCP_MAX_BYE_SSRC);
		if (m.type == VC_RTCP_MSG_NACK)
			REQUIRE(m.u.nack.n >= 1 && m.u.nack.n <= VC_RTCP_MAX_NACK);
		if (m.type == VC_RTCP_MSG_REMB)
			REQUIRE(m.u.remb.n_ssrc <= 8);
		for (unsigned i = 0; i < m.rc; i++)
			REQUIRE(m.rb[i].cum_lost >= -0x800000 && m.rb[i].cum_lost <= 0x7fffff);
		if (m.type != VC_RTCP_MSG_OTHER && m.type != VC_RTCP_MSG_REMB)
			known++; /* what rewrite() writes back */
		rewrite(&w, &m);
	}
	REQUIRE(r == 0); /* a validated compound iterates without error */
	REQUIRE(w.err == 0 || w.err == VC_RTCP_ESPACE);
	if (w.err == 0 && w.len > 0) {
		int n = 0;

		REQUIRE(vc_rtcp_parse(&it, out, w.len) == 0);
		while ((r = vc_rtcp_next(&it, &m)) > 0)
			n++;
		REQUIRE(r == 0 && n == known);
	}
	return 0;
}
