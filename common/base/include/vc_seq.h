/* vc_seq.h - RTP serial-number arithmetic (RFC 3550 / RFC 1982).
 *
 * 16-bit sequence numbers and 32-bit timestamps wrap; never compare them with
 * plain < or >.  All comparisons go through these helpers, and long-lived
 * state keeps 64-bit unwrapped values.
 */
#ifndef VC_SEQ_H
#define VC_SEQ_H

#include <stdbool.h>
#include <stdint.h>

/* Signed distance a - b, in (-32768, 32767]. */
static inline int16_t vc_seq_diff(uint16_t a, uint16_t b)
{
	return (int16_t)(uint16_t)(a - b);
}

/* True when a comes after b (modulo 2^16). */
static inline bool vc_seq_newer(uint16_t a, uint16_t b)
{
	return vc_seq_diff(a, b) > 0;
}

/* Signed distance a - b for 32-bit RTP timestamps. */
static inline int32_t vc_ts_diff(uint32_t a, uint32_t b)
{
	return (int32_t)(uint32_t)(a - b);
}

static inline bool vc_ts_newer(uint32_t a, uint32_t b)
{
	return vc_ts_diff(a, b) > 0;
}

/* Unwrapper: maps a wrapping counter to a monotone-ish 64-bit value, taking
 * each new value as the nearest one to the last value seen (so reordering
 * across the wrap goes backwards correctly). */
struct vc_unwrap {
	int64_t last;
	bool init;
};

static inline int64_t vc_unwrap16(struct vc_unwrap *u, uint16_t v)
{
	if (!u->init) {
		u->init = true;
		u->last = v;
		return u->last;
	}
	u->last += vc_seq_diff(v, (uint16_t)u->last);
	return u->last;
}

static inline int64_t vc_unwrap32(struct vc_unwrap *u, uint32_t v)
{
	if (!u->init) {
		u->init = true;
		u->last = v;
		return u->last;
	}
	u->last += vc_ts_diff(v, (uint32_t)u->last);
	return u->last;
}

/* Peek at what v would unwrap to, without moving the state. */
static inline int64_t vc_unwrap16_peek(const struct vc_unwrap *u, uint16_t v)
{
	return u->init ? u->last + vc_seq_diff(v, (uint16_t)u->last) : (int64_t)v;
}

static inline int64_t vc_unwrap32_peek(const struct vc_unwrap *u, uint32_t v)
{
	return u->init ? u->last + vc_ts_diff(v, (uint32_t)u->last) : (int64_t)v;
}

/* Unwrapped RTP time (ticks at rate Hz) in microseconds.  Floor division,
 * so it stays monotone across 0; clamped to +-2^48 ticks (years at 90 kHz)
 * so hostile timestamps cannot overflow the arithmetic. */
#define VC_TS_TICKS_LIMIT ((int64_t)1 << 48)

static inline int64_t vc_ts_to_us(int64_t ticks, uint32_t rate)
{
	int64_t r64 = rate, q, r;

	if (ticks > VC_TS_TICKS_LIMIT)
		ticks = VC_TS_TICKS_LIMIT;
	if (ticks < -VC_TS_TICKS_LIMIT)
		ticks = -VC_TS_TICKS_LIMIT;
	q = ticks / r64;
	r = ticks % r64;
	if (r < 0) {
		q--;
		r += r64;
	}
	return q * 1000000 + r * 1000000 / r64;
}

#endif
