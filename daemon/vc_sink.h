/* vc_sink.h - where received media goes: file sinks that record what a
 * person would have seen and heard (with .times sidecars, DESIGN.md) and
 * null sinks, and the speakers through PortAudio ("portaudio[:DEVICE]"),
 * which pace the audio playout thread: a write blocks while the device has
 * enough queued.  Speakers that fail are reopened with backoff (0.25 s
 * doubling to 4 s); meanwhile the samples are dropped and the caller paces
 * itself on the clock again.  (The SDL window is driven by the call's main
 * thread, see vc_window.h.)
 *
 * Video sidecar PATH.y4m.times: one line per written frame,
 *   "<frame index in file> <render time, us, CLOCK_MONOTONIC>".
 * Audio sidecar PATH.wav.times: "<sample index> <playout time us>" lines,
 *   the first "0 <playout start>", then one a second.
 * Threading: a video sink belongs to the video playout thread, an audio
 * sink to the audio playout thread.
 */
#ifndef VC_SINK_H
#define VC_SINK_H

#include <stddef.h>
#include <stdint.h>

#include "vc_frame.h"

struct vc_vsink;
struct vc_asink;

int vc_vsink_open(struct vc_vsink **out, const char *spec, int fps, char *err, size_t errlen);
/* Show one decoded frame at render_us.  Returns 0, or -errno on a write error. */
int vc_vsink_render(struct vc_vsink *s, const struct vc_frame *f, uint64_t render_us);
uint64_t vc_vsink_frames(const struct vc_vsink *s);
int vc_vsink_close(struct vc_vsink *s); /* completes the files; NULL ok */

int vc_asink_open(struct vc_asink **out, const char *spec, int rate, char *err, size_t errlen);
/* Play 'frames' mono samples whose first sample plays at play_us. */
int vc_asink_write(struct vc_asink *s, const int16_t *pcm, int frames, uint64_t play_us);
int vc_asink_close(struct vc_asink *s);
/* True while a device paces the writes (the caller must not also sleep). */
int vc_asink_device_paced(const struct vc_asink *s);
/* When the next sample written will be heard: for speakers, now plus what
 * is queued and the device's output latency; for a file or null sink, the
 * write time (now_us) itself. */
uint64_t vc_asink_play_time(const struct vc_asink *s, uint64_t now_us);
unsigned vc_asink_outages(const struct vc_asink *s);
uint64_t vc_asink_underflows(const struct vc_asink *s);

#endif
