/* vc_sender.c - packet pool, send queue, send thread, history and resends. */
#include "vc_sender.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "vc_queue.h"
#include "vc_sendhist.h"

struct vc_sender {
	struct vc_sender_cfg cfg;
	struct vc_queue *sendq, *freeq;
	struct vc_pkt *pool;
	struct vc_sendhist *hist;
	uint16_t transport_seq;    /* send thread */
	_Atomic bool closing;
};

int vc_sender_new(struct vc_sender **out, const struct vc_sender_cfg *cfg)
{
	struct vc_sender *s = calloc(1, sizeof(*s));
	int rc = -ENOMEM;

	*out = NULL;
	if (!s)
		return rc;
	s->cfg = *cfg;
	s->transport_seq = (uint16_t)cfg->random();
	s->pool = calloc(VC_POOL_PACKETS, sizeof(*s->pool));
	if (!s->pool || vc_queue_new(&s->sendq, VC_POOL_PACKETS) || vc_queue_new(&s->freeq, VC_POOL_PACKETS) ||
	    vc_sendhist_new(&s->hist, cfg->rtx_budget_bps))
		goto fail;
	for (int i = 0; i < VC_POOL_PACKETS; i++)
		vc_queue_push(s->freeq, &s->pool[i]);
	*out = s;
	return 0;
fail:
	vc_sender_free(s);
	return rc;
}

void vc_sender_free(struct vc_sender *s)
{
	if (!s)
		return;
	vc_queue_free(s->sendq);
	vc_queue_free(s->freeq);
	vc_sendhist_free(s->hist);
	free(s->pool);
	free(s);
}

struct vc_pkt *vc_sender_pkt_get(struct vc_sender *s)
{
	return vc_queue_pop(s->freeq, 0);
}

void vc_sender_pkt_put(struct vc_sender *s, struct vc_pkt *p)
{
	vc_queue_push(s->freeq, p);
}

bool vc_sender_enqueue(struct vc_sender *s, struct vc_pkt *p)
{
	if (vc_queue_push(s->sendq, p) != 0) {
		vc_sender_pkt_put(s, p);
		atomic_fetch_add(&s->cfg.stats->send_dropped, 1);
		return false;
	}
	return true;
}

void vc_sender_datagram(struct vc_sender *s, const uint8_t *buf, size_t len)
{
	const struct vc_addr *peer = s->cfg.peer;
	ssize_t n = sendto(s->cfg.fd, buf, len, 0, (const struct sockaddr *)&peer->ss, peer->len);

	if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != ECONNREFUSED)
		vc_log_limited(s->cfg.log, VC_LOG_WARN, "send: %s", strerror(errno));
	if (n < 0)
		atomic_fetch_add(&s->cfg.stats->send_errors, 1);
}

static void send_rtp(struct vc_sender *s, struct vc_pkt *p)
{
	struct vc_rtp_hdr h;
	uint8_t act[8], tseq[2];
	uint8_t buf[VC_RTP_MAX_PACKET];

	memset(&h, 0, sizeof(h));
	vc_session_tx_header(s->cfg.session, p->stream, &h);
	h.marker = p->marker;
	h.ts = p->ts;
	vc_rtp_put_be64(act, vc_ntp_from_us(p->capture_us));
	tseq[0] = (uint8_t)(s->transport_seq >> 8);
	tseq[1] = (uint8_t)s->transport_seq;
	s->transport_seq++;
	h.has_ext = true;
	h.n_ext = 2;
	h.ext[0] = (struct vc_rtp_ext){ .id = VC_EXT_ABS_CAPTURE_TIME, .len = 8, .data = act };
	h.ext[1] = (struct vc_rtp_ext){ .id = VC_EXT_TRANSPORT_SEQ, .len = 2, .data = tseq };
	int n = vc_rtp_encode(buf, sizeof(buf), &h, p->data, p->len);
	if (n < 0) {
		vc_log_limited(s->cfg.log, VC_LOG_ERROR, "rtp encode failed (%d)", n);
		return;
	}
	vc_sender_datagram(s, buf, (size_t)n);
	vc_session_tx_sent(s->cfg.session, p->stream, p->ts, p->capture_us, p->len);
	if (p->stream == VC_VIDEO) {
		vc_sendhist_store(s->hist, h.seq, buf, (size_t)n);
		atomic_fetch_add(&s->cfg.stats->video_out_packets, 1);
		atomic_fetch_add(&s->cfg.stats->video_out_bytes, (uint64_t)n);
	} else {
		atomic_fetch_add(&s->cfg.stats->audio_out_packets, 1);
		atomic_fetch_add(&s->cfg.stats->audio_out_bytes, (uint64_t)n);
	}
}

static void send_report(struct vc_sender *s, bool bye)
{
	uint8_t buf[VC_RTP_MAX_PACKET];
	size_t n = vc_session_build_report(s->cfg.session, buf, sizeof(buf), vc_clock_now(s->cfg.clock), bye);

	if (!n)
		return;
	vc_sender_datagram(s, buf, n);
	atomic_fetch_add(&s->cfg.stats->rtcp_sent, 1);
}

void *vc_sender_thread(void *arg)
{
	struct vc_sender *s = arg;
	const struct vc_clock *clk = s->cfg.clock;
	uint64_t next_rtcp = vc_clock_now(clk);

	for (;;) {
		/* Sleeps until a packet is queued or the next report is due. */
		struct vc_pkt *p = vc_queue_pop(s->sendq, next_rtcp);
		if (p) {
			send_rtp(s, p);
			vc_sender_pkt_put(s, p);
		}
		uint64_t now = vc_clock_now(clk);
		if (now >= next_rtcp) {
			send_report(s, false);
			bool connecting = vc_liveness_state(s->cfg.live) == VC_ST_CONNECTING;
			next_rtcp = now + vc_rtcp_interval_us(connecting, s->cfg.random());
		}
		if (!p && atomic_load(&s->closing) && vc_queue_len(s->sendq) == 0)
			break;
	}
	/* Everything captured has been sent: say goodbye. */
	send_report(s, true);
	return NULL;
}

void vc_sender_close(struct vc_sender *s)
{
	atomic_store(&s->closing, true);
	vc_queue_close(s->sendq); /* wakes the send thread; what is queued still goes out */
}

void vc_sender_resend(struct vc_sender *s, const struct vc_rtcp_msg *m, uint64_t now)
{
	uint64_t rtt = (uint64_t)vc_session_rtt_us(s->cfg.session);
	uint8_t buf[VC_RTP_MAX_PACKET];

	for (unsigned i = 0; i < m->u.nack.n; i++) {
		for (unsigned b = 0; b <= 16; b++) {
			if (b > 0 && !(m->u.nack.blp[i] & (1u << (b - 1))))
				continue;
			uint16_t seq = (uint16_t)(m->u.nack.pid[i] + b);
			size_t len;
			enum vc_hist_result r = vc_sendhist_take(s->hist, seq, now, rtt, buf, sizeof(buf), &len);
			if (r == VC_HIST_BUDGET) {
				atomic_fetch_add(&s->cfg.stats->rtx_over_budget, 1);
				vc_log_limited(s->cfg.log, VC_LOG_DEBUG, "NACK: retransmission budget spent");
				return;
			}
			if (r != VC_HIST_OK)
				continue;
			vc_sender_datagram(s, buf, len);
			atomic_fetch_add(&s->cfg.stats->retransmitted, 1);
		}
	}
}
