/* netsim_model.c - per-direction impairment model of vc-netsim (see the header). */
#include "netsim_model.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- PRNG: xoshiro256** seeded through splitmix64 ---------------------- */

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void ns_rng_seed(struct ns_rng *r, uint64_t seed)
{
	uint64_t x = seed;

	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&x);
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t ns_rng_next(struct ns_rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

double ns_rng_unit(struct ns_rng *r)
{
	return (double)(ns_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

/* True with probability p (p <= 0 never draws, so an unused stage costs nothing). */
static bool chance(struct ns_rng *r, double p)
{
	if (p <= 0.0)
		return false;
	return ns_rng_unit(r) < p;
}

/* ---- parameters -------------------------------------------------------- */

static bool prob_ok(double p)
{
	return p >= 0.0 && p <= 1.0;
}

const char *ns_params_check(const struct ns_params *p)
{
	if (!(p->delay_ms >= 0.0 && p->delay_ms <= 60000.0))
		return "delay must be 0..60000 ms";
	if (!(p->jitter_ms >= 0.0 && p->jitter_ms <= 60000.0))
		return "jitter must be 0..60000 ms";
	if (!prob_ok(p->loss))
		return "loss must be 0..100 %";
	if (!(p->burst_loss >= 0.0 && p->burst_loss < 1.0))
		return "burst-loss must be 0..<100 %";
	if (p->burst_loss > 0.0) {
		if (!(p->burst_len >= 1.0))
			return "burst-len must be >= 1 packet";
		/* p(good->bad) = L / ((1 - L) * N) must be a probability */
		if (p->burst_loss / ((1.0 - p->burst_loss) * p->burst_len) > 1.0)
			return "burst-loss too high for that burst-len (needs L/(1-L) <= N)";
	}
	if (!prob_ok(p->reorder))
		return "reorder must be 0..100 %";
	if (!prob_ok(p->dup))
		return "dup must be 0..100 %";
	if (!(p->rate_kbps >= 0.0 && p->rate_kbps <= 100e6))
		return "rate-kbps must be 0 (off) .. 1e8";
	if (!(p->queue_ms >= 0.0 && p->queue_ms <= 60000.0))
		return "queue-ms must be 0..60000";
	if (p->n_blackouts < 0 || p->n_blackouts > NS_MAX_BLACKOUTS)
		return "at most 4 blackouts per direction";
	if (p->n_jitter_bursts < 0 || p->n_jitter_bursts > NS_MAX_JITTER_BURSTS)
		return "at most 4 jitter bursts per direction";
	for (int i = 0; i < p->n_jitter_bursts; i++)
		if (!(p->jitter_bursts[i].jitter_ms >= 0.0 && p->jitter_bursts[i].jitter_ms <= 60000.0))
			return "jitter-burst jitter must be 0..60000 ms";
	return NULL;
}

/* ---- held-packet heap -------------------------------------------------- */

static bool held_less(const struct ns_held *a, const struct ns_held *b)
{
	return a->due_us < b->due_us || (a->due_us == b->due_us && a->order < b->order);
}

static void heap_push(struct ns_dir *d, struct ns_held h)
{
	int i = d->n_heap++;

	while (i > 0) {
		int parent = (i - 1) / 2;

		if (!held_less(&h, &d->heap[parent]))
			break;
		d->heap[i] = d->heap[parent];
		i = parent;
	}
	d->heap[i] = h;
}

static struct ns_held heap_pop(struct ns_dir *d)
{
	struct ns_held top = d->heap[0];
	struct ns_held last = d->heap[--d->n_heap];
	int i = 0;

	for (;;) {
		int l = 2 * i + 1, r = l + 1, m = i;
		const struct ns_held *best = &last;

		if (l < d->n_heap && held_less(&d->heap[l], best)) {
			m = l;
			best = &d->heap[l];
		}
		if (r < d->n_heap && held_less(&d->heap[r], best))
			m = r;
		if (m == i)
			break;
		d->heap[i] = d->heap[m];
		i = m;
	}
	if (d->n_heap > 0)
		d->heap[i] = last;
	return top;
}

/* Queue one copy for delivery at due_us; false when the pool is full. */
static bool hold(struct ns_dir *d, uint64_t due_us, const void *data, size_t len)
{
	struct ns_held h;

	if (d->n_free == 0) {
		d->c.dropped_overflow++;
		return false;
	}
	h.slot = d->free_slots[--d->n_free];
	h.due_us = due_us;
	h.order = d->next_order++;
	h.len = (uint16_t)len;
	memcpy(d->pool + (size_t)h.slot * NS_MAX_PAYLOAD, data, len);
	heap_push(d, h);
	return true;
}

/* ---- delay histogram --------------------------------------------------- */

static void hist_add(struct ns_delay_hist *h, uint64_t us)
{
	uint64_t bin = us / NS_HIST_BIN_US;

	if (bin < NS_HIST_BINS)
		h->bins[bin]++;
	else
		h->over++;
	if (h->n == 0 || us < h->min_us)
		h->min_us = us;
	if (us > h->max_us)
		h->max_us = us;
	h->n++;
}

double ns_hist_pct_ms(const struct ns_delay_hist *h, double p)
{
	uint64_t rank, seen = 0;
	double us = (double)h->max_us;

	if (h->n == 0)
		return -1.0;
	rank = (uint64_t)ceil(p / 100.0 * (double)h->n);
	if (rank <= 1)
		return (double)h->min_us / 1000.0;
	if (rank >= h->n)
		return (double)h->max_us / 1000.0;
	for (int i = 0; i < NS_HIST_BINS; i++) {
		seen += h->bins[i];
		if (seen >= rank) {
			us = ((double)i + 0.5) * NS_HIST_BIN_US;
			break;
		}
	}
	/* a rank among the 'over' samples leaves us at max; a bin's middle stays
	 * within the exact extremes */
	if (us < (double)h->min_us)
		us = (double)h->min_us;
	if (us > (double)h->max_us)
		us = (double)h->max_us;
	return us / 1000.0;
}

/* ---- the model --------------------------------------------------------- */

int ns_dir_init(struct ns_dir *d, const struct ns_params *p, uint64_t seed,
		unsigned dir_index, uint64_t t0_us)
{
	uint64_t base = seed * 0x100000001b3ull + (uint64_t)dir_index * 0x51ed270b27ull;

	memset(d, 0, sizeof(*d));
	d->p = *p;
	d->t0_us = t0_us;
	ns_rng_seed(&d->rng_loss, base ^ 0x1111);
	ns_rng_seed(&d->rng_burst, base ^ 0x2222);
	ns_rng_seed(&d->rng_jitter, base ^ 0x3333);
	ns_rng_seed(&d->rng_reorder, base ^ 0x4444);
	ns_rng_seed(&d->rng_dup, base ^ 0x5555);
	if (p->burst_loss > 0.0) {
		d->ge_p_bad_to_good = 1.0 / p->burst_len;
		d->ge_p_good_to_bad = p->burst_loss / ((1.0 - p->burst_loss) * p->burst_len);
	}
	d->link_free_us = (double)t0_us;
	d->heap = calloc(NS_MAX_HELD, sizeof(*d->heap));
	d->pool = malloc((size_t)NS_MAX_HELD * NS_MAX_PAYLOAD);
	d->free_slots = calloc(NS_MAX_HELD, sizeof(*d->free_slots));
	d->delay.bins = calloc(NS_HIST_BINS, sizeof(*d->delay.bins));
	d->delay_small.bins = calloc(NS_HIST_BINS, sizeof(*d->delay_small.bins));
	if (!d->heap || !d->pool || !d->free_slots || !d->delay.bins || !d->delay_small.bins) {
		ns_dir_free(d);
		return -1;
	}
	for (int i = 0; i < NS_MAX_HELD; i++)
		d->free_slots[i] = NS_MAX_HELD - 1 - i;
	d->n_free = NS_MAX_HELD;
	return 0;
}

void ns_dir_free(struct ns_dir *d)
{
	free(d->heap);
	free(d->pool);
	free(d->free_slots);
	free(d->delay.bins);
	free(d->delay_small.bins);
	d->heap = NULL;
	d->pool = NULL;
	d->free_slots = NULL;
	d->delay.bins = d->delay_small.bins = NULL;
	d->n_heap = d->n_free = 0;
}

static bool in_window(uint64_t t, uint64_t start_us, uint64_t len_us)
{
	return t >= start_us && t - start_us < len_us;
}

static uint64_t since_t0(const struct ns_dir *d, uint64_t now_us)
{
	return now_us >= d->t0_us ? now_us - d->t0_us : 0;
}

static bool in_blackout(const struct ns_dir *d, uint64_t now_us)
{
	uint64_t t = since_t0(d, now_us);

	for (int i = 0; i < d->p.n_blackouts; i++)
		if (in_window(t, d->p.blackouts[i].start_us, d->p.blackouts[i].len_us))
			return true;
	return false;
}

/* The jitter amplitude in ms for a packet arriving at now_us: the first burst
 * window that holds it, else the base. */
static double jitter_at_ms(const struct ns_dir *d, uint64_t now_us)
{
	uint64_t t = since_t0(d, now_us);

	for (int i = 0; i < d->p.n_jitter_bursts; i++) {
		const struct ns_jitter_burst *b = &d->p.jitter_bursts[i];

		if (in_window(t, b->start_us, b->len_us))
			return b->jitter_ms;
	}
	return d->p.jitter_ms;
}

/* One delay sample in microseconds (>= 0). Uniform: delay +- jitter.  Normal-ish:
 * the mean of four uniforms scaled to the same standard deviation (J / sqrt 3),
 * so tails reach +- 2 J. */
static double delay_sample_us(struct ns_dir *d, uint64_t now_us)
{
	double j = jitter_at_ms(d, now_us) * 1000.0, x = 0.0;

	if (j > 0.0) {
		if (d->p.jitter_dist == NS_JITTER_NORMAL) {
			for (int i = 0; i < 4; i++)
				x += 2.0 * ns_rng_unit(&d->rng_jitter) - 1.0;
			x = x * 0.5 * j;
		} else {
			x = (2.0 * ns_rng_unit(&d->rng_jitter) - 1.0) * j;
		}
	}
	x += d->p.delay_ms * 1000.0;
	return x > 0.0 ? x : 0.0;
}

int ns_dir_submit(struct ns_dir *d, uint64_t now_us, const void *data, size_t len)
{
	uint64_t due;
	double depart = (double)now_us;
	int queued = 0;

	d->c.packets_in++;
	d->c.bytes_in += len;
	if (len > NS_MAX_PAYLOAD) {
		d->c.dropped_oversize++;
		return 0;
	}
	if (d->p.n_blackouts > 0 && in_blackout(d, now_us)) {
		d->c.dropped_blackout++;
		return 0;
	}
	if (d->p.burst_loss > 0.0) {
		/* step the chain once per packet, then the state decides its fate */
		if (d->ge_bad)
			d->ge_bad = !chance(&d->rng_burst, d->ge_p_bad_to_good);
		else
			d->ge_bad = chance(&d->rng_burst, d->ge_p_good_to_bad);
		if (d->ge_bad) {
			d->c.dropped_burst++;
			return 0;
		}
	}
	if (chance(&d->rng_loss, d->p.loss)) {
		d->c.dropped_random++;
		return 0;
	}
	if (d->p.rate_kbps > 0.0) {
		double start = d->link_free_us > depart ? d->link_free_us : depart;
		double tx_us = (double)(len + NS_IP_UDP_OVERHEAD) * 8.0 * 1000.0 / d->p.rate_kbps;

		if (start - depart > d->p.queue_ms * 1000.0) {
			d->c.dropped_queue++;
			return 0;
		}
		d->link_free_us = start + tx_us;
		depart = d->link_free_us;
	}
	due = (uint64_t)llround(depart + delay_sample_us(d, now_us));
	if (due < d->last_due_us)
		due = d->last_due_us; /* jitter alone never reorders */
	d->last_due_us = due;
	if (chance(&d->rng_reorder, d->p.reorder)) {
		due += 5000 + (uint64_t)(ns_rng_unit(&d->rng_reorder) * 25000.0);
		d->c.reordered++;
	}
	if (hold(d, due, data, len)) {
		queued++;
		hist_add(&d->delay, due - now_us);
		if (len < NS_SMALL_PACKET)
			hist_add(&d->delay_small, due - now_us);
	}
	if (queued && chance(&d->rng_dup, d->p.dup)) {
		uint64_t due2 = due + (uint64_t)(ns_rng_unit(&d->rng_dup) * 1000.0);

		if (hold(d, due2, data, len)) {
			d->c.duplicated++;
			queued++;
		}
	}
	return queued;
}

bool ns_dir_next_due(const struct ns_dir *d, uint64_t *due_us)
{
	if (d->n_heap == 0)
		return false;
	*due_us = d->heap[0].due_us;
	return true;
}

int ns_dir_pop(struct ns_dir *d, uint64_t now_us, void *buf, size_t cap)
{
	struct ns_held h;
	size_t n;

	if (d->n_heap == 0 || d->heap[0].due_us > now_us)
		return -1;
	h = heap_pop(d);
	n = h.len <= cap ? h.len : cap;
	memcpy(buf, d->pool + (size_t)h.slot * NS_MAX_PAYLOAD, n);
	d->free_slots[d->n_free++] = h.slot;
	d->c.packets_out++;
	d->c.bytes_out += n;
	return (int)n;
}
