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
#include "vc_aec.h"
#include "vc_drift.h"
#include "vc_jb.h"
#include "vc_stretch.h"
#include "vc_vjitter.h"
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
	/* the sender's last SR: its clock (us) at RTP time sr_rtp */
	bool have_sr;
	uint64_t sr_us;
	uint32_t sr_rtp;
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
	struct vc_aec *aec;        /* microphone only; NULL with --no-aec */
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
	_Atomic int64_t drift_ppb;             /* audio sender vs us; INT64_MIN unknown */
	struct vc_drift drift;                 /* receive thread */
	uint64_t next_sync_us;                 /* receive thread: lip sync and drift, 1 Hz */
	struct sync_acc {                      /* rx_lock: lateness of what was played */
		double sum_ms;
		uint64_t n;
	} sync[N_STREAMS];
	uint32_t sync_extra_ms[N_STREAMS];     /* receive thread: delay added for lip sync */
	_Atomic uint32_t video_jitter_ms;      /* video playout: jitter + decode estimate */

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

/* Duration of n samples of 48 kHz audio in microseconds. */
static uint64_t samples_us(int n)
{
	return (uint64_t)n * 1000000u / VC_OPUS_RATE;
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

/* RTP time counts samples as the sample clock makes them, so a receiver
 * sees the capture device's drift and can compensate it.  Capture time
 * re-anchors it only when the two part by more than this: a device stall
 * (skip ahead: a gap the receiver conceals) or a burst of backlog (blocks
 * whose time has already been sent are dropped). */
#define AUDIO_ANCHOR_US 120000
#define AEC_BLOCK (VC_OPUS_FRAME / 2) /* vc_aec's default 10 ms block */
/* Device latencies as PortAudio reports them can be off by tens of ms
 * (seen: the microphone's stamps 40 ms early from one run to the next),
 * and an echo that seems to come before its sound cannot be cancelled.
 * A negative bulk delay makes the canceller's 200 ms filter cover echoes
 * from 40 ms "early" to 160 ms late (the speakers' queue and the room are
 * well inside). */
#define AEC_BULK_DELAY_MS (-40)

static void *audio_encode_thread(void *arg)
{
	struct vc_call *c = arg;
	struct audio_block blk;
	uint64_t base_us = 0, sent = 0; /* samples counted since base_us */
	bool have_base = false, silent = false, dtx = false;

	for (;;) {
		sem_wait(&c->aring_sem);
		if (atomic_load(&c->stop_media))
			break;
		while (vc_ring_read(c->aring, &blk, 1) == 1) {
			if (!have_base) {
				base_us = blk.capture_us;
				have_base = true;
			}
			int64_t diff = (int64_t)(blk.capture_us - base_us) -
				       (int64_t)(sent * 1000000u / VC_OPUS_RATE);
			if (diff < -AUDIO_ANCHOR_US) {
				atomic_fetch_add(&c->stats.audio_stale, 1);
				continue;
			}
			if (diff > AUDIO_ANCHOR_US)
				sent += (uint64_t)(diff / (int64_t)AUDIO_BLOCK_US) * VC_OPUS_FRAME;
			uint32_t ts = c->audio_ts_offset + (uint32_t)sent;
			sent += VC_OPUS_FRAME;
			if (!media_flowing(c))
				continue;
			struct pkt *p = pkt_get(c);
			if (!p) {
				atomic_fetch_add(&c->stats.send_dropped, 1);
				continue;
			}
			/* Muted: silence, and DTX so that almost nothing is sent. */
			bool muted = atomic_load(&c->mic_muted);
			if (muted != dtx && vc_opus_enc_set_dtx(c->aenc, muted) == 0)
				dtx = muted;
			if (muted)
				memset(blk.pcm, 0, sizeof(blk.pcm));
			uint64_t capture_us = blk.capture_us;
			if (c->aec) {
				/* The canceller works in 10 ms blocks and hands back
				 * its input a block late (speex's preprocessor). */
				for (int h = 0; h < VC_OPUS_FRAME; h += AEC_BLOCK)
					vc_aec_near(c->aec, blk.pcm + h, AEC_BLOCK,
						    (int64_t)(blk.capture_us + samples_us(h)));
				capture_us -= samples_us((int)vc_aec_latency_samples(c->aec));
			}
			int n = vc_opus_enc_encode(c->aenc, blk.pcm, p->data, sizeof(p->data));
			if (n <= VC_OPUS_DTX_BYTES) {
				/* Silence under DTX (or an encoder error): nothing
				 * is sent; the receiver tells the gap from loss by
				 * the unbroken sequence numbers. */
				if (n > 0)
					atomic_fetch_add(&c->stats.audio_dtx_frames, 1);
				silent = n > 0;
				pkt_put(c, p);
				continue;
			}
			p->stream = STREAM_AUDIO;
			p->len = (size_t)n;
			p->ts = ts;
			p->marker = silent; /* RFC 3551: first packet of a talkspurt */
			silent = false;
			p->capture_us = capture_us;
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
				if (c->rx[s].active && c->rx[s].ssrc == m.ssrc) {
					vc_source_sr_received(&c->rx[s].src, m.u.sr.ntp, now);
					c->rx[s].have_sr = true;
					c->rx[s].sr_us = remote_us;
					c->rx[s].sr_rtp = m.u.sr.rtp_ts;
				}
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
	r->have_sr = false;
	vc_source_init(&r->src, ssrc, rate, seq);
	if (s == STREAM_VIDEO) {
		vc_framebuf_reset(c->fb);
		vc_nack_reset(&c->vnack);
	}
	else {
		vc_jb_reset(c->jb);
		vc_drift_reset(&c->drift);
	}
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

/* ---- lip sync and drift ---------------------------------------------- */

/* Lip sync: each stream's RTP timestamps map to the sender's clock through
 * its last SR (NTP <-> RTP); for what is played or shown we add up how
 * late that is, local time minus sender time.  The clock offset between
 * the hosts is the same for both streams, so the difference of the means
 * is the A/V offset.  Once a second the earlier stream is given more delay
 * (or the later one's added delay is taken back) in steps of at most
 * SYNC_STEP_MS; the audio buffer reaches its new target by stretching. */
#define SYNC_STEP_MS 10.0
#define DRIFT_MIN_SPAN_S 20.0 /* of fastest-packet samples before drift_ppm is given */
#define DRIFT_STEP_MS 50.0    /* a jump this large (a route change) starts the fit again */
#define SYNC_DEADBAND_MS 5.0
#define SYNC_MAX_EXTRA_MS 400u

/* rx_lock held.  shown_us: when the first sample is heard / the frame shown. */
static void sync_note(struct vc_call *c, enum stream s, uint32_t ts, uint64_t shown_us)
{
	struct rx_stream *r = &c->rx[s];
	int64_t rate = s == STREAM_VIDEO ? 90000 : VC_OPUS_RATE;

	if (!r->active || !r->have_sr)
		return;
	int64_t rtp_us = (int64_t)vc_ts_diff(ts, r->sr_rtp) * 1000000 / rate;
	int64_t late = (int64_t)shown_us - (int64_t)r->sr_us - rtp_us;
	if (s == STREAM_AUDIO)
		late += (int64_t)samples_us(VC_OPUS_LOOKAHEAD); /* decoder output lags the timestamp */
	c->sync[s].sum_ms += (double)late / 1000.0;
	c->sync[s].n++;
}

static uint32_t sync_move(uint32_t extra, double by_ms)
{
	double v = (double)extra + by_ms;

	return v <= 0 ? 0 : v >= SYNC_MAX_EXTRA_MS ? SYNC_MAX_EXTRA_MS : (uint32_t)lrint(v);
}

/* Receive thread, about once a second. */
static void sync_and_drift(struct vc_call *c, uint64_t now)
{
	struct sync_acc a, v;
	int64_t transit;
	bool have_transit;

	pthread_mutex_lock(&c->rx_lock);
	a = c->sync[STREAM_AUDIO];
	v = c->sync[STREAM_VIDEO];
	memset(c->sync, 0, sizeof(c->sync));
	have_transit = vc_jb_ref_transit_us(c->jb, &transit);
	pthread_mutex_unlock(&c->rx_lock);

	if (have_transit) {
		double ppm;
		vc_drift_sample(&c->drift, now, transit);
		atomic_store(&c->drift_ppb, vc_drift_ppm(&c->drift, &ppm) ? (int64_t)llround(ppm * 1000.0)
									  : INT64_MIN);
	}
	if (!a.n || !v.n)
		return;
	/* > 0: video is shown later than the audio captured with it is heard */
	double diff = v.sum_ms / (double)v.n - a.sum_ms / (double)a.n;
	if (fabs(diff) < SYNC_DEADBAND_MS)
		return;
	double step = fmin(fabs(diff), SYNC_STEP_MS);
	enum stream late = diff > 0 ? STREAM_VIDEO : STREAM_AUDIO;
	enum stream early = diff > 0 ? STREAM_AUDIO : STREAM_VIDEO;
	if (c->sync_extra_ms[late] > 0)
		c->sync_extra_ms[late] = sync_move(c->sync_extra_ms[late], -step);
	else
		c->sync_extra_ms[early] = sync_move(c->sync_extra_ms[early], step);
	pthread_mutex_lock(&c->rx_lock);
	vc_jb_set_extra_ms(c->jb, c->sync_extra_ms[STREAM_AUDIO]);
	pthread_mutex_unlock(&c->rx_lock);
	atomic_store(&c->stats.sync_audio_extra_ms, c->sync_extra_ms[STREAM_AUDIO]);
	atomic_store(&c->stats.sync_video_extra_ms, c->sync_extra_ms[STREAM_VIDEO]);
}

/* While packets are being NACKed, a retransmission must be able to arrive
 * before its frame is given up: hold video for a round trip plus the time
 * to notice the hole.  Without loss the configured delay stands (the
 * adaptive jitter estimate of the media-timing work replaces this). */
#define NACK_DELAY_HOLD_US 10000000u
#define VIDEO_INITIAL_TARGET_MS 30u
#define VIDEO_RENDER_MARGIN_MS 3.0 /* scheduling slack on top of jitter and decode time */ /* until the jitter and decode estimates have data */
#define NACK_EXTRA_MS 60u /* notice a lost last packet (one frame interval), reorder wait, jitter */
#define NACK_MAX_TARGET_MS 400u
#define NACK_DEFAULT_RTT_US 100000u

static void adapt_video_target(struct vc_call *c, uint64_t now, uint64_t rtt_us)
{
	uint32_t want = (c->o->video_jb_ms ? c->o->video_jb_ms : atomic_load(&c->video_jitter_ms)) +
			c->sync_extra_ms[STREAM_VIDEO];

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
		if (now >= c->next_sync_us) {
			sync_and_drift(c, now);
			c->next_sync_us = now + 1000000u;
		}
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
	struct vc_vjitter *vj = NULL;
	uint64_t decode_us = 0; /* the decode-time estimate: frames leave the buffer this early */

	if (!data || vc_vp8_dec_new(&dec) || vc_vjitter_new(&vj, NULL)) {
		vc_err(c->log, "video decoder: cannot start");
		vc_vp8_dec_free(dec);
		free(data);
		return NULL;
	}
	while (!atomic_load(&c->stop_all)) {
		struct vc_fb_frame f = { .data = data, .cap = MAX_FRAME_BYTES };
		uint64_t now = now_us(c);
		int got;

		/* Render time = RTP time on our clock + jitter estimate +
		 * decode time + margin (the buffer's target); a frame is taken
		 * out one decode time early so that it is shown on time. */
		pthread_mutex_lock(&c->rx_lock);
		got = vc_framebuf_get(c->fb, now + decode_us, &f);
		if (!got) {
			uint64_t due = vc_framebuf_next_due(c->fb);
			due = due > decode_us ? due - decode_us : 0;
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
		vc_vjitter_frame(vj, f.ts, f.last_arrival_us, (uint32_t)(f.len > UINT32_MAX ? UINT32_MAX : f.len));

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
		vc_vjitter_decode_time(vj, render - t0);
		decode_us = (uint64_t)(vc_vjitter_decode_ms(vj) * 1000.0);
		double want = vc_vjitter_ms(vj) + vc_vjitter_decode_ms(vj) + VIDEO_RENDER_MARGIN_MS;
		atomic_store(&c->video_jitter_ms, (uint32_t)ceil(want));
		if (vc_vsink_render(c->vsink, &pic, render) < 0)
			vc_log_limited(c->log, VC_LOG_ERROR, "video sink: write failed");
		if (c->win)
			box_post(&c->remote_box, &pic);
		atomic_fetch_add(&c->stats.frames_decoded, 1);
		atomic_store(&c->stats.width, (uint32_t)pic.width);
		atomic_store(&c->stats.height, (uint32_t)pic.height);
		pthread_mutex_lock(&c->rx_lock);
		sync_note(c, STREAM_VIDEO, f.ts, render);
		pthread_mutex_unlock(&c->rx_lock);
		if (f.capture_us && render > f.capture_us) {
			atomic_fetch_add(&c->stats.video_e2e_sum_us, render - f.capture_us);
			atomic_fetch_add(&c->stats.video_e2e_n, 1);
		}
		if (render > f.last_arrival_us)
			atomic_store(&c->stats.video_jb_us, render - f.last_arrival_us);
		video_rendered(c, render, &last_render, &avg_interval);
	}
	vc_vjitter_free(vj);
	vc_vp8_dec_free(dec);
	free(data);
	return NULL;
}

/* Audio playout: the jitter buffer says what comes next, Opus decodes or
 * conceals it, the time-stretcher steers the playout delay to the buffer's
 * target, and a FIFO hands the sink one 5 ms block per tick.  Short ticks
 * keep the hold fine-grained: a packet is decoded at the first tick after
 * it is needed, so how long packets wait can only move in ticks. */
#define APLAY_BLOCK 240          /* 5 ms: one tick */
#define APLAY_TICK_MS 5.0
/* less than a block left + what stretching one packet can make (2 n + 40 ms) */
#define APLAY_FIFO (APLAY_BLOCK + 2 * VC_OPUS_FRAME + 2 * VC_OPUS_FRAME)
#define APLAY_DEADBAND_MS 2.0    /* no stretching this close to the target */
#define APLAY_TIME_CONST_MS 400.0 /* proportional steering: error / this = speed change */
#define APLAY_MAX_ACCEL 0.25
#define APLAY_MAX_EXPAND 0.20

struct aplay {
	struct vc_opus_dec *dec;
	struct vc_stretch *st;
	int16_t fifo[APLAY_FIFO];
	int fifo_len;
	bool started;
	bool last_quiet;    /* the last packet decoded to (near) silence */
	uint64_t stretched_in, stretched_out; /* samples, for the stats */
};

/* Below about -60 dBFS RMS: what a muted or DTX-ing sender sounds like. */
static bool pcm_quiet(const int16_t *pcm, int n)
{
	int64_t e = 0;

	for (int i = 0; i < n; i++)
		e += (int64_t)pcm[i] * pcm[i];
	return e < (int64_t)n * 33 * 33;
}

/* Playout speed for a chunk: drift feed-forward plus proportional steering
 * of the delay towards the target outside a small dead band. */
static double aplay_speed(double delay_ms, double target_ms, double drift_ppm)
{
	double err = delay_ms - target_ms, adj = 0;

	if (err > APLAY_DEADBAND_MS)
		adj = fmin((err - APLAY_DEADBAND_MS) / APLAY_TIME_CONST_MS, APLAY_MAX_ACCEL);
	else if (err < -APLAY_DEADBAND_MS)
		adj = fmax((err + APLAY_DEADBAND_MS) / APLAY_TIME_CONST_MS, -APLAY_MAX_EXPAND);
	return (1.0 + adj) * (1.0 + drift_ppm * 1e-6);
}

/* Decode (or conceal) one 20 ms step into pcm; returns what the jitter
 * buffer said.  *delay_ms / *target_ms are the playout delay and target
 * for audio heard at play_us. */
static enum vc_jb_get_result aplay_decode(struct vc_call *c, struct aplay *ap, uint64_t play_us,
					  int16_t *pcm, double *delay_ms, double *target_ms)
{
	uint8_t data[VC_RTP_MAX_PACKET];
	struct vc_jb_pkt p;
	size_t len = 0;
	uint64_t capture = 0;
	int n = 0;

	pthread_mutex_lock(&c->rx_lock);
	*delay_ms = vc_jb_delay_ms(c->jb, play_us);
	enum vc_jb_get_result r = vc_jb_get(c->jb, play_us, VC_OPUS_FRAME, &p);
	*target_ms = vc_jb_target_ms(c->jb);
	if ((r == VC_JB_PACKET || r == VC_JB_MISSING) && p.data && p.len <= sizeof(data)) {
		len = p.len;
		memcpy(data, p.data, len);
	}
	if (r == VC_JB_PACKET) {
		if (c->audio_capture_seq[p.seq % CAPTURE_SLOTS] == p.seq)
			capture = c->audio_capture[p.seq % CAPTURE_SLOTS];
		sync_note(c, STREAM_AUDIO, p.ts, play_us);
	}
	atomic_store(&c->stats.audio_jb_skipped, vc_jb_skipped(c->jb));
	pthread_mutex_unlock(&c->rx_lock);

	switch (r) {
	case VC_JB_NOT_YET:
		memset(pcm, 0, VC_OPUS_FRAME * sizeof(pcm[0]));
		return r;
	case VC_JB_PACKET:
		n = vc_opus_dec_decode(ap->dec, data, len, false, pcm, VC_OPUS_MAX_FRAME, VC_OPUS_FRAME);
		if (n < 0)
			atomic_fetch_add(&c->stats.concealed_us, samples_us(VC_OPUS_FRAME));
		break;
	case VC_JB_MISSING:
		if (p.fec_candidate && len && vc_opus_has_fec(data, len)) {
			n = vc_opus_dec_decode(ap->dec, data, len, true, pcm, VC_OPUS_MAX_FRAME, VC_OPUS_FRAME);
			if (n > 0) {
				atomic_fetch_add(&c->stats.fec_recovered, 1);
				break;
			}
		}
		atomic_fetch_add(&c->stats.concealed_us, samples_us(VC_OPUS_FRAME));
		break;
	case VC_JB_DTX:
		/* The sender chose silence: the decoder's comfort noise, not
		 * concealment of something lost. */
		atomic_fetch_add(&c->stats.dtx_us, samples_us(VC_OPUS_FRAME));
		break;
	case VC_JB_UNDERRUN:
		/* Nothing to play yet: PLC stretches what was last heard, and
		 * the delay grows by it (the late packet still plays).  After
		 * silence it is most likely DTX that has begun: the next packet
		 * (consecutive sequence number) will say, and the timeline then
		 * jumps to it. */
		if (ap->last_quiet)
			atomic_fetch_add(&c->stats.dtx_us, samples_us(APLAY_BLOCK));
		else if (!atomic_load(&c->peer_bye))
			atomic_fetch_add(&c->stats.concealed_us, samples_us(APLAY_BLOCK));
		break;
	}
	if (r == VC_JB_UNDERRUN) {
		/* one tick of PLC: the late packet plays as soon as it is in */
		n = vc_opus_dec_decode(ap->dec, NULL, 0, false, pcm, VC_OPUS_MAX_FRAME, APLAY_BLOCK);
		if (n != APLAY_BLOCK)
			memset(pcm, 0, APLAY_BLOCK * sizeof(pcm[0]));
		return r;
	}
	if (n <= 0)
		n = vc_opus_dec_decode(ap->dec, NULL, 0, false, pcm, VC_OPUS_MAX_FRAME, VC_OPUS_FRAME);
	if (n != VC_OPUS_FRAME)
		memset(pcm, 0, VC_OPUS_FRAME * sizeof(pcm[0]));
	if (r == VC_JB_PACKET || r == VC_JB_DTX)
		ap->last_quiet = pcm_quiet(pcm, VC_OPUS_FRAME);
	if (capture && play_us > capture) {
		/* Decoded sound lags its timestamp by the sender's look-ahead. */
		uint64_t e2e = play_us - capture + samples_us(VC_OPUS_LOOKAHEAD);
		atomic_fetch_add(&c->stats.audio_e2e_sum_us, e2e);
		atomic_fetch_add(&c->stats.audio_e2e_n, 1);
	}
	return r;
}

/* Fill the FIFO to at least one block: decode steps and stretch them.
 * heard_us: when the first sample in the FIFO will be heard. */
static enum vc_jb_get_result aplay_fill(struct vc_call *c, struct aplay *ap, uint64_t now,
					uint64_t heard_us)
{
	enum vc_jb_get_result last = VC_JB_NOT_YET;
	double lat_ms = heard_us > now ? (double)(heard_us - now) / 1000.0 : 0;

	while (ap->fifo_len < APLAY_BLOCK) {
		int16_t pcm[VC_OPUS_MAX_FRAME];
		double delay, target, drift = 0, speed = 1.0;
		uint64_t play = heard_us + samples_us(ap->fifo_len + vc_stretch_delay(ap->st));
		enum vc_jb_get_result r = aplay_decode(c, ap, play, pcm, &delay, &target);
		int n = r == VC_JB_UNDERRUN ? APLAY_BLOCK : VC_OPUS_FRAME;

		last = r;
		if (r != VC_JB_NOT_YET)
			ap->started = true;
		if (r == VC_JB_PACKET || r == VC_JB_MISSING) {
			/* The delay is the sink's latency + how long after the
			 * fastest packet's schedule this packet is decoded (the
			 * hold) + what waits in the FIFO.  The FIFO is waste; the
			 * hold must cover the target and can only move in whole
			 * ticks (a packet is decoded at a tick).  So aim at the
			 * least hold on this tick grid that is >= the target. */
			double fifo_ms = (double)samples_us(ap->fifo_len) / 1000.0;
			double hold = delay - fifo_ms - lat_ms;
			double want = lat_ms + hold + ceil((target - hold) / APLAY_TICK_MS) * APLAY_TICK_MS;
			int64_t dppm = atomic_load(&c->drift_ppb);
			if (dppm != INT64_MIN)
				drift = (double)dppm / 1000.0;
			speed = aplay_speed(delay, want, drift);
		}
		if (r == VC_JB_NOT_YET && !ap->started) {
			/* Before the first packet: nothing through the stretcher. */
			memcpy(ap->fifo + ap->fifo_len, pcm, (size_t)n * sizeof(pcm[0]));
			ap->fifo_len += n;
			continue;
		}
		int m = vc_stretch_process(ap->st, pcm, n, speed, ap->fifo + ap->fifo_len,
					   APLAY_FIFO - ap->fifo_len);
		if (m < 0) { /* cannot happen with the FIFO sized as it is */
			vc_log_limited(c->log, VC_LOG_ERROR, "audio stretch: %d", m);
			m = 0;
			ap->fifo_len = 0;
		}
		ap->fifo_len += m;
		ap->stretched_in += (uint64_t)n;
		ap->stretched_out += (uint64_t)m;
		atomic_store(&c->stats.audio_jb_us, delay > 0 ? (uint64_t)(delay * 1000.0) : 0);
		atomic_store(&c->stats.audio_target_ms, (uint32_t)target);
	}
	return last;
}

static void *audio_playout_thread(void *arg)
{
	struct vc_call *c = arg;
	struct aplay *ap = calloc(1, sizeof(*ap));
	uint64_t next = 0;

	if (!ap || vc_opus_dec_new(&ap->dec, 1) || vc_stretch_new_flags(&ap->st, VC_OPUS_RATE, VC_STRETCH_NO_DELAY)) {
		vc_err(c->log, "audio playout: cannot start");
		goto out;
	}
	while (!atomic_load(&c->stop_all)) {
		bool paced = vc_asink_device_paced(c->asink);
		uint64_t now = now_us(c);

		if (!paced && ap->started) {
			/* A file or null sink (or speakers that are away) is paced
			 * by the clock; speakers pace by blocking the write. */
			next += samples_us(APLAY_BLOCK);
			vc_sleep_until_us(next);
			now = now_us(c);
			if (now > next + 200000u)
				next = now; /* we were stalled: do not burst to catch up */
		} else {
			/* Until playout starts, look every 2 ms: the tick grid then
			 * starts right when the first packet is due instead of up
			 * to a block later. */
			next = now;
		}
		/* Everything is timed by when it will be heard: for speakers,
		 * after what they have queued and their output latency. */
		uint64_t heard = vc_asink_play_time(c->asink, now);
		enum vc_jb_get_result last = aplay_fill(c, ap, now, heard);
		if (!ap->started) {
			ap->fifo_len = 0; /* nothing due yet: nothing to play */
			vc_sleep_until_us(now + 2000u);
			continue;
		}
		if (last == VC_JB_UNDERRUN && atomic_load(&c->peer_bye)) {
			/* The peer hung up and its last packet has played: there
			 * is nothing left to conceal. */
			ap->fifo_len = 0;
			vc_sleep_until_us(now + 2000u);
			continue;
		}
		if (vc_asink_write(c->asink, ap->fifo, APLAY_BLOCK, heard) < 0)
			vc_log_limited(c->log, VC_LOG_ERROR, "audio sink: write failed");
		/* The echo canceller gets exactly what the speakers play, and
		 * when it will be heard. */
		if (c->aec)
			vc_aec_far(c->aec, ap->fifo, APLAY_BLOCK, (int64_t)heard);
		ap->fifo_len -= APLAY_BLOCK;
		memmove(ap->fifo, ap->fifo + APLAY_BLOCK, (size_t)ap->fifo_len * sizeof(ap->fifo[0]));
		atomic_store(&c->stats.speaker_outages, vc_asink_outages(c->asink));
		atomic_store(&c->stats.speaker_underflows, vc_asink_underflows(c->asink));
		atomic_fetch_add(&c->stats.audio_played_us, samples_us(APLAY_BLOCK));
		atomic_store(&c->stats.audio_stretch_in, ap->stretched_in);
		atomic_store(&c->stats.audio_stretch_out, ap->stretched_out);
	}
out:
	if (ap) {
		vc_stretch_free(ap->st);
		vc_opus_dec_free(ap->dec);
		free(ap);
	}
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
	struct vc_asrc_cfg ac = { .clock = c->clock, .paced = 1, .skew_ppm = c->o->audio_clock_ppm };
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
		/* Only a microphone hears the speakers: a tone or a file has no
		 * echo to cancel (and would only pay the canceller's 10 ms). */
		struct vc_aec_cfg acfg;
		vc_aec_cfg_default(&acfg);
		acfg.bulk_delay_ms = AEC_BULK_DELAY_MS;
		if (vc_asrc_is_mic(c->asrc) && !o->no_aec && vc_aec_new(&c->aec, &acfg)) {
			snprintf(err, errlen, "echo canceller: cannot start");
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
	vc_drift_init(&c->drift, DRIFT_MIN_SPAN_S, DRIFT_STEP_MS);
	atomic_store(&c->drift_ppb, INT64_MIN);
	atomic_store(&c->video_jitter_ms, VIDEO_INITIAL_TARGET_MS);
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
	vc_aec_free(c->aec);
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
		 atomic_load(&st->concealed_us) / 1000u, snap->width, snap->height, snap->video_kbps_target,
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
	s->audio_jb_target_ms = atomic_load(&c->stats.audio_target_ms);
	s->aec = c->aec ? 1 : (c->asrc && vc_asrc_is_mic(c->asrc)) ? 0 : -1;
	if (c->aec) {
		struct vc_aec_stats as;
		vc_aec_stats(c->aec, &as);
		s->aec_frames = as.frames_processed;
		s->aec_far_underruns = as.far_underruns;
	}
	int64_t ppb = atomic_load(&c->drift_ppb);
	s->have_drift = ppb != INT64_MIN;
	s->drift_ppm = s->have_drift ? (double)ppb / 1000.0 : 0;
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
