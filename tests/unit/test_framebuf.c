/* test_framebuf.c - vc_framebuf on a fake clock: assembly of shuffled
 * packets, render-time release, give-up rules, gap_before, duplicates,
 * late packets, wraps, the max_frame cap and far-ahead sequence jumps. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "vc_clock.h"
#include "vc_framebuf.h"
#include "vc_test.h"

#define RATE 90000u
#define FT 3000u            /* 30 fps in RTP ticks */
#define FT_US 33333u
#define MS 1000u
#define T0 5000000000ull
#define TRANSIT (5 * MS)
#define TARGET 60u
#define MAXP 1024

struct vp {
	struct vc_fb_pkt_info pi;
	size_t len;
	bool drop;
	int frame;
	int res;
};

struct rel {
	uint64_t now;
	struct vc_fb_frame f;
	int frame; /* index of the generated frame, -1 if unknown */
	bool data_ok;
};

static struct vp V[MAXP];
static int NV;
static int frame_first[256], frame_n[256];
static uint32_t frame_ts[256];
static struct rel R[256];
static int NR;
static uint8_t obuf[1 << 16];

static uint32_t lcg(uint32_t *st)
{
	*st = *st * 1664525u + 1013904223u;
	return *st >> 8;
}

static uint8_t pat(uint16_t seq, size_t k)
{
	return (uint8_t)(seq * 13u + k * 7u + 1u);
}

static size_t plen(uint16_t seq)
{
	return 50 + (seq * 37u) % 200;
}

/* nframes frames of npk(f) packets each; packets of a frame arrive shuffled
 * within jitter_ms (the very first packet with none, so the baseline
 * transit is exactly TRANSIT). */
static void gen(int nframes, uint16_t seq0, uint32_t ts0, int32_t pid0, int maxpk,
		uint32_t jitter_ms, uint32_t seed)
{
	uint16_t seq = seq0;

	NV = 0;
	for (int f = 0; f < nframes; f++) {
		int n = 1 + (f % maxpk);
		uint64_t send = T0 + (uint64_t)f * FT_US;

		frame_first[f] = NV;
		frame_n[f] = n;
		frame_ts[f] = ts0 + (uint32_t)f * FT;
		for (int k = 0; k < n; k++) {
			struct vp *v = &V[NV++];

			memset(v, 0, sizeof(*v));
			v->pi.seq = seq;
			v->pi.ts = frame_ts[f];
			v->pi.frame_start = k == 0;
			v->pi.marker = k == n - 1;
			v->pi.keyframe = f == 0;
			v->pi.picture_id = pid0 < 0 ? -1 : (int32_t)((pid0 + f) & 0x7fff);
			v->pi.capture_us = send - 1000;
			v->pi.arrival_us = send + TRANSIT;
			if (NV > 1 && jitter_ms)
				v->pi.arrival_us += lcg(&seed) % (jitter_ms * MS);
			v->len = plen(seq);
			v->frame = f;
			v->res = -1;
			seq++;
		}
	}
}

static int put_v(struct vc_framebuf *fb, struct vp *v)
{
	uint8_t buf[2048];

	for (size_t k = 0; k < v->len && k < sizeof(buf); k++)
		buf[k] = pat(v->pi.seq, k);
	v->res = vc_framebuf_put(fb, &v->pi, buf, v->len);
	return v->res;
}

static bool check_data(const struct vc_fb_frame *f, int fi)
{
	size_t off = 0;

	for (int i = frame_first[fi]; i < frame_first[fi] + frame_n[fi]; i++) {
		if (off + V[i].len > f->len)
			return false;
		for (size_t k = 0; k < V[i].len; k++)
			if (f->data[off + k] != pat(V[i].pi.seq, k))
				return false;
		off += V[i].len;
	}
	return off == f->len;
}

static uint64_t render_of(int fi)
{
	/* baseline = TRANSIT - first frame's rtp time; rtp_us rounds down */
	return T0 + (uint64_t)fi * FT * 1000000ull / RATE + TRANSIT + TARGET * MS;
}

/* 1 ms fake-clock steps up to t_end: put arrivals, drain get. */
static void run(struct vc_framebuf *fb, struct vc_clock *clk, uint64_t t_end)
{
	static bool done[MAXP];

	memset(done, 0, sizeof(done));
	for (uint64_t now = vc_clock_now(clk); now <= t_end; now += MS) {
		vc_clock_fake_set(clk, now);
		for (;;) {
			int best = -1;

			for (int i = 0; i < NV; i++)
				if (!done[i] && V[i].pi.arrival_us <= now &&
				    (best < 0 || V[i].pi.arrival_us < V[best].pi.arrival_us))
					best = i;
			if (best < 0)
				break;
			done[best] = true;
			if (!V[best].drop)
				put_v(fb, &V[best]);
		}
		while (NR < 256) {
			struct rel *r = &R[NR];

			memset(r, 0, sizeof(*r));
			r->f.data = obuf;
			r->f.cap = sizeof(obuf);
			if (vc_framebuf_get(fb, vc_clock_now(clk), &r->f) != 1)
				break;
			r->now = now;
			r->frame = -1;
			for (int fi = 0; fi < 256; fi++)
				if (frame_ts[fi] == r->f.ts && frame_n[fi] > 0) {
					r->frame = fi;
					break;
				}
			r->data_ok = r->frame >= 0 && check_data(&r->f, r->frame);
			r->f.data = NULL; /* obuf is reused */
			NR++;
		}
	}
}

static struct vc_framebuf *mk(struct vc_clock *clk, uint32_t slots, uint32_t max_frame)
{
	struct vc_framebuf_cfg cfg = { .clock_rate = RATE, .target_ms = TARGET, .slots = slots,
				       .max_payload = 1200, .max_frame = max_frame };
	struct vc_framebuf *fb = NULL;

	vc_clock_fake_init(clk, T0);
	memset(frame_n, 0, sizeof(frame_n));
	NR = 0;
	CHECK_EQ(vc_framebuf_new(&fb, &cfg), 0);
	return fb;
}

static void test_assemble_shuffled(void)
{
	struct vc_clock clk;
	struct vc_framebuf *fb = mk(&clk, 256, 1 << 20);
	int bad_data = 0, bad_time = 0, bad_meta = 0;

	/* 1..7 packets a frame, arrivals shuffled within 40 ms < 60 ms target */
	gen(60, 1000, 90000, 100, 7, 40, 7);
	run(fb, &clk, T0 + 59 * FT_US + 200 * MS);
	CHECK_EQ(NR, 60);
	for (int i = 0; i < NR; i++) {
		const struct rel *r = &R[i];
		uint64_t due = render_of(i);

		if (r->frame != i || !r->data_ok)
			bad_data++;
		/* released at its render time: not before, and at the first
		 * 1 ms poll after it */
		if (r->f.render_us + 1 < due || r->f.render_us > due + 1 || r->now < r->f.render_us ||
		    r->now - r->f.render_us >= MS)
			bad_time++;
		if (r->f.gap_before || r->f.picture_id != 100 + i || r->f.keyframe != (i == 0) ||
		    r->f.capture_us != T0 + (uint64_t)i * FT_US - 1000 ||
		    r->f.first_seq != V[frame_first[i]].pi.seq ||
		    r->f.last_seq != V[frame_first[i] + frame_n[i] - 1].pi.seq ||
		    r->f.first_arrival_us > r->f.last_arrival_us)
			bad_meta++;
	}
	CHECK_EQ(bad_data, 0);
	CHECK_EQ(bad_time, 0);
	CHECK_EQ(bad_meta, 0);
	CHECK_EQ(vc_framebuf_dropped(fb), 0);
	CHECK(vc_framebuf_next_due(fb) == UINT64_MAX);
	vc_framebuf_free(fb);
}

static void test_not_before_render(void)
{
	struct vc_clock clk;
	struct vc_framebuf *fb = mk(&clk, 64, 1 << 20);
	struct vc_fb_frame f = { .data = obuf, .cap = sizeof(obuf) };
	uint64_t due;

	gen(2, 1, 0, -1, 3, 0, 1);
	for (int i = 0; i < frame_n[0]; i++)
		CHECK_EQ(put_v(fb, &V[i]), VC_FB_STORED);
	due = T0 + TRANSIT + TARGET * MS;
	CHECK_EQ(vc_framebuf_next_due(fb), due);
	CHECK_EQ(vc_framebuf_get(fb, due - 1, &f), 0);
	CHECK_EQ(vc_framebuf_get(fb, due, &f), 1);
	CHECK_EQ(f.render_us, due);
	CHECK(check_data(&f, 0));
	CHECK_EQ(vc_framebuf_get(fb, due, &f), 0);
	vc_framebuf_free(fb);
}

static void test_missing_packet(void)
{
	struct vc_clock clk;
	struct vc_framebuf *fb = mk(&clk, 256, 1 << 20);
	struct vp retrans;
	int i5 = -1;

	gen(12, 500, 1234, 7, 4, 10, 3);
	/* frame 5 (2 packets): lose the first one */
	V[frame_first[5]].drop = true;
	run(fb, &clk, T0 + 11 * FT_US + 200 * MS);
	CHECK_EQ(NR, 11);
	CHECK_EQ(vc_framebuf_dropped(fb), 1);
	for (int i = 0; i < NR; i++) {
		CHECK(R[i].data_ok);
		CHECK_EQ(R[i].f.gap_before, R[i].frame == 6);
		if (R[i].frame == 6)
			i5 = i;
	}
	CHECK(i5 >= 0);
	/* frame 5 was given up exactly when frame 6 became due */
	if (i5 >= 0)
		CHECK(R[i5].now >= render_of(6) && R[i5].now - render_of(6) < MS);
	/* the lost packet retransmitted now is too late */
	retrans = V[frame_first[5]];
	retrans.pi.arrival_us = vc_clock_now(&clk);
	CHECK_EQ(put_v(fb, &retrans), VC_FB_LATE);
	vc_framebuf_free(fb);
}

static void test_stalled_give_up(void)
{
	struct vc_clock clk;
	struct vc_framebuf *fb = mk(&clk, 64, 1 << 20);
	struct vc_fb_frame f = { .data = obuf, .cap = sizeof(obuf) };
	uint64_t due = T0 + TRANSIT + TARGET * MS;

	gen(3, 9, 0, 0, 3, 0, 1);
	/* frame 2 (3 packets) without its marker, and nothing after it */
	for (int i = 0; i < NV - 1; i++)
		put_v(fb, &V[i]);
	CHECK_EQ(vc_framebuf_get(fb, due + 2 * FT_US, &f), 1);
	CHECK_EQ(vc_framebuf_get(fb, due + 2 * FT_US, &f), 1);
	CHECK_EQ(f.ts, 1 * FT);
	CHECK_EQ(vc_framebuf_get(fb, due + 2 * FT_US + 500 * MS, &f), 0);
	CHECK_EQ(vc_framebuf_dropped(fb), 0);
	CHECK_EQ(vc_framebuf_get(fb, due + 2 * FT_US + 501 * MS, &f), 0);
	CHECK_EQ(vc_framebuf_dropped(fb), 1); /* given up, memory freed */
	CHECK_EQ(put_v(fb, &V[NV - 1]), VC_FB_LATE);
	vc_framebuf_free(fb);
}

static void test_picture_id_gap(void)
{
	struct vc_clock clk;
	struct vc_framebuf *fb = mk(&clk, 256, 1 << 20);

	/* picture ids 32765.. wrap through 0 without a gap */
	gen(10, 100, 0, 32765, 2, 0, 1);
	/* frame 6 skips one picture id (a whole frame lost upstream) */
	for (int f = 6; f < 10; f++)
		for (int i = frame_first[f]; i < frame_first[f] + frame_n[f]; i++)
			V[i].pi.picture_id = (32765 + f + 1) & 0x7fff;
	run(fb, &clk, T0 + 9 * FT_US + 200 * MS);
	CHECK_EQ(NR, 10);
	for (int i = 0; i < NR; i++) {
		CHECK(R[i].data_ok);
		CHECK_EQ(R[i].f.gap_before, i == 6);
	}
	CHECK_EQ(R[3].f.picture_id, 0);
	CHECK_EQ(vc_framebuf_dropped(fb), 0);
	vc_framebuf_free(fb);
}

static void test_seq_gap_without_pid(void)
{
	struct vc_clock clk;
	struct vc_framebuf *fb = mk(&clk, 256, 1 << 20);

	/* no picture ids: a frame lost entirely shows as a seq gap */
	gen(8, 100, 0, -1, 3, 0, 1);
	for (int i = frame_first[4]; i < frame_first[4] + frame_n[4]; i++)
		V[i].drop = true;
	run(fb, &clk, T0 + 7 * FT_US + 200 * MS);
	CHECK_EQ(NR, 7);
	for (int i = 0; i < NR; i++)
		CHECK_EQ(R[i].f.gap_before, R[i].frame == 5);
	vc_framebuf_free(fb);
}

static void test_duplicates_and_late(void)
{
	struct vc_clock clk;
	struct vc_framebuf *fb = mk(&clk, 64, 1 << 20);
	struct vc_fb_frame f = { .data = obuf, .cap = sizeof(obuf) };
	uint64_t due = T0 + TRANSIT + TARGET * MS;

	gen(2, 40, 0, 1, 3, 0, 1);
	for (int i = 0; i < NV; i++)
		CHECK_EQ(put_v(fb, &V[i]), VC_FB_STORED);
	for (int i = 0; i < NV; i++)
		CHECK_EQ(put_v(fb, &V[i]), VC_FB_DUPLICATE);
	CHECK_EQ(vc_framebuf_get(fb, due, &f), 1);
	CHECK(check_data(&f, 0));
	CHECK(!f.gap_before);
	CHECK_EQ(put_v(fb, &V[0]), VC_FB_LATE); /* its frame was released */
	CHECK_EQ(vc_framebuf_get(fb, due + FT_US, &f), 1);
	CHECK(check_data(&f, 1));
	CHECK(!f.gap_before);
	vc_framebuf_free(fb);
}

static void test_seq_wrap_in_frame(void)
{
	struct vc_clock clk;
	struct vc_framebuf *fb = mk(&clk, 64, 1 << 20);

	/* frames of 1..5 packets from 65529: frame 3 is 65535, 0, 1, 2 */
	gen(10, 65529, 777, 0, 5, 30, 11);
	CHECK_EQ(V[frame_first[3]].pi.seq, 65535);
	run(fb, &clk, T0 + 9 * FT_US + 200 * MS);
	CHECK_EQ(NR, 10);
	for (int i = 0; i < NR; i++) {
		CHECK(R[i].data_ok);
		CHECK(!R[i].f.gap_before);
	}
	CHECK_EQ(R[3].f.first_seq, 65535);
	CHECK_EQ(R[3].f.last_seq, 2);
	vc_framebuf_free(fb);

	fb = mk(&clk, 64, 1 << 20);
	gen(3, 65532, 0, 0, 3, 20, 5); /* frame 2 = 65535, 0, 1 */
	CHECK_EQ(V[frame_first[2]].pi.seq, 65535);
	CHECK_EQ(V[frame_first[2] + 2].pi.seq, 1);
	run(fb, &clk, T0 + 2 * FT_US + 200 * MS);
	CHECK_EQ(NR, 3);
	for (int i = 0; i < NR; i++)
		CHECK(R[i].data_ok);
	CHECK_EQ(R[2].f.first_seq, 65535);
	CHECK_EQ(R[2].f.last_seq, 1);
	vc_framebuf_free(fb);
}

static void test_ts_wrap(void)
{
	struct vc_clock clk;
	struct vc_framebuf *fb = mk(&clk, 64, 1 << 20);
	int bad = 0;

	gen(20, 10, 0xffffffffu - 5 * FT + 17, 0, 3, 20, 9);
	run(fb, &clk, T0 + 19 * FT_US + 200 * MS);
	CHECK_EQ(NR, 20);
	for (int i = 0; i < NR; i++)
		if (!R[i].data_ok || R[i].frame != i || R[i].f.gap_before ||
		    R[i].now < R[i].f.render_us || R[i].now - R[i].f.render_us >= MS)
			bad++;
	CHECK_EQ(bad, 0);
	vc_framebuf_free(fb);
}

static void test_max_frame(void)
{
	struct vc_clock clk;
	struct vc_framebuf *fb = mk(&clk, 64, 3000);
	static uint8_t big[1201];
	struct vc_fb_pkt_info pi = { .seq = 1, .ts = 0, .frame_start = true, .marker = true,
				     .picture_id = -1, .arrival_us = T0 };

	CHECK_EQ(vc_framebuf_put(fb, &pi, big, 1201), VC_FB_TOO_BIG); /* > slot */
	gen(6, 200, 0, 0, 1, 0, 1);
	/* frame 2 grows to 5 packets of 1000 bytes: the 4th passes 3000 */
	{
		int f2 = frame_first[2];
		struct vp tmp[5];

		for (int k = 0; k < 5; k++) {
			tmp[k] = V[f2];
			tmp[k].pi.seq = (uint16_t)(V[f2].pi.seq + k);
			tmp[k].pi.frame_start = k == 0;
			tmp[k].pi.marker = k == 4;
			tmp[k].len = 1000;
		}
		/* renumber the frames after it */
		for (int i = f2 + 1; i < NV; i++)
			V[i].pi.seq += 4;
		memmove(&V[f2 + 5], &V[f2 + 1], (size_t)(NV - f2 - 1) * sizeof(V[0]));
		memcpy(&V[f2], tmp, sizeof(tmp));
		NV += 4;
		for (int f = 3; f < 6; f++)
			frame_first[f] += 4;
		frame_n[2] = 5;
	}
	run(fb, &clk, T0 + 5 * FT_US + 200 * MS);
	CHECK_EQ(V[frame_first[2] + 2].res, VC_FB_STORED);
	CHECK_EQ(V[frame_first[2] + 3].res, VC_FB_TOO_BIG);
	CHECK_EQ(V[frame_first[2] + 4].res, VC_FB_TOO_BIG); /* abandoned */
	CHECK_EQ(NR, 5);
	CHECK_EQ(vc_framebuf_dropped(fb), 1);
	for (int i = 0; i < NR; i++) {
		CHECK(R[i].data_ok);
		CHECK(R[i].f.len <= 3000);
		CHECK_EQ(R[i].f.gap_before, R[i].frame == 3);
	}
	vc_framebuf_free(fb);
}

static void test_far_ahead_overflow(void)
{
	struct vc_clock clk;
	struct vc_framebuf *fb = mk(&clk, 32, 1 << 20);
	int nover = 0;

	gen(20, 100, 3000, 0, 3, 0, 1);
	/* a long outage: frames 8.. come 5000 sequence numbers later with
	 * frame 7 half there (it must be flushed) */
	for (int i = frame_first[8]; i < NV; i++)
		V[i].pi.seq += 5000;
	V[frame_first[7] + frame_n[7] - 1].drop = true;
	for (int i = frame_first[7]; i < NV; i++)
		V[i].pi.arrival_us += 40 * MS; /* after frame 6 released */
	run(fb, &clk, T0 + 19 * FT_US + 300 * MS);
	for (int i = 0; i < NV; i++)
		nover += V[i].res == VC_FB_OVERFLOW;
	CHECK_EQ(nover, 1);
	CHECK_EQ(V[frame_first[8]].res, VC_FB_OVERFLOW);
	CHECK_EQ(NR, 19);
	CHECK_EQ(vc_framebuf_dropped(fb), 1);
	for (int i = 0; i < NR; i++) {
		CHECK(R[i].data_ok);
		CHECK_EQ(R[i].f.gap_before, R[i].frame == 8);
	}
	vc_framebuf_free(fb);
}

static void test_small_caller_buffer(void)
{
	struct vc_clock clk;
	struct vc_framebuf *fb = mk(&clk, 64, 1 << 20);
	uint8_t small[10];
	struct vc_fb_frame f = { .data = small, .cap = sizeof(small) };

	gen(2, 1, 0, 0, 2, 0, 1);
	for (int i = 0; i < NV; i++)
		put_v(fb, &V[i]);
	/* never overrun the caller: the frame is dropped instead */
	CHECK_EQ(vc_framebuf_get(fb, T0 + 1000 * MS, &f), 0);
	CHECK_EQ(vc_framebuf_dropped(fb), 2);
	vc_framebuf_free(fb);
}

static void test_reset_and_cfg(void)
{
	struct vc_clock clk;
	struct vc_framebuf *fb = mk(&clk, 64, 1 << 20);
	struct vc_framebuf *bad = NULL;
	struct vc_framebuf_cfg cfg = { .clock_rate = RATE, .target_ms = 10, .slots = 0,
				       .max_payload = 1200, .max_frame = 1000 };
	struct vc_fb_frame f = { .data = obuf, .cap = sizeof(obuf) };

	CHECK(vc_framebuf_new(&bad, &cfg) < 0);
	CHECK(bad == NULL);
	vc_framebuf_free(NULL);
	gen(3, 1, 50000, 0, 2, 0, 1);
	for (int i = 0; i < NV; i++)
		put_v(fb, &V[i]);
	CHECK_EQ(vc_framebuf_get(fb, T0 + 1000 * MS, &f), 1);
	vc_framebuf_reset(fb);
	CHECK(vc_framebuf_next_due(fb) == UINT64_MAX);
	CHECK_EQ(vc_framebuf_get(fb, T0 + 2000 * MS, &f), 0);
	/* old timestamps are welcome again after a reset */
	for (int i = 0; i < NV; i++)
		CHECK_EQ(put_v(fb, &V[i]), VC_FB_STORED);
	vc_framebuf_set_target_ms(fb, 100);
	CHECK_EQ(vc_framebuf_target_ms(fb), 100);
	CHECK_EQ(vc_framebuf_get(fb, T0 + TRANSIT + 99 * MS, &f), 0);
	CHECK_EQ(vc_framebuf_get(fb, T0 + TRANSIT + 100 * MS, &f), 1);
	CHECK(!f.gap_before);
	vc_framebuf_free(fb);
}

int main(void)
{
	RUN(test_assemble_shuffled);
	RUN(test_not_before_render);
	RUN(test_missing_packet);
	RUN(test_stalled_give_up);
	RUN(test_picture_id_gap);
	RUN(test_seq_gap_without_pid);
	RUN(test_duplicates_and_late);
	RUN(test_seq_wrap_in_frame);
	RUN(test_ts_wrap);
	RUN(test_max_frame);
	RUN(test_far_ahead_overflow);
	RUN(test_small_caller_buffer);
	RUN(test_reset_and_cfg);
	return vc_test_summary();
}
