/*
 * Checks ping sockets (icmp(7): SOCK_DGRAM with IPPROTO_ICMP/ICMPV6) and
 * raw sockets (raw(7)) over the loopback interface: who may make them
 * (net.ipv4.ping_group_range, EACCES; CAP_NET_RAW, EPERM), echo round
 * trips over 127.0.0.1 and ::1 (identifier rewritten, checksums right,
 * sequence and payload echoed, source address, IP_RECVTTL,
 * IPV6_RECVHOPLIMIT and SO_TIMESTAMP control messages), identifiers as
 * ports (bind, autobind, EADDRINUSE), raw IPv4 receives with the IP
 * header, ICMP_FILTER and ICMP6_FILTER, IP_HDRINCL, the ICMPv6 checksum
 * the kernel computes, raw sockets of other protocols, and the errno of
 * every bad address, length and option tried.
 *
 * Runs as root; children drop to uid 65534 for the permission checks.
 * Natively: unshare -n sh -c 'ip link set lo up; ./ping'.
 */
#include "check.h"
#include "lo.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>

#ifndef ICMP_FILTER
#define ICMP_FILTER 1
#endif
#ifndef SOL_RAW
#define SOL_RAW 255
#endif

static const char *RANGE = "/proc/sys/net/ipv4/ping_group_range";
static unsigned char buf[70000];

static struct sockaddr_in v4(const char *a)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	inet_pton(AF_INET, a, &sin.sin_addr);
	return sin;
}

static struct sockaddr_in6 v6(const char *a)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };
	inet_pton(AF_INET6, a, &sin6.sin6_addr);
	return sin6;
}

/* Returns the Internet checksum of LEN bytes at P added to SUM. */
static uint16_t csum(const void *p, size_t len, uint32_t sum)
{
	const unsigned char *b = p;
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)b[i] << 8 | b[i + 1];
	if (len & 1)
		sum += (uint32_t)b[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Returns the checksum of an ICMPv6 message over ::1 to ::1. */
static uint16_t csum6_lo(const void *p, size_t len)
{
	uint32_t sum = 1 + 1 + (uint32_t)(len >> 16) + (uint32_t)(len & 0xffff) + 58;
	return csum(p, len, sum);
}

/* Writes an echo message of TYPE with ID, SEQ and PAYLOAD into OUT;
 * returns its length. */
static size_t echo(unsigned char *out, int type, int id, int seq, const char *payload)
{
	size_t n = strlen(payload);
	out[0] = (unsigned char)type;
	out[1] = 0;
	out[2] = out[3] = 0;
	out[4] = (unsigned char)(id >> 8);
	out[5] = (unsigned char)id;
	out[6] = (unsigned char)(seq >> 8);
	out[7] = (unsigned char)seq;
	memcpy(out + 8, payload, n);
	return 8 + n;
}

static int get16(const unsigned char *p)
{
	return p[0] << 8 | p[1];
}

/* Sets a receive timeout of two seconds, so a lost reply fails a check. */
static void timeout2s(int fd)
{
	struct timeval tv = { 2, 0 };
	MUST(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
}

/* Returns the port getsockname reports. */
static int port_of(int fd)
{
	struct sockaddr_in6 ss;
	socklen_t len = sizeof ss;
	MUST(getsockname(fd, (struct sockaddr *)&ss, &len));
	return ntohs(ss.sin6_port); /* at the same place in sockaddr_in */
}

/* What recv_msg got. */
struct got {
	ssize_t n;
	int flags;
	struct sockaddr_in6 from;
	socklen_t fromlen;
	int ttl;     /* IP_TTL or IPV6_HOPLIMIT; -1 if absent */
	int stamped; /* an SCM_TIMESTAMP within a minute of now */
};

static struct got recv_msg(int fd, void *out, size_t len, int flags)
{
	struct got g = { .ttl = -1 };
	char control[256];
	struct iovec iov = { out, len };
	struct msghdr m = {
		.msg_name = &g.from,
		.msg_namelen = sizeof g.from,
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control,
		.msg_controllen = sizeof control,
	};
	g.n = recvmsg(fd, &m, flags);
	if (g.n < 0)
		return g;
	g.flags = m.msg_flags;
	g.fromlen = m.msg_namelen;
	struct timeval now;
	gettimeofday(&now, NULL);
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		if ((c->cmsg_level == SOL_IP && c->cmsg_type == IP_TTL) ||
		    (c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_HOPLIMIT))
			memcpy(&g.ttl, CMSG_DATA(c), sizeof g.ttl);
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMP) {
			struct timeval tv;
			memcpy(&tv, CMSG_DATA(c), sizeof tv);
			g.stamped = tv.tv_sec <= now.tv_sec && tv.tv_sec > now.tv_sec - 60;
		}
	}
	return g;
}

/* Writes V to the ping_group_range file; returns 0 or -1 with errno. */
static int write_range(const char *v)
{
	int fd = open(RANGE, O_WRONLY);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, v, strlen(v));
	int e = errno;
	close(fd);
	errno = e;
	return n < 0 ? -1 : 0;
}

/* Returns the ping_group_range file's text (empty if it cannot be read). */
static const char *read_range(void)
{
	static char text[64];
	text[0] = 0;
	int fd = open(RANGE, O_RDONLY);
	if (fd < 0)
		return text;
	ssize_t n = read(fd, text, sizeof text - 1);
	text[n > 0 ? n : 0] = 0;
	close(fd);
	return text;
}

/* Runs FN in a child as uid 65534 with group GID and the NGROUPS groups
 * of GROUPS; returns its exit status (0: FN returned true). */
static int as_nobody(gid_t gid, int ngroups, const gid_t *groups, int (*fn)(void))
{
	pid_t pid = fork();
	if (pid == 0) {
		if (setgroups(ngroups, groups) || setgid(gid) || setuid(65534))
			_exit(2);
		_exit(fn() ? 0 : 1);
	}
	int st;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 3;
}

static int ping_allowed(void)
{
	int s = socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
	int s6 = socket(AF_INET6, SOCK_DGRAM, IPPROTO_ICMPV6);
	return s >= 0 && s6 >= 0;
}

static int ping_denied(void)
{
	return socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP) == -1 && errno == EACCES &&
	       socket(AF_INET6, SOCK_DGRAM, IPPROTO_ICMPV6) == -1 && errno == EACCES;
}

static int raw_denied(void)
{
	return socket(AF_INET, SOCK_RAW, IPPROTO_ICMP) == -1 && errno == EPERM &&
	       socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6) == -1 && errno == EPERM &&
	       socket(AF_INET, SOCK_RAW, IPPROTO_RAW) == -1 && errno == EPERM;
}

/* Returns true if the ping socket ID of uid 65534 worked: used with a
 * range of its group. */
static int nobody_pings(void)
{
	int s = socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
	if (s < 0)
		return 0;
	timeout2s(s);
	struct sockaddr_in lo = v4("127.0.0.1");
	unsigned char m[64];
	size_t n = echo(m, ICMP_ECHO, 0, 1, "nobody");
	if (sendto(s, m, n, 0, (struct sockaddr *)&lo, sizeof lo) != (ssize_t)n)
		return 0;
	return recv(s, m, sizeof m, 0) == (ssize_t)n && m[0] == ICMP_ECHOREPLY;
}

static void permissions(void)
{
	const char *def = read_range();
	if (!*def) {
		CHECK_ERRNO("ping socket denied to root by default (no ping_group_range file)",
			    socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP), EACCES);
		return;
	}
	CHECKF("ping_group_range is \"1 0\" by default", strcmp(def, "1\t0\n") == 0,
	       "read %s", def);
	CHECK_ERRNO("default range: no ping socket for root (group 0)",
		    socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP), EACCES);
	CHECK_ERRNO("default range: no IPv6 ping socket for root",
		    socket(AF_INET6, SOCK_DGRAM, IPPROTO_ICMPV6), EACCES);
	CHECK("default range: none for uid 65534", as_nobody(65534, 0, NULL, ping_denied) == 0);

	CHECK_SYS("ping_group_range takes \"0 2147483647\"", write_range("0 2147483647"));
	CHECKF("ping_group_range reads back", strcmp(read_range(), "0\t2147483647\n") == 0,
	       "read %s", read_range());
	CHECK("everyone may ping: uid 65534 gets both ping sockets",
	      as_nobody(65534, 0, NULL, ping_allowed) == 0);
	CHECK("uid 65534 pings 127.0.0.1", as_nobody(65534, 0, NULL, nobody_pings) == 0);
	CHECK("uid 65534 gets EPERM for raw sockets", as_nobody(65534, 0, NULL, raw_denied) == 0);

	CHECK_SYS("ping_group_range takes \"100 200\"", write_range("100 200"));
	CHECK("range 100-200: group 65534 is denied", as_nobody(65534, 0, NULL, ping_denied) == 0);
	CHECK("range 100-200: effective group 150 may", as_nobody(150, 0, NULL, ping_allowed) == 0);
	gid_t extra[] = { 7, 200 };
	CHECK("range 100-200: a supplementary group 200 may",
	      as_nobody(65534, 2, extra, ping_allowed) == 0);

	CHECK_SYS("one value sets the low end", write_range("7"));
	CHECKF("... and keeps the high one", strcmp(read_range(), "7\t200\n") == 0, "read %s",
	       read_range());
	CHECK_SYS("a range that ends before it starts is taken", write_range("5 2"));
	CHECKF("... and stored as \"1 0\"", strcmp(read_range(), "1\t0\n") == 0, "read %s",
	       read_range());
	CHECK_ERRNO("ping_group_range refuses -1", write_range("-1 3"), EINVAL);
	CHECK_ERRNO("ping_group_range refuses 4294967295", write_range("0 4294967295"), EINVAL);
	CHECK_ERRNO("ping_group_range refuses a word", write_range("3 x"), EINVAL);
	CHECK_SYS("root opens ping sockets again", write_range("0 4294967294"));
}

static void socket_errors(void)
{
	CHECK_ERRNO("SOCK_RAW with protocol 0 is EPROTONOSUPPORT", socket(AF_INET, SOCK_RAW, 0),
		    EPROTONOSUPPORT);
	CHECK_ERRNO("SOCK_RAW IPv6 with protocol 0 is EPROTONOSUPPORT",
		    socket(AF_INET6, SOCK_RAW, 0), EPROTONOSUPPORT);
	CHECK_ERRNO("a negative protocol is EINVAL", socket(AF_INET, SOCK_RAW, -1), EINVAL);
	CHECK_ERRNO("protocol 300 is EINVAL", socket(AF_INET, SOCK_STREAM, 300), EINVAL);
	CHECK_ERRNO("SOCK_DGRAM IPPROTO_RAW is EPROTONOSUPPORT",
		    socket(AF_INET, SOCK_DGRAM, IPPROTO_RAW), EPROTONOSUPPORT);
	CHECK_ERRNO("an IPv4 ICMPv6 ping socket is EPROTONOSUPPORT",
		    socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMPV6), EPROTONOSUPPORT);
	CHECK_ERRNO("an IPv6 ICMP ping socket is EPROTONOSUPPORT",
		    socket(AF_INET6, SOCK_DGRAM, IPPROTO_ICMP), EPROTONOSUPPORT);
	CHECK_ERRNO("SOCK_STREAM IPPROTO_ICMP is EPROTONOSUPPORT",
		    socket(AF_INET, SOCK_STREAM, IPPROTO_ICMP), EPROTONOSUPPORT);
	CHECK_ERRNO("SOCK_SEQPACKET IPPROTO_ICMP is ESOCKTNOSUPPORT",
		    socket(AF_INET, SOCK_SEQPACKET, IPPROTO_ICMP), ESOCKTNOSUPPORT);
}

static void ping4(void)
{
	int s = MUST(socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP));
	timeout2s(s);
	int v = -1;
	socklen_t vl = sizeof v;
	CHECK("ping socket: SO_TYPE is SOCK_DGRAM",
	      getsockopt(s, SOL_SOCKET, SO_TYPE, &v, &vl) == 0 && v == SOCK_DGRAM);
	vl = sizeof v;
	CHECK("ping socket: SO_PROTOCOL is IPPROTO_ICMP",
	      getsockopt(s, SOL_SOCKET, SO_PROTOCOL, &v, &vl) == 0 && v == IPPROTO_ICMP);
	CHECK("ping socket: no identifier before a send", port_of(s) == 0);

	struct sockaddr_in bad = v4("127.0.0.1");
	CHECK_ERRNO("ping bind: short address EINVAL",
		    bind(s, (struct sockaddr *)&bad, sizeof bad - 1), EINVAL);
	bad.sin_family = AF_INET6;
	CHECK_ERRNO("ping bind: AF_INET6 is EAFNOSUPPORT",
		    bind(s, (struct sockaddr *)&bad, sizeof bad), EAFNOSUPPORT);
	struct sockaddr_in far = v4("10.0.0.1");
	CHECK_ERRNO("ping bind: a foreign address is EADDRNOTAVAIL",
		    bind(s, (struct sockaddr *)&far, sizeof far), EADDRNOTAVAIL);

	struct sockaddr_in lo = v4("127.0.0.1");
	lo.sin_port = htons(0x4242);
	CHECK_SYS("ping bind: 127.0.0.1, identifier 0x4242", bind(s, (struct sockaddr *)&lo, sizeof lo));
	CHECK("ping bind: getsockname reports the identifier as the port", port_of(s) == 0x4242);
	CHECK_ERRNO("ping bind: a second bind is EINVAL", bind(s, (struct sockaddr *)&lo, sizeof lo),
		    EINVAL);
	int on = 1, off = 0;
	int t = MUST(socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP));
	MUST(setsockopt(t, SOL_SOCKET, SO_REUSEADDR, &off, sizeof off));
	CHECK_ERRNO("ping bind: the same identifier without SO_REUSEADDR is EADDRINUSE",
		    bind(t, (struct sockaddr *)&lo, sizeof lo), EADDRINUSE);
	close(t);

	CHECK_SYS("ping socket: IP_RECVTTL", setsockopt(s, SOL_IP, IP_RECVTTL, &on, sizeof on));
	CHECK_SYS("ping socket: SO_TIMESTAMP", setsockopt(s, SOL_SOCKET, SO_TIMESTAMP, &on, sizeof on));

	unsigned char m[128];
	size_t n = echo(m, ICMP_ECHO, 0xffff, 7, "ping payload 0123456789");
	lo.sin_port = 0;
	CHECK("ping: sendto 127.0.0.1 sends the whole message",
	      sendto(s, m, n, 0, (struct sockaddr *)&lo, sizeof lo) == (ssize_t)n);
	struct got g = recv_msg(s, buf, sizeof buf, 0);
	CHECKF("ping: the echo reply comes back, ICMP header and payload only", g.n == (ssize_t)n,
	       "got %zd of %zu", g.n, n);
	CHECKF("ping: it is an echo reply, code 0", buf[0] == ICMP_ECHOREPLY && buf[1] == 0,
	       "type %d code %d", buf[0], buf[1]);
	CHECKF("ping: the identifier is the socket's, not the sender's",
	       get16(buf + 4) == 0x4242, "id %#x", get16(buf + 4));
	CHECK("ping: sequence and payload are echoed",
	      get16(buf + 6) == 7 && memcmp(buf + 8, m + 8, n - 8) == 0);
	CHECKF("ping: the reply's checksum is right", csum(buf, n, 0) == 0, "sum %#x",
	       csum(buf, n, 0));
	struct sockaddr_in *from = (struct sockaddr_in *)&g.from;
	CHECK("ping: recvmsg names 127.0.0.1, port 0",
	      g.fromlen == sizeof(struct sockaddr_in) && from->sin_family == AF_INET &&
		      from->sin_addr.s_addr == htonl(INADDR_LOOPBACK) && from->sin_port == 0);
	CHECKF("ping: IP_RECVTTL gives the reply's TTL, 64", g.ttl == 64, "ttl %d", g.ttl);
	CHECK("ping: SO_TIMESTAMP stamps the reply", g.stamped);
	CHECK_ERRNO("ping: nothing more queued (MSG_DONTWAIT)", recv(s, buf, sizeof buf, MSG_DONTWAIT),
		    EAGAIN);
	CHECK_ERRNO("ping: the error queue is empty", recv(s, buf, sizeof buf, MSG_ERRQUEUE), EAGAIN);

	/* Truncation and peeking. */
	sendto(s, m, n, 0, (struct sockaddr *)&lo, sizeof lo);
	struct pollfd pfd = { s, POLLIN, 0 };
	CHECK("ping: poll reports the reply", poll(&pfd, 1, 2000) == 1 && (pfd.revents & POLLIN));
	CHECK("ping: MSG_PEEK leaves it queued",
	      recv(s, buf, sizeof buf, MSG_PEEK) == (ssize_t)n &&
		      recv(s, buf, sizeof buf, MSG_PEEK) == (ssize_t)n);
	g = recv_msg(s, buf, 10, MSG_TRUNC);
	CHECKF("ping: a short buffer truncates, MSG_TRUNC set, length not the whole",
	       g.n == 10 && (g.flags & MSG_TRUNC), "n %zd flags %#x", g.n, g.flags);
	CHECK_ERRNO("ping: a truncated reply is gone", recv(s, buf, sizeof buf, MSG_DONTWAIT), EAGAIN);
	int inq;
	CHECK_ERRNO("ping: FIONREAD is ENOTTY", ioctl(s, FIONREAD, &inq), ENOTTY);

	/* Sends Linux refuses. */
	unsigned char bad_msg[16];
	echo(bad_msg, ICMP_ECHOREPLY, 1, 1, "");
	CHECK_ERRNO("ping: an echo reply may not be sent",
		    sendto(s, bad_msg, 8, 0, (struct sockaddr *)&lo, sizeof lo), EINVAL);
	echo(bad_msg, ICMP_DEST_UNREACH, 1, 1, "");
	CHECK_ERRNO("ping: destination unreachable may not be sent",
		    sendto(s, bad_msg, 8, 0, (struct sockaddr *)&lo, sizeof lo), EINVAL);
	echo(bad_msg, ICMP_ECHO, 1, 1, "");
	bad_msg[1] = 1;
	CHECK_ERRNO("ping: an echo with code 1 is EINVAL",
		    sendto(s, bad_msg, 8, 0, (struct sockaddr *)&lo, sizeof lo), EINVAL);
	bad_msg[1] = 0;
	CHECK_ERRNO("ping: 7 bytes (no whole header) is EINVAL",
		    sendto(s, bad_msg, 7, 0, (struct sockaddr *)&lo, sizeof lo), EINVAL);
	CHECK_ERRNO("ping: MSG_OOB is EOPNOTSUPP",
		    sendto(s, bad_msg, 8, MSG_OOB, (struct sockaddr *)&lo, sizeof lo), EOPNOTSUPP);
	CHECK_ERRNO("ping: more than 65535 bytes is EMSGSIZE",
		    sendto(s, buf, 65536, 0, (struct sockaddr *)&lo, sizeof lo), EMSGSIZE);
	memcpy(buf, bad_msg, 8);
	CHECK_ERRNO("ping: 65535 bytes (no room for the IP header) is EMSGSIZE",
		    sendto(s, buf, 65535, 0, (struct sockaddr *)&lo, sizeof lo), EMSGSIZE);
	CHECK_ERRNO("ping: a 15-byte address is EINVAL",
		    sendto(s, bad_msg, 8, 0, (struct sockaddr *)&lo, sizeof lo - 1), EINVAL);
	struct sockaddr_in unspec = lo;
	unspec.sin_family = AF_UNSPEC;
	CHECK_ERRNO("ping: an AF_UNSPEC address is EAFNOSUPPORT",
		    sendto(s, bad_msg, 8, 0, (struct sockaddr *)&unspec, sizeof unspec), EAFNOSUPPORT);
	CHECK_ERRNO("ping: no address and no peer is EDESTADDRREQ", send(s, bad_msg, 8, 0),
		    EDESTADDRREQ);
	CHECK_ERRNO("ping: 10.0.0.1 is ENETUNREACH",
		    sendto(s, bad_msg, 8, 0, (struct sockaddr *)&far, sizeof far), ENETUNREACH);
	CHECK_ERRNO("ping: listen is EOPNOTSUPP", listen(s, 1), EOPNOTSUPP);
	CHECK_ERRNO("ping: IP_HDRINCL is ENOPROTOOPT",
		    setsockopt(s, SOL_IP, IP_HDRINCL, &on, sizeof on), ENOPROTOOPT);
	CHECK_ERRNO("ping: ICMP_FILTER is ENOPROTOOPT",
		    setsockopt(s, SOL_RAW, ICMP_FILTER, &on, sizeof on), ENOPROTOOPT);

	/* connect(2): a default destination. */
	CHECK_SYS("ping: connect to 127.0.0.1", connect(s, (struct sockaddr *)&lo, sizeof lo));
	struct sockaddr_in peer;
	socklen_t plen = sizeof peer;
	CHECK_ERRNO("ping: getpeername of a connected ping socket is ENOTCONN (no port)",
		    getpeername(s, (struct sockaddr *)&peer, &plen), ENOTCONN);
	n = echo(m, ICMP_ECHO, 0, 8, "connected");
	CHECK("ping: send without an address goes to the peer", send(s, m, n, 0) == (ssize_t)n);
	CHECK("ping: and its reply comes",
	      recv(s, buf, sizeof buf, 0) == (ssize_t)n && buf[0] == ICMP_ECHOREPLY && get16(buf + 6) == 8);
	CHECK("ping: write(2) sends too", write(s, m, n) == (ssize_t)n);
	CHECK("ping: read(2) gets the reply", read(s, buf, sizeof buf) == (ssize_t)n);
	close(s);

	/* Autobind: the first send takes a free identifier. */
	int a = MUST(socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP));
	timeout2s(a);
	n = echo(m, ICMP_ECHO, 0, 1, "auto");
	CHECK("ping: an unbound socket sends", sendto(a, m, n, 0, (struct sockaddr *)&lo, sizeof lo) == (ssize_t)n);
	int id = port_of(a);
	CHECKF("ping: the send gave it an identifier", id != 0, "port %d", id);
	CHECK("ping: the reply carries that identifier",
	      recv(a, buf, sizeof buf, 0) == (ssize_t)n && get16(buf + 4) == id);
	int b = MUST(socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP));
	timeout2s(b);
	CHECK("ping: another socket gets another identifier",
	      sendto(b, m, n, 0, (struct sockaddr *)&lo, sizeof lo) == (ssize_t)n && port_of(b) != id);
	CHECK("ping: each socket gets only its own reply",
	      recv(b, buf, sizeof buf, 0) == (ssize_t)n && get16(buf + 4) == port_of(b) &&
		      recv(a, buf, sizeof buf, MSG_DONTWAIT) == -1 && errno == EAGAIN);
	struct sockaddr_in lo2 = v4("127.0.0.2");
	CHECK("ping: 127.0.0.2 answers too, from 127.0.0.2",
	      sendto(a, m, n, 0, (struct sockaddr *)&lo2, sizeof lo2) == (ssize_t)n &&
		      (g = recv_msg(a, buf, sizeof buf, 0)).n == (ssize_t)n &&
		      ((struct sockaddr_in *)&g.from)->sin_addr.s_addr == lo2.sin_addr.s_addr);
	close(a);
	close(b);

	/* Ping sockets start with SO_REUSEADDR on: identifiers are shared,
	 * and the last socket bound gets the replies. */
	int r1 = MUST(socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP));
	int r2 = MUST(socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP));
	timeout2s(r2);
	int v2 = 0;
	socklen_t v2l = sizeof v2;
	CHECK("ping: SO_REUSEADDR starts on",
	      getsockopt(r1, SOL_SOCKET, SO_REUSEADDR, &v2, &v2l) == 0 && v2 == 1);
	struct sockaddr_in any = { .sin_family = AF_INET, .sin_port = htons(0x5151) };
	CHECK("ping: two sockets share an identifier",
	      bind(r1, (struct sockaddr *)&any, sizeof any) == 0 &&
		      bind(r2, (struct sockaddr *)&any, sizeof any) == 0);
	int r6 = MUST(socket(AF_INET6, SOCK_DGRAM, IPPROTO_ICMPV6));
	MUST(setsockopt(r6, SOL_SOCKET, SO_REUSEADDR, &off, sizeof off));
	struct sockaddr_in6 any6 = { .sin6_family = AF_INET6, .sin6_port = htons(0x5151) };
	CHECK_ERRNO("ping: IPv4 and IPv6 ping sockets share one identifier space",
		    bind(r6, (struct sockaddr *)&any6, sizeof any6), EADDRINUSE);
	n = echo(m, ICMP_ECHO, 0, 4, "shared");
	CHECK("ping: the reply goes to the socket bound last",
	      sendto(r1, m, n, 0, (struct sockaddr *)&lo, sizeof lo) == (ssize_t)n &&
		      recv(r2, buf, sizeof buf, 0) == (ssize_t)n &&
		      recv(r1, buf, sizeof buf, MSG_DONTWAIT) == -1 && errno == EAGAIN);
	close(r1);
	close(r2);
	close(r6);
}

static void ping6(void)
{
	int s = MUST(socket(AF_INET6, SOCK_DGRAM, IPPROTO_ICMPV6));
	timeout2s(s);
	int v = -1;
	socklen_t vl = sizeof v;
	CHECK("ping6 socket: IPV6_V6ONLY is on",
	      getsockopt(s, SOL_IPV6, IPV6_V6ONLY, &v, &vl) == 0 && v == 1);
	int on = 1;
	CHECK_SYS("ping6 socket: IPV6_RECVHOPLIMIT",
		  setsockopt(s, SOL_IPV6, IPV6_RECVHOPLIMIT, &on, sizeof on));
	CHECK_ERRNO("ping6 socket: IPV6_CHECKSUM is ENOPROTOOPT",
		    setsockopt(s, SOL_IPV6, IPV6_CHECKSUM, &on, sizeof on), ENOPROTOOPT);
	CHECK_ERRNO("ping6 socket: ICMP6_FILTER is ENOPROTOOPT",
		    setsockopt(s, SOL_ICMPV6, ICMP6_FILTER, &on, sizeof on), ENOPROTOOPT);

	struct sockaddr_in6 lo = v6("::1");
	CHECK_ERRNO("ping6 bind: a 24-byte address is EINVAL", bind(s, (struct sockaddr *)&lo, 24),
		    EINVAL);
	struct sockaddr_in6 mapped = v6("::ffff:127.0.0.1");
	CHECK_ERRNO("ping6 bind: a v4-mapped address is EINVAL",
		    bind(s, (struct sockaddr *)&mapped, sizeof mapped), EINVAL);
	struct sockaddr_in6 mc = v6("ff02::1");
	CHECK_ERRNO("ping6 bind: multicast is EINVAL", bind(s, (struct sockaddr *)&mc, sizeof mc),
		    EINVAL);
	struct sockaddr_in6 doc = v6("2001:db8::1");
	CHECK_ERRNO("ping6 bind: a foreign address is EADDRNOTAVAIL",
		    bind(s, (struct sockaddr *)&doc, sizeof doc), EADDRNOTAVAIL);
	lo.sin6_port = htons(0x6262);
	CHECK_SYS("ping6 bind: ::1, identifier 0x6262", bind(s, (struct sockaddr *)&lo, sizeof lo));
	CHECK("ping6 bind: getsockname reports it", port_of(s) == 0x6262);

	unsigned char m[128];
	size_t n = echo(m, ICMP6_ECHO_REQUEST, 0xffff, 9, "ping6 payload");
	lo.sin6_port = 0;
	CHECK("ping6: sendto ::1", sendto(s, m, n, 0, (struct sockaddr *)&lo, sizeof lo) == (ssize_t)n);
	struct got g = recv_msg(s, buf, sizeof buf, 0);
	CHECKF("ping6: the echo reply comes back without the IPv6 header", g.n == (ssize_t)n,
	       "got %zd of %zu", g.n, n);
	CHECK("ping6: it is an echo reply", buf[0] == ICMP6_ECHO_REPLY && buf[1] == 0);
	CHECKF("ping6: the identifier is the socket's", get16(buf + 4) == 0x6262, "id %#x",
	       get16(buf + 4));
	CHECK("ping6: sequence and payload are echoed",
	      get16(buf + 6) == 9 && memcmp(buf + 8, m + 8, n - 8) == 0);
	CHECKF("ping6: the checksum is right over the pseudo-header", csum6_lo(buf, n) == 0,
	       "sum %#x", csum6_lo(buf, n));
	CHECK("ping6: recvmsg names ::1",
	      g.fromlen == sizeof(struct sockaddr_in6) && g.from.sin6_family == AF_INET6 &&
		      IN6_IS_ADDR_LOOPBACK(&g.from.sin6_addr) && g.from.sin6_port == 0);
	CHECKF("ping6: IPV6_RECVHOPLIMIT gives 64", g.ttl == 64, "hop limit %d", g.ttl);

	echo(m, ICMP_ECHO, 1, 1, "");
	CHECK_ERRNO("ping6: an ICMPv4 echo type is EINVAL",
		    sendto(s, m, 8, 0, (struct sockaddr *)&lo, sizeof lo), EINVAL);
	echo(m, ICMP6_ECHO_REQUEST, 1, 1, "");
	CHECK_ERRNO("ping6: a v4-mapped destination is EINVAL",
		    sendto(s, m, 8, 0, (struct sockaddr *)&mapped, sizeof mapped), EINVAL);
	CHECK_ERRNO("ping6: a 24-byte destination is EINVAL",
		    sendto(s, m, 8, 0, (struct sockaddr *)&lo, 24), EINVAL);
	CHECK_ERRNO("ping6: 2001:db8::1 is ENETUNREACH",
		    sendto(s, m, 8, 0, (struct sockaddr *)&doc, sizeof doc), ENETUNREACH);
	struct sockaddr_in lo4 = v4("127.0.0.1");
	CHECK_ERRNO("ping6: connect to an IPv4 address is EAFNOSUPPORT",
		    connect(s, (struct sockaddr *)&lo4, sizeof lo4), EAFNOSUPPORT);
	CHECK_ERRNO("ping6: connect to a v4-mapped address is ENETUNREACH",
		    connect(s, (struct sockaddr *)&mapped, sizeof mapped), ENETUNREACH);
	CHECK_ERRNO("ping6: connect with 23 bytes is EINVAL",
		    connect(s, (struct sockaddr *)&lo, 23), EINVAL);
	CHECK_SYS("ping6: connect to ::1", connect(s, (struct sockaddr *)&lo, sizeof lo));
	n = echo(m, ICMP6_ECHO_REQUEST, 0, 10, "connected6");
	CHECK("ping6: send goes to the peer and the reply comes",
	      send(s, m, n, 0) == (ssize_t)n && recv(s, buf, sizeof buf, 0) == (ssize_t)n &&
		      buf[0] == ICMP6_ECHO_REPLY && get16(buf + 6) == 10);
	close(s);
}

/* Receives on the raw socket FD until an ICMP message of TYPE with ID
 * arrives; returns its length (with the IP header) or -1. */
static ssize_t raw_wait(int fd, int type, int id, int hdr)
{
	for (int i = 0; i < 16; i++) {
		ssize_t n = recv(fd, buf, sizeof buf, 0);
		if (n < hdr + 8)
			return -1;
		if (buf[hdr] == type && get16(buf + hdr + 4) == id)
			return n;
	}
	return -1;
}

static void raw4(void)
{
	int r = MUST(socket(AF_INET, SOCK_RAW, IPPROTO_ICMP));
	timeout2s(r);
	CHECK("raw: getsockname reports the protocol as the port", port_of(r) == IPPROTO_ICMP);
	struct sockaddr_in lo = v4("127.0.0.1");
	unsigned char m[128];
	size_t n = echo(m, ICMP_ECHO, 0x1234, 1, "raw payload");
	uint16_t c = csum(m, n, 0);
	m[2] = (unsigned char)(c >> 8);
	m[3] = (unsigned char)c;
	CHECK("raw: an echo request the caller summed goes out",
	      sendto(r, m, n, 0, (struct sockaddr *)&lo, sizeof lo) == (ssize_t)n);
	ssize_t got = raw_wait(r, ICMP_ECHO, 0x1234, 20);
	CHECKF("raw: the socket sees its own request come in", got == (ssize_t)(20 + n), "got %zd",
	       got);
	got = raw_wait(r, ICMP_ECHOREPLY, 0x1234, 20);
	CHECKF("raw: and the kernel's reply, with the IP header", got == (ssize_t)(20 + n),
	       "got %zd", got);
	struct iphdr *ip = (struct iphdr *)buf;
	CHECK("raw: the header is IPv4, 20 bytes, ICMP, from and to 127.0.0.1",
	      ip->version == 4 && ip->ihl == 5 && ip->protocol == IPPROTO_ICMP &&
		      ip->saddr == htonl(INADDR_LOOPBACK) && ip->daddr == htonl(INADDR_LOOPBACK));
	CHECK("raw: its total length is the packet's and its TTL 64",
	      ntohs(ip->tot_len) == got && ip->ttl == 64);
	CHECKF("raw: the header checksum is right", csum(buf, 20, 0) == 0, "sum %#x", csum(buf, 20, 0));
	CHECK("raw: the reply's ICMP checksum is right and the payload echoed",
	      csum(buf + 20, n, 0) == 0 && memcmp(buf + 28, m + 8, n - 8) == 0);

	/* ICMP_FILTER as ping(8) sets it: echo requests blocked. */
	uint32_t filt = 1u << ICMP_ECHO, back = 0;
	socklen_t bl = sizeof back;
	CHECK_SYS("raw: ICMP_FILTER", setsockopt(r, SOL_RAW, ICMP_FILTER, &filt, sizeof filt));
	CHECK("raw: ICMP_FILTER reads back",
	      getsockopt(r, SOL_RAW, ICMP_FILTER, &back, &bl) == 0 && back == filt && bl == 4);
	m[7] = 2;
	c = csum(m, n, 0) ;
	m[2] = 0;
	m[3] = 0;
	c = csum(m, n, 0);
	m[2] = (unsigned char)(c >> 8);
	m[3] = (unsigned char)c;
	sendto(r, m, n, 0, (struct sockaddr *)&lo, sizeof lo);
	CHECK("raw: with the filter only the reply arrives",
	      recv(r, buf, sizeof buf, 0) == (ssize_t)(20 + n) && buf[20] == ICMP_ECHOREPLY &&
		      buf[27] == 2);
	int inq = -1;
	sendto(r, m, n, 0, (struct sockaddr *)&lo, sizeof lo);
	CHECKF("raw: FIONREAD is the next packet with its header",
	       ioctl(r, FIONREAD, &inq) == 0 && inq == (int)(20 + n), "inq %d", inq);
	CHECKF("raw: MSG_TRUNC returns the whole length", recv(r, buf, 10, MSG_TRUNC) == (ssize_t)(20 + n),
	       "errno %d", errno);

	/* A ping socket's exchange is seen by the raw socket too. */
	int p = MUST(socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP));
	size_t pn = echo(m, ICMP_ECHO, 0, 3, "seen");
	sendto(p, m, pn, 0, (struct sockaddr *)&lo, sizeof lo);
	CHECK("raw: the reply to a ping socket reaches the raw socket too",
	      raw_wait(r, ICMP_ECHOREPLY, port_of(p), 20) == (ssize_t)(20 + pn));
	close(p);

	/* Bad sends. */
	CHECK_ERRNO("raw: one byte of ICMP is EFAULT (Linux reads type and code)",
		    sendto(r, m, 1, 0, (struct sockaddr *)&lo, sizeof lo), EFAULT);
	CHECK_ERRNO("raw: a 15-byte address is EINVAL",
		    sendto(r, m, 8, 0, (struct sockaddr *)&lo, sizeof lo - 1), EINVAL);
	struct sockaddr_in6 lo6 = v6("::1");
	CHECK_ERRNO("raw: an AF_INET6 address is EAFNOSUPPORT",
		    sendto(r, m, 8, 0, (struct sockaddr *)&lo6, sizeof lo6), EAFNOSUPPORT);
	struct sockaddr_in far = v4("10.0.0.1");
	CHECK_ERRNO("raw: 10.0.0.1 is ENETUNREACH",
		    sendto(r, m, 8, 0, (struct sockaddr *)&far, sizeof far), ENETUNREACH);
	CHECK_ERRNO("raw: no address and no peer is EDESTADDRREQ", send(r, m, 8, 0), EDESTADDRREQ);
	CHECK_ERRNO("raw: more than 65535 bytes is EMSGSIZE",
		    sendto(r, buf, 65536, 0, (struct sockaddr *)&lo, sizeof lo), EMSGSIZE);
	CHECK_ERRNO("raw: MSG_OOB is EOPNOTSUPP",
		    sendto(r, m, 8, MSG_OOB, (struct sockaddr *)&lo, sizeof lo), EOPNOTSUPP);
	struct sockaddr_in unspec = lo;
	unspec.sin_family = AF_UNSPEC;
	CHECK("raw: an AF_UNSPEC destination is taken as AF_INET",
	      sendto(r, m, 8, 0, (struct sockaddr *)&unspec, sizeof unspec) == 8);
	CHECK_ERRNO("raw: bind to 10.0.0.1 is EADDRNOTAVAIL",
		    bind(r, (struct sockaddr *)&far, sizeof far), EADDRNOTAVAIL);
	CHECK_ERRNO("raw: bind with 15 bytes is EINVAL", bind(r, (struct sockaddr *)&lo, 15), EINVAL);
	CHECK("raw: bind to 127.0.0.1, twice",
	      bind(r, (struct sockaddr *)&lo, sizeof lo) == 0 && bind(r, (struct sockaddr *)&lo, sizeof lo) == 0);
	int on = 1;
	CHECK_ERRNO("raw: an unknown SOL_RAW option is ENOPROTOOPT",
		    setsockopt(r, SOL_RAW, 2, &on, sizeof on), ENOPROTOOPT);
	CHECK_SYS("raw: SO_BINDTODEVICE lo", setsockopt(r, SOL_SOCKET, SO_BINDTODEVICE, "lo", 2));
	char dev[IFNAMSIZ] = "";
	socklen_t dl = sizeof dev;
	CHECK("raw: SO_BINDTODEVICE reads back lo",
	      getsockopt(r, SOL_SOCKET, SO_BINDTODEVICE, dev, &dl) == 0 && strcmp(dev, "lo") == 0 && dl == 3);
	CHECK_ERRNO("raw: SO_BINDTODEVICE of a missing interface is ENODEV",
		    setsockopt(r, SOL_SOCKET, SO_BINDTODEVICE, "eth9", 4), ENODEV);
	dl = 8;
	CHECK_ERRNO("raw: SO_BINDTODEVICE into 8 bytes is EINVAL",
		    getsockopt(r, SOL_SOCKET, SO_BINDTODEVICE, dev, &dl), EINVAL);
	CHECK_SYS("raw: SO_BINDTODEVICE \"\" unbinds", setsockopt(r, SOL_SOCKET, SO_BINDTODEVICE, "", 0));
	dl = sizeof dev;
	CHECK("raw: unbound, SO_BINDTODEVICE reads empty",
	      getsockopt(r, SOL_SOCKET, SO_BINDTODEVICE, dev, &dl) == 0 && dl == 0);
	int ud = MUST(socket(AF_INET, SOCK_DGRAM, 0));
	CHECK_SYS("a UDP socket takes SO_BINDTODEVICE \"lo\\0\" as ping -I lo gives it",
		  setsockopt(ud, SOL_SOCKET, SO_BINDTODEVICE, "lo", 3));
	close(ud);
	CHECK_SYS("raw: IP_RECVERR", setsockopt(r, SOL_IP, IP_RECVERR, &on, sizeof on));

	/* IP_HDRINCL: the caller's header, completed by the kernel. */
	int h = MUST(socket(AF_INET, SOCK_RAW, IPPROTO_ICMP));
	timeout2s(h);
	CHECK_SYS("raw: IP_HDRINCL", setsockopt(h, SOL_IP, IP_HDRINCL, &on, sizeof on));
	unsigned char pkt[128] = { 0x45, 0, 0, 0, 0, 0, 0, 0, 64, IPPROTO_ICMP };
	memcpy(pkt + 16, &lo.sin_addr, 4); /* source 0: the kernel fills it */
	n = echo(pkt + 20, ICMP_ECHO, 0x7777, 5, "own header");
	c = csum(pkt + 20, n, 0);
	pkt[22] = (unsigned char)(c >> 8);
	pkt[23] = (unsigned char)c;
	CHECK("raw: a packet with its own header is sent",
	      sendto(h, pkt, 20 + n, 0, (struct sockaddr *)&lo, sizeof lo) == (ssize_t)(20 + n));
	got = raw_wait(h, ICMP_ECHOREPLY, 0x7777, 20);
	CHECK("raw: it is answered, from 127.0.0.1",
	      got == (ssize_t)(20 + n) && ((struct iphdr *)buf)->saddr == htonl(INADDR_LOOPBACK));
	CHECK_ERRNO("raw: IP_HDRINCL with 19 bytes is EINVAL",
		    sendto(h, pkt, 19, 0, (struct sockaddr *)&lo, sizeof lo), EINVAL);
	pkt[0] = 0x4f;
	CHECK_ERRNO("raw: IP_HDRINCL with a header longer than the packet is EINVAL",
		    sendto(h, pkt, 40, 0, (struct sockaddr *)&lo, sizeof lo), EINVAL);
	close(h);

	int rr = MUST(socket(AF_INET, SOCK_RAW, IPPROTO_RAW));
	int v = 0;
	socklen_t vl = sizeof v;
	CHECK("raw: an IPPROTO_RAW socket has IP_HDRINCL on",
	      getsockopt(rr, SOL_IP, IP_HDRINCL, &v, &vl) == 0 && v == 1 && port_of(rr) == IPPROTO_RAW);
	close(rr);

	/* connect(2) and the disconnect that unhashes a raw socket. */
	int k = MUST(socket(AF_INET, SOCK_RAW, IPPROTO_ICMP));
	CHECK_SYS("raw: connect to 127.0.0.1", connect(k, (struct sockaddr *)&lo, sizeof lo));
	struct sockaddr_in peer;
	socklen_t plen = sizeof peer;
	CHECK_ERRNO("raw: getpeername of a connected raw socket is ENOTCONN",
		    getpeername(k, (struct sockaddr *)&peer, &plen), ENOTCONN);
	CHECK_ERRNO("raw: bind while connected is EINVAL", bind(k, (struct sockaddr *)&lo, sizeof lo),
		    EINVAL);
	struct sockaddr un = { .sa_family = AF_UNSPEC };
	CHECK_SYS("raw: connect to AF_UNSPEC disconnects", connect(k, &un, sizeof un));
	CHECK("raw: a disconnected raw socket reports port 0", port_of(k) == 0);
	sendto(r, m, 8, 0, (struct sockaddr *)&lo, sizeof lo);
	CHECK_ERRNO("raw: and receives nothing more (Linux unhashes it)",
		    recv(k, buf, sizeof buf, MSG_DONTWAIT), EAGAIN);
	close(k);

	uint32_t f2 = 0;
	int u = MUST(socket(AF_INET, SOCK_RAW, IPPROTO_UDP));
	CHECK_ERRNO("raw: ICMP_FILTER of a UDP raw socket is EOPNOTSUPP",
		    setsockopt(u, SOL_RAW, ICMP_FILTER, &f2, sizeof f2), EOPNOTSUPP);
	timeout2s(u);
	int d = MUST(socket(AF_INET, SOCK_DGRAM, 0));
	struct sockaddr_in dst = v4("127.0.0.1");
	dst.sin_port = htons(9);
	sendto(d, "datagram", 8, 0, (struct sockaddr *)&dst, sizeof dst);
	got = recv(u, buf, sizeof buf, 0);
	CHECKF("raw: a UDP raw socket sees a UDP datagram with IP and UDP headers",
	       got == 20 + 8 + 8 && buf[9] == IPPROTO_UDP && get16(buf + 22) == 9 &&
		       memcmp(buf + 28, "datagram", 8) == 0,
	       "got %zd", got);
	close(d);
	close(u);

	/* A protocol nobody else speaks, between two raw sockets. */
	int x = MUST(socket(AF_INET, SOCK_RAW, 253));
	int y = MUST(socket(AF_INET, SOCK_RAW, 253));
	timeout2s(y);
	CHECK("raw: protocol 253 goes from one raw socket to another",
	      sendto(x, "experiment", 10, 0, (struct sockaddr *)&lo, sizeof lo) == 10 &&
		      recv(y, buf, sizeof buf, 0) == 30 && buf[9] == 253 &&
		      memcmp(buf + 20, "experiment", 10) == 0);
	close(x);
	close(y);
	close(r);
}

static void raw6(void)
{
	int r = MUST(socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6));
	timeout2s(r);
	CHECK("raw6: getsockname reports protocol 58 as the port", port_of(r) == IPPROTO_ICMPV6);
	int v = -1;
	socklen_t vl = sizeof v;
	CHECK("raw6: IPV6_CHECKSUM of ICMPv6 is offset 2",
	      getsockopt(r, SOL_RAW, IPV6_CHECKSUM, &v, &vl) == 0 && v == 2);
	int one = 1, two = 2, three = 3;
	CHECK_ERRNO("raw6: IPV6_CHECKSUM at the IPv6 level of an ICMPv6 socket is EINVAL",
		    setsockopt(r, SOL_IPV6, IPV6_CHECKSUM, &one, sizeof one), EINVAL);
	CHECK_ERRNO("raw6: an odd IPV6_CHECKSUM is EINVAL",
		    setsockopt(r, SOL_RAW, IPV6_CHECKSUM, &three, sizeof three), EINVAL);
	CHECK_ERRNO("raw6: a 2-byte IPV6_CHECKSUM is EINVAL",
		    setsockopt(r, SOL_RAW, IPV6_CHECKSUM, &two, 2), EINVAL);
	CHECK_SYS("raw6: IPV6_CHECKSUM 2 at SOL_RAW", setsockopt(r, SOL_RAW, IPV6_CHECKSUM, &two, sizeof two));
	CHECK_ERRNO("raw6: SOL_IP is ENOPROTOOPT", setsockopt(r, SOL_IP, IP_TTL, &one, sizeof one),
		    ENOPROTOOPT);

	/* ICMP6_FILTER as ping(8) sets it: everything but echo replies blocked. */
	struct icmp6_filter f;
	ICMP6_FILTER_SETBLOCKALL(&f);
	ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &f);
	CHECK_SYS("raw6: ICMP6_FILTER", setsockopt(r, SOL_ICMPV6, ICMP6_FILTER, &f, sizeof f));
	struct icmp6_filter back;
	socklen_t bl = 40;
	CHECK("raw6: ICMP6_FILTER reads back 32 bytes",
	      getsockopt(r, SOL_ICMPV6, ICMP6_FILTER, &back, &bl) == 0 && bl == sizeof back &&
		      memcmp(&back, &f, sizeof f) == 0);
	CHECK_SYS("raw6: IPV6_RECVHOPLIMIT", setsockopt(r, SOL_IPV6, IPV6_RECVHOPLIMIT, &one, sizeof one));

	struct sockaddr_in6 lo = v6("::1");
	lo.sin6_port = htons(IPPROTO_ICMPV6); /* what ping(8) passes */
	unsigned char m[128];
	size_t n = echo(m, ICMP6_ECHO_REQUEST, 0x4321, 11, "raw6 payload");
	CHECK("raw6: an echo request without a checksum goes out",
	      sendto(r, m, n, 0, (struct sockaddr *)&lo, sizeof lo) == (ssize_t)n);
	struct got g = recv_msg(r, buf, sizeof buf, 0);
	CHECKF("raw6: only the reply arrives, without the IPv6 header",
	       g.n == (ssize_t)n && buf[0] == ICMP6_ECHO_REPLY && get16(buf + 4) == 0x4321,
	       "n %zd type %d", g.n, buf[0]);
	CHECKF("raw6: the reply's checksum is right", csum6_lo(buf, n) == 0, "sum %#x",
	       csum6_lo(buf, n));
	CHECK("raw6: sequence and payload echoed",
	      get16(buf + 6) == 11 && memcmp(buf + 8, m + 8, n - 8) == 0);
	CHECK("raw6: recvmsg names ::1 with port 0",
	      g.fromlen == sizeof(struct sockaddr_in6) && IN6_IS_ADDR_LOOPBACK(&g.from.sin6_addr) &&
		      g.from.sin6_port == 0);
	CHECKF("raw6: IPV6_RECVHOPLIMIT gives 64", g.ttl == 64, "hop limit %d", g.ttl);

	/* The kernel summed the request: a second raw socket sees it right. */
	int w = MUST(socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6));
	timeout2s(w);
	struct icmp6_filter req;
	ICMP6_FILTER_SETBLOCKALL(&req);
	ICMP6_FILTER_SETPASS(ICMP6_ECHO_REQUEST, &req);
	MUST(setsockopt(w, SOL_ICMPV6, ICMP6_FILTER, &req, sizeof req));
	sendto(r, m, n, 0, (struct sockaddr *)&lo, sizeof lo);
	ssize_t got = recv(w, buf, sizeof buf, 0);
	CHECKF("raw6: the request went out with the checksum the kernel computed",
	       got == (ssize_t)n && buf[0] == ICMP6_ECHO_REQUEST && csum6_lo(buf, n) == 0,
	       "got %zd sum %#x", got, csum6_lo(buf, n));
	recv(r, buf, sizeof buf, 0);
	close(w);

	CHECK_ERRNO("raw6: one byte is EFAULT", sendto(r, m, 1, 0, (struct sockaddr *)&lo, sizeof lo),
		    EFAULT);
	CHECK_ERRNO("raw6: three bytes (no room for the checksum) is EINVAL",
		    sendto(r, m, 3, 0, (struct sockaddr *)&lo, sizeof lo), EINVAL);
	struct sockaddr_in6 proto = lo;
	proto.sin6_port = htons(IPPROTO_UDP);
	CHECK_ERRNO("raw6: a port naming another protocol is EINVAL",
		    sendto(r, m, 8, 0, (struct sockaddr *)&proto, sizeof proto), EINVAL);
	CHECK_ERRNO("raw6: a 23-byte address is EINVAL",
		    sendto(r, m, 8, 0, (struct sockaddr *)&lo, 23), EINVAL);
	struct sockaddr_in lo4 = v4("127.0.0.1");
	CHECK_ERRNO("raw6: a sockaddr_in is EINVAL (too short)",
		    sendto(r, m, 8, 0, (struct sockaddr *)&lo4, sizeof lo4), EINVAL);
	struct sockaddr_in6 mapped = v6("::ffff:127.0.0.1");
	CHECK_ERRNO("raw6: a v4-mapped destination is ENETUNREACH",
		    sendto(r, m, 8, 0, (struct sockaddr *)&mapped, sizeof mapped), ENETUNREACH);
	CHECK_ERRNO("raw6: bind to a sockaddr_in is EINVAL",
		    bind(r, (struct sockaddr *)&lo4, sizeof lo4), EINVAL);
	CHECK_ERRNO("raw6: bind to a v4-mapped address is EADDRNOTAVAIL",
		    bind(r, (struct sockaddr *)&mapped, sizeof mapped), EADDRNOTAVAIL);
	struct sockaddr_in6 doc = v6("2001:db8::1");
	CHECK_ERRNO("raw6: bind to a foreign address is EADDRNOTAVAIL",
		    bind(r, (struct sockaddr *)&doc, sizeof doc), EADDRNOTAVAIL);
	lo.sin6_port = 0;
	CHECK_SYS("raw6: bind to ::1 with 24 bytes", bind(r, (struct sockaddr *)&lo, 24));
	CHECK_SYS("raw6: IPV6_HDRINCL", setsockopt(r, SOL_IPV6, 36, &one, sizeof one));
	struct in6_pktinfo sticky = { .ipi6_ifindex = (int)if_nametoindex("lo") };
	CHECK_SYS("raw6: a sticky IPV6_PKTINFO (ping -I lo)",
		  setsockopt(r, SOL_IPV6, IPV6_PKTINFO, &sticky, sizeof sticky));
	CHECK_ERRNO("raw6: a short IPV6_PKTINFO is EINVAL",
		    setsockopt(r, SOL_IPV6, IPV6_PKTINFO, &sticky, sizeof sticky - 1), EINVAL);
	close(r);

	int rr = MUST(socket(AF_INET6, SOCK_RAW, IPPROTO_RAW));
	vl = sizeof v;
	CHECK("raw6: an IPPROTO_RAW socket has IPV6_HDRINCL on",
	      getsockopt(rr, SOL_IPV6, 36, &v, &vl) == 0 && v == 1);
	close(rr);

	int u = MUST(socket(AF_INET6, SOCK_RAW, IPPROTO_UDP));
	CHECK_ERRNO("raw6: ICMP6_FILTER of a UDP raw socket is EOPNOTSUPP",
		    setsockopt(u, SOL_ICMPV6, ICMP6_FILTER, &f, sizeof f), EOPNOTSUPP);
	close(u);
}

int main(void)
{
	lo_up();
	socket_errors();
	permissions();
	if (!*read_range()) {
		check_printf("ping_group_range missing: ping socket round trips skipped\n");
	} else {
		ping4();
		ping6();
	}
	raw4();
	raw6();
	return check_done();
}
