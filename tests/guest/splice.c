/*
 * Checks splice(2), tee(2) and vmsplice(2), with files in the directory given
 * (default /tmp): a file into a pipe (at most the pipe's room, with and
 * without an offset, which moves instead of the file position), a pipe into
 * a file (what the pipe holds), pipe to pipe, sockets both ways, 0 at the
 * end of the input and of a pipe without writers; SPLICE_F_NONBLOCK and
 * O_NONBLOCK pipes give EAGAIN; a blocking splice wakes for a writer or a
 * reader, and a signal interrupts it (EINTR) or restarts it (SA_RESTART);
 * EPIPE and SIGPIPE without readers; the error cases (EBADF, EINVAL, ESPIPE,
 * EFAULT) in Linux's order. tee copies without taking; vmsplice from memory
 * into a pipe and from a pipe into memory. A 4 MiB copy through a pipe with
 * a child on the other end.
 */
#include "check.h"

#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>

#define FILE_SIZE (1024 * 1024)
#define PIPE_SIZE 65536
#define COPY_SIZE (4 * 1024 * 1024)

static char path[256], out_path[256];
static volatile sig_atomic_t sigpipes, alarms;

static unsigned char pattern(long i)
{
	return (unsigned char)(i * 31 + (i >> 11));
}

static void on_sigpipe(int sig)
{
	(void)sig;
	sigpipes++;
}

static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

/* Arms a one-shot SIGALRM after MS milliseconds, its handler restarting
 * system calls or not. */
static void alarm_ms(long ms, int restart)
{
	struct sigaction sa = { .sa_handler = on_alarm, .sa_flags = restart ? SA_RESTART : 0 };
	sigemptyset(&sa.sa_mask);
	MUST(sigaction(SIGALRM, &sa, NULL));
	struct itimerval it = { .it_value = { ms / 1000, (ms % 1000) * 1000 } };
	MUST(setitimer(ITIMER_REAL, &it, NULL));
}

static void make_pipe(int p[2], int flags)
{
	MUST(pipe2(p, flags));
}

static void close_pipe(int p[2])
{
	close(p[0]);
	close(p[1]);
}

/* Returns whether the next LEN bytes of FD are pattern() from FROM. */
static int reads_pattern(int fd, long from, long len)
{
	static unsigned char buf[FILE_SIZE];
	long got = 0;
	while (got < len) {
		ssize_t n = read(fd, buf + got, len - got);
		if (n <= 0)
			return 0;
		got += n;
	}
	for (long i = 0; i < len; i++)
		if (buf[i] != pattern(from + i))
			return 0;
	return 1;
}

/* Returns whether FD (a pipe) reads exactly the string S now. */
static int reads_exactly(int fd, const char *s)
{
	char buf[256];
	size_t len = strlen(s);
	ssize_t n = read(fd, buf, sizeof buf);
	return n == (ssize_t)len && memcmp(buf, s, len) == 0;
}

/* Fills the pipe's write end W until it is full (W must be O_NONBLOCK or
 * the pipe will block). */
static void fill_pipe(int w)
{
	static char junk[4096];
	int fl = fcntl(w, F_GETFL);
	MUST(fcntl(w, F_SETFL, fl | O_NONBLOCK));
	while (write(w, junk, sizeof junk) > 0)
		;
	MUST(fcntl(w, F_SETFL, fl));
}

static int wait_child(pid_t pid)
{
	int status;
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* File to pipe and pipe to file, offsets and positions. */
static void check_file_and_pipe(int in)
{
	int p[2];
	make_pipe(p, 0);
	CHECKF("file to an empty pipe moves its room",
	       splice(in, NULL, p[1], NULL, FILE_SIZE, 0) == PIPE_SIZE, "position %ld",
	       (long)lseek(in, 0, SEEK_CUR));
	CHECK("the file position moved", lseek(in, 0, SEEK_CUR) == PIPE_SIZE);
	CHECK("the pipe holds the file's start", reads_pattern(p[0], 0, PIPE_SIZE));

	loff_t off = 1000;
	CHECK("file to pipe at an offset", splice(in, &off, p[1], NULL, 5000, SPLICE_F_MORE) == 5000);
	CHECK("the offset moved, not the position",
	      off == 6000 && lseek(in, 0, SEEK_CUR) == PIPE_SIZE);
	CHECK("the pipe holds the bytes at the offset", reads_pattern(p[0], 1000, 5000));

	int out = MUST(open(out_path, O_RDWR | O_CREAT | O_TRUNC, 0644));
	off = FILE_SIZE - 3000;
	MUST(splice(in, &off, p[1], NULL, 10000, SPLICE_F_MOVE));
	CHECK("at the end of the input: what is left", off == FILE_SIZE);
	CHECK("at the end of the input: 0", splice(in, &off, p[1], NULL, 10000, 0) == 0);
	loff_t out_off = 100;
	CHECK("pipe to file moves what the pipe holds",
	      splice(p[0], NULL, out, &out_off, 100000, 0) == 3000);
	CHECK("the output offset moved, not the position",
	      out_off == 3100 && lseek(out, 0, SEEK_CUR) == 0);
	MUST(lseek(out, 100, SEEK_SET));
	CHECK("the file holds the bytes", reads_pattern(out, FILE_SIZE - 3000, 3000));
	MUST(write(p[1], "tail", 4));
	MUST(lseek(out, 0, SEEK_END));
	CHECK("pipe to file at the position", splice(p[0], NULL, out, NULL, 4, 0) == 4 &&
						       lseek(out, 0, SEEK_CUR) == 3104);
	char buf[4];
	CHECK("appended", pread(out, buf, 4, 3100) == 4 && memcmp(buf, "tail", 4) == 0);

	CHECK_ERRNO("SPLICE_F_NONBLOCK on an empty pipe: EAGAIN",
		    splice(p[0], NULL, out, NULL, 10, SPLICE_F_NONBLOCK), EAGAIN);
	fill_pipe(p[1]);
	CHECK_ERRNO("SPLICE_F_NONBLOCK into a full pipe: EAGAIN",
		    splice(in, NULL, p[1], NULL, 10, SPLICE_F_NONBLOCK), EAGAIN);
	close(p[1]);
	MUST(lseek(out, 0, SEEK_SET));
	long drained = 0;
	ssize_t n;
	while ((n = splice(p[0], NULL, out, NULL, 1 << 20, 0)) > 0)
		drained += n;
	CHECKF("draining a pipe without writers, then 0", n == 0 && drained == PIPE_SIZE,
	       "n %zd drained %ld", n, drained);
	close(p[0]);
	close(out);

	int q[2];
	make_pipe(q, O_NONBLOCK);
	out = MUST(open(out_path, O_WRONLY));
	CHECK_ERRNO("an empty O_NONBLOCK pipe: EAGAIN without the flag",
		    splice(q[0], NULL, out, NULL, 10, 0), EAGAIN);
	close(out);
	close_pipe(q);
}

/* The errors, in Linux's order. */
static void check_errors(int in)
{
	int p[2], q[2];
	make_pipe(p, 0);
	make_pipe(q, 0);
	loff_t off = 0;
	CHECK("len 0 is 0 before anything else", splice(-1, NULL, -1, NULL, 0, 0x100) == 0);
	CHECK_ERRNO("unknown flags: EINVAL", splice(in, NULL, p[1], NULL, 1, 0x10), EINVAL);
	CHECK_ERRNO("a bad input descriptor: EBADF", splice(-1, NULL, p[1], NULL, 1, 0), EBADF);
	CHECK_ERRNO("a bad output descriptor: EBADF", splice(in, NULL, 99, NULL, 1, 0), EBADF);
	CHECK_ERRNO("an offset for the input pipe: ESPIPE",
		    splice(p[0], &off, in, NULL, 1, 0), ESPIPE);
	CHECK_ERRNO("an offset for the output pipe: ESPIPE",
		    splice(in, NULL, p[1], &off, 1, 0), ESPIPE);
	CHECK_ERRNO("ESPIPE before EBADF for the mode",
		    splice(p[1], &off, in, NULL, 1, 0), ESPIPE);
	CHECK_ERRNO("an unreadable offset: EFAULT",
		    splice(in, (loff_t *)8, p[1], NULL, 1, 0), EFAULT);
	CHECK_ERRNO("the write end as input: EBADF", splice(p[1], NULL, q[1], NULL, 1, 0), EBADF);
	CHECK_ERRNO("the read end as output: EBADF", splice(in, NULL, p[0], NULL, 1, 0), EBADF);
	int wr = MUST(open(out_path, O_WRONLY | O_CREAT, 0644));
	int rd = MUST(open(out_path, O_RDONLY));
	int app = MUST(open(out_path, O_WRONLY | O_APPEND));
	CHECK_ERRNO("an input opened O_WRONLY: EBADF", splice(wr, NULL, p[1], NULL, 1, 0), EBADF);
	MUST(write(p[1], "x", 1));
	CHECK_ERRNO("an output opened O_RDONLY: EBADF", splice(p[0], NULL, rd, NULL, 1, 0), EBADF);
	CHECK_ERRNO("no pipe at all: EINVAL", splice(in, NULL, wr, NULL, 1, 0), EINVAL);
	CHECK_ERRNO("one pipe to itself: EINVAL", splice(p[0], NULL, p[1], NULL, 1, 0), EINVAL);
	CHECK_ERRNO("an O_APPEND output: EINVAL", splice(p[0], NULL, app, NULL, 1, 0), EINVAL);
	off = -1;
	CHECK_ERRNO("a negative offset: EINVAL", splice(in, &off, q[1], NULL, 1, 0), EINVAL);
	int dir = MUST(open("/", O_RDONLY | O_DIRECTORY));
	CHECK_ERRNO("a directory: EINVAL", splice(dir, NULL, q[1], NULL, 1, 0), EINVAL);
	int efd = MUST(eventfd(0, 0));
	CHECK_ERRNO("an eventfd: EINVAL", splice(p[0], NULL, efd, NULL, 1, 0), EINVAL);
	CHECK("the byte is still in the pipe", reads_exactly(p[0], "x"));
	close(efd);
	close(dir);
	close(wr);
	close(rd);
	close(app);
	close_pipe(p);
	close_pipe(q);
}

/* Pipe to pipe, and EPIPE with SIGPIPE. */
static void check_pipe_to_pipe(int in)
{
	int p[2], q[2];
	make_pipe(p, 0);
	make_pipe(q, 0);
	MUST(write(p[1], "hello pipes", 11));
	CHECK("pipe to pipe moves what fits of len", splice(p[0], NULL, q[1], NULL, 5, 0) == 5);
	CHECK("the rest stays in the first pipe", reads_exactly(p[0], " pipes"));
	CHECK("the second pipe has the bytes", reads_exactly(q[0], "hello"));
	CHECK_ERRNO("pipe to pipe, empty, SPLICE_F_NONBLOCK: EAGAIN",
		    splice(p[0], NULL, q[1], NULL, 5, SPLICE_F_NONBLOCK), EAGAIN);
	MUST(write(p[1], "more", 4));
	fill_pipe(q[1]);
	CHECK_ERRNO("pipe to a full pipe, SPLICE_F_NONBLOCK: EAGAIN",
		    splice(p[0], NULL, q[1], NULL, 5, SPLICE_F_NONBLOCK), EAGAIN);
	close_pipe(q);
	make_pipe(q, 0);
	close(p[1]);
	CHECK("pipe to pipe after the writers left", splice(p[0], NULL, q[1], NULL, 100, 0) == 4 &&
							     splice(p[0], NULL, q[1], NULL, 100, 0) == 0);
	close(p[0]);

	struct sigaction sa = { .sa_handler = on_sigpipe };
	sigemptyset(&sa.sa_mask);
	MUST(sigaction(SIGPIPE, &sa, NULL));
	close(q[0]);
	sigpipes = 0;
	CHECK_ERRNO("into a pipe without readers: EPIPE", splice(in, NULL, q[1], NULL, 10, 0),
		    EPIPE);
	CHECK("and SIGPIPE", sigpipes == 1);
	make_pipe(p, 0);
	MUST(write(p[1], "x", 1));
	CHECK_ERRNO("pipe to a pipe without readers: EPIPE", splice(p[0], NULL, q[1], NULL, 10, 0),
		    EPIPE);
	CHECK("and SIGPIPE too", sigpipes == 2);
	close(p[1]);
	MUST(read(p[0], &(char){ 0 }, 1));
	CHECK_ERRNO("from a pipe at its end to one without readers: EPIPE first",
		    splice(p[0], NULL, q[1], NULL, 10, 0), EPIPE);
	close(q[1]);
	close(p[0]);
	signal(SIGPIPE, SIG_DFL);
}

/* Sockets on either side. */
static void check_sockets(void)
{
	int sv[2], p[2];
	MUST(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	make_pipe(p, 0);
	MUST(write(p[1], "to the socket", 13));
	CHECK("pipe to socket", splice(p[0], NULL, sv[0], NULL, 100, 0) == 13);
	CHECK("the peer reads it", reads_exactly(sv[1], "to the socket"));
	MUST(write(sv[1], "from the socket", 15));
	CHECK("socket to pipe", splice(sv[0], NULL, p[1], NULL, 100, 0) == 15);
	CHECK("the pipe has it", reads_exactly(p[0], "from the socket"));
	CHECK_ERRNO("an empty socket, SPLICE_F_NONBLOCK: EAGAIN",
		    splice(sv[0], NULL, p[1], NULL, 100, SPLICE_F_NONBLOCK), EAGAIN);
	loff_t off = 0;
	CHECK_ERRNO("an offset on a socket: EINVAL", splice(sv[0], &off, p[1], NULL, 100, 0),
		    EINVAL);
	close(sv[1]);
	CHECK("socket to pipe after the peer closed: 0", splice(sv[0], NULL, p[1], NULL, 100, 0) == 0);
	close(sv[0]);
	close_pipe(p);
}

/* A splice that sleeps: woken by a writer, by a reader, by a signal. */
static void check_blocking(int in)
{
	int p[2];
	make_pipe(p, 0);
	int out = MUST(open(out_path, O_WRONLY | O_TRUNC));
	pid_t pid = MUST(fork());
	if (pid == 0) {
		sleep_ms(100);
		_exit(write(p[1], "wake", 4) == 4 ? 0 : 1);
	}
	double t0 = now_ms();
	ssize_t n = splice(p[0], NULL, out, NULL, 100, 0);
	double waited = now_ms() - t0;
	CHECKF("an empty pipe: splice waits for a writer", n == 4 && waited >= 80,
	       "n %zd after %.0f ms", n, waited);
	CHECK("the writer child", wait_child(pid) == 0);

	fill_pipe(p[1]);
	pid = MUST(fork());
	if (pid == 0) {
		static char buf[PIPE_SIZE];
		sleep_ms(100);
		_exit(read(p[0], buf, sizeof buf) > 0 ? 0 : 1);
	}
	t0 = now_ms();
	n = splice(in, NULL, p[1], NULL, 10, 0);
	waited = now_ms() - t0;
	CHECKF("a full pipe: splice waits for a reader", n == 10 && waited >= 80,
	       "n %zd after %.0f ms", n, waited);
	CHECK("the reader child", wait_child(pid) == 0);
	close_pipe(p);

	make_pipe(p, 0);
	alarms = 0;
	alarm_ms(50, 0);
	t0 = now_ms();
	n = splice(p[0], NULL, out, NULL, 100, 0);
	int e = errno;
	CHECKF("a signal interrupts a waiting splice: EINTR",
	       n == -1 && e == EINTR && alarms == 1 && now_ms() - t0 >= 40, "n %zd errno %d", n,
	       e);

	pid = MUST(fork());
	if (pid == 0) {
		sleep_ms(200);
		_exit(write(p[1], "late", 4) == 4 ? 0 : 1);
	}
	alarms = 0;
	alarm_ms(50, 1);
	n = splice(p[0], NULL, out, NULL, 100, 0);
	CHECKF("with SA_RESTART the splice goes on after the handler", n == 4 && alarms == 1,
	       "n %zd alarms %d", n, (int)alarms);
	CHECK("the late writer child", wait_child(pid) == 0);
	signal(SIGALRM, SIG_DFL);
	close(out);
	close_pipe(p);
}

/* tee: a copy of the pipe's data, which stays. */
static void check_tee(int in)
{
	int p[2], q[2];
	make_pipe(p, 0);
	make_pipe(q, 0);
	MUST(write(p[1], "hello tee", 9));
	CHECK("tee copies what the pipe holds", tee(p[0], q[1], 100, 0) == 9);
	CHECK("tee up to len", tee(p[0], q[1], 5, 0) == 5);
	CHECK("the copies", reads_exactly(q[0], "hello teehello"));
	CHECK("the data stays in the first pipe", reads_exactly(p[0], "hello tee"));
	CHECK_ERRNO("tee from an empty pipe, SPLICE_F_NONBLOCK: EAGAIN",
		    tee(p[0], q[1], 5, SPLICE_F_NONBLOCK), EAGAIN);
	CHECK_ERRNO("tee, unknown flags: EINVAL before len 0", tee(p[0], q[1], 0, 0x10), EINVAL);
	CHECK("tee, len 0: 0 before the descriptors", tee(-1, -1, 0, 0) == 0);
	CHECK_ERRNO("tee, a bad descriptor: EBADF", tee(-1, q[1], 5, 0), EBADF);
	CHECK_ERRNO("tee, the write end as input: EBADF", tee(p[1], q[1], 5, 0), EBADF);
	CHECK_ERRNO("tee to the same pipe: EINVAL", tee(p[0], p[1], 5, 0), EINVAL);
	int out = MUST(open(out_path, O_WRONLY));
	CHECK_ERRNO("tee to a file: EINVAL", tee(p[0], out, 5, 0), EINVAL);
	CHECK_ERRNO("tee from a file: EINVAL", tee(in, q[1], 5, 0), EINVAL);
	close(out);
	pid_t pid = MUST(fork());
	if (pid == 0) {
		sleep_ms(100);
		_exit(write(p[1], "later", 5) == 5 ? 0 : 1);
	}
	double t0 = now_ms();
	ssize_t n = tee(p[0], q[1], 100, 0);
	CHECKF("tee waits for a writer", n == 5 && now_ms() - t0 >= 80, "n %zd", n);
	CHECK("tee's writer child", wait_child(pid) == 0);
	CHECK("tee's copy", reads_exactly(q[0], "later"));
	close(p[1]);
	CHECK("tee after the writers left: what is left, then 0",
	      tee(p[0], q[1], 100, 0) == 5 && reads_exactly(p[0], "later") &&
		      tee(p[0], q[1], 100, 0) == 0);
	close(p[0]);
	close_pipe(q);
}

/* vmsplice both ways. */
static void check_vmsplice(void)
{
	int p[2];
	make_pipe(p, 0);
	char a[] = "abc", b[] = "defgh";
	struct iovec iov[2] = { { a, 3 }, { b, 5 } };
	CHECK("vmsplice memory into a pipe", vmsplice(p[1], iov, 2, 0) == 8);
	CHECK("the pipe reads it", reads_exactly(p[0], "abcdefgh"));
	MUST(write(p[1], "0123456789", 10));
	char x[4] = { 0 }, y[16] = { 0 };
	struct iovec out[2] = { { x, 4 }, { y, sizeof y } };
	CHECK("vmsplice a pipe into memory", vmsplice(p[0], out, 2, 0) == 10 &&
						      memcmp(x, "0123", 4) == 0 &&
						      memcmp(y, "456789", 6) == 0);
	CHECK_ERRNO("vmsplice from an empty pipe, SPLICE_F_NONBLOCK: EAGAIN",
		    vmsplice(p[0], out, 2, SPLICE_F_NONBLOCK), EAGAIN);
	CHECK("vmsplice of no segments: 0", vmsplice(p[1], iov, 0, 0) == 0);
	CHECK_ERRNO("vmsplice, unknown flags: EINVAL", vmsplice(p[1], iov, 1, 0x10), EINVAL);
	CHECK_ERRNO("vmsplice, more than IOV_MAX segments: EINVAL", vmsplice(p[1], iov, 1025, 0),
		    EINVAL);
	CHECK_ERRNO("vmsplice, a bad descriptor: EBADF", vmsplice(-1, iov, 1, 0), EBADF);
	int fd = MUST(open(out_path, O_WRONLY));
	CHECK_ERRNO("vmsplice to a file: EBADF", vmsplice(fd, iov, 1, 0), EBADF);
	close(fd);
	struct iovec bad = { (void *)8, 10 };
	CHECK_ERRNO("vmsplice from unreadable memory: EFAULT", vmsplice(p[1], &bad, 1, 0), EFAULT);
	MUST(write(p[1], "zz", 2));
	CHECK_ERRNO("vmsplice into unwritable memory: EFAULT", vmsplice(p[0], &bad, 1, 0), EFAULT);
	CHECK("the bytes stay in the pipe", reads_exactly(p[0], "zz"));

	char *big = mmap(NULL, FILE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (big == MAP_FAILED)
		check_fail("setup", errno, "mmap");
	memset(big, 'v', FILE_SIZE);
	struct iovec whole = { big, FILE_SIZE };
	CHECK("vmsplice into an empty pipe: its room", vmsplice(p[1], &whole, 1, 0) == PIPE_SIZE);
	CHECK_ERRNO("vmsplice into a full pipe, SPLICE_F_NONBLOCK: EAGAIN",
		    vmsplice(p[1], &whole, 1, SPLICE_F_NONBLOCK), EAGAIN);
	struct iovec some = { big, 100 };
	CHECK("vmsplice from a pipe up to the segments' length",
	      vmsplice(p[0], &some, 1, 0) == 100);
	munmap(big, FILE_SIZE);
	int q[2];
	make_pipe(q, O_NONBLOCK);
	alarms = 0;
	alarm_ms(50, 0);
	CHECK_ERRNO("vmsplice ignores O_NONBLOCK: waits until a signal", vmsplice(q[0], out, 2, 0),
		    EINTR);
	signal(SIGALRM, SIG_DFL);
	close_pipe(q);
	close(p[0]);
	struct sigaction sa = { .sa_handler = on_sigpipe };
	sigemptyset(&sa.sa_mask);
	MUST(sigaction(SIGPIPE, &sa, NULL));
	sigpipes = 0;
	CHECK_ERRNO("vmsplice into a pipe without readers: EPIPE", vmsplice(p[1], iov, 1, 0),
		    EPIPE);
	CHECK("vmsplice's SIGPIPE", sigpipes == 1);
	signal(SIGPIPE, SIG_DFL);
	close(p[1]);
}

/* 4 MiB from a file to another through a pipe, a child splicing out. */
static void check_copy(const char *dir)
{
	char src[256], dst[256];
	snprintf(src, sizeof src, "%s/splice-src", dir);
	snprintf(dst, sizeof dst, "%s/splice-dst", dir);
	int s = MUST(open(src, O_RDWR | O_CREAT | O_TRUNC, 0644));
	static unsigned char buf[COPY_SIZE];
	for (long i = 0; i < COPY_SIZE; i++)
		buf[i] = pattern(i * 3);
	if (write(s, buf, COPY_SIZE) != COPY_SIZE)
		check_fail("setup", errno, "write %s", src);
	MUST(lseek(s, 0, SEEK_SET));
	int p[2];
	make_pipe(p, 0);
	pid_t pid = MUST(fork());
	if (pid == 0) {
		close(p[1]);
		int d = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		long total = 0;
		ssize_t n;
		while ((n = splice(p[0], NULL, d, NULL, 1 << 20, 0)) > 0)
			total += n;
		_exit(n == 0 && total == COPY_SIZE ? 0 : 1);
	}
	close(p[0]);
	long sent = 0;
	ssize_t n;
	while ((n = splice(s, NULL, p[1], NULL, 1 << 20, 0)) > 0)
		sent += n;
	close(p[1]);
	CHECKF("4 MiB into the pipe", n == 0 && sent == COPY_SIZE, "sent %ld", sent);
	CHECK("the child spliced it all out", wait_child(pid) == 0);
	int d = MUST(open(dst, O_RDONLY));
	static unsigned char back[COPY_SIZE];
	long got = 0;
	while (got < COPY_SIZE && (n = read(d, back + got, COPY_SIZE - got)) > 0)
		got += n;
	CHECK("the copy is the same", got == COPY_SIZE && memcmp(buf, back, COPY_SIZE) == 0);
	close(d);
	close(s);
	unlink(src);
	unlink(dst);
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "/tmp";
	snprintf(path, sizeof path, "%s/splice-in", dir);
	snprintf(out_path, sizeof out_path, "%s/splice-out", dir);
	int in = MUST(open(path, O_RDWR | O_CREAT | O_TRUNC, 0644));
	static unsigned char buf[FILE_SIZE];
	for (long i = 0; i < FILE_SIZE; i++)
		buf[i] = pattern(i);
	if (write(in, buf, FILE_SIZE) != FILE_SIZE)
		check_fail("setup", errno, "write %s", path);
	MUST(lseek(in, 0, SEEK_SET));
	check_file_and_pipe(in);
	check_errors(in);
	check_pipe_to_pipe(in);
	check_sockets();
	check_blocking(in);
	check_tee(in);
	check_vmsplice();
	check_copy(dir);
	close(in);
	unlink(path);
	unlink(out_path);
	return check_done();
}
