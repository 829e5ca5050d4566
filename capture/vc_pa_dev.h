/* vc_pa_dev.h - private to capture/vc_pa*.c: PortAudio the library and
 * its devices (vc_pa_dev.c), as the streams of vc_pa.c use them.
 */
#ifndef VC_PA_DEV_H
#define VC_PA_DEV_H

#include <stdbool.h>
#include <stddef.h>

#include <portaudio.h>

/* Called under the PortAudio lock between Pa_OpenStream and
 * Pa_StartStream, so the caller can note the stream's timing. */
typedef void vc_pa_opened_fn(void *user, PaStream *s, const PaStreamParameters *p);

/* Open and start a 48 kHz paInt16 stream of 10 ms blocks on 'device'
 * (input or output, a spec as in vc_pa.h) for 'user': PortAudio
 * initialised (one reference, vc_pa_stream_close() releases it), the
 * device found, mono (or stereo when the device refuses mono) picked into
 * *channels, the finished callback set.  On failure nothing is left open
 * or referenced, and err says why (empty only when memory ran out). */
int vc_pa_stream_open(const char *device, bool input, PaStreamCallback *cb,
		      PaStreamFinishedCallback *fin, void *user, vc_pa_opened_fn *opened,
		      PaStream **stream, int *channels, char *err, size_t errlen);
/* Stop and close a stream, then drop the PortAudio reference it held. */
void vc_pa_stream_close(PaStream *stream);

#endif
