/* vc_call.c - one call's lifecycle: build the parts, wire them, run the
 * threads, hang up without losing what was sent, report. */
#include "vc_call.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <unistd.h>

#include "vc_aplay.h"
#include "vc_avsync.h"
#include "vc_callwin.h"
#include "vc_clock.h"
#include "vc_devices.h"
#include "vc_liveness.h"
#include "vc_msend.h"
#include "vc_net.h"
#include "vc_rx.h"
#include "vc_sender.h"
#include "vc_session.h"
#include "vc_stats.h"
#include "vc_vplay.h"
#include "vc_vrecv.h"

#define PEER_LOST_US 5000000u
#define DRAIN_MAX_US 1500000u
/* Hanging up, the peer silent this long with our buffers empty: its BYE
 * was lost (or it hung up without one); stop waiting for it. */
#define DRAIN_IDLE_US 300000u
#define STATS_US 1000000u

struct vc_call {
	const struct vc_opts *o;
	struct vc_log *log;
	const struct vc_clock *clock;
	struct vc_stats stats;
	int fd, wake_fd;
	struct vc_addr peer;
	char cname[256];

	struct vc_devices dev;
	struct vc_liveness live;
	struct vc_session *session;
	struct vc_sender *sender;
	struct vc_msend *msend;
	struct vc_vrecv *vrecv;
	struct vc_aplay *aplay;
	struct vc_avsync *sync;
	struct vc_rx *rx;
	struct vc_callwin *cw;
	struct vc_vplay_cfg vplay;

	_Atomic bool hangup;     /* vc_call_hangup */
	_Atomic bool stop_all;   /* every thread ends */
	pthread_t threads[4];
	int n_threads;
};

static uint32_t random_u32(void)
{
	uint32_t v;

	if (getrandom(&v, sizeof(v), 0) != (ssize_t)sizeof(v))
		v = (uint32_t)vc_monotonic_us() * 2654435761u ^ (uint32_t)getpid();
	return v;
}

static void wake(void *arg)
{
	struct vc_call *c = arg;
	uint64_t one = 1;

	if (c->cw)
		vc_callwin_wake(c->cw);
	ssize_t n = write(c->wake_fd, &one, sizeof(one));
	(void)n;
}

void vc_call_hangup(struct vc_call *c)
{
	atomic_store(&c->hangup, true);
	wake(c);
}

static void default_cname(char *buf, size_t len, const char *given)
{
	char host[128] = "localhost";
	const char *user = getenv("USER");

	if (given) {
		snprintf(buf, len, "%s", given);
		return;
	}
	gethostname(host, sizeof(host) - 1);
	snprintf(buf, len, "%s@%s", user ? user : "vcalld", host);
}

/* Build and wire the parts (the table of contents of a call). */
static int wire(struct vc_call *c, char *err, size_t errlen)
{
	const struct vc_opts *o = c->o;
	char title[256];

	vc_call_title(title, sizeof(title), &c->peer, VC_ST_CONNECTING, false, false);
	if (vc_devices_open(&c->dev, o, c->clock, c->log, title, err, errlen))
		return -1;
	struct vc_session_cfg sc = { .cname = c->cname, .log = c->log, .stats = &c->stats, .random = random_u32 };
	if (vc_session_new(&c->session, &sc))
		goto oom;
	struct vc_sender_cfg tc = { .fd = c->fd, .peer = &c->peer, .session = c->session, .live = &c->live,
				    .clock = c->clock, .log = c->log, .stats = &c->stats,
				    .rtx_budget_bps = o->video_kbps * 1000u / 2u, .random = random_u32 };
	if (vc_sender_new(&c->sender, &tc))
		goto oom;
	struct vc_msend_cfg mc = { .vsrc = c->dev.vsrc, .asrc = c->dev.asrc, .video_kbps = o->video_kbps,
				   .audio_kbps = o->audio_kbps, .aec = !o->no_aec, .sender = c->sender,
				   .session = c->session, .live = &c->live, .random = random_u32,
				   .log = c->log, .stats = &c->stats };
	if (vc_msend_new(&c->msend, &mc, err, errlen))
		return -1;
	if (c->dev.win) {
		struct vc_callwin_cfg wc = { .win = c->dev.win, .msend = c->msend, .live = &c->live,
					     .peer = &c->peer, .log = c->log, .stats = &c->stats };
		if (vc_callwin_new(&c->cw, &wc))
			goto oom;
		vc_msend_set_self_view(c->msend, vc_callwin_post_self, c->cw);
	}
	if (vc_vrecv_new(&c->vrecv, o->video_jb_ms, &c->stats) || vc_avsync_new(&c->sync))
		goto oom;
	struct vc_aplay_cfg ac = { .fixed_target_ms = o->audio_jb_ms, .sink = c->dev.asink,
				   .aec = vc_msend_aec(c->msend), .session = c->session, .sync = c->sync,
				   .clock = c->clock, .log = c->log, .stats = &c->stats };
	if (vc_aplay_new(&c->aplay, &ac))
		goto oom;
	struct vc_rx_cfg rc = { .fd = c->fd, .peer = &c->peer, .session = c->session, .sender = c->sender,
				.vrecv = c->vrecv, .aplay = c->aplay, .sync = c->sync, .live = &c->live,
				.keyframe = vc_msend_keyframe, .kf_ctx = c->msend, .bye = wake, .bye_ctx = c,
				.clock = c->clock, .log = c->log, .stats = &c->stats, .stop = &c->stop_all };
	if (vc_rx_new(&c->rx, &rc))
		goto oom;
	c->vplay = (struct vc_vplay_cfg){ .recv = c->vrecv, .session = c->session, .sync = c->sync,
					  .sink = c->dev.vsink, .show = c->cw ? vc_callwin_post_remote : NULL,
					  .show_ctx = c->cw, .need_keyframe = vc_rx_request_keyframe,
					  .kf_ctx = c->rx, .clock = c->clock, .log = c->log, .stats = &c->stats,
					  .stop = &c->stop_all };
	return 0;
oom:
	snprintf(err, errlen, "out of memory");
	return -1;
}

int vc_call_new(struct vc_call **out, const struct vc_opts *o, struct vc_log *log)
{
	struct vc_call *c = calloc(1, sizeof(*c));
	char err[512] = "";

	*out = NULL;
	if (!c) {
		vc_err(log, "out of memory");
		return -ENOMEM;
	}
	c->o = o;
	c->log = log;
	c->clock = vc_clock_monotonic();
	c->fd = -1;
	vc_stats_init(&c->stats);
	default_cname(c->cname, sizeof(c->cname), o->cname);
	c->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (c->wake_fd < 0) {
		snprintf(err, sizeof(err), "eventfd: %s", strerror(errno));
		goto fail;
	}
	if (vc_resolve(o->peer, AF_UNSPEC, &c->peer, err, sizeof(err)))
		goto fail;
	c->fd = vc_udp_open(o->listen, &c->peer, err, sizeof(err));
	if (c->fd < 0 || wire(c, err, sizeof(err)))
		goto fail;
	*out = c;
	return 0;
fail:
	vc_err(log, "%s", err);
	vc_call_free(c);
	return -EINVAL;
}

void vc_call_free(struct vc_call *c)
{
	if (!c)
		return;
	vc_rx_free(c->rx);
	vc_aplay_free(c->aplay);
	vc_avsync_free(c->sync);
	vc_vrecv_free(c->vrecv);
	vc_callwin_free(c->cw);
	vc_msend_free(c->msend);
	vc_sender_free(c->sender);
	vc_session_free(c->session);
	vc_devices_close(&c->dev);
	if (c->fd >= 0)
		close(c->fd);
	if (c->wake_fd >= 0)
		close(c->wake_fd);
	free(c);
}

static void snapshot(struct vc_call *c, struct vc_stats_snapshot *s, uint64_t now)
{
	struct vc_aec *aec = vc_msend_aec(c->msend);

	memset(s, 0, sizeof(*s));
	s->t_us = now;
	s->state = vc_call_state_name(vc_liveness_state(&c->live));
	s->rtt_us = vc_session_rtt_us(c->session);
	s->video_kbps_target = vc_msend_video_kbps(c->msend);
	s->width = c->dev.width;
	s->height = c->dev.height;
	s->audio_jb_target_ms = atomic_load(&c->stats.audio_target_ms);
	s->aec = aec ? 1 : (c->dev.asrc && vc_asrc_is_mic(c->dev.asrc)) ? 0 : -1;
	if (aec) {
		struct vc_aec_stats as;
		vc_aec_stats(aec, &as);
		s->aec_frames = as.frames_processed;
		s->aec_far_underruns = as.far_underruns;
	}
	s->have_drift = vc_avsync_drift_ppm(c->sync, &s->drift_ppm);
	for (int i = 0; i < VC_N_STREAMS; i++) {
		struct vc_rx_info ri;
		vc_session_rx_info(c->session, (enum vc_stream)i, &ri);
		s->in_active[i] = ri.active;
		s->in_lost[i] = ri.lost;
		s->in_jitter_ms[i] = ri.jitter_ms;
	}
}

static int start(struct vc_call *c, void *(*fn)(void *), void *arg)
{
	int rc = pthread_create(&c->threads[c->n_threads], NULL, fn, arg);

	if (rc != 0) {
		vc_err(c->log, "cannot start a thread: %s", strerror(rc));
		return -1;
	}
	c->n_threads++;
	return 0;
}

/* Sleep until deadline_us or a wake-up; with a window, drive it meanwhile.
 * Returns true when the user hung up in the window. */
static bool wait_main(struct vc_call *c, uint64_t deadline_us)
{
	uint64_t now = vc_clock_now(c->clock);
	int ms = deadline_us > now ? (int)((deadline_us - now + 999) / 1000) : 0;

	if (c->cw)
		return vc_callwin_step(c->cw, ms);
	struct pollfd p = { .fd = c->wake_fd, .events = POLLIN };
	uint64_t n;
	if (poll(&p, 1, ms) > 0 && read(c->wake_fd, &n, sizeof(n)) != (ssize_t)sizeof(n))
		vc_log_limited(c->log, VC_LOG_DEBUG, "wake-up: short read");
	return false;
}

/* Hang up: stop capture, let the send thread flush and send BYE, then
 * keep playing what is buffered until the peer's BYE has arrived and the
 * buffers are drained (bounded), so nothing already sent is lost. */
static void hang_up(struct vc_call *c)
{
	/* Capture threads finish the frame they are on; only then may the
	 * send thread drain the queue and say BYE (a half-sent last frame
	 * would be a frame lost). */
	vc_msend_stop(c->msend);
	vc_sender_close(c->sender);
	vc_aplay_ending(c->aplay);
	uint64_t now = vc_clock_now(c->clock), drain_end = now + DRAIN_MAX_US;
	while (now < drain_end) {
		uint64_t heard = vc_liveness_last_rx(&c->live);
		bool bye = vc_session_peer_bye(c->session) || vc_liveness_state(&c->live) != VC_ST_CONNECTED ||
			   (now > heard && now - heard > DRAIN_IDLE_US);
		if (bye && vc_vrecv_empty(c->vrecv) && vc_aplay_empty(c->aplay))
			break;
		vc_sleep_until_us(now + 20000u);
		now = vc_clock_now(c->clock);
	}
	/* One more render interval so the last due frame is written. */
	vc_sleep_until_us(vc_clock_now(c->clock) + 40000u);
	atomic_store(&c->stop_all, true);
	vc_vrecv_stop(c->vrecv);
	vc_aplay_stop(c->aplay);
	vc_rx_wake(c->rx);
	for (int i = 0; i < c->n_threads; i++)
		pthread_join(c->threads[i], NULL);
	c->n_threads = 0;
	atomic_store(&c->live.state, VC_ST_ENDED);
}

int vc_call_run(struct vc_call *c)
{
	FILE *stats = NULL;
	uint64_t t0 = vc_clock_now(c->clock);
	uint64_t end = c->o->duration_s > 0 ? t0 + (uint64_t)(c->o->duration_s * 1e6) : UINT64_MAX;
	uint64_t next_stats = t0 + STATS_US;
	int status = 0;
	char addr[128];
	struct vc_stats_snapshot snap;
	struct vc_stats_prev prev = { .t_us = t0 };

	if (c->o->stats_path && !(stats = fopen(c->o->stats_path, "w"))) {
		vc_err(c->log, "--stats: cannot write %s: %s", c->o->stats_path, strerror(errno));
		return 1;
	}
	vc_info(c->log, "calling %s (video %s, audio %s)", vc_addr_str(&c->peer, addr, sizeof(addr)),
		c->dev.vsrc ? "on" : "off", c->dev.asrc ? "on" : "off");
	vc_liveness_init(&c->live, PEER_LOST_US, t0);
	if (start(c, vc_rx_thread, c->rx) || start(c, vc_sender_thread, c->sender) ||
	    start(c, vc_vplay_thread, &c->vplay) || start(c, vc_aplay_thread, c->aplay) ||
	    vc_msend_start(c->msend))
		status = 1;

	/* The call: wait for the duration, a hang-up or the peer's BYE. */
	while (!status) {
		uint64_t now = vc_clock_now(c->clock);
		if (atomic_load(&c->hangup)) {
			vc_info(c->log, "hanging up (signal)");
			break;
		}
		if (now >= end) {
			vc_info(c->log, "hanging up (duration reached)");
			break;
		}
		if (vc_session_peer_bye(c->session)) {
			vc_info(c->log, "peer hung up");
			break;
		}
		if (now >= next_stats) {
			snapshot(c, &snap, now);
			if (stats)
				vc_stats_write(stats, &c->stats, &snap, &prev, t0);
			if (c->cw)
				vc_callwin_overlay(c->cw, &snap);
			next_stats += STATS_US;
			if (next_stats < now)
				next_stats = now + STATS_US;
		}
		if (wait_main(c, next_stats < end ? next_stats : end)) {
			vc_info(c->log, "hanging up (window)");
			break;
		}
	}
	hang_up(c);
	if (vc_devices_close_sinks(&c->dev) < 0) {
		vc_err(c->log, "could not complete the output files");
		status = 1;
	}
	if (stats) {
		snapshot(c, &snap, vc_clock_now(c->clock));
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
