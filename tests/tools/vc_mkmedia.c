/* vc_mkmedia.c - synthetic "received" media with known impairments, for
 * the vc-analyze self-test (analyze_selftest.cmake holds the expected
 * figures; keep the two in step).
 *
 *   vc_mkmedia DIR   writes DIR/v.y4m(.times) and DIR/a.wav(.times)
 *
 * Video: 90 testsrc frames sent at 30 fps (320x240), capture time
 * T0 + i * 33333 us; frames 10, 11, 50 and 61..69 never shown (12 lost; the
 * 60 -> 70 gap of 333 ms is one freeze), frame 20 shown twice (one
 * repeat); every frame shown 80 ms after capture; luma noise of +-2 so
 * PSNR is finite (about 45 dB on Y).
 * Audio: 5 s of tone:440 captured from t0 = 7000.25 s (so clicks at 0.75,
 * 1.75, ... 4.75 s into the file), played 120 ms later; 100 ms of silence
 * at 2.30 s (a dropout).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vc_asrc.h"
#include "vc_testsrc.h"
#include "vc_wav.h"
#include "vc_y4m.h"

#define V_T0 UINT64_C(5000000123)
#define V_LAT 80000
#define A_T0 UINT64_C(7000250000)
#define A_LAT 120000

static int skipped(int i)
{
	return i == 10 || i == 11 || i == 50 || (i >= 61 && i <= 69);
}

static int make_video(const char *dir)
{
	char path[4096], tpath[4200];
	struct vc_y4m_writer w;
	struct vc_frame f;
	uint32_t rng = 12345;
	int k = 0;

	snprintf(path, sizeof(path), "%s/v.y4m", dir);
	snprintf(tpath, sizeof(tpath), "%s.times", path);
	FILE *tf = fopen(tpath, "w");
	if (!tf || vc_frame_alloc(&f, 320, 240) < 0 || vc_y4m_create(&w, path, 320, 240, 30) < 0) {
		fprintf(stderr, "vc_mkmedia: cannot write %s\n", path);
		return 1;
	}
	for (int i = 0; i < 90; i++) {
		if (skipped(i))
			continue;
		uint64_t cap = V_T0 + (uint64_t)i * 33333u;
		vc_testsrc_render(&f, (uint32_t)i, cap);
		for (int y = 0; y < f.height; y++)
			for (int x = 0; x < f.width; x++) {
				rng = rng * 1103515245u + 12345u;
				int d = (int)((rng >> 16) % 5u) - 2;
				uint8_t *p = f.plane[0] + (size_t)y * (size_t)f.stride[0] + x;
				int v = *p + d;
				*p = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
			}
		for (int rep = 0; rep < (i == 20 ? 2 : 1); rep++) {
			vc_y4m_write(&w, &f);
			fprintf(tf, "%d %" PRIu64 "\n", k++, cap + V_LAT + (uint64_t)rep * 16000u);
		}
	}
	fclose(tf);
	vc_frame_free(&f);
	return vc_y4m_finish(&w) < 0;
}

static int make_audio(const char *dir)
{
	char path[4096], tpath[4200];
	struct vc_wav_writer w;
	struct vc_tone t;
	int16_t pcm[960];
	const uint64_t total = 5 * VC_AUDIO_RATE;
	const uint64_t gap0 = 230 * (VC_AUDIO_RATE / 100), gap1 = 240 * (VC_AUDIO_RATE / 100);

	snprintf(path, sizeof(path), "%s/a.wav", dir);
	snprintf(tpath, sizeof(tpath), "%s.times", path);
	if (vc_wav_create(&w, path, VC_AUDIO_RATE, 1) < 0) {
		fprintf(stderr, "vc_mkmedia: cannot write %s\n", path);
		return 1;
	}
	vc_tone_init(&t, 440.0, A_T0);
	for (uint64_t n = 0; n < total; n += 960) {
		vc_tone_generate(&t, pcm, 960);
		for (int i = 0; i < 960; i++)
			if (n + (uint64_t)i >= gap0 && n + (uint64_t)i < gap1)
				pcm[i] = 0;
		vc_wav_write(&w, pcm, 960);
	}
	if (vc_wav_finish(&w) < 0)
		return 1;
	FILE *tf = fopen(tpath, "w");
	if (!tf)
		return 1;
	/* Playout start, then a pacing line every second (exact here). */
	for (uint64_t s = 0; s < 5; s++)
		fprintf(tf, "%" PRIu64 " %" PRIu64 "\n", s * VC_AUDIO_RATE,
			A_T0 + A_LAT + s * 1000000u);
	fclose(tf);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: vc_mkmedia DIR\n");
		return 2;
	}
	return make_video(argv[1]) || make_audio(argv[1]);
}
