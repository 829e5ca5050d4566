/* vc_analyze.c - measure what a call delivered from the received media.
 *
 *   vc-analyze video --recv FILE.y4m [--times FILE.y4m.times] [--sent N]
 *   vc-analyze audio --recv FILE.wav [--times FILE.wav.times] [--tone HZ]
 *
 * Prints one JSON object on stdout and exits 0; exits 2 with a one-line
 * reason on stderr when the input cannot be read or the arguments are bad.
 *
 * Video: every frame's barcode (capture/vc_barcode.h) gives the sender's
 * frame index and capture time.  PSNR compares each decoded frame with
 * vc_testsrc_render() of the same index, over all Y, U and V samples
 * together (sample-weighted MSE of the I420 picture; "psnr_y_mean" is the
 * luma-only figure).  Latency, freezes and fps use the first time each
 * distinct frame was shown (the .times sidecar: "<frame_in_file>
 * <render_us>"); a freeze is a new distinct frame shown more than
 * max(150 ms, 3 x the mean interval between distinct frames) after the
 * previous one.  "series" lists [render time in s, latency in ms] per first
 * show, in file order.
 *
 * Audio: the tone source clicks at every whole second of the capture clock
 * (capture/vc_asrc.h).  A click is a 1 ms window whose RMS exceeds twice the
 * file's typical (median 10 ms block) RMS; its onset is the first sample,
 * within the 2 ms before that, reaching half the burst's peak.  Clicks are
 * at least 0.5 s apart (so concealment repeating a click is not counted).
 * The onset is mapped to CLOCK_MONOTONIC through the .wav.times sidecar
 * ("<sample_index> <monotonic_us>", linear between lines, nominal rate
 * beyond them); latency = that time modulo 1 s (above 900 ms counts as an
 * early detection: minus 1 s); "series" lists [playout time in s, latency in
 * ms] per click (with a sidecar).  Dropouts are 10 ms blocks, between the first
 * and the last block that carries the tone (all blocks if none does;
 * "leading_silence_ms" reports the time before the first), whose tone level (Hann-windowed
 * Goertzel at the tone frequency) is more than 12 dB below the -12 dBFS that
 * was sent; blocks next to a click are not judged.  freq_hz is a Goertzel
 * scan (4 Hz steps over 170 ms) refined over up to 1 s (0.02 Hz steps,
 * parabolic interpolation) on the most typical stretch of the file.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vc_barcode.h"
#include "vc_frame.h"
#include "vc_json.h"
#include "vc_testsrc.h"
#include "vc_wav.h"
#include "vc_y4m.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

#define MAX_TIMES_LINES 10000000

__attribute__((format(printf, 1, 2), noreturn)) static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "vc-analyze: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(2);
}

__attribute__((noreturn)) static void usage(void)
{
	fprintf(stderr, "usage: vc-analyze video --recv FILE.y4m [--times FILE.y4m.times] [--sent N]\n"
			"       vc-analyze audio --recv FILE.wav [--times FILE.wav.times] [--tone HZ]\n");
	exit(2);
}

/* ---- small helpers ---- */

struct pair {
	int64_t a, b;
};

/* Read "<int> <int>" lines; blank lines and '#' comments skipped. */
static struct pair *load_times(const char *path, size_t *count)
{
	FILE *fp = fopen(path, "r");
	char line[256];
	struct pair *v = NULL;
	size_t n = 0, cap = 0;

	if (!fp)
		die("cannot open times file %s", path);
	while (fgets(line, sizeof(line), fp)) {
		long long a, b;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (sscanf(line, "%lld %lld", &a, &b) != 2 || a < 0 || b < 0) {
			fclose(fp);
			free(v);
			die("malformed line in times file %s", path);
		}
		if (n == cap) {
			if (cap >= MAX_TIMES_LINES) {
				fclose(fp);
				free(v);
				die("too many lines in times file %s", path);
			}
			cap = cap ? cap * 2 : 1024;
			struct pair *nv = realloc(v, cap * sizeof(*v));
			if (!nv)
				die("out of memory reading %s", path);
			v = nv;
		}
		v[n].a = a;
		v[n].b = b;
		n++;
	}
	fclose(fp);
	*count = n;
	return v;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static int cmp_pair_a(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;
	return x->a < y->a ? -1 : x->a > y->a;
}

/* Nearest-rank percentile of a sorted array. */
static double pct(const double *s, size_t n, double p)
{
	if (n == 0)
		return 0;
	size_t k = (size_t)ceil(p / 100.0 * (double)n);
	if (k < 1)
		k = 1;
	if (k > n)
		k = n;
	return s[k - 1];
}

/* "name":{n, p50, p95, max} of v[0..n) (left in event order), or null. */
static void put_latency(json_t *o, const char *name, const double *v, size_t n)
{
	if (n == 0) {
		vc_json_set(o, name, json_null());
		return;
	}
	double *s = malloc(n * sizeof(*s));
	if (!s)
		die("out of memory");
	memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_double);
	json_t *l = json_object();
	vc_json_set_u64(l, "n", n);
	vc_json_set_fixed(l, "p50", pct(s, n, 50), 2);
	vc_json_set_fixed(l, "p95", pct(s, n, 95), 2);
	vc_json_set_fixed(l, "max", s[n - 1], 2);
	vc_json_set(o, name, l);
	free(s);
}

/* "series":[[t_s, latency_ms], ...] per event; t_us on CLOCK_MONOTONIC. */
static void put_series(json_t *o, const double *t_us, const double *lat, size_t n)
{
	json_t *series = json_array();

	for (size_t i = 0; i < n; i++) {
		json_t *ev = json_array();
		json_array_append_new(ev, vc_json_fixed(t_us[i] / 1e6, 6));
		json_array_append_new(ev, vc_json_fixed(lat[i], 2));
		json_array_append_new(series, ev);
	}
	vc_json_set(o, "series", series);
}

static void put_num(json_t *o, const char *name, int ok, double v)
{
	vc_json_set(o, name, ok ? vc_json_fixed(v, 3) : json_null());
}

/* The result: one line on stdout. */
static void put_result(json_t *o)
{
	if (vc_json_write_line(stdout, o) != 0)
		die("cannot write the result");
	json_decref(o);
}

/* ---- video ---- */

static double plane_sse(const uint8_t *a, int sa, const uint8_t *b, int sb, int w, int h)
{
	double sse = 0;

	for (int y = 0; y < h; y++) {
		const uint8_t *ra = a + (size_t)y * (size_t)sa, *rb = b + (size_t)y * (size_t)sb;
		int64_t s = 0;
		for (int x = 0; x < w; x++) {
			int d = ra[x] - rb[x];
			s += d * d;
		}
		sse += (double)s;
	}
	return sse;
}

static double psnr_of(double mse)
{
	if (mse < 255.0 * 255.0 * 1e-10)
		return 100.0;
	return 10.0 * log10(255.0 * 255.0 / mse);
}

static int analyze_video(const char *recv, const char *times_path, long sent)
{
	struct vc_y4m_reader rd;
	struct vc_frame f, ref;
	char err[256];
	size_t ntimes = 0;
	struct pair *times = NULL;

	if (vc_y4m_open(&rd, recv, err, sizeof(err)) < 0)
		die("%s", err);
	if (vc_frame_alloc(&f, rd.width, rd.height) < 0 ||
	    vc_frame_alloc(&ref, rd.width, rd.height) < 0)
		die("cannot allocate frames for %s", recv);
	if (times_path) {
		times = load_times(times_path, &ntimes);
		qsort(times, ntimes, sizeof(*times), cmp_pair_a);
	}

	uint8_t *seen = calloc(1u << 21, 1); /* bitmap of 24-bit indexes */
	size_t cap = 1024, nframes = 0, nread = 0, unique = 0, nfirst = 0;
	double *psnr = malloc(cap * sizeof(double));
	double *lat = malloc(cap * sizeof(double));
	double *first_t = malloc(cap * sizeof(double)); /* render time of first shows */
	double psnr_y_sum = 0;
	uint32_t first_index = 0, last_index = 0;
	if (!seen || !psnr || !lat || !first_t)
		die("out of memory");

	for (;;) {
		int rc = vc_y4m_read(&rd, &f);
		if (rc < 0)
			die("malformed frame in %s", recv);
		if (rc == 0)
			break;
		size_t fi = nframes++;
		uint32_t idx;
		uint64_t t40;
		if (vc_barcode_read(f.plane[0], f.width, f.height, f.stride[0], &idx, &t40) < 0)
			continue;
		if (nread == cap) {
			cap *= 2;
			psnr = realloc(psnr, cap * sizeof(double));
			lat = realloc(lat, cap * sizeof(double));
			first_t = realloc(first_t, cap * sizeof(double));
			if (!psnr || !lat || !first_t)
				die("out of memory");
		}
		/* The barcode holds only the low 40 bits; the re-rendered strip
		 * then matches exactly, and nothing else depends on the time. */
		vc_testsrc_render(&ref, idx, t40);
		int cw = f.width / 2, ch = f.height / 2;
		double sy = plane_sse(f.plane[0], f.stride[0], ref.plane[0], ref.stride[0], f.width,
				      f.height);
		double su = plane_sse(f.plane[1], f.stride[1], ref.plane[1], ref.stride[1], cw, ch);
		double sv = plane_sse(f.plane[2], f.stride[2], ref.plane[2], ref.stride[2], cw, ch);
		double ny = (double)f.width * f.height, nc = (double)cw * ch;
		psnr[nread] = psnr_of((sy + su + sv) / (ny + 2 * nc));
		psnr_y_sum += psnr_of(sy / ny);
		if (nread == 0 || idx < first_index)
			first_index = idx;
		if (nread == 0 || idx > last_index)
			last_index = idx;
		nread++;

		int is_new = !(seen[idx >> 3] & (1u << (idx & 7)));
		seen[idx >> 3] |= (uint8_t)(1u << (idx & 7));
		if (!is_new)
			continue;
		unique++;
		if (times) {
			struct pair key = { (int64_t)fi, 0 };
			struct pair *p = bsearch(&key, times, ntimes, sizeof(*times), cmp_pair_a);
			if (p) {
				uint64_t render = (uint64_t)p->b;
				uint64_t cap_us = vc_barcode_unwrap_time(t40, render);
				lat[nfirst] = ((double)render - (double)cap_us) / 1000.0;
				first_t[nfirst] = (double)render;
				nfirst++;
			}
		}
	}

	double psum = 0;
	for (size_t i = 0; i < nread; i++)
		psum += psnr[i];
	double *sorted_psnr = malloc((nread ? nread : 1) * sizeof(double));
	memcpy(sorted_psnr, psnr, nread * sizeof(double));
	qsort(sorted_psnr, nread, sizeof(double), cmp_double);

	/* Freezes over first shows, in display order. */
	int freezes = 0;
	double freeze_ms = 0, fps = 0;
	if (nfirst >= 2) {
		double span = first_t[nfirst - 1] - first_t[0];
		double avg = span / (double)(nfirst - 1);
		double thr = fmax(150000.0, 3.0 * avg);
		for (size_t i = 1; i < nfirst; i++) {
			double gap = first_t[i] - first_t[i - 1];
			if (gap > thr) {
				freezes++;
				freeze_ms += gap / 1000.0;
			}
		}
		fps = span > 0 ? (double)(nfirst - 1) * 1e6 / span : 0;
	}

	long lost = nread ? (long)(last_index - first_index + 1) - (long)unique : 0;
	json_t *o = json_object();
	vc_json_set_u64(o, "frames_in_file", nframes);
	vc_json_set_u64(o, "barcodes_read", nread);
	vc_json_set_u64(o, "unique_frames", unique);
	if (nread) {
		vc_json_set_u64(o, "first_index", first_index);
		vc_json_set_u64(o, "last_index", last_index);
	} else {
		vc_json_set(o, "first_index", json_null());
		vc_json_set(o, "last_index", json_null());
	}
	vc_json_set_i64(o, "frames_lost", lost);
	vc_json_set_u64(o, "repeats", nread - unique);
	put_num(o, "shown_ratio", sent > 0, sent > 0 ? (double)unique / (double)sent : 0);
	put_num(o, "psnr_mean", nread > 0, nread ? psum / (double)nread : 0);
	put_num(o, "psnr_min", nread > 0, nread ? sorted_psnr[0] : 0);
	put_num(o, "psnr_p5", nread > 0, pct(sorted_psnr, nread, 5));
	put_num(o, "psnr_y_mean", nread > 0, nread ? psnr_y_sum / (double)nread : 0);
	put_latency(o, "latency_ms", lat, nfirst);
	if (times) {
		vc_json_set_i64(o, "freezes", freezes);
		vc_json_set_fixed(o, "freeze_ms", freeze_ms, 1);
		put_num(o, "fps", nfirst >= 2, fps);
	} else {
		vc_json_set(o, "freezes", json_null());
		vc_json_set(o, "freeze_ms", json_null());
		vc_json_set(o, "fps", json_null());
	}
	vc_json_set_i64(o, "width", f.width);
	vc_json_set_i64(o, "height", f.height);
	vc_json_set_str(o, "psnr_planes", "yuv");
	put_series(o, first_t, lat, nfirst);
	put_result(o);

	free(sorted_psnr);
	free(psnr);
	free(lat);
	free(first_t);
	free(seen);
	free(times);
	vc_frame_free(&f);
	vc_frame_free(&ref);
	vc_y4m_close(&rd);
	return 0;
}

/* ---- audio ---- */

#define TONE_EXPECTED_PEAK 8192.0 /* vc_asrc tone: -12 dBFS */

/* Amplitude of the component at hz in x[0..n) (Hann-windowed Goertzel). */
static double goertzel_amp(const double *x, const double *win, size_t n, double hz, int rate)
{
	double w = 2.0 * M_PI * hz / rate, c = 2.0 * cos(w);
	double s1 = 0, s2 = 0, wsum = 0;

	for (size_t i = 0; i < n; i++) {
		double s0 = x[i] * win[i] + c * s1 - s2;
		s2 = s1;
		s1 = s0;
		wsum += win[i];
	}
	double re = s1 - s2 * cos(w), im = s2 * sin(w);
	return 2.0 * sqrt(re * re + im * im) / wsum;
}

static double *hann(size_t n)
{
	double *w = malloc((n ? n : 1) * sizeof(double));
	if (!w)
		die("out of memory");
	for (size_t i = 0; i < n; i++)
		w[i] = 0.5 - 0.5 * cos(2.0 * M_PI * ((double)i + 0.5) / (double)n);
	return w;
}

static double estimate_freq(const double *x, size_t n, int rate)
{
	size_t nc = n < 8192 ? n : 8192;
	size_t nf = n < (size_t)rate ? n : (size_t)rate;
	if (nc < 256)
		return 0;
	double *wc = hann(nc), *wf = hann(nf);
	double best = 0, bestf = 0;
	double top = fmin(20000.0, rate / 2.0 - 10.0);
	for (double f = 20.0; f <= top; f += 4.0) {
		double a = goertzel_amp(x, wc, nc, f, rate);
		if (a > best) {
			best = a;
			bestf = f;
		}
	}
	double step = 0.02, f0 = bestf - 8.0;
	int steps = (int)(16.0 / step) + 1;
	double ba = -1, a_prev = 0, a_next = 0;
	int bi = 0;
	double *amps = malloc((size_t)steps * sizeof(double));
	if (!amps)
		die("out of memory");
	for (int i = 0; i < steps; i++) {
		amps[i] = goertzel_amp(x, wf, nf, f0 + i * step, rate);
		if (amps[i] > ba) {
			ba = amps[i];
			bi = i;
		}
	}
	double fhz = f0 + bi * step;
	if (bi > 0 && bi < steps - 1) {
		a_prev = amps[bi - 1];
		a_next = amps[bi + 1];
		double den = a_prev - 2 * ba + a_next;
		if (den < 0)
			fhz += step * 0.5 * (a_prev - a_next) / den;
	}
	free(amps);
	free(wc);
	free(wf);
	return fhz;
}

struct sidecar {
	struct pair *p;
	size_t n;
	int rate;
};

static double map_time(const struct sidecar *sc, double sample)
{
	const struct pair *p = sc->p;
	size_t n = sc->n;

	if (n == 1 || sample <= (double)p[0].a)
		return (double)p[0].b + (sample - (double)p[0].a) * 1e6 / sc->rate;
	if (sample >= (double)p[n - 1].a)
		return (double)p[n - 1].b + (sample - (double)p[n - 1].a) * 1e6 / sc->rate;
	size_t lo = 0, hi = n - 1;
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;
		if ((double)p[mid].a <= sample)
			lo = mid;
		else
			hi = mid;
	}
	double span = (double)(p[hi].a - p[lo].a);
	double fr = span > 0 ? (sample - (double)p[lo].a) / span : 0;
	return (double)p[lo].b + fr * (double)(p[hi].b - p[lo].b);
}

static int analyze_audio(const char *recv, const char *times_path, double tone_hz)
{
	struct vc_wav_reader rd;
	char err[256];
	struct sidecar sc = { 0 };

	if (vc_wav_open(&rd, recv, err, sizeof(err)) < 0)
		die("%s", err);
	int rate = rd.rate, chn = rd.channels;
	size_t total = (size_t)(rd.data_bytes / (2u * (uint64_t)chn));
	if (total > (size_t)rate * 3600u * 4u)
		die("%s: longer than 4 hours", recv);
	double *x = malloc((total ? total : 1) * sizeof(double));
	int16_t *buf = malloc(4096 * (size_t)chn * sizeof(int16_t));
	if (!x || !buf)
		die("out of memory");
	size_t n = 0;
	for (;;) {
		int got = vc_wav_read(&rd, buf, 4096);
		if (got <= 0)
			break;
		for (int i = 0; i < got && n < total; i++) {
			double s = 0;
			for (int c = 0; c < chn; c++)
				s += buf[i * chn + c];
			x[n++] = s / chn;
		}
	}
	vc_wav_close(&rd);
	free(buf);
	if (times_path) {
		sc.p = load_times(times_path, &sc.n);
		if (sc.n == 0)
			die("empty times file %s", times_path);
		qsort(sc.p, sc.n, sizeof(*sc.p), cmp_pair_a);
		sc.rate = rate;
	}

	/* Overall level and 10 ms block RMS. */
	double sumsq = 0;
	for (size_t i = 0; i < n; i++)
		sumsq += x[i] * x[i];
	double rms = n ? sqrt(sumsq / (double)n) : 0;
	size_t blk = (size_t)rate / 100;
	size_t nblk = blk ? n / blk : 0;
	double *brms = malloc((nblk ? nblk : 1) * sizeof(double));
	double *bs = malloc((nblk ? nblk : 1) * sizeof(double));
	size_t nloud = 0;
	for (size_t b = 0; b < nblk; b++) {
		double s = 0;
		for (size_t i = b * blk; i < (b + 1) * blk; i++)
			s += x[i] * x[i];
		brms[b] = sqrt(s / (double)blk);
		if (brms[b] > 100.0)
			bs[nloud++] = brms[b];
	}
	qsort(bs, nloud, sizeof(double), cmp_double);
	double median = nloud ? bs[nloud / 2] : 0;

	/* Clicks. */
	size_t win = (size_t)rate / 1000, back = 2 * win;
	size_t cap = 64, nclick = 0;
	size_t *onsets = malloc(cap * sizeof(size_t));
	double *lat = malloc(cap * sizeof(double));
	double *lat_t = malloc(cap * sizeof(double)); /* playout time of each click, us */
	size_t nlat = 0;
	if (!onsets || !lat || !lat_t)
		die("out of memory");
	if (median > 0 && n > win) {
		double thr = 2.0 * median, thr2 = thr * thr * (double)win, acc = 0;
		for (size_t i = 0; i < win; i++)
			acc += x[i] * x[i];
		for (size_t i = win; i < n; i++) {
			acc += x[i] * x[i] - x[i - win] * x[i - win];
			if (acc <= thr2)
				continue;
			size_t lo = i > back ? i - back : 0;
			size_t hi = i + (size_t)rate * 5 / 1000;
			if (hi > n)
				hi = n;
			double peak = 0;
			for (size_t j = lo; j < hi; j++)
				peak = fmax(peak, fabs(x[j]));
			size_t on = i;
			for (size_t j = lo; j <= i; j++)
				if (fabs(x[j]) >= 0.5 * peak) {
					on = j;
					break;
				}
			if (nclick == cap) {
				cap *= 2;
				onsets = realloc(onsets, cap * sizeof(size_t));
				lat = realloc(lat, cap * sizeof(double));
				lat_t = realloc(lat_t, cap * sizeof(double));
				if (!onsets || !lat || !lat_t)
					die("out of memory");
			}
			onsets[nclick++] = on;
			if (sc.n) {
				double t = map_time(&sc, (double)on);
				double ms = fmod(t, 1e6) / 1000.0;
				if (ms > 900.0)
					ms -= 1000.0;
				lat_t[nlat] = t;
				lat[nlat++] = ms;
			}
			/* Refractory 0.5 s; restart the window there. */
			size_t next = on + (size_t)rate / 2;
			if (next + win >= n)
				break;
			acc = 0;
			for (size_t j = next; j < next + win; j++)
				acc += x[j] * x[j];
			i = next + win - 1;
		}
	}

	/* Frequency on the most typical stretch: windows whose 10 ms blocks
	 * are nearest the median level. */
	size_t flen = n < (size_t)rate ? n : (size_t)rate;
	size_t fstart = 0;
	if (nblk && flen >= blk) {
		size_t wb = flen / blk, bestscore = 0;
		for (size_t s0 = 0; s0 + wb <= nblk; s0 += 25) {
			size_t score = 0;
			for (size_t b = s0; b < s0 + wb; b++)
				if (brms[b] > 0.7 * median && brms[b] < 1.4 * median)
					score++;
			if (score > bestscore) {
				bestscore = score;
				fstart = s0 * blk;
			}
		}
	}
	double freq = estimate_freq(x + fstart, flen, rate);
	double fdrop = tone_hz > 0 ? tone_hz : freq;

	/* Dropouts: blocks between the first and last tone-bearing block. */
	double *wb = hann(blk ? blk : 1);
	unsigned char *bad = calloc(nblk ? nblk : 1, 1);
	long first_ok = -1, last_ok = -1;
	for (size_t b = 0; b < nblk && fdrop > 0; b++) {
		double a = goertzel_amp(x + b * blk, wb, blk, fdrop, rate);
		bad[b] = a < TONE_EXPECTED_PEAK / 4.0;
		if (!bad[b]) {
			if (first_ok < 0)
				first_ok = (long)b;
			last_ok = (long)b;
		}
	}
	for (size_t k = 0; k < nclick; k++) {
		size_t b = onsets[k] / blk;
		for (size_t j = b > 0 ? b - 1 : 0; j <= b + 1 && j < nblk; j++)
			bad[j] = 0;
	}
	double dropout_ms = 0;
	for (long b = first_ok; b >= 0 && b <= last_ok; b++)
		if (bad[b])
			dropout_ms += 10.0;
	if (first_ok < 0) /* no tone anywhere: all of it is a dropout */
		dropout_ms = (double)nblk * 10.0;

	json_t *o = json_object();
	vc_json_set_fixed(o, "duration_s", (double)n / rate, 3);
	put_num(o, "rms_dbfs", rms > 0, rms > 0 ? 20.0 * log10(rms / 32768.0) : 0);
	put_num(o, "freq_hz", freq > 0, freq);
	vc_json_set_u64(o, "clicks", nclick);
	put_latency(o, "latency_ms", lat, nlat);
	vc_json_set_fixed(o, "dropout_ms", dropout_ms, 1);
	vc_json_set_fixed(o, "leading_silence_ms",
			  first_ok >= 0 ? (double)first_ok * 10.0 : (double)nblk * 10.0, 1);
	vc_json_set_i64(o, "rate", rate);
	vc_json_set_i64(o, "channels", chn);
	put_series(o, lat_t, lat, nlat);
	put_result(o);

	free(bad);
	free(wb);
	free(onsets);
	free(lat);
	free(lat_t);
	free(brms);
	free(bs);
	free(sc.p);
	free(x);
	return 0;
}

int main(int argc, char **argv)
{
	const char *recv = NULL, *times = NULL;
	long sent = 0;
	double tone = 0;

	if (argc < 2)
		usage();
	int video = strcmp(argv[1], "video") == 0;
	if (!video && strcmp(argv[1], "audio") != 0)
		usage();
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		if (i + 1 >= argc)
			usage();
		const char *v = argv[++i];
		char *end;
		if (strcmp(a, "--recv") == 0) {
			recv = v;
		} else if (strcmp(a, "--times") == 0) {
			times = v;
		} else if (video && strcmp(a, "--sent") == 0) {
			sent = strtol(v, &end, 10);
			if (*end || sent < 0)
				die("bad --sent %s", v);
		} else if (!video && strcmp(a, "--tone") == 0) {
			tone = strtod(v, &end);
			if (*end || !(tone >= 20 && tone <= 20000))
				die("bad --tone %s", v);
		} else {
			usage();
		}
	}
	if (!recv)
		usage();
	return video ? analyze_video(recv, times, sent) : analyze_audio(recv, times, tone);
}
