/* vc_call.h - one call: its lifecycle and the wiring of its parts.
 *
 * The parts, one module each (docs/ARCHITECTURE.md has the map):
 *   vc_devices  sources, sinks, window, and their fallbacks
 *   vc_session  RTP session: SSRCs, RTCP in/out, RTT, clock offset
 *   vc_sender   pool, send queue, send thread, history and resends
 *   vc_msend    capture -> encode threads (video; audio with the AEC)
 *   vc_rx       receive thread: socket, demux, NACK/sync/liveness timers
 *   vc_vrecv    video receive buffer, NACK and render-delay policy
 *   vc_vplay    video playout thread: decode, render, freezes
 *   vc_aplay    audio jitter buffer and playout thread
 *   vc_avsync   lip sync and drift
 *   vc_liveness the call's state: connecting, connected, peer-lost
 *   vc_callwin  the window's mailboxes, keys and overlay
 * Threads: main (this file: duration, hang-up, stats once a second, the
 * window), receive, send, video playout, audio playout, video capture,
 * audio capture.  Signals are the caller's business: vcalld blocks them in
 * every thread and turns them into vc_call_hangup().
 */
#ifndef VC_CALL_H
#define VC_CALL_H

#include "vc_log.h"
#include "vc_opts.h"

struct vc_call;

/* Set up everything the call needs (socket, sources, sinks, codecs).
 * Returns 0, or a negative errno after logging a one-line reason. */
int vc_call_new(struct vc_call **out, const struct vc_opts *o, struct vc_log *log);
/* Run until the duration ends, the peer hangs up, the window is closed or
 * vc_call_hangup() is called.  Returns the exit status. */
int vc_call_run(struct vc_call *c);
/* Any thread (a signal-waiting thread, say): hang up now. */
void vc_call_hangup(struct vc_call *c);
void vc_call_free(struct vc_call *c);

#endif
