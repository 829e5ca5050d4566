/* vc_netsim.c - vc-netsim, a seeded UDP relay that impairs traffic between two
 * vcalld daemons on one host (this kernel has no netem).
 *
 *   daemon A  <->  [a-listen]  vc-netsim  [b-listen]  <->  daemon B
 *
 * A sends to a-listen, the relay forwards to --b-peer from b-listen; B sends to
 * b-listen, the relay forwards to --a-peer from a-listen.  So each daemon sees
 * the relay's socket as its peer.  Datagrams from any other address are counted
 * and dropped.  One thread: poll() with a timeout to the next due packet.  The
 * impairments live in netsim_model.c.
 */
#include "netsim_model.h"
#include "vc_clock.h"
#include "vc_json.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_RECV_PER_WAKE 256

enum { AB = 0, BA = 1 };

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static const char usage_text[] =
	"usage: vc-netsim --a-listen [ADDR:]PORT --a-peer HOST:PORT --b-listen [ADDR:]PORT --b-peer HOST:PORT\n"
	"                 [--seed N] [--duration SEC] [--stats PATH] [impairments]\n"
	"impairments apply to both directions, or to one with the prefix --ab- (A->B) or --ba- (B->A):\n"
	"  --delay-ms D  --jitter-ms J  --jitter-dist uniform|normal\n"
	"  --loss PCT  --burst-loss PCT --burst-len N  --reorder PCT  --dup PCT\n"
	"  --rate-kbps K (incl. 28 B IP/UDP header per packet)  --queue-ms Q (default 300)\n"
	"  --blackout START_S:LEN_S (seconds since start; up to 4)\n"
	"  --jitter-burst START_S:LEN_S:JITTER_MS (jitter is JITTER_MS instead inside the window; up to 4)\n"
	"listen ADDR defaults to 127.0.0.1; --duration 0 (default) runs until SIGINT/SIGTERM\n";

static void die_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* One line on stderr, exit status 2. */
static void die_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "vc-netsim: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see --help)\n");
	exit(2);
}

static double parse_num(const char *opt, const char *s, double lo, double hi)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end != '\0' || !(v >= lo && v <= hi)) {
		fprintf(stderr, "vc-netsim: bad value '%s' for %s (want %g..%g) (see --help)\n",
			s, opt, lo, hi);
		exit(2);
	}
	return v;
}

/* "[ADDR:]PORT", "HOST:PORT" or "[V6]:PORT"; resolves to addr (numeric lookups
 * plus names via getaddrinfo).  default_host NULL means the host is required. */
static void parse_addr(const char *opt, const char *s, const char *default_host,
		       struct sockaddr_storage *addr, socklen_t *len)
{
	char host[256], port[16];
	const char *colon = strrchr(s, ':');
	struct addrinfo hints, *res = NULL;

	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':' || (size_t)(close - s - 1) >= sizeof(host))
			die_usage("bad address '%s'", s);
		memcpy(host, s + 1, (size_t)(close - s - 1));
		host[close - s - 1] = '\0';
		colon = close + 1;
	} else if (colon) {
		if ((size_t)(colon - s) >= sizeof(host) || colon == s)
			die_usage("bad address '%s'", s);
		memcpy(host, s, (size_t)(colon - s));
		host[colon - s] = '\0';
	} else {
		if (!default_host)
			die_usage("%s needs HOST:PORT", opt);
		snprintf(host, sizeof(host), "%s", default_host);
	}
	snprintf(port, sizeof(port), "%s", colon ? colon + 1 : s);
	parse_num(opt, port, default_host ? 0 : 1, 65535);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICSERV;
	if (getaddrinfo(host, port, &hints, &res) != 0 || !res)
		die_usage("cannot resolve '%s'", s);
	memcpy(addr, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
}

static bool same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;

		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;

		return x->sin6_port == y->sin6_port &&
		       memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
	}
	return false;
}

static int open_socket(const struct sockaddr_storage *addr, socklen_t len, const char *what)
{
	int fd = socket(addr->ss_family, SOCK_DGRAM, 0);
	int buf = 1 << 20;

	if (fd < 0) {
		fprintf(stderr, "vc-netsim: socket: %s\n", strerror(errno));
		exit(2);
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	if (bind(fd, (const struct sockaddr *)addr, len) != 0) {
		fprintf(stderr, "vc-netsim: cannot bind %s: %s\n", what, strerror(errno));
		exit(2);
	}
	return fd;
}

/* Impairment options: name, and where the value goes. */
enum imp { I_DELAY, I_JITTER, I_JDIST, I_LOSS, I_BLOSS, I_BLEN, I_REORDER, I_DUP, I_RATE,
	   I_QUEUE, I_BLACKOUT, I_JBURST, I_COUNT };
static const char *const imp_names[I_COUNT] = {
	"delay-ms", "jitter-ms", "jitter-dist", "loss", "burst-loss", "burst-len", "reorder",
	"dup", "rate-kbps", "queue-ms", "blackout", "jitter-burst",
};

/* Splits "A:B[:C]" into want numbers (2 or 3); dies with the option's usage. */
static void parse_fields(const char *opt, const char *v, const char *form, int want, double *out)
{
	char buf[96], *s = buf;

	if (strlen(v) >= sizeof(buf))
		die_usage("%s wants %s, not '%s'", opt, form, v);
	snprintf(buf, sizeof(buf), "%s", v);
	for (int k = 0; k < want; k++) {
		char *colon = strchr(s, ':');

		if ((k < want - 1) != (colon != NULL))
			die_usage("%s wants %s, not '%s'", opt, form, v);
		if (colon)
			*colon = '\0';
		out[k] = parse_num(opt, s, 0, k < 2 ? 1e6 : 60000);
		s = colon ? colon + 1 : s;
	}
}

static void apply_imp(struct ns_params *p, enum imp which, const char *opt, const char *v)
{
	switch (which) {
	case I_DELAY: p->delay_ms = parse_num(opt, v, 0, 60000); break;
	case I_JITTER: p->jitter_ms = parse_num(opt, v, 0, 60000); break;
	case I_JDIST:
		if (strcmp(v, "uniform") == 0)
			p->jitter_dist = NS_JITTER_UNIFORM;
		else if (strcmp(v, "normal") == 0)
			p->jitter_dist = NS_JITTER_NORMAL;
		else
			die_usage("--jitter-dist wants uniform or normal, not '%s'", v);
		break;
	case I_LOSS: p->loss = parse_num(opt, v, 0, 100) / 100.0; break;
	case I_BLOSS: p->burst_loss = parse_num(opt, v, 0, 99.99) / 100.0; break;
	case I_BLEN: p->burst_len = parse_num(opt, v, 1, 1e6); break;
	case I_REORDER: p->reorder = parse_num(opt, v, 0, 100) / 100.0; break;
	case I_DUP: p->dup = parse_num(opt, v, 0, 100) / 100.0; break;
	case I_RATE: p->rate_kbps = parse_num(opt, v, 0, 1e8); break;
	case I_QUEUE: p->queue_ms = parse_num(opt, v, 0, 60000); break;
	case I_BLACKOUT: {
		double f[2];

		parse_fields(opt, v, "START_S:LEN_S", 2, f);
		if (p->n_blackouts >= NS_MAX_BLACKOUTS)
			die_usage("%s: at most 4 blackouts", opt);
		p->blackouts[p->n_blackouts].start_us = (uint64_t)(f[0] * 1e6);
		p->blackouts[p->n_blackouts].len_us = (uint64_t)(f[1] * 1e6);
		p->n_blackouts++;
		break;
	}
	case I_JBURST: {
		double f[3];
		struct ns_jitter_burst *b;

		parse_fields(opt, v, "START_S:LEN_S:JITTER_MS", 3, f);
		if (p->n_jitter_bursts >= NS_MAX_JITTER_BURSTS)
			die_usage("%s: at most 4 jitter bursts", opt);
		b = &p->jitter_bursts[p->n_jitter_bursts++];
		b->start_us = (uint64_t)(f[0] * 1e6);
		b->len_us = (uint64_t)(f[1] * 1e6);
		b->jitter_ms = f[2];
		break;
	}
	default: break;
	}
}

/* Adds "NAME":{"n":..,"min":..,"p50":..,"p95":..,"max":..},"VARNAME":p95-min (ms; nulls
 * when no packet was forwarded). */
static void json_delay(json_t *o, const char *name, const char *varname,
		       const struct ns_delay_hist *h)
{
	json_t *d = json_object();

	vc_json_set_u64(d, "n", h->n);
	if (h->n == 0) {
		vc_json_set(d, "min", json_null());
		vc_json_set(d, "p50", json_null());
		vc_json_set(d, "p95", json_null());
		vc_json_set(d, "max", json_null());
		vc_json_set(o, name, d);
		vc_json_set(o, varname, json_null());
		return;
	}
	vc_json_set_fixed(d, "min", (double)h->min_us / 1000.0, 1);
	vc_json_set_fixed(d, "p50", ns_hist_pct_ms(h, 50), 1);
	vc_json_set_fixed(d, "p95", ns_hist_pct_ms(h, 95), 1);
	vc_json_set_fixed(d, "max", (double)h->max_us / 1000.0, 1);
	vc_json_set(o, name, d);
	vc_json_set_fixed(o, varname, ns_hist_pct_ms(h, 95) - (double)h->min_us / 1000.0, 1);
}

static json_t *json_dir(const struct ns_dir *d)
{
	const struct ns_counters *c = &d->c;
	json_t *o = json_object();

	/* the one-way delay given to forwarded packets, all and audio-sized */
	json_delay(o, "delay_ms", "variation_p95_ms", &d->delay);
	json_delay(o, "audio_delay_ms", "audio_variation_p95_ms", &d->delay_small);

	vc_json_set_u64(o, "packets_in", c->packets_in);
	vc_json_set_u64(o, "packets_out", c->packets_out);
	vc_json_set_u64(o, "bytes_in", c->bytes_in);
	vc_json_set_u64(o, "bytes_out", c->bytes_out);
	vc_json_set_u64(o, "dropped_random", c->dropped_random);
	vc_json_set_u64(o, "dropped_burst", c->dropped_burst);
	vc_json_set_u64(o, "dropped_queue", c->dropped_queue);
	vc_json_set_u64(o, "dropped_blackout", c->dropped_blackout);
	vc_json_set_u64(o, "dropped_overflow", c->dropped_overflow);
	vc_json_set_u64(o, "dropped_oversize", c->dropped_oversize);
	vc_json_set_u64(o, "duplicated", c->duplicated);
	vc_json_set_u64(o, "reordered", c->reordered);
	vc_json_set_i64(o, "held_at_exit", ns_dir_held(d));
	return o;
}

int main(int argc, char **argv)
{
	struct ns_params par[2];
	struct sockaddr_storage listen_addr[2], peer_addr[2];
	socklen_t listen_len[2] = { 0, 0 }, peer_len[2] = { 0, 0 };
	bool queue_set[2] = { false, false };
	const char *stats_path = NULL;
	uint64_t seed = 1, t0, end_us = 0;
	double duration = 0;
	unsigned long long foreign[2] = { 0, 0 }, send_errors = 0;
	struct ns_dir dir[2];
	int fd[2];
	static unsigned char buf[NS_MAX_PAYLOAD + 1];

	memset(par, 0, sizeof(par));
	for (int i = 1; i < argc; i++) {
		const char *opt = argv[i], *name, *val;
		int mask = 3;
		enum imp which = I_COUNT;

		if (strcmp(opt, "--help") == 0 || strcmp(opt, "-h") == 0) {
			fputs(usage_text, stdout);
			return 0;
		}
		if (strncmp(opt, "--", 2) != 0)
			die_usage("unexpected argument '%s'", opt);
		if (i + 1 >= argc)
			die_usage("%s needs a value", opt);
		val = argv[++i];
		name = opt + 2;
		if (strncmp(name, "ab-", 3) == 0) {
			mask = 1 << AB;
			name += 3;
		} else if (strncmp(name, "ba-", 3) == 0) {
			mask = 1 << BA;
			name += 3;
		}
		for (int k = 0; k < I_COUNT; k++)
			if (strcmp(name, imp_names[k]) == 0)
				which = (enum imp)k;
		if (which != I_COUNT) {
			for (int d = 0; d < 2; d++) {
				if (!(mask & (1 << d)))
					continue;
				apply_imp(&par[d], which, opt, val);
				if (which == I_QUEUE)
					queue_set[d] = true;
			}
			continue;
		}
		if (mask != 3)
			die_usage("unknown option '%s'", opt);
		if (strcmp(name, "a-listen") == 0)
			parse_addr(opt, val, "127.0.0.1", &listen_addr[0], &listen_len[0]);
		else if (strcmp(name, "b-listen") == 0)
			parse_addr(opt, val, "127.0.0.1", &listen_addr[1], &listen_len[1]);
		else if (strcmp(name, "a-peer") == 0)
			parse_addr(opt, val, NULL, &peer_addr[0], &peer_len[0]);
		else if (strcmp(name, "b-peer") == 0)
			parse_addr(opt, val, NULL, &peer_addr[1], &peer_len[1]);
		else if (strcmp(name, "seed") == 0)
			seed = (uint64_t)parse_num(opt, val, 0, 9007199254740992.0);
		else if (strcmp(name, "duration") == 0)
			duration = parse_num(opt, val, 0, 1e7);
		else if (strcmp(name, "stats") == 0)
			stats_path = val;
		else
			die_usage("unknown option '%s'", opt);
	}
	if (!listen_len[0] || !listen_len[1] || !peer_len[0] || !peer_len[1])
		die_usage("%s", "--a-listen, --a-peer, --b-listen and --b-peer are required");
	for (int d = 0; d < 2; d++) {
		const char *why;

		if (!queue_set[d])
			par[d].queue_ms = 300;
		if (par[d].burst_loss > 0.0 && par[d].burst_len == 0.0)
			die_usage("%s", "--burst-loss needs --burst-len");
		why = ns_params_check(&par[d]);
		if (why)
			die_usage("%s", why);
	}
	for (int k = 0; k < 2; k++)
		if (listen_addr[k].ss_family != peer_addr[k].ss_family)
			die_usage("%s", "a listen address and its peer must be the same IP family");

	fd[0] = open_socket(&listen_addr[0], listen_len[0], "--a-listen");
	fd[1] = open_socket(&listen_addr[1], listen_len[1], "--b-listen");

	{
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_signal; /* no SA_RESTART: poll() returns EINTR */
		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		signal(SIGPIPE, SIG_IGN);
	}

	t0 = vc_monotonic_us();
	if (duration > 0)
		end_us = t0 + (uint64_t)(duration * 1e6);
	for (int d = 0; d < 2; d++) {
		if (ns_dir_init(&dir[d], &par[d], seed, (unsigned)d, t0) != 0) {
			fprintf(stderr, "vc-netsim: out of memory\n");
			return 2;
		}
	}

	while (!stop_requested) {
		struct pollfd pfd[2] = { { fd[0], POLLIN, 0 }, { fd[1], POLLIN, 0 } };
		uint64_t now = vc_monotonic_us(), next = UINT64_MAX, due;
		int timeout_ms = -1;

		if (end_us && now >= end_us)
			break;
		/* deliver what is due: direction d goes out of the other side's socket */
		for (int d = 0; d < 2; d++) {
			int n;

			while ((n = ns_dir_pop(&dir[d], now, buf, sizeof(buf))) >= 0) {
				int out = 1 - d;

				if (sendto(fd[out], buf, (size_t)n, 0,
					   (const struct sockaddr *)&peer_addr[out], peer_len[out]) < 0)
					send_errors++;
			}
			if (ns_dir_next_due(&dir[d], &due) && due < next)
				next = due;
		}
		if (end_us && end_us < next)
			next = end_us;
		if (next != UINT64_MAX) {
			uint64_t wait = next > now ? next - now : 0;

			if (wait < 1000) {
				/* poll() counts whole ms; finish short waits precisely */
				timeout_ms = 0;
			} else {
				timeout_ms = (int)(wait / 1000);
			}
		}
		if (poll(pfd, 2, timeout_ms) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "vc-netsim: poll: %s\n", strerror(errno));
			return 2;
		}
		for (int s = 0; s < 2; s++) {
			if (!(pfd[s].revents & POLLIN))
				continue;
			for (int k = 0; k < MAX_RECV_PER_WAKE; k++) {
				struct sockaddr_storage from;
				socklen_t flen = sizeof(from);
				ssize_t n = recvfrom(fd[s], buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC,
						     (struct sockaddr *)&from, &flen);

				if (n < 0)
					break;
				/* socket a (s = 0) receives from A and feeds A->B */
				if (!same_addr(&from, &peer_addr[s])) {
					foreign[s]++;
					continue;
				}
				ns_dir_submit(&dir[s], vc_monotonic_us(), buf, (size_t)n);
			}
		}
		if (timeout_ms == 0 && next != UINT64_MAX) {
			now = vc_monotonic_us();
			if (next > now && next - now < 1000)
				vc_sleep_until_us(next);
		}
	}

	if (stats_path) {
		FILE *f = fopen(stats_path, "w");

		if (!f) {
			fprintf(stderr, "vc-netsim: cannot write %s: %s\n", stats_path, strerror(errno));
			return 2;
		}
		json_t *o = json_object();
		vc_json_set_u64(o, "seed", seed);
		vc_json_set_fixed(o, "elapsed_s", (double)(vc_monotonic_us() - t0) / 1e6, 3);
		vc_json_set(o, "ab", json_dir(&dir[AB]));
		vc_json_set(o, "ba", json_dir(&dir[BA]));
		vc_json_set_u64(o, "foreign_dropped", foreign[0] + foreign[1]);
		vc_json_set_u64(o, "send_errors", send_errors);
		int wrc = vc_json_write_line(f, o);
		json_decref(o);
		if (fclose(f) != 0 || wrc != 0) {
			fprintf(stderr, "vc-netsim: cannot write %s\n", stats_path);
			return 2;
		}
	}
	for (int d = 0; d < 2; d++)
		ns_dir_free(&dir[d]);
	close(fd[0]);
	close(fd[1]);
	return 0;
}
