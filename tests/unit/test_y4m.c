/* test_y4m.c - YUV4MPEG2 round trip and malformed headers. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vc_frame.h"
#include "vc_test.h"
#include "vc_test_tmp.h"
#include "vc_testsrc.h"
#include "vc_y4m.h"

static void put(const char *name, const char *data, size_t len)
{
	FILE *fp = fopen(tmp(name), "wb");
	fwrite(data, 1, len, fp);
	fclose(fp);
}

static void test_roundtrip(void)
{
	struct vc_y4m_writer w;
	struct vc_y4m_reader r;
	struct vc_frame f[3], g;
	char err[256] = "";

	CHECK(vc_y4m_create(&w, tmp("rt.y4m"), 320, 240, 25) == 0);
	for (int i = 0; i < 3; i++) {
		vc_frame_alloc(&f[i], 320, 240);
		vc_testsrc_render(&f[i], (uint32_t)i * 10, 0);
		CHECK(vc_y4m_write(&w, &f[i]) == 0);
	}
	vc_frame_alloc(&g, 160, 120);
	CHECK(vc_y4m_write(&w, &g) < 0); /* size mismatch */
	vc_frame_free(&g);
	CHECK(vc_y4m_finish(&w) == 0);

	CHECK(vc_y4m_open(&r, tmp("rt.y4m"), err, sizeof(err)) == 0);
	CHECK_EQ(r.width, 320);
	CHECK_EQ(r.height, 240);
	CHECK_EQ(r.fps_num, 25);
	CHECK_EQ(r.fps_den, 1);
	vc_frame_alloc(&g, 320, 240);
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < 3; i++) {
			CHECK_EQ(vc_y4m_read(&r, &g), 1);
			CHECK(memcmp(g.mem, f[i].mem, vc_i420_size(320, 240)) == 0);
		}
		CHECK_EQ(vc_y4m_read(&r, &g), 0);
		CHECK(vc_y4m_rewind(&r) == 0);
	}
	vc_y4m_close(&r);
	vc_frame_free(&g);
	for (int i = 0; i < 3; i++)
		vc_frame_free(&f[i]);
}

/* A peer may send an odd-sized picture: it is recorded whole, the chroma
 * planes rounded up (161x121 for 321x241), every byte where it belongs. */
static void test_write_odd(void)
{
	struct vc_y4m_writer w;
	struct vc_frame f;
	static const char hdr[] = "YUV4MPEG2 W321 H241 F30:1 Ip A1:1 C420jpeg\nFRAME\n";
	const size_t ys = 321 * 241, cs = 161 * 121;
	static uint8_t buf[2 * (sizeof(hdr) + 321 * 241 + 2 * 161 * 121)];

	CHECK_EQ(vc_frame_alloc(&f, 321, 241), 0);
	for (size_t i = 0; i < ys + 2 * cs; i++)
		((uint8_t *)f.mem)[i] = (uint8_t)(i * 7 + i / 321);
	CHECK_EQ(vc_y4m_create(&w, tmp("odd.y4m"), 321, 241, 30), 0);
	CHECK_EQ(vc_y4m_write(&w, &f), 0);
	CHECK_EQ(vc_y4m_finish(&w), 0);
	FILE *fp = fopen(tmp("odd.y4m"), "rb");
	size_t n = fp ? fread(buf, 1, sizeof(buf), fp) : 0;
	if (fp)
		fclose(fp);
	CHECK_EQ(n, sizeof(hdr) - 1 + ys + 2 * cs);
	CHECK(memcmp(buf, hdr, sizeof(hdr) - 1) == 0);
	CHECK(memcmp(buf + sizeof(hdr) - 1, f.mem, ys + 2 * cs) == 0);
	vc_frame_free(&f);
}

static void test_tags(void)
{
	struct vc_y4m_reader r;
	struct vc_frame f;
	char err[256] = "";
	static const char *ok_hdr[] = {
		"YUV4MPEG2 W4 H2 F30000:1001 Ip A1:1 XYSCSS=420JPEG C420jpeg\n",
		"YUV4MPEG2 W4 H2 F30:1\n",
		"YUV4MPEG2 C420mpeg2 H2 W4 F30:1 Xfoo\n",
		"YUV4MPEG2 W4 H2 C420paldv\n",
		"YUV4MPEG2 W4 H2 C420\n",
	};
	char buf[512];

	vc_frame_alloc(&f, 4, 2);
	for (size_t i = 0; i < sizeof(ok_hdr) / sizeof(ok_hdr[0]); i++) {
		int n = snprintf(buf, sizeof(buf), "%sFRAME Ixyz\n12345678abcdFRAME\n87654321dcba",
				 ok_hdr[i]);
		put("t.y4m", buf, (size_t)n);
		err[0] = '\0';
		CHECK(vc_y4m_open(&r, tmp("t.y4m"), err, sizeof(err)) == 0);
		CHECK_EQ(vc_y4m_read(&r, &f), 1);
		CHECK(memcmp(f.plane[0], "12345678", 8) == 0 && f.plane[1][0] == 'a' &&
		      f.plane[2][1] == 'd');
		CHECK_EQ(vc_y4m_read(&r, &f), 1);
		CHECK(f.plane[0][0] == '8');
		CHECK_EQ(vc_y4m_read(&r, &f), 0);
		vc_y4m_close(&r);
	}
	/* Bad frame marker. */
	put("t.y4m", "YUV4MPEG2 W4 H2\nFRAMX\n12345678abcd", 33);
	CHECK(vc_y4m_open(&r, tmp("t.y4m"), err, sizeof(err)) == 0);
	CHECK(vc_y4m_read(&r, &f) < 0);
	vc_y4m_close(&r);
	/* Torn last frame ends the stream cleanly. */
	put("t.y4m", "YUV4MPEG2 W4 H2\nFRAME\n12345678abcdFRAME\n1234", 43);
	CHECK(vc_y4m_open(&r, tmp("t.y4m"), err, sizeof(err)) == 0);
	CHECK_EQ(vc_y4m_read(&r, &f), 1);
	CHECK_EQ(vc_y4m_read(&r, &f), 0);
	vc_y4m_close(&r);
	vc_frame_free(&f);
}

static int rejected(const char *data, const char *want)
{
	struct vc_y4m_reader r;
	char err[256] = "";

	put("bad.y4m", data, strlen(data));
	int rc = vc_y4m_open(&r, tmp("bad.y4m"), err, sizeof(err));
	int ok = rc < 0 && strstr(err, want) != NULL && strchr(err, '\n') == NULL &&
		 strncmp(err, "file:", 5) == 0;
	if (!ok)
		fprintf(stderr, "  rc %d err '%s' (want '%s')\n", rc, err, want);
	return ok && r.fp == NULL;
}

static void test_malformed(void)
{
	char err[512] = "", want[512];
	struct vc_y4m_reader r;

	CHECK(rejected("YUV4MPEG2 W320 H24", "truncated"));
	CHECK(rejected("", "truncated"));
	CHECK(rejected("YUV4MPEG W320 H240\n", "bad magic"));
	CHECK(rejected("RIFF....WAVE\n", "bad magic"));
	CHECK(rejected("YUV4MPEG2 W320 H240 F30:1 C444\n",
		       "unsupported colour space C444 (only 4:2:0 8-bit)"));
	snprintf(want, sizeof(want), "file:%s: unsupported colour space C444 (only 4:2:0 8-bit)",
		 tmp("bad.y4m"));
	vc_y4m_open(&r, tmp("bad.y4m"), err, sizeof(err));
	CHECK(strcmp(err, want) == 0);
	CHECK(rejected("YUV4MPEG2 W320 H240 C420p10\n", "unsupported colour space C420p10"));
	CHECK(rejected("YUV4MPEG2 W320 H240 Cmono\n", "unsupported colour space"));
	CHECK(rejected("YUV4MPEG2 W0 H240\n", "zero size"));
	CHECK(rejected("YUV4MPEG2 H240\n", "zero size"));
	CHECK(rejected("YUV4MPEG2 W-2 H240\n", "zero size"));
	CHECK(rejected("YUV4MPEG2 W100000 H240\n", "too large"));
	CHECK(rejected("YUV4MPEG2 W99999999999999999999999 H240\n", "bad size"));
	CHECK(rejected("YUV4MPEG2 W32x H240\n", "bad size"));
	CHECK(rejected("YUV4MPEG2 W321 H240\n", "odd size"));
	CHECK(rejected("YUV4MPEG2 W320 H240 F0:1\n", "bad frame rate"));
	CHECK(rejected("YUV4MPEG2 W320 H240 F30\n", "bad frame rate"));
	char longhdr[3000];
	memcpy(longhdr, "YUV4MPEG2 W320 H240 X", 21);
	memset(longhdr + 21, 'a', 2000);
	strcpy(longhdr + 2021, "\n");
	CHECK(rejected(longhdr, "too long"));
	CHECK(vc_y4m_open(&r, tmp("does-not-exist.y4m"), err, sizeof(err)) == -ENOENT);
	CHECK(strstr(err, "cannot open") != NULL);
}

int main(void)
{
	if (!tmp_make("y4m"))
		return 1;
	RUN(test_roundtrip);
	RUN(test_write_odd);
	RUN(test_tags);
	RUN(test_malformed);
	tmp_remove();
	return vc_test_summary();
}
