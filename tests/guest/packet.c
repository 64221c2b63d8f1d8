/*
 * Checks packet sockets (packet(7): AF_PACKET, SOCK_RAW and SOCK_DGRAM) on
 * the loopback interface: who may make them (CAP_NET_RAW, EPERM), bind and
 * getsockname (sockaddr_ll), the frames of a UDP datagram over 127.0.0.1
 * as ETH_P_ALL sees them (sent, then received) and as ETH_P_IP sees them
 * (received only, from the IP header on), the sender's address of each,
 * PACKET_AUXDATA, MSG_TRUNC and MSG_PEEK, FIONREAD and poll, frames
 * written by a packet socket (an IPv4 datagram a UDP socket receives, a
 * frame of a protocol of its own, a SOCK_DGRAM send that gets lo's link
 * header), PACKET_IGNORE_OUTGOING, classic BPF filters (SO_ATTACH_FILTER,
 * SO_DETACH_FILTER, SO_LOCK_FILTER; a filter's return cutting frames),
 * PACKET_STATISTICS with drops past SO_RCVBUF, memberships, versions,
 * /proc/net/packet, and the errno of every bad address, length and option
 * tried.
 *
 * Runs as root; a child drops to uid 65534 for the permission check.
 * Natively: unshare -n ./packet (lo starts down there, as here).
 */
#include "check.h"
#include "lo.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define ETH_P_TEST 0x88b5 /* IEEE 802 local experimental */
#define LO 1

static unsigned char buf[70000];

static struct sockaddr_ll lo_addr(uint16_t proto)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET,
				   .sll_protocol = htons(proto),
				   .sll_ifindex = LO,
				   .sll_halen = 6 };
	return sll;
}

static int packet_socket(int type, uint16_t proto)
{
	int s = socket(AF_PACKET, type | SOCK_NONBLOCK, htons(proto));
	struct sockaddr_ll sll = lo_addr(proto);
	if (s >= 0 && bind(s, (struct sockaddr *)&sll, sizeof sll) != 0) {
		close(s);
		return -1;
	}
	return s;
}

/* Sends LEN bytes of "x" over UDP from 127.0.0.1 to 127.0.0.1:PORT, where
 * a socket receives them (no ICMP error comes back). */
static void udp_send(int port, size_t len)
{
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	int r = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	bind(r, (struct sockaddr *)&to, sizeof to);
	memset(buf, 'x', len);
	sendto(u, buf, len, 0, (struct sockaddr *)&to, sizeof to);
	close(u);
	close(r);
}

/* Receives one frame without waiting; returns its length or -1. */
static ssize_t recv_ll(int s, struct sockaddr_ll *from, socklen_t *len, int flags)
{
	*len = sizeof *from;
	return recvfrom(s, buf, sizeof buf, flags | MSG_DONTWAIT,
			(struct sockaddr *)from, len);
}

/* Returns how many frames wait on S (and takes them). */
static int drain(int s)
{
	int n = 0;
	while (recv(s, buf, sizeof buf, MSG_DONTWAIT) >= 0)
		n++;
	return n;
}

/* Returns the Internet checksum of LEN bytes at P added to SUM. */
static uint16_t csum(const void *p, size_t len, uint32_t sum)
{
	const unsigned char *b = p;
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (len & 1)
		sum += (uint32_t)(b[len - 1] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

/* Builds in F an lo frame carrying an IPv4 UDP datagram of "hi!" from
 * 127.0.0.1:9 to 127.0.0.1:PORT; returns its length. */
static size_t ipv4_frame(unsigned char *f, int port)
{
	memset(f, 0, 14 + 20 + 8);
	f[12] = 0x08;
	unsigned char *ip = f + 14;
	ip[0] = 0x45;
	ip[3] = 20 + 8 + 3;
	ip[8] = 64;
	ip[9] = IPPROTO_UDP;
	ip[12] = 127, ip[15] = 1;
	ip[16] = 127, ip[19] = 1;
	uint16_t c = csum(ip, 20, 0);
	memcpy(ip + 10, &c, 2);
	unsigned char *udp = ip + 20;
	udp[1] = 9;
	udp[2] = (unsigned char)(port >> 8), udp[3] = (unsigned char)port;
	udp[5] = 8 + 3; /* no checksum (IPv4 allows it) */
	memcpy(udp + 8, "hi!", 3);
	return 14 + 20 + 8 + 3;
}

/* Builds in F an lo frame carrying an IPv6 UDP datagram of "hi!" from
 * [::1]:9 to [::1]:PORT; returns its length. */
static size_t ipv6_frame(unsigned char *f, int port)
{
	memset(f, 0, 14 + 40 + 8);
	f[12] = 0x86, f[13] = 0xdd;
	unsigned char *ip = f + 14;
	ip[0] = 0x60;
	ip[5] = 8 + 3;
	ip[6] = IPPROTO_UDP;
	ip[7] = 64;
	ip[23] = 1, ip[39] = 1;
	unsigned char *udp = ip + 40;
	udp[1] = 9;
	udp[2] = (unsigned char)(port >> 8), udp[3] = (unsigned char)port;
	udp[5] = 8 + 3;
	memcpy(udp + 8, "hi!", 3);
	/* The pseudo-header: addresses, length, next header. */
	uint32_t sum = 1 + 1 + (8 + 3) + IPPROTO_UDP;
	uint16_t c = csum(udp, 8 + 3, sum);
	memcpy(udp + 6, &c, 2);
	return 14 + 40 + 8 + 3;
}

static void permissions(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		if (setuid(65534) != 0)
			_exit(2);
		errno = 0;
		int s = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
		_exit(s == -1 && errno == EPERM ? 0 : 1);
	}
	int st;
	waitpid(pid, &st, 0);
	CHECK("a user without CAP_NET_RAW gets EPERM",
	      WIFEXITED(st) && WEXITSTATUS(st) == 0);
	errno = 0;
	CHECK("SOCK_STREAM is ESOCKTNOSUPPORT",
	      socket(AF_PACKET, SOCK_STREAM, 0) == -1 && errno == ESOCKTNOSUPPORT);
}

static void bind_while_down(void)
{
	int s = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	struct sockaddr_ll sll = lo_addr(ETH_P_ALL);
	CHECK_SYS("bind to lo while it is down", bind(s, (struct sockaddr *)&sll, sizeof sll));
	int err = 0;
	socklen_t len = sizeof err;
	getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len);
	CHECKF("which leaves ENETDOWN pending", err == ENETDOWN, "SO_ERROR %d", err);
	close(s);
}

static void addresses(void)
{
	int s = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	struct sockaddr_ll sll;
	socklen_t len = sizeof sll;
	CHECK_SYS("getsockname unbound", getsockname(s, (struct sockaddr *)&sll, &len));
	CHECKF("names no interface", len == 12 && sll.sll_ifindex == 0 &&
	       sll.sll_protocol == htons(ETH_P_ALL), "len %u ifindex %d", len, sll.sll_ifindex);
	int proto = 0;
	len = sizeof proto;
	getsockopt(s, SOL_SOCKET, SO_PROTOCOL, &proto, &len);
	/* Linux never sets a packet socket's sk_protocol. */
	CHECKF("SO_PROTOCOL is 0", proto == 0, "%#x", proto);

	struct sockaddr_ll b = lo_addr(0);
	errno = 0;
	CHECK("bind with a short address is EINVAL",
	      bind(s, (struct sockaddr *)&b, 12) == -1 && errno == EINVAL);
	b.sll_family = AF_INET;
	errno = 0;
	CHECK("bind of another family is EINVAL",
	      bind(s, (struct sockaddr *)&b, sizeof b) == -1 && errno == EINVAL);
	b = lo_addr(0);
	b.sll_ifindex = 999;
	errno = 0;
	CHECK("bind to no device is ENODEV",
	      bind(s, (struct sockaddr *)&b, sizeof b) == -1 && errno == ENODEV);
	b = lo_addr(0);
	CHECK_SYS("bind to lo keeping the protocol", bind(s, (struct sockaddr *)&b, sizeof b));
	len = sizeof sll;
	memset(&sll, 0xaa, sizeof sll);
	getsockname(s, (struct sockaddr *)&sll, &len);
	CHECKF("getsockname names lo", len == 18 && sll.sll_family == AF_PACKET &&
	       sll.sll_ifindex == LO && sll.sll_hatype == 772 && sll.sll_halen == 6 &&
	       sll.sll_protocol == htons(ETH_P_ALL) && sll.sll_pkttype == 0,
	       "len %u ifindex %d hatype %d halen %d", len, sll.sll_ifindex,
	       sll.sll_hatype, sll.sll_halen);
	errno = 0;
	CHECK("getpeername is EOPNOTSUPP",
	      getpeername(s, (struct sockaddr *)&sll, &len) == -1 && errno == EOPNOTSUPP);
	errno = 0;
	CHECK("connect is EOPNOTSUPP",
	      connect(s, (struct sockaddr *)&b, sizeof b) == -1 && errno == EOPNOTSUPP);
	errno = 0;
	CHECK("shutdown is EOPNOTSUPP", shutdown(s, SHUT_RD) == -1 && errno == EOPNOTSUPP);
	close(s);
}

static void udp_frames(void)
{
	int all = packet_socket(SOCK_RAW, ETH_P_ALL);
	int ip = packet_socket(SOCK_DGRAM, ETH_P_IP);
	int other = packet_socket(SOCK_RAW, ETH_P_TEST);
	CHECK("SOCK_RAW ETH_P_ALL, SOCK_DGRAM ETH_P_IP", all >= 0 && ip >= 0 && other >= 0);
	int on = 1;
	CHECK_SYS("PACKET_AUXDATA", setsockopt(ip, SOL_PACKET, PACKET_AUXDATA, &on, sizeof on));
	udp_send(5001, 5);

	struct pollfd p = { .fd = all, .events = POLLIN };
	CHECK("poll sees the frames", poll(&p, 1, 1000) == 1 && (p.revents & POLLIN));
	int inq = 0;
	CHECKF("FIONREAD is the next frame's length",
	       ioctl(all, FIONREAD, &inq) == 0 && inq == 47, "%d", inq);
	struct sockaddr_ll from;
	socklen_t len;
	ssize_t n = recv_ll(all, &from, &len, MSG_PEEK);
	CHECKF("MSG_PEEK sees the frame", n == 47, "%zd", n);
	n = recv_ll(all, &from, &len, 0);
	CHECKF("ETH_P_ALL first sees the frame leave", n == 47 &&
	       from.sll_pkttype == PACKET_OUTGOING, "n %zd pkttype %d", n, from.sll_pkttype);
	CHECKF("with its sender's address", len == sizeof from &&
	       from.sll_family == AF_PACKET && from.sll_protocol == htons(ETH_P_IP) &&
	       from.sll_ifindex == LO && from.sll_hatype == 772 && from.sll_halen == 6,
	       "len %u proto %#x ifindex %d hatype %d", len, from.sll_protocol,
	       from.sll_ifindex, from.sll_hatype);
	static const unsigned char zero[12];
	CHECK("lo's link header: zero addresses, the EtherType",
	      memcmp(buf, zero, 12) == 0 && buf[12] == 0x08 && buf[13] == 0 &&
	      buf[14] == 0x45 && memcmp(buf + 42, "xxxxx", 5) == 0);
	n = recv_ll(all, &from, &len, 0);
	CHECKF("then come back in for this host", n == 47 &&
	       from.sll_pkttype == PACKET_HOST, "n %zd pkttype %d", n, from.sll_pkttype);
	CHECK("and nothing more", recv(all, buf, sizeof buf, MSG_DONTWAIT) == -1 &&
	      errno == EAGAIN);

	char cbuf[256];
	struct iovec iov = { buf, sizeof buf };
	struct msghdr m = { .msg_name = &from, .msg_namelen = sizeof from,
			    .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = cbuf, .msg_controllen = sizeof cbuf };
	n = recvmsg(ip, &m, MSG_DONTWAIT);
	CHECKF("SOCK_DGRAM ETH_P_IP sees it come in, from the IP header on",
	       n == 33 && buf[0] == 0x45 && from.sll_pkttype == PACKET_HOST,
	       "n %zd pkttype %d", n, from.sll_pkttype);
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	struct tpacket_auxdata aux;
	CHECK("with a PACKET_AUXDATA message", c && c->cmsg_level == SOL_PACKET &&
	      c->cmsg_type == PACKET_AUXDATA && c->cmsg_len == CMSG_LEN(sizeof aux));
	memcpy(&aux, CMSG_DATA(c), sizeof aux);
	CHECKF("saying its length, the network header's offset, its checksum state",
	       aux.tp_len == 33 && aux.tp_snaplen == 33 && aux.tp_net == 0 &&
	       aux.tp_mac == 0 && aux.tp_status == (TP_STATUS_USER | TP_STATUS_CSUMNOTREADY),
	       "len %u snap %u net %u status %#x", aux.tp_len, aux.tp_snaplen,
	       aux.tp_net, aux.tp_status);
	CHECK("ETH_P_ALL's own frames are not sent to it",
	      recv(ip, buf, sizeof buf, MSG_DONTWAIT) == -1 && errno == EAGAIN);
	CHECK("another protocol's socket sees nothing",
	      recv(other, buf, sizeof buf, MSG_DONTWAIT) == -1 && errno == EAGAIN);

	udp_send(5001, 100);
	n = recv(ip, buf, 10, MSG_DONTWAIT | MSG_TRUNC);
	CHECKF("MSG_TRUNC returns the whole length", n == 128, "%zd", n);
	iov.iov_len = 10;
	m.msg_controllen = sizeof cbuf;
	udp_send(5001, 100);
	drain(all);
	n = recvmsg(ip, &m, MSG_DONTWAIT);
	CHECKF("a short buffer cuts the frame with MSG_TRUNC", n == 10 &&
	       (m.msg_flags & MSG_TRUNC), "%zd flags %#x", n, m.msg_flags);
	errno = 0;
	CHECK("MSG_WAITALL is EINVAL", recv(ip, buf, 10, MSG_WAITALL) == -1 && errno == EINVAL);
	close(all);
	close(ip);
	close(other);
}

static void injected(void)
{
	int all = packet_socket(SOCK_RAW, ETH_P_ALL);
	int tx = packet_socket(SOCK_RAW, ETH_P_ALL);
	int test = packet_socket(SOCK_RAW, ETH_P_TEST);
	int u = socket(AF_INET6, SOCK_DGRAM, 0);
	struct sockaddr_in6 at = { .sin6_family = AF_INET6, .sin6_port = htons(5002),
				   .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	bind(u, (struct sockaddr *)&at, sizeof at);

	unsigned char f[80];
	size_t flen = ipv6_frame(f, 5002);
	ssize_t n = send(tx, f, flen, 0);
	CHECKF("a bound SOCK_RAW socket writes an IPv6 frame", n == (ssize_t)flen, "%zd", n);
	char got[8] = { 0 };
	struct pollfd p = { .fd = u, .events = POLLIN };
	poll(&p, 1, 1000);
	struct sockaddr_in6 src;
	socklen_t slen = sizeof src;
	n = recvfrom(u, got, sizeof got, MSG_DONTWAIT, (struct sockaddr *)&src, &slen);
	CHECKF("which a UDP socket receives", n == 3 && memcmp(got, "hi!", 3) == 0 &&
	       ntohs(src.sin6_port) == 9, "%zd", n);
	struct sockaddr_ll from;
	socklen_t len;
	int out = 0, host = 0, seen = 0;
	while ((n = recv_ll(all, &from, &len, 0)) >= 0) {
		seen++;
		out += from.sll_pkttype == PACKET_OUTGOING;
		host += from.sll_pkttype == PACKET_HOST;
	}
	CHECKF("others see it leave and come in", seen == 2 && out == 1 && host == 1,
	       "seen %d out %d host %d", seen, out, host);
	n = recv_ll(tx, &from, &len, 0);
	CHECKF("its writer sees it come in only", n == (ssize_t)flen &&
	       from.sll_pkttype == PACKET_HOST && recv(tx, buf, 1, MSG_DONTWAIT) == -1,
	       "%zd pkttype %d", n, from.sll_pkttype);

	/* 127.0.0.0/8 from outside the stack is martian (no route_localnet). */
	int u4 = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in at4 = { .sin_family = AF_INET, .sin_port = htons(5002),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	bind(u4, (struct sockaddr *)&at4, sizeof at4);
	flen = ipv4_frame(f, 5002);
	n = send(tx, f, flen, 0);
	p.fd = u4;
	CHECKF("an IPv4 frame from 127.0.0.1 is sent and seen",
	       n == (ssize_t)flen && drain(all) == 2, "%zd", n);
	CHECK("but dropped as a martian", poll(&p, 1, 100) == 0);
	drain(tx);
	close(u4);

	/* A frame of a protocol no stack handles, to lo by address. */
	memset(f, 0, 14);
	f[12] = ETH_P_TEST >> 8, f[13] = ETH_P_TEST & 0xff;
	memcpy(f + 14, "experiment", 10);
	int raw = socket(AF_PACKET, SOCK_RAW, 0);
	struct sockaddr_ll to = lo_addr(ETH_P_TEST);
	n = sendto(raw, f, 24, 0, (struct sockaddr *)&to, sizeof to);
	CHECKF("an unbound socket sends to lo by address", n == 24, "%zd", n);
	n = recv_ll(test, &from, &len, 0);
	CHECKF("the protocol's socket receives it", n == 24 &&
	       from.sll_protocol == htons(ETH_P_TEST) && from.sll_pkttype == PACKET_HOST &&
	       memcmp(buf + 14, "experiment", 10) == 0, "%zd", n);
	CHECK("as does ETH_P_ALL, twice", drain(all) == 2 && drain(tx) == 2);

	/* A frame to another host's address does not reach the stack. */
	f[0] = 0x02;
	sendto(raw, f, 24, 0, (struct sockaddr *)&to, sizeof to);
	n = recv_ll(test, &from, &len, 0);
	CHECKF("a frame for another address is PACKET_OTHERHOST", n == 24 &&
	       from.sll_pkttype == PACKET_OTHERHOST, "%zd pkttype %d", n, from.sll_pkttype);
	f[0] = 0xff;
	memset(f + 1, 0xff, 5);
	sendto(raw, f, 24, 0, (struct sockaddr *)&to, sizeof to);
	n = recv_ll(test, &from, &len, 0);
	/* lo's broadcast address is zero: all ones is just a group. */
	CHECKF("one to all ones PACKET_MULTICAST", n == 24 &&
	       from.sll_pkttype == PACKET_MULTICAST, "%zd pkttype %d", n, from.sll_pkttype);
	drain(all);
	drain(tx);

	/* SOCK_DGRAM: the kernel writes lo's link header. */
	int dg = socket(AF_PACKET, SOCK_DGRAM, 0);
	to.sll_addr[0] = 0x02;
	n = sendto(dg, "payload", 7, 0, (struct sockaddr *)&to, sizeof to);
	CHECKF("SOCK_DGRAM sends a payload", n == 7, "%zd", n);
	n = recv_ll(test, &from, &len, 0);
	static const unsigned char zero[12];
	CHECKF("which gets a header: the address given, lo's (zero), the protocol",
	       n == 21 && buf[0] == 2 && memcmp(buf + 1, zero, 11) == 0 &&
	       buf[12] == 0x88 && buf[13] == 0xb5 && memcmp(buf + 14, "payload", 7) == 0 &&
	       from.sll_pkttype == PACKET_OTHERHOST, "%zd", n);
	struct sockaddr_ll bound = lo_addr(ETH_P_TEST);
	bind(dg, (struct sockaddr *)&bound, sizeof bound);
	n = send(dg, "bound", 5, 0);
	CHECKF("a bound SOCK_DGRAM socket sends without an address", n == 5, "%zd", n);
	n = recv_ll(test, &from, &len, 0);
	CHECKF("to lo's zero address", n == 19 && memcmp(buf, zero, 12) == 0 &&
	       from.sll_pkttype == PACKET_HOST, "%zd", n);

	int on = 1;
	CHECK_SYS("PACKET_IGNORE_OUTGOING",
		  setsockopt(all, SOL_PACKET, PACKET_IGNORE_OUTGOING, &on, sizeof on));
	drain(all);
	udp_send(5003, 1);
	n = recv_ll(all, &from, &len, 0);
	CHECKF("then only frames coming in arrive", n == 43 &&
	       from.sll_pkttype == PACKET_HOST && recv(all, buf, 1, MSG_DONTWAIT) == -1,
	       "%zd pkttype %d", n, from.sll_pkttype);

	/* Bad sends. */
	errno = 0;
	CHECK("an unbound send without an address is ENXIO",
	      send(raw, f, 24, 0) == -1 && errno == ENXIO);
	struct sockaddr_ll bad = lo_addr(ETH_P_TEST);
	bad.sll_ifindex = 999;
	errno = 0;
	CHECK("to no device ENXIO",
	      sendto(raw, f, 24, 0, (struct sockaddr *)&bad, sizeof bad) == -1 && errno == ENXIO);
	errno = 0;
	CHECK("with a short address EINVAL",
	      sendto(raw, f, 24, 0, (struct sockaddr *)&to, 10) == -1 && errno == EINVAL);
	bad = lo_addr(ETH_P_TEST);
	bad.sll_halen = 20;
	errno = 0;
	CHECK("with an address length past the address EINVAL",
	      sendto(raw, f, 24, 0, (struct sockaddr *)&bad, sizeof bad) == -1 && errno == EINVAL);
	errno = 0;
	CHECK("a frame shorter than its link header EINVAL",
	      sendto(raw, f, 10, 0, (struct sockaddr *)&to, sizeof to) == -1 && errno == EINVAL);
	memset(buf, 0, 65536 + 14 + 8);
	errno = 0;
	CHECK("a frame past lo's MTU EMSGSIZE",
	      sendto(raw, buf, 65536 + 14 + 8, 0, (struct sockaddr *)&to, sizeof to) == -1 &&
	      errno == EMSGSIZE);
	close(dg);
	close(raw);
	close(test);
	close(tx);
	close(all);
	close(u);
}

/* Attaches PROG of N instructions to S. */
static int attach(int s, struct sock_filter *prog, unsigned short n)
{
	struct sock_fprog fp = { .len = n, .filter = prog };
	return setsockopt(s, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof fp);
}

static void filters(void)
{
	int s = packet_socket(SOCK_RAW, ETH_P_IP);
	/* ldh [36] (the UDP destination port); jeq #5004 ? keep : drop */
	struct sock_filter port[] = {
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 36),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 5004, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 0x40000),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	CHECK_SYS("SO_ATTACH_FILTER", attach(s, port, 4));
	udp_send(5005, 4);
	udp_send(5004, 4);
	udp_send(5005, 4);
	ssize_t n = recv(s, buf, sizeof buf, MSG_DONTWAIT);
	CHECKF("the filter keeps what it takes", n == 46 && buf[36] == 5004 >> 8 &&
	       buf[37] == (5004 & 0xff), "%zd", n);
	CHECK("and drops the rest", recv(s, buf, sizeof buf, MSG_DONTWAIT) == -1);

	struct sock_filter cut[] = { BPF_STMT(BPF_RET | BPF_K, 20) };
	CHECK_SYS("a filter replaces the last one", attach(s, cut, 1));
	int on = 1;
	setsockopt(s, SOL_PACKET, PACKET_AUXDATA, &on, sizeof on);
	udp_send(5006, 50);
	char cbuf[128];
	struct iovec iov = { buf, sizeof buf };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = cbuf, .msg_controllen = sizeof cbuf };
	n = recvmsg(s, &m, MSG_DONTWAIT | MSG_TRUNC);
	struct tpacket_auxdata aux = { 0 };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	if (c)
		memcpy(&aux, CMSG_DATA(c), sizeof aux);
	CHECKF("its return cuts the frame", n == 20 && aux.tp_len == 92 &&
	       aux.tp_snaplen == 20 && aux.tp_net == 14, "n %zd len %u snap %u net %u",
	       n, aux.tp_len, aux.tp_snaplen, aux.tp_net);

	/* ld #proto (ancillary); jeq ETH_P_IP ? keep : drop */
	struct sock_filter anc[] = {
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS, SKF_AD_OFF + SKF_AD_PROTOCOL),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IP, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 0xffff),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	CHECK_SYS("an ancillary load", attach(s, anc, 4));
	udp_send(5006, 1);
	CHECK("sees the protocol", recv(s, buf, sizeof buf, MSG_DONTWAIT) == 43);

	struct sock_filter bad[] = {
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 5, 0),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	errno = 0;
	CHECK("a jump out of the program is EINVAL", attach(s, bad, 2) == -1 && errno == EINVAL);
	struct sock_filter noret[] = { BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0) };
	errno = 0;
	CHECK("no return at the end EINVAL", attach(s, noret, 1) == -1 && errno == EINVAL);
	struct sock_filter mem[] = { BPF_STMT(BPF_LD | BPF_MEM, 2), BPF_STMT(BPF_RET | BPF_A, 0) };
	errno = 0;
	CHECK("a scratch word read before written EINVAL",
	      attach(s, mem, 2) == -1 && errno == EINVAL);
	errno = 0;
	CHECK("an empty program EINVAL", attach(s, cut, 0) == -1 && errno == EINVAL);
	struct sock_fprog fp = { .len = 1, .filter = (struct sock_filter *)8 };
	errno = 0;
	CHECK("a program at a bad address EFAULT",
	      setsockopt(s, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof fp) == -1 &&
	      errno == EFAULT);
	int zero = 0;
	CHECK_SYS("SO_DETACH_FILTER", setsockopt(s, SOL_SOCKET, SO_DETACH_FILTER, &zero, sizeof zero));
	errno = 0;
	CHECK("detaching none is ENOENT",
	      setsockopt(s, SOL_SOCKET, SO_DETACH_FILTER, &zero, sizeof zero) == -1 &&
	      errno == ENOENT);
	attach(s, cut, 1);
	CHECK_SYS("SO_LOCK_FILTER", setsockopt(s, SOL_SOCKET, SO_LOCK_FILTER, &on, sizeof on));
	errno = 0;
	CHECK("a locked filter cannot be replaced", attach(s, port, 4) == -1 && errno == EPERM);
	errno = 0;
	CHECK("or detached",
	      setsockopt(s, SOL_SOCKET, SO_DETACH_FILTER, &zero, sizeof zero) == -1 &&
	      errno == EPERM);
	errno = 0;
	CHECK("or unlocked", setsockopt(s, SOL_SOCKET, SO_LOCK_FILTER, &zero, sizeof zero) == -1 &&
	      errno == EPERM);
	close(s);
}

/* IPv6 fragments what lo's MTU (65536) cannot carry whole (ip6_fragment):
 * UDP datagrams up to 65527 bytes still arrive, in two fragments. */
static void fragments(void)
{
	int s = packet_socket(SOCK_DGRAM, ETH_P_IPV6);
	int r = socket(AF_INET6, SOCK_DGRAM, 0);
	int u = socket(AF_INET6, SOCK_DGRAM, 0);
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons(5009),
				  .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	int big = 1 << 20;
	setsockopt(r, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
	bind(r, (struct sockaddr *)&a, sizeof a);

	memset(buf, 'z', 65488);
	ssize_t n = sendto(u, buf, 65488, 0, (struct sockaddr *)&a, sizeof a);
	CHECKF("65488 bytes of UDP over ::1 fill lo's MTU", n == 65488, "%zd", n);
	n = recv(s, buf, sizeof buf, MSG_DONTWAIT);
	CHECKF("in one packet of 65536 bytes", n == 65536 && buf[6] == IPPROTO_UDP &&
	       recv(s, buf, 1, MSG_DONTWAIT) == -1, "%zd next header %d", n, buf[6]);
	n = recv(r, buf, sizeof buf, MSG_DONTWAIT);
	CHECKF("which arrives", n == 65488, "%zd", n);

	memset(buf, 'z', 65527);
	buf[65526] = 'e';
	n = sendto(u, buf, 65527, 0, (struct sockaddr *)&a, sizeof a);
	CHECKF("65527 bytes (the most UDP carries) are sent", n == 65527, "%zd", n);
	unsigned char first[48], second[48];
	ssize_t n1 = recv(s, first, sizeof first, MSG_DONTWAIT | MSG_TRUNC);
	ssize_t n2 = recv(s, second, sizeof second, MSG_DONTWAIT | MSG_TRUNC);
	CHECKF("as two fragments", n1 == 65536 && n2 == 40 + 8 + 65535 - 65488 &&
	       recv(s, buf, 1, MSG_DONTWAIT) == -1, "%zd %zd", n1, n2);
	CHECKF("whose headers say so", first[6] == 44 && second[6] == 44 &&
	       first[40] == IPPROTO_UDP && second[40] == IPPROTO_UDP &&
	       (first[42] << 8 | first[43]) == 1 &&
	       (second[42] << 8 | second[43]) == 65488 &&
	       memcmp(first + 44, second + 44, 4) == 0,
	       "nh %d %d offsets %#x %#x", first[6], second[6],
	       first[42] << 8 | first[43], second[42] << 8 | second[43]);
	n = recv(r, buf, sizeof buf, MSG_DONTWAIT);
	CHECKF("and put together again", n == 65527 && buf[0] == 'z' && buf[65526] == 'e',
	       "%zd", n);
	errno = 0;
	CHECK("65528 bytes are EMSGSIZE",
	      sendto(u, buf, 65528, 0, (struct sockaddr *)&a, sizeof a) == -1 &&
	      errno == EMSGSIZE);

	/* An echo request past the MTU, and the kernel's reply. */
	int icmp = socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6);
	memset(buf, 0, 8 + 65500);
	buf[0] = 128; /* ICMPV6_ECHO_REQUEST */
	buf[5] = 42;
	a.sin6_port = 0; /* a raw socket's port is its protocol */
	n = sendto(icmp, buf, 8 + 65500, 0, (struct sockaddr *)&a, sizeof a);
	CHECKF("a raw ICMPv6 socket sends a 65508-byte echo request", n == 65508, "%zd", n);
	int frags = 0, other = 0;
	while ((n = recv(s, buf, 48, MSG_DONTWAIT)) >= 0) {
		if (buf[6] == 44 && buf[40] == IPPROTO_ICMPV6)
			frags++;
		else
			other++;
	}
	CHECKF("request and reply cross lo in two fragments each", frags == 4 && other == 0,
	       "%d fragments, %d other", frags, other);
	int replies = 0;
	while ((n = recv(icmp, buf, sizeof buf, MSG_DONTWAIT)) >= 0)
		replies += n == 65508 && buf[0] == 129 && buf[5] == 42;
	CHECKF("the reply arrives whole", replies == 1, "%d", replies);
	close(icmp);
	close(u);
	close(r);
	close(s);
}

static void statistics(void)
{
	int s = packet_socket(SOCK_DGRAM, ETH_P_IP);
	struct tpacket_stats st;
	socklen_t len = sizeof st;
	for (int i = 0; i < 3; i++)
		udp_send(5007, 10);
	CHECK_SYS("PACKET_STATISTICS", getsockopt(s, SOL_PACKET, PACKET_STATISTICS, &st, &len));
	CHECKF("counts what was queued", len == sizeof st && st.tp_packets == 3 &&
	       st.tp_drops == 0, "packets %u drops %u", st.tp_packets, st.tp_drops);
	getsockopt(s, SOL_PACKET, PACKET_STATISTICS, &st, &len);
	CHECK("and starts again once read", st.tp_packets == 0 && st.tp_drops == 0);
	drain(s);

	int small = 0;
	setsockopt(s, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
	for (int i = 0; i < 40; i++)
		udp_send(5007, 1000);
	getsockopt(s, SOL_PACKET, PACKET_STATISTICS, &st, &len);
	int queued = drain(s);
	CHECKF("past SO_RCVBUF frames are dropped and counted",
	       st.tp_packets == 40 && st.tp_drops > 0 && queued == 40 - (int)st.tp_drops,
	       "packets %u drops %u queued %d", st.tp_packets, st.tp_drops, queued);

	struct packet_mreq mr = { .mr_ifindex = LO, .mr_type = PACKET_MR_PROMISC };
	CHECK_SYS("PACKET_ADD_MEMBERSHIP",
		  setsockopt(s, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof mr));
	CHECK_SYS("PACKET_DROP_MEMBERSHIP",
		  setsockopt(s, SOL_PACKET, PACKET_DROP_MEMBERSHIP, &mr, sizeof mr));
	CHECK_SYS("dropping it again is no error (packet_mc_drop)",
		  setsockopt(s, SOL_PACKET, PACKET_DROP_MEMBERSHIP, &mr, sizeof mr));
	errno = 0;
	CHECK("a short membership EINVAL",
	      setsockopt(s, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, 8) == -1 && errno == EINVAL);
	mr.mr_ifindex = 999;
	errno = 0;
	CHECK("one on no device ENODEV",
	      setsockopt(s, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof mr) == -1 &&
	      errno == ENODEV);

	int v = TPACKET_V2, got = -1;
	CHECK_SYS("PACKET_VERSION", setsockopt(s, SOL_PACKET, PACKET_VERSION, &v, sizeof v));
	len = sizeof got;
	getsockopt(s, SOL_PACKET, PACKET_VERSION, &got, &len);
	CHECK("reads back", got == TPACKET_V2);
	v = 7;
	errno = 0;
	CHECK("an unknown version EINVAL",
	      setsockopt(s, SOL_PACKET, PACKET_VERSION, &v, sizeof v) == -1 && errno == EINVAL);
	errno = 0;
	CHECK("an unknown option ENOPROTOOPT",
	      setsockopt(s, SOL_PACKET, 999, &v, sizeof v) == -1 && errno == ENOPROTOOPT);

	struct stat sb;
	fstat(s, &sb);
	char want[32], text[4096] = { 0 };
	snprintf(want, sizeof want, " %lu", (unsigned long)sb.st_ino);
	int fd = open("/proc/net/packet", O_RDONLY);
	ssize_t n = read(fd, text, sizeof text - 1);
	close(fd);
	CHECKF("/proc/net/packet lists the socket", n > 0 &&
	       strncmp(text, "sk ", 3) == 0 && strstr(text, " 0800 ") && strstr(text, want),
	       "%s", text);
	close(s);
}

int main(void)
{
	permissions();
	bind_while_down();
	lo_up();
	addresses();
	udp_frames();
	injected();
	filters();
	fragments();
	statistics();
	return check_done();
}
