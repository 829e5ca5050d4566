/* main.c - vcalld: a peer-to-peer video call daemon. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "vc_call.h"
#include "vc_log.h"
#include "vc_opts.h"
#include "vc_pa.h"
#include "vc_v4l2.h"

#ifndef VCALLD_VERSION
#define VCALLD_VERSION "0.1.0"
#endif

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	/* First signal: hang up cleanly.  Second: leave at once. */
	if (stop_requested) {
		signal(sig, SIG_DFL);
		raise(sig);
	}
	stop_requested = 1;
}

int main(int argc, char **argv)
{
	struct vc_opts o;
	struct vc_log log;
	struct vc_call *call = NULL;

	if (vc_opts_parse(&o, argc, argv))
		return 2;
	if (o.help) {
		vc_opts_usage(stdout);
		return 0;
	}
	if (o.version) {
		printf("vcalld %s\n", VCALLD_VERSION);
		return 0;
	}
	if (o.list_devices) {
		printf("cameras (--video-source v4l2:PATH):\n");
		if (vc_v4l2_list(stdout, NULL) == 0)
			printf("  none\n");
		printf("audio devices (--audio-source/--audio-sink portaudio:INDEX|NAME):\n");
		int pa = vc_pa_init();
		if (pa < 0 || vc_pa_list(stdout) == 0)
			printf("  none\n");
		if (pa >= 0)
			vc_pa_exit();
		printf("also: testsrc, file:PATH.y4m, tone[:HZ], file:PATH.wav, null, sdl\n");
		return 0;
	}
	vc_log_init(&log, "vcalld", o.log_level);

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (vc_call_new(&call, &o, &log))
		return 1;
	int status = vc_call_run(call, &stop_requested);
	vc_call_free(call);
	return status;
}
