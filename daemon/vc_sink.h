/* vc_sink.h - where received media goes: file sinks that record what a
 * person would have seen and heard (with .times sidecars, DESIGN.md) and
 * null sinks.  The SDL window and PortAudio speakers come with the devices
 * issue behind the same calls.
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

#endif
