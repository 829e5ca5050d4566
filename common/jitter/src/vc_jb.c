/* vc_jb.c - adaptive audio jitter buffer (see vc_jb.h for the model).
 *
 * Packets live in preallocated slots; order[] keeps the used slot indices
 * sorted by unwrapped RTP timestamp (order[0] is the oldest), so insertion
 * is a binary search plus a short memmove and the head is O(1).
 *
 * Timing: every arrival goes to the vc_delay estimator, whose fastest
 * packet of the last window is the reference; jb_ref_us() turns it into
 * "transit" on this buffer's own unwrapped timeline (the two unwrap
 * independently, so the reference is carried as a 32-bit timestamp and
 * compared with serial arithmetic).
 *
 * Playout: once started, next_uts is the timestamp the caller plays next;
 * packets with uts < next_uts are LATE (or DUPLICATE if they were played).
 */
#include "vc_jb.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vc_delay.h"
#include "vc_seq.h"

#define JB_MAX_SLOTS 4096u
#define JB_MAX_PAYLOAD 65536u
#define JB_MAX_TARGET_MS 10000u
#define JB_DEF_PACKET_MS 20u
#define JB_DEF_CEILING_MS 500u
#define JB_MIN_RATE 1000u
#define JB_MAX_RATE 1000000u
/* A gap this long (in seconds of RTP time) with packets buffered beyond it
 * is a sender restart or a pause, not loss: jump instead of concealing. */
#define JB_RESYNC_S 1
/* This many packets in a row more than JB_RESYNC_S behind the playout point
 * means the sender's timestamps went backwards: start over. */
#define JB_RESTART_LATE 3
/* Recently played timestamps remembered to tell duplicates from late. */
#define JB_HIST 32
/* Keep all microsecond arithmetic far from int64 overflow whatever
 * timestamps a hostile peer sends (2^48 ticks is years of media). */
#define JB_US_LIMIT ((int64_t)1 << 60)

struct jb_slot {
	int64_t uts;
	uint64_t arrival_us;
	uint8_t *data;
	size_t len;
	uint16_t seq;
};

struct vc_jb {
	struct vc_jb_cfg cfg;
	struct jb_slot *slot;
	uint32_t *order;  /* used slots, sorted by uts */
	uint32_t *free;   /* stack of unused slot indices */
	uint32_t count;
	uint32_t nfree;
	uint8_t *pool;

	struct vc_unwrap ts_unwrap;
	struct vc_delay *delay;   /* reference and adaptive target */
	uint32_t extra_ms;        /* lip sync */
	/* the last reference seen, kept when the window empties (a pause) */
	bool have_base;
	int64_t base_transit_us;
	uint64_t skipped;
	bool have_seq;
	uint16_t last_seq;        /* of the last packet played */

	bool started;
	int64_t next_uts;
	uint32_t far_late; /* consecutive packets far behind next_uts */
	int64_t hist[JB_HIST]; /* uts of recently played packets */
	uint32_t hist_pos, hist_len;
};

/* RTP ticks -> microseconds (vc_seq.h: floor division, clamped). */
static int64_t jb_rtp_us(const struct vc_jb *jb, int64_t uts)
{
	return vc_ts_to_us(uts, jb->cfg.clock_rate);
}

static int64_t jb_clamp_us(uint64_t us)
{
	return us > (uint64_t)JB_US_LIMIT ? JB_US_LIMIT : (int64_t)us;
}

static int64_t jb_target_us(const struct vc_jb *jb)
{
	uint32_t t = jb->cfg.target_ms ? jb->cfg.target_ms : vc_delay_target_ms(jb->delay);

	if (!jb->cfg.target_ms && t < jb->cfg.floor_ms)
		t = jb->cfg.floor_ms;

	return ((int64_t)t + jb->extra_ms) * 1000;
}

/* Record one arrival: the estimator learns from it, and the reference
 * (fastest recent packet) is re-read in this buffer's timeline. */
static void jb_note_arrival(struct vc_jb *jb, uint32_t ts, uint64_t arrival_us)
{
	uint32_t ref_ts;
	uint64_t ref_arrival;

	vc_delay_update(jb->delay, ts, arrival_us);
	if (vc_delay_fastest(jb->delay, &ref_ts, &ref_arrival)) {
		int64_t ref_uts = vc_unwrap32_peek(&jb->ts_unwrap, ref_ts);

		jb->base_transit_us = jb_clamp_us(ref_arrival) - jb_rtp_us(jb, ref_uts);
		jb->have_base = true;
	}
}

static int64_t jb_due_us(const struct vc_jb *jb, int64_t uts)
{
	return jb_rtp_us(jb, uts) + jb->base_transit_us + jb_target_us(jb);
}

/* Heard at play, this packet would be more than the ceiling above the
 * fastest packet's schedule. */
static bool jb_stale(const struct vc_jb *jb, const struct jb_slot *sl, int64_t play)
{
	return play - (jb_rtp_us(jb, sl->uts) + jb->base_transit_us) > (int64_t)jb->cfg.ceiling_ms * 1000;
}

static uint64_t jb_due_out(const struct vc_jb *jb, int64_t uts)
{
	int64_t d = jb_due_us(jb, uts);

	return d < 0 ? 0 : (uint64_t)d;
}

int vc_jb_new(struct vc_jb **out, const struct vc_jb_cfg *cfg)
{
	struct vc_jb *jb = NULL;
	int err = 0;

	struct vc_delay_cfg dc = { 0 };

	if (!out || !cfg || cfg->clock_rate < JB_MIN_RATE || cfg->clock_rate > JB_MAX_RATE ||
	    cfg->slots < 1 || cfg->slots > JB_MAX_SLOTS || cfg->max_payload < 1 ||
	    cfg->max_payload > JB_MAX_PAYLOAD || cfg->target_ms > JB_MAX_TARGET_MS ||
	    cfg->ceiling_ms > JB_MAX_TARGET_MS || cfg->floor_ms > JB_MAX_TARGET_MS ||
	    (cfg->ceiling_ms && cfg->floor_ms > cfg->ceiling_ms) ||
	    (!cfg->ceiling_ms && cfg->floor_ms > JB_DEF_CEILING_MS))
		return -EINVAL;
	jb = calloc(1, sizeof(*jb));
	if (!jb) {
		err = -ENOMEM;
		goto out;
	}
	jb->cfg = *cfg;
	if (!jb->cfg.packet_ms)
		jb->cfg.packet_ms = JB_DEF_PACKET_MS;
	if (!jb->cfg.ceiling_ms)
		jb->cfg.ceiling_ms = JB_DEF_CEILING_MS;
	dc.clock_rate = cfg->clock_rate;
	dc.packet_ms = jb->cfg.packet_ms;
	dc.ceiling_ms = jb->cfg.ceiling_ms;
	err = vc_delay_new(&jb->delay, &dc);
	if (err)
		goto out;
	jb->slot = calloc(cfg->slots, sizeof(*jb->slot));
	jb->order = calloc(cfg->slots, sizeof(*jb->order));
	jb->free = calloc(cfg->slots, sizeof(*jb->free));
	jb->pool = malloc((size_t)cfg->slots * cfg->max_payload);
	if (!jb->slot || !jb->order || !jb->free || !jb->pool) {
		err = -ENOMEM;
		goto out;
	}
	for (uint32_t i = 0; i < cfg->slots; i++)
		jb->slot[i].data = jb->pool + (size_t)i * cfg->max_payload;
	vc_jb_reset(jb);
	*out = jb;
	jb = NULL;
out:
	vc_jb_free(jb);
	return err;
}

void vc_jb_free(struct vc_jb *jb)
{
	if (!jb)
		return;
	free(jb->pool);
	free(jb->free);
	free(jb->order);
	free(jb->slot);
	vc_delay_free(jb->delay);
	free(jb);
}

void vc_jb_reset(struct vc_jb *jb)
{
	jb->count = 0;
	jb->nfree = jb->cfg.slots;
	for (uint32_t i = 0; i < jb->cfg.slots; i++)
		jb->free[i] = jb->cfg.slots - 1 - i;
	memset(&jb->ts_unwrap, 0, sizeof(jb->ts_unwrap));
	vc_delay_reset(jb->delay);
	jb->have_base = false;
	jb->base_transit_us = 0;
	jb->have_seq = false;
	jb->started = false;
	jb->next_uts = 0;
	jb->far_late = 0;
	jb->hist_pos = 0;
	jb->hist_len = 0;
}

/* Position in order[] of the first packet with uts >= key. */
static uint32_t jb_lower_bound(const struct vc_jb *jb, int64_t key)
{
	uint32_t lo = 0, hi = jb->count;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (jb->slot[jb->order[mid]].uts < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Remove order[pos]; its slot goes back on the free stack but keeps its
 * bytes until the next put, which is what vc_jb_get's out->data relies on. */
static void jb_remove_at(struct vc_jb *jb, uint32_t pos)
{
	uint32_t idx = jb->order[pos];

	memmove(&jb->order[pos], &jb->order[pos + 1], (jb->count - pos - 1) * sizeof(*jb->order));
	jb->count--;
	jb->free[jb->nfree++] = idx;
}

static bool jb_was_played(const struct vc_jb *jb, int64_t uts)
{
	for (uint32_t i = 0; i < jb->hist_len; i++)
		if (jb->hist[i] == uts)
			return true;
	return false;
}

static void jb_mark_played(struct vc_jb *jb, int64_t uts)
{
	jb->hist[jb->hist_pos] = uts;
	jb->hist_pos = (jb->hist_pos + 1) % JB_HIST;
	if (jb->hist_len < JB_HIST)
		jb->hist_len++;
}

enum vc_jb_put_result vc_jb_put(struct vc_jb *jb, uint16_t seq, uint32_t ts,
				const uint8_t *payload, size_t len, uint64_t arrival_us)
{
	enum vc_jb_put_result res = VC_JB_STORED;
	int64_t uts;
	uint32_t pos, idx;
	struct jb_slot *s;

	if (len > jb->cfg.max_payload)
		return VC_JB_TOO_BIG;
	uts = vc_unwrap32(&jb->ts_unwrap, ts);

	if (jb->started && uts < jb->next_uts) {
		if (jb_was_played(jb, uts)) {
			jb->far_late = 0;
			return VC_JB_DUPLICATE;
		}
		jb_note_arrival(jb, ts, arrival_us);
		if (jb->next_uts - uts <= (int64_t)jb->cfg.clock_rate * JB_RESYNC_S) {
			jb->far_late = 0;
			return VC_JB_LATE;
		}
		/* Far behind: one such packet is a straggler, several in a row
		 * mean the sender's timestamps jumped back (restart). */
		if (++jb->far_late < JB_RESTART_LATE)
			return VC_JB_LATE;
		vc_jb_reset(jb);
		uts = vc_unwrap32(&jb->ts_unwrap, ts);
	}
	jb->far_late = 0;

	pos = jb_lower_bound(jb, uts);
	if (pos < jb->count && jb->slot[jb->order[pos]].uts == uts)
		return VC_JB_DUPLICATE;
	jb_note_arrival(jb, ts, arrival_us);

	if (jb->nfree == 0) {
		/* Full: the oldest goes.  If that is the newcomer itself, it
		 * is simply not stored. */
		res = VC_JB_OVERFLOW;
		if (pos == 0)
			return res;
		jb_remove_at(jb, 0);
		pos--;
	}
	idx = jb->free[--jb->nfree];
	s = &jb->slot[idx];
	s->uts = uts;
	s->seq = seq;
	s->arrival_us = arrival_us;
	s->len = len;
	if (len)
		memcpy(s->data, payload, len);
	memmove(&jb->order[pos + 1], &jb->order[pos], (jb->count - pos) * sizeof(*jb->order));
	jb->order[pos] = idx;
	jb->count++;
	return res;
}

static void jb_fill(const struct vc_jb *jb, const struct jb_slot *s, struct vc_jb_pkt *out)
{
	out->seq = s->seq;
	out->data = s->data;
	out->len = s->len;
	out->arrival_us = s->arrival_us;
}

/* Hand out the head packet (which is next_uts) and advance. */
static enum vc_jb_get_result jb_take_head(struct vc_jb *jb, uint32_t samples, struct vc_jb_pkt *out)
{
	const struct jb_slot *head = &jb->slot[jb->order[0]];

	out->ts = (uint32_t)head->uts;
	out->playout_us = jb_due_out(jb, head->uts);
	jb_fill(jb, head, out);
	jb_mark_played(jb, head->uts);
	jb->last_seq = head->seq;
	jb->have_seq = true;
	jb_remove_at(jb, 0);
	jb->next_uts += samples;
	return VC_JB_PACKET;
}

enum vc_jb_get_result vc_jb_get(struct vc_jb *jb, uint64_t play_in_us, uint32_t samples,
				struct vc_jb_pkt *out)
{
	int64_t play = jb_clamp_us(play_in_us);
	const struct jb_slot *head;

	assert(samples > 0);
	memset(out, 0, sizeof(*out));
	/* Packets more than the ceiling behind (a backlog after a stall, or
	 * a sender that jumped ahead) are skipped while later ones wait:
	 * one audible step instead of seconds of extra delay.  The timeline
	 * then goes on from the first packet kept, which plays once due. */
	while (jb->count > 1 && jb_stale(jb, &jb->slot[jb->order[0]], play)) {
		int64_t after = jb->slot[jb->order[0]].uts + samples;

		jb->skipped++;
		jb_remove_at(jb, 0);
		if (jb->started && after > jb->next_uts)
			jb->next_uts = after;
	}
	if (!jb->started) {
		if (jb->count == 0)
			return VC_JB_NOT_YET;
		head = &jb->slot[jb->order[0]];
		if (play < jb_due_us(jb, head->uts))
			return VC_JB_NOT_YET;
		jb->started = true;
		jb->next_uts = head->uts;
	}

	/* Packets between playout steps (caller's step does not match the
	 * sender's packet duration) can never be played: drop them. */
	while (jb->count > 0 && jb->slot[jb->order[0]].uts < jb->next_uts)
		jb_remove_at(jb, 0);

	if (jb->count > 0) {
		head = &jb->slot[jb->order[0]];
		if (head->uts == jb->next_uts)
			return jb_take_head(jb, samples, out);
		/* Long gap with media waiting beyond it (a sender restart or
		 * a pause): jump there once it is due rather than conceal a
		 * second or more step by step. */
		if (head->uts - jb->next_uts > (int64_t)jb->cfg.clock_rate * JB_RESYNC_S) {
			if (play < jb_due_us(jb, head->uts))
				return VC_JB_UNDERRUN;
			jb->next_uts = head->uts;
			return jb_take_head(jb, samples, out);
		}
		if (jb->have_seq && head->seq == (uint16_t)(jb->last_seq + 1)) {
			/* No sequence gap: the sender did not send (DTX). */
			if (play >= jb_due_us(jb, head->uts)) {
				jb->next_uts = head->uts;
				return jb_take_head(jb, samples, out);
			}
			out->ts = (uint32_t)jb->next_uts;
			out->playout_us = jb_due_out(jb, jb->next_uts);
			return VC_JB_DTX;
		}
		/* A sequence gap: lost once it is past due (a reordered packet
		 * still has until then).  If the packet after the gap is due
		 * too (an outage: what was lost has been covered by UNDERRUN
		 * concealment already), go straight to it. */
		if (play < jb_due_us(jb, jb->next_uts))
			return VC_JB_UNDERRUN;
		if (play >= jb_due_us(jb, head->uts)) {
			jb->next_uts = head->uts;
			return jb_take_head(jb, samples, out);
		}
		out->ts = (uint32_t)jb->next_uts;
		out->playout_us = jb_due_out(jb, jb->next_uts);
		if (head->uts == jb->next_uts + samples) {
			/* Opus in-band FEC of the lost packet rides in the next */
			jb_fill(jb, head, out);
			out->fec_candidate = true;
		}
		jb->next_uts += samples;
		return VC_JB_MISSING;
	}
	return VC_JB_UNDERRUN;
}

size_t vc_jb_count(const struct vc_jb *jb)
{
	return jb->count;
}

double vc_jb_delay_ms(const struct vc_jb *jb, uint64_t play_us)
{
	int64_t d;

	if (!jb->started || !jb->have_base)
		return 0.0;
	d = jb_clamp_us(play_us) - jb_rtp_us(jb, jb->next_uts) - jb->base_transit_us;
	return (double)d / 1000.0;
}

uint32_t vc_jb_target_ms(const struct vc_jb *jb)
{
	return (uint32_t)(jb_target_us(jb) / 1000);
}

void vc_jb_set_target_ms(struct vc_jb *jb, uint32_t target_ms)
{
	jb->cfg.target_ms = target_ms > JB_MAX_TARGET_MS ? JB_MAX_TARGET_MS : target_ms;
}

void vc_jb_set_extra_ms(struct vc_jb *jb, uint32_t extra_ms)
{
	jb->extra_ms = extra_ms > jb->cfg.ceiling_ms ? jb->cfg.ceiling_ms : extra_ms;
}

double vc_jb_variation_ms(const struct vc_jb *jb)
{
	return vc_delay_percentile_ms(jb->delay);
}

uint64_t vc_jb_skipped(const struct vc_jb *jb)
{
	return jb->skipped;
}

bool vc_jb_ref_transit_us(const struct vc_jb *jb, int64_t *transit_us)
{
	if (!jb->have_base)
		return false;
	*transit_us = jb->base_transit_us;
	return true;
}
