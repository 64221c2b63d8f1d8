/* Network micro-benchmarks over the loopback interface, run the same way
 * natively (in a fresh network namespace) and as init under linux: TCP
 * stream throughput (64 KiB writes from a child process), TCP request and
 * response (one byte each way, TCP_NODELAY: netperf's TCP_RR), connection
 * setup and teardown (TCP_CRR) and UDP request and response.
 * Prints "NAME VALUE UNIT" lines; tests/bench.sh turns them into ratios.
 * Usage: netbench [MEGABYTES] */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lo.h"

#include "bench.h"

/* Returns a listener on 127.0.0.1 and stores its address in SA. */
static int listener(int type, struct sockaddr_in *sa)
{
	int l = socket(AF_INET, type, 0);
	*sa = (struct sockaddr_in){ .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof *sa;
	if (l < 0 || bind(l, (struct sockaddr *)sa, sizeof *sa) < 0 ||
	    getsockname(l, (struct sockaddr *)sa, &len) < 0)
		die("listener");
	if (type == SOCK_STREAM && listen(l, 128) < 0)
		die("listen");
	return l;
}

static int connect_to(struct sockaddr_in *sa)
{
	int c = socket(AF_INET, SOCK_STREAM, 0);
	if (c < 0 || connect(c, (struct sockaddr *)sa, sizeof *sa) < 0)
		die("connect");
	int one = 1;
	setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	return c;
}

static void stream(int mb)
{
	static char buf[1 << 16];
	struct sockaddr_in sa;
	int l = listener(SOCK_STREAM, &sa);
	pid_t pid = fork();
	if (pid == 0) {
		int c = connect_to(&sa);
		for (long left = (long)mb << 20; left > 0;) {
			ssize_t n = write(c, buf, left < (long)sizeof buf ? left : (long)sizeof buf);
			if (n <= 0)
				_exit(1);
			left -= n;
		}
		_exit(0);
	}
	int s = accept(l, NULL, NULL);
	double t = now();
	long got = 0;
	for (ssize_t n; (n = read(s, buf, sizeof buf)) > 0;)
		got += n;
	double dt = now() - t;
	waitpid(pid, NULL, 0);
	if (got != (long)mb << 20)
		die("stream short");
	printf("tcp_stream %.0f MB/s\n", got / dt / 1e6);
	close(s);
	close(l);
}

static void rr(int type, const char *name, int rounds)
{
	struct sockaddr_in sa;
	int l = listener(type, &sa);
	pid_t pid = fork();
	char b = 'x';
	if (pid == 0) {
		int s = l;
		if (type == SOCK_STREAM) {
			s = accept(l, NULL, NULL);
			int one = 1;
			setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		}
		struct sockaddr_in from;
		for (;;) {
			socklen_t len = sizeof from;
			if (recvfrom(s, &b, 1, 0, (struct sockaddr *)&from, &len) != 1)
				_exit(0);
			if (sendto(s, &b, 1, 0, (struct sockaddr *)&from, len) != 1)
				_exit(1);
		}
	}
	int c;
	if (type == SOCK_STREAM) {
		c = connect_to(&sa);
	} else {
		c = socket(AF_INET, SOCK_DGRAM, 0);
		if (connect(c, (struct sockaddr *)&sa, sizeof sa) < 0)
			die("udp connect");
	}
	double t = now();
	for (int i = 0; i < rounds; i++)
		if (write(c, &b, 1) != 1 || read(c, &b, 1) != 1)
			die(name);
	double dt = now() - t;
	printf("%s %.1f us\n", name, dt / rounds * 1e6);
	close(c);
	kill(pid, 9);
	waitpid(pid, NULL, 0);
	close(l);
}

static void crr(int rounds)
{
	struct sockaddr_in sa;
	int l = listener(SOCK_STREAM, &sa);
	pid_t pid = fork();
	if (pid == 0) {
		for (;;) {
			int s = accept(l, NULL, NULL);
			char b;
			if (s < 0 || read(s, &b, 1) != 1 || write(s, &b, 1) != 1)
				_exit(1);
			close(s);
		}
	}
	double t = now();
	for (int i = 0; i < rounds; i++) {
		int c = connect_to(&sa);
		char b = 'x';
		if (write(c, &b, 1) != 1 || read(c, &b, 1) != 1)
			die("crr");
		close(c);
	}
	double dt = now() - t;
	printf("tcp_crr %.1f us\n", dt / rounds * 1e6);
	kill(pid, 9);
	waitpid(pid, NULL, 0);
	close(l);
}

int main(int argc, char **argv)
{
	int mb = argc > 1 ? atoi(argv[1]) : 512;
	setvbuf(stdout, NULL, _IOLBF, 0);
	lo_up();
	stream(mb);
	rr(SOCK_STREAM, "tcp_rr", 5000);
	rr(SOCK_DGRAM, "udp_rr", 5000);
	crr(1000);
	return 0;
}
