/* vc_liveness.h - is the peer there?  The call's state machine:
 *
 *   connecting --packet--> connected --nothing for timeout--> peer-lost
 *                              ^-----------packet-----------------'
 *
 * Any authentic datagram from the peer (RTP or RTCP) counts.  Pure: time
 * is an argument.  Threading: one owner (the receive thread) changes it;
 * the state itself is published in an atomic for every other thread.
 */
#ifndef VC_LIVENESS_H
#define VC_LIVENESS_H

#include <stdatomic.h>
#include <stdint.h>

enum vc_call_state { VC_ST_CONNECTING, VC_ST_CONNECTED, VC_ST_PEER_LOST, VC_ST_ENDED };

/* The DESIGN.md stats names of the states. */
const char *vc_call_state_name(int state);

enum vc_live_event { VC_LIVE_NONE, VC_LIVE_CONNECTED, VC_LIVE_BACK, VC_LIVE_LOST };

struct vc_liveness {
	_Atomic int state;       /* enum vc_call_state, read by any thread */
	uint64_t timeout_us;
	_Atomic uint64_t last_rx_us; /* written by the owner, read by any thread */
};

void vc_liveness_init(struct vc_liveness *l, uint64_t timeout_us, uint64_t now_us);
enum vc_live_event vc_liveness_packet(struct vc_liveness *l, uint64_t now_us);
enum vc_live_event vc_liveness_tick(struct vc_liveness *l, uint64_t now_us);
/* When vc_liveness_tick next has something to decide (UINT64_MAX: never). */
uint64_t vc_liveness_deadline(const struct vc_liveness *l);
/* When the peer was last heard (any thread). */
static inline uint64_t vc_liveness_last_rx(const struct vc_liveness *l)
{
	return atomic_load(&l->last_rx_us);
}
static inline int vc_liveness_state(const struct vc_liveness *l)
{
	return atomic_load(&l->state);
}

#endif
