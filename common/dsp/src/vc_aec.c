/* vc_aec.c - acoustic echo canceller: speexdsp's MDF echo canceller and
 * residual echo suppressor, with far-end/near-end alignment by timestamps.
 *
 * Data flow.  The playout side writes far-end samples into one SPSC ring and
 * a (play_us, n) mark for them into a second ring, samples first: the mark's
 * release store then publishes the samples too, so a consumer that has read
 * a mark can always read its n samples.  The capture side drains both rings
 * into a circular history indexed by an absolute sample counter, with one
 * (anchor_idx, anchor_us) pair mapping counter to time.  A mic block at
 * capture_us uses the history samples from time capture_us - bulk_delay.
 *
 * No allocation after vc_aec_new(): the rings, the history and the two block
 * buffers are sized there, and speexdsp allocates all of its state in
 * speex_echo_state_init()/speex_preprocess_state_init(); the per-frame calls
 * speex_echo_cancellation() and speex_preprocess_run() work in that state.
 */
#include "vc_aec.h"

#include "vc_ring.h"

#include <errno.h>
#include <speex/speex_echo.h>
#include <speex/speex_preprocess.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

struct far_mark {
	int64_t play_us;
	uint32_t n;
};

struct vc_aec {
	struct vc_aec_cfg cfg;
	SpeexEchoState *echo;
	SpeexPreprocessState *pp; /* NULL unless residual or denoise */

	/* playout side -> capture side */
	struct vc_ring *far_pcm;   /* int16_t samples */
	struct vc_ring *far_marks; /* struct far_mark, one per push */

	/* capture side only */
	int16_t *hist;      /* circular, hist_len samples */
	size_t hist_len;
	int64_t wr;         /* absolute index of the next sample written */
	int64_t lo;         /* oldest absolute index on the current timeline */
	bool anchored;
	int64_t anchor_idx; /* anchor_idx was played at anchor_us */
	int64_t anchor_us;
	int64_t resync_samples;
	int64_t bulk_us;
	/* the microphone's own timeline: blocks are contiguous samples, so
	 * their times follow the sample count unless the stamps jump */
	bool near_anchored;
	int64_t near_next_us;  /* expected capture time of the next block */
	int64_t near_frac;     /* sub-microsecond remainder, in 1/rate us */
	_Atomic uint64_t near_resyncs;
	int16_t *far_blk;   /* frame_samples: the far block for this mic block */
	int16_t *out_blk;   /* frame_samples: canceller output */

	atomic_bool bypass;
	_Atomic uint64_t frames_processed;
	_Atomic uint64_t frames_bypassed;
	_Atomic uint64_t far_underruns;
	_Atomic uint64_t far_dropped;
	_Atomic uint64_t far_gaps;
	_Atomic uint64_t far_resyncs;
};

void vc_aec_cfg_default(struct vc_aec_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->sample_rate = 48000;
	cfg->frame_samples = 480;
	cfg->filter_ms = 200;
	cfg->bulk_delay_ms = 0;
	cfg->history_ms = 500;
	cfg->ring_ms = 500;
	cfg->resync_ms = 5;
	cfg->residual = true;
	cfg->denoise = false;
	cfg->bypass = false;
}

static size_t ms_to_samples(unsigned rate, unsigned ms)
{
	return (size_t)rate * ms / 1000u;
}

/* Microseconds to samples, rounded to nearest (half away from zero). */
static int64_t us_to_samples(unsigned rate, int64_t us)
{
	int64_t num = us * (int64_t)rate;

	if (num >= 0)
		return (num + 500000) / 1000000;
	return -((-num + 500000) / 1000000);
}

static bool cfg_valid(const struct vc_aec_cfg *c)
{
	if (c->sample_rate < 8000 || c->sample_rate > 48000)
		return false;
	/* speex wants 10..20 ms blocks; allow a little either side */
	if (c->frame_samples < c->sample_rate / 200 || c->frame_samples > c->sample_rate / 25)
		return false;
	if (c->filter_ms < 10 || c->filter_ms > 1000)
		return false;
	if (c->bulk_delay_ms > 2000 || c->bulk_delay_ms < -(int)c->filter_ms / 2 ||
	    c->resync_ms > 1000)
		return false;
	if (c->history_ms > 10000 || c->ring_ms > 10000)
		return false;
	/* the history must hold the bulk delay plus at least two blocks */
	if (ms_to_samples(c->sample_rate, c->history_ms) <
	    ms_to_samples(c->sample_rate, c->bulk_delay_ms > 0 ? (unsigned)c->bulk_delay_ms : 0) +
		    2u * c->frame_samples)
		return false;
	if (ms_to_samples(c->sample_rate, c->ring_ms) < 2u * c->frame_samples)
		return false;
	return true;
}

int vc_aec_new(struct vc_aec **out, const struct vc_aec_cfg *cfg)
{
	struct vc_aec *a = NULL;
	struct vc_aec_cfg def;
	size_t ring_samples, ring_marks;
	int err = 0;

	if (!out)
		return -EINVAL;
	if (!cfg) {
		vc_aec_cfg_default(&def);
		cfg = &def;
	}
	if (!cfg_valid(cfg))
		return -EINVAL;

	a = calloc(1, sizeof(*a));
	if (!a) {
		err = -ENOMEM;
		goto out;
	}
	a->cfg = *cfg;
	atomic_init(&a->bypass, cfg->bypass);
	atomic_init(&a->frames_processed, 0);
	atomic_init(&a->frames_bypassed, 0);
	atomic_init(&a->far_underruns, 0);
	atomic_init(&a->far_dropped, 0);
	atomic_init(&a->far_gaps, 0);
	atomic_init(&a->far_resyncs, 0);
	atomic_init(&a->near_resyncs, 0);
	a->resync_samples = (int64_t)ms_to_samples(cfg->sample_rate, cfg->resync_ms);
	a->bulk_us = (int64_t)cfg->bulk_delay_ms * 1000;

	/* Marks: assume pushes of at least 32 samples on average (a 64-frame
	 * callback at 48 kHz is 1.3 ms); smaller pushes just fill up sooner. */
	ring_samples = ms_to_samples(cfg->sample_rate, cfg->ring_ms);
	ring_marks = ring_samples / 32u < 64u ? 64u : ring_samples / 32u;
	err = vc_ring_new(&a->far_pcm, sizeof(int16_t), ring_samples);
	if (err)
		goto out;
	err = vc_ring_new(&a->far_marks, sizeof(struct far_mark), ring_marks);
	if (err)
		goto out;

	a->hist_len = ms_to_samples(cfg->sample_rate, cfg->history_ms);
	a->hist = calloc(a->hist_len, sizeof(*a->hist));
	a->far_blk = calloc(cfg->frame_samples, sizeof(*a->far_blk));
	a->out_blk = calloc(cfg->frame_samples, sizeof(*a->out_blk));
	if (!a->hist || !a->far_blk || !a->out_blk) {
		err = -ENOMEM;
		goto out;
	}

	a->echo = speex_echo_state_init((int)cfg->frame_samples,
					(int)ms_to_samples(cfg->sample_rate, cfg->filter_ms));
	if (!a->echo) {
		err = -ENOMEM;
		goto out;
	}
	{
		int rate = (int)cfg->sample_rate;

		speex_echo_ctl(a->echo, SPEEX_ECHO_SET_SAMPLING_RATE, &rate);
	}
	if (cfg->residual || cfg->denoise) {
		int on = 1, off = 0, zero_db = 0;

		a->pp = speex_preprocess_state_init((int)cfg->frame_samples,
						    (int)cfg->sample_rate);
		if (!a->pp) {
			err = -ENOMEM;
			goto out;
		}
		/* speex_preprocess_run() applies no gain at all - residual echo
		 * suppression included - unless denoise is on (preprocess.c,
		 * "If noise suppression is off, don't apply the gain").  So
		 * denoise stays on and, when noise suppression was not asked
		 * for, its noise floor is 0 dB: only the echo is suppressed. */
		speex_preprocess_ctl(a->pp, SPEEX_PREPROCESS_SET_DENOISE, &on);
		if (!cfg->denoise)
			speex_preprocess_ctl(a->pp, SPEEX_PREPROCESS_SET_NOISE_SUPPRESS, &zero_db);
		speex_preprocess_ctl(a->pp, SPEEX_PREPROCESS_SET_AGC, &off);
		speex_preprocess_ctl(a->pp, SPEEX_PREPROCESS_SET_DEREVERB, &off);
		/* VAD is off by default; setting it prints a warning. */
		if (cfg->residual)
			speex_preprocess_ctl(a->pp, SPEEX_PREPROCESS_SET_ECHO_STATE, a->echo);
	}

	*out = a;
	a = NULL;
out:
	vc_aec_free(a);
	return err;
}

void vc_aec_free(struct vc_aec *aec)
{
	if (!aec)
		return;
	if (aec->pp)
		speex_preprocess_state_destroy(aec->pp);
	if (aec->echo)
		speex_echo_state_destroy(aec->echo);
	vc_ring_free(aec->far_pcm);
	vc_ring_free(aec->far_marks);
	free(aec->hist);
	free(aec->far_blk);
	free(aec->out_blk);
	free(aec);
}

int vc_aec_far(struct vc_aec *aec, const int16_t *pcm, size_t n, int64_t play_us)
{
	struct far_mark m;

	if (!aec || (!pcm && n) || n > vc_ring_capacity(aec->far_pcm) || n > UINT32_MAX)
		return -EINVAL;
	if (!n)
		return 0;
	/* We are the only writer, so writable space can only grow between
	 * these checks and the writes: both writes below succeed in full. */
	if (vc_ring_writable(aec->far_pcm) < n || vc_ring_writable(aec->far_marks) < 1) {
		atomic_fetch_add_explicit(&aec->far_dropped, 1, memory_order_relaxed);
		return -ENOBUFS;
	}
	vc_ring_write(aec->far_pcm, pcm, n);
	m.play_us = play_us;
	m.n = (uint32_t)n;
	vc_ring_write(aec->far_marks, &m, 1);
	return 0;
}

/* Copy n samples from the pcm ring (or zeros) into the history at wr. */
static void hist_append(struct vc_aec *a, size_t n, bool zeros)
{
	while (n) {
		size_t off = (size_t)(a->wr % (int64_t)a->hist_len);
		size_t len = a->hist_len - off;

		if (len > n)
			len = n;
		if (zeros)
			memset(a->hist + off, 0, len * sizeof(*a->hist));
		else
			vc_ring_read(a->far_pcm, a->hist + off, len);
		a->wr += (int64_t)len;
		n -= len;
	}
}

/* Place one far push on the timeline. */
static void far_ingest(struct vc_aec *a, const struct far_mark *m)
{
	int64_t start, ds;

	if (!a->anchored) {
		a->anchored = true;
		a->anchor_idx = a->wr;
		a->anchor_us = m->play_us;
		a->lo = a->wr;
	} else {
		start = a->anchor_idx + us_to_samples(a->cfg.sample_rate, m->play_us - a->anchor_us);
		ds = start - a->wr;
		if (ds > a->resync_samples) {
			/* nothing was played in between: silence */
			if (ds > (int64_t)a->hist_len) {
				hist_append(a, a->hist_len, true);
				a->wr = start;
			} else {
				hist_append(a, (size_t)ds, true);
			}
			a->anchor_idx = a->wr;
			a->anchor_us = m->play_us;
			atomic_fetch_add_explicit(&a->far_gaps, 1, memory_order_relaxed);
		} else if (ds < -a->resync_samples) {
			/* time went back: the old history is on another timeline */
			a->anchor_idx = a->wr;
			a->anchor_us = m->play_us;
			a->lo = a->wr;
			atomic_fetch_add_explicit(&a->far_resyncs, 1, memory_order_relaxed);
		}
		/* else contiguous: keep the sample clock, ignore the jitter */
	}
	hist_append(a, m->n, false);
}

/* Fill far_blk with the far samples played from t_us on; false if the
 * history does not cover them. */
static bool far_fetch(struct vc_aec *a, int64_t t_us)
{
	size_t n = a->cfg.frame_samples, off, len;
	int64_t start, oldest;

	if (!a->anchored)
		return false;
	start = a->anchor_idx + us_to_samples(a->cfg.sample_rate, t_us - a->anchor_us);
	oldest = a->wr - (int64_t)a->hist_len;
	if (oldest < a->lo)
		oldest = a->lo;
	if (start < oldest || a->wr - start < (int64_t)n)
		return false;
	off = (size_t)(start % (int64_t)a->hist_len);
	len = a->hist_len - off;
	if (len > n)
		len = n;
	memcpy(a->far_blk, a->hist + off, len * sizeof(*a->hist));
	memcpy(a->far_blk + len, a->hist, (n - len) * sizeof(*a->hist));
	return true;
}

/* A stream's capture stamps may slew against its sample count (vc_pa
 * disciplines them towards the ADC time by up to 100 ppm): one sample every
 * 0.2 s the canceller would have to re-learn.  Consecutive blocks are
 * contiguous samples, so the block time follows the count; only a stamp
 * more than NEAR_RESYNC_US off (lost samples, a restarted device)
 * re-anchors it. */
#define NEAR_RESYNC_US 30000

static int64_t near_time(struct vc_aec *a, int64_t capture_us, size_t n)
{
	int64_t t = a->near_next_us;
	uint64_t rate = a->cfg.sample_rate;

	if (!a->near_anchored || capture_us - t > NEAR_RESYNC_US || t - capture_us > NEAR_RESYNC_US) {
		if (a->near_anchored)
			atomic_fetch_add_explicit(&a->near_resyncs, 1, memory_order_relaxed);
		a->near_anchored = true;
		a->near_frac = 0;
		t = capture_us;
	}
	/* next = t + n / rate seconds, the remainder carried exactly */
	a->near_frac += (int64_t)(n * 1000000u);
	a->near_next_us = t + a->near_frac / (int64_t)rate;
	a->near_frac %= (int64_t)rate;
	return t;
}

int vc_aec_near(struct vc_aec *aec, int16_t *pcm_in_out, size_t n, int64_t capture_us)
{
	struct far_mark m;

	if (!aec || !pcm_in_out || n != aec->cfg.frame_samples)
		return -EINVAL;

	while (vc_ring_read(aec->far_marks, &m, 1) == 1)
		far_ingest(aec, &m);

	if (atomic_load_explicit(&aec->bypass, memory_order_relaxed)) {
		atomic_fetch_add_explicit(&aec->frames_bypassed, 1, memory_order_relaxed);
		return 0;
	}
	capture_us = near_time(aec, capture_us, n);
	if (!far_fetch(aec, capture_us - aec->bulk_us)) {
		atomic_fetch_add_explicit(&aec->far_underruns, 1, memory_order_relaxed);
		return 0;
	}
	speex_echo_cancellation(aec->echo, pcm_in_out, aec->far_blk, aec->out_blk);
	if (aec->pp)
		speex_preprocess_run(aec->pp, aec->out_blk);
	memcpy(pcm_in_out, aec->out_blk, n * sizeof(*pcm_in_out));
	atomic_fetch_add_explicit(&aec->frames_processed, 1, memory_order_relaxed);
	return 0;
}

void vc_aec_set_bypass(struct vc_aec *aec, bool bypass)
{
	atomic_store_explicit(&aec->bypass, bypass, memory_order_relaxed);
}

bool vc_aec_bypassed(const struct vc_aec *aec)
{
	return atomic_load_explicit(&aec->bypass, memory_order_relaxed);
}

void vc_aec_stats(const struct vc_aec *aec, struct vc_aec_stats *st)
{
	st->frames_processed = atomic_load_explicit(&aec->frames_processed, memory_order_relaxed);
	st->frames_bypassed = atomic_load_explicit(&aec->frames_bypassed, memory_order_relaxed);
	st->far_underruns = atomic_load_explicit(&aec->far_underruns, memory_order_relaxed);
	st->far_dropped = atomic_load_explicit(&aec->far_dropped, memory_order_relaxed);
	st->far_gaps = atomic_load_explicit(&aec->far_gaps, memory_order_relaxed);
	st->far_resyncs = atomic_load_explicit(&aec->far_resyncs, memory_order_relaxed);
	st->near_resyncs = atomic_load_explicit(&aec->near_resyncs, memory_order_relaxed);
}

size_t vc_aec_latency_samples(const struct vc_aec *aec)
{
	return aec->pp ? aec->cfg.frame_samples : 0;
}
