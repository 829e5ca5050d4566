/* test_wav.c - WAV round trip, header upkeep, malformed files. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vc_test.h"
#include "vc_test_tmp.h"
#include "vc_wav.h"

/* A tiny builder for hand-made RIFF files. */
struct buf {
	uint8_t d[4096];
	size_t n;
};

static void b_bytes(struct buf *b, const void *p, size_t n)
{
	memcpy(b->d + b->n, p, n);
	b->n += n;
}

static void b_u32(struct buf *b, uint32_t v)
{
	uint8_t x[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
	b_bytes(b, x, 4);
}

static void b_u16(struct buf *b, uint16_t v)
{
	uint8_t x[2] = { (uint8_t)v, (uint8_t)(v >> 8) };
	b_bytes(b, x, 2);
}

static void b_fmt(struct buf *b, uint16_t tag, int ch, uint32_t rate, int bits)
{
	b_bytes(b, "fmt ", 4);
	b_u32(b, 16);
	b_u16(b, tag);
	b_u16(b, (uint16_t)ch);
	b_u32(b, rate);
	b_u32(b, rate * (uint32_t)ch * (uint32_t)bits / 8);
	b_u16(b, (uint16_t)(ch * bits / 8));
	b_u16(b, (uint16_t)bits);
}

static void b_start(struct buf *b)
{
	b->n = 0;
	b_bytes(b, "RIFF", 4);
	b_u32(b, 0); /* many writers leave 0 here; the reader does not care */
	b_bytes(b, "WAVE", 4);
}

static void b_save(const struct buf *b, const char *name)
{
	FILE *fp = fopen(tmp(name), "wb");
	fwrite(b->d, 1, b->n, fp);
	fclose(fp);
}

static void test_roundtrip(void)
{
	struct vc_wav_writer w;
	struct vc_wav_reader r;
	int16_t pcm[2000], back[2000];
	char err[256] = "";

	for (int i = 0; i < 2000; i++)
		pcm[i] = (int16_t)(i * 37 - 30000);
	CHECK(vc_wav_create(&w, tmp("rt.wav"), 48000, 2) == 0);
	CHECK(vc_wav_write(&w, pcm, 400) == 0);
	CHECK(vc_wav_sync(&w) == 0);
	/* After sync a reader sees a valid file with the samples so far. */
	CHECK(vc_wav_open(&r, tmp("rt.wav"), err, sizeof(err)) == 0);
	CHECK(r.data_bytes == 400u * 4u);
	vc_wav_close(&r);
	CHECK(vc_wav_write(&w, pcm + 800, 600) == 0);
	CHECK(vc_wav_finish(&w) == 0);

	CHECK(vc_wav_open(&r, tmp("rt.wav"), err, sizeof(err)) == 0);
	CHECK_EQ(r.rate, 48000);
	CHECK_EQ(r.channels, 2);
	CHECK(r.data_bytes == 1000u * 4u);
	CHECK(r.data_start == 44);
	CHECK_EQ(vc_wav_read(&r, back, 700), 700);
	CHECK_EQ(vc_wav_read(&r, back + 1400, 700), 300);
	CHECK_EQ(vc_wav_read(&r, back, 10), 0);
	CHECK(memcmp(back + 1400, pcm + 1400, 600 * sizeof(int16_t)) == 0);
	CHECK(vc_wav_rewind(&r) == 0);
	CHECK_EQ(vc_wav_read(&r, back, 1000), 1000);
	CHECK(memcmp(back, pcm, 2000 * sizeof(int16_t)) == 0);
	vc_wav_close(&r);

	/* The header bytes themselves. */
	FILE *fp = fopen(tmp("rt.wav"), "rb");
	uint8_t h[44];
	CHECK(fread(h, 1, 44, fp) == 44);
	fclose(fp);
	CHECK(memcmp(h, "RIFF", 4) == 0 && memcmp(h + 8, "WAVEfmt ", 8) == 0 &&
	      memcmp(h + 36, "data", 4) == 0);
	CHECK_EQ(h[4] | h[5] << 8 | h[6] << 16, 36 + 4000);
	CHECK_EQ(h[40] | h[41] << 8 | h[42] << 16, 4000);
}

static void test_chunks(void)
{
	struct buf b;
	struct vc_wav_reader r;
	char err[256] = "";
	int16_t s[4];

	/* LIST (odd size, padded), fmt, junk, data; data size 0 = "to end". */
	b_start(&b);
	b_bytes(&b, "LIST", 4);
	b_u32(&b, 3);
	b_bytes(&b, "abc\0", 4);
	b_fmt(&b, 1, 1, 48000, 16);
	b_bytes(&b, "junk", 4);
	b_u32(&b, 6);
	b_bytes(&b, "xxxxxx", 6);
	b_bytes(&b, "data", 4);
	b_u32(&b, 0);
	b_u16(&b, 1000);
	b_u16(&b, (uint16_t)-1000);
	b_u16(&b, 7);
	b_save(&b, "chunks.wav");
	CHECK(vc_wav_open(&r, tmp("chunks.wav"), err, sizeof(err)) == 0);
	CHECK_EQ(vc_wav_read(&r, s, 4), 3);
	CHECK(s[0] == 1000 && s[1] == -1000 && s[2] == 7);
	vc_wav_close(&r);

	/* WAVE_FORMAT_EXTENSIBLE with PCM sub-format. */
	b_start(&b);
	b_bytes(&b, "fmt ", 4);
	b_u32(&b, 40);
	b_u16(&b, 0xFFFE);
	b_u16(&b, 2);
	b_u32(&b, 48000);
	b_u32(&b, 192000);
	b_u16(&b, 4);
	b_u16(&b, 16);
	b_u16(&b, 22);
	b_u16(&b, 16);
	b_u32(&b, 3);
	b_bytes(&b, "\x01\x00\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71", 16);
	b_bytes(&b, "data", 4);
	b_u32(&b, 8);
	b_u32(&b, 0x00020001);
	b_u32(&b, 0x00040003);
	b_save(&b, "ext.wav");
	CHECK(vc_wav_open(&r, tmp("ext.wav"), err, sizeof(err)) == 0);
	CHECK_EQ(r.channels, 2);
	CHECK_EQ(vc_wav_read(&r, s, 4), 2);
	CHECK(s[0] == 1 && s[1] == 2 && s[2] == 3 && s[3] == 4);
	vc_wav_close(&r);
	/* ... and with IEEE float sub-format. */
	b.d[44] = 3;
	b_save(&b, "extf.wav");
	CHECK(vc_wav_open(&r, tmp("extf.wav"), err, sizeof(err)) < 0);
	CHECK(strstr(err, "not PCM") != NULL);
}

static int rejected(const struct buf *b, const char *want)
{
	struct vc_wav_reader r;
	char err[256] = "";

	b_save(b, "bad.wav");
	int rc = vc_wav_open(&r, tmp("bad.wav"), err, sizeof(err));
	int ok = rc < 0 && strstr(err, want) && !strchr(err, '\n') &&
		 strncmp(err, "file:", 5) == 0 && r.fp == NULL;
	if (!ok)
		fprintf(stderr, "  rc %d err '%s' (want '%s')\n", rc, err, want);
	return ok;
}

static void test_malformed(void)
{
	struct buf b;

	b.n = 0;
	b_bytes(&b, "RIFF\0\0", 6);
	CHECK(rejected(&b, "truncated WAV header"));
	b.n = 0;
	b_bytes(&b, "YUV4MPEG2 W320 H240\n", 20);
	CHECK(rejected(&b, "not a RIFF/WAVE file"));
	b_start(&b);
	memcpy(b.d + 8, "AVI ", 4);
	CHECK(rejected(&b, "not a RIFF/WAVE file"));

	b_start(&b);
	b_fmt(&b, 3, 1, 48000, 32);
	b_bytes(&b, "data\4\0\0\0\0\0\0\0", 12);
	CHECK(rejected(&b, "unsupported format tag 3 (only 16-bit PCM)"));
	b_start(&b);
	b_fmt(&b, 1, 1, 48000, 8);
	b_bytes(&b, "data\4\0\0\0\0\0\0\0", 12);
	CHECK(rejected(&b, "unsupported 8-bit samples"));
	b_start(&b);
	b_fmt(&b, 1, 1, 48000, 24);
	CHECK(rejected(&b, "unsupported 24-bit samples"));
	b_start(&b);
	b_fmt(&b, 1, 0, 48000, 16);
	CHECK(rejected(&b, "bad format"));

	b_start(&b); /* missing data chunk */
	b_fmt(&b, 1, 1, 48000, 16);
	CHECK(rejected(&b, "no data chunk"));
	b_start(&b); /* no fmt at all */
	CHECK(rejected(&b, "no fmt chunk"));
	b_start(&b); /* data before fmt */
	b_bytes(&b, "data\2\0\0\0\0\0", 10);
	b_fmt(&b, 1, 1, 48000, 16);
	CHECK(rejected(&b, "data chunk before fmt"));
	b_start(&b); /* truncated in a chunk header */
	b_fmt(&b, 1, 1, 48000, 16);
	b_bytes(&b, "da", 2);
	CHECK(rejected(&b, "truncated"));
	b_start(&b); /* a chunk claiming to run past the end */
	b_fmt(&b, 1, 1, 48000, 16);
	b_bytes(&b, "LIST\xff\xff\xff\x7f", 8);
	CHECK(rejected(&b, "truncated"));
	b_start(&b); /* fmt truncated */
	b_bytes(&b, "fmt \x10\0\0\0\1\0", 10);
	CHECK(rejected(&b, "truncated fmt"));
	b_start(&b); /* too many chunks */
	b_fmt(&b, 1, 1, 48000, 16);
	for (int i = 0; i < 70; i++)
		b_bytes(&b, "junk\0\0\0\0", 8);
	CHECK(rejected(&b, "no data chunk within"));

	struct vc_wav_reader r;
	char err[256];
	CHECK(vc_wav_open(&r, tmp("nope.wav"), err, sizeof(err)) == -ENOENT);
	CHECK(vc_wav_open(&r, dir, err, sizeof(err)) < 0);
}

int main(void)
{
	if (!tmp_make("wav"))
		return 1;
	RUN(test_roundtrip);
	RUN(test_chunks);
	RUN(test_malformed);
	tmp_remove();
	return vc_test_summary();
}
