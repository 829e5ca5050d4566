/* vc_delay.h - target-delay estimator for an adaptive audio jitter buffer.
 *
 * Fed every received audio packet's (RTP timestamp, arrival time), it
 * measures how late each packet is compared with the fastest recent packet
 * and turns the distribution of those delays into a playout target:
 *
 *   transit(p)   = arrival_us(p) - rtp_us(unwrapped ts(p))
 *   relative(p)  = transit(p) - min transit over the last window_ms of
 *                  arrivals (this packet included), so >= 0; a packet that
 *                  arrives exactly on the fastest packet's schedule is 0
 *   histogram    = relative delays in bucket_ms buckets, exponentially
 *                  forgotten: each packet scales all buckets by f and adds
 *                  1 - f to its own bucket, f = exp(-packet_ms / memory_ms)
 *                  (the percentile is of the total weight, so the first
 *                  packets already give a proper estimate)
 *   percentile   = the 'quantile' point of that histogram (interpolated
 *                  inside its bucket), in ms: the measured delay variation
 *   target       = percentile rounded up, clamped to
 *                  [packet_ms (one packet), ceiling_ms]
 *
 * The target is meant for vc_jb's target_ms: vc_jb plays each packet at
 * rtp time + fastest transit + target, the same reference as above.
 *
 * Input it survives (hostile or broken peers, clock trouble):
 *  - 32-bit timestamp wrap and reordering: timestamps are unwrapped with
 *    vc_seq.h; an older timestamp arriving late simply has a larger delay.
 *  - packets whose transit differs from the reference by more than
 *    reset_ms (a timestamp jump of more than reset_ms, e.g. hours, or the
 *    arrival clock jumping back that far) reset the reference once three
 *    in a row agree with each other: the window and the unwrapper start
 *    again from the third, which adds nothing to the histogram (nor do the
 *    two before it: 'ignored').  One bogus or straggling packet moves
 *    nothing.  The histogram (what is known about the network) stays.
 *  - after a pause in arrivals longer than window_ms (DTX, mute, a sender
 *    that restarts its timestamps) the next packet starts the reference
 *    again, on time by definition.
 *  - arrival time going backwards by less than reset_ms is treated as
 *    "same time as the previous packet" (counted in clock_back).
 *  - delays at or above the ceiling land in the top bucket; the target
 *    never leaves [packet_ms, ceiling_ms].
 * Duplicates should not be fed (vc_jb tells them apart); if they are they
 * count as late packets with a small weight each.
 *
 * Threading: not thread-safe; one owner (the receive path, under the
 * jitter buffer's lock).  No allocation after _new; all state is bounded.
 */
#ifndef VC_DELAY_H
#define VC_DELAY_H

#include <stdbool.h>
#include <stdint.h>

struct vc_delay;

/* Zero in any field but clock_rate and packet_ms means "the default". */
struct vc_delay_cfg {
	uint32_t clock_rate;  /* RTP clock, e.g. 48000 */
	uint32_t packet_ms;   /* duration of one packet: the floor, e.g. 20 */
	uint32_t ceiling_ms;  /* hard ceiling of the target (default 500) */
	uint32_t bucket_ms;   /* histogram bucket width (default 5) */
	uint32_t memory_ms;   /* forgetting time constant (default 1500) */
	uint32_t window_ms;   /* "fastest recent packet" window (default 2000) */
	uint32_t reset_ms;    /* transit jump that resets the reference (default 2000) */
	double quantile;      /* percentile as a fraction (default 0.95) */
};

struct vc_delay_stats {
	uint64_t packets;      /* packets counted into the histogram */
	uint64_t reordered;    /* timestamp older than the newest seen */
	uint64_t resets;       /* reference restarts (timestamp or clock jump) */
	uint64_t ignored;      /* far from the reference, not (yet) confirmed */
	uint64_t clock_back;   /* arrival earlier than the previous arrival */
	uint64_t over_ceiling; /* relative delay at or above the ceiling */
	double last_rel_ms;    /* relative delay of the last packet */
};

/* 0, -EINVAL (bad cfg: clock_rate outside 1000..1000000, packet_ms 0 or
 * above the ceiling, ceiling above 10 s, bucket 0 or above 100 ms, more
 * than 2048 buckets, quantile outside (0, 1), window/memory/reset above
 * 60 s) or -ENOMEM. */
int vc_delay_new(struct vc_delay **out, const struct vc_delay_cfg *cfg);
void vc_delay_free(struct vc_delay *d);

/* One received packet.  arrival_us on the caller's monotonic clock. */
void vc_delay_update(struct vc_delay *d, uint32_t rtp_ts, uint64_t arrival_us);

/* Target playout delay above the fastest packet, in ms, within
 * [packet_ms, ceiling_ms]; packet_ms before the first packet. */
uint32_t vc_delay_target_ms(const struct vc_delay *d);

/* The reference itself: the fastest packet of the window, as its RTP
 * timestamp and arrival time.  A jitter buffer that schedules playout from
 * it (playout of ts = arrival + (ts - rtp_ts) / rate + target) measures
 * delay from the same point as the target.  False before the first packet
 * (and after a pause longer than window_ms empties the window). */
bool vc_delay_fastest(const struct vc_delay *d, uint32_t *rtp_ts, uint64_t *arrival_us);

/* The measured delay variation at the configured quantile, in ms, not
 * clamped to the floor (0 before the first packet; at most the ceiling). */
double vc_delay_percentile_ms(const struct vc_delay *d);

void vc_delay_stats(const struct vc_delay *d, struct vc_delay_stats *st);

/* Forget everything, counters included (new SSRC, new call). */
void vc_delay_reset(struct vc_delay *d);

#endif
