/* vc_source.c - receive statistics for one remote RTP source, after
 * RFC 3550 appendix A: A.1 sequence validation (probation, large jumps,
 * resync), A.3 expected/lost/fraction lost, A.8 interarrival jitter, and
 * LSR/DLSR/RTT (section 6.4.1).
 *
 * Usage: vc_source_init() with the first packet's sequence number, then
 * vc_source_update() for every packet, that first one included.
 */
#include "vc_source.h"

#include <assert.h>
#include <string.h>

#include "vc_clock.h"
#include "vc_seq.h"

#define SEQ_MOD (1u << 16)

/* Restart counting at seq (A.1 init_seq). */
static void init_seq(struct vc_source *s, uint16_t seq)
{
	s->base_seq = seq;
	s->max_seq = seq;
	s->bad_seq = SEQ_MOD + 1; /* never equal to a 16-bit seq */
	s->cycles = 0;
	s->received = 0;
	s->received_prior = 0;
	s->expected_prior = 0;
	/* A restarted sender may have a new timestamp base too. */
	s->have_transit = false;
}

void vc_source_init(struct vc_source *s, uint32_t ssrc, uint32_t clock_rate, uint16_t first_seq)
{
	assert(s);
	assert(clock_rate > 0);
	memset(s, 0, sizeof(*s));
	s->ssrc = ssrc;
	s->clock_rate = clock_rate;
	init_seq(s, first_seq);
	/* So that the first packet itself counts as "in sequence". */
	s->max_seq = (uint16_t)(first_seq - 1);
	s->probation = VC_SRC_MIN_SEQUENTIAL;
}

/* A.1 update_seq. */
static enum vc_src_result update_seq(struct vc_source *s, uint16_t seq)
{
	uint16_t udelta = (uint16_t)(seq - s->max_seq);

	if (s->probation) {
		if (seq == (uint16_t)(s->max_seq + 1)) {
			s->probation--;
			s->max_seq = seq;
			if (s->probation == 0) {
				init_seq(s, seq);
				s->received++;
				s->validated = true;
				return VC_SRC_OK;
			}
		} else {
			s->probation = VC_SRC_MIN_SEQUENTIAL - 1;
			s->max_seq = seq;
		}
		return VC_SRC_PROBATION;
	}
	if (udelta < VC_SRC_MAX_DROPOUT) {
		/* in order, with a permissible gap */
		if (seq < s->max_seq)
			s->cycles += SEQ_MOD;
		s->max_seq = seq;
	} else if (udelta <= SEQ_MOD - VC_SRC_MAX_MISORDER) {
		/* a very large jump */
		if (seq != s->bad_seq) {
			s->bad_seq = (uint16_t)(seq + 1);
			return VC_SRC_BAD;
		}
		/* Two sequential packets: the other side restarted without
		 * telling us, so start over from this one. */
		init_seq(s, seq);
	}
	/* else duplicate or reordered within MAX_MISORDER: counted */
	s->received++;
	return VC_SRC_OK;
}

/* Arrival time in the source's timestamp units, modulo 2^32 (only
 * differences matter).  Split so that the product cannot overflow. */
static uint32_t arrival_ts(const struct vc_source *s, uint64_t us)
{
	uint64_t sec = us / 1000000u, rem = us % 1000000u;

	return (uint32_t)(sec * s->clock_rate + rem * s->clock_rate / 1000000u);
}

/* A.8: J += (|D| - J) / 16, kept scaled by 16. */
static void update_jitter(struct vc_source *s, uint32_t ts, uint64_t arrival_us)
{
	uint32_t transit = arrival_ts(s, arrival_us) - ts;
	int64_t d, j;

	if (!s->have_transit) {
		s->have_transit = true;
		s->last_transit = transit;
		return;
	}
	d = vc_ts_diff(transit, (uint32_t)s->last_transit);
	s->last_transit = transit;
	if (d < 0)
		d = -d;
	j = (int64_t)s->jitter_q4 + d - (((int64_t)s->jitter_q4 + 8) >> 4);
	if (j < 0)
		j = 0;
	if (j > UINT32_MAX)
		j = UINT32_MAX;
	s->jitter_q4 = (uint32_t)j;
}

enum vc_src_result vc_source_update(struct vc_source *s, uint16_t seq, uint32_t ts, uint64_t arrival_us)
{
	enum vc_src_result r;

	assert(s);
	r = update_seq(s, seq);
	if (r == VC_SRC_OK)
		update_jitter(s, ts, arrival_us);
	return r;
}

void vc_source_sr_received(struct vc_source *s, uint64_t ntp, uint64_t arrival_us)
{
	assert(s);
	s->last_sr_mid = vc_ntp_mid32(ntp);
	s->last_sr_arrival_us = arrival_us;
}

uint32_t vc_source_ext_max_seq(const struct vc_source *s)
{
	assert(s);
	return s->cycles + s->max_seq;
}

uint64_t vc_source_expected(const struct vc_source *s)
{
	assert(s);
	if (!s->validated)
		return 0;
	/* cycles counts in units of 2^16 as in A.3; the extended max is
	 * never below base_seq, because init_seq sets both together. */
	return (uint64_t)s->cycles + s->max_seq - s->base_seq + 1;
}

int64_t vc_source_lost(const struct vc_source *s)
{
	assert(s);
	return (int64_t)vc_source_expected(s) - (int64_t)s->received;
}

double vc_source_jitter_ms(const struct vc_source *s)
{
	assert(s);
	return (double)(s->jitter_q4 >> 4) * 1000.0 / (double)s->clock_rate;
}

void vc_source_report(struct vc_source *s, struct vc_rtcp_rb *rb, uint64_t now_us)
{
	uint64_t expected, exp_int, rec_int;
	int64_t lost, lost_int;

	assert(s && rb);
	memset(rb, 0, sizeof(*rb));
	rb->ssrc = s->ssrc;

	if (s->validated) {
		expected = vc_source_expected(s);
		lost = vc_source_lost(s);
		/* 24-bit signed field: clamp (A.3) */
		if (lost > 0x7fffff)
			lost = 0x7fffff;
		if (lost < -0x800000)
			lost = -0x800000;
		rb->cum_lost = (int32_t)lost;

		exp_int = expected - s->expected_prior;
		s->expected_prior = expected;
		rec_int = s->received - s->received_prior;
		s->received_prior = s->received;
		lost_int = (int64_t)exp_int - (int64_t)rec_int;
		if (exp_int != 0 && lost_int > 0) {
			uint64_t f = ((uint64_t)lost_int << 8) / exp_int;

			rb->fraction_lost = (uint8_t)(f > 255 ? 255 : f);
		}
		rb->ext_high_seq = vc_source_ext_max_seq(s);
		rb->jitter = s->jitter_q4 >> 4;
	}

	if (s->last_sr_mid != 0) {
		rb->lsr = s->last_sr_mid;
		if (now_us > s->last_sr_arrival_us) {
			/* delay since that SR in units of 1/65536 s; the
			 * field holds at most 65536 s */
			uint64_t d_us = now_us - s->last_sr_arrival_us;

			if (d_us >= 65536ull * 1000000u)
				rb->dlsr = UINT32_MAX;
			else
				rb->dlsr = (uint32_t)((d_us << 16) / 1000000u);
		}
	}
}

int64_t vc_rtt_us(const struct vc_rtcp_rb *rb, uint64_t now_us)
{
	uint32_t a;
	int32_t rtt;

	assert(rb);
	if (rb->lsr == 0)
		return -1;
	/* All three are middle-32 NTP values (1/65536 s) on our own
	 * monotonic NTP timeline; modular arithmetic survives their wrap. */
	a = vc_ntp_mid32(vc_ntp_from_us(now_us));
	rtt = (int32_t)(a - rb->lsr - rb->dlsr);
	if (rtt < 0)
		return -1;
	return (int64_t)(((uint64_t)rtt * 1000000u) >> 16);
}
