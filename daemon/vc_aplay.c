/* vc_aplay.c - audio jitter buffer, decode, stretch and playout. */
#include "vc_aplay.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "vc_cond.h"
#include "vc_jb.h"
#include "vc_opus.h"
#include "vc_rtp.h"
#include "vc_stretch.h"

#define CAPTURE_SLOTS 256 /* seq -> capture time side table */
/* less than a block left + what stretching one packet can make (2 n + 40 ms) */
#define FIFO_LEN (VC_APLAY_BLOCK + 2 * VC_OPUS_FRAME + 2 * VC_OPUS_FRAME)
#define LOOK_US 2000u /* before playout starts: look this often while a packet waits */

struct vc_aplay {
	struct vc_aplay_cfg cfg;
	pthread_mutex_t lock;
	pthread_cond_t cv;
	/* under lock */
	struct vc_jb *jb;
	uint64_t capture[CAPTURE_SLOTS]; /* by seq % CAPTURE_SLOTS */
	uint16_t capture_seq[CAPTURE_SLOTS];
	bool waiting;                     /* playout sleeps until a put */
	bool stopped;
	_Atomic bool ending;              /* we hung up */
	/* playout thread */
	struct vc_opus_dec *dec;
	struct vc_stretch *st;
	int16_t fifo[FIFO_LEN];
	int fifo_len;
	bool started;
	bool last_quiet;                  /* the last packet decoded to (near) silence */
	uint64_t stretched_in, stretched_out;
};

static uint64_t samples_us(int n)
{
	return (uint64_t)n * 1000000u / VC_OPUS_RATE;
}

double vc_aplay_speed(double delay_ms, double target_ms, double drift_ppm)
{
	double err = delay_ms - target_ms, adj = 0;

	if (err > VC_APLAY_DEADBAND_MS)
		adj = fmin((err - VC_APLAY_DEADBAND_MS) / VC_APLAY_TIME_CONST_MS, VC_APLAY_MAX_ACCEL);
	else if (err < -VC_APLAY_DEADBAND_MS)
		adj = fmax((err + VC_APLAY_DEADBAND_MS) / VC_APLAY_TIME_CONST_MS, -VC_APLAY_MAX_EXPAND);
	return (1.0 + adj) * (1.0 + drift_ppm * 1e-6);
}

double vc_aplay_want_ms(double delay_ms, double fifo_ms, double lat_ms, double target_ms)
{
	double hold = delay_ms - fifo_ms - lat_ms;

	/* A hold that equals the target but for the subtraction's rounding
	 * (39.999999999999993) covers it: 1 ns of slack, not another tick. */
	return lat_ms + hold + ceil((target_ms - hold - 1e-6) / VC_APLAY_TICK_MS) * VC_APLAY_TICK_MS;
}

int vc_aplay_new(struct vc_aplay **out, const struct vc_aplay_cfg *cfg)
{
	struct vc_aplay *a = calloc(1, sizeof(*a));
	struct vc_jb_cfg jc = { .clock_rate = VC_OPUS_RATE, .target_ms = cfg->fixed_target_ms, .slots = 128,
				.max_payload = VC_RTP_MAX_PACKET };

	*out = NULL;
	if (!a)
		return -ENOMEM;
	a->cfg = *cfg;
	pthread_mutex_init(&a->lock, NULL);
	vc_cond_init_monotonic(&a->cv);
	if (vc_jb_new(&a->jb, &jc) || vc_opus_dec_new(&a->dec, 1) ||
	    vc_stretch_new_flags(&a->st, VC_OPUS_RATE, VC_STRETCH_NO_DELAY)) {
		vc_aplay_free(a);
		return -ENOMEM;
	}
	*out = a;
	return 0;
}

void vc_aplay_free(struct vc_aplay *a)
{
	if (!a)
		return;
	vc_jb_free(a->jb);
	vc_stretch_free(a->st);
	vc_opus_dec_free(a->dec);
	pthread_cond_destroy(&a->cv);
	pthread_mutex_destroy(&a->lock);
	free(a);
}

/* ---- receive thread ---------------------------------------------------- */

void vc_aplay_reset(struct vc_aplay *a)
{
	pthread_mutex_lock(&a->lock);
	vc_jb_reset(a->jb);
	pthread_mutex_unlock(&a->lock);
}

void vc_aplay_put(struct vc_aplay *a, uint16_t seq, uint32_t ts, const uint8_t *payload, size_t len,
		  uint64_t capture_us, uint64_t now)
{
	struct vc_stats *st = a->cfg.stats;

	pthread_mutex_lock(&a->lock);
	enum vc_jb_put_result r = vc_jb_put(a->jb, seq, ts, payload, len, now);
	if (r == VC_JB_STORED || r == VC_JB_OVERFLOW) {
		a->capture[seq % CAPTURE_SLOTS] = capture_us;
		a->capture_seq[seq % CAPTURE_SLOTS] = seq;
	}
	if (a->waiting) {
		a->waiting = false;
		pthread_cond_signal(&a->cv);
	}
	pthread_mutex_unlock(&a->lock);
	switch (r) {
	case VC_JB_STORED:
		break;
	case VC_JB_DUPLICATE:
		atomic_fetch_add(&st->rejected_duplicate, 1);
		break;
	case VC_JB_LATE:
		atomic_fetch_add(&st->audio_late, 1);
		atomic_fetch_add(&st->rejected_late, 1);
		break;
	case VC_JB_OVERFLOW:
		atomic_fetch_add(&st->rejected_overflow, 1);
		break;
	case VC_JB_TOO_BIG:
		atomic_fetch_add(&st->rejected_too_big, 1);
		break;
	}
}

bool vc_aplay_ref_transit_us(struct vc_aplay *a, int64_t *transit)
{
	pthread_mutex_lock(&a->lock);
	bool ok = vc_jb_ref_transit_us(a->jb, transit);
	pthread_mutex_unlock(&a->lock);
	return ok;
}

void vc_aplay_set_extra_ms(struct vc_aplay *a, uint32_t ms)
{
	pthread_mutex_lock(&a->lock);
	vc_jb_set_extra_ms(a->jb, ms);
	pthread_mutex_unlock(&a->lock);
}

bool vc_aplay_empty(struct vc_aplay *a)
{
	pthread_mutex_lock(&a->lock);
	bool empty = vc_jb_count(a->jb) == 0;
	pthread_mutex_unlock(&a->lock);
	return empty;
}

void vc_aplay_ending(struct vc_aplay *a)
{
	atomic_store(&a->ending, true);
}

void vc_aplay_stop(struct vc_aplay *a)
{
	pthread_mutex_lock(&a->lock);
	a->stopped = true;
	pthread_cond_broadcast(&a->cv);
	pthread_mutex_unlock(&a->lock);
}

/* ---- playout thread ---------------------------------------------------- */

/* Below about -60 dBFS RMS: what a muted or DTX-ing sender sounds like. */
static bool pcm_quiet(const int16_t *pcm, int n)
{
	int64_t e = 0;

	for (int i = 0; i < n; i++)
		e += (int64_t)pcm[i] * pcm[i];
	return e < (int64_t)n * 33 * 33;
}

/* Sleep until a packet is put (or stop); with a deadline, until then at
 * the latest.  Returns false once stopped. */
static bool wait_for_packet(struct vc_aplay *a, uint64_t deadline_us)
{
	pthread_mutex_lock(&a->lock);
	if (!a->stopped) {
		a->waiting = true;
		vc_cond_wait_until(&a->cv, &a->lock, deadline_us);
		a->waiting = false;
	}
	bool go = !a->stopped;
	pthread_mutex_unlock(&a->lock);
	return go;
}

static bool stopped(struct vc_aplay *a)
{
	pthread_mutex_lock(&a->lock);
	bool s = a->stopped;
	pthread_mutex_unlock(&a->lock);
	return s;
}

/* Decode (or conceal) one 20 ms step into pcm; returns what the jitter
 * buffer said.  *delay_ms / *target_ms are the playout delay and target
 * for audio heard at play_us. */
static enum vc_jb_get_result decode_step(struct vc_aplay *a, uint64_t play_us, int16_t *pcm, double *delay_ms,
					 double *target_ms)
{
	struct vc_stats *st = a->cfg.stats;
	uint8_t data[VC_RTP_MAX_PACKET];
	struct vc_jb_pkt p;
	size_t len = 0;
	uint64_t capture = 0;
	int n = 0;

	pthread_mutex_lock(&a->lock);
	*delay_ms = vc_jb_delay_ms(a->jb, play_us);
	enum vc_jb_get_result r = vc_jb_get(a->jb, play_us, VC_OPUS_FRAME, &p);
	*target_ms = vc_jb_target_ms(a->jb);
	if ((r == VC_JB_PACKET || r == VC_JB_MISSING) && p.data && p.len <= sizeof(data)) {
		len = p.len;
		memcpy(data, p.data, len);
	}
	if (r == VC_JB_PACKET && a->capture_seq[p.seq % CAPTURE_SLOTS] == p.seq)
		capture = a->capture[p.seq % CAPTURE_SLOTS];
	atomic_store(&st->audio_jb_skipped, vc_jb_skipped(a->jb));
	pthread_mutex_unlock(&a->lock);

	if (r == VC_JB_PACKET) {
		int64_t sender_us;
		if (vc_session_sender_time(a->cfg.session, VC_AUDIO, p.ts, &sender_us))
			vc_avsync_note(a->cfg.sync, VC_AUDIO, sender_us, play_us);
	}
	switch (r) {
	case VC_JB_NOT_YET:
		memset(pcm, 0, VC_OPUS_FRAME * sizeof(pcm[0]));
		return r;
	case VC_JB_PACKET:
		n = vc_opus_dec_decode(a->dec, data, len, false, pcm, VC_OPUS_MAX_FRAME, VC_OPUS_FRAME);
		if (n < 0)
			atomic_fetch_add(&st->concealed_us, samples_us(VC_OPUS_FRAME));
		break;
	case VC_JB_MISSING:
		if (p.fec_candidate && len && vc_opus_has_fec(data, len)) {
			n = vc_opus_dec_decode(a->dec, data, len, true, pcm, VC_OPUS_MAX_FRAME, VC_OPUS_FRAME);
			if (n > 0) {
				atomic_fetch_add(&st->fec_recovered, 1);
				break;
			}
		}
		atomic_fetch_add(&st->concealed_us, samples_us(VC_OPUS_FRAME));
		break;
	case VC_JB_DTX:
		/* The sender chose silence: the decoder's comfort noise, not
		 * concealment of something lost. */
		atomic_fetch_add(&st->dtx_us, samples_us(VC_OPUS_FRAME));
		break;
	case VC_JB_UNDERRUN:
		/* Nothing to play yet: PLC stretches what was last heard, and
		 * the delay grows by it (the late packet still plays).  After
		 * silence it is most likely DTX that has begun: the next packet
		 * (consecutive sequence number) will say, and the timeline then
		 * jumps to it. */
		if (a->last_quiet)
			atomic_fetch_add(&st->dtx_us, samples_us(VC_APLAY_BLOCK));
		else if (!vc_session_peer_bye(a->cfg.session) && !atomic_load(&a->ending))
			atomic_fetch_add(&st->concealed_us, samples_us(VC_APLAY_BLOCK));
		break;
	}
	if (r == VC_JB_UNDERRUN) {
		/* one tick of PLC: the late packet plays as soon as it is in */
		n = vc_opus_dec_decode(a->dec, NULL, 0, false, pcm, VC_OPUS_MAX_FRAME, VC_APLAY_BLOCK);
		if (n != VC_APLAY_BLOCK)
			memset(pcm, 0, VC_APLAY_BLOCK * sizeof(pcm[0]));
		return r;
	}
	if (n <= 0)
		n = vc_opus_dec_decode(a->dec, NULL, 0, false, pcm, VC_OPUS_MAX_FRAME, VC_OPUS_FRAME);
	if (n != VC_OPUS_FRAME)
		memset(pcm, 0, VC_OPUS_FRAME * sizeof(pcm[0]));
	if (r == VC_JB_PACKET || r == VC_JB_DTX)
		a->last_quiet = pcm_quiet(pcm, VC_OPUS_FRAME);
	if (capture && play_us > capture) {
		/* Decoded sound lags its timestamp by the sender's look-ahead. */
		uint64_t e2e = play_us - capture + samples_us(VC_OPUS_LOOKAHEAD);
		atomic_fetch_add(&st->audio_e2e_sum_us, e2e);
		atomic_fetch_add(&st->audio_e2e_n, 1);
	}
	return r;
}

/* Fill the FIFO to at least one block: decode steps and stretch them.
 * heard_us: when the first sample in the FIFO will be heard. */
static enum vc_jb_get_result fill(struct vc_aplay *a, uint64_t now, uint64_t heard_us)
{
	enum vc_jb_get_result last = VC_JB_NOT_YET;
	double lat_ms = heard_us > now ? (double)(heard_us - now) / 1000.0 : 0;

	while (a->fifo_len < VC_APLAY_BLOCK) {
		int16_t pcm[VC_OPUS_MAX_FRAME];
		double delay, target, drift = 0, speed = 1.0;
		uint64_t play = heard_us + samples_us(a->fifo_len + vc_stretch_delay(a->st));
		enum vc_jb_get_result r = decode_step(a, play, pcm, &delay, &target);
		int n = r == VC_JB_UNDERRUN ? VC_APLAY_BLOCK : VC_OPUS_FRAME;

		last = r;
		if (r != VC_JB_NOT_YET)
			a->started = true;
		if (r == VC_JB_PACKET || r == VC_JB_MISSING) {
			double fifo_ms = (double)samples_us(a->fifo_len) / 1000.0;
			vc_avsync_drift_ppm(a->cfg.sync, &drift);
			speed = vc_aplay_speed(delay, vc_aplay_want_ms(delay, fifo_ms, lat_ms, target), drift);
		}
		if (r == VC_JB_NOT_YET && !a->started) {
			/* Before the first packet: nothing through the stretcher. */
			memcpy(a->fifo + a->fifo_len, pcm, (size_t)n * sizeof(pcm[0]));
			a->fifo_len += n;
			continue;
		}
		int m = vc_stretch_process(a->st, pcm, n, speed, a->fifo + a->fifo_len, FIFO_LEN - a->fifo_len);
		if (m < 0) { /* cannot happen with the FIFO sized as it is */
			vc_log_limited(a->cfg.log, VC_LOG_ERROR, "audio stretch: %d", m);
			m = 0;
			a->fifo_len = 0;
		}
		a->fifo_len += m;
		a->stretched_in += (uint64_t)n;
		a->stretched_out += (uint64_t)m;
		atomic_store(&a->cfg.stats->audio_jb_us, delay > 0 ? (uint64_t)(delay * 1000.0) : 0);
		atomic_store(&a->cfg.stats->audio_target_ms, (uint32_t)target);
	}
	return last;
}

void *vc_aplay_thread(void *arg)
{
	struct vc_aplay *a = arg;
	struct vc_stats *st = a->cfg.stats;
	const struct vc_clock *clk = a->cfg.clock;
	uint64_t next = 0;

	while (!stopped(a)) {
		bool paced = vc_asink_device_paced(a->cfg.sink);
		uint64_t now = vc_clock_now(clk);

		if (!paced && a->started) {
			/* A file or null sink (or speakers that are away) is paced
			 * by the clock; speakers pace by blocking the write. */
			next += samples_us(VC_APLAY_BLOCK);
			vc_sleep_until_us(next);
			now = vc_clock_now(clk);
			if (now > next + 200000u)
				next = now; /* we were stalled: do not burst to catch up */
		} else {
			next = now;
		}
		/* Everything is timed by when it will be heard: for speakers,
		 * after what they have queued and their output latency. */
		uint64_t heard = vc_asink_play_time(a->cfg.sink, now);
		enum vc_jb_get_result last = fill(a, now, heard);
		if (!a->started) {
			/* Nothing due yet.  With nothing buffered, sleep until a
			 * packet comes; with one waiting for its time, look every
			 * 2 ms, so the tick grid starts right when it is due
			 * rather than up to a block later. */
			a->fifo_len = 0;
			wait_for_packet(a, vc_aplay_empty(a) ? UINT64_MAX : now + LOOK_US);
			continue;
		}
		if (last == VC_JB_UNDERRUN && (vc_session_peer_bye(a->cfg.session) || atomic_load(&a->ending))) {
			/* The peer (or we) hung up and its last packet has played:
			 * there is nothing left to conceal; wait for anything more. */
			a->fifo_len = 0;
			wait_for_packet(a, vc_aplay_empty(a) ? UINT64_MAX : now + LOOK_US);
			continue;
		}
		if (vc_asink_write(a->cfg.sink, a->fifo, VC_APLAY_BLOCK, heard) < 0)
			vc_log_limited(a->cfg.log, VC_LOG_ERROR, "audio sink: write failed");
		/* The echo canceller gets exactly what the speakers play, and
		 * when it will be heard. */
		if (a->cfg.aec)
			vc_aec_far(a->cfg.aec, a->fifo, VC_APLAY_BLOCK, (int64_t)heard);
		a->fifo_len -= VC_APLAY_BLOCK;
		memmove(a->fifo, a->fifo + VC_APLAY_BLOCK, (size_t)a->fifo_len * sizeof(a->fifo[0]));
		atomic_store(&st->speaker_outages, vc_asink_outages(a->cfg.sink));
		atomic_store(&st->speaker_underflows, vc_asink_underflows(a->cfg.sink));
		atomic_fetch_add(&st->audio_played_us, samples_us(VC_APLAY_BLOCK));
		atomic_store(&st->audio_stretch_in, a->stretched_in);
		atomic_store(&st->audio_stretch_out, a->stretched_out);
	}
	return NULL;
}
