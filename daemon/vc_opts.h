/* vc_opts.h - vcalld command line (the contract of DESIGN.md). */
#ifndef VC_OPTS_H
#define VC_OPTS_H

#include <stdint.h>
#include <stdio.h>

#include "vc_log.h"

struct vc_v4l2_ops;

#define VC_DEFAULT_PORT 5004

struct vc_opts {
	const char *peer;          /* HOST[:PORT] as given */
	const char *listen;        /* [ADDR:]PORT as given, or NULL */
	const char *video_source;  /* NULL = default choice */
	const char *audio_source;
	const char *video_sink;
	const char *audio_sink;
	int width, height, fps;
	uint32_t video_kbps, audio_kbps;
	double duration_s;         /* 0 = until stopped */
	const char *stats_path;
	enum vc_log_level log_level;
	uint32_t audio_jb_ms, video_jb_ms; /* fixed jitter-buffer targets, 0 = adaptive */
	int no_aec;                /* --no-aec */
	double audio_clock_ppm;    /* test: skew of the tone/file source's sample clock */
	const char *cname;
	int list_devices, version, help;
	/* Not from the command line: in-process tests run the call against an
	 * emulated camera through these (NULL = libv4l2). */
	const struct vc_v4l2_ops *v4l2_ops;
};

/* Parse argv.  Returns 0, or -1 after printing a one-line reason to stderr. */
int vc_opts_parse(struct vc_opts *o, int argc, char **argv);
void vc_opts_usage(FILE *fp);

#endif
