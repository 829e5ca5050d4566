/* main.c - vcalld: a peer-to-peer video call daemon. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vc_call.h"
#include "vc_log.h"
#include "vc_opts.h"
#include "vc_pa.h"
#include "vc_v4l2.h"

#ifndef VCALLD_VERSION
#define VCALLD_VERSION "0.1.0"
#endif

/* Signals are blocked in every thread; this one waits for them.  The first
 * SIGINT/SIGTERM hangs up cleanly, a second leaves at once; SIGUSR1 (sent
 * by main when the call is over) ends the thread. */
static void *signal_thread(void *arg)
{
	struct vc_call *call = arg;
	sigset_t set;
	int sig, n = 0;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR1);
	for (;;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig == SIGUSR1)
			break;
		if (n++ > 0) {
			sigdelset(&set, SIGUSR1);
			signal(sig, SIG_DFL);
			pthread_sigmask(SIG_UNBLOCK, &set, NULL);
			raise(sig);
			_exit(128 + sig);
		}
		vc_call_hangup(call);
	}
	return NULL;
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

	/* Block the signals before any thread exists: every thread inherits
	 * the mask, and only signal_thread takes them. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (vc_call_new(&call, &o, &log))
		return 1;
	pthread_t sig_th;
	if (pthread_create(&sig_th, NULL, signal_thread, call) != 0) {
		vc_err(&log, "cannot start the signal thread");
		vc_call_free(call);
		return 1;
	}
	int status = vc_call_run(call);
	pthread_kill(sig_th, SIGUSR1);
	pthread_join(sig_th, NULL);
	vc_call_free(call);
	return status;
}
