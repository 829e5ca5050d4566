/* vc_sendhist.c - sent video packets, for retransmission under a budget. */
#include "vc_sendhist.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "vc_rtp.h"

struct vc_sendhist {
	pthread_mutex_t lock;
	uint32_t budget_bps;
	uint64_t window_start_us; /* the current RTT window */
	uint64_t window_bytes;    /* resent in it */
	struct slot {
		bool valid;
		uint16_t seq;
		uint16_t len;
		uint64_t resent_us;
		uint8_t data[VC_RTP_MAX_PACKET];
	} slot[VC_HIST_PACKETS];
};

int vc_sendhist_new(struct vc_sendhist **out, uint32_t budget_bps)
{
	struct vc_sendhist *h = calloc(1, sizeof(*h));

	*out = NULL;
	if (!h)
		return -ENOMEM;
	pthread_mutex_init(&h->lock, NULL);
	h->budget_bps = budget_bps;
	*out = h;
	return 0;
}

void vc_sendhist_free(struct vc_sendhist *h)
{
	if (!h)
		return;
	pthread_mutex_destroy(&h->lock);
	free(h);
}

void vc_sendhist_store(struct vc_sendhist *h, uint16_t seq, const uint8_t *pkt, size_t len)
{
	struct slot *s = &h->slot[seq % VC_HIST_PACKETS];

	if (len > sizeof(s->data))
		return;
	pthread_mutex_lock(&h->lock);
	s->valid = true;
	s->seq = seq;
	s->len = (uint16_t)len;
	s->resent_us = 0;
	memcpy(s->data, pkt, len);
	pthread_mutex_unlock(&h->lock);
}

enum vc_hist_result vc_sendhist_take(struct vc_sendhist *h, uint16_t seq, uint64_t now_us,
				     uint64_t rtt_us, uint8_t *buf, size_t cap, size_t *len)
{
	struct slot *s = &h->slot[seq % VC_HIST_PACKETS];
	enum vc_hist_result r = VC_HIST_OK;
	uint64_t rtt = rtt_us ? rtt_us : VC_HIST_DEFAULT_RTT_US;

	if (rtt < VC_HIST_MIN_RTT_US)
		rtt = VC_HIST_MIN_RTT_US;
	if (rtt > VC_HIST_MAX_RTT_US)
		rtt = VC_HIST_MAX_RTT_US;
	uint64_t budget = (uint64_t)h->budget_bps / 8u * rtt / 1000000u;
	if (budget < VC_HIST_BUDGET_MIN)
		budget = VC_HIST_BUDGET_MIN;

	*len = 0;
	pthread_mutex_lock(&h->lock);
	if (now_us - h->window_start_us >= rtt) {
		h->window_start_us = now_us;
		h->window_bytes = 0;
	}
	if (!s->valid || s->seq != seq || s->len > cap)
		r = VC_HIST_MISSING;
	else if (s->resent_us && now_us - s->resent_us < VC_HIST_RESEND_MIN_US)
		r = VC_HIST_TOO_SOON;
	else if (h->window_bytes + s->len > budget)
		r = VC_HIST_BUDGET;
	if (r == VC_HIST_OK) {
		s->resent_us = now_us;
		h->window_bytes += s->len;
		memcpy(buf, s->data, s->len);
		*len = s->len;
	}
	pthread_mutex_unlock(&h->lock);
	return r;
}
