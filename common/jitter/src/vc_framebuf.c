/* vc_framebuf.c - video packet buffer and frame assembly.
 *
 * Packets sit in slot[floor_mod(useq, slots)] (useq = unwrapped sequence
 * number).  Every buffered useq lies in a window narrower than slots, so no
 * two buffered packets share a slot.  Alongside, frame[] holds one entry
 * per buffered timestamp, sorted by unwrapped timestamp, with what is
 * needed to tell completeness in O(1): a frame is complete when it has a
 * start packet S and a marker packet M, and its npkts packets are exactly
 * useq S..M (duplicates are refused, so count == span means no hole).
 *
 * Release rules (vc_framebuf_get), looking at the oldest frame F0:
 *  - F0 complete: released once now >= render(F0).
 *  - F0 incomplete: if the first complete newer frame Fk is due, F0..Fk-1
 *    are given up and Fk is released with gap_before; otherwise F0 is given
 *    up alone once now > render(F0) + FB_STALL_US (a stalled stream must
 *    not hold memory, or older frames, forever).
 * A released frame also gets gap_before when its picture_id does not
 * follow the previous one (15 bits), or, when either lacks a picture_id,
 * when its first seq does not follow the previous frame's last seq.
 */
#include "vc_framebuf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vc_seq.h"

#define FB_MAX_SLOTS 65536u
#define FB_MAX_PAYLOAD 65536u
#define FB_MAX_FRAME (64u << 20)
#define FB_MAX_TARGET_MS 10000u
#define FB_MIN_RATE 1000u
#define FB_MAX_RATE 1000000u
/* An incomplete frame is given up this long after its render time even if
 * nothing newer has completed. */
#define FB_STALL_US 500000
/* Packets more than this far (RTP time) behind the last released frame,
 * FB_RESTART_LATE times in a row, mean the sender's timestamps went back. */
#define FB_RESTART_S 1
#define FB_RESTART_LATE 3
#define FB_PID_MASK 0x7fff
/* Keep microsecond arithmetic away from int64 overflow (see vc_jb.c). */
#define FB_US_LIMIT ((int64_t)1 << 60)

struct fb_slot {
	bool used;
	bool marker, frame_start, keyframe;
	int64_t useq;
	int64_t uts;
	int32_t picture_id;
	uint64_t capture_us;
	uint64_t arrival_us;
	size_t len;
	uint8_t *data;
};

struct fb_frame {
	int64_t uts;
	int64_t min_useq, max_useq;
	int64_t start_useq, end_useq;
	bool has_start, has_end;
	uint32_t npkts;
	size_t bytes;
	bool keyframe;
	int32_t picture_id;
	uint64_t capture_us;
	uint64_t first_arrival_us, last_arrival_us;
};

struct vc_framebuf {
	struct vc_framebuf_cfg cfg;
	struct fb_slot *slot;
	struct fb_frame *frame; /* sorted by uts, nframes <= slots */
	uint32_t nframes;
	uint8_t *pool;

	struct vc_unwrap seq_unwrap, ts_unwrap;
	bool have_base;
	int64_t base_transit_us;

	bool have_done;
	int64_t done_uts; /* newest ts released or given up */
	bool have_abandoned;
	int64_t abandoned_uts; /* frame dropped for max_frame */
	uint32_t far_late;

	bool pending_gap;     /* next released frame follows a lost one */
	bool have_gap_mark;
	int64_t gap_mark_uts; /* first released frame after this ts follows a lost one */
	bool have_prev;
	int32_t prev_pid;
	uint16_t prev_last_seq;

	uint64_t dropped;
};

static int64_t fb_rtp_us(const struct vc_framebuf *fb, int64_t uts)
{
	return vc_ts_to_us(uts, fb->cfg.clock_rate);
}

static int64_t fb_clamp_us(uint64_t us)
{
	return us > (uint64_t)FB_US_LIMIT ? FB_US_LIMIT : (int64_t)us;
}

static int64_t fb_target_us(const struct vc_framebuf *fb)
{
	return (int64_t)fb->cfg.target_ms * 1000;
}

static int64_t fb_render_us(const struct vc_framebuf *fb, int64_t uts)
{
	return fb_rtp_us(fb, uts) + fb->base_transit_us + fb_target_us(fb);
}

static void fb_note_arrival(struct vc_framebuf *fb, int64_t uts, uint64_t arrival_us)
{
	int64_t transit = fb_clamp_us(arrival_us) - fb_rtp_us(fb, uts);

	if (!fb->have_base || transit < fb->base_transit_us) {
		fb->base_transit_us = transit;
		fb->have_base = true;
	}
}

static uint32_t fb_slot_index(const struct vc_framebuf *fb, int64_t useq)
{
	int64_t m = useq % (int64_t)fb->cfg.slots;

	return (uint32_t)(m < 0 ? m + fb->cfg.slots : m);
}

static bool fb_complete(const struct fb_frame *f)
{
	return f->has_start && f->has_end && f->start_useq == f->min_useq &&
	       f->end_useq == f->max_useq &&
	       (int64_t)f->npkts == f->end_useq - f->start_useq + 1;
}

/* Drop everything buffered and the timeline; counters and picture_id
 * continuity survive (the next frame will carry gap_before). */
static void fb_flush(struct vc_framebuf *fb)
{
	for (uint32_t i = 0; i < fb->nframes; i++) {
		const struct fb_frame *f = &fb->frame[i];

		for (int64_t q = f->min_useq; q <= f->max_useq; q++) {
			struct fb_slot *s = &fb->slot[fb_slot_index(fb, q)];

			if (s->used && s->useq == q)
				s->used = false;
		}
	}
	fb->dropped += fb->nframes;
	if (fb->nframes || fb->have_done || fb->have_gap_mark)
		fb->pending_gap = true;
	fb->nframes = 0;
	memset(&fb->seq_unwrap, 0, sizeof(fb->seq_unwrap));
	memset(&fb->ts_unwrap, 0, sizeof(fb->ts_unwrap));
	fb->have_base = false;
	fb->base_transit_us = 0;
	fb->have_done = false;
	fb->have_abandoned = false;
	fb->have_gap_mark = false;
	fb->far_late = 0;
}

int vc_framebuf_new(struct vc_framebuf **out, const struct vc_framebuf_cfg *cfg)
{
	struct vc_framebuf *fb = NULL;
	int err = 0;

	if (!out || !cfg || cfg->clock_rate < FB_MIN_RATE || cfg->clock_rate > FB_MAX_RATE ||
	    cfg->slots < 1 || cfg->slots > FB_MAX_SLOTS || cfg->max_payload < 1 ||
	    cfg->max_payload > FB_MAX_PAYLOAD || cfg->max_frame < 1 ||
	    cfg->max_frame > FB_MAX_FRAME || cfg->target_ms > FB_MAX_TARGET_MS)
		return -EINVAL;
	fb = calloc(1, sizeof(*fb));
	if (!fb) {
		err = -ENOMEM;
		goto out;
	}
	fb->cfg = *cfg;
	fb->slot = calloc(cfg->slots, sizeof(*fb->slot));
	fb->frame = calloc(cfg->slots, sizeof(*fb->frame));
	fb->pool = malloc((size_t)cfg->slots * cfg->max_payload);
	if (!fb->slot || !fb->frame || !fb->pool) {
		err = -ENOMEM;
		goto out;
	}
	for (uint32_t i = 0; i < cfg->slots; i++)
		fb->slot[i].data = fb->pool + (size_t)i * cfg->max_payload;
	vc_framebuf_reset(fb);
	*out = fb;
	fb = NULL;
out:
	vc_framebuf_free(fb);
	return err;
}

void vc_framebuf_free(struct vc_framebuf *fb)
{
	if (!fb)
		return;
	free(fb->pool);
	free(fb->frame);
	free(fb->slot);
	free(fb);
}

void vc_framebuf_reset(struct vc_framebuf *fb)
{
	for (uint32_t i = 0; i < fb->cfg.slots; i++)
		fb->slot[i].used = false;
	fb->nframes = 0;
	fb_flush(fb);
	fb->pending_gap = false;
	fb->have_prev = false;
	fb->prev_pid = -1;
	fb->prev_last_seq = 0;
	fb->dropped = 0;
}

/* Position in frame[] of the first frame with uts >= key. */
static uint32_t fb_lower_bound(const struct vc_framebuf *fb, int64_t key)
{
	uint32_t lo = 0, hi = fb->nframes;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (fb->frame[mid].uts < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Free frame[pos]'s packets and remove the entry. */
static void fb_remove_frame(struct vc_framebuf *fb, uint32_t pos)
{
	const struct fb_frame *f = &fb->frame[pos];

	/* frames' useq ranges may interleave: free only this frame's slots */
	for (int64_t q = f->min_useq; q <= f->max_useq; q++) {
		struct fb_slot *s = &fb->slot[fb_slot_index(fb, q)];

		if (s->used && s->useq == q && s->uts == f->uts)
			s->used = false;
	}
	memmove(&fb->frame[pos], &fb->frame[pos + 1], (fb->nframes - pos - 1) * sizeof(*fb->frame));
	fb->nframes--;
}

static void fb_mark_done(struct vc_framebuf *fb, int64_t uts)
{
	if (!fb->have_done || uts > fb->done_uts) {
		fb->done_uts = uts;
		fb->have_done = true;
	}
}

/* Give up frame[pos] (incomplete, over the cap, or too big for the caller). */
static void fb_give_up(struct vc_framebuf *fb, uint32_t pos)
{
	fb->dropped++;
	fb->pending_gap = true;
	fb_remove_frame(fb, pos);
}

/* Drop the frame at uts for good (max_frame): its later packets are
 * refused, and the first frame released after it (frames older than it
 * may still complete normally) carries gap_before. */
static void fb_abandon(struct vc_framebuf *fb, int64_t uts)
{
	fb->abandoned_uts = uts;
	fb->have_abandoned = true;
	fb->dropped++;
	if (!fb->have_gap_mark || uts < fb->gap_mark_uts)
		fb->gap_mark_uts = uts;
	fb->have_gap_mark = true;
}

enum vc_fb_put_result vc_framebuf_put(struct vc_framebuf *fb, const struct vc_fb_pkt_info *pi,
				      const uint8_t *data, size_t len)
{
	enum vc_fb_put_result res = VC_FB_STORED;
	int64_t useq, uts, lo, hi;
	struct fb_frame *f;
	struct fb_slot *s;
	uint32_t pos;

	if (len > fb->cfg.max_payload)
		return VC_FB_TOO_BIG;
	useq = vc_unwrap16(&fb->seq_unwrap, pi->seq);
	uts = vc_unwrap32(&fb->ts_unwrap, pi->ts);

	/* Keep every buffered useq inside one window of 'slots': a packet
	 * further than that from the buffered ones means a long outage or a
	 * restarted sender, and nothing buffered can still be completed. */
	if (fb->nframes > 0) {
		lo = fb->frame[0].min_useq;
		hi = fb->frame[0].max_useq;
		for (uint32_t i = 1; i < fb->nframes; i++) {
			if (fb->frame[i].min_useq < lo)
				lo = fb->frame[i].min_useq;
			if (fb->frame[i].max_useq > hi)
				hi = fb->frame[i].max_useq;
		}
		if (useq - lo >= (int64_t)fb->cfg.slots || hi - useq >= (int64_t)fb->cfg.slots) {
			fb_flush(fb);
			useq = vc_unwrap16(&fb->seq_unwrap, pi->seq);
			uts = vc_unwrap32(&fb->ts_unwrap, pi->ts);
			res = VC_FB_OVERFLOW;
		}
	}

	if (fb->have_done && uts <= fb->done_uts) {
		if (fb->done_uts - uts <= (int64_t)fb->cfg.clock_rate * FB_RESTART_S) {
			fb->far_late = 0;
			return VC_FB_LATE;
		}
		if (++fb->far_late < FB_RESTART_LATE)
			return VC_FB_LATE;
		/* the sender's timestamps went back: start a new timeline */
		fb_flush(fb);
		useq = vc_unwrap16(&fb->seq_unwrap, pi->seq);
		uts = vc_unwrap32(&fb->ts_unwrap, pi->ts);
	}
	fb->far_late = 0;
	if (fb->have_abandoned && uts == fb->abandoned_uts)
		return VC_FB_TOO_BIG;

	s = &fb->slot[fb_slot_index(fb, useq)];
	if (s->used && s->useq == useq)
		return VC_FB_DUPLICATE;

	pos = fb_lower_bound(fb, uts);
	f = pos < fb->nframes && fb->frame[pos].uts == uts ? &fb->frame[pos] : NULL;
	/* f->bytes <= max_frame always, so the subtraction cannot wrap */
	if (len > fb->cfg.max_frame - (f ? f->bytes : 0)) {
		fb_abandon(fb, uts);
		if (f)
			fb_remove_frame(fb, pos);
		return VC_FB_TOO_BIG;
	}
	if (!f) {
		/* nframes < slots here: each frame holds >= 1 of the < slots
		 * packets buffered (this slot is free) */
		memmove(&fb->frame[pos + 1], &fb->frame[pos], (fb->nframes - pos) * sizeof(*fb->frame));
		fb->nframes++;
		f = &fb->frame[pos];
		memset(f, 0, sizeof(*f));
		f->uts = uts;
		f->min_useq = f->max_useq = useq;
		f->picture_id = -1;
		f->first_arrival_us = f->last_arrival_us = pi->arrival_us;
	}
	fb_note_arrival(fb, uts, pi->arrival_us);

	s->used = true;
	s->useq = useq;
	s->uts = uts;
	s->marker = pi->marker;
	s->frame_start = pi->frame_start;
	s->keyframe = pi->keyframe;
	s->picture_id = pi->picture_id;
	s->capture_us = pi->capture_us;
	s->arrival_us = pi->arrival_us;
	s->len = len;
	if (len)
		memcpy(s->data, data, len);

	f->npkts++;
	f->bytes += len;
	if (useq < f->min_useq)
		f->min_useq = useq;
	if (useq > f->max_useq)
		f->max_useq = useq;
	if (pi->arrival_us < f->first_arrival_us)
		f->first_arrival_us = pi->arrival_us;
	if (pi->arrival_us > f->last_arrival_us)
		f->last_arrival_us = pi->arrival_us;
	if (pi->frame_start) {
		f->has_start = true;
		f->start_useq = useq;
		f->keyframe = pi->keyframe;
		f->picture_id = pi->picture_id < 0 ? -1 : (pi->picture_id & FB_PID_MASK);
		f->capture_us = pi->capture_us;
	}
	if (pi->marker) {
		f->has_end = true;
		f->end_useq = useq;
	}
	return res;
}

/* Copy frame[pos] out; false if the caller's buffer is too small. */
static bool fb_copy_out(struct vc_framebuf *fb, const struct fb_frame *fr, struct vc_fb_frame *f)
{
	size_t off = 0;

	if (!f->data || fr->bytes > f->cap)
		return false;
	for (int64_t q = fr->start_useq; q <= fr->end_useq; q++) {
		const struct fb_slot *s = &fb->slot[fb_slot_index(fb, q)];

		/* completeness guarantees these; never trust it blindly */
		if (!s->used || s->useq != q || s->len > f->cap - off)
			return false;
		memcpy(f->data + off, s->data, s->len);
		off += s->len;
	}
	f->len = off;
	return true;
}

int vc_framebuf_get(struct vc_framebuf *fb, uint64_t now_us, struct vc_fb_frame *f)
{
	int64_t now = fb_clamp_us(now_us);

	while (fb->nframes > 0) {
		const struct fb_frame *f0 = &fb->frame[0];
		struct fb_frame fr;
		bool gap;

		if (!fb_complete(f0)) {
			uint32_t k = 1;

			while (k < fb->nframes && !fb_complete(&fb->frame[k]))
				k++;
			if (k < fb->nframes && now >= fb_render_us(fb, fb->frame[k].uts)) {
				/* a newer frame is ready: stop waiting for older ones */
				while (k-- > 0) {
					fb_mark_done(fb, fb->frame[0].uts);
					fb_give_up(fb, 0);
				}
				continue;
			}
			if (now - fb_render_us(fb, f0->uts) > FB_STALL_US) {
				fb_mark_done(fb, f0->uts);
				fb_give_up(fb, 0);
				continue;
			}
			return 0;
		}
		if (now < fb_render_us(fb, f0->uts))
			return 0;

		fr = *f0;
		fb_mark_done(fb, fr.uts);
		if (!fb_copy_out(fb, &fr, f)) {
			fb_give_up(fb, 0);
			continue;
		}
		fb_remove_frame(fb, 0);

		gap = fb->pending_gap;
		if (fb->have_gap_mark && fr.uts > fb->gap_mark_uts) {
			gap = true;
			fb->have_gap_mark = false;
		}
		if (fb->have_prev) {
			if (fr.picture_id >= 0 && fb->prev_pid >= 0)
				gap |= fr.picture_id != ((fb->prev_pid + 1) & FB_PID_MASK);
			else
				gap |= (uint16_t)fr.start_useq != (uint16_t)(fb->prev_last_seq + 1);
		}
		fb->pending_gap = false;
		fb->have_prev = true;
		fb->prev_pid = fr.picture_id;
		fb->prev_last_seq = (uint16_t)fr.end_useq;

		f->ts = (uint32_t)fr.uts;
		f->keyframe = fr.keyframe;
		f->picture_id = fr.picture_id;
		f->gap_before = gap;
		f->first_seq = (uint16_t)fr.start_useq;
		f->last_seq = (uint16_t)fr.end_useq;
		f->capture_us = fr.capture_us;
		f->first_arrival_us = fr.first_arrival_us;
		f->last_arrival_us = fr.last_arrival_us;
		{
			int64_t r = fb_render_us(fb, fr.uts);

			f->render_us = r < 0 ? 0 : (uint64_t)r;
		}
		return 1;
	}
	return 0;
}

uint64_t vc_framebuf_next_due(const struct vc_framebuf *fb)
{
	for (uint32_t i = 0; i < fb->nframes; i++) {
		if (fb_complete(&fb->frame[i])) {
			int64_t r = fb_render_us(fb, fb->frame[i].uts);

			return r < 0 ? 0 : (uint64_t)r;
		}
	}
	return UINT64_MAX;
}

uint64_t vc_framebuf_dropped(const struct vc_framebuf *fb)
{
	return fb->dropped;
}

void vc_framebuf_set_target_ms(struct vc_framebuf *fb, uint32_t target_ms)
{
	fb->cfg.target_ms = target_ms > FB_MAX_TARGET_MS ? FB_MAX_TARGET_MS : target_ms;
}

uint32_t vc_framebuf_target_ms(const struct vc_framebuf *fb)
{
	return fb->cfg.target_ms;
}
