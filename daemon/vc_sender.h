/* vc_sender.h - everything that leaves the socket: the packet pool and send
 * queue that media threads fill, the send thread (RTP header and
 * extensions, the sender's history, RTCP reports on their timer, BYE at the
 * end), retransmission on NACK and one-off datagrams (feedback).
 *
 * Threading:
 *   - media threads: vc_sender_pkt_get / _pkt_put / _enqueue (non-blocking);
 *   - the send thread (vc_sender_thread) owns RTP headers and reports;
 *   - the receive thread: vc_sender_resend (history under its own lock);
 *   - any thread: vc_sender_datagram (sendto is atomic per datagram).
 */
#ifndef VC_SENDER_H
#define VC_SENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vc_clock.h"
#include "vc_liveness.h"
#include "vc_log.h"
#include "vc_net.h"
#include "vc_rtcp.h"
#include "vc_session.h"
#include "vc_stats.h"

#define VC_RTP_EXT_BYTES 16 /* abs-capture-time + transport seq, one-byte form */
#define VC_MAX_RTP_PAYLOAD (VC_RTP_MAX_PACKET - VC_RTP_HDR_MIN - VC_RTP_EXT_BYTES)
#define VC_POOL_PACKETS 1024

/* One outgoing media packet, from the pool. */
struct vc_pkt {
	enum vc_stream stream;
	bool marker;
	uint32_t ts;
	uint64_t capture_us;
	size_t len;
	uint8_t data[VC_MAX_RTP_PAYLOAD];
};

struct vc_sender_cfg {
	int fd;
	const struct vc_addr *peer;
	struct vc_session *session;
	const struct vc_liveness *live;
	const struct vc_clock *clock;
	struct vc_log *log;
	struct vc_stats *stats;
	uint32_t rtx_budget_bps;   /* retransmission budget (vc_sendhist) */
	uint32_t (*random)(void);
};

struct vc_sender;

int vc_sender_new(struct vc_sender **out, const struct vc_sender_cfg *cfg);
void vc_sender_free(struct vc_sender *s);

struct vc_pkt *vc_sender_pkt_get(struct vc_sender *s);    /* NULL: pool empty */
void vc_sender_pkt_put(struct vc_sender *s, struct vc_pkt *p);
/* Queue for sending; false when the queue is full (the packet is dropped
 * and counted). */
bool vc_sender_enqueue(struct vc_sender *s, struct vc_pkt *p);

/* The send thread's body (arg: the sender).  Returns once closed and the
 * queue is drained, after sending BYE. */
void *vc_sender_thread(void *arg);
/* No more media: what is queued still goes out, then BYE. */
void vc_sender_close(struct vc_sender *s);

void vc_sender_datagram(struct vc_sender *s, const uint8_t *buf, size_t len);
/* Retransmit what a NACK asks for, within the history's rules and budget. */
void vc_sender_resend(struct vc_sender *s, const struct vc_rtcp_msg *nack, uint64_t now_us);

#endif
