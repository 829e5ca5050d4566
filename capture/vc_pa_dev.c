/* vc_pa_dev.c - PortAudio the library and its devices, for vc_pa.c (see
 * vc_pa.h, vc_pa_dev.h): the reference-counted Pa_Initialize with the ALSA
 * and JACK probe noise silenced, device specs resolved to an index (default,
 * decimal index, exact name, name substring), stream parameters picked,
 * streams opened, started and closed, and --list-devices.
 *
 * PortAudio's API is not thread-safe, so opening, closing and device queries
 * are serialised by one mutex (never taken by a callback).
 */
#include "vc_pa.h"
#include "vc_pa_dev.h"

#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <portaudio.h>

#define BLOCK_FRAMES 480            /* 10 ms at 48 kHz */

static pthread_mutex_t pa_lock = PTHREAD_MUTEX_INITIALIZER;
static int pa_refs;

/* ---- ALSA and JACK noise ------------------------------------------------
 * Pa_Initialize probes every ALSA PCM and the JACK server; libasound prints
 * each failed probe ("ALSA lib pcm.c:... Unknown PCM cards.pcm.rear") and
 * libjack prints "jack server is not running or cannot be started" to
 * stderr.  Both libraries are already mapped (libportaudio links them), so we
 * look up their error-handler setters with RTLD_NOLOAD (no new library, no
 * link-time dependency) and install handlers that drop the messages.  If a
 * lookup fails the only cost is the noise.  The handlers are process-wide,
 * which is fine: nothing else in vcalld uses ALSA or JACK directly. */
typedef void (*alsa_err_fn)(const char *file, int line, const char *func, int err,
			    const char *fmt, ...);
typedef int (*alsa_set_handler_fn)(alsa_err_fn handler);
typedef void (*jack_msg_fn)(const char *msg);
typedef void (*jack_set_fn)(jack_msg_fn fn);

static void alsa_quiet(const char *file, int line, const char *func, int err, const char *fmt,
		       ...)
{
	(void)file;
	(void)line;
	(void)func;
	(void)err;
	(void)fmt;
}

static void jack_quiet(const char *msg)
{
	(void)msg;
}

/* dlsym returns an object pointer; POSIX guarantees the conversion. */
static void *lib_sym(void *h, const char *name)
{
	return h ? dlsym(h, name) : NULL;
}

static void quiet_libs(void)
{
	void *h = dlopen("libasound.so.2", RTLD_LAZY | RTLD_NOLOAD);
	void *p = lib_sym(h, "snd_lib_error_set_handler");
	if (p) {
		alsa_set_handler_fn set;
		memcpy(&set, &p, sizeof(set));
		set(alsa_quiet);
	}
	if (h)
		dlclose(h); /* drops our reference only; PortAudio keeps it mapped */

	h = dlopen("libjack.so.0", RTLD_LAZY | RTLD_NOLOAD);
	static const char *const jack_setters[] = { "jack_set_error_function",
						    "jack_set_info_function" };
	for (size_t i = 0; i < sizeof(jack_setters) / sizeof(jack_setters[0]); i++) {
		p = lib_sym(h, jack_setters[i]);
		if (p) {
			jack_set_fn set;
			memcpy(&set, &p, sizeof(set));
			set(jack_quiet);
		}
	}
	if (h)
		dlclose(h);
}

int vc_pa_init(void)
{
	int ret = 0;

	pthread_mutex_lock(&pa_lock);
	if (pa_refs == 0) {
		quiet_libs();
		PaError e = Pa_Initialize();
		if (e != paNoError) {
			ret = -EIO;
			goto out;
		}
	}
	pa_refs++;
out:
	pthread_mutex_unlock(&pa_lock);
	return ret;
}

void vc_pa_exit(void)
{
	pthread_mutex_lock(&pa_lock);
	if (pa_refs > 0 && --pa_refs == 0)
		Pa_Terminate();
	pthread_mutex_unlock(&pa_lock);
}

/* ---- devices ----------------------------------------------------------- */

static bool ieq_sub(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; *hay; hay++) {
		size_t i = 0;
		while (i < n && hay[i] &&
		       tolower((unsigned char)hay[i]) == tolower((unsigned char)needle[i]))
			i++;
		if (i == n)
			return true;
	}
	return n == 0;
}

static bool ieq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
			return false;
	return *a == *b;
}

static int dev_channels(const PaDeviceInfo *di, bool input)
{
	return input ? di->maxInputChannels : di->maxOutputChannels;
}

/* Resolve a device spec.  Call with pa_lock held. */
static int find_device(const char *spec, bool input, PaDeviceIndex *out, char *err, size_t errlen)
{
	const char *dir = input ? "input" : "output";
	PaDeviceIndex n = Pa_GetDeviceCount();

	if (n < 0) {
		snprintf(err, errlen, "portaudio: cannot list devices: %s", Pa_GetErrorText(n));
		return -EIO;
	}
	if (!spec || !*spec) {
		PaDeviceIndex d = input ? Pa_GetDefaultInputDevice() : Pa_GetDefaultOutputDevice();
		if (d == paNoDevice) {
			snprintf(err, errlen, "portaudio: no default %s device", dir);
			return -ENODEV;
		}
		*out = d;
		return 0;
	}
	bool digits = true;
	for (const char *p = spec; *p; p++)
		if (!isdigit((unsigned char)*p))
			digits = false;
	if (digits) {
		long idx = strtol(spec, NULL, 10);
		const PaDeviceInfo *di = idx < n ? Pa_GetDeviceInfo((PaDeviceIndex)idx) : NULL;
		if (!di || dev_channels(di, input) < 1) {
			snprintf(err, errlen, "portaudio: no %s device with index %s", dir, spec);
			return -ENODEV;
		}
		*out = (PaDeviceIndex)idx;
		return 0;
	}
	/* An exact (case-insensitive) name wins over a substring match, so that
	 * "pulse" does not pick whatever device merely contains the word. */
	PaDeviceIndex sub = paNoDevice;
	for (PaDeviceIndex i = 0; i < n; i++) {
		const PaDeviceInfo *di = Pa_GetDeviceInfo(i);
		if (!di || !di->name || dev_channels(di, input) < 1)
			continue;
		if (ieq(di->name, spec)) {
			*out = i;
			return 0;
		}
		if (sub == paNoDevice && ieq_sub(di->name, spec))
			sub = i;
	}
	if (sub == paNoDevice) {
		snprintf(err, errlen, "portaudio: no %s device matches '%s'", dir, spec);
		return -ENODEV;
	}
	*out = sub;
	return 0;
}

/* Fill params for mono, or stereo when the device refuses mono.  Call with
 * pa_lock held.  Returns the PaError of the last format check. */
static PaError pick_params(PaStreamParameters *p, PaDeviceIndex dev, bool input)
{
	const PaDeviceInfo *di = Pa_GetDeviceInfo(dev);

	memset(p, 0, sizeof(*p));
	p->device = dev;
	p->channelCount = 1;
	p->sampleFormat = paInt16;
	p->suggestedLatency = input ? di->defaultLowInputLatency : di->defaultLowOutputLatency;
	p->hostApiSpecificStreamInfo = NULL;
	PaError e = input ? Pa_IsFormatSupported(p, NULL, VC_PA_RATE)
			  : Pa_IsFormatSupported(NULL, p, VC_PA_RATE);
	if (e != paFormatIsSupported && dev_channels(di, input) >= 2) {
		p->channelCount = 2;
		e = input ? Pa_IsFormatSupported(p, NULL, VC_PA_RATE)
			  : Pa_IsFormatSupported(NULL, p, VC_PA_RATE);
	}
	return e;
}

/* See vc_pa_dev.h.  'opened' runs under pa_lock. */
int vc_pa_stream_open(const char *device, bool input, PaStreamCallback *cb,
		      PaStreamFinishedCallback *fin, void *user, vc_pa_opened_fn *opened,
		      PaStream **stream, int *channels, char *err, size_t errlen)
{
	const char *dir = input ? "input" : "output";
	PaStreamParameters p;
	PaDeviceIndex dev;
	PaError e;
	int ret = vc_pa_init();

	if (ret) {
		snprintf(err, errlen, "portaudio: cannot initialise");
		return ret;
	}
	pthread_mutex_lock(&pa_lock);
	ret = find_device(device, input, &dev, err, errlen);
	if (ret)
		goto fail;
	const char *name = Pa_GetDeviceInfo(dev)->name;
	e = pick_params(&p, dev, input);
	if (e == paFormatIsSupported)
		e = Pa_OpenStream(stream, input ? &p : NULL, input ? NULL : &p, VC_PA_RATE,
				  BLOCK_FRAMES, paClipOff, cb, user);
	if (e != paNoError) {
		*stream = NULL;
		snprintf(err, errlen, "portaudio: cannot open %s '%s': %s", dir, name,
			 Pa_GetErrorText(e));
		ret = -EIO;
		goto fail;
	}
	*channels = p.channelCount;
	Pa_SetStreamFinishedCallback(*stream, fin);
	opened(user, *stream, &p);
	e = Pa_StartStream(*stream);
	if (e != paNoError) {
		snprintf(err, errlen, "portaudio: cannot start %s '%s': %s", dir, name,
			 Pa_GetErrorText(e));
		ret = -EIO;
		goto fail;
	}
	pthread_mutex_unlock(&pa_lock);
	return 0;

fail:
	if (*stream)
		Pa_CloseStream(*stream);
	*stream = NULL;
	pthread_mutex_unlock(&pa_lock);
	vc_pa_exit();
	return ret;
}

void vc_pa_stream_close(PaStream *stream)
{
	pthread_mutex_lock(&pa_lock);
	Pa_AbortStream(stream);
	Pa_CloseStream(stream);
	pthread_mutex_unlock(&pa_lock);
	vc_pa_exit();
}

/* ---- listing ----------------------------------------------------------- */

int vc_pa_list(FILE *fp)
{
	if (vc_pa_init() != 0) {
		fprintf(fp, "portaudio: cannot initialise\n");
		return 0;
	}
	pthread_mutex_lock(&pa_lock);
	PaDeviceIndex n = Pa_GetDeviceCount();
	PaDeviceIndex din = Pa_GetDefaultInputDevice();
	PaDeviceIndex dout = Pa_GetDefaultOutputDevice();
	int count = 0;
	for (PaDeviceIndex i = 0; i < n; i++) {
		const PaDeviceInfo *di = Pa_GetDeviceInfo(i);
		if (!di)
			continue;
		const PaHostApiInfo *hi = Pa_GetHostApiInfo(di->hostApi);
		fprintf(fp, "%3d: %-40s in %2d out %2d  %6.0f Hz  %s%s%s\n", (int)i,
			di->name ? di->name : "?", di->maxInputChannels, di->maxOutputChannels,
			di->defaultSampleRate, hi && hi->name ? hi->name : "?",
			i == din ? "  [default in]" : "", i == dout ? "  [default out]" : "");
		count++;
	}
	pthread_mutex_unlock(&pa_lock);
	vc_pa_exit();
	return count;
}
