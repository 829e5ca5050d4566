/* vc_clockoff.h - the offset between the peer's clock and ours, from SRs.
 *
 * Each SR gives one sample: local arrival time - the sender's NTP time -
 * half the round trip.  Queueing only ever adds to a sample, so the
 * estimate is the smallest sample, but only over a sliding window of
 * VC_CLOCKOFF_BUCKETS buckets of bucket_us each: a bogus SR (or a route
 * that got longer) is forgotten once its bucket ages out, instead of
 * poisoning latency and lip sync for the rest of the call.
 *
 * Pure: time is an argument, no clock is read.  Threading: one writer;
 * callers serialise (the session publishes the result atomically).
 */
#ifndef VC_CLOCKOFF_H
#define VC_CLOCKOFF_H

#include <stdbool.h>
#include <stdint.h>

#define VC_CLOCKOFF_BUCKETS 8
#define VC_CLOCKOFF_BUCKET_US 2000000u /* 8 x 2 s: a sample lives 14..16 s */

struct vc_clockoff {
	uint64_t bucket_us;
	struct {
		bool used;
		uint64_t start_us; /* bucket index * bucket_us */
		int64_t min_us;
	} b[VC_CLOCKOFF_BUCKETS];
};

void vc_clockoff_init(struct vc_clockoff *o, uint64_t bucket_us);
void vc_clockoff_sample(struct vc_clockoff *o, uint64_t now_us, int64_t offset_us);
/* The estimate at now_us (samples older than the window are gone).
 * Returns false when there is none. */
bool vc_clockoff_get(const struct vc_clockoff *o, uint64_t now_us, int64_t *offset_us);

#endif
