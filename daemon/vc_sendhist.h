/* vc_sendhist.h - the sender's history of video packets and the rules for
 * retransmitting them on NACK.
 *
 * A packet is resent only if it is still in the history (the last
 * VC_HIST_PACKETS video packets), was not resent in the last
 * VC_HIST_RESEND_MIN_US, and the retransmission byte budget of the current
 * round trip has room: at most budget_bps / 8 x RTT bytes (with a floor of
 * VC_HIST_BUDGET_MIN bytes) per RTT window, whatever the NACKs ask for.  One
 * NACK naming 1,000 packets therefore costs about what was sent in one round
 * trip, not 1.3 MB.  The RTT is the peer's report (its DLSR is its to
 * state), so the window is clamped to VC_HIST_MIN_RTT_US..VC_HIST_MAX_RTT_US:
 * a report claiming a 30 s round trip must not buy a 30 s burst.
 *
 * Threading: the send thread stores, the receive thread takes; one mutex
 * guards the slots for one memcpy each.  Time is an argument.
 */
#ifndef VC_SENDHIST_H
#define VC_SENDHIST_H

#include <stddef.h>
#include <stdint.h>

#define VC_HIST_PACKETS 1024          /* ~1 s at 2 Mbit/s */
#define VC_HIST_RESEND_MIN_US 10000u  /* one resend of a packet per 10 ms at most */
#define VC_HIST_BUDGET_MIN 9600u      /* bytes per RTT: eight full packets */
#define VC_HIST_DEFAULT_RTT_US 100000u
#define VC_HIST_MIN_RTT_US 20000u
#define VC_HIST_MAX_RTT_US 1000000u

struct vc_sendhist;

enum vc_hist_result {
	VC_HIST_OK = 0,       /* *len bytes to send */
	VC_HIST_MISSING = 1,  /* not (or no longer) in the history */
	VC_HIST_TOO_SOON = 2, /* resent moments ago */
	VC_HIST_BUDGET = 3,   /* this round trip's budget is spent */
};

int vc_sendhist_new(struct vc_sendhist **out, uint32_t budget_bps);
void vc_sendhist_free(struct vc_sendhist *h);
void vc_sendhist_store(struct vc_sendhist *h, uint16_t seq, const uint8_t *pkt, size_t len);
/* Copy packet seq into buf (cap >= 1200) if the rules above allow it now. */
enum vc_hist_result vc_sendhist_take(struct vc_sendhist *h, uint16_t seq, uint64_t now_us,
				     uint64_t rtt_us, uint8_t *buf, size_t cap, size_t *len);

#endif
