/* test_daemon_units.c - the daemon's own modules without a call: option
 * parsing (vc_opts), address parsing and the peer check (vc_net), file
 * sinks and their sidecars (vc_sink), the stats line (vc_stats), and the
 * window's picture mailbox (vc_callwin) with an odd-sized picture.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vc_callwin.h"
#include "vc_net.h"
#include "vc_opts.h"
#include "vc_sink.h"
#include "vc_stats.h"
#include "vc_test.h"
#include "vc_test_tmp.h"
#include "vc_wav.h"
#include "vc_y4m.h"

static void test_split_hostport(void)
{
	static const struct {
		const char *in;
		int rc;
		const char *host, *port;
	} v[] = {
		{ "10.0.0.5", 0, "10.0.0.5", "5004" },
		{ "10.0.0.5:6000", 0, "10.0.0.5", "6000" },
		{ "[::1]:6000", 0, "::1", "6000" },
		{ "[::1]", 0, "::1", "5004" },
		{ "::1", 0, "::1", "5004" },            /* bare IPv6, no port */
		{ "fe80::1:2", 0, "fe80::1:2", "5004" },
		{ "peer.example:7000", 0, "peer.example", "7000" },
		{ "host:0", -1, NULL, NULL },
		{ "host:65536", -1, NULL, NULL },
		{ "host:12ab", -1, NULL, NULL },
		{ "host:", -1, NULL, NULL },
		{ "[::1", -1, NULL, NULL },
		{ "[::1]x", -1, NULL, NULL },
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char host[64] = "", port[16] = "";
		int rc = vc_split_hostport(v[i].in, host, sizeof(host), port, sizeof(port), "5004");
		CHECK_EQ(rc, v[i].rc);
		if (rc == 0 && v[i].rc == 0) {
			CHECK(strcmp(host, v[i].host) == 0);
			CHECK(strcmp(port, v[i].port) == 0);
		}
	}
	/* a host that does not fit is refused, not truncated */
	char small[4], port[8];
	CHECK_EQ(vc_split_hostport("abcdef:1", small, sizeof(small), port, sizeof(port), "1"), -1);
}

static void test_peer_check(void)
{
	struct vc_addr peer;
	char err[128];
	struct sockaddr_in from;

	CHECK_EQ(vc_resolve("127.0.0.1:6000", AF_UNSPEC, &peer, err, sizeof(err)), 0);
	memset(&from, 0, sizeof(from));
	from.sin_family = AF_INET;
	from.sin_port = htons(6000);
	from.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(vc_addr_equal((struct sockaddr *)&from, sizeof(from), &peer));
	from.sin_port = htons(6001); /* same host, other port: a stranger */
	CHECK(!vc_addr_equal((struct sockaddr *)&from, sizeof(from), &peer));
	from.sin_port = htons(6000);
	from.sin_addr.s_addr = htonl(0x7f000002);
	CHECK(!vc_addr_equal((struct sockaddr *)&from, sizeof(from), &peer));
	/* a truncated sockaddr never matches */
	from.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(!vc_addr_equal((struct sockaddr *)&from, 4, &peer));

	struct vc_addr p6;
	struct sockaddr_in6 f6;
	CHECK_EQ(vc_resolve("[::1]:6000", AF_UNSPEC, &p6, err, sizeof(err)), 0);
	memset(&f6, 0, sizeof(f6));
	f6.sin6_family = AF_INET6;
	f6.sin6_port = htons(6000);
	f6.sin6_addr = in6addr_loopback;
	CHECK(vc_addr_equal((struct sockaddr *)&f6, sizeof(f6), &p6));
	CHECK(!vc_addr_equal((struct sockaddr *)&f6, sizeof(f6), &peer)); /* family differs */
	CHECK_EQ(vc_resolve("host:99999", AF_UNSPEC, &p6, err, sizeof(err)), -1);
	CHECK(strstr(err, "99999") != NULL);
}

static int parse(struct vc_opts *o, const char *line)
{
	char buf[512], *argv[32];
	int argc = 0;

	snprintf(buf, sizeof(buf), "vcalld %s", line);
	for (char *t = strtok(buf, " "); t && argc < 31; t = strtok(NULL, " "))
		argv[argc++] = t;
	argv[argc] = NULL;
	return vc_opts_parse(o, argc, argv);
}

static void test_opts(void)
{
	struct vc_opts o;

	CHECK_EQ(parse(&o, "--peer 10.0.0.5"), 0);
	CHECK_EQ(o.width, 640);
	CHECK_EQ(o.height, 480);
	CHECK_EQ(o.fps, 30);
	CHECK(o.duration_s == 0);
	CHECK(o.video_source == NULL);
	CHECK_EQ(o.audio_jb_ms, 0); /* adaptive */
	CHECK_EQ(o.video_jb_ms, 0);
	CHECK_EQ(o.no_aec, 0);
	CHECK(o.audio_clock_ppm == 0);
	CHECK_EQ(parse(&o, "--peer h --audio-jb-ms 60 --video-jb-ms 0 --no-aec --audio-clock-ppm -250.5"), 0);
	CHECK_EQ(o.audio_jb_ms, 60);
	CHECK_EQ(o.video_jb_ms, 0);
	CHECK_EQ(o.no_aec, 1);
	CHECK(o.audio_clock_ppm == -250.5);
	CHECK_EQ(parse(&o, "--peer h --listen 6000 --size 1280x720 --fps 15 --video-kbps 300 "
			   "--audio-kbps 24 --duration 2.5 --log-level debug --video-source testsrc"), 0);
	CHECK_EQ(o.width, 1280);
	CHECK_EQ(o.height, 720);
	CHECK_EQ(o.fps, 15);
	CHECK_EQ(o.video_kbps, 300);
	CHECK_EQ(o.audio_kbps, 24);
	CHECK(o.duration_s == 2.5);
	CHECK_EQ(o.log_level, VC_LOG_DEBUG);
	CHECK(strcmp(o.listen, "6000") == 0);
	CHECK(strcmp(o.video_source, "testsrc") == 0);
	CHECK_EQ(parse(&o, "--help"), 0);
	CHECK(o.help);

	/* Each of these is refused (with a line on stderr). */
	static const char *const bad[] = {
		"",                          /* no --peer */
		"--peer h --size 640",       "--peer h --size 641x480", "--peer h --size 100x100",
		"--peer h --size 640x480x",  "--peer h --fps 0",        "--peer h --fps 61",
		"--peer h --fps 3O",         "--peer h --video-kbps 10", "--peer h --duration -1",
		"--peer h --duration x",     "--peer h --log-level loud", "--peer h --bogus",
		"--peer h extra",            "--peer",                   "--peer h --audio-jb-ms 5",
		"--peer h --audio-clock-ppm 5001", "--peer h --audio-clock-ppm x",
		"--peer h --audio-clock-ppm nan",  "--peer h --no-aec=1",
	};
	fprintf(stderr, "(expected errors follow)\n");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = parse(&o, bad[i]);
		CHECK_EQ(rc, -1);
		if (rc != -1)
			fprintf(stderr, "accepted: %s\n", bad[i]);
	}
}

/* An odd-sized picture as the decoder hands it over (planes borrowed, rows
 * padded: strides 352 and 176), pattern p. */
struct odd_pic {
	struct vc_frame f;
	uint8_t y[352 * 241], u[176 * 121], v[176 * 121];
};

static void odd_pic(struct odd_pic *o, int w, int h, unsigned p)
{
	memset(o, 0xEE, sizeof(*o)); /* padding that must not be shown */
	o->f = (struct vc_frame){ .width = w, .height = h, .plane = { o->y, o->u, o->v },
				  .stride = { 352, 176, 176 }, .index = p };
	for (int pl = 0; pl < 3; pl++) {
		int pw = pl ? (w + 1) / 2 : w, ph = pl ? (h + 1) / 2 : h;
		for (int y = 0; y < ph; y++)
			for (int x = 0; x < pw; x++)
				o->f.plane[pl][y * o->f.stride[pl] + x] = (uint8_t)(p + 3 * x + 5 * y + 71 * pl);
	}
}

static int same_picture(const struct vc_frame *a, const struct vc_frame *b)
{
	if (a->width != b->width || a->height != b->height || a->index != b->index)
		return 0;
	for (int pl = 0; pl < 3; pl++) {
		int pw = pl ? (a->width + 1) / 2 : a->width, ph = pl ? (a->height + 1) / 2 : a->height;
		for (int y = 0; y < ph; y++)
			if (memcmp(a->plane[pl] + (size_t)y * (size_t)a->stride[pl],
				   b->plane[pl] + (size_t)y * (size_t)b->stride[pl], (size_t)pw) != 0)
				return 0;
	}
	return 1;
}

/* The peer's picture goes from video playout to the main thread through a
 * mailbox: a 321x241 picture must come out whole (last column and row,
 * chroma 161x121), the newest of two posts wins, and a change of size in
 * between (640x480) changes nothing. */
static void test_mailbox_odd(void)
{
	static struct odd_pic a, b;
	struct vc_frame big;
	struct vc_mailbox *mb;
	const struct vc_frame *got;

	CHECK_EQ(vc_mailbox_new(&mb), 0);
	CHECK(vc_mailbox_take(mb) == NULL);
	odd_pic(&a, 321, 241, 1);
	vc_mailbox_post(mb, &a.f);
	got = vc_mailbox_take(mb);
	CHECK(got != NULL && same_picture(got, &a.f));
	CHECK(got != NULL && got->plane[0] != a.f.plane[0]); /* a copy */
	CHECK(vc_mailbox_take(mb) == NULL);

	CHECK_EQ(vc_frame_alloc(&big, 640, 480), 0);
	vc_frame_fill(&big, 16, 128, 128);
	vc_mailbox_post(mb, &big);
	got = vc_mailbox_take(mb);
	CHECK(got != NULL && same_picture(got, &big));
	odd_pic(&a, 321, 241, 2);
	odd_pic(&b, 321, 241, 3);
	vc_mailbox_post(mb, &a.f);
	vc_mailbox_post(mb, &b.f);
	got = vc_mailbox_take(mb);
	CHECK(got != NULL && same_picture(got, &b.f));
	CHECK(vc_mailbox_take(mb) == NULL);
	vc_frame_free(&big);
	vc_mailbox_free(mb);
}

static void test_video_sink(void)
{
	struct vc_vsink *s = NULL;
	struct vc_frame f;
	char err[256], spec[300];

	snprintf(spec, sizeof(spec), "file:%s", tmp("v.y4m"));
	CHECK_EQ(vc_vsink_open(&s, spec, 30, err, sizeof(err)), 0);
	CHECK_EQ(vc_frame_alloc(&f, 160, 120), 0);
	for (int i = 0; i < 3; i++) {
		vc_frame_fill(&f, (uint8_t)(10 * i), 128, 128);
		CHECK_EQ(vc_vsink_render(s, &f, 1000000u + 33333u * (unsigned)i), 0);
	}
	struct vc_frame other;
	CHECK_EQ(vc_frame_alloc(&other, 320, 240), 0);
	CHECK_EQ(vc_vsink_render(s, &other, 2000000u), 0); /* other size: not recorded */
	CHECK_EQ(vc_vsink_frames(s), 3);
	CHECK_EQ(vc_vsink_close(s), 0);

	struct vc_y4m_reader r;
	CHECK_EQ(vc_y4m_open(&r, tmp("v.y4m"), err, sizeof(err)), 0);
	CHECK_EQ(r.width, 160);
	int frames = 0;
	while (vc_y4m_read(&r, &f) == 1) {
		CHECK_EQ(f.plane[0][0], 10 * frames);
		frames++;
	}
	vc_y4m_close(&r);
	CHECK_EQ(frames, 3);

	FILE *fp = fopen(tmp("v.y4m.times"), "r");
	unsigned long long idx, us;
	int lines = 0;
	CHECK(fp != NULL);
	while (fp && fscanf(fp, "%llu %llu", &idx, &us) == 2) {
		CHECK_EQ(idx, lines);
		CHECK_EQ(us, 1000000u + 33333u * (unsigned)lines);
		lines++;
	}
	if (fp)
		fclose(fp);
	CHECK_EQ(lines, 3);
	vc_frame_free(&f);
	vc_frame_free(&other);

	CHECK(vc_vsink_open(&s, "window", 30, err, sizeof(err)) < 0);
	CHECK(vc_vsink_open(&s, "file:/nonexistent/dir/x.y4m", 30, err, sizeof(err)) < 0);
	CHECK(strstr(err, "x.y4m") != NULL);
	CHECK_EQ(vc_vsink_open(&s, "null", 30, err, sizeof(err)), 0);
	CHECK_EQ(vc_vsink_close(s), 0);
}

static void test_audio_sink(void)
{
	struct vc_asink *s = NULL;
	char err[256], spec[300];
	int16_t pcm[960];

	snprintf(spec, sizeof(spec), "file:%s", tmp("a.wav"));
	CHECK_EQ(vc_asink_open(&s, spec, 48000, err, sizeof(err)), 0);
	/* 2.5 s of 20 ms blocks: sidecar lines at samples 0, 48000, 96000 */
	for (int b = 0; b < 125; b++) {
		for (int i = 0; i < 960; i++)
			pcm[i] = (int16_t)(b * 100 + i % 7);
		CHECK_EQ(vc_asink_write(s, pcm, 960, 5000000u + 20000u * (unsigned)b), 0);
	}
	CHECK_EQ(vc_asink_close(s), 0);

	struct vc_wav_reader r;
	CHECK_EQ(vc_wav_open(&r, tmp("a.wav"), err, sizeof(err)), 0);
	CHECK_EQ(r.rate, 48000);
	CHECK_EQ(r.channels, 1);
	CHECK_EQ(r.data_bytes, 125 * 960 * 2);
	vc_wav_close(&r);

	FILE *fp = fopen(tmp("a.wav.times"), "r");
	unsigned long long idx, us;
	int lines = 0;
	CHECK(fp != NULL);
	while (fp && fscanf(fp, "%llu %llu", &idx, &us) == 2) {
		CHECK_EQ(idx, 48000u * (unsigned)lines);
		CHECK_EQ(us, 5000000u + 1000000u * (unsigned)lines);
		lines++;
	}
	if (fp)
		fclose(fp);
	CHECK_EQ(lines, 3);
}

static void test_stats_line(void)
{
	struct vc_stats st;
	struct vc_stats_snapshot snap = { .t_us = 3000000, .state = "connected", .rtt_us = 1500,
					  .video_kbps_target = 800, .width = 640, .height = 480,
					  .audio_jb_target_ms = 50 };
	struct vc_stats_prev prev = { .t_us = 2000000 };
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	vc_stats_init(&st);
	/* video shown 60 ms after capture, audio heard 45 ms after: +15 ms */
	atomic_store(&st.video_e2e_sum_us, 30 * 60000);
	atomic_store(&st.video_e2e_n, 30);
	atomic_store(&st.audio_e2e_sum_us, 50 * 45000);
	atomic_store(&st.audio_e2e_n, 50);
	atomic_store(&st.frames_encoded, 30);
	atomic_store(&st.video_out_bytes, 100000);
	atomic_store(&st.rejected_bad_source, 7);
	vc_stats_write(fp, &st, &snap, &prev, 1000000);
	fclose(fp);
	/* one line, one object, DESIGN.md names present, rates from the deltas */
	CHECK(len > 0 && buf[len - 1] == '\n');
	CHECK(strchr(buf, '\n') == buf + len - 1);
	CHECK(buf[0] == '{' && buf[len - 2] == '}');
	static const char *const names[] = {
		"\"t_ms\":2000", "\"state\":\"connected\"", "\"rtt_ms\":1.5", "\"video_out\":{",
		"\"frames_encoded\":30", "\"fps\":30.0", "\"kbps\":800.0", "\"target_kbps\":800",
		"\"video_in\":{", "\"packets_lost\"", "\"jitter_ms\"", "\"frames_decoded\"",
		"\"frames_dropped\"", "\"freezes\"", "\"freeze_ms\"", "\"jb_delay_ms\"",
		"\"e2e_latency_ms\":60.0", "\"e2e_latency_ms\":45.0", "\"nacks_sent\"", "\"plis_sent\"", "\"audio_out\":{",
		"\"audio_in\":{", "\"concealed_ms\"", "\"fec_recovered\"", "\"jb_target_ms\"",
		"\"drift_ppm\"", "\"av_sync_ms\":15.0", "\"rejected\":{\"bad_source\":7", "\"malformed\"",
		"\"auth_failed\"",
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		CHECK(strstr(buf, names[i]) != NULL);
		if (!strstr(buf, names[i]))
			fprintf(stderr, "missing %s in %s", names[i], buf);
	}
	CHECK_EQ(prev.frames_encoded, 30);
	free(buf);
}

int main(void)
{
	if (!tmp_make("daemon"))
		return 1;
	RUN(test_split_hostport);
	RUN(test_peer_check);
	RUN(test_opts);
	RUN(test_mailbox_odd);
	RUN(test_video_sink);
	RUN(test_audio_sink);
	RUN(test_stats_line);
	tmp_remove();
	return vc_test_summary();
}
