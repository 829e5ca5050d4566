/* vc_rx.c - the receive thread and its timers. */
#include "vc_rx.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vc_rtp.h"
#include "vc_vp8_rtp.h"

struct vc_rx {
	struct vc_rx_cfg cfg;
	int wake_fd;                 /* eventfd: stop */
	_Atomic uint64_t last_pli_us;
	uint64_t next_sync_us;
	bool bye_told;
};

int vc_rx_new(struct vc_rx **out, const struct vc_rx_cfg *cfg)
{
	struct vc_rx *rx = calloc(1, sizeof(*rx));

	*out = NULL;
	if (!rx)
		return -ENOMEM;
	rx->cfg = *cfg;
	rx->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (rx->wake_fd < 0) {
		int e = errno;
		free(rx);
		return -e;
	}
	*out = rx;
	return 0;
}

void vc_rx_free(struct vc_rx *rx)
{
	if (!rx)
		return;
	close(rx->wake_fd);
	free(rx);
}

void vc_rx_wake(struct vc_rx *rx)
{
	uint64_t one = 1;
	ssize_t n = write(rx->wake_fd, &one, sizeof(one));
	(void)n;
}

static void send_feedback(struct vc_rx *rx, const uint16_t *seqs, unsigned n)
{
	uint8_t buf[512];
	size_t len = vc_session_build_feedback(rx->cfg.session, buf, sizeof(buf), seqs, n);

	if (!len)
		return;
	vc_sender_datagram(rx->cfg.sender, buf, len);
	atomic_fetch_add(seqs ? &rx->cfg.stats->nacks_sent : &rx->cfg.stats->plis_sent, 1);
}

void vc_rx_request_keyframe(void *arg)
{
	struct vc_rx *rx = arg;

	if (vc_kf_limiter_try(&rx->last_pli_us, vc_clock_now(rx->cfg.clock), VC_PLI_MIN_INTERVAL_US))
		send_feedback(rx, NULL, 0);
}

static void on_nack(void *ctx, const struct vc_rtcp_msg *m, uint64_t now)
{
	struct vc_rx *rx = ctx;

	vc_sender_resend(rx->cfg.sender, m, now);
}

static void on_keyframe(void *ctx)
{
	struct vc_rx *rx = ctx;

	if (rx->cfg.keyframe)
		rx->cfg.keyframe(rx->cfg.kf_ctx);
}

static bool rtp_in(struct vc_rx *rx, const uint8_t *buf, size_t len, uint64_t now)
{
	struct vc_stats *st = rx->cfg.stats;
	struct vc_rtp_hdr h;
	struct vc_vp8_desc d;
	enum vc_stream s;
	int rc = vc_rtp_decode(&h, buf, len);

	if (rc < 0) {
		atomic_fetch_add(&st->rejected_malformed, 1);
		vc_log_limited(rx->cfg.log, VC_LOG_DEBUG, "rtp rejected (%d), %zu bytes", rc, len);
		return false;
	}
	if (h.pt == VC_PT_VP8) {
		s = VC_VIDEO;
	} else if (h.pt == VC_PT_OPUS) {
		s = VC_AUDIO;
	} else {
		atomic_fetch_add(&st->rejected_unknown_pt, 1);
		return false;
	}
	if (s == VC_VIDEO && vc_vp8_desc_parse(&d, h.payload, h.payload_len) != 0) {
		atomic_fetch_add(&st->rejected_malformed, 1);
		return false;
	}
	enum vc_rx_verdict v = vc_session_rtp_in(rx->cfg.session, s, &h, now);
	if (v == VC_RX_UNKNOWN_SSRC) {
		atomic_fetch_add(&st->rejected_unknown_ssrc, 1);
		return false;
	}
	if (v == VC_RX_BAD_SEQ) {
		atomic_fetch_add(&st->rejected_sequence, 1);
		return false;
	}
	if (v == VC_RX_NEW_SOURCE) {
		if (s == VC_VIDEO) {
			vc_vrecv_reset(rx->cfg.vrecv);
		} else {
			vc_aplay_reset(rx->cfg.aplay);
			vc_avsync_reset_drift(rx->cfg.sync);
		}
	}
	/* The sender's capture time on our clock (0 while unknown). */
	uint64_t capture = 0;
	const struct vc_rtp_ext *e = vc_rtp_ext_find(&h, VC_EXT_ABS_CAPTURE_TIME);
	if (e && e->len >= 8)
		vc_session_to_local(rx->cfg.session, vc_us_from_ntp(vc_rtp_get_be64(e->data)), &capture);
	if (s == VC_VIDEO) {
		struct vc_fb_pkt_info pi = {
			.seq = h.seq, .ts = h.ts, .marker = h.marker,
			.frame_start = d.start && d.pid == 0, .keyframe = d.keyframe,
			.picture_id = d.picture_id, .capture_us = capture, .arrival_us = now,
		};
		bool restart = vc_vrecv_put(rx->cfg.vrecv, &pi, h.payload + d.hdr_len, h.payload_len - d.hdr_len);
		atomic_fetch_add(&st->video_in_packets, 1);
		atomic_fetch_add(&st->video_in_bytes, len);
		if (restart)
			vc_rx_request_keyframe(rx);
	} else {
		vc_aplay_put(rx->cfg.aplay, h.seq, h.ts, h.payload, h.payload_len, capture, now);
		atomic_fetch_add(&st->audio_in_packets, 1);
		atomic_fetch_add(&st->audio_in_bytes, len);
	}
	return true;
}

void vc_rx_datagram(struct vc_rx *rx, const uint8_t *buf, size_t len, uint64_t now)
{
	if (len > VC_RTP_MAX_PACKET) {
		/* Nothing in this profile is larger: refused unread. */
		atomic_fetch_add(&rx->cfg.stats->rejected_oversize, 1);
		return;
	}
	if (vc_rtp_is_rtcp(buf, len)) {
		struct vc_rtcp_handlers h = { .ctx = rx, .keyframe = on_keyframe, .nack = on_nack };
		if (vc_session_rtcp_in(rx->cfg.session, buf, len, now, &h) < 0)
			return;
		if (!rx->bye_told && vc_session_peer_bye(rx->cfg.session)) {
			rx->bye_told = true;
			if (rx->cfg.bye)
				rx->cfg.bye(rx->cfg.bye_ctx);
		}
	} else if (!rtp_in(rx, buf, len, now)) {
		return;
	}
	/* The peer is there: it sent something the session accepted. */
	enum vc_live_event ev = vc_liveness_packet(rx->cfg.live, now);
	if (ev == VC_LIVE_CONNECTED || ev == VC_LIVE_BACK)
		vc_info(rx->cfg.log, "peer %s", ev == VC_LIVE_CONNECTED ? "connected" : "back");
}

/* The timers; returns the next deadline. */
static uint64_t timers(struct vc_rx *rx, uint64_t now)
{
	uint16_t seqs[VC_NACK_BATCH];
	uint64_t rtt = (uint64_t)vc_session_rtt_us(rx->cfg.session), next;
	unsigned n = vc_vrecv_nacks(rx->cfg.vrecv, now, rtt, seqs, VC_NACK_BATCH, &next);

	if (n)
		send_feedback(rx, seqs, n);
	if (now >= rx->next_sync_us) {
		int64_t transit;
		uint32_t extra[VC_N_STREAMS];
		bool have = vc_aplay_ref_transit_us(rx->cfg.aplay, &transit);
		vc_avsync_tick(rx->cfg.sync, now, have, transit, extra);
		vc_aplay_set_extra_ms(rx->cfg.aplay, extra[VC_AUDIO]);
		vc_vrecv_set_sync_extra_ms(rx->cfg.vrecv, extra[VC_VIDEO]);
		atomic_store(&rx->cfg.stats->sync_audio_extra_ms, extra[VC_AUDIO]);
		atomic_store(&rx->cfg.stats->sync_video_extra_ms, extra[VC_VIDEO]);
		rx->next_sync_us = now + VC_SYNC_INTERVAL_US;
	}
	if (vc_liveness_tick(rx->cfg.live, now) == VC_LIVE_LOST)
		vc_warn(rx->cfg.log, "peer lost: nothing received for %u s",
			(unsigned)(rx->cfg.live->timeout_us / 1000000u));
	if (rx->next_sync_us < next)
		next = rx->next_sync_us;
	uint64_t live = vc_liveness_deadline(rx->cfg.live);
	return live < next ? live : next;
}

void *vc_rx_thread(void *arg)
{
	struct vc_rx *rx = arg;
	const struct vc_clock *clk = rx->cfg.clock;
	uint8_t buf[2048];
	uint64_t deadline = vc_clock_now(clk);

	while (!atomic_load(rx->cfg.stop)) {
		struct pollfd pfd[2] = { { .fd = rx->cfg.fd, .events = POLLIN },
					 { .fd = rx->wake_fd, .events = POLLIN } };
		uint64_t now = vc_clock_now(clk);
		int timeout_ms = deadline <= now ? 0 : (int)((deadline - now + 999) / 1000);
		int pr = poll(pfd, 2, timeout_ms);

		now = vc_clock_now(clk);
		if (pr < 0 && errno != EINTR) {
			vc_err(rx->cfg.log, "poll: %s", strerror(errno));
			break;
		}
		for (int i = 0; pr > 0 && (pfd[0].revents & POLLIN) && i < VC_RX_BATCH; i++) {
			struct sockaddr_storage from;
			socklen_t flen = sizeof(from);
			ssize_t n = recvfrom(rx->cfg.fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC,
					     (struct sockaddr *)&from, &flen);
			if (n < 0)
				break;
			/* Strangers are dropped before any byte is parsed. */
			if (!vc_addr_equal((struct sockaddr *)&from, flen, rx->cfg.peer)) {
				atomic_fetch_add(&rx->cfg.stats->rejected_bad_source, 1);
				continue;
			}
			vc_rx_datagram(rx, buf, (size_t)n, now);
		}
		deadline = timers(rx, vc_clock_now(clk));
	}
	return NULL;
}
