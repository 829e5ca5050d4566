/* vc_pa.c - microphone and speakers through PortAudio (see vc_pa.h).
 *
 * Each direction is one PortAudio callback stream at 48 kHz, paInt16,
 * 480 frames (10 ms) per callback.  The callback and the caller's thread
 * share only:
 *   - a sample ring (int16, mono) and, for input, a stamp ring that carries
 *     (ring sample index, capture time) once per callback block;
 *   - a few C11 atomics (counters, the failure flag, the last callback time);
 *   - a POSIX semaphore the callback posts after each block.
 * The callbacks never allocate, lock or block.
 *
 * Input timing: capture times follow the sample count (48 per ms, dropped
 * samples included), anchored at the first block and disciplined by the
 * host API's inputBufferAdcTime, mapped onto the caller's clock as
 *   adc_mono = now - (timeInfo->currentTime - inputBufferAdcTime)
 * (or, when currentTime is missing, through the Pa_GetStreamTime offset
 * measured at start).  Per block, err = adc_mono - sample timeline:
 *   - |err| <= RESYNC: the sound card's clock drifts against CLOCK_MONOTONIC;
 *     the anchor is slewed 1 us per block (100 ppm) toward it, so steps stay
 *     10 ms +- 1 us and per-callback scheduling jitter never shows;
 *   - err > RESYNC: the device lost samples we never saw (host xrun); jump
 *     forward to the ADC time;
 *   - err < -RESYNC: the device delivers faster than real time (a virtual
 *     PCM with no clock, e.g. ALSA's file/null): keep the sample timeline,
 *     time never goes backwards.
 * When the host API gives no ADC time (0) the timeline is simply
 * start_us + produced / 48000.
 * A block that does not fit in the ring is dropped whole (one overflow); the
 * sample count still advances, so capture times jump over the gap.
 *
 * Failure: the stream-finished callback, Pa_IsStreamActive() turning false,
 * or no callback for STALL_MS (FIRST_CB_MS for the first one) make read/write
 * return -EIO; the caller
 * closes and reopens.  Device xruns that PortAudio reports in the callback's
 * status flags (paInputOverflow, paOutputUnderflow...) are recovered from by
 * PortAudio itself: they are counted with the ring overflows/underflows, not
 * treated as a failure, so one glitch does not cost a device reopen.
 *
 * Initialising PortAudio, resolving device names, opening, closing and
 * listing (all under one mutex, since PortAudio's API is not thread-safe):
 * vc_pa_dev.c.
 */
#define _GNU_SOURCE /* sem_clockwait: timeouts on CLOCK_MONOTONIC */
#include "vc_pa.h"

#include <errno.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <portaudio.h>

#include "vc_pa_dev.h"
#include "vc_ring.h"

#define IN_RING_SAMPLES 48000       /* >= 1 s of capture before overflow */
#define STAMP_RING 512              /* > ring blocks even for short callbacks */
#define OUT_RING_EXTRA 48000        /* room above target_ms for large writes */
#define STALL_MS 3000               /* no callback for this long = dead device */
#define FIRST_CB_MS 10000           /* ...but a starting stream gets longer: the
				     * ALSA pulse plugin's first capture block
				     * can take ~2 s */
#define MIX_CHUNK 256               /* stack scratch for down/upmixing */
#define RESYNC_US 40000             /* ADC time vs sample count: re-anchor */
#define SLEW_DEADBAND_US 2000       /* ignore ADC jitter below this */

/* ---- shared helpers ------------------------------------------------------ */

static uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Wait on sem until deadline_us (CLOCK_MONOTONIC).  0, or -ETIMEDOUT. */
static int sem_wait_until(sem_t *s, uint64_t deadline_us)
{
	struct timespec ts = {
		.tv_sec = (time_t)(deadline_us / 1000000u),
		.tv_nsec = (long)(deadline_us % 1000000u) * 1000L,
	};

	for (;;) {
		if (sem_clockwait(s, CLOCK_MONOTONIC, &ts) == 0)
			break;
		if (errno == ETIMEDOUT)
			return -ETIMEDOUT;
		/* EINTR: wait again */
	}
	while (sem_trywait(s) == 0)
		; /* fold stale wake-ups into this one */
	return 0;
}

/* ---- input ------------------------------------------------------------- */

struct stamp {
	uint64_t idx; /* ring sample index (samples ever written) of the block */
	uint64_t us;  /* capture time of that sample, CLOCK_MONOTONIC */
};

struct vc_pa_in {
	PaStream *stream;
	const struct vc_clock *clock;
	struct vc_ring *ring;
	struct vc_ring *stamps;
	sem_t sem;
	bool sem_ok;
	int channels;

	/* Written before Pa_StartStream, read-only in the callback. */
	double pa_offset_us; /* clock_us - Pa stream time * 1e6, at start */
	uint64_t start_us;

	/* Callback-owned (only the callback touches them). */
	uint64_t cb_produced; /* samples delivered by the device, dropped or not */
	uint64_t cb_written;  /* samples that went into the ring */
	bool anchored;
	uint64_t anchor_idx; /* cb_produced at the anchor */
	uint64_t anchor_us;

	uint64_t started_us; /* mono_us() at Pa_StartStream */
	_Atomic uint64_t overflows;
	_Atomic uint64_t last_cb_us; /* 0 = no callback yet */
	_Atomic bool failed;
	_Atomic bool closing;

	/* Reader-owned. */
	uint64_t rd_idx; /* ring index of the next sample to read */
	struct stamp cur, next;
	bool have_cur, have_next;
};

/* Duration of n samples, without overflow for any n. */
static uint64_t samples_us(uint64_t n)
{
	return n / VC_PA_RATE * 1000000u + n % VC_PA_RATE * 1000000u / VC_PA_RATE;
}

/* Capture time of the first sample of the block now in the callback (see
 * "Input timing" above).  Callback context: arithmetic only. */
static uint64_t block_time(struct vc_pa_in *in, const PaStreamCallbackTimeInfo *ti)
{
	int64_t adc = -1;

	if (ti && ti->inputBufferAdcTime > 0.0) {
		double age = ti->currentTime - ti->inputBufferAdcTime;
		if (ti->currentTime > 0.0 && age >= 0.0 && age < 1.0)
			adc = (int64_t)vc_clock_now(in->clock) - (int64_t)(age * 1e6);
		else
			adc = (int64_t)(ti->inputBufferAdcTime * 1e6 + in->pa_offset_us);
	}
	if (!in->anchored) {
		in->anchored = true;
		in->anchor_idx = in->cb_produced;
		in->anchor_us = adc >= 0 ? (uint64_t)adc : in->start_us + samples_us(in->cb_produced);
		return in->anchor_us;
	}
	uint64_t t = in->anchor_us + samples_us(in->cb_produced - in->anchor_idx);
	if (adc < 0)
		return t;
	int64_t err = adc - (int64_t)t;
	if (err > RESYNC_US) {
		in->anchor_idx = in->cb_produced;
		in->anchor_us = (uint64_t)adc;
		return in->anchor_us;
	}
	if (err > SLEW_DEADBAND_US && err <= RESYNC_US)
		in->anchor_us++;
	else if (err < -SLEW_DEADBAND_US && err >= -RESYNC_US)
		in->anchor_us--;
	return in->anchor_us + samples_us(in->cb_produced - in->anchor_idx);
}

static int in_cb(const void *input, void *output, unsigned long frames,
		 const PaStreamCallbackTimeInfo *ti, PaStreamCallbackFlags flags, void *user)
{
	struct vc_pa_in *in = user;
	const int16_t *src = input;
	(void)output;

	uint64_t now = mono_us();
	atomic_store_explicit(&in->last_cb_us, now, memory_order_relaxed);
	if (flags & (paInputOverflow | paInputUnderflow))
		atomic_fetch_add_explicit(&in->overflows, 1, memory_order_relaxed);
	if (!src || frames == 0)
		goto out;

	struct stamp st = { .idx = in->cb_written, .us = block_time(in, ti) };
	in->cb_produced += frames;

	/* Drop the whole block rather than part of it, so every stamp starts a
	 * block and the timeline has no sub-block slips. */
	if (vc_ring_writable(in->ring) < frames || vc_ring_writable(in->stamps) < 1) {
		atomic_fetch_add_explicit(&in->overflows, 1, memory_order_relaxed);
		goto out;
	}
	/* Stamp first: a reader that sees the samples then also sees their stamp
	 * (release on the sample ring orders the stamp write before it). */
	vc_ring_write(in->stamps, &st, 1);
	if (in->channels == 1) {
		vc_ring_write(in->ring, src, frames);
	} else {
		int16_t mix[MIX_CHUNK];
		int ch = in->channels;
		for (unsigned long done = 0; done < frames;) {
			unsigned long n = frames - done < MIX_CHUNK ? frames - done : MIX_CHUNK;
			for (unsigned long i = 0; i < n; i++) {
				const int16_t *f = src + (done + i) * (unsigned long)ch;
				mix[i] = (int16_t)(((int32_t)f[0] + f[1]) / 2);
			}
			vc_ring_write(in->ring, mix, n);
			done += n;
		}
	}
	in->cb_written += frames;
out:
	sem_post(&in->sem);
	return paContinue;
}

static void in_finished(void *user)
{
	struct vc_pa_in *in = user;

	if (!atomic_load(&in->closing))
		atomic_store(&in->failed, true);
	sem_post(&in->sem);
}

void vc_pa_in_close(struct vc_pa_in *in)
{
	if (!in)
		return;
	atomic_store(&in->closing, true);
	if (in->stream)
		vc_pa_stream_close(in->stream);
	if (in->sem_ok)
		sem_destroy(&in->sem);
	vc_ring_free(in->ring);
	vc_ring_free(in->stamps);
	free(in);
}

/* Opened, not yet started: map PortAudio's stream clock onto
 * CLOCK_MONOTONIC (and the caller's clock, which is CLOCK_MONOTONIC in the
 * daemon). */
static void in_opened(void *user, PaStream *s, const PaStreamParameters *p)
{
	struct vc_pa_in *in = user;

	(void)p;
	in->start_us = vc_clock_now(in->clock);
	in->pa_offset_us = (double)in->start_us - Pa_GetStreamTime(s) * 1e6;
	in->started_us = mono_us();
}

int vc_pa_in_open(struct vc_pa_in **out, const char *device, const struct vc_clock *clock,
		  char *err, size_t errlen)
{
	struct vc_pa_in *in;
	int ret;

	*out = NULL;
	if (errlen)
		err[0] = '\0';
	in = calloc(1, sizeof(*in));
	if (!in)
		return -ENOMEM;
	in->clock = clock ? clock : vc_clock_monotonic();
	atomic_init(&in->overflows, 0);
	atomic_init(&in->last_cb_us, 0);
	atomic_init(&in->failed, false);
	atomic_init(&in->closing, false);
	ret = vc_ring_new(&in->ring, sizeof(int16_t), IN_RING_SAMPLES);
	if (!ret)
		ret = vc_ring_new(&in->stamps, sizeof(struct stamp), STAMP_RING);
	if (ret)
		goto fail;
	if (sem_init(&in->sem, 0, 0) != 0) {
		ret = -errno;
		goto fail;
	}
	in->sem_ok = true;

	ret = vc_pa_stream_open(device, true, in_cb, in_finished, in, in_opened, &in->stream,
			  &in->channels, err, errlen);
	if (ret)
		goto fail;
	*out = in;
	return 0;

fail:
	if (ret == -ENOMEM || (errlen && !err[0]))
		snprintf(err, errlen, "portaudio: out of memory");
	vc_pa_in_close(in);
	return ret;
}

/* The stream is dead if PortAudio finished it or the callbacks stopped.
 * last_cb is 0 until the first callback; started_us is when we started. */
static bool stream_dead(PaStream *s, _Atomic bool *failed, _Atomic uint64_t *last_cb,
			uint64_t started_us)
{
	if (atomic_load(failed))
		return true;
	if (Pa_IsStreamActive(s) != 1)
		return true;
	uint64_t last = atomic_load_explicit(last_cb, memory_order_relaxed);
	uint64_t now = mono_us();
	if (last == 0)
		return now - started_us > (uint64_t)FIRST_CB_MS * 1000u;
	return now > last && now - last > (uint64_t)STALL_MS * 1000u;
}

/* Advance the reader's stamps so that cur is the last block start <= rd_idx. */
static void in_sync_stamps(struct vc_pa_in *in)
{
	for (;;) {
		if (!in->have_next) {
			if (vc_ring_read(in->stamps, &in->next, 1) != 1)
				return;
			in->have_next = true;
		}
		if (in->next.idx > in->rd_idx)
			return;
		in->cur = in->next;
		in->have_cur = true;
		in->have_next = false;
	}
}

int vc_pa_in_read(struct vc_pa_in *in, int16_t *pcm, int frames, uint64_t *capture_us,
		  int timeout_ms)
{
	if (frames <= 0)
		return 0;
	if ((size_t)frames > vc_ring_capacity(in->ring))
		return -EINVAL;
	uint64_t deadline = mono_us() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0) * 1000u;

	while (vc_ring_readable(in->ring) < (size_t)frames) {
		bool dead = stream_dead(in->stream, &in->failed, &in->last_cb_us, in->started_us);
		if (dead)
			return -EIO;
		if (sem_wait_until(&in->sem, deadline) == -ETIMEDOUT) {
			if (vc_ring_readable(in->ring) >= (size_t)frames)
				break;
			dead = stream_dead(in->stream, &in->failed, &in->last_cb_us, in->started_us);
			return dead ? -EIO : 0;
		}
	}
	in_sync_stamps(in);
	uint64_t t = in->have_cur ? in->cur.us + samples_us(in->rd_idx - in->cur.idx)
				  : in->start_us;
	vc_ring_read(in->ring, pcm, (size_t)frames);
	in->rd_idx += (uint64_t)frames;
	if (capture_us)
		*capture_us = t;
	return frames;
}

uint64_t vc_pa_in_overflows(const struct vc_pa_in *in)
{
	return atomic_load_explicit(&in->overflows, memory_order_relaxed);
}

/* ---- output ------------------------------------------------------------ */

struct vc_pa_out {
	PaStream *stream;
	struct vc_ring *ring;
	sem_t sem;
	bool sem_ok;
	int channels;
	size_t target; /* samples */
	double latency_s;

	uint64_t started_us;
	_Atomic uint64_t underflows;
	_Atomic uint64_t last_cb_us; /* 0 = no callback yet */
	_Atomic bool primed; /* the writer has queued something */
	_Atomic bool failed;
	_Atomic bool closing;
};

static int out_cb(const void *input, void *output, unsigned long frames,
		  const PaStreamCallbackTimeInfo *ti, PaStreamCallbackFlags flags, void *user)
{
	struct vc_pa_out *o = user;
	int16_t *dst = output;
	size_t got;
	(void)input;
	(void)ti;

	atomic_store_explicit(&o->last_cb_us, mono_us(), memory_order_relaxed);
	if (flags & (paOutputUnderflow | paOutputOverflow))
		atomic_fetch_add_explicit(&o->underflows, 1, memory_order_relaxed);
	if (o->channels == 1) {
		got = vc_ring_read(o->ring, dst, frames);
		memset(dst + got, 0, (frames - got) * sizeof(int16_t));
	} else {
		int16_t mix[MIX_CHUNK];
		int ch = o->channels;
		got = 0;
		for (unsigned long done = 0; done < frames;) {
			unsigned long want = frames - done < MIX_CHUNK ? frames - done : MIX_CHUNK;
			size_t n = vc_ring_read(o->ring, mix, want);
			memset(mix + n, 0, (want - n) * sizeof(int16_t));
			for (unsigned long i = 0; i < want; i++)
				for (int c = 0; c < ch; c++)
					dst[(done + i) * (unsigned long)ch + (unsigned long)c] = mix[i];
			got += n;
			done += want;
		}
	}
	/* Silence before the first write is start-up, not an underflow. */
	if (got < frames && atomic_load_explicit(&o->primed, memory_order_relaxed))
		atomic_fetch_add_explicit(&o->underflows, 1, memory_order_relaxed);
	sem_post(&o->sem);
	return paContinue;
}

static void out_finished(void *user)
{
	struct vc_pa_out *o = user;

	if (!atomic_load(&o->closing))
		atomic_store(&o->failed, true);
	sem_post(&o->sem);
}

void vc_pa_out_close(struct vc_pa_out *o)
{
	if (!o)
		return;
	atomic_store(&o->closing, true);
	if (o->stream)
		vc_pa_stream_close(o->stream);
	if (o->sem_ok)
		sem_destroy(&o->sem);
	vc_ring_free(o->ring);
	free(o);
}

/* Opened, not yet started: what the device adds to the queue's delay. */
static void out_opened(void *user, PaStream *s, const PaStreamParameters *p)
{
	struct vc_pa_out *o = user;
	const PaStreamInfo *si = Pa_GetStreamInfo(s);

	o->latency_s = si ? si->outputLatency : p->suggestedLatency;
	o->started_us = mono_us();
}

int vc_pa_out_open(struct vc_pa_out **out, const char *device, int target_ms, char *err,
		   size_t errlen)
{
	struct vc_pa_out *o;
	int ret;

	*out = NULL;
	if (errlen)
		err[0] = '\0';
	if (target_ms < 10)
		target_ms = 10;
	if (target_ms > 2000)
		target_ms = 2000;
	o = calloc(1, sizeof(*o));
	if (!o)
		return -ENOMEM;
	atomic_init(&o->underflows, 0);
	atomic_init(&o->last_cb_us, 0);
	atomic_init(&o->primed, false);
	atomic_init(&o->failed, false);
	atomic_init(&o->closing, false);
	o->target = (size_t)target_ms * VC_PA_RATE / 1000u;
	ret = vc_ring_new(&o->ring, sizeof(int16_t), o->target + OUT_RING_EXTRA);
	if (ret)
		goto fail;
	if (sem_init(&o->sem, 0, 0) != 0) {
		ret = -errno;
		goto fail;
	}
	o->sem_ok = true;

	ret = vc_pa_stream_open(device, false, out_cb, out_finished, o, out_opened, &o->stream,
			  &o->channels, err, errlen);
	if (ret)
		goto fail;
	*out = o;
	return 0;

fail:
	if (ret == -ENOMEM || (errlen && !err[0]))
		snprintf(err, errlen, "portaudio: out of memory");
	vc_pa_out_close(o);
	return ret;
}

int vc_pa_out_write(struct vc_pa_out *o, const int16_t *pcm, int frames, int timeout_ms)
{
	uint64_t deadline = mono_us() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0) * 1000u;
	size_t done = 0;

	if (frames <= 0)
		return 0;
	while (done < (size_t)frames) {
		if (stream_dead(o->stream, &o->failed, &o->last_cb_us, o->started_us))
			return -EIO;
		if (vc_ring_readable(o->ring) <= o->target) {
			size_t n = vc_ring_write(o->ring, pcm + done, (size_t)frames - done);
			if (n) {
				atomic_store_explicit(&o->primed, true, memory_order_relaxed);
				done += n;
				continue;
			}
		}
		if (sem_wait_until(&o->sem, deadline) == -ETIMEDOUT)
			break;
	}
	return (int)done;
}

uint64_t vc_pa_out_underflows(const struct vc_pa_out *o)
{
	return atomic_load_explicit(&o->underflows, memory_order_relaxed);
}

uint64_t vc_pa_out_play_time(const struct vc_pa_out *o)
{
	uint64_t queued_us = (uint64_t)vc_ring_readable(o->ring) * 1000000u / VC_PA_RATE;

	return mono_us() + queued_us + (uint64_t)(o->latency_s * 1e6);
}
