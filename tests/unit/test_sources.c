/* test_sources.c - vc_vsrc / vc_asrc on a fake clock: timelines, skipping,
 * the tone's clicks, looping file sources, bad specs. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vc_asrc.h"
#include "vc_barcode.h"
#include "vc_clock.h"
#include "vc_test.h"
#include "vc_test_tmp.h"
#include "vc_testsrc.h"
#include "vc_vsrc.h"
#include "vc_wav.h"
#include "vc_y4m.h"

static void test_vsrc_testsrc(void)
{
	struct vc_clock clk;
	struct vc_vsrc *s;
	struct vc_frame f;
	char err[256];

	vc_clock_fake_init(&clk, 1000000);
	struct vc_vsrc_cfg cfg = { .width = 320, .height = 240, .fps = 30, .clock = &clk, .paced = 0 };
	CHECK(vc_vsrc_open(&s, "testsrc", &cfg, err, sizeof(err)) == 0);
	CHECK_EQ(vc_vsrc_width(s), 320);
	CHECK_EQ(vc_vsrc_height(s), 240);
	CHECK_EQ(vc_vsrc_fps(s), 30);
	vc_frame_alloc(&f, 320, 240);
	for (uint32_t i = 0; i < 40; i++) {
		uint32_t ri;
		uint64_t rt;
		CHECK_EQ(vc_vsrc_read(s, &f), 1);
		CHECK_EQ(f.index, i);
		CHECK(f.capture_us == 1000000u + (uint64_t)i * 1000000u / 30u);
		CHECK(vc_barcode_read(f.plane[0], 320, 240, f.stride[0], &ri, &rt) == 0);
		CHECK(ri == i && rt == f.capture_us);
	}
	vc_vsrc_close(s);

	/* Paced on a fake clock that the "caller" keeps at or past due: no
	 * waiting; more than a frame late skips ahead (index stays dense). */
	vc_clock_fake_init(&clk, 5000000);
	cfg.paced = 1;
	cfg.fps = 25;
	CHECK(vc_vsrc_open(&s, "testsrc", &cfg, err, sizeof(err)) == 0);
	CHECK_EQ(vc_vsrc_read(s, &f), 1);
	CHECK(f.capture_us == 5000000u && f.index == 0);
	vc_clock_fake_set(&clk, 5040000); /* exactly on time */
	CHECK_EQ(vc_vsrc_read(s, &f), 1);
	CHECK(f.capture_us == 5040000u && f.index == 1);
	vc_clock_fake_set(&clk, 5100000); /* 20 ms late: less than a frame */
	CHECK_EQ(vc_vsrc_read(s, &f), 1);
	CHECK(f.capture_us == 5080000u && f.index == 2);
	vc_clock_fake_set(&clk, 5250000); /* 130 ms late: skip to slot 6 */
	CHECK_EQ(vc_vsrc_read(s, &f), 1);
	CHECK(f.capture_us == 5240000u && f.index == 3);
	vc_clock_fake_set(&clk, 5280000);
	CHECK_EQ(vc_vsrc_read(s, &f), 1);
	CHECK(f.capture_us == 5280000u && f.index == 4);
	vc_vsrc_close(s);

	/* Paced on the real clock: 5 frames at 100 fps take about 40 ms. */
	cfg.clock = vc_clock_monotonic();
	cfg.fps = 100;
	CHECK(vc_vsrc_open(&s, "testsrc", &cfg, err, sizeof(err)) == 0);
	uint64_t t0 = vc_monotonic_us();
	for (int i = 0; i < 5; i++)
		CHECK_EQ(vc_vsrc_read(s, &f), 1);
	uint64_t el = vc_monotonic_us() - t0;
	CHECK(el >= 39000 && el < 400000);
	vc_vsrc_close(s);
	vc_frame_free(&f);
}

static void test_vsrc_file(void)
{
	struct vc_clock clk;
	struct vc_vsrc *s;
	struct vc_frame f, ref[3];
	struct vc_y4m_writer w;
	char err[256], spec[300];

	vc_y4m_create(&w, tmp("loop.y4m"), 176, 144, 25);
	for (int i = 0; i < 3; i++) {
		vc_frame_alloc(&ref[i], 176, 144);
		vc_testsrc_render(&ref[i], (uint32_t)(100 + i * 7), 0);
		vc_y4m_write(&w, &ref[i]);
	}
	vc_y4m_finish(&w);

	vc_clock_fake_init(&clk, 2000000);
	struct vc_vsrc_cfg cfg = { .width = 640, .height = 480, .fps = 30, .clock = &clk, .paced = 0 };
	snprintf(spec, sizeof(spec), "file:%s", tmp("loop.y4m"));
	CHECK(vc_vsrc_open(&s, spec, &cfg, err, sizeof(err)) == 0);
	CHECK_EQ(vc_vsrc_width(s), 176);
	CHECK_EQ(vc_vsrc_height(s), 144);
	CHECK_EQ(vc_vsrc_fps(s), 25);
	vc_frame_alloc(&f, 176, 144);
	for (uint32_t i = 0; i < 8; i++) {
		CHECK_EQ(vc_vsrc_read(s, &f), 1);
		CHECK_EQ(f.index, i);
		CHECK(f.capture_us == 2000000u + i * 40000u);
		CHECK(memcmp(f.plane[0], ref[i % 3].plane[0], 176 * 144) == 0);
	}
	vc_vsrc_close(s);
	vc_frame_free(&f);
	for (int i = 0; i < 3; i++)
		vc_frame_free(&ref[i]);

	/* A y4m with a header but no frames. */
	FILE *fp = fopen(tmp("empty.y4m"), "w");
	fputs("YUV4MPEG2 W160 H120 F30:1\n", fp);
	fclose(fp);
	snprintf(spec, sizeof(spec), "file:%s", tmp("empty.y4m"));
	CHECK(vc_vsrc_open(&s, spec, &cfg, err, sizeof(err)) == 0);
	vc_frame_alloc(&f, 160, 120);
	CHECK(vc_vsrc_read(s, &f) < 0);
	vc_frame_free(&f);
	vc_vsrc_close(s);
}

static void test_vsrc_bad(void)
{
	struct vc_clock clk;
	struct vc_vsrc *s = (struct vc_vsrc *)&clk;
	char err[256];
	struct vc_vsrc_cfg cfg = { .width = 640, .height = 480, .fps = 30, .clock = &clk };

	vc_clock_fake_init(&clk, 0);
	static const char *bad[] = { "", "v4l2x", "file:", "file:/nonexistent/x.y4m", "testsrc:1" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		CHECK(vc_vsrc_open(&s, bad[i], &cfg, err, sizeof(err)) < 0);
		CHECK(s == NULL && err[0] && !strchr(err, '\n'));
	}
	cfg.width = 100;
	CHECK(vc_vsrc_open(&s, "testsrc", &cfg, err, sizeof(err)) == -EINVAL);
	cfg.width = 641;
	CHECK(vc_vsrc_open(&s, "testsrc", &cfg, err, sizeof(err)) == -EINVAL);
	cfg.width = 640;
	cfg.fps = 0;
	CHECK(vc_vsrc_open(&s, "testsrc", &cfg, err, sizeof(err)) == -EINVAL);
	cfg.fps = 30;
	CHECK(vc_vsrc_open(&s, "testsrc", &cfg, err, sizeof(err)) == 0);
	struct vc_frame f;
	vc_frame_alloc(&f, 320, 240);
	CHECK(vc_vsrc_read(s, &f) == -EINVAL); /* wrong frame size */
	vc_frame_free(&f);
	vc_vsrc_close(s);
	vc_vsrc_close(NULL);
}

/* First sample at or after 'from' with |x| above 20000 (a click). */
static long find_click(const int16_t *x, long n, long from)
{
	for (long i = from; i < n; i++)
		if (x[i] > 20000 || x[i] < -20000)
			return i;
	return -1;
}

static void check_tone_clicks(uint64_t t0)
{
	struct vc_clock clk;
	struct vc_asrc *s;
	struct vc_asrc_cfg cfg = { .clock = &clk, .paced = 0 };
	char err[256];
	const long total = 3 * VC_AUDIO_RATE;
	int16_t *x = malloc((size_t)total * sizeof(int16_t));

	vc_clock_fake_init(&clk, t0);
	CHECK(vc_asrc_open(&s, "tone", &cfg, err, sizeof(err)) == 0);
	for (long k = 0; k < total / 960; k++) {
		uint64_t cap;
		CHECK_EQ(vc_asrc_read(s, x + k * 960, 960, &cap), 960);
		CHECK(cap == t0 + (uint64_t)k * 20000u);
	}
	vc_asrc_close(s);
	/* Expected onsets: first sample n with t0 + n/48000 s >= a whole second. */
	long from = 0;
	int found = 0;
	uint64_t into = t0 % 1000000u;
	if (into != 0 && into < 1000u * VC_TONE_CLICK_MS) /* starts inside a click's tail */
		from = (long)(((1000u * VC_TONE_CLICK_MS - into) * 48u + 999u) / 1000u);
	for (uint64_t sec = (t0 + 999999u) / 1000000u;; sec++) {
		/* n = ceil((sec*1e6 - t0) * 48000 / 1e6) */
		uint64_t num = (sec * 1000000u - t0) * 48u;
		long n = (long)((num + 999u) / 1000u);
		if (n >= total - VC_AUDIO_RATE / 100)
			break;
		long got = find_click(x, total, from);
		CHECK_EQ(got, n);
		CHECK(x[n] == 32000);
		/* The previous sample is before the second, this one at/after it. */
		if (n > 0) {
			CHECK(abs(x[n - 1]) <= 8192);
			CHECK(48u * t0 + 1000u * (uint64_t)(n - 1) < sec * 48000000u);
		}
		CHECK(48u * t0 + 1000u * (uint64_t)n >= sec * 48000000u);
		/* Click lasts 5 ms, then the tone resumes. */
		long end = n + VC_TONE_CLICK_MS * 48;
		CHECK(find_click(x, end + 48, end) == -1);
		from = end;
		found++;
	}
	CHECK(found >= 2);
	/* The tone between clicks peaks at -12 dBFS. */
	int peak = 0;
	for (long i = from; i < from + 4800; i++)
		peak = abs(x[i]) > peak ? abs(x[i]) : peak;
	CHECK(peak >= 8150 && peak <= 8192);
	free(x);
}

static void test_asrc_tone(void)
{
	check_tone_clicks(1250000);          /* 0.75 s before a second */
	check_tone_clicks(1250010);          /* not on a sample boundary */
	check_tone_clicks(UINT64_C(3600000000123)); /* big times */
	check_tone_clicks(5000000);          /* starts on a whole second */

	/* Chunking does not change the samples. */
	struct vc_tone a, b;
	int16_t one[9600], many[9600];
	vc_tone_init(&a, 1000.0, 999999);
	vc_tone_generate(&a, one, 9600);
	vc_tone_init(&b, 1000.0, 999999);
	for (int i = 0; i < 9600; i += 480)
		vc_tone_generate(&b, many + i, 480);
	CHECK(memcmp(one, many, sizeof(one)) == 0);
	CHECK(a.n == 9600 && b.n == 9600);

	/* Paced with a late caller: skips ahead to now. */
	struct vc_clock clk;
	struct vc_asrc *s;
	struct vc_asrc_cfg cfg = { .clock = &clk, .paced = 1 };
	char err[256];
	int16_t pcm[960];
	uint64_t cap;
	vc_clock_fake_init(&clk, 10000000);
	CHECK(vc_asrc_open(&s, "tone:1000", &cfg, err, sizeof(err)) == 0);
	CHECK_EQ(vc_asrc_read(s, pcm, 960, &cap), 960);
	CHECK(cap == 10000000u);
	vc_clock_fake_set(&clk, 10030000); /* 10 ms late: no skip */
	CHECK_EQ(vc_asrc_read(s, pcm, 960, &cap), 960);
	CHECK(cap == 10020000u);
	vc_clock_fake_set(&clk, 10100000); /* 60 ms late: skip to now */
	CHECK_EQ(vc_asrc_read(s, pcm, 960, &cap), 960);
	CHECK(cap == 10100000u);
	vc_clock_fake_set(&clk, 10120000);
	CHECK_EQ(vc_asrc_read(s, pcm, 960, &cap), 960);
	CHECK(cap == 10120000u);
	vc_asrc_close(s);

	/* A sample clock 1000 ppm fast: 48048 samples a second of the clock,
	 * stamped with clock time, and the clicks still on whole seconds. */
	struct vc_asrc_cfg skew = { .clock = &clk, .paced = 1, .skew_ppm = 1000 };
	vc_clock_fake_init(&clk, 10250000);
	CHECK(vc_asrc_open(&s, "tone:1000", &skew, err, sizeof(err)) == 0);
	static int16_t sk[48048 * 3];
	uint64_t cap0 = 0, capn = 0;
	int clicks = 0;
	for (int i = 0; i < 48048 * 3 / 1001; i++) { /* 144 blocks of 1001 */
		/* the clock at the block's capture time (a paced read never
		 * waits on a fake clock that is not behind) */
		vc_clock_fake_set(&clk, 10250000 + (uint64_t)ceil(i * 1001 * 1e6 / 48048.0));
		CHECK_EQ(vc_asrc_read(s, sk + i * 1001, 1001, &cap), 1001);
		if (i == 0)
			cap0 = cap;
		capn = cap;
	}
	CHECK(cap0 == 10250000u);
	CHECK(llabs((long long)(capn - cap0) - llround(143.0 * 1001 * 1e6 / 48048.0)) <= 1);
	for (int i = 0; i < 48048 * 3; i++) {
		if (abs(sk[i]) > 20000) {
			/* a click's first loud sample; its capture time is within
			 * a sample of a whole second */
			double t = 10.25 + i / 48048.0;
			CHECK(fabs(t - floor(t + 0.5)) <= 1.0 / 48048.0);
			clicks++;
			i += 24000; /* the click lasts 5 ms; the next is a second on */
		}
	}
	CHECK_EQ(clicks, 3); /* at 11, 12 and 13 s */
	vc_asrc_close(s);

	static const char *bad[] = { "tone:", "tone:5", "tone:30000", "tone:abc", "tone:440x",
				     "sine", "file:/nonexistent.wav", "" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		s = (struct vc_asrc *)&clk;
		CHECK(vc_asrc_open(&s, bad[i], &cfg, err, sizeof(err)) < 0);
		CHECK(s == NULL && err[0] && !strchr(err, '\n'));
	}
	CHECK(vc_asrc_open(&s, "tone:20000", &cfg, err, sizeof(err)) == 0);
	vc_asrc_close(s);
	vc_asrc_close(NULL);
}

static void test_asrc_file(void)
{
	struct vc_wav_writer w;
	struct vc_clock clk;
	struct vc_asrc *s;
	struct vc_asrc_cfg cfg = { .clock = &clk, .paced = 0 };
	char err[512], spec[300];
	int16_t st[2000], out[2500];
	uint64_t cap;

	for (int i = 0; i < 1000; i++) {
		st[2 * i] = (int16_t)(i * 10);
		st[2 * i + 1] = (int16_t)(i * 10 + 4);
	}
	vc_wav_create(&w, tmp("st.wav"), 48000, 2);
	vc_wav_write(&w, st, 1000);
	vc_wav_finish(&w);
	vc_clock_fake_init(&clk, 777);
	snprintf(spec, sizeof(spec), "file:%s", tmp("st.wav"));
	CHECK(vc_asrc_open(&s, spec, &cfg, err, sizeof(err)) == 0);
	CHECK_EQ(vc_asrc_read(s, out, 2500, &cap), 2500);
	CHECK(cap == 777);
	int ok = 1;
	for (int i = 0; i < 2500; i++)
		ok &= out[i] == (i % 1000) * 10 + 2;
	CHECK(ok);
	CHECK_EQ(vc_asrc_read(s, out, 960, &cap), 960);
	CHECK(cap == 777u + 2500u * 1000000u / 48000u);
	CHECK(out[0] == 5002);
	vc_asrc_close(s);

	/* 44.1 kHz and 3 channels are refused with a reason. */
	vc_wav_create(&w, tmp("441.wav"), 44100, 1);
	vc_wav_write(&w, st, 100);
	vc_wav_finish(&w);
	snprintf(spec, sizeof(spec), "file:%s", tmp("441.wav"));
	CHECK(vc_asrc_open(&s, spec, &cfg, err, sizeof(err)) == -ENOTSUP);
	CHECK(strstr(err, "44100 Hz") != NULL && strstr(err, "48000") != NULL);
	vc_wav_create(&w, tmp("3ch.wav"), 48000, 3);
	vc_wav_write(&w, st, 100);
	vc_wav_finish(&w);
	snprintf(spec, sizeof(spec), "file:%s", tmp("3ch.wav"));
	CHECK(vc_asrc_open(&s, spec, &cfg, err, sizeof(err)) == -ENOTSUP);
	/* An empty data chunk. */
	vc_wav_create(&w, tmp("empty.wav"), 48000, 1);
	vc_wav_finish(&w);
	snprintf(spec, sizeof(spec), "file:%s", tmp("empty.wav"));
	CHECK(vc_asrc_open(&s, spec, &cfg, err, sizeof(err)) < 0);
	/* Not a wav. */
	FILE *fp = fopen(tmp("x.wav"), "w");
	fputs("hello", fp);
	fclose(fp);
	snprintf(spec, sizeof(spec), "file:%s", tmp("x.wav"));
	CHECK(vc_asrc_open(&s, spec, &cfg, err, sizeof(err)) < 0);
	CHECK(strstr(err, "truncated") != NULL);
}

int main(void)
{
	if (!tmp_make("src"))
		return 1;
	RUN(test_vsrc_testsrc);
	RUN(test_vsrc_file);
	RUN(test_vsrc_bad);
	RUN(test_asrc_tone);
	RUN(test_asrc_file);
	tmp_remove();
	return vc_test_summary();
}
