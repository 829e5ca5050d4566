/* vc_patool.c - play a tone into, or record from, a PortAudio device, for
 * the call-audio test (tests/audio/run-call-audio-test.sh):
 *   vc_patool play DEVICE HZ SECONDS        a sine at -12 dBFS, device-paced
 *   vc_patool rec DEVICE SKIP SECONDS OUT.wav   48 kHz mono, after SKIP s
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vc_pa.h"
#include "vc_wav.h"

#define BLOCK 960

static int play(const char *dev, double hz, int seconds)
{
	struct vc_pa_out *out = NULL;
	char err[256];
	int16_t pcm[BLOCK];
	double ph = 0;

	if (vc_pa_out_open(&out, dev, 60, err, sizeof(err)) < 0) {
		fprintf(stderr, "vc_patool: %s\n", err);
		return 1;
	}
	for (int b = 0; b < seconds * 50; b++) {
		for (int i = 0; i < BLOCK; i++) {
			pcm[i] = (int16_t)lrint(8192.0 * sin(2 * M_PI * ph));
			ph += hz / VC_PA_RATE;
			if (ph >= 1.0)
				ph -= 1.0;
		}
		int n = vc_pa_out_write(out, pcm, BLOCK, 5000);
		if (n < 0) {
			fprintf(stderr, "vc_patool: play failed (%d) after %d blocks\n", n, b);
			vc_pa_out_close(out);
			return 1;
		}
	}
	vc_pa_out_close(out);
	return 0;
}

static int rec(const char *dev, int skip_s, int seconds, const char *path)
{
	struct vc_pa_in *in = NULL;
	struct vc_wav_writer w;
	char err[256];
	int16_t pcm[BLOCK];
	uint64_t t;
	int rc = 1;

	if (vc_pa_in_open(&in, dev, vc_clock_monotonic(), err, sizeof(err)) < 0) {
		fprintf(stderr, "vc_patool: %s\n", err);
		return 1;
	}
	if (vc_wav_create(&w, path, VC_PA_RATE, 1) < 0) {
		fprintf(stderr, "vc_patool: cannot write %s\n", path);
		goto out;
	}
	for (int i = 0; i < (skip_s + seconds) * 50; i++) {
		int n = vc_pa_in_read(in, pcm, BLOCK, &t, 5000);
		if (n != BLOCK) {
			fprintf(stderr, "vc_patool: read failed (%d) after %d blocks\n", n, i);
			vc_wav_finish(&w);
			goto out;
		}
		if (i >= skip_s * 50 && vc_wav_write(&w, pcm, n) < 0)
			break;
	}
	rc = vc_wav_finish(&w) < 0;
out:
	vc_pa_in_close(in);
	return rc;
}

int main(int argc, char **argv)
{
	int rc = 2;

	if (vc_pa_init() < 0) {
		fprintf(stderr, "vc_patool: PortAudio does not start\n");
		return 1;
	}
	if (argc == 5 && strcmp(argv[1], "play") == 0)
		rc = play(argv[2], atof(argv[3]), atoi(argv[4]));
	else if (argc == 6 && strcmp(argv[1], "rec") == 0)
		rc = rec(argv[2], atoi(argv[3]), atoi(argv[4]), argv[5]);
	else
		fprintf(stderr, "usage: vc_patool play DEVICE HZ SECONDS | rec DEVICE SKIP SECONDS OUT.wav\n");
	vc_pa_exit();
	return rc;
}
