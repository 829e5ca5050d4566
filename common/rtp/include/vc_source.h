/* vc_source.h - receive statistics for one remote RTP source:
 * RFC 3550 A.1 validation (probation, large-jump resync), A.3 loss and
 * A.8 interarrival jitter, and report blocks for RR/SR.
 * Threading: one owner (the receive thread).
 */
#ifndef VC_SOURCE_H
#define VC_SOURCE_H

#include <stdbool.h>
#include <stdint.h>

#include "vc_rtcp.h"

#define VC_SRC_MIN_SEQUENTIAL 2
#define VC_SRC_MAX_DROPOUT 3000
#define VC_SRC_MAX_MISORDER 100

enum vc_src_result {
	VC_SRC_OK = 0,        /* valid, in sequence or reordered within bounds */
	VC_SRC_PROBATION = 1, /* source not yet validated; packet not for playout */
	VC_SRC_BAD = 2,       /* large jump / duplicate-ish: dropped (maybe resyncing) */
};

struct vc_source {
	uint32_t ssrc;
	uint32_t clock_rate;
	/* A.1 state */
	uint16_t max_seq;
	uint32_t cycles;
	uint32_t base_seq;
	uint32_t bad_seq;
	uint32_t probation;
	uint64_t received;
	uint64_t expected_prior;
	uint64_t received_prior;
	/* A.8 jitter, in timestamp units scaled by 16 as in the RFC */
	uint32_t jitter_q4;
	int64_t last_transit;
	bool have_transit;
	/* last SR from this source, for LSR/DLSR */
	uint32_t last_sr_mid;
	uint64_t last_sr_arrival_us;
	bool validated;
};

void vc_source_init(struct vc_source *s, uint32_t ssrc, uint32_t clock_rate, uint16_t first_seq);
/* Feed one packet's sequence number, RTP timestamp and arrival time. */
enum vc_src_result vc_source_update(struct vc_source *s, uint16_t seq, uint32_t ts, uint64_t arrival_us);
/* Remember an SR received from this source (ntp = its 64-bit NTP time). */
void vc_source_sr_received(struct vc_source *s, uint64_t ntp, uint64_t arrival_us);
/* Fill a report block; updates the "prior" counters for fraction lost. */
void vc_source_report(struct vc_source *s, struct vc_rtcp_rb *rb, uint64_t now_us);

uint64_t vc_source_expected(const struct vc_source *s);
int64_t vc_source_lost(const struct vc_source *s);   /* expected - received, may be < 0 with dups */
double vc_source_jitter_ms(const struct vc_source *s);
uint32_t vc_source_ext_max_seq(const struct vc_source *s);

/* Round trip time from a report block about our stream (RFC 3550 6.4.1);
 * returns -1 when lsr is 0 or the result is negative. */
int64_t vc_rtt_us(const struct vc_rtcp_rb *rb, uint64_t now_us);

#endif
