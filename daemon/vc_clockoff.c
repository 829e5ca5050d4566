/* vc_clockoff.c - windowed minimum of the SR clock-offset samples. */
#include "vc_clockoff.h"

#include <string.h>

void vc_clockoff_init(struct vc_clockoff *o, uint64_t bucket_us)
{
	memset(o, 0, sizeof(*o));
	o->bucket_us = bucket_us ? bucket_us : VC_CLOCKOFF_BUCKET_US;
}

static bool live(const struct vc_clockoff *o, unsigned i, uint64_t now_us)
{
	uint64_t start = now_us / o->bucket_us * o->bucket_us;

	return o->b[i].used && o->b[i].start_us <= start &&
	       start - o->b[i].start_us < (uint64_t)VC_CLOCKOFF_BUCKETS * o->bucket_us;
}

void vc_clockoff_sample(struct vc_clockoff *o, uint64_t now_us, int64_t offset_us)
{
	uint64_t idx = now_us / o->bucket_us;
	unsigned i = (unsigned)(idx % VC_CLOCKOFF_BUCKETS);

	if (!o->b[i].used || o->b[i].start_us != idx * o->bucket_us) {
		o->b[i].used = true;
		o->b[i].start_us = idx * o->bucket_us;
		o->b[i].min_us = offset_us;
	} else if (offset_us < o->b[i].min_us) {
		o->b[i].min_us = offset_us;
	}
}

bool vc_clockoff_get(const struct vc_clockoff *o, uint64_t now_us, int64_t *offset_us)
{
	bool have = false;

	for (unsigned i = 0; i < VC_CLOCKOFF_BUCKETS; i++) {
		if (!live(o, i, now_us))
			continue;
		if (!have || o->b[i].min_us < *offset_us)
			*offset_us = o->b[i].min_us;
		have = true;
	}
	return have;
}
