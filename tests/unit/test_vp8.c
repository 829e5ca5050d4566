/* test_vp8.c - VP8 encoder/decoder wrapper: round trip quality, keyframe on
 * request, bitrate change while running, hostile input to the decoder.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "vc_frame.h"
#include "vc_test.h"
#include "vc_vp8.h"

#define W 640
#define H 480

/* A moving gradient with a drifting checkerboard and soft stripes: enough
 * texture and motion that the encoder has real work, smooth enough that
 * 800 kbit/s reproduces it well. */
static void draw(struct vc_frame *f, int t)
{
	for (int y = 0; y < f->height; y++) {
		uint8_t *row = f->plane[0] + (size_t)y * (size_t)f->stride[0];
		for (int x = 0; x < f->width; x++) {
			int xs = x + 3 * t, ys = y + t;
			int v = 40 + (xs % 640) / 5 + ys % 480 / 8;
			v += (((xs >> 4) ^ (ys >> 4)) & 1) ? 24 : 0;
			v += (int)(12.0 * sin((x + y + 5 * t) * 0.15));
			row[x] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
		}
	}
	for (int y = 0; y < f->height / 2; y++) {
		uint8_t *u = f->plane[1] + (size_t)y * (size_t)f->stride[1];
		uint8_t *v = f->plane[2] + (size_t)y * (size_t)f->stride[2];
		for (int x = 0; x < f->width / 2; x++) {
			u[x] = (uint8_t)(96 + ((x + 2 * t) % 320) / 5);
			v[x] = (uint8_t)(160 - ((y + t) % 240) / 4);
		}
	}
	f->index = (uint32_t)t;
}

static double psnr(const struct vc_frame *a, const struct vc_frame *b)
{
	double se = 0;
	size_t n = 0;

	for (int p = 0; p < 3; p++) {
		int w = p ? a->width / 2 : a->width;
		int h = p ? a->height / 2 : a->height;
		for (int y = 0; y < h; y++) {
			const uint8_t *ra = a->plane[p] + (size_t)y * (size_t)a->stride[p];
			const uint8_t *rb = b->plane[p] + (size_t)y * (size_t)b->stride[p];
			for (int x = 0; x < w; x++) {
				double d = (double)ra[x] - rb[x];
				se += d * d;
			}
		}
		n += (size_t)w * (size_t)h;
	}
	if (se == 0)
		return 99.0;
	return 10.0 * log10(255.0 * 255.0 * (double)n / se);
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void test_round_trip(void)
{
	struct vc_vp8_enc_cfg cfg = { .width = W, .height = H, .fps = 30, .bitrate_kbps = 800,
				      .keyframe_interval = 300 };
	struct vc_vp8_enc *e = NULL;
	struct vc_vp8_dec *d = NULL;
	struct vc_frame src;
	int encoded = 0, decoded = 0, keyframes = 0;
	double psnr_sum = 0, psnr_min = 99, enc_ms = 0;
	size_t bytes = 0;

	CHECK_EQ(vc_frame_alloc(&src, W, H), 0);
	CHECK_EQ(vc_vp8_enc_new(&e, &cfg), 0);
	CHECK_EQ(vc_vp8_dec_new(&d), 0);
	if (!e || !d)
		goto out;
	for (int t = 0; t < 60; t++) {
		struct vc_vp8_pkt pkt;
		struct vc_frame out = { 0 };

		draw(&src, t);
		double t0 = now_ms();
		int r = vc_vp8_enc_encode(e, &src, &pkt);
		enc_ms += now_ms() - t0;
		CHECK_EQ(r, 1);
		if (r != 1)
			continue;
		encoded++;
		bytes += pkt.len;
		CHECK_EQ(vc_vp8_is_keyframe(pkt.data, pkt.len), pkt.keyframe);
		if (t == 0)
			CHECK(pkt.keyframe);
		keyframes += pkt.keyframe;
		r = vc_vp8_dec_decode(d, pkt.data, pkt.len, &out);
		CHECK_EQ(r, 1);
		if (r != 1)
			continue;
		decoded++;
		CHECK_EQ(out.width, W);
		CHECK_EQ(out.height, H);
		CHECK(out.mem == NULL);
		double p = psnr(&src, &out);
		psnr_sum += p;
		if (p < psnr_min)
			psnr_min = p;
	}
	CHECK_EQ(encoded, 60);
	CHECK_EQ(decoded, encoded);
	CHECK_EQ(keyframes, 1);
	double avg = decoded ? psnr_sum / decoded : 0;
	CHECK(avg >= 30.0);
	fprintf(stderr,
		"  640x480 @800k: PSNR avg %.2f dB min %.2f dB, %.0f bytes/frame, encode %.2f ms/frame\n",
		avg, psnr_min, encoded ? (double)bytes / encoded : 0.0, encoded ? enc_ms / 60 : 0.0);
out:
	vc_vp8_enc_free(e);
	vc_vp8_dec_free(d);
	vc_frame_free(&src);
}

static void test_keyframe_request(void)
{
	struct vc_vp8_enc_cfg cfg = { .width = 320, .height = 240, .fps = 30, .bitrate_kbps = 300,
				      .keyframe_interval = 0 };
	struct vc_vp8_enc *e = NULL;
	struct vc_frame src;
	bool key[30] = { 0 };

	CHECK_EQ(vc_frame_alloc(&src, 320, 240), 0);
	CHECK_EQ(vc_vp8_enc_new(&e, &cfg), 0);
	if (!e)
		goto out;
	for (int t = 0; t < 30; t++) {
		struct vc_vp8_pkt pkt;
		if (t == 12 || t == 20)
			vc_vp8_enc_request_keyframe(e);
		draw(&src, t);
		CHECK_EQ(vc_vp8_enc_encode(e, &src, &pkt), 1);
		key[t] = pkt.keyframe;
	}
	for (int t = 0; t < 30; t++)
		CHECK_EQ(key[t], t == 0 || t == 12 || t == 20);
out:
	vc_vp8_enc_free(e);
	vc_frame_free(&src);
}

static void test_bitrate_change(void)
{
	struct vc_vp8_enc_cfg cfg = { .width = W, .height = H, .fps = 30, .bitrate_kbps = 800,
				      .keyframe_interval = 0 };
	struct vc_vp8_enc *e = NULL;
	struct vc_frame src;
	size_t before = 0, after = 0;
	int t = 0;

	CHECK_EQ(vc_frame_alloc(&src, W, H), 0);
	CHECK_EQ(vc_vp8_enc_new(&e, &cfg), 0);
	if (!e)
		goto out;
	CHECK_EQ(vc_vp8_enc_bitrate(e), 800);
	/* Let rate control settle after the keyframe, then measure. */
	for (; t < 60; t++) {
		struct vc_vp8_pkt pkt;
		draw(&src, t);
		if (vc_vp8_enc_encode(e, &src, &pkt) == 1 && t >= 30)
			before += pkt.len;
	}
	vc_vp8_enc_set_bitrate(e, 150);
	CHECK_EQ(vc_vp8_enc_bitrate(e), 150);
	for (; t < 90; t++) {
		struct vc_vp8_pkt pkt;
		draw(&src, t);
		int r = vc_vp8_enc_encode(e, &src, &pkt);
		CHECK(r >= 0);
		if (r == 1)
			after += pkt.len;
	}
	/* 800 kbit/s is ~3333 B/frame, 150 kbit/s ~625: demand well under half. */
	CHECK(after * 2 < before);
	fprintf(stderr, "  bytes/frame: %.0f at 800 kbit/s -> %.0f at 150 kbit/s (next 30 frames)\n",
		before / 30.0, after / 30.0);
out:
	vc_vp8_enc_free(e);
	vc_frame_free(&src);
}

/* Deterministic xorshift so the garbage is the same every run. */
static uint32_t rnd_state = 0x12345678;
static uint32_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state;
}

static void test_hostile_decode(void)
{
	struct vc_vp8_enc_cfg cfg = { .width = 320, .height = 240, .fps = 30, .bitrate_kbps = 400 };
	struct vc_vp8_enc *e = NULL;
	struct vc_vp8_dec *d = NULL;
	struct vc_frame src, out = { 0 };
	uint8_t key[65536], inter[65536], buf[4096];
	size_t key_len = 0, inter_len = 0;
	struct vc_vp8_pkt pkt;

	CHECK_EQ(vc_frame_alloc(&src, 320, 240), 0);
	CHECK_EQ(vc_vp8_enc_new(&e, &cfg), 0);
	CHECK_EQ(vc_vp8_dec_new(&d), 0);
	if (!e || !d)
		goto out;
	draw(&src, 0);
	CHECK_EQ(vc_vp8_enc_encode(e, &src, &pkt), 1);
	CHECK(pkt.keyframe && pkt.len <= sizeof(key));
	key_len = pkt.len < sizeof(key) ? pkt.len : sizeof(key);
	memcpy(key, pkt.data, key_len);
	draw(&src, 1);
	CHECK_EQ(vc_vp8_enc_encode(e, &src, &pkt), 1);
	CHECK(!pkt.keyframe && pkt.len <= sizeof(inter));
	inter_len = pkt.len < sizeof(inter) ? pkt.len : sizeof(inter);
	memcpy(inter, pkt.data, inter_len);

	/* An inter frame with no keyframe before it cannot be decoded. */
	CHECK(vc_vp8_dec_decode(d, inter, inter_len, &out) < 0);
	/* Empty input. */
	CHECK(vc_vp8_dec_decode(d, key, 0, &out) < 0);
	CHECK(vc_vp8_dec_decode(d, NULL, 10, &out) < 0);
	/* Truncated keyframes: the tag alone, header cut, half the data. */
	CHECK(vc_vp8_dec_decode(d, key, 3, &out) < 0);
	CHECK(vc_vp8_dec_decode(d, key, 9, &out) < 0);
	CHECK(vc_vp8_dec_decode(d, key, 20, &out) < 0);
	CHECK(vc_vp8_dec_decode(d, key, key_len / 2, &out) < 0);
	/* A keyframe claiming 16383x16383 is refused before allocation. */
	memcpy(buf, key, 10);
	buf[6] = buf[7] = buf[8] = buf[9] = 0xff;
	CHECK_EQ(vc_vp8_dec_decode(d, buf, 10, &out), -EMSGSIZE);
	/* Random garbage of all sizes, as keyframe and inter frame tags. */
	int errors = 0, pictures = 0;
	for (int i = 0; i < 400; i++) {
		size_t n = 1 + rnd() % sizeof(buf);
		for (size_t k = 0; k < n; k++)
			buf[k] = (uint8_t)rnd();
		if (i & 1 && n >= 10) {
			/* Valid keyframe start code and size, garbage after. */
			memcpy(buf, key, 10);
		}
		int r = vc_vp8_dec_decode(d, buf, n, &out);
		errors += r < 0;
		pictures += r == 1;
	}
	CHECK(errors > 300);
	fprintf(stderr, "  garbage: %d of 400 rejected, %d gave a picture\n", errors, pictures);
	/* The decoder still works on a real stream afterwards. */
	CHECK_EQ(vc_vp8_dec_decode(d, key, key_len, &out), 1);
	CHECK_EQ(out.width, 320);
	CHECK_EQ(vc_vp8_dec_decode(d, inter, inter_len, &out), 1);
	/* A truncated inter frame after a good keyframe is an error too. */
	CHECK(vc_vp8_dec_decode(d, inter, inter_len / 3, &out) < 0);

	CHECK(vc_vp8_is_keyframe(key, key_len));
	CHECK(!vc_vp8_is_keyframe(inter, inter_len));
	CHECK(!vc_vp8_is_keyframe(key, 0));
	CHECK(!vc_vp8_is_keyframe(NULL, 5));
out:
	vc_vp8_enc_free(e);
	vc_vp8_dec_free(d);
	vc_frame_free(&src);
}

static void test_bad_args(void)
{
	struct vc_vp8_enc *e = (struct vc_vp8_enc *)&e;
	struct vc_vp8_enc_cfg cfg = { .width = 641, .height = 480, .fps = 30, .bitrate_kbps = 500 };
	struct vc_frame f;

	CHECK_EQ(vc_vp8_enc_new(&e, &cfg), -EINVAL);
	CHECK(e == NULL);
	cfg.width = 640;
	cfg.fps = 0;
	CHECK_EQ(vc_vp8_enc_new(&e, &cfg), -EINVAL);
	cfg.fps = 30;
	CHECK_EQ(vc_vp8_enc_new(&e, &cfg), 0);
	/* A frame of the wrong size is refused, not read past. */
	CHECK_EQ(vc_frame_alloc(&f, 320, 240), 0);
	struct vc_vp8_pkt pkt;
	CHECK_EQ(vc_vp8_enc_encode(e, &f, &pkt), -EINVAL);
	vc_frame_free(&f);
	vc_vp8_enc_free(e);
	vc_vp8_enc_free(NULL);
	vc_vp8_dec_free(NULL);
}

int main(void)
{
	RUN(test_round_trip);
	RUN(test_keyframe_request);
	RUN(test_bitrate_change);
	RUN(test_hostile_decode);
	RUN(test_bad_args);
	return vc_test_summary();
}
