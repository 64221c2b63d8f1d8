/* Throws malformed input at the socket layer: random socket addresses and
 * lengths to bind, connect and sendto, random levels, names, values and
 * lengths to setsockopt and getsockopt, random netlink messages, and
 * random flags to send and recv, on Internet, Unix, netlink and packet sockets of
 * every type, for a fixed number of rounds from a fixed seed. Each call
 * must return (the process runs under an alarm) with a result or an errno
 * Linux knows, and afterwards a TCP connection over loopback must still
 * work. Guest-only in spirit: natively it passes too, but proves little.
 * Usage: netfuzz [ROUNDS] [SEED] */
#include "check.h"
#include "lo.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>

static uint64_t seed = 42;

static uint32_t rnd(void)
{
	seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(seed >> 33);
}

/* A value that is often interesting: small, a boundary, or random. */
static uint32_t pick(void)
{
	static const uint32_t edges[] = { 0, 1, 2, 3, 4, 7, 8, 15, 16, 24, 27, 28, 64,
					  127, 128, 255, 256, 4095, 4096, 65535, 65536,
					  0x7fffffff, 0x80000000, 0xffffffff };
	if (rnd() % 3 == 0)
		return rnd();
	return edges[rnd() % (sizeof edges / sizeof edges[0])];
}

static unsigned char buf[8192];

static void fill(unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = rnd() % 4 == 0 ? 0 : (unsigned char)rnd();
	/* Mostly a family a socket knows, so deeper code is reached. */
	if (n >= 2 && rnd() % 2) {
		static const unsigned short fams[] = { AF_INET, AF_INET6, AF_UNIX, AF_UNSPEC,
						       AF_NETLINK, AF_PACKET };
		unsigned short f = fams[rnd() % 6];
		memcpy(p, &f, 2);
	}
}

static long calls, errors;

/* Fails unless R is a result or -1 with an errno Linux has. */
static void verdict(const char *what, long r)
{
	calls++;
	if (r == -1) {
		errors++;
		if (errno <= 0 || errno > 133)
			check_fail(what, errno, "an errno Linux does not have");
	}
}

static int new_socket(void)
{
	static const int fams[] = { AF_INET, AF_INET6, AF_UNIX, AF_NETLINK, AF_PACKET };
	static const int types[] = { SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET, SOCK_RAW };
	for (;;) {
		int f = fams[rnd() % 5], t = types[rnd() % 4];
		int p = rnd() % 4 == 0 ? (int)(rnd() % 64) : 0;
		int s = socket(f, t | SOCK_NONBLOCK, p);
		verdict("socket", s);
		if (s >= 0)
			return s;
	}
}

static void one_round(int s)
{
	socklen_t len = pick() % 300;
	fill(buf, sizeof buf);
	switch (rnd() % 10) {
	case 0:
		verdict("bind", bind(s, (struct sockaddr *)buf, len));
		break;
	case 1:
		verdict("connect", connect(s, (struct sockaddr *)buf, len));
		break;
	case 2:
		verdict("sendto", sendto(s, buf + 512, pick() % 4096, (int)(rnd() & ~MSG_WAITALL),
					 (struct sockaddr *)buf, len));
		break;
	case 3:
		verdict("setsockopt", setsockopt(s, rnd() % 3 ? (int)(rnd() % 300) : (int)pick(),
						 (int)(rnd() % 80), buf + 256, pick() % 512));
		break;
	case 4: {
		socklen_t olen = pick() % 512;
		verdict("getsockopt", getsockopt(s, (int)(rnd() % 300), (int)(rnd() % 80),
						 buf + 256, &olen));
		break;
	}
	case 5:
		verdict("recvfrom", recvfrom(s, buf, pick() % sizeof buf, MSG_DONTWAIT | (rnd() & 0x1ff),
					     (struct sockaddr *)(buf + 4096), &len));
		break;
	case 6:
		verdict("listen", listen(s, (int)pick()));
		break;
	case 7:
		verdict("shutdown", shutdown(s, (int)(rnd() % 4)));
		break;
	case 8: {
		/* A netlink-shaped message: a header with random fields. */
		uint32_t *h = (uint32_t *)buf;
		h[0] = rnd() % 2 ? pick() % 256 : 16 + rnd() % 64;
		verdict("send", send(s, buf, pick() % 512, MSG_DONTWAIT));
		break;
	}
	case 9: {
		static const unsigned long ioctls[] = { FIONREAD, TIOCOUTQ, SIOCGIFFLAGS,
							SIOCGIFCONF, SIOCGIFINDEX, SIOCGIFADDR,
							SIOCGIFMTU, SIOCGIFHWADDR, SIOCGIFNAME };
		verdict("ioctl", ioctl(s, ioctls[rnd() % 9], rnd() % 2 ? (void *)buf : (void *)8));
		break;
	}
	}
}

int main(int argc, char **argv)
{
	long rounds = argc > 1 ? atol(argv[1]) : 20000;
	seed = argc > 2 ? strtoull(argv[2], NULL, 0) : 42;
	signal(SIGPIPE, SIG_IGN);
	alarm(600);
	lo_up();
	int socks[16];
	for (int i = 0; i < 16; i++)
		socks[i] = new_socket();
	for (long i = 0; i < rounds; i++) {
		int k = rnd() % 16;
		if (rnd() % 64 == 0) {
			close(socks[k]);
			socks[k] = new_socket();
		}
		one_round(socks[k]);
	}
	check_printf("%ld calls, %ld errors\n", calls, errors);
	CHECK("every call returned", calls > 0);

	int l = MUST(socket(AF_INET, SOCK_STREAM, 0));
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof sa;
	MUST(bind(l, (struct sockaddr *)&sa, sizeof sa));
	MUST(getsockname(l, (struct sockaddr *)&sa, &sl));
	MUST(listen(l, 1));
	int c = MUST(socket(AF_INET, SOCK_STREAM, 0));
	MUST(connect(c, (struct sockaddr *)&sa, sizeof sa));
	int a = MUST(accept(l, NULL, NULL));
	CHECK("loopback TCP still works afterwards",
	      send(c, "ok", 2, 0) == 2 && recv(a, buf, 2, 0) == 2);
	return check_done();
}
