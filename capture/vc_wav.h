/* vc_wav.h - RIFF/WAVE 16-bit PCM reader and writer.
 * The writer keeps the header valid: sizes are rewritten on vc_wav_sync()
 * and vc_wav_finish(), so a file is playable even if the process dies.
 * Threading: one owner per object.
 */
#ifndef VC_WAV_H
#define VC_WAV_H

#include <stdint.h>
#include <stdio.h>

struct vc_wav_reader {
	FILE *fp;
	int rate, channels;
	long data_start;
	uint64_t data_bytes;
	uint64_t pos_bytes;
};

/* Only 16-bit PCM (format 1, or WAVE_FORMAT_EXTENSIBLE with PCM); any
 * chunks before "data" are skipped.  Writes a one-line reason into err. */
int vc_wav_open(struct vc_wav_reader *r, const char *path, char *err, size_t errlen);
/* Read up to frames sample frames (interleaved). Returns frames read, 0 at end. */
int vc_wav_read(struct vc_wav_reader *r, int16_t *pcm, int frames);
int vc_wav_rewind(struct vc_wav_reader *r);
void vc_wav_close(struct vc_wav_reader *r);

struct vc_wav_writer {
	FILE *fp;
	int rate, channels;
	uint64_t frames;
};

int vc_wav_create(struct vc_wav_writer *w, const char *path, int rate, int channels);
int vc_wav_write(struct vc_wav_writer *w, const int16_t *pcm, int frames);
int vc_wav_sync(struct vc_wav_writer *w);   /* rewrite header sizes, fflush */
int vc_wav_finish(struct vc_wav_writer *w); /* sync and close */

#endif
