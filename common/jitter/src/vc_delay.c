/* vc_delay.c - target-delay estimator (see vc_delay.h for the model).
 *
 * Two pieces of state:
 *  - win[]: a sliding-window minimum of transit times over the last
 *    window_ms of arrivals, kept as a monotone deque in a fixed ring (front
 *    = oldest = smallest transit).  Arrivals are made monotone first, so
 *    expiry only ever pops the front.
 *  - hist[]: the exponentially forgotten histogram of relative delays.  It
 *    sums to 1 - f^n after n packets and the percentile is taken of that
 *    total, so a young histogram is simply the weighted average of the few
 *    packets seen (no start-up bias towards zero).  The percentile is
 *    recomputed after each packet (a hundred buckets at 50 packets/s) so
 *    the getters are O(1).
 */
#include "vc_delay.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "vc_seq.h"

#define DL_MIN_RATE 1000u
#define DL_MAX_RATE 1000000u
#define DL_MAX_CEILING_MS 10000u
#define DL_MAX_BUCKET_MS 100u
#define DL_MAX_BUCKETS 2048u
#define DL_MAX_SPAN_MS 60000u
/* Window ring: room for four times the packets a window normally holds
 * (a monotone deque holds fewer), bounded whatever the configuration. */
#define DL_WIN_MIN 64u
#define DL_WIN_MAX 4096u
/* Microsecond arithmetic stays far from int64 overflow (vc_jb does the same). */
#define DL_US_LIMIT ((int64_t)1 << 60)
/* Buckets that have decayed below this are zeroed so that years of
 * forgetting never produce subnormal floats. */
#define DL_TINY 1e-30

#define DL_DEF_CEILING_MS 500u
#define DL_DEF_BUCKET_MS 5u
#define DL_DEF_MEMORY_MS 1500u
#define DL_DEF_WINDOW_MS 2000u
#define DL_DEF_RESET_MS 2000u
#define DL_DEF_QUANTILE 0.95
/* A transit step must be confirmed by this many packets in a row before the
 * reference restarts: one bogus or straggling packet moves nothing. */
#define DL_STEP_PACKETS 3

struct dl_win_entry {
	int64_t arrival_us;
	int64_t transit_us;
	uint32_t rtp_ts;
};

struct vc_delay {
	struct vc_delay_cfg cfg;  /* defaults filled in */
	double forget;            /* per-packet forget factor f */
	uint32_t nbuckets;        /* the top one holds everything >= its start */
	double *hist;

	struct dl_win_entry *win;
	uint32_t win_cap, win_head, win_len;

	struct vc_unwrap unwrap;
	bool have_ref;            /* at least one packet since the last reset */
	int64_t last_arrival_us;
	int64_t highest_uts;

	double pct_ms;
	uint32_t target_ms;
	struct vc_delay_stats st;
	/* packets in a row far from the reference and agreeing with each
	 * other: only DL_STEP_PACKETS of them restart it */
	uint32_t step_n;
	int64_t step_transit_us;
};

static int64_t dl_clamp_us(uint64_t us)
{
	return us > (uint64_t)DL_US_LIMIT ? DL_US_LIMIT : (int64_t)us;
}

static struct dl_win_entry *dl_win_at(struct vc_delay *d, uint32_t i)
{
	return &d->win[(d->win_head + i) % d->win_cap];
}

static void dl_win_clear(struct vc_delay *d)
{
	d->win_head = 0;
	d->win_len = 0;
}

static void dl_win_pop_front(struct vc_delay *d)
{
	d->win_head = (d->win_head + 1) % d->win_cap;
	d->win_len--;
}

/* Drop entries that arrived more than window_ms before now. */
static void dl_win_expire(struct vc_delay *d, int64_t now_us)
{
	int64_t horizon = now_us - (int64_t)d->cfg.window_ms * 1000;

	while (d->win_len && dl_win_at(d, 0)->arrival_us < horizon)
		dl_win_pop_front(d);
}

/* Push (arrival, transit) and return the window minimum, this one included.
 * Entries behind it with a transit >= its own can never be the minimum
 * again.  A full ring (only a flood of ever-slower packets does that) loses
 * its oldest entry, which can only make the reference slightly later. */
static int64_t dl_win_push(struct vc_delay *d, int64_t arrival_us, int64_t transit_us,
			   uint32_t rtp_ts)
{
	struct dl_win_entry *e;

	while (d->win_len && dl_win_at(d, d->win_len - 1)->transit_us >= transit_us)
		d->win_len--;
	if (d->win_len == d->win_cap)
		dl_win_pop_front(d);
	e = dl_win_at(d, d->win_len);
	e->arrival_us = arrival_us;
	e->transit_us = transit_us;
	e->rtp_ts = rtp_ts;
	d->win_len++;
	return dl_win_at(d, 0)->transit_us;
}

static int64_t dl_transit_us(const struct vc_delay *d, int64_t uts, int64_t arrival_us)
{
	return arrival_us - vc_ts_to_us(uts, d->cfg.clock_rate);
}

/* Percentile of the histogram in ms: the bucket where the cumulative
 * weight reaches quantile * total, interpolated as if the bucket's weight
 * were spread evenly over it.  The top bucket reads as the ceiling. */
static double dl_percentile(const struct vc_delay *d)
{
	double total = 0, need, cum = 0, b = d->cfg.bucket_ms;

	for (uint32_t k = 0; k < d->nbuckets; k++)
		total += d->hist[k];
	if (total <= 0)
		return 0;
	need = d->cfg.quantile * total;
	for (uint32_t k = 0; k + 1 < d->nbuckets; k++) {
		double h = d->hist[k];

		if (h > 0 && cum + h >= need) {
			double v = k * b + b * (need - cum) / h;

			return v < d->cfg.ceiling_ms ? v : d->cfg.ceiling_ms;
		}
		cum += h;
	}
	return d->cfg.ceiling_ms;
}

static uint32_t dl_target(const struct vc_delay *d, double pct_ms)
{
	/* Round up (the buffer should hold the whole percentile), ignoring
	 * float noise just above a whole millisecond. */
	double up = ceil(pct_ms - 1e-6);

	if (up <= d->cfg.packet_ms)
		return d->cfg.packet_ms;
	if (up >= d->cfg.ceiling_ms)
		return d->cfg.ceiling_ms;
	return (uint32_t)up;
}

static void dl_hist_add(struct vc_delay *d, int64_t rel_us)
{
	int64_t width_us = (int64_t)d->cfg.bucket_ms * 1000;
	int64_t k = rel_us / width_us;

	d->st.packets++;
	if (k > (int64_t)d->nbuckets - 1)
		k = d->nbuckets - 1;
	for (uint32_t i = 0; i < d->nbuckets; i++) {
		d->hist[i] *= d->forget;
		if (d->hist[i] < DL_TINY)
			d->hist[i] = 0;
	}
	d->hist[k] += 1.0 - d->forget;
	d->pct_ms = dl_percentile(d);
	d->target_ms = dl_target(d, d->pct_ms);
}

/* Start the reference again from this packet; it teaches nothing about
 * the network, so the histogram is left alone. */
static void dl_restart_ref(struct vc_delay *d, uint32_t rtp_ts, int64_t arrival_us)
{
	int64_t uts;

	d->step_n = 0;
	memset(&d->unwrap, 0, sizeof(d->unwrap));
	uts = vc_unwrap32(&d->unwrap, rtp_ts);
	dl_win_clear(d);
	dl_win_push(d, arrival_us, dl_transit_us(d, uts, arrival_us), rtp_ts);
	d->highest_uts = uts;
	d->last_arrival_us = arrival_us;
	d->st.last_rel_ms = 0;
}

void vc_delay_update(struct vc_delay *d, uint32_t rtp_ts, uint64_t arrival_in_us)
{
	int64_t arrival_us = dl_clamp_us(arrival_in_us);
	int64_t reset_us, uts, transit, diff, ref, rel;

	assert(d);
	reset_us = (int64_t)d->cfg.reset_ms * 1000;
	if (d->have_ref && arrival_us < d->last_arrival_us) {
		d->st.clock_back++;
		if (d->last_arrival_us - arrival_us > reset_us) {
			d->st.resets++;
			dl_restart_ref(d, rtp_ts, arrival_us);
			return;
		}
		arrival_us = d->last_arrival_us;
	}
	if (d->have_ref)
		dl_win_expire(d, arrival_us);
	/* The first packet, or the first after a pause longer than window_ms
	 * (empty window), has nothing to compare with: it is the reference,
	 * on time by definition. */
	if (!d->have_ref || !d->win_len) {
		d->have_ref = true;
		dl_restart_ref(d, rtp_ts, arrival_us);
		dl_hist_add(d, 0);
		return;
	}
	uts = vc_unwrap32_peek(&d->unwrap, rtp_ts);
	transit = dl_transit_us(d, uts, arrival_us);
	diff = transit - dl_win_at(d, 0)->transit_us;
	if (diff > reset_us || diff < -reset_us) {
		int64_t sd = transit - d->step_transit_us;

		if (d->step_n && (sd > reset_us || sd < -reset_us))
			d->step_n = 0;
		if (d->step_n++ == 0)
			d->step_transit_us = transit;
		if (d->step_n < DL_STEP_PACKETS) {
			d->st.ignored++;
			return;
		}
		d->st.resets++;
		dl_restart_ref(d, rtp_ts, arrival_us);
		return;
	}
	d->step_n = 0;
	vc_unwrap32(&d->unwrap, rtp_ts);
	d->last_arrival_us = arrival_us;
	if (uts < d->highest_uts)
		d->st.reordered++;
	else
		d->highest_uts = uts;
	ref = dl_win_push(d, arrival_us, transit, rtp_ts);
	rel = transit - ref;
	if (rel >= (int64_t)d->cfg.ceiling_ms * 1000)
		d->st.over_ceiling++;
	d->st.last_rel_ms = (double)rel / 1000.0;
	dl_hist_add(d, rel);
}

uint32_t vc_delay_target_ms(const struct vc_delay *d)
{
	assert(d);
	return d->target_ms;
}

bool vc_delay_fastest(const struct vc_delay *d, uint32_t *rtp_ts, uint64_t *arrival_us)
{
	const struct dl_win_entry *e;

	assert(d && rtp_ts && arrival_us);
	if (!d->have_ref || !d->win_len)
		return false;
	e = &d->win[d->win_head];
	*rtp_ts = e->rtp_ts;
	*arrival_us = (uint64_t)e->arrival_us;
	return true;
}

double vc_delay_percentile_ms(const struct vc_delay *d)
{
	assert(d);
	return d->pct_ms;
}

void vc_delay_stats(const struct vc_delay *d, struct vc_delay_stats *st)
{
	assert(d && st);
	*st = d->st;
}

void vc_delay_reset(struct vc_delay *d)
{
	assert(d);
	memset(d->hist, 0, d->nbuckets * sizeof(*d->hist));
	dl_win_clear(d);
	memset(&d->unwrap, 0, sizeof(d->unwrap));
	d->have_ref = false;
	d->last_arrival_us = 0;
	d->highest_uts = 0;
	d->pct_ms = 0;
	d->target_ms = d->cfg.packet_ms;
	memset(&d->st, 0, sizeof(d->st));
}

static int dl_cfg_fill(struct vc_delay_cfg *c, const struct vc_delay_cfg *in)
{
	*c = *in;
	if (!c->ceiling_ms)
		c->ceiling_ms = DL_DEF_CEILING_MS;
	if (!c->bucket_ms)
		c->bucket_ms = DL_DEF_BUCKET_MS;
	if (!c->memory_ms)
		c->memory_ms = DL_DEF_MEMORY_MS;
	if (!c->window_ms)
		c->window_ms = DL_DEF_WINDOW_MS;
	if (!c->reset_ms)
		c->reset_ms = DL_DEF_RESET_MS;
	if (c->quantile == 0)
		c->quantile = DL_DEF_QUANTILE;
	if (c->clock_rate < DL_MIN_RATE || c->clock_rate > DL_MAX_RATE || !c->packet_ms ||
	    c->ceiling_ms > DL_MAX_CEILING_MS || c->packet_ms > c->ceiling_ms ||
	    c->bucket_ms > DL_MAX_BUCKET_MS ||
	    c->ceiling_ms / c->bucket_ms + 2 > DL_MAX_BUCKETS ||
	    c->memory_ms > DL_MAX_SPAN_MS || c->window_ms > DL_MAX_SPAN_MS ||
	    c->reset_ms > DL_MAX_SPAN_MS || !(c->quantile > 0 && c->quantile < 1))
		return -EINVAL;
	return 0;
}

int vc_delay_new(struct vc_delay **out, const struct vc_delay_cfg *cfg)
{
	struct vc_delay *d = NULL;
	struct vc_delay_cfg c;
	uint64_t cap;
	int err;

	if (!out || !cfg)
		return -EINVAL;
	err = dl_cfg_fill(&c, cfg);
	if (err)
		return err;
	d = calloc(1, sizeof(*d));
	if (!d) {
		err = -ENOMEM;
		goto out;
	}
	d->cfg = c;
	d->forget = exp(-(double)c.packet_ms / (double)c.memory_ms);
	/* Buckets [0, b), [b, 2b), ... up to the one containing the ceiling,
	 * plus the top bucket for everything beyond. */
	d->nbuckets = (c.ceiling_ms + c.bucket_ms - 1) / c.bucket_ms + 1;
	cap = (uint64_t)c.window_ms / c.packet_ms * 4 + 16;
	d->win_cap = cap < DL_WIN_MIN ? DL_WIN_MIN : cap > DL_WIN_MAX ? DL_WIN_MAX : (uint32_t)cap;
	d->hist = calloc(d->nbuckets, sizeof(*d->hist));
	d->win = calloc(d->win_cap, sizeof(*d->win));
	if (!d->hist || !d->win) {
		err = -ENOMEM;
		goto out;
	}
	vc_delay_reset(d);
	*out = d;
	d = NULL;
out:
	vc_delay_free(d);
	return err;
}

void vc_delay_free(struct vc_delay *d)
{
	if (!d)
		return;
	free(d->win);
	free(d->hist);
	free(d);
}
