/* fuzz_jb.c - drive the adaptive vc_jb with a byte-coded sequence of puts,
 * gets and control calls on a small buffer, and check what comes out:
 *  - payloads are the bytes stored for that (seq, ts), within max_payload,
 *    and nothing but PACKET and FEC candidates carries data;
 *  - the buffer never holds more than its slots;
 *  - delay_ms is finite; the target is the fixed target + extra, or in
 *    [packet_ms, ceiling] + extra when adaptive;
 *  - the first packet after a (re)start is not released before it is due:
 *    play >= rtp_us(ts) + reference transit + target (and that is its
 *    playout_us);
 *  - the timeline never goes backwards except after a reset or a restart:
 *    MISSING and DTX report exactly the next timestamp (the last PACKET or
 *    MISSING + its step, or the last DTX), PACKET is at or after it; a put
 *    stored behind the timeline is a restart (the third far-late packet in
 *    a row), and NOT_YET only happens before the start.  When packets were
 *    skipped (vc_jb_skipped) without an output saying where the timeline
 *    went, the next timestamp is only a lower bound until the next output
 *    (and a restart in that time may go unseen: the next output is then
 *    taken as it comes).
 * The timeline checks need serial arithmetic to be exact, so they are made
 * while all timestamps put since the last reset span less than 2^30 ticks
 * (the harness unwraps them as vc_jb does); wild inputs skip them.
 *
 * Input: a list of ops, first byte op % 4:
 *   0,3 put: seq delta, ts step, length, arrival delta
 *   1   get: time delta, step size; op >> 6 more gets, one step apart
 *   2   reset, fixed / adaptive target, extra delay, or a time jump
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vc_jb.h"
#include "vc_seq.h"
#include "fuzz_cursor.h"

#ifdef FUZZ_JB_TRACE /* -DFUZZ_JB_TRACE: print every call (for seed writing) */
#include <stdio.h>
#define TRACE(...) fprintf(stderr, __VA_ARGS__)
#else
#define TRACE(...) ((void)0)
#endif

#define SLOTS 8
#define MAX_PAYLOAD 64
#define RATE 48000u
#define PACKET_MS 20u
#define CEILING_MS 300u
#define SANE_SPAN ((int64_t)1 << 30)

static uint8_t pat(uint16_t seq, uint32_t ts, size_t k)
{
	return (uint8_t)(seq * 3u + ts * 7u + (ts >> 8) + k);
}

static void check_payload(const struct vc_jb_pkt *p, uint32_t ts)
{
	if (p->len > MAX_PAYLOAD || !p->data)
		abort();
	for (size_t k = 0; k < p->len; k++)
		if (p->data[k] != pat(p->seq, ts, k))
			abort();
}

/* What the harness knows of the buffer's timeline. */
struct model {
	struct vc_unwrap uw;   /* mirrors vc_jb's unwrapper (diffs are what count) */
	bool uw_same;          /* ... and is in the same 2^32 turn (no unseen restart) */
	int64_t min_u, max_u;  /* span of the timestamps put since the reset */
	bool any;
	bool started;          /* a PACKET came out since the (re)start */
	bool have_next;
	uint32_t next_ts;      /* what MISSING / DTX must report */
	bool exact;            /* false: next_ts is a lower bound (after a skip) */
	bool maybe_restarted;  /* stored at/after that lower bound: can't tell */
	uint64_t skipped;      /* vc_jb_skipped() seen so far */
	uint32_t fixed_ms, extra_ms;
};

static bool sane(const struct model *m)
{
	return !m->any || m->max_u - m->min_u < SANE_SPAN;
}

static void model_restart(struct model *m)
{
	m->started = false;
	m->have_next = false;
	m->exact = true;
	m->maybe_restarted = false;
}

/* After an output that says where the timeline is. */
static void model_next(struct model *m, uint32_t next_ts)
{
	m->have_next = true;
	m->next_ts = next_ts;
	m->exact = true;
	m->maybe_restarted = false;
}

static void model_reset(struct model *m)
{
	memset(&m->uw, 0, sizeof(m->uw));
	m->uw_same = true;
	m->any = false;
	model_restart(m);
}

static void check_target(const struct vc_jb *jb, const struct model *m)
{
	uint32_t t = vc_jb_target_ms(jb);

	if (m->fixed_ms) {
		if (t != m->fixed_ms + m->extra_ms)
			abort();
	} else if (t < PACKET_MS + m->extra_ms || t > CEILING_MS + m->extra_ms) {
		abort();
	}
}

static void model_note_ts(struct model *m, uint32_t ts)
{
	int64_t u = vc_unwrap32(&m->uw, ts);

	if (!m->any || u < m->min_u)
		m->min_u = u;
	if (!m->any || u > m->max_u)
		m->max_u = u;
	m->any = true;
}

static void on_put(struct vc_jb *jb, struct model *m, uint16_t seq, uint32_t ts,
		   const uint8_t *payload, size_t len, uint64_t now)
{
	enum vc_jb_put_result r = vc_jb_put(jb, seq, ts, payload, len, now);
	/* (after a restart we may have missed, anything goes until an output) */
	bool check = m->started && m->have_next && !m->maybe_restarted && sane(m);
	int32_t behind = vc_ts_diff(ts, m->next_ts);

	TRACE("put seq %u ts %u len %zu at %llu -> %d\n", seq, ts, len,
	      (unsigned long long)now, (int)r);
	if ((r == VC_JB_TOO_BIG) != (len > MAX_PAYLOAD))
		abort();
	if (r == VC_JB_TOO_BIG)
		return; /* not even unwrapped */
	model_note_ts(m, ts);
	if (!check || !sane(m))
		return;
	if (r == VC_JB_STORED || r == VC_JB_OVERFLOW) {
		/* behind the timeline only as a restart, which takes a packet
		 * more than a second behind; the buffer starts over from it
		 * (its unwrapper too).  Behind a lower bound is behind. */
		if (behind < 0) {
			if ((m->exact && behind >= -(int32_t)RATE) || r != VC_JB_STORED ||
			    vc_jb_count(jb) != 1)
				abort();
			model_reset(m);
			model_note_ts(m, ts);
		} else if (!m->exact) {
			m->maybe_restarted = true;
		}
	} else if (r == VC_JB_LATE) {
		if (behind >= 0 && m->exact)
			abort();
	}
}

/* MISSING / DTX: exactly the next timestamp, or at/after it after a skip. */
static bool timeline_ok(const struct model *m, uint32_t ts)
{
	return m->exact ? ts == m->next_ts : vc_ts_diff(ts, m->next_ts) >= 0;
}

/* One vc_jb_get and what it must say. */
static void on_get(struct vc_jb *jb, struct model *m, uint64_t now, uint32_t samples)
{
	struct vc_jb_pkt p;
	int r = vc_jb_get(jb, now, samples, &p);
	bool check = sane(m);
	uint64_t skipped = vc_jb_skipped(jb);

	if (skipped != m->skipped) {
		/* the timeline moved past skipped packets (forwards) */
		m->skipped = skipped;
		m->exact = false;
	}
	TRACE("get at %llu step %u -> %d ts %u seq %u fec %d delay %.1f target %u count %zu\n",
	      (unsigned long long)now, samples, r, p.ts, p.seq, p.fec_candidate,
	      vc_jb_delay_ms(jb, now), vc_jb_target_ms(jb), vc_jb_count(jb));
	switch (r) {
	case VC_JB_NOT_YET:
		if (m->started && check && !m->maybe_restarted)
			abort(); /* started, and no restart was seen */
		if (m->started)
			m->uw_same = false; /* restarted from a packet we can't name */
		model_restart(m);
		if (p.data || p.len || p.fec_candidate)
			abort();
		return;
	case VC_JB_UNDERRUN:
		if (p.data || p.len || p.fec_candidate)
			abort();
		if (!m->started && check)
			abort();
		return;
	case VC_JB_PACKET:
		check_payload(&p, p.ts);
		if (p.fec_candidate)
			abort();
		if (!m->started) {
			/* the first packet: due by now */
			int64_t ref, due;

			if (p.playout_us > now)
				abort();
			if (check && m->uw_same && vc_jb_ref_transit_us(jb, &ref)) {
				int64_t u = vc_unwrap32_peek(&m->uw, p.ts);

				due = vc_ts_to_us(u, RATE) + ref +
				      (int64_t)vc_jb_target_ms(jb) * 1000;
				if (due > 0 && ((int64_t)now < due || p.playout_us != (uint64_t)due))
					abort();
			}
		} else if (check && m->have_next && !m->maybe_restarted &&
			   vc_ts_diff(p.ts, m->next_ts) < 0) {
			abort(); /* the timeline went back */
		}
		m->started = true;
		model_next(m, p.ts + samples);
		return;
	case VC_JB_MISSING:
		if (p.fec_candidate)
			check_payload(&p, p.ts + samples);
		else if (p.data || p.len)
			abort();
		if (check && (!m->started || !m->have_next || !timeline_ok(m, p.ts)))
			abort();
		model_next(m, p.ts + samples);
		return;
	case VC_JB_DTX:
		if (p.data || p.len || p.fec_candidate)
			abort();
		if (check && (!m->started || !m->have_next || !timeline_ok(m, p.ts)))
			abort();
		model_next(m, p.ts);
		return;
	default:
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vc_jb_cfg cfg = { .clock_rate = RATE, .target_ms = 0, .packet_ms = PACKET_MS,
				 .ceiling_ms = CEILING_MS, .slots = SLOTS,
				 .max_payload = MAX_PAYLOAD };
	struct vc_jb *jb;
	struct cur c = { data, size };
	struct model m;
	uint8_t payload[256];
	uint16_t seq = 65500;
	uint32_t ts = 0xffff0000u;
	uint64_t now = 1000000;

	if (vc_jb_new(&jb, &cfg) != 0)
		abort();
	memset(&m, 0, sizeof(m));
	model_reset(&m);
	while (c.left > 0) {
		uint8_t op = next(&c);

		if (op % 4 == 0 || op % 4 == 3) {
			uint8_t sd = next(&c), tsd = next(&c), ln = next(&c), ad = next(&c);
			size_t len = ln % 80; /* sometimes > MAX_PAYLOAD */

			seq = (uint16_t)(seq + (sd % 8) - 2);
			switch (tsd % 8) {
			case 0: case 1: case 2:
				ts += 960;
				break;
			case 3:
				ts -= 960 * (tsd >> 3);
				break;
			case 4:
				ts += 960 * (tsd >> 3);
				break;
			case 5:
				ts += 480;
				break;
			case 6:
				break;
			default:
				ts = (uint32_t)next(&c) << 24 | (uint32_t)next(&c) << 12;
				break;
			}
			now += (uint64_t)ad * 250;
			for (size_t k = 0; k < len; k++)
				payload[k] = pat(seq, ts, k);
			on_put(jb, &m, seq, ts, payload, len, now);
		} else if (op % 4 == 1) {
			uint8_t td = next(&c), sm = next(&c);
			uint32_t samples = sm < 200 ? 960 : (sm < 230 ? 480 : 1u + sm * 13u);
			unsigned reps = 1u + (op >> 6);

			now += (uint64_t)td * 1000;
			for (unsigned k = 0; k < reps; k++) {
				if (k)
					now += (uint64_t)samples * 1000000u / RATE;
				on_get(jb, &m, now, samples);
			}
		} else {
			uint8_t b = next(&c);

			if (b < 4) {
				vc_jb_reset(jb);
				model_reset(&m);
			} else if (b < 12) {
				m.fixed_ms = (uint32_t)b * 20; /* 80..220 */
				vc_jb_set_target_ms(jb, m.fixed_ms);
			} else if (b < 14) {
				m.fixed_ms = 0;
				vc_jb_set_target_ms(jb, 0);
			} else if (b < 20) {
				m.extra_ms = (uint32_t)(b - 14) * 120; /* 0..600: clamped to 300 */
				vc_jb_set_extra_ms(jb, m.extra_ms);
				if (m.extra_ms > CEILING_MS)
					m.extra_ms = CEILING_MS;
			} else {
				now += (uint64_t)b * 10000;
			}
		}
		if (vc_jb_count(jb) > SLOTS)
			abort();
		check_target(jb, &m);
		if (!isfinite(vc_jb_delay_ms(jb, now)))
			abort();
	}
	vc_jb_free(jb);
	return 0;
}
