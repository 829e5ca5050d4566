/* vc_session.h - the RTP session of one call (RFC 3550): our two outgoing
 * streams (SSRCs, sequence numbers, SR counters), the peer's two streams
 * (SSRC selection, RFC 3550 A.1 validation, loss and jitter, their SRs),
 * RTCP building (SR/RR/SDES/BYE, NACK/PLI), RTCP dispatch, RTT and the
 * clock offset between the hosts.
 *
 * Threading:
 *   - the send thread alone calls vc_session_tx_* and vc_session_build_report
 *     (our streams are its own; report blocks take each remote stream's lock);
 *   - the receive thread alone calls vc_session_rtp_in / vc_session_rtcp_in;
 *   - each remote stream has a lock of its own, so the audio and video paths
 *     never wait on each other; playout threads read a stream's SR mapping
 *     (vc_session_sender_time) under that stream's lock only;
 *   - RTT, the clock offset and "the peer said BYE" are atomics.
 * No function here reads a clock: time is an argument.
 */
#ifndef VC_SESSION_H
#define VC_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vc_log.h"
#include "vc_rtcp.h"
#include "vc_rtp.h"
#include "vc_stats.h"

enum vc_stream { VC_VIDEO, VC_AUDIO, VC_N_STREAMS };

struct vc_session;

struct vc_session_cfg {
	const char *cname;
	struct vc_log *log;
	struct vc_stats *stats;
	uint32_t (*random)(void); /* SSRCs, sequence numbers, timestamps */
};

int vc_session_new(struct vc_session **out, const struct vc_session_cfg *cfg);
void vc_session_free(struct vc_session *s);

/* ---- our streams (send thread) ---- */
uint32_t vc_session_ssrc(const struct vc_session *s, enum vc_stream st);
/* Random offset added to this stream's RTP timestamps. */
uint32_t vc_session_ts_offset(const struct vc_session *s, enum vc_stream st);
/* Fill pt, ssrc and the next sequence number of stream st. */
void vc_session_tx_header(struct vc_session *s, enum vc_stream st, struct vc_rtp_hdr *h);
/* Count a packet sent (for the SR): its timestamp, capture time and payload. */
void vc_session_tx_sent(struct vc_session *s, enum vc_stream st, uint32_t ts, uint64_t capture_us,
			size_t payload_len);
/* SR (or RR) + SDES, and BYE when asked.  Returns the length, 0 on error. */
size_t vc_session_build_report(struct vc_session *s, uint8_t *buf, size_t cap, uint64_t now_us, bool bye);
/* RR + a NACK for seqs[0..n) about the peer's video, or a PLI when seqs is
 * NULL.  Returns the length, 0 when there is no remote video yet. */
size_t vc_session_build_feedback(struct vc_session *s, uint8_t *buf, size_t cap, const uint16_t *seqs,
				 unsigned n);
/* The RTCP report interval: quick hellos while connecting, then 0.5..1.0 s
 * randomised (rnd) so that two daemons do not fall into step. */
uint64_t vc_rtcp_interval_us(bool connecting, uint32_t rnd);

/* ---- the peer's streams (receive thread) ---- */
enum vc_rx_verdict {
	VC_RX_OK = 0,
	VC_RX_NEW_SOURCE = 1,  /* OK, and the stream (re)started: reset its buffers */
	VC_RX_UNKNOWN_SSRC = 2,/* another SSRC while the current one is alive */
	VC_RX_BAD_SEQ = 3,     /* RFC 3550 A.1 refused it */
};
#define VC_SSRC_SWITCH_US 2000000u /* a new SSRC replaces one quiet this long */
enum vc_rx_verdict vc_session_rtp_in(struct vc_session *s, enum vc_stream st, const struct vc_rtp_hdr *h,
				     uint64_t now_us);

/* What an RTCP compound asks of the rest of the call. */
struct vc_rtcp_handlers {
	void *ctx;
	void (*keyframe)(void *ctx);                           /* PLI/FIR for our video */
	void (*nack)(void *ctx, const struct vc_rtcp_msg *m, uint64_t now_us); /* for our video */
};
/* Parse once, accept or reject whole; SRs, report blocks and BYE are
 * handled here.  Returns 0, or a negative vc_rtcp_err (counted malformed). */
int vc_session_rtcp_in(struct vc_session *s, const uint8_t *buf, size_t len, uint64_t now_us,
		       const struct vc_rtcp_handlers *h);

/* ---- any thread ---- */
bool vc_session_peer_bye(const struct vc_session *s);
int64_t vc_session_rtt_us(const struct vc_session *s);  /* 0: unknown */
/* A sender time (its abs-capture-time, us on its clock) on our clock;
 * false while no SR has given the offset. */
bool vc_session_to_local(const struct vc_session *s, uint64_t remote_us, uint64_t *local_us);
/* Sender clock time (us) of RTP time ts of remote stream st, from its last
 * SR; false without one. */
bool vc_session_sender_time(struct vc_session *s, enum vc_stream st, uint32_t ts, int64_t *sender_us);
struct vc_rx_info {
	bool active;
	int64_t lost;
	double jitter_ms;
};
void vc_session_rx_info(struct vc_session *s, enum vc_stream st, struct vc_rx_info *out);

#endif
