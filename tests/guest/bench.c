/* Micro-benchmarks, run the same way natively and as init under linux:
 * a system call round trip, fork+exec+wait, fork+exit+wait, pthread
 * create+join, a pipe round trip between two processes, first-touch page
 * faults, and
 * 4 KiB preads of a mapped file (the running program) and pwrites of a
 * memfd (regular-file I/O through and beside the page cache), and two
 * processes computing at once (guest code in parallel on the host's CPUs).
 * Prints "NAME VALUE UNIT" lines; tests/bench.sh turns them into ratios.
 * Usage: bench EXEC_HELPER (a program that exits 42, e.g. /bin/exit42). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void *thread_body(void *arg)
{
	return arg;
}

/* About 0.1 s of arithmetic, with no system call. */
static volatile unsigned long sink;

static void compute(void)
{
	unsigned long x = 1;
	for (long i = 0; i < 100000000; i++)
		x = x * 6364136223846793005UL + 1;
	sink = x;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	const char *helper = argc > 1 ? argv[1] : "/bin/exit42";
	enum { CALLS = 100000, SPAWNS = 200, MB = 64, IOS = 20000, PINGS = 5000 };

	double t = now();
	for (int i = 0; i < CALLS; i++)
		syscall(SYS_getppid);
	printf("syscall %.0f ns\n", (now() - t) / CALLS * 1e9);

	t = now();
	for (int i = 0; i < SPAWNS; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			execl(helper, helper, "42", (char *)0);
			_exit(127);
		}
		int status;
		if (pid < 0 || waitpid(pid, &status, 0) != pid || WEXITSTATUS(status) != 42) {
			printf("fork+exec failed\n");
			return 1;
		}
	}
	printf("fork+exec+wait %.0f per-second\n", SPAWNS / (now() - t));

	t = now();
	for (int i = 0; i < SPAWNS; i++) {
		pid_t pid = fork();
		if (pid == 0)
			_exit(0);
		if (pid < 0 || waitpid(pid, NULL, 0) != pid)
			return 1;
	}
	printf("fork+exit+wait %.0f per-second\n", SPAWNS / (now() - t));

	t = now();
	for (int i = 0; i < SPAWNS; i++) {
		pthread_t th;
		if (pthread_create(&th, NULL, thread_body, NULL) || pthread_join(th, NULL))
			return 1;
	}
	printf("pthread %.0f per-second\n", SPAWNS / (now() - t));

	int ping[2], pong[2];
	if (pipe(ping) || pipe(pong))
		return 1;
	pid_t echo = fork();
	if (echo == 0) {
		char c;
		close(ping[1]);
		close(pong[0]);
		while (read(ping[0], &c, 1) == 1 && write(pong[1], &c, 1) == 1)
			;
		_exit(0);
	}
	t = now();
	for (int i = 0; i < PINGS; i++) {
		char c = 'x';
		if (write(ping[1], &c, 1) != 1 || read(pong[0], &c, 1) != 1)
			return 1;
	}
	printf("pipe-round-trip %.0f ns\n", (now() - t) / PINGS * 1e9);
	close(ping[1]);
	waitpid(echo, NULL, 0);
	close(ping[0]);
	close(pong[0]);
	close(pong[1]);

	size_t len = (size_t)MB << 20;
	t = now();
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 1;
	for (size_t off = 0; off < len; off += 4096)
		p[off] = 1;
	printf("page-fault %.0f ns\n", (now() - t) / (len / 4096) * 1e9);
	munmap(p, len);

	static char buf[4096];
	int fd = open(argv[0], O_RDONLY);
	if (fd < 0 || pread(fd, buf, sizeof buf, 0) != sizeof buf)
		return 1;
	t = now();
	for (int i = 0; i < IOS; i++)
		if (pread(fd, buf, sizeof buf, (i % 8) * 4096) < 0)
			return 1;
	printf("file-read %.0f ns\n", (now() - t) / IOS * 1e9);
	close(fd);

	fd = memfd_create("bench", 0);
	if (fd < 0)
		return 1;
	t = now();
	for (int i = 0; i < IOS; i++)
		if (pwrite(fd, buf, sizeof buf, (i % 256) * 4096) != sizeof buf)
			return 1;
	printf("file-write %.0f ns\n", (now() - t) / IOS * 1e9);
	close(fd);

	/* Two processes computing at once: as long as one alone where guest
	 * code runs in parallel on two CPUs. */
	t = now();
	for (int i = 0; i < 2; i++)
		if (fork() == 0) {
			compute();
			_exit(0);
		}
	while (wait(NULL) > 0)
		;
	printf("compute-2 %.0f ms\n", (now() - t) * 1e3);
	return 0;
}
