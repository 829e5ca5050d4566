/* vc_jb.c - audio jitter buffer with a fixed target delay.
 *
 * Packets live in preallocated slots; order[] keeps the used slot indices
 * sorted by unwrapped RTP timestamp (order[0] is the oldest), so insertion
 * is a binary search plus a short memmove and the head is O(1).
 *
 * Timing: transit = arrival_us - rtp_us(uts); baseline = min transit;
 * due(uts) = rtp_us(uts) + baseline + target.  Everything that decides the
 * delay goes through jb_note_arrival() (transit bookkeeping, where a delay
 * histogram will go) and jb_target_us() (the one place the target is read),
 * so the adaptive version changes those two functions.
 *
 * Playout: once started, next_uts is the timestamp the caller plays next;
 * packets with uts < next_uts are LATE (or DUPLICATE if they were played).
 */
#include "vc_jb.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vc_seq.h"

#define JB_MAX_SLOTS 4096u
#define JB_MAX_PAYLOAD 65536u
#define JB_MAX_TARGET_MS 10000u
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
	/* transit bookkeeping (see jb_note_arrival) */
	bool have_base;
	int64_t base_transit_us;
	int64_t last_transit_us;

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
	return (int64_t)jb->cfg.target_ms * 1000;
}

/* Record one arrival.  The fixed-delay version only needs the minimum
 * transit; the adaptive one will feed transit - baseline into a histogram
 * here. */
static void jb_note_arrival(struct vc_jb *jb, int64_t uts, uint64_t arrival_us)
{
	int64_t transit = jb_clamp_us(arrival_us) - jb_rtp_us(jb, uts);

	jb->last_transit_us = transit;
	if (!jb->have_base || transit < jb->base_transit_us) {
		jb->base_transit_us = transit;
		jb->have_base = true;
	}
}

static int64_t jb_due_us(const struct vc_jb *jb, int64_t uts)
{
	return jb_rtp_us(jb, uts) + jb->base_transit_us + jb_target_us(jb);
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

	if (!out || !cfg || cfg->clock_rate < JB_MIN_RATE || cfg->clock_rate > JB_MAX_RATE ||
	    cfg->slots < 1 || cfg->slots > JB_MAX_SLOTS || cfg->max_payload < 1 ||
	    cfg->max_payload > JB_MAX_PAYLOAD || cfg->target_ms > JB_MAX_TARGET_MS)
		return -EINVAL;
	jb = calloc(1, sizeof(*jb));
	if (!jb) {
		err = -ENOMEM;
		goto out;
	}
	jb->cfg = *cfg;
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
	free(jb);
}

void vc_jb_reset(struct vc_jb *jb)
{
	jb->count = 0;
	jb->nfree = jb->cfg.slots;
	for (uint32_t i = 0; i < jb->cfg.slots; i++)
		jb->free[i] = jb->cfg.slots - 1 - i;
	memset(&jb->ts_unwrap, 0, sizeof(jb->ts_unwrap));
	jb->have_base = false;
	jb->base_transit_us = 0;
	jb->last_transit_us = 0;
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
		jb_note_arrival(jb, uts, arrival_us);
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
	jb_note_arrival(jb, uts, arrival_us);

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

enum vc_jb_get_result vc_jb_get(struct vc_jb *jb, uint64_t now_us, uint32_t samples,
				struct vc_jb_pkt *out)
{
	int64_t now = jb_clamp_us(now_us);
	const struct jb_slot *head;

	assert(samples > 0);
	memset(out, 0, sizeof(*out));
	if (!jb->started) {
		if (jb->count == 0)
			return VC_JB_NOT_YET;
		head = &jb->slot[jb->order[0]];
		if (now < jb_due_us(jb, head->uts))
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
		if (head->uts != jb->next_uts &&
		    head->uts - jb->next_uts > (int64_t)jb->cfg.clock_rate * JB_RESYNC_S &&
		    now >= jb_due_us(jb, jb->next_uts)) {
			/* Long gap with media waiting beyond it: jump there
			 * rather than conceal a second or more step by step. */
			jb->next_uts = head->uts;
		}
		if (head->uts == jb->next_uts) {
			if (now < jb_due_us(jb, head->uts))
				return VC_JB_NOT_YET;
			out->ts = (uint32_t)head->uts;
			out->playout_us = jb_due_out(jb, head->uts);
			jb_fill(jb, head, out);
			jb_mark_played(jb, head->uts);
			jb_remove_at(jb, 0);
			jb->next_uts += samples;
			return VC_JB_PACKET;
		}
	}

	if (now < jb_due_us(jb, jb->next_uts))
		return VC_JB_NOT_YET;
	out->ts = (uint32_t)jb->next_uts;
	out->playout_us = jb_due_out(jb, jb->next_uts);
	if (jb->count > 0) {
		head = &jb->slot[jb->order[0]];
		if (head->uts == jb->next_uts + samples) {
			/* Opus in-band FEC of the lost packet rides in the next */
			jb_fill(jb, head, out);
			out->fec_candidate = true;
		}
	}
	jb->next_uts += samples;
	return VC_JB_MISSING;
}

size_t vc_jb_count(const struct vc_jb *jb)
{
	return jb->count;
}

double vc_jb_delay_ms(const struct vc_jb *jb, uint64_t now_us)
{
	int64_t wait;

	if (jb->count == 0)
		return 0.0;
	wait = jb_due_us(jb, jb->slot[jb->order[jb->count - 1]].uts) - jb_clamp_us(now_us);
	return wait > 0 ? (double)wait / 1000.0 : 0.0;
}

uint32_t vc_jb_target_ms(const struct vc_jb *jb)
{
	return jb->cfg.target_ms;
}

void vc_jb_set_target_ms(struct vc_jb *jb, uint32_t target_ms)
{
	jb->cfg.target_ms = target_ms > JB_MAX_TARGET_MS ? JB_MAX_TARGET_MS : target_ms;
}
