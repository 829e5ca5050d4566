/* vc_rx.h - the receive thread: the socket, the peer-address check before
 * any parsing, the 1200-byte profile, RTP/RTCP demultiplexing, media to the
 * video and audio receive paths, RTCP to the session; and the timers that
 * belong to receiving: NACKs as they fall due, lip sync and drift once a
 * second, peer liveness.  It sleeps in poll() until a datagram arrives or
 * the earliest of those deadlines.
 *
 * Threading: vc_rx_thread runs on its own thread; vc_rx_request_keyframe
 * may be called from any thread (rate-limited with a compare-and-swap).
 */
#ifndef VC_RX_H
#define VC_RX_H

#include <stdatomic.h>
#include <stdbool.h>

#include "vc_aplay.h"
#include "vc_avsync.h"
#include "vc_clock.h"
#include "vc_liveness.h"
#include "vc_log.h"
#include "vc_net.h"
#include "vc_sender.h"
#include "vc_session.h"
#include "vc_stats.h"
#include "vc_vrecv.h"

#define VC_RX_BATCH 64             /* datagrams read per wake-up */
#define VC_NACK_BATCH 64
#define VC_SYNC_INTERVAL_US 1000000u

struct vc_rx_cfg {
	int fd;
	const struct vc_addr *peer;
	struct vc_session *session;
	struct vc_sender *sender;
	struct vc_vrecv *vrecv;
	struct vc_aplay *aplay;
	struct vc_avsync *sync;
	struct vc_liveness *live;
	/* the peer asked for a keyframe of our video */
	void (*keyframe)(void *ctx);
	void *kf_ctx;
	/* the peer said BYE (called once) */
	void (*bye)(void *ctx);
	void *bye_ctx;
	const struct vc_clock *clock;
	struct vc_log *log;
	struct vc_stats *stats;
	const _Atomic bool *stop;
};

struct vc_rx;

int vc_rx_new(struct vc_rx **out, const struct vc_rx_cfg *cfg);
void vc_rx_free(struct vc_rx *rx);
void *vc_rx_thread(void *arg);          /* arg: the vc_rx */
/* Ask the peer for a keyframe (PLI), at most once per VC_PLI_MIN_INTERVAL_US. */
void vc_rx_request_keyframe(void *rx);
/* Handle one datagram from the peer's address (the fuzz target and tests
 * drive the whole receive path through this). */
void vc_rx_datagram(struct vc_rx *rx, const uint8_t *buf, size_t len, uint64_t now_us);
/* Wake the thread (at stop). */
void vc_rx_wake(struct vc_rx *rx);

#endif
