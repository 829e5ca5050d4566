/* vc_opts.c - parse and validate the vcalld command line. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vc_opts.h"

enum {
	OPT_PEER = 256, OPT_LISTEN, OPT_VSRC, OPT_ASRC, OPT_VSINK, OPT_ASINK, OPT_SIZE, OPT_FPS,
	OPT_VKBPS, OPT_AKBPS, OPT_DURATION, OPT_STATS, OPT_LOGLEVEL, OPT_LIST, OPT_VERSION, OPT_HELP,
	OPT_AJB, OPT_VJB, OPT_CNAME, OPT_NOAEC, OPT_ACLOCK,
};

static const struct option longopts[] = {
	{ "peer", required_argument, NULL, OPT_PEER },
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "video-source", required_argument, NULL, OPT_VSRC },
	{ "audio-source", required_argument, NULL, OPT_ASRC },
	{ "video-sink", required_argument, NULL, OPT_VSINK },
	{ "audio-sink", required_argument, NULL, OPT_ASINK },
	{ "size", required_argument, NULL, OPT_SIZE },
	{ "fps", required_argument, NULL, OPT_FPS },
	{ "video-kbps", required_argument, NULL, OPT_VKBPS },
	{ "audio-kbps", required_argument, NULL, OPT_AKBPS },
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ "stats", required_argument, NULL, OPT_STATS },
	{ "log-level", required_argument, NULL, OPT_LOGLEVEL },
	{ "audio-jb-ms", required_argument, NULL, OPT_AJB },
	{ "video-jb-ms", required_argument, NULL, OPT_VJB },
	{ "cname", required_argument, NULL, OPT_CNAME },
	{ "no-aec", no_argument, NULL, OPT_NOAEC },
	{ "audio-clock-ppm", required_argument, NULL, OPT_ACLOCK },
	{ "list-devices", no_argument, NULL, OPT_LIST },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

void vc_opts_usage(FILE *fp)
{
	fputs("usage: vcalld --peer HOST[:PORT] [options]\n"
	      "  --peer HOST[:PORT]          the other side (IPv4, IPv6 or a name); port default 5004\n"
	      "  --listen [ADDR:]PORT        local UDP port (default 5004)\n"
	      "  --video-source SPEC         v4l2[:/dev/videoN] | testsrc | file:PATH.y4m | none\n"
	      "                              (default: the first camera, else testsrc)\n"
	      "  --audio-source SPEC         portaudio[:DEVICE] | tone[:HZ] | file:PATH.wav | none\n"
	      "                              (default: the default microphone, else tone)\n"
	      "  --video-sink SPEC           sdl | file:PATH.y4m | null (default: a window, else null)\n"
	      "  --audio-sink SPEC           portaudio[:DEVICE] | file:PATH.wav | null\n"
	      "                              (default: the default speakers, else null)\n"
	      "  --size WxH --fps N          capture format (default 640x480, 30)\n"
	      "  --video-kbps N              VP8 bitrate upper bound (default 1000)\n"
	      "  --audio-kbps N              Opus bitrate upper bound (default 32)\n"
	      "  --duration SEC              end the call after SEC seconds (0 = until stopped)\n"
	      "  --stats PATH                one JSON object per second (JSON Lines)\n"
	      "  --log-level LEVEL           error | warn | info | debug (default info)\n"
	      "  --audio-jb-ms N             fixed audio jitter-buffer target, 20..1000\n"
	      "                              (default 0: adaptive)\n"
	      "  --video-jb-ms N             fixed video render delay (default 0: adaptive)\n"
	      "  --no-aec                    no echo cancellation on the microphone\n"
	      "  --audio-clock-ppm N         test: the tone/file source's sample clock runs\n"
	      "                              N ppm fast (negative: slow), -5000..5000\n"
	      "  --cname NAME                RTCP CNAME (default user@host)\n"
	      "  --list-devices              cameras, microphones and speakers found\n"
	      "  --version --help\n"
	      "window keys: f fullscreen, m mute, v camera off, s stats, q/Esc hang up\n",
	      fp);
}

static int parse_uint(const char *name, const char *s, long min, long max, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max) {
		fprintf(stderr, "vcalld: %s: '%s' is not a number in %ld..%ld\n", name, s, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

int vc_opts_parse(struct vc_opts *o, int argc, char **argv)
{
	long v;
	int c;

	memset(o, 0, sizeof(*o));
	o->width = 640;
	o->height = 480;
	o->fps = 30;
	o->video_kbps = 1000;
	o->audio_kbps = 32;
	o->log_level = VC_LOG_INFO;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_PEER: o->peer = optarg; break;
		case OPT_LISTEN: o->listen = optarg; break;
		case OPT_VSRC: o->video_source = optarg; break;
		case OPT_ASRC: o->audio_source = optarg; break;
		case OPT_VSINK: o->video_sink = optarg; break;
		case OPT_ASINK: o->audio_sink = optarg; break;
		case OPT_SIZE: {
			int w, h, n = 0;
			if (sscanf(optarg, "%dx%d%n", &w, &h, &n) != 2 || optarg[n] || w < 160 || h < 120 ||
			    w > 3840 || h > 2160 || (w & 1) || (h & 1)) {
				fprintf(stderr, "vcalld: --size: '%s' is not WxH with even sizes from 160x120 to 3840x2160\n", optarg);
				return -1;
			}
			o->width = w;
			o->height = h;
			break;
		}
		case OPT_FPS:
			if (parse_uint("--fps", optarg, 1, 60, &v))
				return -1;
			o->fps = (int)v;
			break;
		case OPT_VKBPS:
			if (parse_uint("--video-kbps", optarg, 50, 20000, &v))
				return -1;
			o->video_kbps = (uint32_t)v;
			break;
		case OPT_AKBPS:
			if (parse_uint("--audio-kbps", optarg, 6, 510, &v))
				return -1;
			o->audio_kbps = (uint32_t)v;
			break;
		case OPT_DURATION: {
			char *end;
			double d = strtod(optarg, &end);
			if (end == optarg || *end || !(d >= 0 && d <= 86400.0 * 365)) {
				fprintf(stderr, "vcalld: --duration: '%s' is not a number of seconds >= 0\n", optarg);
				return -1;
			}
			o->duration_s = d;
			break;
		}
		case OPT_STATS: o->stats_path = optarg; break;
		case OPT_LOGLEVEL:
			if (vc_log_level_parse(optarg, &o->log_level)) {
				fprintf(stderr, "vcalld: --log-level: '%s' is not error, warn, info or debug\n", optarg);
				return -1;
			}
			break;
		case OPT_AJB:
			if (strcmp(optarg, "0") != 0 && parse_uint("--audio-jb-ms", optarg, 20, 1000, &v))
				return -1;
			if (strcmp(optarg, "0") == 0)
				v = 0;
			o->audio_jb_ms = (uint32_t)v;
			break;
		case OPT_VJB:
			if (parse_uint("--video-jb-ms", optarg, 0, 1000, &v))
				return -1;
			o->video_jb_ms = (uint32_t)v;
			break;
		case OPT_CNAME:
			if (strlen(optarg) == 0 || strlen(optarg) > 255) {
				fprintf(stderr, "vcalld: --cname: must be 1..255 bytes\n");
				return -1;
			}
			o->cname = optarg;
			break;
		case OPT_NOAEC: o->no_aec = 1; break;
		case OPT_ACLOCK: {
			char *end;
			errno = 0;
			double ppm = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(ppm >= -5000 && ppm <= 5000)) {
				fprintf(stderr, "vcalld: --audio-clock-ppm: '%s' is not a number in -5000..5000\n",
					optarg);
				return -1;
			}
			o->audio_clock_ppm = ppm;
			break;
		}
		case OPT_LIST: o->list_devices = 1; break;
		case OPT_VERSION: o->version = 1; break;
		case OPT_HELP: o->help = 1; break;
		case ':':
			fprintf(stderr, "vcalld: option '%s' needs a value (see --help)\n", argv[optind - 1]);
			return -1;
		default:
			fprintf(stderr, "vcalld: unknown option '%s' (see --help)\n", argv[optind - 1]);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vcalld: unexpected argument '%s' (see --help)\n", argv[optind]);
		return -1;
	}
	if (!o->help && !o->version && !o->list_devices && !o->peer) {
		fprintf(stderr, "vcalld: --peer HOST[:PORT] is required (see --help)\n");
		return -1;
	}
	return 0;
}
