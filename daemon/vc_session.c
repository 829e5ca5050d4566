/* vc_session.c - RTP session: streams, SSRCs, RTCP in and out, RTT, clock offset. */
#include "vc_session.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vc_clock.h"
#include "vc_clockoff.h"
#include "vc_seq.h"
#include "vc_source.h"

#define MAX_COMPOUND_MSGS 24

/* One of our streams; the send thread's own. */
struct tx_stream {
	uint32_t ssrc;
	uint8_t pt;
	uint16_t seq;
	uint32_t ts_offset;
	uint32_t last_ts;
	uint64_t last_capture_us;
	uint32_t rate;
	bool sent_any;
	uint32_t packets, octets; /* RTCP SR counters (wrap as the RFC says) */
};

/* One of the peer's streams, under its own lock. */
struct rx_stream {
	pthread_mutex_t lock;
	bool active;
	uint32_t ssrc;
	uint32_t rate;
	uint64_t last_us;
	struct vc_source src;
	bool have_sr;      /* the sender's last SR: its clock (us) at RTP time sr_rtp */
	uint64_t sr_us;
	uint32_t sr_rtp;
};

struct vc_session {
	struct vc_log *log;
	struct vc_stats *stats;
	char cname[256];
	struct tx_stream tx[VC_N_STREAMS];
	struct rx_stream rx[VC_N_STREAMS];
	/* receive thread */
	struct vc_clockoff off;
	uint32_t report_ssrc;      /* sender SSRC of the peer's last SR/RR */
	bool have_report_ssrc;
	/* published */
	_Atomic int64_t rtt_us;
	_Atomic int64_t offset_us; /* local - remote clock */
	_Atomic bool have_offset;
	_Atomic bool peer_bye;
};

int vc_session_new(struct vc_session **out, const struct vc_session_cfg *cfg)
{
	struct vc_session *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (!s)
		return -ENOMEM;
	s->log = cfg->log;
	s->stats = cfg->stats;
	snprintf(s->cname, sizeof(s->cname), "%s", cfg->cname ? cfg->cname : "vcalld");
	for (int i = 0; i < VC_N_STREAMS; i++) {
		s->tx[i] = (struct tx_stream){ .ssrc = cfg->random(), .seq = (uint16_t)cfg->random(),
					       .ts_offset = cfg->random() };
		pthread_mutex_init(&s->rx[i].lock, NULL);
	}
	s->tx[VC_VIDEO].pt = VC_PT_VP8;
	s->tx[VC_VIDEO].rate = 90000;
	s->tx[VC_AUDIO].pt = VC_PT_OPUS;
	s->tx[VC_AUDIO].rate = 48000;
	s->rx[VC_VIDEO].rate = 90000;
	s->rx[VC_AUDIO].rate = 48000;
	while (s->tx[VC_AUDIO].ssrc == s->tx[VC_VIDEO].ssrc)
		s->tx[VC_AUDIO].ssrc = cfg->random();
	vc_clockoff_init(&s->off, 0);
	*out = s;
	return 0;
}

void vc_session_free(struct vc_session *s)
{
	if (!s)
		return;
	for (int i = 0; i < VC_N_STREAMS; i++)
		pthread_mutex_destroy(&s->rx[i].lock);
	free(s);
}

/* ---- our streams ---------------------------------------------------- */

uint32_t vc_session_ssrc(const struct vc_session *s, enum vc_stream st)
{
	return s->tx[st].ssrc;
}

uint32_t vc_session_ts_offset(const struct vc_session *s, enum vc_stream st)
{
	return s->tx[st].ts_offset;
}

void vc_session_tx_header(struct vc_session *s, enum vc_stream st, struct vc_rtp_hdr *h)
{
	struct tx_stream *t = &s->tx[st];

	h->pt = t->pt;
	h->ssrc = t->ssrc;
	h->seq = t->seq++;
}

void vc_session_tx_sent(struct vc_session *s, enum vc_stream st, uint32_t ts, uint64_t capture_us,
			size_t payload_len)
{
	struct tx_stream *t = &s->tx[st];

	t->sent_any = true;
	t->last_ts = ts;
	t->last_capture_us = capture_us;
	t->packets++;
	t->octets += (uint32_t)payload_len;
}

static unsigned report_blocks(struct vc_session *s, struct vc_rtcp_rb *rb, uint64_t now)
{
	unsigned n = 0;

	for (int i = 0; i < VC_N_STREAMS; i++) {
		struct rx_stream *r = &s->rx[i];
		pthread_mutex_lock(&r->lock);
		if (r->active)
			vc_source_report(&r->src, &rb[n++], now);
		pthread_mutex_unlock(&r->lock);
	}
	return n;
}

size_t vc_session_build_report(struct vc_session *s, uint8_t *buf, size_t cap, uint64_t now, bool bye)
{
	struct vc_rtcp_writer w;
	struct vc_rtcp_rb rb[VC_N_STREAMS];
	unsigned n_rb = report_blocks(s, rb, now);
	bool first = true;

	vc_rtcp_writer_init(&w, buf, cap);
	for (int i = 0; i < VC_N_STREAMS; i++) {
		struct tx_stream *t = &s->tx[i];
		if (!t->sent_any)
			continue;
		/* RTP time "now" extrapolated from the last packet's capture time. */
		uint32_t rtp_now = t->last_ts + (uint32_t)((now - t->last_capture_us) * t->rate / 1000000u);
		vc_rtcp_add_sr(&w, t->ssrc, vc_ntp_from_us(now), rtp_now, t->packets, t->octets,
			       first ? rb : NULL, first ? n_rb : 0);
		first = false;
	}
	if (first)
		vc_rtcp_add_rr(&w, s->tx[VC_VIDEO].ssrc, rb, n_rb);
	vc_rtcp_add_sdes_cname(&w, s->tx[VC_VIDEO].ssrc, s->cname);
	vc_rtcp_add_sdes_cname(&w, s->tx[VC_AUDIO].ssrc, s->cname);
	if (bye) {
		uint32_t ssrcs[2] = { s->tx[VC_VIDEO].ssrc, s->tx[VC_AUDIO].ssrc };
		vc_rtcp_add_bye(&w, ssrcs, 2, "hangup");
	}
	if (w.err) {
		vc_log_limited(s->log, VC_LOG_ERROR, "rtcp build failed (%d)", w.err);
		return 0;
	}
	return w.len;
}

size_t vc_session_build_feedback(struct vc_session *s, uint8_t *buf, size_t cap, const uint16_t *seqs,
				 unsigned n)
{
	struct rx_stream *r = &s->rx[VC_VIDEO];
	struct vc_rtcp_writer w;
	uint32_t media;
	bool active;

	pthread_mutex_lock(&r->lock);
	active = r->active;
	media = r->ssrc;
	pthread_mutex_unlock(&r->lock);
	if (!active)
		return 0;
	vc_rtcp_writer_init(&w, buf, cap);
	vc_rtcp_add_rr(&w, s->tx[VC_VIDEO].ssrc, NULL, 0);
	if (seqs)
		vc_rtcp_add_nack(&w, s->tx[VC_VIDEO].ssrc, media, seqs, n);
	else
		vc_rtcp_add_pli(&w, s->tx[VC_VIDEO].ssrc, media);
	return w.err ? 0 : w.len;
}

uint64_t vc_rtcp_interval_us(bool connecting, uint32_t rnd)
{
	/* Always at least once a second: the peer's liveness and RTT need it. */
	if (connecting)
		return 200000u;
	return 500000u + rnd % 500000u;
}

/* ---- the peer's streams --------------------------------------------- */

enum vc_rx_verdict vc_session_rtp_in(struct vc_session *s, enum vc_stream st, const struct vc_rtp_hdr *h,
				     uint64_t now)
{
	struct rx_stream *r = &s->rx[st];
	enum vc_rx_verdict v = VC_RX_OK;

	pthread_mutex_lock(&r->lock);
	if (!r->active || r->ssrc != h->ssrc) {
		/* A new SSRC replaces the old one only when the old has gone
		 * quiet (peer restarted); otherwise it is a stray or hostile
		 * stream. */
		if (r->active && now - r->last_us < VC_SSRC_SWITCH_US) {
			pthread_mutex_unlock(&r->lock);
			return VC_RX_UNKNOWN_SSRC;
		}
		r->active = true;
		r->ssrc = h->ssrc;
		r->have_sr = false;
		vc_source_init(&r->src, h->ssrc, r->rate, h->seq);
		v = VC_RX_NEW_SOURCE;
	}
	r->last_us = now;
	if (vc_source_update(&r->src, h->seq, h->ts, now) == VC_SRC_BAD && v == VC_RX_OK)
		v = VC_RX_BAD_SEQ;
	pthread_mutex_unlock(&r->lock);
	return v;
}

static bool is_our_ssrc(const struct vc_session *s, uint32_t ssrc)
{
	return ssrc == s->tx[VC_VIDEO].ssrc || ssrc == s->tx[VC_AUDIO].ssrc;
}

static void report_blocks_in(struct vc_session *s, const struct vc_rtcp_msg *m, uint64_t now)
{
	for (unsigned i = 0; i < m->rc; i++) {
		if (!is_our_ssrc(s, m->rb[i].ssrc))
			continue;
		int64_t rtt = vc_rtt_us(&m->rb[i], now);
		if (rtt >= 0)
			atomic_store(&s->rtt_us, rtt);
	}
}

static void sr_in(struct vc_session *s, const struct vc_rtcp_msg *m, uint64_t now)
{
	uint64_t remote_us = vc_us_from_ntp(m->u.sr.ntp);
	int64_t rtt = atomic_load(&s->rtt_us), off;

	vc_clockoff_sample(&s->off, now, (int64_t)now - (int64_t)remote_us - (rtt > 0 ? rtt / 2 : 0));
	if (vc_clockoff_get(&s->off, now, &off)) {
		atomic_store(&s->offset_us, off);
		atomic_store(&s->have_offset, true);
	}
	for (int i = 0; i < VC_N_STREAMS; i++) {
		struct rx_stream *r = &s->rx[i];
		pthread_mutex_lock(&r->lock);
		if (r->active && r->ssrc == m->ssrc) {
			vc_source_sr_received(&r->src, m->u.sr.ntp, now);
			r->have_sr = true;
			r->sr_us = remote_us;
			r->sr_rtp = m->u.sr.rtp_ts;
		}
		pthread_mutex_unlock(&r->lock);
	}
}

/* A BYE ends the call only when it names one of the peer's current SSRCs
 * (or, from a peer that sends no media, the SSRC its reports come from). */
static void bye_in(struct vc_session *s, const struct vc_rtcp_msg *m)
{
	bool any_active = false, named = false;

	for (int i = 0; i < VC_N_STREAMS; i++) {
		struct rx_stream *r = &s->rx[i];
		pthread_mutex_lock(&r->lock);
		any_active |= r->active;
		for (unsigned k = 0; k < m->u.bye.count; k++)
			named |= r->active && r->ssrc == m->u.bye.ssrc[k];
		pthread_mutex_unlock(&r->lock);
	}
	if (!any_active && s->have_report_ssrc)
		for (unsigned k = 0; k < m->u.bye.count; k++)
			named |= m->u.bye.ssrc[k] == s->report_ssrc;
	if (named) {
		atomic_store(&s->peer_bye, true);
	} else {
		atomic_fetch_add(&s->stats->rejected_bye, 1);
		vc_log_limited(s->log, VC_LOG_DEBUG, "BYE for an unknown SSRC ignored");
	}
}

int vc_session_rtcp_in(struct vc_session *s, const uint8_t *buf, size_t len, uint64_t now,
		       const struct vc_rtcp_handlers *h)
{
	struct vc_rtcp_msg msgs[MAX_COMPOUND_MSGS];
	unsigned n;
	int rc = vc_rtcp_parse_compound(buf, len, msgs, MAX_COMPOUND_MSGS, &n);

	if (rc < 0) {
		atomic_fetch_add(&s->stats->rejected_malformed, 1);
		vc_log_limited(s->log, VC_LOG_DEBUG, "rtcp rejected (%d), %zu bytes", rc, len);
		return rc;
	}
	atomic_fetch_add(&s->stats->rtcp_received, 1);
	for (unsigned i = 0; i < n; i++) {
		const struct vc_rtcp_msg *m = &msgs[i];
		switch (m->type) {
		case VC_RTCP_MSG_SR:
		case VC_RTCP_MSG_RR:
			if (m->type == VC_RTCP_MSG_SR)
				sr_in(s, m, now);
			/* an SR carries report blocks too */
			s->report_ssrc = m->ssrc;
			s->have_report_ssrc = true;
			report_blocks_in(s, m, now);
			break;
		case VC_RTCP_MSG_BYE:
			bye_in(s, m);
			break;
		case VC_RTCP_MSG_PLI:
		case VC_RTCP_MSG_FIR:
			if (m->u.fb.media_ssrc == s->tx[VC_VIDEO].ssrc && h->keyframe) {
				atomic_fetch_add(&s->stats->plis_received, 1);
				h->keyframe(h->ctx);
			}
			break;
		case VC_RTCP_MSG_NACK:
			if (m->u.nack.media_ssrc == s->tx[VC_VIDEO].ssrc && h->nack) {
				atomic_fetch_add(&s->stats->nacks_received, 1);
				h->nack(h->ctx, m, now);
			}
			break;
		default:
			break;
		}
	}
	return 0;
}

/* ---- any thread ----------------------------------------------------- */

bool vc_session_peer_bye(const struct vc_session *s)
{
	return atomic_load(&s->peer_bye);
}

int64_t vc_session_rtt_us(const struct vc_session *s)
{
	int64_t rtt = atomic_load(&s->rtt_us);

	return rtt > 0 ? rtt : 0;
}

bool vc_session_to_local(const struct vc_session *s, uint64_t remote_us, uint64_t *local_us)
{
	if (!atomic_load(&s->have_offset))
		return false;
	int64_t t = (int64_t)remote_us + atomic_load(&s->offset_us);
	*local_us = t > 0 ? (uint64_t)t : 0;
	return t > 0;
}

bool vc_session_sender_time(struct vc_session *s, enum vc_stream st, uint32_t ts, int64_t *sender_us)
{
	struct rx_stream *r = &s->rx[st];
	bool ok;

	pthread_mutex_lock(&r->lock);
	ok = r->active && r->have_sr;
	if (ok)
		*sender_us = (int64_t)r->sr_us + (int64_t)vc_ts_diff(ts, r->sr_rtp) * 1000000 / (int64_t)r->rate;
	pthread_mutex_unlock(&r->lock);
	return ok;
}

void vc_session_rx_info(struct vc_session *s, enum vc_stream st, struct vc_rx_info *out)
{
	struct rx_stream *r = &s->rx[st];

	pthread_mutex_lock(&r->lock);
	out->active = r->active;
	out->lost = r->active ? vc_source_lost(&r->src) : 0;
	out->jitter_ms = r->active ? vc_source_jitter_ms(&r->src) : 0;
	pthread_mutex_unlock(&r->lock);
}
