/* vc_net.h - the call's one UDP socket: address parsing, peer resolution,
 * binding (IPv4 or IPv6) and the peer-address check every datagram passes
 * before it is parsed.
 */
#ifndef VC_NET_H
#define VC_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

struct vc_addr {
	struct sockaddr_storage ss;
	socklen_t len;
};

/* "HOST", "HOST:PORT", "[V6]:PORT", "V6" -> host and port strings. */
int vc_split_hostport(const char *s, char *host, size_t hostlen, char *port, size_t portlen,
		      const char *default_port);
/* Resolve peer (family AF_UNSPEC, or the given one).  Returns 0 or -1 with a
 * one-line reason in err. */
int vc_resolve(const char *hostport, int family, struct vc_addr *out, char *err, size_t errlen);
/* Open a non-blocking UDP socket bound to listen ("[ADDR:]PORT", NULL =
 * default port) in the peer's address family.  Returns fd or -1 with err. */
int vc_udp_open(const char *listen, const struct vc_addr *peer, char *err, size_t errlen);
bool vc_addr_equal(const struct sockaddr *a, socklen_t alen, const struct vc_addr *b);
const char *vc_addr_str(const struct vc_addr *a, char *buf, size_t len);

#endif
