/* vc_callwin.c - picture mailboxes and the window's part of a call. */
#include "vc_callwin.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct vc_mailbox {
	pthread_mutex_t lock;
	struct vc_frame f[3];
	struct vc_frame *back;  /* producer's */
	struct vc_frame *mid;   /* shared, under lock */
	struct vc_frame *front; /* consumer's */
	bool fresh;             /* mid holds a picture not taken yet */
};

int vc_mailbox_new(struct vc_mailbox **out)
{
	struct vc_mailbox *mb = calloc(1, sizeof(*mb));

	*out = NULL;
	if (!mb)
		return -ENOMEM;
	pthread_mutex_init(&mb->lock, NULL);
	mb->back = &mb->f[0];
	mb->mid = &mb->f[1];
	mb->front = &mb->f[2];
	*out = mb;
	return 0;
}

void vc_mailbox_free(struct vc_mailbox *mb)
{
	if (!mb)
		return;
	for (int i = 0; i < 3; i++)
		vc_frame_free(&mb->f[i]);
	pthread_mutex_destroy(&mb->lock);
	free(mb);
}

void vc_mailbox_post(struct vc_mailbox *mb, const struct vc_frame *f)
{
	struct vc_frame *b = mb->back;

	if (b->width != f->width || b->height != f->height) {
		vc_frame_free(b);
		if (vc_frame_alloc(b, f->width, f->height))
			return;
	}
	vc_frame_copy(b, f);
	pthread_mutex_lock(&mb->lock);
	mb->back = mb->mid;
	mb->mid = b;
	mb->fresh = true;
	pthread_mutex_unlock(&mb->lock);
}

const struct vc_frame *vc_mailbox_take(struct vc_mailbox *mb)
{
	bool got;

	pthread_mutex_lock(&mb->lock);
	got = mb->fresh;
	if (got) {
		struct vc_frame *t = mb->front;
		mb->front = mb->mid;
		mb->mid = t;
		mb->fresh = false;
	}
	pthread_mutex_unlock(&mb->lock);
	return got ? mb->front : NULL;
}

struct vc_callwin {
	struct vc_callwin_cfg cfg;
	struct vc_mailbox *remote, *self;
	char title[256];
	struct overlay_prev {
		uint64_t t_us, frames, bytes, abytes, esum, en, asum, an;
	} prev;
};

int vc_callwin_new(struct vc_callwin **out, const struct vc_callwin_cfg *cfg)
{
	struct vc_callwin *cw = calloc(1, sizeof(*cw));

	*out = NULL;
	if (!cw)
		return -ENOMEM;
	cw->cfg = *cfg;
	if (vc_mailbox_new(&cw->remote) || vc_mailbox_new(&cw->self)) {
		vc_callwin_free(cw);
		return -ENOMEM;
	}
	*out = cw;
	return 0;
}

void vc_callwin_free(struct vc_callwin *cw)
{
	if (!cw)
		return;
	vc_mailbox_free(cw->remote);
	vc_mailbox_free(cw->self);
	free(cw);
}

void vc_callwin_post_remote(void *arg, const struct vc_frame *pic)
{
	struct vc_callwin *cw = arg;

	vc_mailbox_post(cw->remote, pic);
	vc_window_wake(cw->cfg.win);
}

void vc_callwin_post_self(void *arg, const struct vc_frame *pic)
{
	struct vc_callwin *cw = arg;

	vc_mailbox_post(cw->self, pic);
	vc_window_wake(cw->cfg.win);
}

void vc_callwin_wake(struct vc_callwin *cw)
{
	vc_window_wake(cw->cfg.win);
}

void vc_call_title(char *buf, size_t len, const struct vc_addr *peer, int state, bool muted, bool camera_off)
{
	char addr[128];

	snprintf(buf, len, "vcalld: %s (%s%s%s)", vc_addr_str(peer, addr, sizeof(addr)), vc_call_state_name(state),
		 muted ? ", muted" : "", camera_off ? ", camera off" : "");
}

bool vc_callwin_step(struct vc_callwin *cw, int timeout_ms)
{
	struct vc_msend *ms = cw->cfg.msend;
	struct vc_window *w = cw->cfg.win;
	const struct vc_frame *f;
	char title[256];

	switch (vc_window_poll(w, timeout_ms)) {
	case VC_WIN_QUIT:
		return true;
	case VC_WIN_MUTE:
		vc_msend_set_muted(ms, !vc_msend_muted(ms));
		vc_info(cw->cfg.log, "microphone %s", vc_msend_muted(ms) ? "muted" : "on");
		break;
	case VC_WIN_CAMERA:
		vc_msend_set_camera_off(ms, !vc_msend_camera_off(ms));
		vc_info(cw->cfg.log, "camera %s", vc_msend_camera_off(ms) ? "off" : "on");
		break;
	default:
		break;
	}
	if ((f = vc_mailbox_take(cw->remote)))
		vc_window_set_remote(w, f);
	if ((f = vc_mailbox_take(cw->self)))
		vc_window_set_self(w, f);
	vc_call_title(title, sizeof(title), cw->cfg.peer, vc_liveness_state(cw->cfg.live), vc_msend_muted(ms),
		      vc_msend_camera_off(ms));
	if (strcmp(title, cw->title) != 0) {
		vc_window_set_title(w, title);
		snprintf(cw->title, sizeof(cw->title), "%s", title);
	}
	vc_window_render(w);
	return false;
}

void vc_callwin_overlay(struct vc_callwin *cw, const struct vc_stats_snapshot *snap)
{
	struct vc_stats *st = cw->cfg.stats;
	struct overlay_prev *p = &cw->prev;
	uint64_t frames = atomic_load(&st->frames_decoded), bytes = atomic_load(&st->video_in_bytes);
	uint64_t abytes = atomic_load(&st->audio_in_bytes);
	uint64_t esum = atomic_load(&st->video_e2e_sum_us), en = atomic_load(&st->video_e2e_n);
	uint64_t asum = atomic_load(&st->audio_e2e_sum_us), an = atomic_load(&st->audio_e2e_n);
	double secs = p->t_us && snap->t_us > p->t_us ? (double)(snap->t_us - p->t_us) / 1e6 : 1.0;
	bool muted = vc_msend_muted(cw->cfg.msend), off = vc_msend_camera_off(cw->cfg.msend);
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
		 muted ? "  muted" : "", off ? "  camera off" : "");
	vc_window_set_overlay_text(cw->cfg.win, text);
	*p = (struct overlay_prev){ .t_us = snap->t_us, .frames = frames, .bytes = bytes, .abytes = abytes,
				    .esum = esum, .en = en, .asum = asum, .an = an };
}
