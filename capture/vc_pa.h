/* vc_pa.h - microphone and speakers through PortAudio.
 *
 * 48 kHz mono 16-bit, 10 ms device blocks.  The PortAudio callbacks only
 * copy between the device buffer and preallocated single-producer/
 * single-consumer rings (common/base/include/vc_ring.h) and post a
 * semaphore: they never allocate, lock or block.  Input overflow (ring
 * full: the newest samples
 * are dropped) and output underflow (ring empty: the callback plays silence)
 * are counted; capture timestamps keep advancing through both (they come
 * from the stream's input ADC time mapped onto CLOCK_MONOTONIC, or from the
 * sample count when the host API gives none).
 * A device that errors, stops calling back for 3 s (10 s before its first
 * callback) or disappears makes _read/_write return -EIO; a timeout (0) is
 * only a slow device.  The caller reopens after -EIO (vc_pa_*_close +
 * _open), holding no other PortAudio reference, since PortAudio refreshes
 * its device list only when the last one is released.
 * Threading: _open/_close/_read/_write from one ordinary thread each;
 * the rings are the only thing shared with the callbacks.
 */
#ifndef VC_PA_H
#define VC_PA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vc_clock.h"

#define VC_PA_RATE 48000

struct vc_pa_in;
struct vc_pa_out;

/* Pa_Initialize/Pa_Terminate are reference counted inside. */
int vc_pa_init(void);
void vc_pa_exit(void);

/* device: NULL or "" = default, a decimal index, or a substring of the
 * device name.  Returns 0 or -errno with a one-line reason in err. */
int vc_pa_in_open(struct vc_pa_in **out, const char *device, const struct vc_clock *clock,
		  char *err, size_t errlen);
void vc_pa_in_close(struct vc_pa_in *in);
/* Wait up to timeout_ms for 'frames' samples; returns frames, 0 on timeout,
 * or -errno when the device failed.  *capture_us: capture time of pcm[0]. */
int vc_pa_in_read(struct vc_pa_in *in, int16_t *pcm, int frames, uint64_t *capture_us, int timeout_ms);
uint64_t vc_pa_in_overflows(const struct vc_pa_in *in);

int vc_pa_out_open(struct vc_pa_out **out, const char *device, int target_ms,
		   char *err, size_t errlen);
void vc_pa_out_close(struct vc_pa_out *o);
/* Queue samples for the speaker.  Blocks while the ring holds more than
 * target_ms (the device paces the caller), at most timeout_ms.  Returns
 * frames queued, 0 on timeout, -errno when the device failed. */
int vc_pa_out_write(struct vc_pa_out *o, const int16_t *pcm, int frames, int timeout_ms);
uint64_t vc_pa_out_underflows(const struct vc_pa_out *o);
/* Estimated time the next written sample will be heard (CLOCK_MONOTONIC us). */
uint64_t vc_pa_out_play_time(const struct vc_pa_out *o);

/* --list-devices: one line per device with its channels and default rate.
 * Returns the count. */
int vc_pa_list(FILE *fp);

#endif
