/* netsim_model.h - the impairment model of vc-netsim, free of sockets and clocks.
 *
 * One struct ns_dir models one direction of the relay (A->B or B->A).  The caller
 * feeds it datagrams with ns_dir_submit(now) and takes them back out with
 * ns_dir_pop(now) once they are due; all times are microseconds on any monotonic
 * timeline the caller likes (vc-netsim uses CLOCK_MONOTONIC, the unit test a
 * plain counter).  A packet passes these stages in order:
 *
 *   blackout windows  -> dropped_blackout
 *   Gilbert-Elliott   -> dropped_burst   (2-state chain, all packets lost in "bad")
 *   random loss       -> dropped_random  (independent, per packet)
 *   bottleneck link   -> dropped_queue   (rate cap, drop-tail once the wait > queue)
 *   delay + jitter    (order-preserving: a packet never overtakes an earlier one;
 *                      inside a jitter-burst window the burst's amplitude replaces
 *                      the base jitter)
 *   reorder           -> reordered       (held back a further 5..30 ms, may be overtaken)
 *   duplicate         -> duplicated      (a second copy, 0..1 ms after the first)
 *   held-packet pool  -> dropped_overflow (NS_MAX_HELD packets per direction)
 *
 * The one-way delay each accepted packet is given (queueing, delay, jitter,
 * reorder hold; the first copy of a duplicate only) goes into a histogram per
 * direction, and a second one for small packets (< NS_SMALL_PACKET bytes: audio),
 * so the network's delay variation can be reported next to what the receiver's
 * jitter buffer chose.
 *
 * Every random decision has its own PRNG stream (splitmix64-seeded xoshiro256**)
 * derived from (seed, direction, stage), so a run is fully reproducible for one
 * seed and switching one impairment on does not change the pattern of another.
 *
 * Not thread-safe: one thread owns a direction.
 */
#ifndef NETSIM_MODEL_H
#define NETSIM_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NS_MAX_PAYLOAD 2048   /* largest datagram copied; larger ones are dropped */
#define NS_MAX_HELD 4096      /* packets waiting in one direction */
#define NS_MAX_BLACKOUTS 4
#define NS_MAX_JITTER_BURSTS 4
#define NS_SMALL_PACKET 300   /* datagrams shorter than this count as audio */
#define NS_HIST_BIN_US 100    /* delay histogram: 0.1 ms bins ... */
#define NS_HIST_BINS 20000    /* ... up to 2 s; longer delays land in 'over' */
#define NS_IP_UDP_OVERHEAD 28 /* IPv4 + UDP header bytes counted by the rate cap */

enum ns_jitter_dist { NS_JITTER_UNIFORM = 0, NS_JITTER_NORMAL = 1 };

struct ns_blackout {
	uint64_t start_us; /* relative to the t0 given to ns_dir_init */
	uint64_t len_us;
};

/* A window in which the jitter amplitude is jitter_ms instead of the base. */
struct ns_jitter_burst {
	uint64_t start_us; /* relative to the t0 given to ns_dir_init */
	uint64_t len_us;
	double jitter_ms;
};

struct ns_params {
	double delay_ms;      /* base one-way delay */
	double jitter_ms;     /* uniform: delay +- jitter; normal: same std dev, tails to +-2x */
	enum ns_jitter_dist jitter_dist;
	double loss;          /* random loss probability, 0..1 */
	double burst_loss;    /* Gilbert-Elliott mean loss probability, 0..1 (0 = off) */
	double burst_len;     /* mean burst length in packets (>= 1) */
	double reorder;       /* probability, 0..1 */
	double dup;           /* probability, 0..1 */
	double rate_kbps;     /* bottleneck rate in kbit/s incl. IP/UDP headers (0 = unlimited) */
	double queue_ms;      /* most time a packet may wait for the bottleneck */
	int n_blackouts;
	struct ns_blackout blackouts[NS_MAX_BLACKOUTS];
	int n_jitter_bursts;
	struct ns_jitter_burst jitter_bursts[NS_MAX_JITTER_BURSTS];
};

struct ns_counters {
	uint64_t packets_in, packets_out, bytes_in, bytes_out;
	uint64_t dropped_random, dropped_burst, dropped_queue, dropped_blackout;
	uint64_t dropped_overflow, dropped_oversize;
	uint64_t duplicated, reordered;
};

/* Distribution of the delays given to packets: fixed bins, exact extremes. */
struct ns_delay_hist {
	uint32_t *bins;      /* NS_HIST_BINS counts of NS_HIST_BIN_US each */
	uint64_t n, over;    /* samples; samples beyond the last bin */
	uint64_t min_us, max_us;
};

struct ns_rng {
	uint64_t s[4];
};

struct ns_held {
	uint64_t due_us;
	uint64_t order; /* submission order: ties leave in FIFO order */
	uint16_t len;
	int slot;       /* index into the payload pool */
};

struct ns_dir {
	struct ns_params p;
	uint64_t t0_us;
	struct ns_counters c;
	struct ns_delay_hist delay, delay_small; /* all packets; < NS_SMALL_PACKET */
	struct ns_rng rng_loss, rng_burst, rng_jitter, rng_reorder, rng_dup;
	double ge_p_good_to_bad, ge_p_bad_to_good;
	bool ge_bad;
	double link_free_us;    /* when the bottleneck has sent everything accepted */
	uint64_t last_due_us;   /* due time of the last in-order packet */
	uint64_t next_order;
	/* min-heap on (due_us, order) and a payload pool with a free list */
	struct ns_held *heap;
	int n_heap;
	unsigned char *pool;    /* NS_MAX_HELD * NS_MAX_PAYLOAD bytes */
	int *free_slots;
	int n_free;
};

/* Check the parameters; returns NULL when valid, else a short reason. */
const char *ns_params_check(const struct ns_params *p);

/* Allocates the direction's buffers.  dir_index (0 = A->B, 1 = B->A) selects its
 * PRNG streams.  Returns 0, or -1 when out of memory. */
int ns_dir_init(struct ns_dir *d, const struct ns_params *p, uint64_t seed,
		unsigned dir_index, uint64_t t0_us);
void ns_dir_free(struct ns_dir *d);

/* Offers one datagram arriving at now_us.  Returns how many copies were queued
 * for delivery (0 = dropped, 1, or 2 with a duplicate). */
int ns_dir_submit(struct ns_dir *d, uint64_t now_us, const void *data, size_t len);

/* When the earliest held packet is due; false when none is held. */
bool ns_dir_next_due(const struct ns_dir *d, uint64_t *due_us);

/* Takes the earliest packet if it is due at now_us: copies it to buf (cap >=
 * NS_MAX_PAYLOAD) and returns its length, or -1 when nothing is due.  The
 * packet counts as sent (packets_out, bytes_out). */
int ns_dir_pop(struct ns_dir *d, uint64_t now_us, void *buf, size_t cap);

/* Packets held right now. */
static inline int ns_dir_held(const struct ns_dir *d)
{
	return d->n_heap;
}

/* Percentile p (0..100, nearest rank) of a delay histogram in ms: the middle of
 * its bin, kept within the exact min and max (the first and last rank are the
 * exact min and max).  Returns -1 when it is empty. */
double ns_hist_pct_ms(const struct ns_delay_hist *h, double p);

/* PRNG, exposed for the tests. */
void ns_rng_seed(struct ns_rng *r, uint64_t seed);
uint64_t ns_rng_next(struct ns_rng *r);
double ns_rng_unit(struct ns_rng *r); /* [0, 1) */

#endif
