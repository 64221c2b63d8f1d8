/*
 * Checks NETLINK_SOCK_DIAG (sock_diag(7)) and /proc/net/unix, what `ss`
 * reads: inet_diag dumps of TCP, UDP and raw sockets (states, ports, addresses,
 * the socket's inode as fstat(2) reports it and its owner), the filters of
 * idiag_states and of the bytecode `ss sport = :80` sends, exact lookups by
 * socket id and cookie, the extensions (INET_DIAG_INFO's tcpi_state,
 * MEMINFO, SKMEMINFO, TOS, CONG, SHUTDOWN), TIME_WAIT connections and
 * connections not yet accepted; unix_diag dumps with names, peers, pending
 * connections, queue lengths, the socket file's inode and the owner;
 * netlink_diag dumps; what a user who is not root sees; the errnos of
 * malformed requests; and the lines of /proc/net/unix.
 *
 * Brings lo up first (natively it runs in a fresh network namespace:
 * unshare -n).
 */
#include "check.h"
#include "lo.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/netlink_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>

#define MAX_MSGS 512

/* The messages of the last answer, copied. */
static struct {
	int n;
	struct nlmsghdr *m[MAX_MSGS];
} got;

static char rbuf[1 << 16];
static unsigned seq = 100;

static int diag_socket(void)
{
	return MUST(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG));
}

static void forget(void)
{
	for (int i = 0; i < got.n; i++)
		free(got.m[i]);
	got.n = 0;
}

/*
 * Sends one request of TYPE with FLAGS and payload REQ (LEN bytes), then
 * ATTRS (ALEN bytes, already framed), and collects the answer in `got`:
 * returns 0 after NLMSG_DONE 0 or a single reply, the negated errno of an
 * NLMSG_ERROR or of NLMSG_DONE, -1000 for an NLMSG_DONE's error (plus the
 * errno) so that callers can tell the two apart.
 */
static int ask(int fd, int type, int flags, const void *req, size_t len,
	       const void *attrs, size_t alen)
{
	char out[4096];
	struct nlmsghdr *h = (struct nlmsghdr *)out;
	memset(out, 0, sizeof out);
	h->nlmsg_len = NLMSG_LENGTH(len) + alen;
	h->nlmsg_type = type;
	h->nlmsg_flags = NLM_F_REQUEST | flags;
	h->nlmsg_seq = ++seq;
	memcpy(NLMSG_DATA(h), req, len);
	if (alen)
		memcpy((char *)NLMSG_DATA(h) + NLMSG_ALIGN(len), attrs, alen);
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	forget();
	if (sendto(fd, out, h->nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0)
		return -10000;
	for (;;) {
		int n = recv(fd, rbuf, sizeof rbuf, 0);
		if (n < 0)
			return -10001;
		for (struct nlmsghdr *m = (void *)rbuf; NLMSG_OK(m, (unsigned)n);
		     m = NLMSG_NEXT(m, n)) {
			if (m->nlmsg_seq != seq)
				continue;
			if (m->nlmsg_type == NLMSG_ERROR) {
				int e = ((struct nlmsgerr *)NLMSG_DATA(m))->error;
				if (e == 0 && got.n > 0)
					return 0;
				return e;
			}
			if (m->nlmsg_type == NLMSG_DONE) {
				int e = *(int *)NLMSG_DATA(m);
				return e ? e - 1000 : 0;
			}
			if (got.n < MAX_MSGS) {
				got.m[got.n] = malloc(m->nlmsg_len);
				memcpy(got.m[got.n], m, m->nlmsg_len);
				got.n++;
			}
			if (!(m->nlmsg_flags & NLM_F_MULTI) && !(flags & NLM_F_ACK))
				return 0;
		}
	}
}

/* Dumps the inet sockets of FAMILY and PROTOCOL in STATES, with EXT. */
static int inet_dump(int fd, int family, int protocol, unsigned states, int ext,
		     const void *attrs, size_t alen)
{
	struct inet_diag_req_v2 r = {
		.sdiag_family = family,
		.sdiag_protocol = protocol,
		.idiag_ext = ext,
		.idiag_states = states,
	};
	return ask(fd, SOCK_DIAG_BY_FAMILY, NLM_F_DUMP, &r, sizeof r, attrs, alen);
}

static struct inet_diag_msg *imsg(int i)
{
	return NLMSG_DATA(got.m[i]);
}

/* Returns attribute TYPE of message I after a family header of HDR bytes. */
static struct rtattr *attr_of(int i, size_t hdr, int type)
{
	struct nlmsghdr *h = got.m[i];
	int len = h->nlmsg_len - NLMSG_LENGTH(hdr);
	for (struct rtattr *a = (void *)((char *)NLMSG_DATA(h) + NLMSG_ALIGN(hdr));
	     RTA_OK(a, len); a = RTA_NEXT(a, len))
		if (a->rta_type == type)
			return a;
	return NULL;
}

static struct rtattr *iattr(int i, int type)
{
	return attr_of(i, sizeof(struct inet_diag_msg), type);
}

/* Returns the index of the message with local port SPORT and remote port
 * DPORT (-1 for any), or -1. */
static int find(int sport, int dport)
{
	for (int i = 0; i < got.n; i++) {
		struct inet_diag_msg *m = imsg(i);
		if (ntohs(m->id.idiag_sport) == sport &&
		    (dport < 0 || ntohs(m->id.idiag_dport) == dport))
			return i;
	}
	return -1;
}

static unsigned long ino_of(int fd)
{
	struct stat st;
	MUST(fstat(fd, &st));
	return st.st_ino;
}

static int port_of(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	MUST(getsockname(fd, (struct sockaddr *)&ss, &len));
	return ss.ss_family == AF_INET ? ntohs(((struct sockaddr_in *)&ss)->sin_port)
				       : ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

static struct sockaddr_in loopback(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

static int tcp_listener(int backlog)
{
	int s = MUST(socket(AF_INET, SOCK_STREAM, 0));
	struct sockaddr_in a = loopback(0);
	MUST(bind(s, (struct sockaddr *)&a, sizeof a));
	MUST(listen(s, backlog));
	return s;
}

static int tcp_connect(int port)
{
	int c = MUST(socket(AF_INET, SOCK_STREAM, 0));
	struct sockaddr_in a = loopback(port);
	MUST(connect(c, (struct sockaddr *)&a, sizeof a));
	return c;
}

/* Two bytecode ops and a host condition, as ss compiles them. */
struct hostcond4 {
	struct inet_diag_bc_op op;
	struct inet_diag_hostcond cond;
	__be32 addr;
};

/* Frames bytecode BC (LEN bytes) as INET_DIAG_REQ_BYTECODE into OUT. */
static size_t bytecode(char *out, const void *bc, size_t len)
{
	struct rtattr *a = (struct rtattr *)out;
	a->rta_type = INET_DIAG_REQ_BYTECODE;
	a->rta_len = RTA_LENGTH(len);
	memcpy(RTA_DATA(a), bc, len);
	return RTA_SPACE(len);
}

static struct hostcond4 port_cond(int code, int port, int no_extra)
{
	struct hostcond4 h;
	memset(&h, 0, sizeof h);
	h.op.code = code;
	h.op.yes = sizeof h;
	h.op.no = sizeof h + 4 + no_extra;
	h.cond.family = AF_UNSPEC;
	h.cond.port = port;
	return h;
}

/* Returns how many dumped sockets pass bytecode BC (LEN bytes), or the
 * negated errno. */
static int filtered(int fd, const void *bc, size_t len)
{
	char attrs[512];
	size_t alen = bytecode(attrs, bc, len);
	int r = inet_dump(fd, AF_INET, IPPROTO_TCP, ~0u, 0, attrs, alen);
	return r < 0 ? r : got.n;
}

static int listen_port, client_port, pending_port;
static int l, c, a, c2, u, u2, l6;

static void tcp_dumps(int fd)
{
	l = tcp_listener(7);
	listen_port = port_of(l);
	c = tcp_connect(listen_port);
	client_port = port_of(c);
	a = MUST(accept(l, NULL, NULL));
	c2 = tcp_connect(listen_port);
	pending_port = port_of(c2);
	u = MUST(socket(AF_INET, SOCK_DGRAM, 0));
	struct sockaddr_in ua = loopback(0);
	MUST(bind(u, (struct sockaddr *)&ua, sizeof ua));
	u2 = MUST(socket(AF_INET, SOCK_DGRAM, 0));
	ua = loopback(port_of(u));
	MUST(connect(u2, (struct sockaddr *)&ua, sizeof ua));
	l6 = MUST(socket(AF_INET6, SOCK_STREAM, 0));
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	MUST(bind(l6, (struct sockaddr *)&a6, sizeof a6));
	MUST(listen(l6, 3));
	sleep_ms(50);

	CHECK("dump AF_INET TCP", inet_dump(fd, AF_INET, IPPROTO_TCP, ~0u, 0, NULL, 0) == 0);
	int i = find(listen_port, 0);
	CHECKF("dump has the listener", i >= 0, "%d messages", got.n);
	struct inet_diag_msg *m = imsg(i);
	CHECKF("listener state, address, owner and inode",
	       m->idiag_family == AF_INET && m->idiag_state == TCP_LISTEN &&
		       m->id.idiag_src[0] == htonl(INADDR_LOOPBACK) && m->id.idiag_dst[0] == 0 &&
		       m->idiag_uid == getuid() && m->idiag_inode == ino_of(l),
	       "family %d state %d src %08x uid %u ino %u (want %lu)", m->idiag_family,
	       m->idiag_state, ntohl(m->id.idiag_src[0]), m->idiag_uid, m->idiag_inode,
	       ino_of(l));
	CHECKF("listener queues: pending and backlog",
	       m->idiag_rqueue == 1 && m->idiag_wqueue == 7, "rqueue %u wqueue %u",
	       m->idiag_rqueue, m->idiag_wqueue);
	CHECK("every message is NLM_F_MULTI of SOCK_DIAG_BY_FAMILY",
	      got.m[0]->nlmsg_type == SOCK_DIAG_BY_FAMILY &&
		      (got.m[0]->nlmsg_flags & NLM_F_MULTI));
	i = find(client_port, listen_port);
	CHECKF("dump has the client", i >= 0 && imsg(i)->idiag_state == TCP_ESTABLISHED &&
				       imsg(i)->idiag_inode == ino_of(c) &&
				       imsg(i)->id.idiag_dst[0] == htonl(INADDR_LOOPBACK),
	       "index %d", i);
	i = find(listen_port, client_port);
	CHECKF("dump has the accepted end", i >= 0 && imsg(i)->idiag_state == TCP_ESTABLISHED &&
						    imsg(i)->idiag_inode == ino_of(a) &&
						    imsg(i)->idiag_uid == getuid(),
	       "index %d", i);
	i = find(listen_port, pending_port);
	CHECKF("a connection not accepted yet has no inode",
	       i >= 0 && imsg(i)->idiag_state == TCP_ESTABLISHED && imsg(i)->idiag_inode == 0,
	       "index %d", i);
	int shut = 1;
	unsigned cookies[MAX_MSGS];
	for (int k = 0; k < got.n; k++) {
		struct rtattr *s = iattr(k, INET_DIAG_SHUTDOWN);
		shut &= s && RTA_PAYLOAD(s) == 1;
		cookies[k] = imsg(k)->id.idiag_cookie[0];
		for (int j = 0; j < k; j++)
			shut &= cookies[j] != cookies[k] ||
				imsg(j)->id.idiag_cookie[1] != imsg(k)->id.idiag_cookie[1];
	}
	CHECK("INET_DIAG_SHUTDOWN always, cookies unique", shut);
	CHECK("no IPv6 socket in the AF_INET dump", find(port_of(l6), -1) < 0);

	CHECK("dump AF_INET6 TCP", inet_dump(fd, AF_INET6, IPPROTO_TCP, ~0u, 0, NULL, 0) == 0);
	i = find(port_of(l6), 0);
	struct rtattr *v6only = i >= 0 ? iattr(i, INET_DIAG_SKV6ONLY) : NULL;
	/* Binding an IPv6 address that is not v4-mapped makes the socket v6-only. */
	CHECKF("AF_INET6 dump: the ::1 listener with INET_DIAG_SKV6ONLY 1",
	       i >= 0 && imsg(i)->idiag_family == AF_INET6 &&
		       imsg(i)->id.idiag_src[3] == htonl(1) && v6only &&
		       *(unsigned char *)RTA_DATA(v6only) == 1 && find(listen_port, -1) < 0,
	       "index %d of %d", i, got.n);

	CHECK("state filter: listening",
	      inet_dump(fd, AF_INET, IPPROTO_TCP, 1 << TCP_LISTEN, 0, NULL, 0) == 0 &&
		      find(listen_port, 0) >= 0 && find(client_port, -1) < 0);
	CHECK("state filter: established",
	      inet_dump(fd, AF_INET, IPPROTO_TCP, 1 << TCP_ESTABLISHED, 0, NULL, 0) == 0 &&
		      find(listen_port, 0) < 0 && find(client_port, -1) >= 0 &&
		      find(listen_port, pending_port) >= 0);
	CHECK("state filter: none", inet_dump(fd, AF_INET, IPPROTO_TCP, 0, 0, NULL, 0) == 0 &&
					    got.n == 0);

	int tos = 0x10;
	MUST(setsockopt(c, IPPROTO_IP, IP_TOS, &tos, sizeof tos));
	int ext = (1 << (INET_DIAG_INFO - 1)) | (1 << (INET_DIAG_CONG - 1)) |
		  (1 << (INET_DIAG_MEMINFO - 1)) | (1 << (INET_DIAG_SKMEMINFO - 1)) |
		  (1 << (INET_DIAG_TOS - 1));
	CHECK("dump with extensions", inet_dump(fd, AF_INET, IPPROTO_TCP, ~0u, ext, NULL, 0) == 0);
	i = find(client_port, listen_port);
	struct rtattr *info = i >= 0 ? iattr(i, INET_DIAG_INFO) : NULL;
	CHECKF("INET_DIAG_INFO: tcp_info of an established connection",
	       info && RTA_PAYLOAD(info) >= 104 &&
		       ((struct tcp_info *)RTA_DATA(info))->tcpi_state == TCP_ESTABLISHED,
	       "index %d", i);
	struct rtattr *cong = i >= 0 ? iattr(i, INET_DIAG_CONG) : NULL;
	CHECK("INET_DIAG_CONG names the congestion control",
	      cong && RTA_PAYLOAD(cong) > 1 && strlen(RTA_DATA(cong)) == RTA_PAYLOAD(cong) - 1);
	struct rtattr *mem = i >= 0 ? iattr(i, INET_DIAG_MEMINFO) : NULL;
	struct rtattr *skmem = i >= 0 ? iattr(i, INET_DIAG_SKMEMINFO) : NULL;
	CHECK("INET_DIAG_MEMINFO and INET_DIAG_SKMEMINFO",
	      mem && RTA_PAYLOAD(mem) == sizeof(struct inet_diag_meminfo) && skmem &&
		      RTA_PAYLOAD(skmem) == SK_MEMINFO_VARS * 4 &&
		      ((__u32 *)RTA_DATA(skmem))[SK_MEMINFO_RCVBUF] > 0 &&
		      ((__u32 *)RTA_DATA(skmem))[SK_MEMINFO_SNDBUF] > 0);
	struct rtattr *t = i >= 0 ? iattr(i, INET_DIAG_TOS) : NULL;
	CHECK("INET_DIAG_TOS is IP_TOS", t && *(unsigned char *)RTA_DATA(t) == 0x10);
	i = find(listen_port, 0);
	info = i >= 0 ? iattr(i, INET_DIAG_INFO) : NULL;
	CHECK("INET_DIAG_INFO of the listener",
	      info && ((struct tcp_info *)RTA_DATA(info))->tcpi_state == TCP_LISTEN);
	CHECK("no INET_DIAG_INFO unasked",
	      inet_dump(fd, AF_INET, IPPROTO_TCP, ~0u, 0, NULL, 0) == 0 &&
		      !iattr(find(client_port, listen_port), INET_DIAG_INFO) &&
		      !iattr(find(client_port, listen_port), INET_DIAG_TOS));

	CHECK("dump AF_INET UDP",
	      inet_dump(fd, AF_INET, IPPROTO_UDP, ~0u, ext, NULL, 0) == 0);
	i = find(port_of(u), 0);
	CHECKF("UDP: the bound socket, TCP_CLOSE, without INET_DIAG_INFO",
	       i >= 0 && imsg(i)->idiag_state == TCP_CLOSE && imsg(i)->idiag_inode == ino_of(u) &&
		       !iattr(i, INET_DIAG_INFO) && iattr(i, INET_DIAG_SKMEMINFO),
	       "index %d", i);
	i = find(port_of(u2), port_of(u));
	CHECKF("UDP: the connected socket, TCP_ESTABLISHED",
	       i >= 0 && imsg(i)->idiag_state == TCP_ESTABLISHED && imsg(i)->idiag_inode == ino_of(u2),
	       "index %d", i);
	CHECK("UDP state filter",
	      inet_dump(fd, AF_INET, IPPROTO_UDP, 1 << TCP_ESTABLISHED, 0, NULL, 0) == 0 &&
		      find(port_of(u2), -1) >= 0 && find(port_of(u), -1) < 0);
}

/* raw_diag: raw sockets of a family, the protocol as their port. */
static void raw_sockets(int fd)
{
	int raw = MUST(socket(AF_INET, SOCK_RAW, IPPROTO_ICMP));
	int ext = 1 << (INET_DIAG_SKMEMINFO - 1);
	int e = inet_dump(fd, AF_INET, IPPROTO_RAW, 0, ext, NULL, 0);
	if (e == -ENOENT - 1000) {
		/* A kernel built without CONFIG_INET_RAW_DIAG (some hosts). */
		check_printf("skip raw_diag: this kernel has none\n");
		close(raw);
		return;
	}
	CHECK("dump AF_INET raw sockets", e == 0);
	int i = find(IPPROTO_ICMP, 0);
	struct rtattr *proto = i >= 0 ? iattr(i, INET_DIAG_PROTOCOL) : NULL;
	CHECKF("raw socket: its protocol, TCP_CLOSE, inode, owner",
	       i >= 0 && imsg(i)->idiag_state == TCP_CLOSE && imsg(i)->idiag_inode == ino_of(raw) &&
		       imsg(i)->idiag_uid == getuid() && proto &&
		       *(unsigned char *)RTA_DATA(proto) == IPPROTO_ICMP &&
		       iattr(i, INET_DIAG_SKMEMINFO),
	       "index %d of %d", i, got.n);
	CHECK("no raw socket in the AF_INET6 dump",
	      inet_dump(fd, AF_INET6, IPPROTO_RAW, ~0u, 0, NULL, 0) == 0 && find(IPPROTO_ICMP, 0) < 0);
	struct inet_diag_req_raw r = {
		.sdiag_family = AF_INET,
		.sdiag_protocol = IPPROTO_RAW,
		.sdiag_raw_protocol = IPPROTO_ICMP,
	};
	CHECK("exact lookup of the raw socket by its protocol",
	      ask(fd, SOCK_DIAG_BY_FAMILY, 0, &r, sizeof r, NULL, 0) == 0 && got.n == 1 &&
		      imsg(0)->idiag_inode == ino_of(raw));
	r.sdiag_raw_protocol = IPPROTO_IGMP;
	CHECK("exact lookup of a raw socket of another protocol: ENOENT",
	      ask(fd, SOCK_DIAG_BY_FAMILY, 0, &r, sizeof r, NULL, 0) == -ENOENT);
	close(raw);
}

static void exact(int fd)
{
	struct inet_diag_req_v2 r = {
		.sdiag_family = AF_INET,
		.sdiag_protocol = IPPROTO_TCP,
		.idiag_states = ~0u,
	};
	r.id.idiag_sport = htons(client_port);
	r.id.idiag_dport = htons(listen_port);
	r.id.idiag_src[0] = r.id.idiag_dst[0] = htonl(INADDR_LOOPBACK);
	r.id.idiag_cookie[0] = r.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	CHECK("exact lookup of the client",
	      ask(fd, SOCK_DIAG_BY_FAMILY, 0, &r, sizeof r, NULL, 0) == 0 && got.n == 1 &&
		      !(got.m[0]->nlmsg_flags & NLM_F_MULTI) &&
		      imsg(0)->idiag_inode == ino_of(c));
	unsigned cookie[2] = { imsg(0)->id.idiag_cookie[0], imsg(0)->id.idiag_cookie[1] };
	memcpy(r.id.idiag_cookie, cookie, sizeof cookie);
	CHECK("exact lookup with its cookie",
	      ask(fd, SOCK_DIAG_BY_FAMILY, 0, &r, sizeof r, NULL, 0) == 0 && got.n == 1 &&
		      imsg(0)->idiag_inode == ino_of(c));
	CHECK("exact lookup with NLM_F_ACK: the reply and an ack",
	      ask(fd, SOCK_DIAG_BY_FAMILY, NLM_F_ACK, &r, sizeof r, NULL, 0) == 0 && got.n == 1);
	r.id.idiag_cookie[0] ^= 0x5555;
	CHECK("exact lookup with another cookie: ENOENT",
	      ask(fd, SOCK_DIAG_BY_FAMILY, 0, &r, sizeof r, NULL, 0) == -ENOENT);
	r.id.idiag_cookie[0] = r.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	r.id.idiag_dport = htons(1);
	CHECK("exact lookup of no socket: ENOENT",
	      ask(fd, SOCK_DIAG_BY_FAMILY, 0, &r, sizeof r, NULL, 0) == -ENOENT);
	r.id.idiag_sport = htons(listen_port);
	CHECK("exact lookup finds the listener by its port",
	      ask(fd, SOCK_DIAG_BY_FAMILY, 0, &r, sizeof r, NULL, 0) == 0 && got.n == 1 &&
		      imsg(0)->idiag_inode == ino_of(l));
	r.sdiag_family = AF_INET6;
	memset(&r.id.idiag_src, 0, sizeof r.id.idiag_src);
	memset(&r.id.idiag_dst, 0, sizeof r.id.idiag_dst);
	r.id.idiag_src[2] = r.id.idiag_dst[2] = htonl(0xffff);
	r.id.idiag_src[3] = r.id.idiag_dst[3] = htonl(INADDR_LOOPBACK);
	r.id.idiag_sport = htons(client_port);
	r.id.idiag_dport = htons(listen_port);
	CHECK("exact lookup with v4-mapped addresses",
	      ask(fd, SOCK_DIAG_BY_FAMILY, 0, &r, sizeof r, NULL, 0) == 0 && got.n == 1 &&
		      imsg(0)->idiag_inode == ino_of(c));

	memset(&r, 0, sizeof r);
	r.sdiag_family = AF_INET;
	r.sdiag_protocol = IPPROTO_UDP;
	/* udp_dump_one looks up the receiver of a datagram from src to dst. */
	r.id.idiag_sport = htons(4242);
	r.id.idiag_dport = htons(port_of(u));
	r.id.idiag_src[0] = r.id.idiag_dst[0] = htonl(INADDR_LOOPBACK);
	r.id.idiag_cookie[0] = r.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	CHECK("exact lookup of the UDP socket by its address as the destination",
	      ask(fd, SOCK_DIAG_BY_FAMILY, 0, &r, sizeof r, NULL, 0) == 0 && got.n == 1 &&
		      imsg(0)->idiag_inode == ino_of(u));
	r.id.idiag_cookie[0] = 12345;
	CHECK("exact UDP lookup with another cookie: ESTALE",
	      ask(fd, SOCK_DIAG_BY_FAMILY, 0, &r, sizeof r, NULL, 0) == -ESTALE);
	r.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
	r.id.idiag_dport = htons(1);
	CHECK("exact UDP lookup of no socket: ENOENT",
	      ask(fd, SOCK_DIAG_BY_FAMILY, 0, &r, sizeof r, NULL, 0) == -ENOENT);
}

static void filters(int fd)
{
	struct hostcond4 h = port_cond(INET_DIAG_BC_S_COND, listen_port, 0);
	int n = filtered(fd, &h, sizeof h);
	CHECKF("bytecode sport = :PORT", n == 3 && find(listen_port, 0) >= 0 &&
						 find(listen_port, client_port) >= 0 &&
						 find(listen_port, pending_port) >= 0,
	       "%d sockets", n);
	h = port_cond(INET_DIAG_BC_D_COND, listen_port, 0);
	n = filtered(fd, &h, sizeof h);
	CHECKF("bytecode dport = :PORT",
	       n == 2 && find(client_port, listen_port) >= 0 && find(pending_port, listen_port) >= 0,
	       "%d sockets", n);
	/* not sport = :PORT: the condition, then a jump over the next op. */
	struct {
		struct hostcond4 h;
		struct inet_diag_bc_op jmp;
	} not = { port_cond(INET_DIAG_BC_S_COND, listen_port, 0), { INET_DIAG_BC_JMP, 4, 8 } };
	n = filtered(fd, &not, sizeof not);
	CHECKF("bytecode not sport = :PORT",
	       n == 2 && find(client_port, -1) >= 0 && find(pending_port, -1) >= 0, "%d sockets",
	       n);
	struct inet_diag_bc_op ge[2] = { { INET_DIAG_BC_S_GE, 8, 12 }, { 0, 0, listen_port } };
	struct inet_diag_bc_op le[2] = { { INET_DIAG_BC_S_LE, 8, 12 }, { 0, 0, listen_port } };
	struct inet_diag_bc_op eq[2] = { { INET_DIAG_BC_D_EQ, 8, 12 }, { 0, 0, listen_port } };
	int want_ge = 0, want_le = 0;
	MUST(inet_dump(fd, AF_INET, IPPROTO_TCP, ~0u, 0, NULL, 0));
	for (int k = 0; k < got.n; k++) {
		want_ge += ntohs(imsg(k)->id.idiag_sport) >= listen_port;
		want_le += ntohs(imsg(k)->id.idiag_sport) <= listen_port;
	}
	int n_ge = filtered(fd, ge, sizeof ge);
	int n_le = filtered(fd, le, sizeof le);
	CHECKF("bytecode sport >= and <=", n_ge == want_ge && n_le == want_le,
	       "%d and %d, want %d and %d", n_ge, n_le, want_ge, want_le);
	n = filtered(fd, eq, sizeof eq);
	CHECKF("bytecode INET_DIAG_BC_D_EQ", n == 2, "%d sockets", n);
	struct hostcond4 pfx = port_cond(INET_DIAG_BC_S_COND, -1, 0);
	pfx.cond.family = AF_INET;
	pfx.cond.prefix_len = 8;
	pfx.addr = htonl(0x7f000000);
	n = filtered(fd, &pfx, sizeof pfx);
	CHECKF("bytecode src 127.0.0.0/8", n >= 5, "%d sockets", n);
	pfx.addr = htonl(0x0a000000);
	n = filtered(fd, &pfx, sizeof pfx);
	CHECKF("bytecode src 10.0.0.0/8", n == 0, "%d sockets", n);
	/* sport = :A or sport = :B, as ss compiles an address list. */
	struct {
		struct hostcond4 a;
		struct inet_diag_bc_op jmp;
		struct hostcond4 b;
	} or = { port_cond(INET_DIAG_BC_S_COND, client_port, 0),
		 { INET_DIAG_BC_JMP, 4, 4 + sizeof(struct hostcond4) },
		 port_cond(INET_DIAG_BC_S_COND, pending_port, 0) };
	or.a.op.no = sizeof(struct hostcond4) + 4;
	n = filtered(fd, &or, sizeof or);
	CHECKF("bytecode sport = :A or sport = :B", n == 2, "%d sockets", n);

	struct inet_diag_bc_op bad1 = { 99, 4, 8 };
	CHECK("bytecode: unknown op is EINVAL (an ack, no dump)",
	      filtered(fd, &bad1, sizeof bad1) == -EINVAL);
	struct inet_diag_bc_op bad2[2] = { { INET_DIAG_BC_S_GE, 6, 12 }, { 0, 0, 1 } };
	CHECK("bytecode: misaligned jump is EINVAL", filtered(fd, bad2, sizeof bad2) == -EINVAL);
	struct inet_diag_bc_op bad3 = { INET_DIAG_BC_S_GE, 8, 12 };
	CHECK("bytecode: port comparison without its port is EINVAL",
	      filtered(fd, &bad3, sizeof bad3) == -EINVAL);
	struct hostcond4 bad4 = port_cond(INET_DIAG_BC_S_COND, 1, 0);
	bad4.cond.family = AF_INET;
	bad4.cond.prefix_len = 33;
	CHECK("bytecode: prefix longer than the address is EINVAL",
	      filtered(fd, &bad4, sizeof bad4) == -EINVAL);
	bad4.cond.prefix_len = 0;
	bad4.cond.family = 99;
	CHECK("bytecode: unknown address family is EINVAL",
	      filtered(fd, &bad4, sizeof bad4) == -EINVAL);
	CHECK("bytecode: too short is EINVAL", filtered(fd, &bad1, 2) == -EINVAL);
	struct inet_diag_bc_op nop[2] = { { INET_DIAG_BC_NOP, 4, 0 }, { INET_DIAG_BC_NOP, 4, 0 } };
	n = filtered(fd, nop, sizeof nop);
	CHECKF("bytecode of NOPs passes everything", n >= 5, "%d", n);
	struct inet_diag_bc_op fail[2] = { { INET_DIAG_BC_JMP, 4, 8 }, { INET_DIAG_BC_NOP, 4, 0 } };
	n = filtered(fd, fail, sizeof fail);
	CHECKF("bytecode jumping to its end passes", n >= 5, "%d", n);
	struct inet_diag_bc_op over[1] = { { INET_DIAG_BC_JMP, 4, 12 } };
	CHECK("bytecode: jump past the end is EINVAL", filtered(fd, over, sizeof over) == -EINVAL);
}

static void time_wait(int fd)
{
	int s = tcp_listener(1);
	int p = port_of(s);
	int k = tcp_connect(p);
	int kp = port_of(k);
	int acc = MUST(accept(s, NULL, NULL));
	close(k);
	sleep_ms(50);
	close(acc);
	close(s);
	int i = -1;
	for (int tries = 0; tries < 40 && i < 0; tries++) {
		sleep_ms(50);
		if (inet_dump(fd, AF_INET, IPPROTO_TCP, 1 << TCP_TIME_WAIT, 0, NULL, 0) == 0)
			i = find(kp, p);
	}
	CHECKF("TIME_WAIT: the closed connection, without inode or owner",
	       i >= 0 && imsg(i)->idiag_state == TCP_TIME_WAIT && imsg(i)->idiag_inode == 0 &&
		       imsg(i)->idiag_uid == 0 && imsg(i)->idiag_timer == 3,
	       "index %d", i);
}

static void malformed(int fd)
{
	struct inet_diag_req_v2 r = { .sdiag_family = AF_INET, .sdiag_protocol = IPPROTO_TCP };
	CHECK("request shorter than sock_diag_req: EINVAL",
	      ask(fd, SOCK_DIAG_BY_FAMILY, NLM_F_DUMP, &r, 1, NULL, 0) == -EINVAL);
	CHECK("inet request shorter than inet_diag_req_v2: EINVAL",
	      ask(fd, SOCK_DIAG_BY_FAMILY, NLM_F_DUMP, &r, 8, NULL, 0) == -EINVAL);
	r.sdiag_family = 46;
	CHECK("family AF_MAX: EINVAL",
	      ask(fd, SOCK_DIAG_BY_FAMILY, NLM_F_DUMP, &r, sizeof r, NULL, 0) == -EINVAL);
	r.sdiag_family = 3;
	CHECK("family without sock_diag: ENOENT",
	      ask(fd, SOCK_DIAG_BY_FAMILY, NLM_F_DUMP, &r, sizeof r, NULL, 0) == -ENOENT);
	r.sdiag_family = AF_INET;
	CHECK("unknown message type: EINVAL",
	      ask(fd, 99, NLM_F_DUMP, &r, sizeof r, NULL, 0) == -EINVAL);
	r.sdiag_protocol = 200;
	CHECK("unknown protocol: the dump ends with ENOENT",
	      inet_dump(fd, AF_INET, 200, ~0u, 0, NULL, 0) == -ENOENT - 1000);
	CHECK("exact lookup of an unknown protocol: ENOENT",
	      ask(fd, SOCK_DIAG_BY_FAMILY, 0, &r, sizeof r, NULL, 0) == -ENOENT);
	struct unix_diag_req ur = { .sdiag_family = AF_UNIX };
	CHECK("SOCK_DESTROY of a Unix socket: EOPNOTSUPP",
	      ask(fd, SOCK_DESTROY, 0, &ur, sizeof ur, NULL, 0) == -EOPNOTSUPP);
	CHECK("unix request shorter than unix_diag_req: EINVAL",
	      ask(fd, SOCK_DIAG_BY_FAMILY, NLM_F_DUMP, &ur, 8, NULL, 0) == -EINVAL);

	/* INET_DIAG_REQ_PROTOCOL replaces sdiag_protocol (ss asks for MPTCP so). */
	char attrs[16];
	struct rtattr *pa = (struct rtattr *)attrs;
	pa->rta_type = INET_DIAG_REQ_PROTOCOL;
	pa->rta_len = RTA_LENGTH(4);
	*(__u32 *)RTA_DATA(pa) = IPPROTO_UDP;
	/* (Port numbers of TCP and UDP may coincide: look at the inodes.) */
	int pr = inet_dump(fd, AF_INET, IPPROTO_TCP, ~0u, 0, attrs, RTA_SPACE(4));
	int ino_u = 0, ino_l = 0;
	for (int k = 0; k < got.n; k++) {
		ino_u |= imsg(k)->idiag_inode == ino_of(u);
		ino_l |= imsg(k)->idiag_inode == ino_of(l);
	}
	CHECKF("INET_DIAG_REQ_PROTOCOL chooses the protocol", pr == 0 && ino_u && !ino_l,
	       "result %d, %d sockets", pr, got.n);
	*(__u32 *)RTA_DATA(pa) = 262;
	CHECK("INET_DIAG_REQ_PROTOCOL 262 (MPTCP) the kernel lacks: ENOENT",
	      inet_dump(fd, AF_INET, IPPROTO_TCP & 0xff, ~0u, 0, attrs, RTA_SPACE(4)) == -ENOENT - 1000 ||
		      (got.n == 0));
	pa->rta_len = RTA_LENGTH(2);
	CHECK("INET_DIAG_REQ_PROTOCOL of 2 bytes: EINVAL",
	      inet_dump(fd, AF_INET, IPPROTO_TCP, ~0u, 0, attrs, RTA_SPACE(2)) == -EINVAL);

	/* The request of old programs (and of ss without a family): TCPDIAG_GETSOCK. */
	struct inet_diag_req old = { .idiag_family = AF_INET, .idiag_states = ~0u };
	CHECK("TCPDIAG_GETSOCK dump of every family",
	      ask(fd, TCPDIAG_GETSOCK, NLM_F_DUMP, &old, sizeof old, NULL, 0) == 0 &&
		      find(listen_port, 0) >= 0 && find(port_of(l6), 0) >= 0);
	CHECK("TCPDIAG_GETSOCK shorter than inet_diag_req: EINVAL",
	      ask(fd, TCPDIAG_GETSOCK, NLM_F_DUMP, &old, 20, NULL, 0) == -EINVAL);
	/* A message the kernel does not answer (no NLM_F_REQUEST) is ignored. */
	char out[64] = { 0 };
	struct nlmsghdr *h = (struct nlmsghdr *)out;
	h->nlmsg_len = NLMSG_LENGTH(sizeof r);
	h->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	h->nlmsg_flags = NLM_F_ACK;
	h->nlmsg_seq = ++seq;
	MUST(send(fd, out, h->nlmsg_len, 0));
	int n = recv(fd, rbuf, sizeof rbuf, 0);
	h = (struct nlmsghdr *)rbuf;
	CHECK("a message without NLM_F_REQUEST is only acked",
	      n > 0 && h->nlmsg_type == NLMSG_ERROR && ((struct nlmsgerr *)NLMSG_DATA(h))->error == 0);
}

/* Runs in a child as uid 1000: a user sees every socket. */
static void as_user(int fd_unused)
{
	(void)fd_unused;
	int sync[2], done[2];
	MUST(pipe(sync));
	MUST(pipe(done));
	pid_t pid = MUST(fork());
	if (pid == 0) {
		if (setgid(1000) || setuid(1000))
			_exit(2);
		int fd = diag_socket();
		int mine = tcp_listener(2);
		int port = port_of(mine);
		int e = inet_dump(fd, AF_INET, IPPROTO_TCP, ~0u, 0, NULL, 0);
		int i = find(listen_port, 0), j = find(port, 0);
		int ok = e == 0 && i >= 0 && j >= 0 && imsg(i)->idiag_uid == 0 &&
			 imsg(i)->idiag_inode == ino_of(l) && imsg(j)->idiag_uid == 1000 &&
			 !iattr(i, INET_DIAG_MARK);
		struct {
			struct inet_diag_bc_op op;
			struct inet_diag_markcond m;
		} mark = { { INET_DIAG_BC_MARK_COND, 12, 16 }, { 0, 0 } };
		int eperm = filtered(fd, &mark, sizeof mark) == -EPERM;
		char msg[2] = { ok ? 'y' : 'n', eperm ? 'y' : 'n' };
		char portbuf[8];
		snprintf(portbuf, sizeof portbuf, "%05d", port);
		if (write(sync[1], msg, 2) != 2 || write(sync[1], portbuf, 5) != 5)
			_exit(3);
		char x;
		if (read(done[0], &x, 1) != 1)
			_exit(4);
		_exit(0);
	}
	char msg[2], portbuf[6] = { 0 };
	MUST(read(sync[0], msg, 2));
	MUST(read(sync[0], portbuf, 5));
	CHECK("a user dumps every socket, with owners, without INET_DIAG_MARK", msg[0] == 'y');
	CHECK("INET_DIAG_BC_MARK_COND needs CAP_NET_ADMIN: EPERM", msg[1] == 'y');
	int fd = diag_socket();
	int e = inet_dump(fd, AF_INET, IPPROTO_TCP, 1 << TCP_LISTEN, 0, NULL, 0);
	int j = find(atoi(portbuf), 0);
	CHECK("the user's listener carries its uid", e == 0 && j >= 0 && imsg(j)->idiag_uid == 1000);
	close(fd);
	MUST(write(done[1], "x", 1));
	int st;
	MUST(waitpid(pid, &st, 0));
	CHECK("the user's child exited 0", WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static int unix_dump(int fd, unsigned states, unsigned show)
{
	struct unix_diag_req r = {
		.sdiag_family = AF_UNIX,
		.udiag_states = states,
		.udiag_show = show,
	};
	return ask(fd, SOCK_DIAG_BY_FAMILY, NLM_F_DUMP, &r, sizeof r, NULL, 0);
}

static struct unix_diag_msg *umsg(int i)
{
	return NLMSG_DATA(got.m[i]);
}

static struct rtattr *uattr(int i, int type)
{
	return attr_of(i, sizeof(struct unix_diag_msg), type);
}

static int ufind(unsigned long ino)
{
	for (int i = 0; i < got.n; i++)
		if (umsg(i)->udiag_ino == ino)
			return i;
	return -1;
}

static __u32 u32_attr(int i, int type)
{
	struct rtattr *a = uattr(i, type);
	return a ? *(__u32 *)RTA_DATA(a) : 0xdeadbeef;
}

static char path[108], abstract[32];
static int ul, uc, p[2], ud, ud2;

static void unix_dumps(int fd)
{
	snprintf(path, sizeof path, "/tmp/sockdiag-%d.sock", getpid());
	unlink(path);
	ul = MUST(socket(AF_UNIX, SOCK_STREAM, 0));
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	strcpy(sun.sun_path, path);
	MUST(bind(ul, (struct sockaddr *)&sun, sizeof sun));
	MUST(listen(ul, 4));
	uc = MUST(socket(AF_UNIX, SOCK_STREAM, 0));
	MUST(connect(uc, (struct sockaddr *)&sun, sizeof sun));
	MUST(socketpair(AF_UNIX, SOCK_STREAM, 0, p));
	int alen = snprintf(abstract, sizeof abstract, "%csockdiag-%d", 0, getpid());
	ud = MUST(socket(AF_UNIX, SOCK_DGRAM, 0));
	struct sockaddr_un ab = { .sun_family = AF_UNIX };
	memcpy(ab.sun_path, abstract, alen);
	MUST(bind(ud, (struct sockaddr *)&ab, offsetof(struct sockaddr_un, sun_path) + alen));
	ud2 = MUST(socket(AF_UNIX, SOCK_DGRAM, 0));
	MUST(connect(ud2, (struct sockaddr *)&ab, offsetof(struct sockaddr_un, sun_path) + alen));
	struct stat st;
	MUST(stat(path, &st));

	unsigned show = UDIAG_SHOW_NAME | UDIAG_SHOW_VFS | UDIAG_SHOW_PEER | UDIAG_SHOW_ICONS |
			UDIAG_SHOW_RQLEN | UDIAG_SHOW_UID;
	CHECK("unix dump", unix_dump(fd, ~0u, show) == 0);
	int i = ufind(ino_of(ul));
	struct rtattr *name = i >= 0 ? uattr(i, UNIX_DIAG_NAME) : NULL;
	CHECKF("unix listener: type, state, name",
	       i >= 0 && umsg(i)->udiag_type == SOCK_STREAM && umsg(i)->udiag_state == TCP_LISTEN &&
		       name && RTA_PAYLOAD(name) == strlen(path) + 1 &&
		       memcmp(RTA_DATA(name), path, strlen(path) + 1) == 0,
	       "index %d", i);
	struct rtattr *vfs = i >= 0 ? uattr(i, UNIX_DIAG_VFS) : NULL;
	struct unix_diag_vfs *v = vfs ? RTA_DATA(vfs) : NULL;
	unsigned kdev = (major(st.st_dev) << 20) | minor(st.st_dev);
	CHECKF("UNIX_DIAG_VFS: the socket file's inode and device",
	       v && v->udiag_vfs_ino == st.st_ino && v->udiag_vfs_dev == kdev,
	       "ino %u dev %x (want %lu %x)", v ? v->udiag_vfs_ino : 0, v ? v->udiag_vfs_dev : 0,
	       st.st_ino, kdev);
	struct rtattr *icons = i >= 0 ? uattr(i, UNIX_DIAG_ICONS) : NULL;
	CHECK("UNIX_DIAG_ICONS: the pending client",
	      icons && RTA_PAYLOAD(icons) == 4 && *(__u32 *)RTA_DATA(icons) == ino_of(uc));
	struct rtattr *rq = i >= 0 ? uattr(i, UNIX_DIAG_RQLEN) : NULL;
	struct unix_diag_rqlen *q = rq ? RTA_DATA(rq) : NULL;
	CHECK("UNIX_DIAG_RQLEN of a listener: pending and backlog",
	      q && q->udiag_rqueue == 1 && q->udiag_wqueue == 4);
	CHECK("UNIX_DIAG_UID and UNIX_DIAG_SHUTDOWN",
	      u32_attr(i, UNIX_DIAG_UID) == getuid() && uattr(i, UNIX_DIAG_SHUTDOWN));
	i = ufind(ino_of(uc));
	CHECKF("the client of a connection not accepted: its peer has no inode",
	       i >= 0 && umsg(i)->udiag_state == TCP_ESTABLISHED && u32_attr(i, UNIX_DIAG_PEER) == 0 &&
		       !uattr(i, UNIX_DIAG_NAME),
	       "index %d", i);
	CHECK("no socket without an inode in the dump", ufind(0) < 0);
	i = ufind(ino_of(p[0]));
	int j = ufind(ino_of(p[1]));
	CHECK("socketpair: each end's UNIX_DIAG_PEER is the other",
	      i >= 0 && j >= 0 && u32_attr(i, UNIX_DIAG_PEER) == ino_of(p[1]) &&
		      u32_attr(j, UNIX_DIAG_PEER) == ino_of(p[0]) && umsg(i)->udiag_state == TCP_ESTABLISHED);
	i = ufind(ino_of(ud));
	name = i >= 0 ? uattr(i, UNIX_DIAG_NAME) : NULL;
	CHECK("abstract name: every byte, the leading NUL too",
	      name && RTA_PAYLOAD(name) == (unsigned)alen &&
		      memcmp(RTA_DATA(name), abstract, alen) == 0 &&
		      umsg(i)->udiag_type == SOCK_DGRAM);
	CHECKF("a datagram socket another connected to is TCP_ESTABLISHED, without a peer",
	       umsg(i)->udiag_state == TCP_ESTABLISHED && !uattr(i, UNIX_DIAG_PEER), "state %d",
	       umsg(i)->udiag_state);
	j = ufind(ino_of(ud2));
	CHECK("connected datagram socket: its peer",
	      j >= 0 && u32_attr(j, UNIX_DIAG_PEER) == ino_of(ud) &&
		      umsg(j)->udiag_state == TCP_ESTABLISHED);
	struct rtattr *rq2 = j >= 0 ? uattr(j, UNIX_DIAG_RQLEN) : NULL;
	CHECK("UNIX_DIAG_RQLEN of a datagram socket", rq2 && RTA_PAYLOAD(rq2) == 8);
	CHECK("unix state filter: listening",
	      unix_dump(fd, 1 << TCP_LISTEN, 0) == 0 && got.n >= 1 && ufind(ino_of(ul)) >= 0 &&
		      ufind(ino_of(uc)) < 0 && !uattr(0, UNIX_DIAG_NAME));

	struct unix_diag_req r = {
		.sdiag_family = AF_UNIX,
		.udiag_ino = ino_of(ul),
		.udiag_show = UDIAG_SHOW_NAME,
		.udiag_cookie = { INET_DIAG_NOCOOKIE, INET_DIAG_NOCOOKIE },
	};
	CHECK("unix exact lookup by inode",
	      ask(fd, SOCK_DIAG_BY_FAMILY, 0, &r, sizeof r, NULL, 0) == 0 && got.n == 1 &&
		      umsg(0)->udiag_ino == ino_of(ul) && uattr(0, UNIX_DIAG_NAME));
	r.udiag_cookie[0] = umsg(0)->udiag_cookie[0];
	r.udiag_cookie[1] = umsg(0)->udiag_cookie[1];
	CHECK("unix exact lookup with its cookie",
	      ask(fd, SOCK_DIAG_BY_FAMILY, 0, &r, sizeof r, NULL, 0) == 0 && got.n == 1);
	r.udiag_cookie[0] ^= 1;
	CHECK("unix exact lookup with another cookie: ESTALE",
	      ask(fd, SOCK_DIAG_BY_FAMILY, 0, &r, sizeof r, NULL, 0) == -ESTALE);
	r.udiag_ino = 0;
	CHECK("unix exact lookup of inode 0: EINVAL",
	      ask(fd, SOCK_DIAG_BY_FAMILY, 0, &r, sizeof r, NULL, 0) == -EINVAL);
	r.udiag_ino = 0x7ffffff0;
	CHECK("unix exact lookup of no socket: ENOENT",
	      ask(fd, SOCK_DIAG_BY_FAMILY, 0, &r, sizeof r, NULL, 0) == -ENOENT);
}

/* Returns the line of /proc/net/unix whose inode is INO (or NULL). */
static char unixfile[1 << 16];
static char *unix_line(unsigned long ino, const char *suffix)
{
	char want[64];
	snprintf(want, sizeof want, " %5lu%s", ino, suffix);
	for (char *line = strchr(unixfile, '\n'); line; line = strchr(line, '\n')) {
		line++;
		char *end = strchr(line, '\n');
		if (!end)
			break;
		size_t len = end - line, wl = strlen(want);
		if (len > wl && memcmp(end - wl, want, wl) == 0)
			return line;
	}
	return NULL;
}

static void proc_net_unix(void)
{
	int f = MUST(open("/proc/net/unix", O_RDONLY));
	int n = 0, k;
	while ((k = read(f, unixfile + n, sizeof unixfile - 1 - n)) > 0)
		n += k;
	unixfile[n] = 0;
	close(f);
	CHECK("/proc/net/unix header",
	      strncmp(unixfile, "Num       RefCount Protocol Flags    Type St Inode Path\n", 56) == 0);
	char suffix[160];
	snprintf(suffix, sizeof suffix, " %s", path);
	char *line = unix_line(ino_of(ul), suffix);
	CHECKF("/proc/net/unix: the listener (__SO_ACCEPTCON, SOCK_STREAM, SS_UNCONNECTED, path)",
	       line && strncmp(line + 16, ": 00000002 00000000 00010000 0001 01 ", 37) == 0,
	       "%.100s", line ? line : "(none)");
	line = unix_line(ino_of(p[0]), "");
	CHECKF("/proc/net/unix: a socketpair end (SS_CONNECTED)",
	       line && strncmp(line + 16, ": 00000003 00000000 00000000 0001 03 ", 37) == 0,
	       "%.100s", line ? line : "(none)");
	snprintf(suffix, sizeof suffix, " @sockdiag-%d", getpid());
	line = unix_line(ino_of(ud), suffix);
	CHECKF("/proc/net/unix: the abstract name with @",
	       line && strncmp(line + 16, ": 00000003 00000000 00000000 0002 03 ", 37) == 0,
	       "%.100s", line ? line : "(none)");
	snprintf(suffix, sizeof suffix, " %s", path);
	line = unix_line(0, suffix);
	CHECKF("/proc/net/unix: the connection not accepted (SS_CONNECTING, no inode)",
	       line && strncmp(line + 16, ": 00000003 00000000 00000000 0001 02 ", 37) == 0,
	       "%.100s", line ? line : "(none)");
}

static void after_accept(int fd)
{
	int acc = MUST(accept(ul, NULL, NULL));
	CHECK("unix dump after accept", unix_dump(fd, ~0u, UDIAG_SHOW_PEER | UDIAG_SHOW_ICONS |
							       UDIAG_SHOW_NAME) == 0);
	int i = ufind(ino_of(ul)), j = ufind(ino_of(acc)), k = ufind(ino_of(uc));
	struct rtattr *icons = i >= 0 ? uattr(i, UNIX_DIAG_ICONS) : NULL;
	struct rtattr *name = j >= 0 ? uattr(j, UNIX_DIAG_NAME) : NULL;
	CHECK("the listener has no pending connection", icons && RTA_PAYLOAD(icons) == 0);
	CHECK("the accepted end: the listener's name and the client as peer",
	      j >= 0 && k >= 0 && name && RTA_PAYLOAD(name) == strlen(path) + 1 &&
		      u32_attr(j, UNIX_DIAG_PEER) == ino_of(uc) &&
		      u32_attr(k, UNIX_DIAG_PEER) == ino_of(acc));
	close(acc);
	unlink(path);
}

/* netlink_diag: the kernel's sockets and a program's, by port id. */
static void netlink_sockets(int fd)
{
	struct sockaddr_nl me;
	socklen_t len = sizeof me;
	MUST(getsockname(fd, (struct sockaddr *)&me, &len));
	int rt = MUST(socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE));
	struct sockaddr_nl grp = { .nl_family = AF_NETLINK, .nl_groups = 1 };
	MUST(bind(rt, (struct sockaddr *)&grp, sizeof grp));
	MUST(getsockname(rt, (struct sockaddr *)&grp, &len));
	struct netlink_diag_req r = {
		.sdiag_family = AF_NETLINK,
		.sdiag_protocol = NDIAG_PROTO_ALL,
		.ndiag_show = NDIAG_SHOW_GROUPS | NDIAG_SHOW_MEMINFO,
	};
	CHECK("netlink dump", ask(fd, SOCK_DIAG_BY_FAMILY, NLM_F_DUMP, &r, sizeof r, NULL, 0) == 0);
	int kernel = 0, mine = 0, route = 0;
	for (int i = 0; i < got.n; i++) {
		struct netlink_diag_msg *m = NLMSG_DATA(got.m[i]);
		struct rtattr *g = attr_of(i, sizeof *m, NETLINK_DIAG_GROUPS);
		kernel |= m->ndiag_protocol == NETLINK_ROUTE && m->ndiag_portid == 0;
		mine |= m->ndiag_protocol == NETLINK_SOCK_DIAG && m->ndiag_portid == me.nl_pid &&
			m->ndiag_ino == ino_of(fd) && attr_of(i, sizeof *m, NETLINK_DIAG_MEMINFO);
		route |= m->ndiag_protocol == NETLINK_ROUTE && m->ndiag_portid == grp.nl_pid &&
			 m->ndiag_ino == ino_of(rt) && g && RTA_PAYLOAD(g) >= 4 &&
			 (*(__u32 *)RTA_DATA(g) & 1);
	}
	CHECK("netlink dump: the kernel's rtnetlink socket", kernel);
	CHECK("netlink dump: this socket, by port id and inode", mine);
	CHECK("netlink dump: a NETLINK_ROUTE socket with its group", route);
	r.sdiag_protocol = NETLINK_ROUTE;
	CHECK("netlink dump of one protocol",
	      ask(fd, SOCK_DIAG_BY_FAMILY, NLM_F_DUMP, &r, sizeof r, NULL, 0) == 0 && got.n >= 2 &&
		      ((struct netlink_diag_msg *)NLMSG_DATA(got.m[0]))->ndiag_protocol == NETLINK_ROUTE);
	r.sdiag_protocol = 40;
	CHECK("netlink dump of protocol 40: ENOENT",
	      ask(fd, SOCK_DIAG_BY_FAMILY, NLM_F_DUMP, &r, sizeof r, NULL, 0) == -ENOENT - 1000);
	CHECK("netlink lookup without NLM_F_DUMP: EOPNOTSUPP",
	      ask(fd, SOCK_DIAG_BY_FAMILY, 0, &r, sizeof r, NULL, 0) == -EOPNOTSUPP);
	close(rt);
}

int main(void)
{
	lo_up();
	int fd = diag_socket();
	CHECK("socket SOCK_DGRAM NETLINK_SOCK_DIAG",
	      close(MUST(socket(AF_NETLINK, SOCK_DGRAM, NETLINK_SOCK_DIAG))) == 0);
	tcp_dumps(fd);
	raw_sockets(fd);
	exact(fd);
	filters(fd);
	time_wait(fd);
	malformed(fd);
	as_user(fd);
	unix_dumps(fd);
	proc_net_unix();
	after_accept(fd);
	netlink_sockets(fd);
	return check_done();
}
