/* vc_call.c - the call session: threads, RTP/RTCP, jitter buffers, playout.
 * See vc_call.h for the thread layout and docs/ARCHITECTURE.md for the why.
 */
#include "vc_call.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vc_asrc.h"
#include "vc_clock.h"
#include "vc_framebuf.h"
#include "vc_jb.h"
#include "vc_nack.h"
#include "vc_net.h"
#include "vc_opus.h"
#include "vc_queue.h"
#include "vc_ring.h"
#include "vc_rtcp.h"
#include "vc_rtp.h"
#include "vc_seq.h"
#include "vc_sink.h"
#include "vc_source.h"
#include "vc_stats.h"
#include "vc_vp8.h"
#include "vc_vp8_rtp.h"
#include "vc_v4l2.h"
#include "vc_vsrc.h"
#include "vc_window.h"

#define POOL_PACKETS 1024
#define RTP_EXT_BYTES 16          /* abs-capture-time + transport seq, one-byte form */
#define MAX_RTP_PAYLOAD (VC_RTP_MAX_PACKET - VC_RTP_HDR_MIN - RTP_EXT_BYTES)
#define RX_BATCH 64               /* datagrams read per wake-up */
#define MAX_FRAME_BYTES (1u << 20)
#define AUDIO_RING_BLOCKS 16
#define AUDIO_BLOCK_US (VC_OPUS_FRAME * 1000000u / VC_OPUS_RATE)
#define PEER_LOST_US 5000000u
#define DRAIN_MAX_US 1500000u
#define PLI_MIN_INTERVAL_US 250000u /* re-ask if the keyframe itself was lost */
#define HISTORY_PACKETS 1024        /* sent video packets kept for NACK, ~1 s at 2 Mbit/s */
#define RESEND_MIN_US 10000u        /* one retransmission of a packet per 10 ms at most */
#define NACK_BATCH 64
#define CAPTURE_SLOTS 256         /* audio seq -> capture time side table */

enum call_state { ST_CONNECTING, ST_CONNECTED, ST_PEER_LOST, ST_ENDED };
static const char *const state_names[] = { "connecting", "connected", "peer-lost", "ended" };

enum stream { STREAM_VIDEO, STREAM_AUDIO, N_STREAMS };

/* One outgoing media packet, from the pool. */
struct pkt {
	enum stream stream;
	bool marker;
	uint32_t ts;
	uint64_t capture_us;
	size_t len;
	uint8_t data[MAX_RTP_PAYLOAD];
};

/* One audio capture block handed from capture to encode through the ring. */
struct audio_block {
	uint64_t capture_us;
	int16_t pcm[VC_OPUS_FRAME];
};

/* Sender state of one outgoing stream; owned by the send thread. */
struct tx_stream {
	uint32_t ssrc;
	uint8_t pt;
	uint16_t seq;
	uint32_t last_ts;
	uint64_t last_capture_us;
	uint32_t rate;
	bool sent_any;
	uint32_t packets, octets; /* RTCP SR counters (wrap as the RFC says) */
};

/* Sent video packets, for retransmission on NACK.  Written by the send
 * thread, read by the receive thread; guarded by its own mutex. */
struct tx_history {
	pthread_mutex_t lock;
	struct hist_slot {
		bool valid;
		uint16_t seq;
		uint16_t len;
		uint64_t resent_us;
		uint8_t data[VC_RTP_MAX_PACKET];
	} slot[HISTORY_PACKETS];
};

/* The newest picture for the window, handed from a media thread to the
 * main thread.  The frame is reallocated only when the picture size changes. */
struct frame_box {
	pthread_mutex_t lock;
	struct vc_frame frame;
	bool fresh;
};

/* A remote stream; guarded by rx_lock. */
struct rx_stream {
	bool active;
	uint32_t ssrc;
	uint64_t last_us;
	struct vc_source src;
};

struct vc_call {
	const struct vc_opts *o;
	struct vc_log *log;
	const struct vc_clock *clock;
	struct vc_stats stats;

	int fd;
	struct vc_addr peer;
	char cname[256];

	/* media in/out */
	struct vc_vsrc *vsrc;
	struct vc_asrc *asrc;
	struct vc_vsink *vsink;
	struct vc_asink *asink;
	struct vc_vp8_enc *venc;
	struct vc_opus_enc *aenc;
	int width, height, fps;

	/* window (main thread), fed through the boxes */
	struct vc_window *win;
	struct frame_box remote_box, self_box;
	_Atomic bool mic_muted, camera_off;
	char win_title[256];
	struct overlay_prev {
		uint64_t t_us, frames, bytes, abytes, esum, en, asum, an;
	} overlay_prev;

	/* thread plumbing */
	_Atomic int state;
	_Atomic bool stop_media;   /* capture/encode threads end */
	_Atomic bool media_done;   /* ... and have ended: the send thread may finish */
	_Atomic bool stop_all;     /* every thread ends */
	_Atomic bool peer_bye;
	_Atomic uint64_t last_rx_us;
	_Atomic uint64_t connected_us;
	struct vc_queue *sendq;
	struct vc_queue *freeq;
	struct pkt *pool;
	struct vc_ring *aring;
	sem_t aring_sem;
	bool aring_sem_ok;

	/* send side (send thread) */
	struct tx_stream tx[N_STREAMS];
	uint16_t transport_seq;
	uint32_t video_ts_offset;
	uint32_t audio_ts_offset;
	struct tx_history *hist;

	/* receive side */
	pthread_mutex_t rx_lock;
	pthread_cond_t video_cv;
	struct rx_stream rx[N_STREAMS];
	struct vc_framebuf *fb;
	struct vc_jb *jb;
	struct vc_nack vnack;                  /* video holes to request (receive thread) */
	uint64_t last_nack_us;                 /* receive thread */
	uint32_t video_target_ms;              /* current frame buffer target (receive thread) */
	uint64_t audio_capture[CAPTURE_SLOTS]; /* by seq % CAPTURE_SLOTS */
	uint16_t audio_capture_seq[CAPTURE_SLOTS];
	_Atomic int64_t clock_offset_us;       /* local - remote clock */
	_Atomic bool have_offset;
	_Atomic int64_t rtt_us;
	_Atomic uint64_t last_pli_us;

	pthread_t threads[8];      /* network and playout threads */
	int n_threads;
	pthread_t media_threads[3]; /* capture and encode threads */
	int n_media_threads;
};

/* ------------------------------------------------------------------ */
/* helpers                                                             */

static uint32_t random_u32(void)
{
	uint32_t v;

	if (getrandom(&v, sizeof(v), 0) != (ssize_t)sizeof(v))
		v = (uint32_t)vc_monotonic_us() * 2654435761u ^ (uint32_t)getpid();
	return v;
}

static uint64_t now_us(const struct vc_call *c)
{
	return vc_clock_now(c->clock);
}

static bool media_flowing(const struct vc_call *c)
{
	int st = atomic_load(&c->state);
	return st == ST_CONNECTED || st == ST_PEER_LOST;
}

static void send_datagram(struct vc_call *c, const uint8_t *buf, size_t len)
{
	ssize_t n = sendto(c->fd, buf, len, 0, (const struct sockaddr *)&c->peer.ss, c->peer.len);
	if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != ECONNREFUSED)
		vc_log_limited(c->log, VC_LOG_WARN, "send: %s", strerror(errno));
	if (n < 0)
		atomic_fetch_add(&c->stats.send_errors, 1);
}

/* ------------------------------------------------------------------ */
/* capture and encode                                                  */

static void box_post(struct frame_box *b, const struct vc_frame *f)
{
	pthread_mutex_lock(&b->lock);
	if (b->frame.width != f->width || b->frame.height != f->height) {
		vc_frame_free(&b->frame);
		if (vc_frame_alloc(&b->frame, f->width, f->height)) {
			pthread_mutex_unlock(&b->lock);
			return;
		}
	}
	vc_frame_copy(&b->frame, f);
	b->fresh = true;
	pthread_mutex_unlock(&b->lock);
}

static void box_take(struct frame_box *b, struct vc_window *w,
		     int (*set)(struct vc_window *, const struct vc_frame *))
{
	pthread_mutex_lock(&b->lock);
	if (b->fresh)
		set(w, &b->frame);
	b->fresh = false;
	pthread_mutex_unlock(&b->lock);
}

static struct pkt *pkt_get(struct vc_call *c)
{
	return vc_queue_pop(c->freeq, 0);
}

static void pkt_put(struct vc_call *c, struct pkt *p)
{
	vc_queue_push(c->freeq, p);
}

static bool enqueue(struct vc_call *c, struct pkt *p)
{
	if (vc_queue_push(c->sendq, p) != 0) {
		pkt_put(c, p);
		atomic_fetch_add(&c->stats.send_dropped, 1);
		return false;
	}
	return true;
}

static void *video_capture_thread(void *arg)
{
	struct vc_call *c = arg;
	struct vc_frame frame;
	uint16_t picture_id = (uint16_t)(random_u32() & 0x7fff);
	bool need_keyframe = true;
	int camera_state = VC_VSRC_FRAME;

	if (vc_frame_alloc(&frame, c->width, c->height)) {
		vc_err(c->log, "video: out of memory");
		return NULL;
	}
	while (!atomic_load(&c->stop_media)) {
		int rc = vc_vsrc_read(c->vsrc, &frame);
		if (rc < 0) {
			vc_err(c->log, "video source failed (%s); video stops", strerror(-rc));
			break;
		}
		if (rc == 0)
			continue; /* the camera was slow: nothing this time */
		if (rc != camera_state) {
			if (rc == VC_VSRC_PLACEHOLDER)
				vc_warn(c->log, "camera lost; sending a placeholder and retrying");
			else if (rc == VC_VSRC_RESUMED)
				vc_info(c->log, "camera back");
			camera_state = rc == VC_VSRC_RESUMED ? VC_VSRC_FRAME : rc;
		}
		if (rc == VC_VSRC_RESUMED)
			need_keyframe = true;
		if (atomic_load(&c->camera_off))
			vc_frame_fill(&frame, 16, 128, 128); /* the peer sees black */
		if (c->win)
			box_post(&c->self_box, &frame);
		atomic_fetch_add(&c->stats.frames_captured, 1);
		atomic_store(&c->stats.camera_outages, vc_vsrc_outages(c->vsrc));
		if (!media_flowing(c)) {
			need_keyframe = true;
			continue;
		}
		if (need_keyframe) {
			vc_vp8_enc_request_keyframe(c->venc);
			need_keyframe = false;
		}
		struct vc_vp8_pkt vp;
		rc = vc_vp8_enc_encode(c->venc, &frame, &vp);
		if (rc < 0) {
			vc_log_limited(c->log, VC_LOG_WARN, "video: encode failed (%d)", rc);
			continue;
		}
		if (rc == 0)
			continue;
		atomic_fetch_add(&c->stats.frames_encoded, 1);
		if (vp.keyframe)
			atomic_fetch_add(&c->stats.keyframes, 1);

		struct vc_vp8_packetizer pz;
		uint32_t ts = c->video_ts_offset + (uint32_t)(frame.capture_us * 9 / 100);
		bool last = false;
		vc_vp8_packetize_begin(&pz, vp.data, vp.len, picture_id, MAX_RTP_PAYLOAD);
		while (!last) {
			struct pkt *p = pkt_get(c);
			if (!p) {
				/* Pool exhausted: the frame is lost; the next one must not reference it. */
				atomic_fetch_add(&c->stats.send_dropped, 1);
				need_keyframe = true;
				break;
			}
			int n = vc_vp8_packetize_next(&pz, p->data, sizeof(p->data), &last);
			if (n <= 0) {
				pkt_put(c, p);
				break;
			}
			p->stream = STREAM_VIDEO;
			p->len = (size_t)n;
			p->ts = ts;
			p->marker = last;
			p->capture_us = frame.capture_us;
			if (!enqueue(c, p)) {
				need_keyframe = true;
				break;
			}
		}
		picture_id = (uint16_t)((picture_id + 1) & 0x7fff);
	}
	vc_frame_free(&frame);
	return NULL;
}

static void *audio_capture_thread(void *arg)
{
	struct vc_call *c = arg;
	struct audio_block blk;

	while (!atomic_load(&c->stop_media)) {
		int rc = vc_asrc_read(c->asrc, blk.pcm, VC_OPUS_FRAME, &blk.capture_us);
		if (rc < 0) {
			vc_err(c->log, "audio source failed (%s); audio stops", strerror(-rc));
			break;
		}
		if (rc == 0)
			continue; /* a slow device: nothing captured this time */
		if (vc_ring_write(c->aring, &blk, 1) != 1)
			atomic_fetch_add(&c->stats.audio_overflows, 1);
		atomic_store(&c->stats.mic_outages, vc_asrc_outages(c->asrc));
		atomic_store(&c->stats.mic_overflows, vc_asrc_overflows(c->asrc));
		sem_post(&c->aring_sem);
	}
	sem_post(&c->aring_sem); /* wake the encoder so it sees stop_media */
	return NULL;
}

static void *audio_encode_thread(void *arg)
{
	struct vc_call *c = arg;
	struct audio_block blk;
	uint64_t base_us = 0;
	int64_t last_slot = -1;

	for (;;) {
		sem_wait(&c->aring_sem);
		if (atomic_load(&c->stop_media))
			break;
		while (vc_ring_read(c->aring, &blk, 1) == 1) {
			/* RTP time follows capture time on the 20 ms grid, so a
			 * device's stall is a gap the receiver conceals and its
			 * burst (a backlog, or a slot captured twice) is dropped
			 * here instead of pushing timestamps ahead of real time. */
			if (last_slot < 0)
				base_us = blk.capture_us;
			if (blk.capture_us < base_us)
				continue;
			int64_t slot = (int64_t)((blk.capture_us - base_us + AUDIO_BLOCK_US / 2) / AUDIO_BLOCK_US);
			if (slot <= last_slot) {
				atomic_fetch_add(&c->stats.audio_stale, 1);
				continue;
			}
			last_slot = slot;
			uint32_t ts = c->audio_ts_offset + (uint32_t)slot * VC_OPUS_FRAME;
			if (!media_flowing(c))
				continue;
			struct pkt *p = pkt_get(c);
			if (!p) {
				atomic_fetch_add(&c->stats.send_dropped, 1);
				continue;
			}
			if (atomic_load(&c->mic_muted))
				memset(blk.pcm, 0, sizeof(blk.pcm));
			int n = vc_opus_enc_encode(c->aenc, blk.pcm, p->data, sizeof(p->data));
			if (n <= 0) {
				pkt_put(c, p);
				continue;
			}
			p->stream = STREAM_AUDIO;
			p->len = (size_t)n;
			p->ts = ts;
			p->marker = false;
			p->capture_us = blk.capture_us;
			enqueue(c, p);
		}
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* send thread: RTP out and the RTCP timer                             */

static void send_rtp(struct vc_call *c, struct pkt *p)
{
	struct tx_stream *t = &c->tx[p->stream];
	struct vc_rtp_hdr h;
	uint8_t act[8], tseq[2];
	uint8_t buf[VC_RTP_MAX_PACKET];

	memset(&h, 0, sizeof(h));
	h.pt = t->pt;
	h.marker = p->marker;
	h.seq = t->seq++;
	h.ts = p->ts;
	h.ssrc = t->ssrc;
	vc_rtp_put_be64(act, vc_ntp_from_us(p->capture_us));
	tseq[0] = (uint8_t)(c->transport_seq >> 8);
	tseq[1] = (uint8_t)c->transport_seq;
	c->transport_seq++;
	h.has_ext = true;
	h.n_ext = 2;
	h.ext[0] = (struct vc_rtp_ext){ .id = VC_EXT_ABS_CAPTURE_TIME, .len = 8, .data = act };
	h.ext[1] = (struct vc_rtp_ext){ .id = VC_EXT_TRANSPORT_SEQ, .len = 2, .data = tseq };
	int n = vc_rtp_encode(buf, sizeof(buf), &h, p->data, p->len);
	if (n < 0) {
		vc_log_limited(c->log, VC_LOG_ERROR, "rtp encode failed (%d)", n);
		return;
	}
	send_datagram(c, buf, (size_t)n);
	if (p->stream == STREAM_VIDEO) {
		struct hist_slot *hs = &c->hist->slot[h.seq % HISTORY_PACKETS];
		pthread_mutex_lock(&c->hist->lock);
		hs->valid = true;
		hs->seq = h.seq;
		hs->len = (uint16_t)n;
		hs->resent_us = 0;
		memcpy(hs->data, buf, (size_t)n);
		pthread_mutex_unlock(&c->hist->lock);
	}
	t->sent_any = true;
	t->last_ts = p->ts;
	t->last_capture_us = p->capture_us;
	t->packets++;
	t->octets += (uint32_t)p->len;
	if (p->stream == STREAM_VIDEO) {
		atomic_fetch_add(&c->stats.video_out_packets, 1);
		atomic_fetch_add(&c->stats.video_out_bytes, (uint64_t)n);
	} else {
		atomic_fetch_add(&c->stats.audio_out_packets, 1);
		atomic_fetch_add(&c->stats.audio_out_bytes, (uint64_t)n);
	}
}

/* Report blocks for the remote streams we receive. */
static unsigned report_blocks(struct vc_call *c, struct vc_rtcp_rb *rb, uint64_t now)
{
	unsigned n = 0;

	pthread_mutex_lock(&c->rx_lock);
	for (int s = 0; s < N_STREAMS; s++) {
		if (c->rx[s].active)
			vc_source_report(&c->rx[s].src, &rb[n++], now);
	}
	pthread_mutex_unlock(&c->rx_lock);
	return n;
}

static void send_rtcp(struct vc_call *c, bool bye)
{
	uint8_t buf[VC_RTP_MAX_PACKET];
	struct vc_rtcp_writer w;
	struct vc_rtcp_rb rb[N_STREAMS];
	uint64_t now = now_us(c);
	unsigned n_rb = report_blocks(c, rb, now);
	bool first = true;

	vc_rtcp_writer_init(&w, buf, sizeof(buf));
	for (int s = 0; s < N_STREAMS; s++) {
		struct tx_stream *t = &c->tx[s];
		if (!t->sent_any)
			continue;
		/* RTP time "now" extrapolated from the last packet's capture time. */
		uint32_t rtp_now = t->last_ts + (uint32_t)((now - t->last_capture_us) * t->rate / 1000000u);
		vc_rtcp_add_sr(&w, t->ssrc, vc_ntp_from_us(now), rtp_now, t->packets, t->octets,
			       first ? rb : NULL, first ? n_rb : 0);
		first = false;
	}
	if (first)
		vc_rtcp_add_rr(&w, c->tx[STREAM_VIDEO].ssrc, rb, n_rb);
	vc_rtcp_add_sdes_cname(&w, c->tx[STREAM_VIDEO].ssrc, c->cname);
	vc_rtcp_add_sdes_cname(&w, c->tx[STREAM_AUDIO].ssrc, c->cname);
	if (bye) {
		uint32_t ssrcs[2] = { c->tx[STREAM_VIDEO].ssrc, c->tx[STREAM_AUDIO].ssrc };
		vc_rtcp_add_bye(&w, ssrcs, 2, "hangup");
	}
	if (w.err) {
		vc_log_limited(c->log, VC_LOG_ERROR, "rtcp build failed (%d)", w.err);
		return;
	}
	send_datagram(c, buf, w.len);
	atomic_fetch_add(&c->stats.rtcp_sent, 1);
}

static uint64_t rtcp_interval_us(struct vc_call *c)
{
	/* Hello quickly while connecting; then 0.5..1.0 s, randomised so two
	 * daemons do not fall into step (and always at least once a second). */
	if (atomic_load(&c->state) == ST_CONNECTING)
		return 200000u;
	return 500000u + random_u32() % 500000u;
}

static void *send_thread(void *arg)
{
	struct vc_call *c = arg;
	uint64_t next_rtcp = now_us(c);

	for (;;) {
		struct pkt *p = vc_queue_pop(c->sendq, next_rtcp);
		if (p) {
			send_rtp(c, p);
			pkt_put(c, p);
		}
		if (now_us(c) >= next_rtcp) {
			send_rtcp(c, false);
			next_rtcp = now_us(c) + rtcp_interval_us(c);
		}
		if (!p && atomic_load(&c->media_done) && vc_queue_len(c->sendq) == 0)
			break;
	}
	/* Everything captured has been sent: say goodbye. */
	send_rtcp(c, true);
	return NULL;
}

/* ------------------------------------------------------------------ */
/* receive thread                                                      */

/* RR (no report blocks) + one feedback message about the remote video
 * stream: a PLI, or a NACK for seqs[0..n). */
static void send_feedback(struct vc_call *c, const uint16_t *seqs, unsigned n)
{
	uint8_t buf[512];
	struct vc_rtcp_writer w;
	uint32_t media;
	bool active;

	pthread_mutex_lock(&c->rx_lock);
	active = c->rx[STREAM_VIDEO].active;
	media = c->rx[STREAM_VIDEO].ssrc;
	pthread_mutex_unlock(&c->rx_lock);
	if (!active)
		return;
	vc_rtcp_writer_init(&w, buf, sizeof(buf));
	vc_rtcp_add_rr(&w, c->tx[STREAM_VIDEO].ssrc, NULL, 0);
	if (seqs)
		vc_rtcp_add_nack(&w, c->tx[STREAM_VIDEO].ssrc, media, seqs, n);
	else
		vc_rtcp_add_pli(&w, c->tx[STREAM_VIDEO].ssrc, media);
	if (w.err)
		return;
	send_datagram(c, buf, w.len);
	atomic_fetch_add(seqs ? &c->stats.nacks_sent : &c->stats.plis_sent, 1);
}

/* Ask the peer for a keyframe, at most once per PLI_MIN_INTERVAL_US. */
static void request_keyframe(struct vc_call *c)
{
	uint64_t t = now_us(c);

	if (t - atomic_load(&c->last_pli_us) < PLI_MIN_INTERVAL_US)
		return;
	atomic_store(&c->last_pli_us, t);
	send_feedback(c, NULL, 0);
}

static bool is_our_ssrc(const struct vc_call *c, uint32_t ssrc)
{
	return ssrc == c->tx[STREAM_VIDEO].ssrc || ssrc == c->tx[STREAM_AUDIO].ssrc;
}

/* Retransmit what a NACK asks for, if it is still in the history.  The
 * packet goes out unchanged (same SSRC and sequence number). */
static void resend_one(struct vc_call *c, uint16_t seq, uint64_t now)
{
	struct hist_slot *hs = &c->hist->slot[seq % HISTORY_PACKETS];
	uint8_t buf[VC_RTP_MAX_PACKET];
	size_t len = 0;

	pthread_mutex_lock(&c->hist->lock);
	if (hs->valid && hs->seq == seq && now - hs->resent_us >= RESEND_MIN_US) {
		hs->resent_us = now;
		len = hs->len;
		memcpy(buf, hs->data, len);
	}
	pthread_mutex_unlock(&c->hist->lock);
	if (len) {
		send_datagram(c, buf, len);
		atomic_fetch_add(&c->stats.retransmitted, 1);
	}
}

static void resend(struct vc_call *c, const struct vc_rtcp_msg *m, uint64_t now)
{
	for (unsigned i = 0; i < m->u.nack.n; i++) {
		uint16_t pid = m->u.nack.pid[i];
		resend_one(c, pid, now);
		for (unsigned b = 0; b < 16; b++)
			if (m->u.nack.blp[i] & (1u << b))
				resend_one(c, (uint16_t)(pid + b + 1), now);
	}
}

static void report_blocks_received(struct vc_call *c, const struct vc_rtcp_msg *m, uint64_t now)
{
	for (unsigned i = 0; i < m->rc; i++) {
		if (!is_our_ssrc(c, m->rb[i].ssrc))
			continue;
		int64_t rtt = vc_rtt_us(&m->rb[i], now);
		if (rtt >= 0)
			atomic_store(&c->rtt_us, rtt);
	}
}

static void handle_rtcp(struct vc_call *c, const uint8_t *buf, size_t len, uint64_t now)
{
	struct vc_rtcp_iter it;
	struct vc_rtcp_msg m;
	int rc = vc_rtcp_parse(&it, buf, len);

	if (rc < 0) {
		atomic_fetch_add(&c->stats.rejected_malformed, 1);
		vc_log_limited(c->log, VC_LOG_DEBUG, "rtcp rejected (%d), %zu bytes", rc, len);
		return;
	}
	atomic_fetch_add(&c->stats.rtcp_received, 1);
	while ((rc = vc_rtcp_next(&it, &m)) > 0) {
		switch (m.type) {
		case VC_RTCP_MSG_SR: {
			uint64_t remote_us = vc_us_from_ntp(m.u.sr.ntp);
			int64_t rtt = atomic_load(&c->rtt_us);
			int64_t off = (int64_t)now - (int64_t)remote_us - (rtt > 0 ? rtt / 2 : 0);
			/* Keep the smallest offset seen: queueing only ever adds delay. */
			if (!atomic_load(&c->have_offset) || off < atomic_load(&c->clock_offset_us)) {
				atomic_store(&c->clock_offset_us, off);
				atomic_store(&c->have_offset, true);
			}
			pthread_mutex_lock(&c->rx_lock);
			for (int s = 0; s < N_STREAMS; s++)
				if (c->rx[s].active && c->rx[s].ssrc == m.ssrc)
					vc_source_sr_received(&c->rx[s].src, m.u.sr.ntp, now);
			pthread_mutex_unlock(&c->rx_lock);
			report_blocks_received(c, &m, now); /* an SR carries them too */
			break;
		}
		case VC_RTCP_MSG_RR:
			report_blocks_received(c, &m, now);
			break;
		case VC_RTCP_MSG_BYE:
			for (unsigned i = 0; i < m.u.bye.count; i++) {
				pthread_mutex_lock(&c->rx_lock);
				for (int s = 0; s < N_STREAMS; s++)
					if (c->rx[s].active && c->rx[s].ssrc == m.u.bye.ssrc[i])
						atomic_store(&c->peer_bye, true);
				pthread_mutex_unlock(&c->rx_lock);
			}
			/* A BYE from a peer that never sent media still ends the call. */
			if (atomic_load(&c->state) != ST_CONNECTING)
				atomic_store(&c->peer_bye, true);
			break;
		case VC_RTCP_MSG_PLI:
		case VC_RTCP_MSG_FIR:
			if (m.u.fb.media_ssrc == c->tx[STREAM_VIDEO].ssrc && c->venc) {
				atomic_fetch_add(&c->stats.plis_received, 1);
				vc_vp8_enc_request_keyframe(c->venc);
			}
			break;
		case VC_RTCP_MSG_NACK:
			if (m.u.nack.media_ssrc == c->tx[STREAM_VIDEO].ssrc) {
				atomic_fetch_add(&c->stats.nacks_received, 1);
				resend(c, &m, now);
			}
			break;
		default:
			break;
		}
	}
	if (rc < 0)
		atomic_fetch_add(&c->stats.rejected_malformed, 1);
}

/* Map a remote abs-capture-time to our clock (0 if unknown). */
static uint64_t remote_capture_us(struct vc_call *c, const struct vc_rtp_hdr *h)
{
	const struct vc_rtp_ext *e = vc_rtp_ext_find(h, VC_EXT_ABS_CAPTURE_TIME);

	if (!e || e->len < 8 || !atomic_load(&c->have_offset))
		return 0;
	int64_t t = (int64_t)vc_us_from_ntp(vc_rtp_get_be64(e->data)) + atomic_load(&c->clock_offset_us);
	return t > 0 ? (uint64_t)t : 0;
}

/* Select or switch the remote source for a stream (rx_lock held). */
static bool rx_accept_ssrc(struct vc_call *c, enum stream s, uint32_t ssrc, uint16_t seq, uint64_t now)
{
	struct rx_stream *r = &c->rx[s];
	uint32_t rate = s == STREAM_VIDEO ? 90000 : 48000;

	if (r->active && r->ssrc == ssrc)
		return true;
	/* A new SSRC replaces the old one only when the old has gone quiet
	 * (peer restarted); otherwise it is a stray or hostile stream. */
	if (r->active && now - r->last_us < 2000000u)
		return false;
	r->active = true;
	r->ssrc = ssrc;
	vc_source_init(&r->src, ssrc, rate, seq);
	if (s == STREAM_VIDEO) {
		vc_framebuf_reset(c->fb);
		vc_nack_reset(&c->vnack);
	}
	else
		vc_jb_reset(c->jb);
	return true;
}

static void handle_rtp(struct vc_call *c, const uint8_t *buf, size_t len, uint64_t now)
{
	struct vc_rtp_hdr h;
	int rc = vc_rtp_decode(&h, buf, len);
	enum stream s;
	bool restart = false;

	if (rc < 0) {
		atomic_fetch_add(&c->stats.rejected_malformed, 1);
		vc_log_limited(c->log, VC_LOG_DEBUG, "rtp rejected (%d), %zu bytes", rc, len);
		return;
	}
	if (h.pt == VC_PT_VP8) {
		s = STREAM_VIDEO;
	} else if (h.pt == VC_PT_OPUS) {
		s = STREAM_AUDIO;
	} else {
		atomic_fetch_add(&c->stats.rejected_unknown_pt, 1);
		return;
	}
	uint64_t capture = remote_capture_us(c, &h);
	struct vc_vp8_desc d;
	if (s == STREAM_VIDEO && vc_vp8_desc_parse(&d, h.payload, h.payload_len) != 0) {
		atomic_fetch_add(&c->stats.rejected_malformed, 1);
		return;
	}

	pthread_mutex_lock(&c->rx_lock);
	if (!rx_accept_ssrc(c, s, h.ssrc, h.seq, now)) {
		pthread_mutex_unlock(&c->rx_lock);
		atomic_fetch_add(&c->stats.rejected_unknown_ssrc, 1);
		return;
	}
	struct rx_stream *r = &c->rx[s];
	r->last_us = now;
	enum vc_src_result sr = vc_source_update(&r->src, h.seq, h.ts, now);
	if (sr == VC_SRC_BAD) {
		pthread_mutex_unlock(&c->rx_lock);
		atomic_fetch_add(&c->stats.rejected_sequence, 1);
		return;
	}
	if (s == STREAM_VIDEO) {
		struct vc_fb_pkt_info pi = {
			.seq = h.seq, .ts = h.ts, .marker = h.marker,
			.frame_start = d.start && d.pid == 0, .keyframe = d.keyframe,
			.picture_id = d.picture_id, .capture_us = capture, .arrival_us = now,
		};
		vc_framebuf_put(c->fb, &pi, h.payload + d.hdr_len, h.payload_len - d.hdr_len);
		pthread_cond_signal(&c->video_cv);
		/* A hole too big to repair by NACK: repair by keyframe instead. */
		restart = vc_nack_on_packet(&c->vnack, h.seq, now) == VC_NACK_RESTART;
		atomic_fetch_add(&c->stats.video_in_packets, 1);
		atomic_fetch_add(&c->stats.video_in_bytes, len);
	} else {
		enum vc_jb_put_result pr = vc_jb_put(c->jb, h.seq, h.ts, h.payload, h.payload_len, now);
		if (pr == VC_JB_STORED || pr == VC_JB_OVERFLOW) {
			c->audio_capture[h.seq % CAPTURE_SLOTS] = capture;
			c->audio_capture_seq[h.seq % CAPTURE_SLOTS] = h.seq;
		}
		if (pr == VC_JB_LATE)
			atomic_fetch_add(&c->stats.audio_late, 1);
		atomic_fetch_add(&c->stats.audio_in_packets, 1);
		atomic_fetch_add(&c->stats.audio_in_bytes, len);
	}
	pthread_mutex_unlock(&c->rx_lock);
	if (restart)
		request_keyframe(c);
}

/* While packets are being NACKed, a retransmission must be able to arrive
 * before its frame is given up: hold video for a round trip plus the time
 * to notice the hole.  Without loss the configured delay stands (the
 * adaptive jitter estimate of the media-timing work replaces this). */
#define NACK_DELAY_HOLD_US 10000000u
#define NACK_EXTRA_MS 60u /* notice a lost last packet (one frame interval), reorder wait, jitter */
#define NACK_MAX_TARGET_MS 400u
#define NACK_DEFAULT_RTT_US 100000u

static void adapt_video_target(struct vc_call *c, uint64_t now, uint64_t rtt_us)
{
	uint32_t want = c->o->video_jb_ms;

	if (c->last_nack_us && now - c->last_nack_us < NACK_DELAY_HOLD_US) {
		/* No RTT yet (it needs an SR/RR exchange): assume a typical one
		 * rather than none, so the first losses can be repaired too. */
		uint64_t rtt = rtt_us ? rtt_us : NACK_DEFAULT_RTT_US;
		uint32_t need = (uint32_t)(rtt / 1000u) + NACK_EXTRA_MS;
		if (need > NACK_MAX_TARGET_MS)
			need = NACK_MAX_TARGET_MS;
		if (need > want)
			want = need;
	}
	if (want == c->video_target_ms)
		return;
	c->video_target_ms = want;
	pthread_mutex_lock(&c->rx_lock);
	vc_framebuf_set_target_ms(c->fb, want);
	pthread_mutex_unlock(&c->rx_lock);
	atomic_store(&c->stats.video_target_ms, want);
}

/* Request the video holes that are due (receive thread). Returns the poll
 * timeout in ms until the next one is due, at most 50. */
static int send_nacks(struct vc_call *c, uint64_t now)
{
	uint16_t seqs[NACK_BATCH];
	int64_t rtt = atomic_load(&c->rtt_us);
	uint64_t rtt_us = rtt > 0 ? (uint64_t)rtt : 0;
	unsigned n = vc_nack_collect(&c->vnack, now, rtt_us, seqs, NACK_BATCH);

	if (n) {
		send_feedback(c, seqs, n);
		c->last_nack_us = now;
	}
	adapt_video_target(c, now, rtt_us);
	uint64_t due = vc_nack_next_due(&c->vnack, rtt_us);
	if (due == UINT64_MAX || due > now + 50000u)
		return 50;
	return due > now ? (int)((due - now + 999) / 1000) : 0;
}

static void *recv_thread(void *arg)
{
	struct vc_call *c = arg;
	uint8_t buf[2048];
	int timeout_ms = 50;

	while (!atomic_load(&c->stop_all)) {
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
		int pr = poll(&pfd, 1, timeout_ms);
		uint64_t now = now_us(c);

		if (pr < 0 && errno != EINTR) {
			vc_err(c->log, "poll: %s", strerror(errno));
			break;
		}
		for (int i = 0; pr > 0 && i < RX_BATCH; i++) {
			struct sockaddr_storage from;
			socklen_t flen = sizeof(from);
			ssize_t n = recvfrom(c->fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC,
					     (struct sockaddr *)&from, &flen);
			if (n < 0)
				break;
			if (!vc_addr_equal((struct sockaddr *)&from, flen, &c->peer)) {
				atomic_fetch_add(&c->stats.rejected_bad_source, 1);
				continue;
			}
			if ((size_t)n > sizeof(buf)) {
				atomic_fetch_add(&c->stats.rejected_malformed, 1);
				continue;
			}
			if (vc_rtp_is_rtcp(buf, (size_t)n))
				handle_rtcp(c, buf, (size_t)n, now);
			else
				handle_rtp(c, buf, (size_t)n, now);
			atomic_store(&c->last_rx_us, now);
			int st = atomic_load(&c->state);
			if (st == ST_CONNECTING || st == ST_PEER_LOST) {
				if (st == ST_CONNECTING)
					atomic_store(&c->connected_us, now);
				atomic_store(&c->state, ST_CONNECTED);
				vc_info(c->log, "peer %s", st == ST_CONNECTING ? "connected" : "back");
			}
		}
		timeout_ms = send_nacks(c, now_us(c));
		int st = atomic_load(&c->state);
		uint64_t last = atomic_load(&c->last_rx_us);
		if (st == ST_CONNECTED && now - last > PEER_LOST_US) {
			atomic_store(&c->state, ST_PEER_LOST);
			vc_warn(c->log, "peer lost: nothing received for %u s", PEER_LOST_US / 1000000u);
		}
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* playout                                                             */

static void video_rendered(struct vc_call *c, uint64_t render, uint64_t *last_render, double *avg_interval)
{
	if (*last_render) {
		double dt = (double)(render - *last_render) / 1000.0;
		double limit = fmax(150.0, 3.0 * *avg_interval);
		if (*avg_interval > 0 && dt > limit) {
			atomic_fetch_add(&c->stats.freezes, 1);
			atomic_fetch_add(&c->stats.freeze_ms, (uint64_t)dt);
		}
		*avg_interval = *avg_interval > 0 ? 0.9 * *avg_interval + 0.1 * dt : dt;
	}
	*last_render = render;
}

static void *video_playout_thread(void *arg)
{
	struct vc_call *c = arg;
	struct vc_vp8_dec *dec = NULL;
	uint8_t *data = malloc(MAX_FRAME_BYTES);
	uint64_t last_render = 0;
	double avg_interval = 0;
	bool waiting_keyframe = true;

	if (!data || vc_vp8_dec_new(&dec)) {
		vc_err(c->log, "video decoder: cannot start");
		free(data);
		return NULL;
	}
	while (!atomic_load(&c->stop_all)) {
		struct vc_fb_frame f = { .data = data, .cap = MAX_FRAME_BYTES };
		uint64_t now = now_us(c);
		int got;

		pthread_mutex_lock(&c->rx_lock);
		got = vc_framebuf_get(c->fb, now, &f);
		if (!got) {
			uint64_t due = vc_framebuf_next_due(c->fb);
			uint64_t until = now + 20000u;
			if (due < until)
				until = due;
			struct timespec ts = { .tv_sec = (time_t)(until / 1000000u),
					       .tv_nsec = (long)(until % 1000000u) * 1000L };
			pthread_cond_timedwait(&c->video_cv, &c->rx_lock, &ts);
		}
		uint64_t dropped = vc_framebuf_dropped(c->fb);
		pthread_mutex_unlock(&c->rx_lock);
		atomic_store(&c->stats.frames_given_up, dropped);
		if (!got)
			continue;

		/* A broken reference chain is never decoded: the picture holds
		 * (a freeze, counted as such) until a keyframe repairs it.
		 * Missing packets were already NACKed by the receive thread. */
		if (f.gap_before && !f.keyframe)
			waiting_keyframe = true;
		if (waiting_keyframe && !f.keyframe) {
			atomic_fetch_add(&c->stats.frames_dropped, 1);
			request_keyframe(c);
			continue;
		}
		waiting_keyframe = false;
		struct vc_frame pic;
		uint64_t t0 = now_us(c);
		int rc = vc_vp8_dec_decode(dec, f.data, f.len, &pic);
		if (rc <= 0) {
			atomic_fetch_add(&c->stats.frames_dropped, 1);
			if (rc < 0) {
				waiting_keyframe = true;
				request_keyframe(c);
			}
			continue;
		}
		uint64_t render = now_us(c);
		atomic_store(&c->stats.decode_us, render - t0);
		if (vc_vsink_render(c->vsink, &pic, render) < 0)
			vc_log_limited(c->log, VC_LOG_ERROR, "video sink: write failed");
		if (c->win)
			box_post(&c->remote_box, &pic);
		atomic_fetch_add(&c->stats.frames_decoded, 1);
		atomic_store(&c->stats.width, (uint32_t)pic.width);
		atomic_store(&c->stats.height, (uint32_t)pic.height);
		if (f.capture_us && render > f.capture_us) {
			atomic_fetch_add(&c->stats.video_e2e_sum_us, render - f.capture_us);
			atomic_fetch_add(&c->stats.video_e2e_n, 1);
		}
		if (render > f.last_arrival_us)
			atomic_store(&c->stats.video_jb_us, render - f.last_arrival_us);
		video_rendered(c, render, &last_render, &avg_interval);
	}
	vc_vp8_dec_free(dec);
	free(data);
	return NULL;
}

static void *audio_playout_thread(void *arg)
{
	struct vc_call *c = arg;
	struct vc_opus_dec *dec = NULL;
	int16_t pcm[VC_OPUS_MAX_FRAME];
	uint8_t data[VC_RTP_MAX_PACKET];
	uint64_t next = now_us(c);
	bool started = false;

	if (vc_opus_dec_new(&dec, 1)) {
		vc_err(c->log, "audio decoder: cannot start");
		return NULL;
	}
	while (!atomic_load(&c->stop_all)) {
		struct vc_jb_pkt p;
		size_t len = 0;
		uint64_t capture = 0;

		/* Speakers pace playout by blocking the write; a file or null
		 * sink (or speakers that are away) is paced by the clock. */
		if (vc_asink_device_paced(c->asink)) {
			next = now_us(c);
		} else {
			next += VC_OPUS_FRAME * 1000000u / VC_OPUS_RATE;
			vc_sleep_until_us(next);
		}
		uint64_t now = now_us(c);
		if (now > next + 200000u)
			next = now; /* we were stalled: do not burst to catch up */

		pthread_mutex_lock(&c->rx_lock);
		enum vc_jb_get_result r = vc_jb_get(c->jb, now, VC_OPUS_FRAME, &p);
		if (r != VC_JB_NOT_YET && p.data && p.len <= sizeof(data)) {
			len = p.len;
			memcpy(data, p.data, len);
			if (r == VC_JB_PACKET && c->audio_capture_seq[p.seq % CAPTURE_SLOTS] == p.seq)
				capture = c->audio_capture[p.seq % CAPTURE_SLOTS];
		}
		atomic_store(&c->stats.audio_jb_us, (uint64_t)(vc_jb_delay_ms(c->jb, now) * 1000.0));
		pthread_mutex_unlock(&c->rx_lock);

		int n;
		if (r == VC_JB_NOT_YET || (r == VC_JB_MISSING && atomic_load(&c->peer_bye))) {
			/* Before the first packet, and once the peer has hung up and
			 * its last packet has played, there is nothing to conceal. */
			if (!started || atomic_load(&c->peer_bye))
				continue;
			/* Underrun after start: conceal rather than stall. */
			n = vc_opus_dec_decode(dec, NULL, 0, false, pcm, VC_OPUS_MAX_FRAME, VC_OPUS_FRAME);
			atomic_fetch_add(&c->stats.concealed_ms, 20);
		} else if (r == VC_JB_PACKET) {
			n = vc_opus_dec_decode(dec, data, len, false, pcm, VC_OPUS_MAX_FRAME, VC_OPUS_FRAME);
			if (n < 0) {
				n = vc_opus_dec_decode(dec, NULL, 0, false, pcm, VC_OPUS_MAX_FRAME, VC_OPUS_FRAME);
				atomic_fetch_add(&c->stats.concealed_ms, 20);
			}
		} else if (p.fec_candidate && len && vc_opus_has_fec(data, len)) {
			n = vc_opus_dec_decode(dec, data, len, true, pcm, VC_OPUS_MAX_FRAME, VC_OPUS_FRAME);
			if (n > 0)
				atomic_fetch_add(&c->stats.fec_recovered, 1);
			else
				n = vc_opus_dec_decode(dec, NULL, 0, false, pcm, VC_OPUS_MAX_FRAME, VC_OPUS_FRAME);
		} else {
			n = vc_opus_dec_decode(dec, NULL, 0, false, pcm, VC_OPUS_MAX_FRAME, VC_OPUS_FRAME);
			atomic_fetch_add(&c->stats.concealed_ms, 20);
		}
		if (n <= 0) {
			memset(pcm, 0, VC_OPUS_FRAME * sizeof(pcm[0]));
			n = VC_OPUS_FRAME;
		}
		started = true;
		if (capture && now > capture) {
			/* Decoded sound lags its timestamp by the sender's look-ahead. */
			uint64_t e2e = now - capture + VC_OPUS_LOOKAHEAD * 1000000u / VC_OPUS_RATE;
			atomic_fetch_add(&c->stats.audio_e2e_sum_us, e2e);
			atomic_fetch_add(&c->stats.audio_e2e_n, 1);
		}
		if (vc_asink_write(c->asink, pcm, n, now) < 0)
			vc_log_limited(c->log, VC_LOG_ERROR, "audio sink: write failed");
		atomic_store(&c->stats.speaker_outages, vc_asink_outages(c->asink));
		atomic_store(&c->stats.speaker_underflows, vc_asink_underflows(c->asink));
		atomic_fetch_add(&c->stats.audio_played_ms, (uint64_t)n * 1000u / VC_OPUS_RATE);
	}
	vc_opus_dec_free(dec);
	return NULL;
}

/* ------------------------------------------------------------------ */
/* set-up                                                              */

/* A default device that is missing or unusable is not an error: say so in
 * one line and fall back.  A device asked for by name must work. */
static int open_vsrc(struct vc_call *c, const char *spec, char *err, size_t errlen)
{
	const struct vc_opts *o = c->o;
	struct vc_vsrc_cfg vc = { .width = o->width, .height = o->height, .fps = o->fps,
				  .clock = c->clock, .paced = 1, .v4l2_ops = o->v4l2_ops };

	if (spec)
		return vc_vsrc_open(&c->vsrc, spec, &vc, err, errlen);
	char path[256], why[256];
	if (!vc_v4l2_default_path(path, sizeof(path), o->v4l2_ops)) {
		vc_info(c->log, "video source: no camera found, using testsrc");
	} else {
		char camspec[280];
		snprintf(camspec, sizeof(camspec), "v4l2:%s", path);
		if (vc_vsrc_open(&c->vsrc, camspec, &vc, why, sizeof(why)) == 0)
			return 0;
		vc_info(c->log, "video source: %s, using testsrc", why);
	}
	return vc_vsrc_open(&c->vsrc, "testsrc", &vc, err, errlen);
}

static int open_asrc(struct vc_call *c, const char *spec, char *err, size_t errlen)
{
	struct vc_asrc_cfg ac = { .clock = c->clock, .paced = 1 };
	char why[256];

	if (spec)
		return vc_asrc_open(&c->asrc, spec, &ac, err, errlen);
	if (vc_asrc_open(&c->asrc, "portaudio", &ac, why, sizeof(why)) == 0)
		return 0;
	vc_info(c->log, "audio source: no microphone (%s), using tone", why);
	return vc_asrc_open(&c->asrc, "tone", &ac, err, errlen);
}

static void window_title(struct vc_call *c, char *buf, size_t len)
{
	char addr[128];

	snprintf(buf, len, "vcalld: %s (%s%s%s)", vc_addr_str(&c->peer, addr, sizeof(addr)),
		 state_names[atomic_load(&c->state)], atomic_load(&c->mic_muted) ? ", muted" : "",
		 atomic_load(&c->camera_off) ? ", camera off" : "");
}

/* The window is opened here, on the main thread, which will drive it. */
static int open_window(struct vc_call *c, bool asked, char *err, size_t errlen)
{
	char title[256], why[256];

	window_title(c, title, sizeof(title));
	struct vc_window_cfg wc = { .title = title, .width = c->o->width, .height = c->o->height };
	if (vc_window_open(&c->win, &wc, why, sizeof(why)) == 0) {
		if (vc_frame_alloc(&c->remote_box.frame, 2, 2) || vc_frame_alloc(&c->self_box.frame, 2, 2)) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		return 0;
	}
	/* A display that cannot be opened is never fatal: the call goes on. */
	vc_info(c->log, "video sink: %s, using null%s", why, asked ? " (sdl was asked for)" : "");
	return 1;
}

static int open_media(struct vc_call *c, char *err, size_t errlen)
{
	const struct vc_opts *o = c->o;
	const char *vk = o->video_sink;
	const char *ak = o->audio_sink;

	if (!o->video_source || strcmp(o->video_source, "none") != 0) {
		if (open_vsrc(c, o->video_source, err, errlen))
			return -1;
		c->width = vc_vsrc_width(c->vsrc);
		c->height = vc_vsrc_height(c->vsrc);
		c->fps = vc_vsrc_fps(c->vsrc);
		struct vc_vp8_enc_cfg ec = { .width = c->width, .height = c->height, .fps = c->fps,
					     .bitrate_kbps = o->video_kbps,
					     .keyframe_interval = (uint32_t)c->fps * 10 };
		if (vc_vp8_enc_new(&c->venc, &ec)) {
			snprintf(err, errlen, "VP8 encoder: cannot start at %dx%d", c->width, c->height);
			return -1;
		}
	}
	if (!o->audio_source || strcmp(o->audio_source, "none") != 0) {
		if (open_asrc(c, o->audio_source, err, errlen))
			return -1;
		struct vc_opus_enc_cfg oc = { .channels = 1, .bitrate_kbps = o->audio_kbps,
					      .expected_loss_pct = 10 };
		if (vc_opus_enc_new(&c->aenc, &oc)) {
			snprintf(err, errlen, "Opus encoder: cannot start");
			return -1;
		}
	}
	if (!vk || strcmp(vk, "sdl") == 0) {
		int rc = open_window(c, vk != NULL, err, errlen);
		if (rc < 0)
			return -1;
		vk = "null";
	}
	if (!ak) {
		char why[256];
		if (vc_asink_open(&c->asink, "portaudio", VC_OPUS_RATE, why, sizeof(why)) == 0)
			ak = "portaudio";
		else
			vc_info(c->log, "audio sink: no speakers (%s), using null", why);
		if (!c->asink)
			ak = "null";
	}
	if (vc_vsink_open(&c->vsink, vk, c->fps ? c->fps : o->fps, err, errlen))
		return -1;
	if (!c->asink && vc_asink_open(&c->asink, ak, VC_OPUS_RATE, err, errlen))
		return -1;
	return 0;
}

int vc_call_new(struct vc_call **out, const struct vc_opts *o, struct vc_log *log)
{
	struct vc_call *c = calloc(1, sizeof(*c));
	char err[512] = "";

	if (!c) {
		vc_err(log, "out of memory");
		return -1;
	}
	c->o = o;
	c->log = log;
	c->clock = vc_clock_monotonic();
	c->fd = -1;
	pthread_mutex_init(&c->rx_lock, NULL);
	pthread_mutex_init(&c->remote_box.lock, NULL);
	pthread_mutex_init(&c->self_box.lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&c->video_cv, &ca);
	pthread_condattr_destroy(&ca);

	if (o->cname) {
		snprintf(c->cname, sizeof(c->cname), "%s", o->cname);
	} else {
		char host[128] = "localhost";
		const char *user = getenv("USER");
		gethostname(host, sizeof(host) - 1);
		snprintf(c->cname, sizeof(c->cname), "%s@%s", user ? user : "vcalld", host);
	}

	if (vc_resolve(o->peer, AF_UNSPEC, &c->peer, err, sizeof(err)))
		goto fail;
	c->fd = vc_udp_open(o->listen, &c->peer, err, sizeof(err));
	if (c->fd < 0)
		goto fail;
	if (open_media(c, err, sizeof(err)))
		goto fail;

	struct vc_framebuf_cfg fc = { .clock_rate = 90000, .target_ms = o->video_jb_ms, .slots = 1024,
				      .max_payload = VC_RTP_MAX_PACKET, .max_frame = MAX_FRAME_BYTES };
	struct vc_jb_cfg jc = { .clock_rate = VC_OPUS_RATE, .target_ms = o->audio_jb_ms, .slots = 128,
				.max_payload = VC_RTP_MAX_PACKET };
	if (vc_framebuf_new(&c->fb, &fc) || vc_jb_new(&c->jb, &jc) ||
	    vc_queue_new(&c->sendq, POOL_PACKETS) || vc_queue_new(&c->freeq, POOL_PACKETS) ||
	    vc_ring_new(&c->aring, sizeof(struct audio_block), AUDIO_RING_BLOCKS)) {
		snprintf(err, sizeof(err), "out of memory");
		goto fail;
	}
	c->pool = calloc(POOL_PACKETS, sizeof(*c->pool));
	c->hist = calloc(1, sizeof(*c->hist));
	if (c->hist)
		pthread_mutex_init(&c->hist->lock, NULL);
	if (!c->pool || !c->hist) {
		snprintf(err, sizeof(err), "out of memory");
		goto fail;
	}
	for (int i = 0; i < POOL_PACKETS; i++)
		vc_queue_push(c->freeq, &c->pool[i]);
	vc_nack_init(&c->vnack, NULL);
	c->video_target_ms = o->video_jb_ms;
	atomic_store(&c->stats.video_target_ms, o->video_jb_ms);
	if (sem_init(&c->aring_sem, 0, 0) == 0)
		c->aring_sem_ok = true;

	c->tx[STREAM_VIDEO] = (struct tx_stream){ .ssrc = random_u32(), .pt = VC_PT_VP8,
						  .seq = (uint16_t)random_u32(), .rate = 90000 };
	c->tx[STREAM_AUDIO] = (struct tx_stream){ .ssrc = random_u32(), .pt = VC_PT_OPUS,
						  .seq = (uint16_t)random_u32(), .rate = 48000 };
	while (c->tx[STREAM_AUDIO].ssrc == c->tx[STREAM_VIDEO].ssrc)
		c->tx[STREAM_AUDIO].ssrc = random_u32();
	c->video_ts_offset = random_u32();
	c->audio_ts_offset = random_u32();
	c->transport_seq = (uint16_t)random_u32();
	atomic_store(&c->state, ST_CONNECTING);
	vc_stats_init(&c->stats);
	*out = c;
	return 0;
fail:
	vc_err(log, "%s", err);
	vc_call_free(c);
	return -1;
}

void vc_call_free(struct vc_call *c)
{
	if (!c)
		return;
	vc_vsrc_close(c->vsrc);
	vc_asrc_close(c->asrc);
	vc_vp8_enc_free(c->venc);
	vc_opus_enc_free(c->aenc);
	vc_vsink_close(c->vsink);
	vc_asink_close(c->asink);
	vc_framebuf_free(c->fb);
	vc_jb_free(c->jb);
	vc_queue_free(c->sendq);
	vc_queue_free(c->freeq);
	vc_ring_free(c->aring);
	free(c->pool);
	if (c->hist) {
		pthread_mutex_destroy(&c->hist->lock);
		free(c->hist);
	}
	if (c->aring_sem_ok)
		sem_destroy(&c->aring_sem);
	if (c->fd >= 0)
		close(c->fd);
	vc_window_close(c->win);
	vc_frame_free(&c->remote_box.frame);
	vc_frame_free(&c->self_box.frame);
	pthread_mutex_destroy(&c->remote_box.lock);
	pthread_mutex_destroy(&c->self_box.lock);
	pthread_cond_destroy(&c->video_cv);
	pthread_mutex_destroy(&c->rx_lock);
	free(c);
}

/* ------------------------------------------------------------------ */
/* run                                                                 */

static int start_in(struct vc_call *c, pthread_t *slot, int *n, void *(*fn)(void *))
{
	int rc = pthread_create(&slot[*n], NULL, fn, c);

	if (rc != 0) {
		vc_err(c->log, "cannot start a thread: %s", strerror(rc));
		return -1;
	}
	(*n)++;
	return 0;
}

static int start(struct vc_call *c, void *(*fn)(void *))
{
	return start_in(c, c->threads, &c->n_threads, fn);
}

static int start_media(struct vc_call *c, void *(*fn)(void *))
{
	return start_in(c, c->media_threads, &c->n_media_threads, fn);
}

/* Keys, new pictures, title and drawing; true when the user hung up. */
static bool window_step(struct vc_call *c, int timeout_ms)
{
	char title[256];

	switch (vc_window_poll(c->win, timeout_ms)) {
	case VC_WIN_QUIT:
		return true;
	case VC_WIN_MUTE:
		atomic_store(&c->mic_muted, !atomic_load(&c->mic_muted));
		vc_info(c->log, "microphone %s", atomic_load(&c->mic_muted) ? "muted" : "on");
		break;
	case VC_WIN_CAMERA:
		atomic_store(&c->camera_off, !atomic_load(&c->camera_off));
		vc_info(c->log, "camera %s", atomic_load(&c->camera_off) ? "off" : "on");
		break;
	default:
		break;
	}
	box_take(&c->remote_box, c->win, vc_window_set_remote);
	box_take(&c->self_box, c->win, vc_window_set_self);
	window_title(c, title, sizeof(title));
	if (strcmp(title, c->win_title) != 0) {
		vc_window_set_title(c->win, title);
		snprintf(c->win_title, sizeof(c->win_title), "%s", title);
	}
	vc_window_render(c->win);
	return false;
}

/* The stats overlay (s): what a person on a call wants to know, over the
 * last second (main thread only, like the window). */
static void window_overlay(struct vc_call *c, const struct vc_stats_snapshot *snap)
{
	struct vc_stats *st = &c->stats;
	struct overlay_prev *p = &c->overlay_prev;
	uint64_t frames = atomic_load(&st->frames_decoded), bytes = atomic_load(&st->video_in_bytes);
	uint64_t abytes = atomic_load(&st->audio_in_bytes);
	uint64_t esum = atomic_load(&st->video_e2e_sum_us), en = atomic_load(&st->video_e2e_n);
	uint64_t asum = atomic_load(&st->audio_e2e_sum_us), an = atomic_load(&st->audio_e2e_n);
	double secs = p->t_us && snap->t_us > p->t_us ? (double)(snap->t_us - p->t_us) / 1e6 : 1.0;
	char text[512];

	snprintf(text, sizeof(text),
		 "latency  video %.0f ms  audio %.0f ms  (rtt %.0f ms)\n"
		 "video in %ux%u  %.0f fps  %.0f kbit/s\n"
		 "loss     video %" PRId64 "  audio %" PRId64 " packets  freezes %" PRIu64 "\n"
		 "audio in %.0f kbit/s  concealed %" PRIu64 " ms\n"
		 "sending  %dx%d  %u kbit/s%s%s",
		 en > p->en ? (double)(esum - p->esum) / (double)(en - p->en) / 1000.0 : 0.0,
		 an > p->an ? (double)(asum - p->asum) / (double)(an - p->an) / 1000.0 : 0.0,
		 snap->rtt_us > 0 ? (double)snap->rtt_us / 1000.0 : 0.0,
		 atomic_load(&st->width), atomic_load(&st->height), (double)(frames - p->frames) / secs,
		 (double)(bytes - p->bytes) * 8.0 / 1000.0 / secs, snap->in_lost[0], snap->in_lost[1],
		 atomic_load(&st->freezes), (double)(abytes - p->abytes) * 8.0 / 1000.0 / secs,
		 atomic_load(&st->concealed_ms), snap->width, snap->height, snap->video_kbps_target,
		 atomic_load(&c->mic_muted) ? "  muted" : "", atomic_load(&c->camera_off) ? "  camera off" : "");
	vc_window_set_overlay_text(c->win, text);
	*p = (struct overlay_prev){ .t_us = snap->t_us, .frames = frames, .bytes = bytes, .abytes = abytes,
				    .esum = esum, .en = en, .asum = asum, .an = an };
}

static void snapshot(struct vc_call *c, struct vc_stats_snapshot *s, uint64_t now)
{
	memset(s, 0, sizeof(*s));
	s->t_us = now;
	s->state = state_names[atomic_load(&c->state)];
	s->rtt_us = atomic_load(&c->rtt_us);
	s->video_kbps_target = c->venc ? vc_vp8_enc_bitrate(c->venc) : 0;
	s->width = c->width;
	s->height = c->height;
	s->audio_jb_target_ms = c->o->audio_jb_ms;
	pthread_mutex_lock(&c->rx_lock);
	for (int i = 0; i < N_STREAMS; i++) {
		if (!c->rx[i].active)
			continue;
		s->in_lost[i] = vc_source_lost(&c->rx[i].src);
		s->in_jitter_ms[i] = vc_source_jitter_ms(&c->rx[i].src);
		s->in_active[i] = true;
	}
	pthread_mutex_unlock(&c->rx_lock);
}

int vc_call_run(struct vc_call *c, volatile sig_atomic_t *stop_flag)
{
	FILE *stats = NULL;
	uint64_t t0 = now_us(c);
	uint64_t end = c->o->duration_s > 0 ? t0 + (uint64_t)(c->o->duration_s * 1e6) : UINT64_MAX;
	uint64_t next_stats = t0 + 1000000u;
	int status = 0;
	char addr[128];
	struct vc_stats_snapshot snap;
	struct vc_stats_prev prev;

	if (c->o->stats_path) {
		stats = fopen(c->o->stats_path, "w");
		if (!stats) {
			vc_err(c->log, "--stats: cannot write %s: %s", c->o->stats_path, strerror(errno));
			return 1;
		}
	}
	memset(&prev, 0, sizeof(prev));
	prev.t_us = t0;
	vc_info(c->log, "calling %s (video %s, audio %s)", vc_addr_str(&c->peer, addr, sizeof(addr)),
		c->vsrc ? "on" : "off", c->asrc ? "on" : "off");

	atomic_store(&c->last_rx_us, t0);
	if (start(c, recv_thread) || start(c, send_thread) || start(c, video_playout_thread) ||
	    start(c, audio_playout_thread) || (c->vsrc && start_media(c, video_capture_thread)) ||
	    (c->asrc && (start_media(c, audio_capture_thread) || start_media(c, audio_encode_thread)))) {
		status = 1;
		atomic_store(&c->stop_media, true);
	}

	/* The call: wait for the duration, a signal or the peer's BYE. */
	while (!status) {
		uint64_t now = now_us(c);
		if (*stop_flag) {
			vc_info(c->log, "hanging up (signal)");
			break;
		}
		if (now >= end) {
			vc_info(c->log, "hanging up (duration reached)");
			break;
		}
		if (atomic_load(&c->peer_bye)) {
			vc_info(c->log, "peer hung up");
			break;
		}
		if (now >= next_stats) {
			snapshot(c, &snap, now);
			if (stats)
				vc_stats_write(stats, &c->stats, &snap, &prev, t0);
			if (c->win)
				window_overlay(c, &snap);
			next_stats += 1000000u;
			if (next_stats < now)
				next_stats = now + 1000000u;
		}
		uint64_t wake = next_stats < end ? next_stats : end;
		if (wake > now + 50000u)
			wake = now + 50000u;
		if (c->win) {
			/* SDL lives on this thread: input, new pictures, drawing. */
			uint64_t ms = wake > now ? (wake - now) / 1000u : 0;
			if (window_step(c, (int)(ms < 10 ? ms : 10))) {
				vc_info(c->log, "hanging up (window)");
				break;
			}
		} else {
			vc_sleep_until_us(wake);
		}
	}

	/* Hang up: stop capture, let the send thread flush and send BYE, then
	 * keep playing what is buffered until the peer's BYE has arrived and
	 * the buffers are drained (bounded), so nothing already sent is lost. */
	atomic_store(&c->stop_media, true);
	if (c->aring_sem_ok)
		sem_post(&c->aring_sem);
	/* Capture threads finish the frame they are on; only then may the
	 * send thread drain the queue and say BYE (a half-sent last frame
	 * would be a frame lost). */
	for (int i = 0; i < c->n_media_threads; i++)
		pthread_join(c->media_threads[i], NULL);
	atomic_store(&c->media_done, true);
	vc_queue_close(c->sendq); /* wakes the send thread; what is queued still goes out */
	uint64_t drain_end = now_us(c) + DRAIN_MAX_US;
	while (now_us(c) < drain_end && !*stop_flag) {
		bool bye = atomic_load(&c->peer_bye) || atomic_load(&c->state) != ST_CONNECTED;
		pthread_mutex_lock(&c->rx_lock);
		bool empty = vc_framebuf_next_due(c->fb) == UINT64_MAX && vc_jb_count(c->jb) == 0;
		pthread_mutex_unlock(&c->rx_lock);
		if (bye && empty)
			break;
		vc_sleep_until_us(now_us(c) + 20000u);
	}
	/* One more render interval so the last due frame is written. */
	vc_sleep_until_us(now_us(c) + 40000u);
	atomic_store(&c->stop_all, true);
	pthread_cond_broadcast(&c->video_cv);
	for (int i = 0; i < c->n_threads; i++)
		pthread_join(c->threads[i], NULL);

	atomic_store(&c->state, ST_ENDED);
	if (vc_vsink_close(c->vsink) < 0 || vc_asink_close(c->asink) < 0) {
		vc_err(c->log, "could not complete the output files");
		status = 1;
	}
	c->vsink = NULL;
	c->asink = NULL;
	if (stats) {
		snapshot(c, &snap, now_us(c));
		vc_stats_write(stats, &c->stats, &snap, &prev, t0);
		if (fclose(stats) != 0)
			status = 1;
	}
	vc_info(c->log, "call ended: video %" PRIu64 " frames sent, %" PRIu64 " decoded; audio %" PRIu64
		" packets sent, %" PRIu64 " received",
		atomic_load(&c->stats.frames_encoded), atomic_load(&c->stats.frames_decoded),
		atomic_load(&c->stats.audio_out_packets), atomic_load(&c->stats.audio_in_packets));
	return status;
}
