/* vc_liveness.c - peer liveness on an injected clock. */
#include "vc_liveness.h"

static const char *const names[] = { "connecting", "connected", "peer-lost", "ended" };

const char *vc_call_state_name(int state)
{
	return state >= 0 && state <= VC_ST_ENDED ? names[state] : "ended";
}

void vc_liveness_init(struct vc_liveness *l, uint64_t timeout_us, uint64_t now_us)
{
	atomic_store(&l->state, VC_ST_CONNECTING);
	l->timeout_us = timeout_us;
	atomic_store(&l->last_rx_us, now_us);
}

enum vc_live_event vc_liveness_packet(struct vc_liveness *l, uint64_t now_us)
{
	int st = atomic_load(&l->state);

	if (now_us > atomic_load(&l->last_rx_us))
		atomic_store(&l->last_rx_us, now_us);
	if (st == VC_ST_CONNECTING) {
		atomic_store(&l->state, VC_ST_CONNECTED);
		return VC_LIVE_CONNECTED;
	}
	if (st == VC_ST_PEER_LOST) {
		atomic_store(&l->state, VC_ST_CONNECTED);
		return VC_LIVE_BACK;
	}
	return VC_LIVE_NONE;
}

enum vc_live_event vc_liveness_tick(struct vc_liveness *l, uint64_t now_us)
{
	uint64_t last = atomic_load(&l->last_rx_us);

	if (atomic_load(&l->state) == VC_ST_CONNECTED && now_us > last && now_us - last > l->timeout_us) {
		atomic_store(&l->state, VC_ST_PEER_LOST);
		return VC_LIVE_LOST;
	}
	return VC_LIVE_NONE;
}

uint64_t vc_liveness_deadline(const struct vc_liveness *l)
{
	if (atomic_load(&l->state) != VC_ST_CONNECTED)
		return UINT64_MAX;
	return atomic_load(&l->last_rx_us) + l->timeout_us + 1;
}
