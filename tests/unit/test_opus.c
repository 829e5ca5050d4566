/* test_opus.c - Opus wrapper: a 440 Hz tone survives the round trip, PLC
 * and in-band FEC give a full frame, malformed payloads are errors.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vc_opus.h"
#include "vc_test.h"

#define FRAMES 50 /* 1 s */
#define TOTAL (FRAMES * VC_OPUS_FRAME)

static void sine(int16_t *pcm, int n, double hz, double amp)
{
	for (int i = 0; i < n; i++)
		pcm[i] = (int16_t)lrint(amp * sin(2.0 * M_PI * hz * i / VC_OPUS_RATE));
}

static double goertzel_power(const int16_t *x, int n, double hz)
{
	double w = 2.0 * M_PI * hz / VC_OPUS_RATE, c = 2.0 * cos(w), s1 = 0, s2 = 0;
	for (int i = 0; i < n; i++) {
		double s0 = x[i] + c * s1 - s2;
		s2 = s1;
		s1 = s0;
	}
	return s1 * s1 + s2 * s2 - c * s1 * s2;
}

static double rms(const int16_t *x, int n)
{
	double e = 0;
	for (int i = 0; i < n; i++)
		e += (double)x[i] * x[i];
	return sqrt(e / n);
}

static void test_tone_round_trip(void)
{
	struct vc_opus_enc_cfg cfg = { .channels = 1, .bitrate_kbps = 32, .expected_loss_pct = 0 };
	struct vc_opus_enc *e = NULL;
	struct vc_opus_dec *d = NULL;
	static int16_t in[TOTAL], out[TOTAL], pcm[VC_OPUS_MAX_FRAME];
	uint8_t pkt[VC_OPUS_MAX_PACKET];
	int decoded = 0;
	size_t bytes = 0;

	CHECK_EQ(vc_opus_enc_new(&e, &cfg), 0);
	CHECK_EQ(vc_opus_dec_new(&d, 1), 0);
	if (!e || !d)
		goto out;
	sine(in, TOTAL, 440.0, 8000.0);
	for (int f = 0; f < FRAMES; f++) {
		int n = vc_opus_enc_encode(e, in + f * VC_OPUS_FRAME, pkt, sizeof(pkt));
		CHECK(n > 0);
		if (n <= 0)
			continue;
		bytes += (size_t)n;
		CHECK_EQ(vc_opus_packet_samples(pkt, (size_t)n), VC_OPUS_FRAME);
		int s = vc_opus_dec_decode(d, pkt, (size_t)n, false, pcm, VC_OPUS_MAX_FRAME, 0);
		CHECK_EQ(s, VC_OPUS_FRAME);
		if (s == VC_OPUS_FRAME && decoded + s <= TOTAL) {
			memcpy(out + decoded, pcm, sizeof(int16_t) * (size_t)s);
			decoded += s;
		}
	}
	CHECK_EQ(decoded, TOTAL);

	/* Skip the codec's start-up (lookahead and pre-roll): the last 0.8 s. */
	const int skip = TOTAL / 5, n = TOTAL - skip;
	double best_hz = 0, best_p = -1;
	for (double hz = 100; hz <= 4000; hz += 1) {
		double p = goertzel_power(out + skip, n, hz);
		if (p > best_p) {
			best_p = p;
			best_hz = hz;
		}
	}
	/* Zero crossings count the same tone independently. */
	int crossings = 0;
	for (int i = skip + 1; i < TOTAL; i++)
		crossings += (out[i - 1] < 0) != (out[i] < 0);
	double zc_hz = crossings / 2.0 / ((double)n / VC_OPUS_RATE);
	double ratio = rms(out + skip, n) / rms(in + skip, n);

	CHECK(fabs(best_hz - 440.0) <= 5.0);
	CHECK(fabs(zc_hz - 440.0) <= 5.0);
	CHECK(ratio > 0.85 && ratio < 1.15);
	fprintf(stderr, "  tone: peak %.0f Hz, zero-crossings %.1f Hz, rms ratio %.3f, %.1f kbit/s\n",
		best_hz, zc_hz, ratio, bytes * 8.0 / 1000.0);
out:
	vc_opus_enc_free(e);
	vc_opus_dec_free(d);
}

static void test_plc(void)
{
	struct vc_opus_dec *d = NULL;
	int16_t pcm[VC_OPUS_MAX_FRAME];

	CHECK_EQ(vc_opus_dec_new(&d, 1), 0);
	if (!d)
		return;
	CHECK_EQ(vc_opus_dec_decode(d, NULL, 0, false, pcm, VC_OPUS_MAX_FRAME, VC_OPUS_FRAME),
		 VC_OPUS_FRAME);
	/* Frame lengths that Opus cannot produce, or that do not fit. */
	CHECK(vc_opus_dec_decode(d, NULL, 0, false, pcm, VC_OPUS_MAX_FRAME, 0) < 0);
	CHECK(vc_opus_dec_decode(d, NULL, 0, false, pcm, VC_OPUS_MAX_FRAME, 100) < 0);
	CHECK(vc_opus_dec_decode(d, NULL, 0, false, pcm, 480, 960) < 0);
	vc_opus_dec_free(d);
}

/* Something SILK's VAD keeps calling speech: a gliding 140 Hz voice with
 * harmonics and a syllable-rate envelope (a steady sine soon counts as
 * background, and SILK sends no LBRR for background). */
static void voice(int16_t *pcm, int n)
{
	double ph = 0;
	for (int i = 0; i < n; i++) {
		double t = (double)i / VC_OPUS_RATE, s = 0;
		ph += 2.0 * M_PI * (140.0 + 30.0 * sin(2.0 * M_PI * 3.0 * t)) / VC_OPUS_RATE;
		for (int k = 1; k <= 12; k++)
			s += sin(k * ph) / k;
		pcm[i] = (int16_t)lrint(5000.0 * s * (0.55 + 0.45 * sin(2.0 * M_PI * 4.0 * t)));
	}
}

/* Encode speech with 0 and 20 % expected loss; count packets with LBRR and
 * recover a lost packet from the next one's FEC. */
static void test_fec(void)
{
	static int16_t in[TOTAL];
	static uint8_t pkt[FRAMES][VC_OPUS_MAX_PACKET];
	int len[FRAMES];
	int16_t pcm[VC_OPUS_MAX_FRAME];

	voice(in, TOTAL);
	for (int loss = 0; loss <= 20; loss += 20) {
		struct vc_opus_enc_cfg cfg = { .channels = 1, .bitrate_kbps = 32,
					       .expected_loss_pct = loss };
		struct vc_opus_enc *e = NULL;
		struct vc_opus_dec *d = NULL;
		int with_fec = 0, lost = -1;

		CHECK_EQ(vc_opus_enc_new(&e, &cfg), 0);
		CHECK_EQ(vc_opus_dec_new(&d, 1), 0);
		if (!e || !d) {
			vc_opus_enc_free(e);
			vc_opus_dec_free(d);
			continue;
		}
		for (int f = 0; f < FRAMES; f++) {
			len[f] = vc_opus_enc_encode(e, in + f * VC_OPUS_FRAME, pkt[f], sizeof(pkt[f]));
			CHECK(len[f] > 0);
			if (len[f] <= 0)
				len[f] = 0;
			if (f >= 5 && vc_opus_has_fec(pkt[f], (size_t)len[f])) {
				with_fec++;
				if (lost < 0 && f >= 10)
					lost = f - 1;
			}
		}
		if (loss == 0) {
			/* The flag reader must not see LBRR that is not there. */
			CHECK_EQ(with_fec, 0);
		} else {
			CHECK(with_fec * 2 >= FRAMES - 5);
			CHECK(lost > 0);
			fprintf(stderr, "  fec: %d of %d packets carry LBRR at %d%% loss\n", with_fec,
				FRAMES - 5, loss);
		}
		if (lost > 0) {
			/* Packet 'lost' never arrives: decode up to it, rebuild it
			 * from the next packet's FEC, then decode that normally. */
			for (int f = 0; f < lost; f++)
				vc_opus_dec_decode(d, pkt[f], (size_t)len[f], false, pcm, VC_OPUS_MAX_FRAME, 0);
			int s = vc_opus_dec_decode(d, pkt[lost + 1], (size_t)len[lost + 1], true, pcm,
						   VC_OPUS_MAX_FRAME, VC_OPUS_FRAME);
			CHECK_EQ(s, VC_OPUS_FRAME);
			/* The recovered frame is the voice, not silence. */
			double r = rms(pcm, VC_OPUS_FRAME) / rms(in + lost * VC_OPUS_FRAME, VC_OPUS_FRAME);
			CHECK(r > 0.5 && r < 1.5);
			fprintf(stderr, "  fec: packet %d recovered, rms ratio %.3f\n", lost, r);
			CHECK_EQ(vc_opus_dec_decode(d, pkt[lost + 1], (size_t)len[lost + 1], false, pcm,
						    VC_OPUS_MAX_FRAME, 0),
				 VC_OPUS_FRAME);
		}
		vc_opus_enc_free(e);
		vc_opus_dec_free(d);
	}
}

static void test_has_fec_vectors(void)
{
	/* TOC 0x08: SILK NB 20 ms mono code 0; first SILK byte: VAD, LBRR. */
	static const uint8_t lbrr[] = { 0x08, 0x40, 0x12 };
	static const uint8_t vad_only[] = { 0x08, 0x80, 0x12 };
	/* Stereo (s bit): mid VAD, mid LBRR, side VAD, side LBRR. */
	static const uint8_t side_lbrr[] = { 0x0c, 0x10, 0x12 };
	/* SILK 60 ms mono (config 3): three VAD flags then LBRR. */
	static const uint8_t lbrr_60[] = { 0x18, 0x10, 0x12 };
	static const uint8_t vad_60[] = { 0x18, 0xe0, 0x12 };
	/* CELT only (config 31): never LBRR whatever the bits say. */
	static const uint8_t celt[] = { 0xf8, 0xff, 0xff };
	/* TOC only: a frame of 0 bytes has no SILK header to read. */
	static const uint8_t toc_only[] = { 0x08 };

	CHECK(vc_opus_has_fec(lbrr, sizeof(lbrr)));
	CHECK(!vc_opus_has_fec(vad_only, sizeof(vad_only)));
	CHECK(vc_opus_has_fec(side_lbrr, sizeof(side_lbrr)));
	CHECK(vc_opus_has_fec(lbrr_60, sizeof(lbrr_60)));
	CHECK(!vc_opus_has_fec(vad_60, sizeof(vad_60)));
	CHECK(!vc_opus_has_fec(celt, sizeof(celt)));
	CHECK(!vc_opus_has_fec(toc_only, sizeof(toc_only)));
	CHECK(!vc_opus_has_fec(lbrr, 0));
	CHECK(!vc_opus_has_fec(NULL, 3));
}

static void test_packet_samples(void)
{
	static const uint8_t silk20[] = { 0x08, 0x40 };
	static const uint8_t silk60[] = { 0x18, 0x40 };
	/* Code 3, 2 frames of 60 ms, CBR: 120 ms, the most allowed. */
	static const uint8_t two60[] = { 0x1b, 0x02, 0x00, 0x00 };
	/* Code 3, 3 frames of 60 ms: 180 ms, invalid. */
	static const uint8_t three60[] = { 0x1b, 0x03, 0x00, 0x00, 0x00 };
	/* Code 3 without its frame count byte; with a count of 0. */
	static const uint8_t code3_short[] = { 0x0b };
	static const uint8_t code3_zero[] = { 0x0b, 0x00 };
	/* Code 1 (two equal frames) with an odd byte count. */
	static const uint8_t code1_odd[] = { 0x09, 0x00, 0x00, 0x00 };
	/* Code 2 with a first-frame length past the end. */
	static const uint8_t code2_long[] = { 0x0a, 0xfb, 0x01 };

	CHECK_EQ(vc_opus_packet_samples(silk20, sizeof(silk20)), 960);
	CHECK_EQ(vc_opus_packet_samples(silk60, sizeof(silk60)), 2880);
	CHECK_EQ(vc_opus_packet_samples(two60, sizeof(two60)), 5760);
	CHECK(vc_opus_packet_samples(three60, sizeof(three60)) < 0);
	CHECK(vc_opus_packet_samples(code3_short, sizeof(code3_short)) < 0);
	CHECK(vc_opus_packet_samples(code3_zero, sizeof(code3_zero)) < 0);
	CHECK(vc_opus_packet_samples(code1_odd, sizeof(code1_odd)) < 0);
	CHECK(vc_opus_packet_samples(code2_long, sizeof(code2_long)) < 0);
	CHECK(vc_opus_packet_samples(silk20, 0) < 0);
	CHECK(vc_opus_packet_samples(NULL, 2) < 0);
}

static uint32_t rnd_state = 0x9e3779b9;
static uint32_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state;
}

static void test_garbage(void)
{
	static const uint8_t bad[][5] = {
		{ 0x0b }, { 0x0b, 0x00 }, { 0x09, 0x00, 0x00, 0x00 }, { 0x0a, 0xfb, 0x01 },
		{ 0x1b, 0x03, 0x00, 0x00, 0x00 },
	};
	static const size_t bad_len[] = { 1, 2, 4, 3, 5 };
	struct vc_opus_dec *d = NULL;
	int16_t pcm[VC_OPUS_MAX_FRAME];
	uint8_t buf[1500];

	CHECK_EQ(vc_opus_dec_new(&d, 1), 0);
	if (!d)
		return;
	/* Empty payload: an error, not silent PLC. */
	CHECK_EQ(vc_opus_dec_decode(d, buf, 0, false, pcm, VC_OPUS_MAX_FRAME, 0), -EBADMSG);
	CHECK_EQ(vc_opus_dec_decode(d, buf, 0, true, pcm, VC_OPUS_MAX_FRAME, 960), -EBADMSG);
	for (size_t i = 0; i < sizeof(bad_len) / sizeof(bad_len[0]); i++) {
		CHECK(vc_opus_dec_decode(d, bad[i], bad_len[i], false, pcm, VC_OPUS_MAX_FRAME, 0) < 0);
		CHECK(vc_opus_dec_decode(d, bad[i], bad_len[i], true, pcm, VC_OPUS_MAX_FRAME, 960) < 0);
	}
	/* A 120 ms packet does not fit a 20 ms buffer. */
	static const uint8_t two60[] = { 0x1b, 0x02, 0x00, 0x00 };
	CHECK(vc_opus_dec_decode(d, two60, sizeof(two60), false, pcm, 960, 0) < 0);
	CHECK_EQ(vc_opus_dec_decode(d, two60, sizeof(two60), false, pcm, VC_OPUS_MAX_FRAME, 0), 5760);
	/* Random bytes: many are structurally valid Opus; none may crash,
	 * and every answer is either an error or a legal sample count. */
	int errors = 0, odd = 0;
	for (int i = 0; i < 2000; i++) {
		size_t n = 1 + rnd() % sizeof(buf);
		for (size_t k = 0; k < n; k++)
			buf[k] = (uint8_t)rnd();
		int r = vc_opus_dec_decode(d, buf, n, (i & 1) != 0, pcm, VC_OPUS_MAX_FRAME, 960);
		int s = vc_opus_packet_samples(buf, n);
		(void)vc_opus_has_fec(buf, n);
		errors += r < 0;
		if (r >= 0 && (r % 120 != 0 || r > VC_OPUS_MAX_FRAME))
			odd++;
		/* A normal decode succeeds exactly for packets that parse. */
		if (!(i & 1) && (r >= 0) != (s >= 0))
			odd++;
		if (!(i & 1) && r >= 0 && r != s)
			odd++;
	}
	CHECK_EQ(odd, 0);
	CHECK(errors > 0);
	fprintf(stderr, "  garbage: %d of 2000 random payloads rejected\n", errors);
	vc_opus_dec_free(d);
}

static void test_bad_args(void)
{
	struct vc_opus_enc *e = (struct vc_opus_enc *)&e;
	struct vc_opus_dec *d = (struct vc_opus_dec *)&d;
	struct vc_opus_enc_cfg cfg = { .channels = 3, .bitrate_kbps = 32 };
	int16_t pcm[2 * VC_OPUS_FRAME] = { 0 };
	uint8_t out[VC_OPUS_MAX_PACKET];

	CHECK_EQ(vc_opus_enc_new(&e, &cfg), -EINVAL);
	CHECK(e == NULL);
	CHECK_EQ(vc_opus_dec_new(&d, 0), -EINVAL);
	CHECK(d == NULL);
	/* Stereo works, and a bitrate change while running is applied. */
	cfg.channels = 2;
	CHECK_EQ(vc_opus_enc_new(&e, &cfg), 0);
	if (e) {
		CHECK(vc_opus_enc_encode(e, pcm, out, sizeof(out)) > 0);
		vc_opus_enc_set_bitrate(e, 64);
		CHECK(vc_opus_enc_encode(e, pcm, out, sizeof(out)) > 0);
		CHECK(vc_opus_enc_encode(e, pcm, out, 0) < 0);
	}
	vc_opus_enc_free(e);
	vc_opus_enc_free(NULL);
	vc_opus_dec_free(NULL);
}

/* The receiver counts the sender's look-ahead in mouth-to-ear latency from
 * the profile constant: it must be what libopus really does. */
static void test_lookahead_matches_profile(void)
{
	struct vc_opus_enc *e = NULL;
	struct vc_opus_enc_cfg cfg = { .channels = 1, .bitrate_kbps = 32, .expected_loss_pct = 10 };

	CHECK_EQ(vc_opus_enc_new(&e, &cfg), 0);
	if (e)
		CHECK_EQ(vc_opus_enc_lookahead(e), VC_OPUS_LOOKAHEAD);
	vc_opus_enc_free(e);
}

int main(void)
{
	RUN(test_lookahead_matches_profile);
	RUN(test_tone_round_trip);
	RUN(test_plc);
	RUN(test_fec);
	RUN(test_has_fec_vectors);
	RUN(test_packet_samples);
	RUN(test_garbage);
	RUN(test_bad_args);
	return vc_test_summary();
}
