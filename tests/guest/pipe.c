/*
 * Checks pipes: a 1 MiB transfer with checksum between a forked writer and
 * reader, end of file once the writers are gone, EPIPE with SIGPIPE (caught,
 * ignored, and killing by default), O_NONBLOCK EAGAIN both ways, PIPE_BUF
 * atomicity with several writers, F_GETPIPE_SZ/F_SETPIPE_SZ, FIONREAD, fstat,
 * a blocking read interrupted by a signal (EINTR, and restarted with
 * SA_RESTART), and a pipe on an exec'd child's stdin.
 */
#include "check.h"

#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>

#define TRANSFER (1 << 20)

static char buf[1 << 17];
static volatile sig_atomic_t caught;

static void on_signal(int sig)
{
	caught = sig;
}

static void set_handler(int sig, void (*fn)(int), int flags)
{
	struct sigaction sa = { 0 };
	sa.sa_handler = fn;
	sa.sa_flags = flags;
	sigemptyset(&sa.sa_mask);
	MUST(sigaction(sig, &sa, NULL));
}

/* Returns the byte at offset I of the transfer pattern. */
static unsigned char pattern(uint32_t i)
{
	uint32_t x = i * 2654435761u;
	return (unsigned char)(x >> 13 ^ x >> 24);
}

/* Waits for PID and returns its wait status. */
static int reap(pid_t pid)
{
	int status = 0;
	if (waitpid(pid, &status, 0) != pid)
		check_fail("waitpid", errno, "pid %d", pid);
	return status;
}

static void test_basics(void)
{
	int p[2], q[2];
	CHECK_SYS("pipe", pipe(p));
	CHECK("write 5", write(p[1], "hello", 5) == 5);
	char b[16];
	CHECK("read 5", read(p[0], b, sizeof b) == 5 && memcmp(b, "hello", 5) == 0);
	struct stat r, w;
	CHECK_SYS("fstat read end", fstat(p[0], &r));
	CHECK_SYS("fstat write end", fstat(p[1], &w));
	CHECKF("S_IFIFO", S_ISFIFO(r.st_mode) && S_ISFIFO(w.st_mode), "mode %o", r.st_mode);
	CHECK("same inode both ends", r.st_ino == w.st_ino && r.st_dev == w.st_dev);
	MUST(pipe(q));
	struct stat o;
	MUST(fstat(q[0], &o));
	CHECK("new pipe, new inode", o.st_ino != r.st_ino);
	CHECK_ERRNO("write to read end", write(p[0], "x", 1), EBADF);
	CHECK_ERRNO("read from write end", read(p[1], b, 1), EBADF);
	CHECK_ERRNO("lseek", lseek(p[0], 0, SEEK_SET), ESPIPE);
	CHECK_ERRNO("pread", pread(p[0], b, 1, 0), ESPIPE);
	CHECK_ERRNO("pipe2 bad flags", pipe2(q, O_APPEND), EINVAL);
	CHECK_ERRNO("pipe bad pointer", syscall(SYS_pipe, (void *)8), EFAULT);
	CHECK("zero-length read", read(p[0], b, 0) == 0);

	struct iovec wv[3] = { { "ab", 2 }, { "cde", 3 }, { "f", 1 } };
	CHECK("writev", writev(p[1], wv, 3) == 6);
	char x[2], y[8];
	struct iovec rv[2] = { { x, 2 }, { y, 8 } };
	CHECK("readv", readv(p[0], rv, 2) == 6 && memcmp(x, "ab", 2) == 0 &&
			       memcmp(y, "cdef", 4) == 0);

	int fl = fcntl(p[0], F_GETFL);
	CHECKF("read end O_RDONLY", (fl & O_ACCMODE) == O_RDONLY, "flags %#x", fl);
	fl = fcntl(p[1], F_GETFL);
	CHECKF("write end O_WRONLY", (fl & O_ACCMODE) == O_WRONLY, "flags %#x", fl);
	MUST(pipe2(q, O_CLOEXEC | O_NONBLOCK));
	CHECK("pipe2 O_CLOEXEC", fcntl(q[0], F_GETFD) == FD_CLOEXEC && fcntl(q[1], F_GETFD) == FD_CLOEXEC);
	CHECK("pipe2 O_NONBLOCK", (fcntl(q[1], F_GETFL) & O_NONBLOCK) != 0);
	close(q[0]), close(q[1]), close(p[0]), close(p[1]);
}

static void test_transfer(void)
{
	int p[2];
	MUST(pipe(p));
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		/* Odd-sized writes larger than the pipe: each blocks until all is in. */
		uint32_t off = 0;
		while (off < TRANSFER) {
			uint32_t n = TRANSFER - off < 100003 ? TRANSFER - off : 100003;
			for (uint32_t i = 0; i < n; i++)
				buf[i] = (char)pattern(off + i);
			if (write(p[1], buf, n) != (ssize_t)n)
				_exit(2);
			off += n;
		}
		_exit(0);
	}
	close(p[1]);
	uint32_t got = 0, bad = 0;
	for (;;) {
		ssize_t n = read(p[0], buf, 7777);
		if (n < 0)
			check_fail("transfer read", errno, "after %u bytes", got);
		if (n == 0)
			break;
		for (ssize_t i = 0; i < n; i++)
			bad += (unsigned char)buf[i] != pattern(got + (uint32_t)i);
		got += (uint32_t)n;
	}
	CHECKF("1 MiB through a pipe", got == TRANSFER && bad == 0, "got %u bytes, %u wrong", got, bad);
	int st = reap(pid);
	CHECKF("writer wrote it all", WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %#x", st);
	CHECK("EOF once the writer is gone", read(p[0], buf, 1) == 0);
	close(p[0]);
}

static void test_eof_and_epipe(void)
{
	int p[2];
	MUST(pipe(p));
	int d = dup(p[1]);
	MUST(write(p[1], "ab", 2));
	close(p[1]);
	CHECK("data survives closing one writer", read(p[0], buf, 1) == 1);
	close(d);
	CHECK("rest after the last writer closes", read(p[0], buf, 10) == 1 && buf[0] == 'b');
	CHECK("then EOF", read(p[0], buf, 10) == 0);
	close(p[0]);

	MUST(pipe(p));
	close(p[0]);
	set_handler(SIGPIPE, on_signal, 0);
	caught = 0;
	CHECK_ERRNO("EPIPE without readers", write(p[1], "x", 1), EPIPE);
	CHECKF("SIGPIPE handler ran", caught == SIGPIPE, "caught %d", caught);
	set_handler(SIGPIPE, SIG_IGN, 0);
	caught = 0;
	CHECK_ERRNO("EPIPE with SIGPIPE ignored", write(p[1], "x", 1), EPIPE);
	CHECK("no handler when ignored", caught == 0);
	set_handler(SIGPIPE, SIG_DFL, 0);
	pid_t pid = fork();
	if (pid == 0) {
		write(p[1], "x", 1);
		_exit(0);
	}
	int st = reap(pid);
	CHECKF("SIGPIPE kills by default", WIFSIGNALED(st) && WTERMSIG(st) == SIGPIPE, "status %#x", st);
	close(p[1]);

	/* A writer blocked on a full pipe gets EPIPE when the reader goes. */
	MUST(pipe(p));
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		signal(SIGPIPE, SIG_IGN);
		memset(buf, 'z', sizeof buf);
		ssize_t n = write(p[1], buf, sizeof buf);
		_exit(n == 65536 ? 0 : n < 0 && errno == EPIPE ? 1 : 2);
	}
	close(p[1]);
	sleep_ms(100);
	close(p[0]);
	st = reap(pid);
	CHECKF("blocked writer returns its progress", WIFEXITED(st) && WEXITSTATUS(st) == 0,
	       "status %#x", st);
}

static void test_nonblock(void)
{
	int p[2];
	MUST(pipe2(p, O_NONBLOCK));
	CHECK_ERRNO("EAGAIN reading empty", read(p[0], buf, 1), EAGAIN);
	memset(buf, 'n', sizeof buf);
	ssize_t total = 0, n;
	while ((n = write(p[1], buf, 4096)) > 0)
		total += n;
	int err = errno;
	CHECKF("fills to 64 KiB then EAGAIN", n < 0 && err == EAGAIN && total == 65536,
	       "total %zd, errno %d", total, err);
	CHECK("FIONREAD counts the contents", ({
		      int v = -1;
		      ioctl(p[0], FIONREAD, &v) == 0 && v == 65536;
	      }));
	CHECK("reads 100", read(p[0], buf, 100) == 100);
	CHECK_ERRNO("no free page: PIPE_BUF write EAGAIN", write(p[1], buf, 4096), EAGAIN);
	CHECK_ERRNO("no room in the last page: 1 byte EAGAIN", write(p[1], buf, 1), EAGAIN);
	CHECK("reading the first page frees it", read(p[0], buf, 3996) == 3996);
	CHECK("then a PIPE_BUF write fits", write(p[1], buf, 4096) == 4096);
	CHECK("drain", read(p[0], buf, sizeof buf) == 65536);
	CHECK_ERRNO("EAGAIN once drained", read(p[0], buf, 1), EAGAIN);
	CHECK("write larger than the free pages is partial", ({
		      MUST(write(p[1], buf, 60000));
		      write(p[1], buf, 8192) == 4096;
	      }));
	close(p[0]), close(p[1]);

	MUST(pipe(p));
	MUST(fcntl(p[0], F_SETFL, O_NONBLOCK));
	CHECK_ERRNO("F_SETFL O_NONBLOCK", read(p[0], buf, 1), EAGAIN);
	close(p[0]), close(p[1]);
}

static void test_atomic(void)
{
	enum { WRITERS = 4, RECORDS = 64 };
	int p[2];
	MUST(pipe(p));
	pid_t pids[WRITERS];
	for (int w = 0; w < WRITERS; w++) {
		pids[w] = fork();
		if (pids[w] == 0) {
			close(p[0]);
			char rec[PIPE_BUF];
			memset(rec, 'A' + w, sizeof rec);
			for (int i = 0; i < RECORDS; i++)
				if (write(p[1], rec, sizeof rec) != sizeof rec)
					_exit(1);
			_exit(0);
		}
	}
	close(p[1]);
	static char all[WRITERS * RECORDS * PIPE_BUF];
	size_t got = 0;
	ssize_t n;
	while ((n = read(p[0], all + got, 3000 < sizeof all - got ? 3000 : sizeof all - got)) > 0)
		got += (size_t)n;
	int torn = 0, counts[WRITERS] = { 0 };
	for (size_t r = 0; r < got / PIPE_BUF; r++) {
		char *rec = all + r * PIPE_BUF;
		for (int i = 1; i < PIPE_BUF; i++)
			torn += rec[i] != rec[0];
		if (rec[0] >= 'A' && rec[0] < 'A' + WRITERS)
			counts[rec[0] - 'A']++;
	}
	CHECKF("all records arrive", got == sizeof all, "got %zu", got);
	CHECKF("PIPE_BUF writes are not interleaved", torn == 0, "%d torn bytes", torn);
	CHECK("each writer's records", counts[0] == RECORDS && counts[1] == RECORDS &&
					       counts[2] == RECORDS && counts[3] == RECORDS);
	for (int w = 0; w < WRITERS; w++)
		reap(pids[w]);
	close(p[0]);
}

static void test_size(void)
{
	int p[2];
	MUST(pipe2(p, O_NONBLOCK));
	CHECK("F_GETPIPE_SZ default", fcntl(p[0], F_GETPIPE_SZ) == 65536);
	CHECK("F_SETPIPE_SZ rounds up", fcntl(p[1], F_SETPIPE_SZ, 3 * 4096) == 16384);
	CHECK("both ends see it", fcntl(p[0], F_GETPIPE_SZ) == 16384);
	CHECK("F_SETPIPE_SZ minimum one page", fcntl(p[0], F_SETPIPE_SZ, 1) == 4096);
	CHECK("F_SETPIPE_SZ 1 MiB", fcntl(p[0], F_SETPIPE_SZ, 1 << 20) == 1 << 20);
	MUST(fcntl(p[0], F_SETPIPE_SZ, 8192));
	ssize_t total = 0, n;
	while ((n = write(p[1], buf, 1000)) > 0)
		total += n;
	CHECKF("small writes share pages of the new size", total == 8000, "total %zd", total);
	CHECK_ERRNO("EBUSY shrinking below the contents", fcntl(p[0], F_SETPIPE_SZ, 4096), EBUSY);
	int fd = MUST(open("/etc/hostname", O_RDONLY));
	CHECK_ERRNO("F_GETPIPE_SZ on a file", fcntl(fd, F_GETPIPE_SZ), EBADF);
	close(fd), close(p[0]), close(p[1]);
}

/* A child that signals the parent after 100 ms and writes after 300 ms. */
static pid_t poke_later(int wfd)
{
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid == 0) {
		sleep_ms(100);
		kill(parent, SIGUSR1);
		sleep_ms(200);
		write(wfd, "late", 4);
		_exit(0);
	}
	return pid;
}

static void test_interrupt(void)
{
	int p[2];
	MUST(pipe(p));
	set_handler(SIGUSR1, on_signal, 0);
	caught = 0;
	pid_t pid = poke_later(p[1]);
	CHECK_ERRNO("blocking read interrupted: EINTR", read(p[0], buf, 10), EINTR);
	CHECK("handler ran", caught == SIGUSR1);
	reap(pid);
	CHECK("data still arrives", read(p[0], buf, 10) == 4);

	set_handler(SIGUSR1, on_signal, SA_RESTART);
	caught = 0;
	pid = poke_later(p[1]);
	CHECK("SA_RESTART read restarts", read(p[0], buf, 10) == 4 && caught == SIGUSR1);
	reap(pid);
	close(p[0]), close(p[1]);
}

static void test_exec_stdin(void)
{
	int p[2];
	MUST(pipe(p));
	pid_t pid = fork();
	if (pid == 0) {
		dup2(p[0], 0);
		close(p[0]), close(p[1]);
		char *argv[] = { "waitstdin", NULL };
		execv("/bin/waitstdin", argv);
		_exit(127);
	}
	close(p[0]);
	memset(buf, 's', sizeof buf);
	CHECK("write to an exec'd reader", write(p[1], buf, sizeof buf) == sizeof buf);
	close(p[1]);
	int st = reap(pid);
	CHECKF("it reads to EOF and exits 0", WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %#x", st);
}

int main(void)
{
	test_basics();
	test_transfer();
	test_eof_and_epipe();
	test_nonblock();
	test_atomic();
	test_size();
	test_interrupt();
	test_exec_stdin();
	return check_done();
}
