/*
 * Checks TCP and UDP sockets over the loopback interface (tcp(7), udp(7),
 * ip(7), ipv6(7)): connections over 127.0.0.1 and ::1, a dual-stack IPv6
 * listener taking an IPv4 client (v4-mapped names), addresses reported by
 * getsockname/getpeername/accept/recvfrom, connection refused, blocking and
 * non-blocking connect with SO_ERROR, half-close, an abortive close with
 * SO_LINGER 0 (ECONNRESET), EPIPE with SIGPIPE and MSG_NOSIGNAL, MSG_PEEK,
 * MSG_WAITALL, MSG_DONTWAIT, FIONREAD, bind conflicts with SO_REUSEADDR and
 * SO_REUSEPORT, privileged ports, UDP datagrams with MSG_TRUNC and a
 * connected UDP socket's filter, socket options, and hostile arguments.
 *
 * Brings lo up first (natively it runs in a fresh network namespace:
 * unshare -n).
 */
#include "check.h"
#include "lo.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

static char buf[1 << 16];

static struct sockaddr_in v4(const char *a, int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	inet_pton(AF_INET, a, &sin.sin_addr);
	return sin;
}

static struct sockaddr_in6 v6(const char *a, int port)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(port) };
	inet_pton(AF_INET6, a, &sin6.sin6_addr);
	return sin6;
}

/* Returns a listener on ADDR (port from the kernel) and its port. */
static int listener(int family, const char *addr, int *port)
{
	int s = MUST(socket(family, SOCK_STREAM, 0));
	int one = 1;
	MUST(setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one));
	if (family == AF_INET) {
		struct sockaddr_in a = v4(addr, 0);
		MUST(bind(s, (struct sockaddr *)&a, sizeof a));
	} else {
		struct sockaddr_in6 a = v6(addr, 0);
		MUST(bind(s, (struct sockaddr *)&a, sizeof a));
	}
	MUST(listen(s, 128));
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	MUST(getsockname(s, (struct sockaddr *)&ss, &len));
	*port = family == AF_INET ? ntohs(((struct sockaddr_in *)&ss)->sin_port)
				  : ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return s;
}

static int connect_to(int family, const char *addr, int port)
{
	int c = MUST(socket(family, SOCK_STREAM, 0));
	if (family == AF_INET) {
		struct sockaddr_in a = v4(addr, port);
		MUST(connect(c, (struct sockaddr *)&a, sizeof a));
	} else {
		struct sockaddr_in6 a = v6(addr, port);
		MUST(connect(c, (struct sockaddr *)&a, sizeof a));
	}
	return c;
}

static void tcp_round_trip(int family, const char *addr, const char *tag)
{
	char name[64];
	int port;
	int l = listener(family, addr, &port);
	int c = connect_to(family, addr, port);
	struct sockaddr_storage peer;
	socklen_t plen = sizeof peer;
	int a = MUST(accept(l, (struct sockaddr *)&peer, &plen));
	snprintf(name, sizeof name, "%s accept reports the client's family", tag);
	CHECK(name, peer.ss_family == family &&
			    plen == (family == AF_INET ? sizeof(struct sockaddr_in)
						       : sizeof(struct sockaddr_in6)));
	struct sockaddr_storage local;
	socklen_t llen = sizeof local;
	MUST(getsockname(c, (struct sockaddr *)&local, &llen));
	snprintf(name, sizeof name, "%s client's name is the accepted peer", tag);
	CHECK(name, llen == plen && memcmp(&local, &peer, plen) == 0);

	snprintf(name, sizeof name, "%s an empty send returns 0", tag);
	CHECK(name, send(c, "", 0, 0) == 0);
	snprintf(name, sizeof name, "%s client sends", tag);
	CHECK(name, send(c, "hello", 5, 0) == 5);
	snprintf(name, sizeof name, "%s server receives", tag);
	CHECK(name, recv(a, buf, sizeof buf, 0) == 5 && memcmp(buf, "hello", 5) == 0);
	snprintf(name, sizeof name, "%s server answers", tag);
	CHECK(name, write(a, "world!", 6) == 6 && read(c, buf, sizeof buf) == 6 &&
			    memcmp(buf, "world!", 6) == 0);

	/* A megabyte through, with a second process on the other side. */
	pid_t pid = fork();
	if (pid == 0) {
		size_t left = 1 << 20;
		memset(buf, 'x', sizeof buf);
		while (left > 0) {
			ssize_t n = send(c, buf, left < sizeof buf ? left : sizeof buf, 0);
			if (n <= 0)
				_exit(1);
			left -= n;
		}
		_exit(0);
	}
	size_t got = 0, bad = 0;
	while (got < (1 << 20)) {
		ssize_t n = recv(a, buf, sizeof buf, 0);
		if (n <= 0)
			break;
		for (ssize_t i = 0; i < n; i++)
			bad += buf[i] != 'x';
		got += n;
	}
	int st;
	waitpid(pid, &st, 0);
	snprintf(name, sizeof name, "%s a megabyte arrives whole", tag);
	CHECKF(name, got == (1 << 20) && bad == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	       "got %zu bad %zu status %#x", got, bad, st);

	close(c);
	snprintf(name, sizeof name, "%s close is end of file", tag);
	CHECK(name, recv(a, buf, sizeof buf, 0) == 0);
	close(a);
	close(l);
}

static void refused(void)
{
	int port;
	int l = listener(AF_INET, "127.0.0.1", &port);
	close(l);
	int c = MUST(socket(AF_INET, SOCK_STREAM, 0));
	struct sockaddr_in a = v4("127.0.0.1", port);
	CHECK_ERRNO("connect to a closed port is refused",
		    connect(c, (struct sockaddr *)&a, sizeof a), ECONNREFUSED);
	close(c);

	c = MUST(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
	CHECK_ERRNO("non-blocking connect to a closed port is in progress",
		    connect(c, (struct sockaddr *)&a, sizeof a), EINPROGRESS);
	struct pollfd p = { c, POLLOUT, 0 };
	CHECK("the refused connection polls out and error", poll(&p, 1, 5000) == 1 &&
								    (p.revents & (POLLOUT | POLLERR)));
	int err = 0;
	socklen_t len = sizeof err;
	CHECK("SO_ERROR is ECONNREFUSED",
	      getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == ECONNREFUSED);
	CHECK("SO_ERROR is cleared once read",
	      getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0);
	close(c);
}

static void nonblocking_connect(void)
{
	int port;
	int l = listener(AF_INET, "127.0.0.1", &port);
	int c = MUST(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
	struct sockaddr_in a = v4("127.0.0.1", port);
	int r = connect(c, (struct sockaddr *)&a, sizeof a);
	int e = errno;
	CHECK("non-blocking connect starts", r == 0 || e == EINPROGRESS);
	struct pollfd p = { c, POLLOUT, 0 };
	CHECK("the connection becomes writable", poll(&p, 1, 5000) == 1 && (p.revents & POLLOUT));
	int err = -1;
	socklen_t len = sizeof err;
	CHECK("SO_ERROR is 0 once connected",
	      getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0);
	CHECK("connect after the connection completed reports it",
	      r == 0 || connect(c, (struct sockaddr *)&a, sizeof a) == 0);
	CHECK_ERRNO("connecting again is EISCONN", connect(c, (struct sockaddr *)&a, sizeof a),
		    EISCONN);
	int s = MUST(accept(l, NULL, NULL));
	CHECK_ERRNO("an empty non-blocking receive is EAGAIN", recv(c, buf, 10, 0), EAGAIN);
	CHECK_ERRNO("MSG_DONTWAIT on a blocking socket is EAGAIN",
		    recv(s, buf, 10, MSG_DONTWAIT), EAGAIN);
	int lflags = fcntl(l, F_GETFL);
	fcntl(l, F_SETFL, lflags | O_NONBLOCK);
	CHECK_ERRNO("accept without a connection is EAGAIN", accept(l, NULL, NULL), EAGAIN);
	close(c);
	close(s);
	close(l);
}

static void half_close_and_reset(void)
{
	int port;
	int l = listener(AF_INET, "127.0.0.1", &port);
	int c = connect_to(AF_INET, "127.0.0.1", port);
	int s = MUST(accept(l, NULL, NULL));
	MUST(send(c, "abc", 3, 0));
	CHECK_SYS("shutdown(SHUT_WR)", shutdown(c, SHUT_WR));
	CHECK("the data before the FIN arrives", recv(s, buf, sizeof buf, MSG_WAITALL) == 3);
	CHECK("then end of file", recv(s, buf, sizeof buf, 0) == 0);
	CHECK("the other direction still flows",
	      send(s, "back", 4, 0) == 4 && recv(c, buf, sizeof buf, 0) == 4);
	CHECK_ERRNO("sending after SHUT_WR is EPIPE", send(c, "x", 1, MSG_NOSIGNAL), EPIPE);
	close(s);
	close(c);

	c = connect_to(AF_INET, "127.0.0.1", port);
	s = MUST(accept(l, NULL, NULL));
	struct linger lg = { 1, 0 };
	MUST(setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof lg));
	close(c);
	CHECK_ERRNO("SO_LINGER 0 resets the connection", recv(s, buf, sizeof buf, 0), ECONNRESET);
	CHECK("after the reset, end of file", recv(s, buf, sizeof buf, 0) == 0);
	signal(SIGPIPE, SIG_IGN);
	CHECK_ERRNO("sending on a reset connection is EPIPE", send(s, "x", 1, 0), EPIPE);
	close(s);

	c = connect_to(AF_INET, "127.0.0.1", port);
	s = MUST(accept(l, NULL, NULL));
	MUST(send(s, "unread", 6, 0));
	sleep_ms(10);
	close(c);
	CHECK_ERRNO("closing with unread data resets", recv(s, buf, sizeof buf, 0), ECONNRESET);
	close(s);
	close(l);
}

static void flags_and_queues(void)
{
	int port;
	int l = listener(AF_INET6, "::1", &port);
	int c = connect_to(AF_INET6, "::1", port);
	int s = MUST(accept(l, NULL, NULL));
	MUST(send(c, "0123456789", 10, 0));
	int n = 0;
	for (int i = 0; i < 100 && n < 10; i++) {
		ioctl(s, FIONREAD, &n);
		if (n < 10)
			sleep_ms(5);
	}
	CHECK("FIONREAD counts the bytes waiting", n == 10);
	CHECK("MSG_PEEK leaves them",
	      recv(s, buf, 4, MSG_PEEK) == 4 && memcmp(buf, "0123", 4) == 0 &&
		      recv(s, buf, 4, 0) == 4 && memcmp(buf, "0123", 4) == 0);
	pid_t pid = fork();
	if (pid == 0) {
		sleep_ms(50);
		send(c, "abcd", 4, 0);
		_exit(0);
	}
	CHECK("MSG_WAITALL waits for the whole buffer",
	      recv(s, buf, 10, MSG_WAITALL) == 10 && memcmp(buf, "456789abcd", 10) == 0);
	waitpid(pid, NULL, 0);
	/* MSG_TRUNC on a stream discards the bytes, never touching the buffer
	 * (tcp_recvmsg), which may then be NULL. */
	MUST(send(c, "xyz!", 4, 0));
	memset(buf, 0, 8);
	CHECK("MSG_TRUNC discards from a stream",
	      recv(s, NULL, 3, MSG_TRUNC) == 3 && recv(s, buf, 8, 0) == 1 && buf[0] == '!');
	int one = 1, v = 0;
	socklen_t len = sizeof v;
	CHECK("TCP_NODELAY is set and read back",
	      setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == 0 &&
		      getsockopt(c, IPPROTO_TCP, TCP_NODELAY, &v, &len) == 0 && v == 1);
	struct tcp_info ti;
	len = sizeof ti;
	CHECK("TCP_INFO reports ESTABLISHED",
	      getsockopt(c, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0 && ti.tcpi_state == 1);
	len = sizeof v;
	CHECK("SO_TYPE, SO_DOMAIN and SO_PROTOCOL",
	      getsockopt(c, SOL_SOCKET, SO_TYPE, &v, &len) == 0 && v == SOCK_STREAM &&
		      getsockopt(c, SOL_SOCKET, SO_DOMAIN, &v, &len) == 0 && v == AF_INET6 &&
		      getsockopt(c, SOL_SOCKET, SO_PROTOCOL, &v, &len) == 0 && v == IPPROTO_TCP);
	CHECK("SO_ACCEPTCONN on the listener",
	      getsockopt(l, SOL_SOCKET, SO_ACCEPTCONN, &v, &len) == 0 && v == 1);
	CHECK_ERRNO("an unknown TCP option is ENOPROTOOPT",
		    setsockopt(c, IPPROTO_TCP, 9999, &one, sizeof one), ENOPROTOOPT);
	CHECK_ERRNO("a short TCP option is EINVAL",
		    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, 1), EINVAL);
	CHECK_ERRNO("an IPv6 option on an IPv4 socket is ENOPROTOOPT",
		    setsockopt(socket(AF_INET, SOCK_STREAM, 0), IPPROTO_IPV6, IPV6_V6ONLY, &one,
			       sizeof one),
		    ENOPROTOOPT);
	int ttl = 0;
	len = sizeof ttl;
	CHECK("IP_TTL defaults to 64", getsockopt(socket(AF_INET, SOCK_DGRAM, 0), IPPROTO_IP,
						  IP_TTL, &ttl, &len) == 0 &&
					       ttl == 64);
	close(c);
	close(s);
	close(l);
}

static void sized_buffers(void)
{
	int port;
	int l = listener(AF_INET, "127.0.0.1", &port);
	int small = 4096;
	/* Set on the listener after listen(2): connections accepted later take it. */
	MUST(setsockopt(l, SOL_SOCKET, SO_RCVBUF, &small, sizeof small));
	int c = connect_to(AF_INET, "127.0.0.1", port);
	MUST(setsockopt(c, SOL_SOCKET, SO_SNDBUF, &small, sizeof small));
	int s = MUST(accept(l, NULL, NULL));
	int v = 0;
	socklen_t len = sizeof v;
	CHECK("the accepted socket inherits SO_RCVBUF, doubled",
	      getsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, &len) == 0 && v == 2 * small);
	long total = 0;
	memset(buf, 'y', sizeof buf);
	for (int i = 0; i < 1000; i++) {
		ssize_t n = send(c, buf, 1024, MSG_DONTWAIT);
		if (n <= 0)
			break;
		total += n;
		if (i % 16 == 0)
			sleep_ms(1);
	}
	CHECKF("small buffers fill up when nobody reads", total > 0 && total < 128 * 1024,
	       "%ld bytes queued", total);
	close(c);
	close(s);
	close(l);
}

/* A full accept queue drops new connections' SYNs: they wait, not fail. */
static void full_backlog(void)
{
	int port;
	int l = listener(AF_INET, "127.0.0.1", &port);
	MUST(listen(l, 0));
	int c1 = connect_to(AF_INET, "127.0.0.1", port);
	int c2 = MUST(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
	struct sockaddr_in a = v4("127.0.0.1", port);
	int r = connect(c2, (struct sockaddr *)&a, sizeof a);
	int e = errno;
	CHECK("a connection past the backlog is in progress", r == -1 && e == EINPROGRESS);
	struct pollfd p = { c2, POLLOUT, 0 };
	CHECK("and does not complete while the queue is full", poll(&p, 1, 300) == 0);
	int a1 = MUST(accept(l, NULL, NULL));
	p.revents = 0;
	CHECK("once a connection is accepted, it completes",
	      poll(&p, 1, 10000) == 1 && (p.revents & POLLOUT) && !(p.revents & POLLERR));
	int a2 = MUST(accept(l, NULL, NULL));
	CHECK("and is accepted in turn", a2 >= 0);
	close(a1);
	close(a2);
	close(c1);
	close(c2);
	close(l);
}

static void dual_stack(void)
{
	int port;
	int l = listener(AF_INET6, "::", &port);
	int c = connect_to(AF_INET, "127.0.0.1", port);
	struct sockaddr_in6 peer;
	socklen_t len = sizeof peer;
	int s = MUST(accept(l, (struct sockaddr *)&peer, &len));
	CHECK("an IPv4 client of an IPv6 listener is v4-mapped",
	      peer.sin6_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&peer.sin6_addr));
	close(c);
	close(s);
	close(l);

	int a = MUST(socket(AF_INET6, SOCK_STREAM, 0));
	int one = 1;
	MUST(setsockopt(a, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one));
	struct sockaddr_in6 any6 = v6("::", 0);
	MUST(bind(a, (struct sockaddr *)&any6, sizeof any6));
	len = sizeof any6;
	MUST(getsockname(a, (struct sockaddr *)&any6, &len));
	int b = MUST(socket(AF_INET, SOCK_STREAM, 0));
	struct sockaddr_in any4 = v4("0.0.0.0", ntohs(any6.sin6_port));
	CHECK_SYS("a v6only wildcard leaves the IPv4 port free",
		  bind(b, (struct sockaddr *)&any4, sizeof any4));
	close(a);
	close(b);
}

static void bind_rules(void)
{
	int a = MUST(socket(AF_INET, SOCK_STREAM, 0));
	struct sockaddr_in any = v4("0.0.0.0", 0);
	MUST(bind(a, (struct sockaddr *)&any, sizeof any));
	socklen_t len = sizeof any;
	MUST(getsockname(a, (struct sockaddr *)&any, &len));
	CHECK("bind to port 0 picks an ephemeral port", ntohs(any.sin_port) >= 1024);
	int b = MUST(socket(AF_INET, SOCK_STREAM, 0));
	struct sockaddr_in lo = v4("127.0.0.1", ntohs(any.sin_port));
	CHECK_ERRNO("the same port again is EADDRINUSE",
		    bind(b, (struct sockaddr *)&lo, sizeof lo), EADDRINUSE);
	CHECK_ERRNO("binding twice is EINVAL", bind(a, (struct sockaddr *)&lo, sizeof lo),
		    EINVAL);
	struct sockaddr_in far = v4("10.1.2.3", 0);
	CHECK_ERRNO("a foreign address is EADDRNOTAVAIL",
		    bind(b, (struct sockaddr *)&far, sizeof far), EADDRNOTAVAIL);
	CHECK_ERRNO("a short address is EINVAL", bind(b, (struct sockaddr *)&lo, 8), EINVAL);
	struct sockaddr_in6 six = v6("::1", 0);
	CHECK_ERRNO("an IPv6 address on an IPv4 socket is EAFNOSUPPORT",
		    bind(b, (struct sockaddr *)&six, sizeof six), EAFNOSUPPORT);
	close(a);
	close(b);

	int one = 1;
	int r1 = MUST(socket(AF_INET, SOCK_STREAM, 0));
	int r2 = MUST(socket(AF_INET, SOCK_STREAM, 0));
	MUST(setsockopt(r1, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one));
	MUST(setsockopt(r2, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one));
	struct sockaddr_in p = v4("127.0.0.1", 0);
	MUST(bind(r1, (struct sockaddr *)&p, sizeof p));
	len = sizeof p;
	MUST(getsockname(r1, (struct sockaddr *)&p, &len));
	MUST(listen(r1, 4));
	CHECK("SO_REUSEPORT shares a listening port",
	      bind(r2, (struct sockaddr *)&p, sizeof p) == 0 && listen(r2, 4) == 0);
	close(r1);
	close(r2);

	/* A connection's port stays in TIME_WAIT; SO_REUSEADDR takes it. */
	int port;
	int l = listener(AF_INET, "127.0.0.1", &port);
	int c = connect_to(AF_INET, "127.0.0.1", port);
	int s = MUST(accept(l, NULL, NULL));
	close(s);
	close(c);
	close(l);
	int again = MUST(socket(AF_INET, SOCK_STREAM, 0));
	MUST(setsockopt(again, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one));
	struct sockaddr_in same = v4("127.0.0.1", port);
	CHECK_SYS("SO_REUSEADDR rebinds a port in TIME_WAIT",
		  bind(again, (struct sockaddr *)&same, sizeof same));
	close(again);

	if (fork() == 0) {
		MUST(setuid(65534));
		int u = MUST(socket(AF_INET, SOCK_STREAM, 0));
		struct sockaddr_in low = v4("127.0.0.1", 80);
		CHECK_ERRNO("a user may not bind a port below 1024",
			    bind(u, (struct sockaddr *)&low, sizeof low), EACCES);
		_exit(0);
	}
	int st;
	wait(&st);
	CHECK("the user's checks passed", WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* With four ephemeral ports, the fifth connection to one peer finds none. */
static void port_exhaustion(void)
{
	int port;
	int l = listener(AF_INET, "127.0.0.1", &port);
	char old[64] = "";
	int f = open("/proc/sys/net/ipv4/ip_local_port_range", O_RDWR);
	CHECK("ip_local_port_range is readable", f >= 0 && read(f, old, sizeof old - 1) > 0);
	CHECK("ip_local_port_range is writable",
	      pwrite(f, "40000 40003", 11, 0) == 11);
	int c[5];
	for (int i = 0; i < 4; i++)
		c[i] = connect_to(AF_INET, "127.0.0.1", port);
	c[4] = MUST(socket(AF_INET, SOCK_STREAM, 0));
	struct sockaddr_in a = v4("127.0.0.1", port);
	CHECK_ERRNO("the fifth connection finds no port",
		    connect(c[4], (struct sockaddr *)&a, sizeof a), EADDRNOTAVAIL);
	struct sockaddr_in any = v4("0.0.0.0", 0);
	CHECK_ERRNO("nor does bind to port 0", bind(c[4], (struct sockaddr *)&any, sizeof any),
		    EADDRINUSE);
	for (int i = 0; i < 5; i++)
		close(c[i]);
	close(l);
	MUST(pwrite(f, old, strlen(old), 0));
	close(f);
}

static void sigpipe_on_reset(void)
{
	int port;
	int l = listener(AF_INET, "127.0.0.1", &port);
	int c = connect_to(AF_INET, "127.0.0.1", port);
	int s = MUST(accept(l, NULL, NULL));
	close(s);
	sleep_ms(10);
	signal(SIGPIPE, SIG_DFL);
	pid_t pid = fork();
	if (pid == 0) {
		for (int i = 0; i < 100; i++) {
			send(c, "x", 1, 0);
			sleep_ms(1);
		}
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	CHECKF("writing to a closed peer raises SIGPIPE", WIFSIGNALED(st) && WTERMSIG(st) == SIGPIPE,
	       "status %#x", st);
	close(c);
	close(l);
}

static void udp(void)
{
	int a = MUST(socket(AF_INET, SOCK_DGRAM, 0));
	int b = MUST(socket(AF_INET, SOCK_DGRAM, 0));
	struct sockaddr_in sa = v4("127.0.0.1", 0), sb = v4("127.0.0.1", 0);
	MUST(bind(a, (struct sockaddr *)&sa, sizeof sa));
	socklen_t len = sizeof sa;
	MUST(getsockname(a, (struct sockaddr *)&sa, &len));
	CHECK("sendto an address", sendto(b, "one", 3, 0, (struct sockaddr *)&sa, sizeof sa) == 3);
	len = sizeof sb;
	MUST(getsockname(b, (struct sockaddr *)&sb, &len));
	CHECK("the sender was bound to an ephemeral port", ntohs(sb.sin_port) != 0);
	struct sockaddr_in from;
	len = sizeof from;
	CHECK("recvfrom gets the datagram and its source",
	      recvfrom(a, buf, sizeof buf, 0, (struct sockaddr *)&from, &len) == 3 &&
		      len == sizeof from && from.sin_port == sb.sin_port &&
		      from.sin_addr.s_addr == htonl(INADDR_LOOPBACK));
	MUST(sendto(b, "0123456789", 10, 0, (struct sockaddr *)&sa, sizeof sa));
	CHECK("MSG_PEEK leaves the datagram", recv(a, buf, 4, MSG_PEEK) == 4);
	struct iovec iov = { buf, 4 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	CHECK("a short buffer truncates with MSG_TRUNC in msg_flags",
	      recvmsg(a, &m, 0) == 4 && (m.msg_flags & MSG_TRUNC));
	CHECK_ERRNO("the rest of it was dropped", recv(a, buf, sizeof buf, MSG_DONTWAIT), EAGAIN);
	MUST(sendto(b, "0123456789", 10, 0, (struct sockaddr *)&sa, sizeof sa));
	CHECK("MSG_TRUNC returns the real length", recv(a, buf, 2, MSG_TRUNC) == 10);
	CHECK("an empty datagram is a datagram",
	      sendto(b, "", 0, 0, (struct sockaddr *)&sa, sizeof sa) == 0 &&
		      recv(a, buf, sizeof buf, 0) == 0);

	/* A connected socket takes only its peer's datagrams. */
	int c = MUST(socket(AF_INET, SOCK_DGRAM, 0));
	MUST(connect(a, (struct sockaddr *)&sb, sizeof sb));
	MUST(sendto(c, "stranger", 8, 0, (struct sockaddr *)&sa, sizeof sa));
	MUST(sendto(b, "peer", 4, 0, (struct sockaddr *)&sa, sizeof sa));
	CHECK("a connected socket hears only its peer",
	      recv(a, buf, sizeof buf, 0) == 4 && memcmp(buf, "peer", 4) == 0);
	CHECK("send without an address goes to the peer",
	      send(a, "hi", 2, 0) == 2 && recv(b, buf, sizeof buf, 0) == 2);
	struct sockaddr unspec = { .sa_family = AF_UNSPEC };
	CHECK_SYS("AF_UNSPEC disconnects", connect(a, &unspec, sizeof unspec));
	CHECK_ERRNO("then send needs an address", send(a, "x", 1, 0), EDESTADDRREQ);
	CHECK_ERRNO("an oversized datagram is EMSGSIZE",
		    sendto(b, buf, 65508, 0, (struct sockaddr *)&sa, sizeof sa), EMSGSIZE);
	close(a);
	close(b);
	close(c);

	int x = MUST(socket(AF_INET6, SOCK_DGRAM, 0));
	int y = MUST(socket(AF_INET6, SOCK_DGRAM, 0));
	struct sockaddr_in6 sx = v6("::1", 0);
	MUST(bind(x, (struct sockaddr *)&sx, sizeof sx));
	len = sizeof sx;
	MUST(getsockname(x, (struct sockaddr *)&sx, &len));
	struct sockaddr_in6 f6;
	len = sizeof f6;
	CHECK("UDP over ::1", sendto(y, "six", 3, 0, (struct sockaddr *)&sx, sizeof sx) == 3 &&
				      recvfrom(x, buf, sizeof buf, 0, (struct sockaddr *)&f6, &len) == 3 &&
				      IN6_IS_ADDR_LOOPBACK(&f6.sin6_addr));
	close(x);
	close(y);
}

static void hostile(void)
{
	CHECK_ERRNO("SOCK_SEQPACKET over IPv4 is ESOCKTNOSUPPORT",
		    socket(AF_INET, SOCK_SEQPACKET, 0), ESOCKTNOSUPPORT);
	CHECK_ERRNO("UDP over a stream is EPROTONOSUPPORT",
		    socket(AF_INET, SOCK_STREAM, IPPROTO_UDP), EPROTONOSUPPORT);
	int sv[2];
	CHECK_ERRNO("socketpair of AF_INET is EOPNOTSUPP", socketpair(AF_INET, SOCK_STREAM, 0, sv),
		    EOPNOTSUPP);
	int s = MUST(socket(AF_INET, SOCK_STREAM, 0));
	CHECK_ERRNO("recv on an unconnected stream is ENOTCONN", recv(s, buf, 1, 0), ENOTCONN);
	CHECK_ERRNO("send on an unconnected stream is EPIPE", send(s, buf, 1, MSG_NOSIGNAL),
		    EPIPE);
	CHECK_ERRNO("getpeername unconnected is ENOTCONN", getpeername(s, (struct sockaddr *)buf,
								   &(socklen_t){ 128 }),
		    ENOTCONN);
	CHECK_ERRNO("a bad address pointer is EFAULT", connect(s, (struct sockaddr *)8, 16),
		    EFAULT);
	CHECK_ERRNO("a huge address length is EINVAL", connect(s, (struct sockaddr *)buf, 4096),
		    EINVAL);
	CHECK_ERRNO("shutdown unconnected is ENOTCONN", shutdown(s, SHUT_RDWR), ENOTCONN);
	CHECK_ERRNO("accept on a socket that does not listen is EINVAL", accept(s, NULL, NULL),
		    EINVAL);
	close(s);
}

static void many_connections(void)
{
	enum { N = 1000 };
	struct rlimit { unsigned long cur, max; } rl = { 4096, 4096 };
	MUST(syscall(160, 7, &rl)); /* setrlimit(RLIMIT_NOFILE) */
	int port;
	int l = listener(AF_INET, "127.0.0.1", &port);
	MUST(listen(l, 1024));
	fcntl(l, F_SETFL, O_NONBLOCK);
	int ep = MUST(epoll_create1(0));
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = l };
	MUST(epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev));
	static int clients[N];
	struct sockaddr_in a = v4("127.0.0.1", port);
	for (int i = 0; i < N; i++) {
		clients[i] = MUST(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
		int r = connect(clients[i], (struct sockaddr *)&a, sizeof a);
		if (r < 0 && errno != EINPROGRESS)
			check_fail("1000 connections", errno, "connect %d", i);
	}
	int accepted = 0, echoed = 0;
	struct epoll_event evs[64];
	double deadline = now_ms() + 60000;
	while ((accepted < N || echoed < N) && now_ms() < deadline) {
		int n = epoll_wait(ep, evs, 64, 1000);
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			if (fd == l) {
				int s;
				while ((s = accept4(l, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
					struct epoll_event e = { .events = EPOLLIN | EPOLLET,
								 .data.fd = s };
					epoll_ctl(ep, EPOLL_CTL_ADD, s, &e);
					accepted++;
				}
				continue;
			}
			char b[16];
			ssize_t k;
			while ((k = recv(fd, b, sizeof b, 0)) > 0) {
				send(fd, b, k, 0);
				echoed++;
			}
		}
		/* Clients write once they are connected. */
		static int sent[N];
		for (int i = 0; i < N; i++) {
			if (!sent[i] && send(clients[i], "ping", 4, MSG_NOSIGNAL) == 4)
				sent[i] = 1;
		}
	}
	int answered = 0;
	for (int i = 0; i < N; i++) {
		char b[16];
		for (int t = 0; t < 100; t++) {
			if (recv(clients[i], b, sizeof b, 0) == 4) {
				answered++;
				break;
			}
			sleep_ms(1);
		}
	}
	CHECKF("1000 concurrent connections with epoll", accepted == N && answered == N,
	       "accepted %d echoed %d answered %d", accepted, echoed, answered);
	for (int i = 0; i < N; i++)
		close(clients[i]);
	close(ep);
	close(l);
}

/* Linux boots with lo down and without addresses: nothing is reachable. */
static void lo_down_at_boot(void)
{
	int s = MUST(socket(AF_INET, SOCK_DGRAM, 0));
	struct ifreq ifr = { 0 };
	strcpy(ifr.ifr_name, "lo");
	MUST(ioctl(s, SIOCGIFFLAGS, &ifr));
	CHECK("lo is down at boot", !(ifr.ifr_flags & IFF_UP));
	struct sockaddr_in a = v4("127.0.0.1", 9);
	CHECK_ERRNO("127.0.0.1 is unreachable while lo is down",
		    connect(s, (struct sockaddr *)&a, sizeof a), ENETUNREACH);
	close(s);
	/* Linux's inet_addr_type: before any IPv4 route exists, every
	 * address binds; IPv6 has no such case. */
	s = MUST(socket(AF_INET, SOCK_DGRAM, 0));
	struct sockaddr_in far = v4("10.9.8.7", 0);
	CHECK_SYS("any IPv4 address binds before lo was ever up",
		  bind(s, (struct sockaddr *)&far, sizeof far));
	close(s);
	s = MUST(socket(AF_INET6, SOCK_DGRAM, 0));
	struct sockaddr_in6 one = v6("::1", 0);
	CHECK_ERRNO("::1 cannot be bound while lo is down", bind(s, (struct sockaddr *)&one, sizeof one),
		    EADDRNOTAVAIL);
	close(s);
}

int main(void)
{
	lo_down_at_boot();
	lo_up();
	tcp_round_trip(AF_INET, "127.0.0.1", "tcp4");
	tcp_round_trip(AF_INET6, "::1", "tcp6");
	refused();
	nonblocking_connect();
	half_close_and_reset();
	flags_and_queues();
	sized_buffers();
	full_backlog();
	dual_stack();
	bind_rules();
	port_exhaustion();
	sigpipe_on_reset();
	udp();
	hostile();
	many_connections();
	return check_done();
}
