/* test_call_camera.c - a whole call whose camera is unplugged mid-call.
 *
 * Two calls run in this process over loopback: A captures from the
 * emulated camera of tests/unit/fake_v4l2.c (through the same V4L2 backend
 * code a real camera uses, paced at 15 fps), B from testsrc into a Y4M
 * file.  After 1.5 s the camera is unplugged, 2 s later plugged back.
 * The call must go on: B keeps decoding pictures (A's placeholders during
 * the outage) and audio, A reopens the camera with backoff (no busy loop),
 * sends a keyframe when it returns, and B ends up showing camera pictures
 * again.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fake_v4l2.c"
#include "vc_call.h"
#include "vc_test.h"
#include "vc_y4m.h"

#define FPS 15

/* The fake is single-threaded: serialise it, and pace poll like a camera. */
static pthread_mutex_t cam_lock = PTHREAD_MUTEX_INITIALIZER;
static struct fake_v4l2 cam;
static struct vc_v4l2_ops inner;
static uint64_t next_frame_us;
static unsigned opens_while_unplugged;

static int w_open(void *ctx, const char *path, int flags)
{
	pthread_mutex_lock(&cam_lock);
	if (cam.unplugged && strcmp(path, cam.path) == 0)
		opens_while_unplugged++;
	int rc = inner.open(inner.ctx, path, flags);
	pthread_mutex_unlock(&cam_lock);
	return rc;
}

static int w_close(void *ctx, int fd)
{
	pthread_mutex_lock(&cam_lock);
	int rc = inner.close(inner.ctx, fd);
	pthread_mutex_unlock(&cam_lock);
	return rc;
}

static int w_ioctl(void *ctx, int fd, unsigned long req, void *arg)
{
	pthread_mutex_lock(&cam_lock);
	int rc = inner.ioctl(inner.ctx, fd, req, arg);
	pthread_mutex_unlock(&cam_lock);
	return rc;
}

static void *w_mmap(void *ctx, void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	pthread_mutex_lock(&cam_lock);
	void *p = inner.mmap(inner.ctx, addr, len, prot, flags, fd, off);
	pthread_mutex_unlock(&cam_lock);
	return p;
}

static int w_munmap(void *ctx, void *addr, size_t len)
{
	pthread_mutex_lock(&cam_lock);
	int rc = inner.munmap(inner.ctx, addr, len);
	pthread_mutex_unlock(&cam_lock);
	return rc;
}

static int w_poll(void *ctx, int fd, int timeout_ms)
{
	uint64_t now = vc_monotonic_us();

	if (next_frame_us < now)
		next_frame_us = now;
	vc_sleep_until_us(next_frame_us);
	next_frame_us += 1000000u / FPS;
	pthread_mutex_lock(&cam_lock);
	int rc = inner.poll(inner.ctx, fd, timeout_ms);
	pthread_mutex_unlock(&cam_lock);
	return rc;
}

static const struct vc_v4l2_ops wrapped = {
	.open = w_open, .close = w_close, .ioctl = w_ioctl, .mmap = w_mmap,
	.munmap = w_munmap, .poll = w_poll,
};

struct side {
	struct vc_opts o;
	struct vc_log log;
	struct vc_call *call;
	int status;
	char listen[32], peer[32], stats[128], y4m[128];
};

static void *run_call(void *arg)
{
	struct side *s = arg;
	s->status = vc_call_run(s->call);
	return NULL;
}

static int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	bind(fd, (struct sockaddr *)&a, sizeof(a));
	getsockname(fd, (struct sockaddr *)&a, &len);
	close(fd);
	return ntohs(a.sin_port);
}

/* A number after "key" in the last line of a stats file, or -1. */
static double last_stat(const char *path, const char *key)
{
	char line[8192], last[8192] = "";
	FILE *fp = fopen(path, "r");

	if (!fp)
		return -1;
	while (fgets(line, sizeof(line), fp))
		memcpy(last, line, sizeof(last));
	fclose(fp);
	const char *p = strstr(last, key);
	return p ? atof(p + strlen(key)) : -1;
}

/* Luma variance of frame n of a Y4M file (the placeholder is flat). */
static double frame_variance(const char *path, int n)
{
	struct vc_y4m_reader r;
	struct vc_frame f;
	char err[256];
	double v = -1;

	if (vc_y4m_open(&r, path, err, sizeof(err)) || vc_frame_alloc(&f, r.width, r.height))
		return -1;
	for (int i = 0; i <= n; i++)
		if (vc_y4m_read(&r, &f) != 1)
			goto out;
	double sum = 0, sq = 0;
	int cnt = 0;
	for (int y = 0; y < f.height; y++)
		for (int x = 0; x < f.width; x++) {
			double p = f.plane[0][y * f.stride[0] + x];
			sum += p;
			sq += p * p;
			cnt++;
		}
	v = sq / cnt - (sum / cnt) * (sum / cnt);
out:
	vc_frame_free(&f);
	vc_y4m_close(&r);
	return v;
}

static int count_frames(const char *path)
{
	struct vc_y4m_reader r;
	struct vc_frame f;
	char err[256];
	int n = 0;

	if (vc_y4m_open(&r, path, err, sizeof(err)) || vc_frame_alloc(&f, r.width, r.height))
		return -1;
	while (vc_y4m_read(&r, &f) == 1)
		n++;
	vc_frame_free(&f);
	vc_y4m_close(&r);
	return n;
}

static int setup(struct side *s, const char *name, int me, int other, const char *vsrc,
		 const char *dir)
{
	snprintf(s->listen, sizeof(s->listen), "127.0.0.1:%d", me);
	snprintf(s->peer, sizeof(s->peer), "127.0.0.1:%d", other);
	snprintf(s->stats, sizeof(s->stats), "%s/%s.jsonl", dir, name);
	snprintf(s->y4m, sizeof(s->y4m), "file:%s/%s.y4m", dir, name);
	memset(&s->o, 0, sizeof(s->o));
	s->call = NULL;
	s->o.peer = s->peer;
	s->o.listen = s->listen;
	s->o.video_source = vsrc;
	s->o.audio_source = "tone";
	s->o.video_sink = s->y4m;
	s->o.audio_sink = "null";
	s->o.width = 320;
	s->o.height = 240;
	s->o.fps = FPS;
	s->o.video_kbps = 300;
	s->o.audio_kbps = 32;
	s->o.duration_s = 6;
	s->o.stats_path = s->stats;
	s->o.audio_jb_ms = 50;
	s->o.video_jb_ms = 50;
	s->o.v4l2_ops = &wrapped;
	vc_log_init(&s->log, name, VC_LOG_INFO);
	return vc_call_new(&s->call, &s->o, &s->log);
}

int main(void)
{
	char dir[] = "/tmp/vc_call_camera.XXXXXX";
	struct side a, b;
	pthread_t ta, tb;
	int pa = free_port(), pb = free_port();

	if (!mkdtemp(dir))
		return 1;
	fake_v4l2_init(&cam, "/dev/video7");
	inner = fake_v4l2_ops(&cam);

	CHECK_EQ(setup(&a, "a", pa, pb, "v4l2:/dev/video7", dir), 0);
	CHECK_EQ(setup(&b, "b", pb, pa, "testsrc", dir), 0);
	if (!a.call || !b.call)
		return vc_test_summary();
	pthread_create(&ta, NULL, run_call, &a);
	pthread_create(&tb, NULL, run_call, &b);

	usleep(1500000);
	pthread_mutex_lock(&cam_lock);
	fake_v4l2_unplug(&cam);
	pthread_mutex_unlock(&cam_lock);
	usleep(2000000);
	pthread_mutex_lock(&cam_lock);
	fake_v4l2_replug(&cam);
	pthread_mutex_unlock(&cam_lock);

	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	CHECK_EQ(a.status, 0);
	CHECK_EQ(b.status, 0);
	vc_call_free(a.call);
	vc_call_free(b.call);

	/* A: one outage, reopened with backoff (0.25, 0.5, 1 s: a handful of
	 * attempts in 2 s, not a busy loop), a keyframe when the camera came
	 * back, and frames kept flowing at the frame rate throughout. */
	CHECK_EQ(last_stat(a.stats, "\"camera_outages\":"), 1);
	CHECK(opens_while_unplugged >= 2 && opens_while_unplugged <= 6);
	fprintf(stderr, "opens while unplugged: %u\n", opens_while_unplugged);
	CHECK(last_stat(a.stats, "\"keyframes\":") >= 2);
	double sent = last_stat(a.stats, "\"frames_encoded\":");
	CHECK(sent >= 0.8 * FPS * 6 && sent <= 1.1 * FPS * 6);
	fprintf(stderr, "A sent %.0f frames, %.0f keyframes\n", sent, last_stat(a.stats, "\"keyframes\":"));

	/* B: kept decoding through the outage, and audio never stopped. */
	double decoded = last_stat(b.stats, "\"frames_decoded\":");
	CHECK(decoded >= 0.9 * sent);
	const char *ai = "\"audio_in\":{\"packets\":";
	CHECK(last_stat(b.stats, ai) >= 0.85 * 50 * 6);
	fprintf(stderr, "B decoded %.0f frames, %.0f audio packets\n", decoded, last_stat(b.stats, ai));

	/* What B showed: camera pictures (textured), then the flat placeholder
	 * in the middle of the outage, then camera pictures again at the end. */
	const char *by4m = b.y4m + 5;
	int n = count_frames(by4m);
	CHECK(n > 60);
	double v_start = frame_variance(by4m, 8);
	double v_mid = frame_variance(by4m, (int)(FPS * 2.5));
	double v_end = frame_variance(by4m, n - 5);
	fprintf(stderr, "luma variance: start %.1f, outage %.1f, end %.1f\n", v_start, v_mid, v_end);
	CHECK(v_start > 100);
	CHECK(v_mid >= 0 && v_mid < 5);
	CHECK(v_end > 100);

	char path[256];
	const char *files[] = { "a.jsonl", "b.jsonl", "a.y4m", "b.y4m", "a.y4m.times", "b.y4m.times" };
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
	return vc_test_summary();
}
