/* TCP request and response between two machines (netperf's TCP_RR: one
 * byte each way on a connection with TCP_NODELAY), for the card
 * benchmarks: `tcprr server PORT` answers one connection; `tcprr client
 * ADDR PORT SECONDS` runs transactions for SECONDS and prints
 * "tcp_rr N per-second" and "tcp_rr_latency US us". Exits 1 on error.
 * (Takes arguments, so the boot tests do not run it on its own.) */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

static void nodelay(int s)
{
	int one = 1;
	if (setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0)
		die("TCP_NODELAY");
}

static int server(int port)
{
	int l = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	if (l < 0 || setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    bind(l, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(l, 1) < 0)
		die("listen");
	int c = accept(l, NULL, NULL);
	if (c < 0)
		die("accept");
	nodelay(c);
	char b;
	while (read(c, &b, 1) == 1)
		if (write(c, &b, 1) != 1)
			die("write");
	return 0;
}

static int client(const char *addr, int port, double seconds)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
		fprintf(stderr, "tcprr: bad address %s\n", addr);
		return 1;
	}
	int s = socket(AF_INET, SOCK_STREAM, 0);
	/* The server may still be starting. */
	int tries = 0;
	while (connect(s, (struct sockaddr *)&sa, sizeof sa) < 0) {
		if (++tries > 100)
			die("connect");
		close(s);
		s = socket(AF_INET, SOCK_STREAM, 0);
		usleep(50000);
	}
	nodelay(s);
	long n = 0;
	char b = 'x';
	double start = now(), end = start + seconds, t = start;
	while (t < end) {
		for (int i = 0; i < 100; i++, n++)
			if (write(s, &b, 1) != 1 || read(s, &b, 1) != 1)
				die("transaction");
		t = now();
	}
	close(s);
	double elapsed = t - start;
	printf("tcp_rr %.0f per-second\n", n / elapsed);
	printf("tcp_rr_latency %.1f us\n", elapsed / n * 1e6);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "server") == 0)
		return server(atoi(argv[2]));
	if (argc == 5 && strcmp(argv[1], "client") == 0)
		return client(argv[2], atoi(argv[3]), atof(argv[4]));
	fprintf(stderr, "usage: tcprr server PORT | tcprr client ADDR PORT SECONDS\n");
	return 2;
}
