/* vc_wav.c - RIFF/WAVE 16-bit PCM reader and writer.
 *
 * Reader: walks the chunk list (at most VC_WAV_MAX_CHUNKS chunks before
 * "data"), needs "fmt " before "data", accepts PCM (1) or
 * WAVE_FORMAT_EXTENSIBLE whose sub-format is PCM, 16 bits only.  A data
 * size of 0 or 0xFFFFFFFF (streamed writers) or one running past the end
 * of the file is clamped to what the file holds.
 * Writer: 44-byte canonical header whose sizes are rewritten on sync and
 * finish, so a crash leaves a playable file up to the last sync.
 */
#include "vc_wav.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#define VC_WAV_MAX_CHUNKS 64

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static int wfail(struct vc_wav_reader *r, char *err, size_t errlen, int rc, const char *path,
		 const char *what)
{
	if (err && errlen)
		snprintf(err, errlen, "file:%s: %s", path, what);
	vc_wav_close(r);
	return rc;
}

int vc_wav_open(struct vc_wav_reader *r, const char *path, char *err, size_t errlen)
{
	uint8_t hdr[12], ch[8], fmt[40];
	char msg[160];
	int have_fmt = 0;
	struct stat st;

	memset(r, 0, sizeof(*r));
	r->fp = fopen(path, "rb");
	if (!r->fp) {
		int e = errno;
		snprintf(msg, sizeof(msg), "cannot open: %s", strerror(e));
		return wfail(r, err, errlen, -e, path, msg);
	}
	if (fstat(fileno(r->fp), &st) != 0 || !S_ISREG(st.st_mode))
		return wfail(r, err, errlen, -EINVAL, path, "not a regular file");
	uint64_t fsize = (uint64_t)st.st_size;
	if (fread(hdr, 1, 12, r->fp) != 12)
		return wfail(r, err, errlen, -EINVAL, path, "truncated WAV header");
	if (memcmp(hdr, "RIFF", 4) != 0 || memcmp(hdr + 8, "WAVE", 4) != 0)
		return wfail(r, err, errlen, -EINVAL, path, "not a RIFF/WAVE file");
	uint64_t pos = 12;
	for (int i = 0;; i++) {
		if (i >= VC_WAV_MAX_CHUNKS)
			return wfail(r, err, errlen, -EINVAL, path,
				     "no data chunk within the first 64 chunks");
		if (fread(ch, 1, 8, r->fp) != 8)
			return wfail(r, err, errlen, -EINVAL, path,
				     have_fmt ? "truncated: no data chunk"
					      : "truncated: no fmt chunk");
		pos += 8;
		uint32_t size = le32(ch + 4);
		if (memcmp(ch, "fmt ", 4) == 0) {
			if (size < 16 || size > 4096)
				return wfail(r, err, errlen, -EINVAL, path, "bad fmt chunk size");
			size_t take = size < sizeof(fmt) ? size : sizeof(fmt);
			if (fread(fmt, 1, take, r->fp) != take)
				return wfail(r, err, errlen, -EINVAL, path, "truncated fmt chunk");
			uint16_t tag = le16(fmt);
			int channels = le16(fmt + 2);
			uint32_t rate = le32(fmt + 4);
			int bits = le16(fmt + 14);
			if (tag == 0xFFFE) {
				/* WAVE_FORMAT_EXTENSIBLE: sub-format GUID at 24, PCM = 1 */
				if (take < 40 || le16(fmt + 24) != 1)
					return wfail(r, err, errlen, -ENOTSUP, path,
						     "unsupported format (extensible, not PCM)");
			} else if (tag != 1) {
				snprintf(msg, sizeof(msg),
					 "unsupported format tag %u (only 16-bit PCM)", tag);
				return wfail(r, err, errlen, -ENOTSUP, path, msg);
			}
			if (bits != 16) {
				snprintf(msg, sizeof(msg),
					 "unsupported %d-bit samples (only 16-bit PCM)", bits);
				return wfail(r, err, errlen, -ENOTSUP, path, msg);
			}
			if (channels < 1 || channels > 8 || rate < 1 || rate > 384000) {
				snprintf(msg, sizeof(msg), "bad format: %d channels at %u Hz",
					 channels, rate);
				return wfail(r, err, errlen, -EINVAL, path, msg);
			}
			r->channels = channels;
			r->rate = (int)rate;
			have_fmt = 1;
		} else if (memcmp(ch, "data", 4) == 0) {
			if (!have_fmt)
				return wfail(r, err, errlen, -EINVAL, path,
					     "data chunk before fmt chunk");
			uint64_t avail = fsize > pos ? fsize - pos : 0;
			uint64_t bytes = size;
			if (bytes == 0 || bytes == 0xFFFFFFFFu || bytes > avail)
				bytes = avail;
			uint64_t fb = 2u * (uint64_t)r->channels;
			r->data_bytes = bytes - bytes % fb;
			r->data_start = (long)pos;
			r->pos_bytes = 0;
			if (fseek(r->fp, r->data_start, SEEK_SET) != 0)
				return wfail(r, err, errlen, -EIO, path, "seek failed");
			return 0;
		}
		/* Skip this chunk (and the fmt chunk's tail), with RIFF padding. */
		uint64_t next = pos + size + (size & 1);
		if (next > fsize)
			return wfail(r, err, errlen, -EINVAL, path,
				     have_fmt ? "truncated: no data chunk" : "truncated chunk");
		if (fseek(r->fp, (long)next, SEEK_SET) != 0)
			return wfail(r, err, errlen, -EIO, path, "seek failed");
		pos = next;
	}
}

int vc_wav_read(struct vc_wav_reader *r, int16_t *pcm, int frames)
{
	if (!r->fp || frames < 0)
		return -EINVAL;
	uint64_t fb = 2u * (uint64_t)r->channels;
	uint64_t left = (r->data_bytes - r->pos_bytes) / fb;
	size_t want = (uint64_t)frames < left ? (size_t)frames : (size_t)left;
	if (want == 0)
		return 0;
	uint8_t *b = (uint8_t *)pcm;
	size_t got = fread(b, (size_t)fb, want, r->fp);
	/* Little-endian on disk; convert in place (no-op on LE hosts). */
	for (size_t i = 0; i < got * (size_t)r->channels; i++) {
		uint16_t v = le16(b + 2 * i);
		memcpy(&pcm[i], &v, 2);
	}
	r->pos_bytes += got * fb;
	return (int)got;
}

int vc_wav_rewind(struct vc_wav_reader *r)
{
	if (!r->fp)
		return -EINVAL;
	if (fseek(r->fp, r->data_start, SEEK_SET) != 0)
		return -errno;
	r->pos_bytes = 0;
	return 0;
}

void vc_wav_close(struct vc_wav_reader *r)
{
	if (!r)
		return;
	if (r->fp)
		fclose(r->fp);
	memset(r, 0, sizeof(*r));
}

static void make_header(uint8_t h[44], int rate, int channels, uint64_t frames)
{
	uint64_t data = frames * 2u * (uint64_t)channels;
	/* RIFF sizes are 32-bit: saturate rather than wrap for huge files. */
	uint32_t data32 = data > 0xFFFFFFFFu - 36 ? 0xFFFFFFFFu - 36 : (uint32_t)data;

	memcpy(h, "RIFF", 4);
	put32(h + 4, 36 + data32);
	memcpy(h + 8, "WAVEfmt ", 8);
	put32(h + 16, 16);
	put16(h + 20, 1);
	put16(h + 22, (uint16_t)channels);
	put32(h + 24, (uint32_t)rate);
	put32(h + 28, (uint32_t)rate * 2u * (uint32_t)channels);
	put16(h + 32, (uint16_t)(2 * channels));
	put16(h + 34, 16);
	memcpy(h + 36, "data", 4);
	put32(h + 40, data32);
}

int vc_wav_create(struct vc_wav_writer *w, const char *path, int rate, int channels)
{
	uint8_t h[44];

	memset(w, 0, sizeof(*w));
	if (rate < 1 || rate > 384000 || channels < 1 || channels > 8)
		return -EINVAL;
	w->fp = fopen(path, "wb");
	if (!w->fp)
		return -errno;
	w->rate = rate;
	w->channels = channels;
	make_header(h, rate, channels, 0);
	if (fwrite(h, 1, 44, w->fp) != 44) {
		fclose(w->fp);
		w->fp = NULL;
		return -EIO;
	}
	return 0;
}

int vc_wav_write(struct vc_wav_writer *w, const int16_t *pcm, int frames)
{
	uint8_t buf[1024];
	size_t n = (size_t)frames * (size_t)w->channels;
	size_t i = 0;

	if (!w->fp || frames < 0)
		return -EINVAL;
	while (i < n) {
		size_t k = 0;
		for (; k < sizeof(buf) / 2 && i < n; k++, i++)
			put16(buf + 2 * k, (uint16_t)pcm[i]);
		if (fwrite(buf, 2, k, w->fp) != k)
			return -EIO;
	}
	w->frames += (uint64_t)frames;
	return 0;
}

int vc_wav_sync(struct vc_wav_writer *w)
{
	uint8_t h[44];

	if (!w->fp)
		return -EINVAL;
	long end = ftell(w->fp);
	make_header(h, w->rate, w->channels, w->frames);
	if (end < 0 || fseek(w->fp, 0, SEEK_SET) != 0 || fwrite(h, 1, 44, w->fp) != 44 ||
	    fseek(w->fp, end, SEEK_SET) != 0 || fflush(w->fp) != 0)
		return -EIO;
	return 0;
}

int vc_wav_finish(struct vc_wav_writer *w)
{
	if (!w->fp)
		return 0;
	int rc = vc_wav_sync(w);
	if (fclose(w->fp) != 0 && rc == 0)
		rc = -EIO;
	w->fp = NULL;
	return rc;
}
