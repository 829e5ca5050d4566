/* vc_vrecv.c - video receive buffer, NACK and render-delay policy. */
#include "vc_vrecv.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "vc_cond.h"
#include "vc_nack.h"
#include "vc_rtp.h"

struct vc_vrecv {
	pthread_mutex_t lock;
	pthread_cond_t cv;
	struct vc_framebuf *fb;
	struct vc_stats *stats;
	uint32_t fixed_ms;
	/* receive thread */
	struct vc_nack nack;
	uint64_t last_nack_us;
	uint32_t target_ms;
	/* from other threads */
	_Atomic uint32_t jitter_ms, sync_extra_ms;
	bool stopped; /* under lock */
};

uint32_t vc_vdelay_target(const struct vc_vdelay_in *in)
{
	uint32_t want = (in->fixed_ms ? in->fixed_ms : in->jitter_ms) + in->sync_extra_ms;

	if (in->last_nack_us && in->now_us - in->last_nack_us < VC_NACK_DELAY_HOLD_US) {
		/* No RTT yet (it needs an SR/RR exchange): assume a typical one
		 * rather than none, so the first losses can be repaired too. */
		uint64_t rtt = in->rtt_us ? in->rtt_us : VC_NACK_DEFAULT_RTT_US;
		uint64_t need = rtt / 1000u + VC_NACK_EXTRA_MS;
		if (need > VC_NACK_MAX_TARGET_MS)
			need = VC_NACK_MAX_TARGET_MS;
		if (need > want)
			want = (uint32_t)need;
	}
	return want;
}

bool vc_kf_limiter_try(_Atomic uint64_t *last_us, uint64_t now_us, uint64_t min_us)
{
	uint64_t last = atomic_load(last_us);

	do {
		/* A request stamped after our now (another thread read the
		 * clock later but asked first) is as recent as it gets. */
		if (last && (now_us < last || now_us - last < min_us))
			return false;
	} while (!atomic_compare_exchange_weak(last_us, &last, now_us));
	return true;
}

int vc_vrecv_new(struct vc_vrecv **out, uint32_t fixed_target_ms, struct vc_stats *stats)
{
	struct vc_vrecv *v = calloc(1, sizeof(*v));
	struct vc_framebuf_cfg fc = { .clock_rate = 90000, .target_ms = fixed_target_ms, .slots = 1024,
				      .max_payload = VC_RTP_MAX_PACKET, .max_frame = VC_MAX_FRAME_BYTES };
	*out = NULL;
	if (!v)
		return -ENOMEM;
	if (vc_framebuf_new(&v->fb, &fc)) {
		free(v);
		return -ENOMEM;
	}
	pthread_mutex_init(&v->lock, NULL);
	vc_cond_init_monotonic(&v->cv);
	v->stats = stats;
	v->fixed_ms = fixed_target_ms;
	v->target_ms = fixed_target_ms;
	atomic_store(&v->jitter_ms, VC_VIDEO_INITIAL_TARGET_MS);
	atomic_store(&stats->video_target_ms, fixed_target_ms);
	vc_nack_init(&v->nack, NULL);
	*out = v;
	return 0;
}

void vc_vrecv_free(struct vc_vrecv *v)
{
	if (!v)
		return;
	vc_framebuf_free(v->fb);
	pthread_cond_destroy(&v->cv);
	pthread_mutex_destroy(&v->lock);
	free(v);
}

void vc_vrecv_reset(struct vc_vrecv *v)
{
	pthread_mutex_lock(&v->lock);
	vc_framebuf_reset(v->fb);
	pthread_mutex_unlock(&v->lock);
	vc_nack_reset(&v->nack);
}

bool vc_vrecv_put(struct vc_vrecv *v, const struct vc_fb_pkt_info *pi, const uint8_t *payload, size_t len)
{
	pthread_mutex_lock(&v->lock);
	uint64_t due_before = vc_framebuf_next_due(v->fb);
	enum vc_fb_put_result r = vc_framebuf_put(v->fb, pi, payload, len);
	/* Wake playout only when this packet made a frame due earlier than
	 * what it is waiting for: once per complete frame, not per packet. */
	if (vc_framebuf_next_due(v->fb) < due_before)
		pthread_cond_signal(&v->cv);
	pthread_mutex_unlock(&v->lock);
	switch (r) {
	case VC_FB_STORED:
		break;
	case VC_FB_DUPLICATE:
		atomic_fetch_add(&v->stats->rejected_duplicate, 1);
		break;
	case VC_FB_LATE:
		atomic_fetch_add(&v->stats->rejected_late, 1);
		break;
	case VC_FB_TOO_BIG:
		atomic_fetch_add(&v->stats->rejected_too_big, 1);
		break;
	case VC_FB_OVERFLOW:
		atomic_fetch_add(&v->stats->rejected_overflow, 1);
		break;
	}
	/* A hole too big to repair by NACK: repair by keyframe instead. */
	return vc_nack_on_packet(&v->nack, pi->seq, pi->arrival_us) == VC_NACK_RESTART;
}

unsigned vc_vrecv_nacks(struct vc_vrecv *v, uint64_t now, uint64_t rtt_us, uint16_t *seqs, unsigned max,
			uint64_t *next_us)
{
	unsigned n = vc_nack_collect(&v->nack, now, rtt_us, seqs, max);

	if (n)
		v->last_nack_us = now;
	struct vc_vdelay_in in = { .now_us = now, .fixed_ms = v->fixed_ms,
				   .jitter_ms = atomic_load(&v->jitter_ms),
				   .sync_extra_ms = atomic_load(&v->sync_extra_ms),
				   .last_nack_us = v->last_nack_us, .rtt_us = rtt_us };
	uint32_t want = vc_vdelay_target(&in);
	if (want != v->target_ms) {
		v->target_ms = want;
		pthread_mutex_lock(&v->lock);
		vc_framebuf_set_target_ms(v->fb, want);
		pthread_cond_signal(&v->cv); /* due times moved */
		pthread_mutex_unlock(&v->lock);
		atomic_store(&v->stats->video_target_ms, want);
	}
	*next_us = vc_nack_next_due(&v->nack, rtt_us);
	/* The hold ends: the target falls back then. */
	if (v->last_nack_us && now - v->last_nack_us < VC_NACK_DELAY_HOLD_US &&
	    v->last_nack_us + VC_NACK_DELAY_HOLD_US < *next_us)
		*next_us = v->last_nack_us + VC_NACK_DELAY_HOLD_US;
	return n;
}

void vc_vrecv_set_jitter_ms(struct vc_vrecv *v, uint32_t ms)
{
	atomic_store(&v->jitter_ms, ms);
}

void vc_vrecv_set_sync_extra_ms(struct vc_vrecv *v, uint32_t ms)
{
	atomic_store(&v->sync_extra_ms, ms);
}

int vc_vrecv_get(struct vc_vrecv *v, const struct vc_clock *clk, uint64_t lead_us, uint64_t deadline_us,
		 struct vc_fb_frame *f)
{
	int got;

	pthread_mutex_lock(&v->lock);
	got = vc_framebuf_get(v->fb, vc_clock_now(clk) + lead_us, f);
	if (!got && !v->stopped) {
		uint64_t due = vc_framebuf_next_due(v->fb);
		due = due > lead_us ? due - lead_us : 0;
		vc_cond_wait_until(&v->cv, &v->lock, due < deadline_us ? due : deadline_us);
		got = vc_framebuf_get(v->fb, vc_clock_now(clk) + lead_us, f);
	}
	atomic_store(&v->stats->frames_given_up, vc_framebuf_dropped(v->fb));
	pthread_mutex_unlock(&v->lock);
	return got;
}

bool vc_vrecv_empty(struct vc_vrecv *v)
{
	pthread_mutex_lock(&v->lock);
	bool empty = vc_framebuf_next_due(v->fb) == UINT64_MAX;
	pthread_mutex_unlock(&v->lock);
	return empty;
}

void vc_vrecv_stop(struct vc_vrecv *v)
{
	pthread_mutex_lock(&v->lock);
	v->stopped = true;
	pthread_cond_broadcast(&v->cv);
	pthread_mutex_unlock(&v->lock);
}
