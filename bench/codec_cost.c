/* codec_cost.c - what one side of a call costs in its codecs alone.
 *
 * One side of a call encodes its own video and audio and decodes the
 * other side's.  This runs the same work without the call: FRAMES testsrc
 * pictures (vcalld's --video-source testsrc, unpaced) through the VP8
 * encoder and decoder, and AUDIO_FRAMES 20 ms blocks of the tone source
 * through the Opus encoder and decoder, with vcalld's settings (the
 * wrappers in codecs/, keyframe every 10 s, mono Opus with 10% expected
 * loss).  Only the codec calls are timed, with the process CPU clock;
 * making the pictures and the tone is reported apart ("source").
 *
 * Prints one JSON object:
 *   {"video_cpu_s":..., "audio_cpu_s":..., "codec_cpu_s":..., "source_cpu_s":..., ...}
 *
 * usage: codec_cost [--size WxH] [--fps N] [--video-kbps N] [--audio-kbps N]
 *                   [--frames N] [--audio-frames N]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vc_asrc.h"
#include "vc_clock.h"
#include "vc_frame.h"
#include "vc_json.h"
#include "vc_opus.h"
#include "vc_vp8.h"
#include "vc_vsrc.h"

static double cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int usage(void)
{
	fprintf(stderr, "usage: codec_cost [--size WxH] [--fps N] [--video-kbps N] [--audio-kbps N]\n"
			"                  [--frames N] [--audio-frames N]\n");
	return 2;
}

struct opts {
	int width, height, fps, frames, audio_frames;
	unsigned video_kbps, audio_kbps;
};

static int parse(struct opts *o, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (i + 1 >= argc)
			return -1;
		const char *v = argv[++i];
		char *end = NULL;
		long n = strtol(v, &end, 10);
		if (strcmp(a, "--size") == 0) {
			if (sscanf(v, "%dx%d", &o->width, &o->height) != 2)
				return -1;
			continue;
		}
		if (!end || *end || n <= 0 || n > 100000)
			return -1;
		if (strcmp(a, "--fps") == 0)
			o->fps = (int)n;
		else if (strcmp(a, "--video-kbps") == 0)
			o->video_kbps = (unsigned)n;
		else if (strcmp(a, "--audio-kbps") == 0)
			o->audio_kbps = (unsigned)n;
		else if (strcmp(a, "--frames") == 0)
			o->frames = (int)n;
		else if (strcmp(a, "--audio-frames") == 0)
			o->audio_frames = (int)n;
		else
			return -1;
	}
	if (o->width < 2 || o->height < 2 || o->width % 2 || o->height % 2 ||
	    o->width > 8192 || o->height > 8192)
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = { .width = 640, .height = 480, .fps = 30, .frames = 300,
			  .audio_frames = 500, .video_kbps = 800, .audio_kbps = 32 };
	char err[256];
	int rc = 1;

	if (parse(&o, argc, argv))
		return usage();

	double t_start = cpu_s();
	double video = 0, audio = 0;
	size_t vbytes = 0, abytes = 0;
	int encoded = 0, decoded = 0, aenc = 0, adec = 0;

	struct vc_vsrc_cfg vc = { .width = o.width, .height = o.height, .fps = o.fps,
				  .clock = vc_clock_monotonic(), .paced = 0 };
	struct vc_asrc_cfg ac = { .clock = vc_clock_monotonic(), .paced = 0 };
	struct vc_vp8_enc_cfg ec = { .width = o.width, .height = o.height, .fps = o.fps,
				     .bitrate_kbps = o.video_kbps,
				     .keyframe_interval = (uint32_t)o.fps * 10 };
	struct vc_opus_enc_cfg oc = { .channels = 1, .bitrate_kbps = o.audio_kbps,
				      .expected_loss_pct = 10 };
	struct vc_vsrc *vs = NULL;
	struct vc_asrc *as = NULL;
	struct vc_vp8_enc *venc = NULL;
	struct vc_vp8_dec *vdec = NULL;
	struct vc_opus_enc *oenc = NULL;
	struct vc_opus_dec *odec = NULL;
	struct vc_frame frame = { 0 };
	static int16_t pcm[VC_OPUS_FRAME], out_pcm[VC_OPUS_MAX_FRAME];
	static uint8_t packet[VC_OPUS_MAX_PACKET];

	if (vc_vsrc_open(&vs, "testsrc", &vc, err, sizeof(err)) ||
	    vc_asrc_open(&as, "tone:440", &ac, err, sizeof(err))) {
		fprintf(stderr, "codec_cost: %s\n", err);
		goto out;
	}
	if (vc_frame_alloc(&frame, o.width, o.height)) {
		fprintf(stderr, "codec_cost: out of memory\n");
		goto out;
	}
	/* Creating the codecs is counted: a call creates them too. */
	double t0 = cpu_s();
	int bad = vc_vp8_enc_new(&venc, &ec) || vc_vp8_dec_new(&vdec);
	video += cpu_s() - t0;
	t0 = cpu_s();
	bad = bad || vc_opus_enc_new(&oenc, &oc) || vc_opus_dec_new(&odec, 1);
	audio += cpu_s() - t0;
	if (bad) {
		fprintf(stderr, "codec_cost: cannot create the codecs\n");
		goto out;
	}

	for (int i = 0; i < o.frames; i++) {
		if (vc_vsrc_read(vs, &frame) != VC_VSRC_FRAME) {
			fprintf(stderr, "codec_cost: testsrc failed\n");
			goto out;
		}
		struct vc_vp8_pkt pkt;
		struct vc_frame pic = { 0 };
		t0 = cpu_s();
		int r = vc_vp8_enc_encode(venc, &frame, &pkt);
		if (r == 1) {
			encoded++;
			vbytes += pkt.len;
			if (vc_vp8_dec_decode(vdec, pkt.data, pkt.len, &pic) == 1)
				decoded++;
		}
		video += cpu_s() - t0;
	}
	for (int i = 0; i < o.audio_frames; i++) {
		uint64_t cap;
		if (vc_asrc_read(as, pcm, VC_OPUS_FRAME, &cap) != VC_OPUS_FRAME) {
			fprintf(stderr, "codec_cost: tone failed\n");
			goto out;
		}
		t0 = cpu_s();
		int n = vc_opus_enc_encode(oenc, pcm, packet, sizeof(packet));
		if (n > 0) {
			aenc++;
			abytes += (size_t)n;
			if (vc_opus_dec_decode(odec, packet, (size_t)n, false, out_pcm, VC_OPUS_MAX_FRAME,
					       VC_OPUS_FRAME) == VC_OPUS_FRAME)
				adec++;
		}
		audio += cpu_s() - t0;
	}
	if (encoded != o.frames || decoded != encoded || aenc != o.audio_frames || adec != aenc) {
		fprintf(stderr, "codec_cost: video %d encoded %d decoded, audio %d encoded %d decoded\n",
			encoded, decoded, aenc, adec);
		goto out;
	}
	double total = cpu_s() - t_start;
	char size[32];
	snprintf(size, sizeof(size), "%dx%d", o.width, o.height);
	json_t *res = json_object();
	vc_json_set_str(res, "size", size);
	vc_json_set_i64(res, "fps", o.fps);
	vc_json_set_u64(res, "video_kbps", o.video_kbps);
	vc_json_set_u64(res, "audio_kbps", o.audio_kbps);
	vc_json_set_i64(res, "frames", o.frames);
	vc_json_set_i64(res, "audio_frames", o.audio_frames);
	vc_json_set_u64(res, "video_bytes", vbytes);
	vc_json_set_u64(res, "audio_bytes", abytes);
	vc_json_set_fixed(res, "video_cpu_s", video, 4);
	vc_json_set_fixed(res, "audio_cpu_s", audio, 4);
	vc_json_set_fixed(res, "codec_cpu_s", video + audio, 4);
	vc_json_set_fixed(res, "source_cpu_s", total - video - audio, 4);
	rc = vc_json_write_line(stdout, res) == 0 ? 0 : 1;
	json_decref(res);
out:
	vc_opus_dec_free(odec);
	vc_opus_enc_free(oenc);
	vc_vp8_dec_free(vdec);
	vc_vp8_enc_free(venc);
	vc_frame_free(&frame);
	vc_asrc_close(as);
	vc_vsrc_close(vs);
	return rc;
}
