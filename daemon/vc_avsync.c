/* vc_avsync.c - lip sync steps and the drift estimate. */
#include "vc_avsync.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "vc_drift.h"
#include "vc_opus.h"

struct acc {
	pthread_mutex_t lock;
	double sum_ms;
	uint64_t n;
};

struct vc_avsync {
	struct acc acc[VC_N_STREAMS];
	uint32_t extra[VC_N_STREAMS];   /* receive thread */
	unsigned measured;              /* ticks with notes of both streams */
	pthread_mutex_t drift_lock;     /* reset (receive thread) vs tick (same): cheap */
	struct vc_drift drift;
	_Atomic int64_t drift_ppb;      /* INT64_MIN: unknown */
};

static uint32_t sync_move(uint32_t extra, double by_ms)
{
	double v = (double)extra + by_ms;

	return v <= 0 ? 0 : v >= VC_SYNC_MAX_EXTRA_MS ? VC_SYNC_MAX_EXTRA_MS : (uint32_t)lrint(v);
}

void vc_sync_step(uint32_t extra[VC_N_STREAMS], double diff)
{
	if (!isfinite(diff) || fabs(diff) < VC_SYNC_DEADBAND_MS)
		return;
	double step = fmin(fabs(diff), VC_SYNC_STEP_MS);
	enum vc_stream late = diff > 0 ? VC_VIDEO : VC_AUDIO;
	enum vc_stream early = diff > 0 ? VC_AUDIO : VC_VIDEO;
	if (extra[late] > 0)
		extra[late] = sync_move(extra[late], -step);
	else
		extra[early] = sync_move(extra[early], step);
}

int vc_avsync_new(struct vc_avsync **out)
{
	struct vc_avsync *a = calloc(1, sizeof(*a));

	*out = NULL;
	if (!a)
		return -ENOMEM;
	for (int i = 0; i < VC_N_STREAMS; i++)
		pthread_mutex_init(&a->acc[i].lock, NULL);
	pthread_mutex_init(&a->drift_lock, NULL);
	vc_drift_init(&a->drift, VC_DRIFT_MIN_SPAN_S, VC_DRIFT_STEP_MS);
	atomic_store(&a->drift_ppb, INT64_MIN);
	*out = a;
	return 0;
}

void vc_avsync_free(struct vc_avsync *a)
{
	if (!a)
		return;
	for (int i = 0; i < VC_N_STREAMS; i++)
		pthread_mutex_destroy(&a->acc[i].lock);
	pthread_mutex_destroy(&a->drift_lock);
	free(a);
}

void vc_avsync_note(struct vc_avsync *a, enum vc_stream st, int64_t sender_us, uint64_t shown_us)
{
	struct acc *c = &a->acc[st];
	int64_t late = (int64_t)shown_us - sender_us;

	if (st == VC_AUDIO) /* decoder output lags the timestamp by the look-ahead */
		late += (int64_t)VC_OPUS_LOOKAHEAD * 1000000 / VC_OPUS_RATE;
	pthread_mutex_lock(&c->lock);
	c->sum_ms += (double)late / 1000.0;
	c->n++;
	pthread_mutex_unlock(&c->lock);
}

static void take(struct acc *c, double *mean, uint64_t *n)
{
	pthread_mutex_lock(&c->lock);
	*n = c->n;
	*mean = c->n ? c->sum_ms / (double)c->n : 0;
	c->sum_ms = 0;
	c->n = 0;
	pthread_mutex_unlock(&c->lock);
}

void vc_avsync_tick(struct vc_avsync *a, uint64_t now, bool have_transit, int64_t transit,
		    uint32_t extra[VC_N_STREAMS])
{
	double am, vm, ppm;
	uint64_t an, vn;

	if (have_transit) {
		pthread_mutex_lock(&a->drift_lock);
		vc_drift_sample(&a->drift, now, transit);
		bool ok = vc_drift_ppm(&a->drift, &ppm);
		pthread_mutex_unlock(&a->drift_lock);
		atomic_store(&a->drift_ppb, ok ? (int64_t)llround(ppm * 1000.0) : INT64_MIN);
	}
	take(&a->acc[VC_AUDIO], &am, &an);
	take(&a->acc[VC_VIDEO], &vm, &vn);
	/* The first second of both streams is start-up (the decode-time and
	 * jitter estimates still empty, the first keyframe): it measures the
	 * transient, not the offset, and a step taken on it stays. */
	if (an && vn && ++a->measured > VC_SYNC_WARMUP_TICKS)
		vc_sync_step(a->extra, vm - am);
	memcpy(extra, a->extra, sizeof(a->extra));
}

bool vc_avsync_drift_ppm(const struct vc_avsync *a, double *ppm)
{
	int64_t ppb = atomic_load(&a->drift_ppb);

	if (ppb == INT64_MIN)
		return false;
	*ppm = (double)ppb / 1000.0;
	return true;
}

void vc_avsync_reset_drift(struct vc_avsync *a)
{
	pthread_mutex_lock(&a->drift_lock);
	vc_drift_reset(&a->drift);
	/* nor publish the old sender's estimate until the next fit */
	atomic_store(&a->drift_ppb, INT64_MIN);
	pthread_mutex_unlock(&a->drift_lock);
}
