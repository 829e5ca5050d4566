/* vc_net.c - UDP socket set-up and the peer check. */
#include "vc_net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vc_opts.h"

int vc_split_hostport(const char *s, char *host, size_t hostlen, char *port, size_t portlen,
		      const char *default_port)
{
	const char *h = s, *p = NULL;
	size_t hl;

	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (!close)
			return -1;
		h = s + 1;
		hl = (size_t)(close - h);
		if (close[1] == ':')
			p = close + 2;
		else if (close[1] != '\0')
			return -1;
	} else {
		const char *colon = strchr(s, ':');
		if (colon && strchr(colon + 1, ':')) {
			hl = strlen(s); /* bare IPv6 address, no port */
		} else if (colon) {
			hl = (size_t)(colon - s);
			p = colon + 1;
		} else {
			hl = strlen(s);
		}
	}
	if (hl >= hostlen)
		return -1;
	memcpy(host, h, hl);
	host[hl] = '\0';
	if (!p)
		p = default_port;
	if (strlen(p) >= portlen || !*p)
		return -1;
	strcpy(port, p);
	for (const char *c = port; *c; c++)
		if (*c < '0' || *c > '9')
			return -1;
	long pv = strtol(port, NULL, 10);
	return (pv < 1 || pv > 65535) ? -1 : 0;
}

int vc_resolve(const char *hostport, int family, struct vc_addr *out, char *err, size_t errlen)
{
	char host[256], port[16], dp[16];
	struct addrinfo hints = { .ai_family = family, .ai_socktype = SOCK_DGRAM };
	struct addrinfo *res = NULL;

	snprintf(dp, sizeof(dp), "%d", VC_DEFAULT_PORT);
	if (vc_split_hostport(hostport, host, sizeof(host), port, sizeof(port), dp)) {
		snprintf(err, errlen, "'%s' is not HOST[:PORT] with a port 1..65535", hostport);
		return -1;
	}
	int rc = getaddrinfo(host, port, &hints, &res);
	if (rc || !res) {
		snprintf(err, errlen, "cannot resolve '%s': %s", host, rc ? gai_strerror(rc) : "no address");
		return -1;
	}
	memcpy(&out->ss, res->ai_addr, res->ai_addrlen);
	out->len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

int vc_udp_open(const char *listen, const struct vc_addr *peer, char *err, size_t errlen)
{
	char host[256] = "", port[16], dp[16];
	int family = peer->ss.ss_family;
	struct vc_addr local;

	snprintf(dp, sizeof(dp), "%d", VC_DEFAULT_PORT);
	memset(&local, 0, sizeof(local));
	if (!listen) {
		strcpy(port, dp);
	} else if (strchr(listen, ':') == NULL) {
		/* a bare port: split "[]:PORT" so the port gets the same checks */
		char tmp[32];
		if (strlen(listen) > 6 || snprintf(tmp, sizeof(tmp), "[]:%s", listen) < 0 ||
		    vc_split_hostport(tmp, host, sizeof(host), port, sizeof(port), dp)) {
			snprintf(err, errlen, "--listen: '%s' is not [ADDR:]PORT", listen);
			return -1;
		}
	} else if (vc_split_hostport(listen, host, sizeof(host), port, sizeof(port), dp)) {
		snprintf(err, errlen, "--listen: '%s' is not [ADDR:]PORT", listen);
		return -1;
	}
	if (host[0]) {
		char spec[300];
		snprintf(spec, sizeof(spec), strchr(host, ':') ? "[%s]:%s" : "%s:%s", host, port);
		if (vc_resolve(spec, family, &local, err, errlen))
			return -1;
	} else if (family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&local.ss;
		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_any;
		a->sin6_port = htons((uint16_t)strtol(port, NULL, 10));
		local.len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&local.ss;
		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_ANY);
		a->sin_port = htons((uint16_t)strtol(port, NULL, 10));
		local.len = sizeof(*a);
	}
	int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	int buf = 1 << 20;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	if (bind(fd, (struct sockaddr *)&local.ss, local.len) != 0) {
		char a[128];
		snprintf(err, errlen, "cannot listen on %s: %s", vc_addr_str(&local, a, sizeof(a)),
			 errno == EADDRINUSE ? "port in use" : strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

bool vc_addr_equal(const struct sockaddr *a, socklen_t alen, const struct vc_addr *b)
{
	if (a->sa_family != b->ss.ss_family)
		return false;
	if (a->sa_family == AF_INET) {
		const struct sockaddr_in *x = (const struct sockaddr_in *)a;
		const struct sockaddr_in *y = (const struct sockaddr_in *)&b->ss;
		return alen >= (socklen_t)sizeof(*x) && x->sin_port == y->sin_port &&
		       x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->sa_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)a;
		const struct sockaddr_in6 *y = (const struct sockaddr_in6 *)&b->ss;
		return alen >= (socklen_t)sizeof(*x) && x->sin6_port == y->sin6_port &&
		       memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
	}
	return false;
}

const char *vc_addr_str(const struct vc_addr *a, char *buf, size_t len)
{
	char h[INET6_ADDRSTRLEN] = "?";

	if (a->ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)&a->ss;
		inet_ntop(AF_INET6, &x->sin6_addr, h, sizeof(h));
		snprintf(buf, len, "[%s]:%u", h, ntohs(x->sin6_port));
	} else {
		const struct sockaddr_in *x = (const struct sockaddr_in *)&a->ss;
		inet_ntop(AF_INET, &x->sin_addr, h, sizeof(h));
		snprintf(buf, len, "%s:%u", h, ntohs(x->sin_port));
	}
	return buf;
}
