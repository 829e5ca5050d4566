/* vc_call.h - one call: the UDP socket, the RTP/RTCP session and the media
 * threads of DESIGN.md.
 *
 * Threads (each owns what it touches unless noted):
 *   video capture+encode : source -> VP8 encoder -> RFC 7741 packetizer -> send queue
 *   audio capture        : source (paced, like a device callback) -> SPSC ring
 *   audio encode         : ring -> Opus -> send queue
 *   send                 : send queue -> RTP header + extensions -> socket; RTCP SR/RR/SDES timer
 *   receive              : socket -> peer check -> RTP/RTCP parse -> demux -> jitter buffers
 *   video playout        : frame buffer -> VP8 decode -> video sink at render time
 *   audio playout        : jitter buffer -> Opus decode/PLC/FEC -> audio sink every 20 ms
 *   main (caller of vc_call_run): duration, signals, stats once a second.
 * The receive-side state (sources, jitter buffers) is guarded by one mutex
 * held only for buffer operations, never across decode or I/O.
 */
#ifndef VC_CALL_H
#define VC_CALL_H

#include <signal.h>

#include "vc_log.h"
#include "vc_opts.h"

struct vc_call;

/* Set up everything the call needs (socket, sources, sinks, codecs).
 * Returns 0, or -1 after logging a one-line reason. */
int vc_call_new(struct vc_call **out, const struct vc_opts *o, struct vc_log *log);
/* Run until the duration ends, the peer hangs up or *stop_flag becomes
 * non-zero (set by a signal handler).  Returns the exit status. */
int vc_call_run(struct vc_call *c, volatile sig_atomic_t *stop_flag);
void vc_call_free(struct vc_call *c);

#endif
