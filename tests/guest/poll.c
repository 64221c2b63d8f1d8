/*
 * Checks poll, ppoll, select and pselect on pipes: readiness both ways,
 * POLLHUP and POLLERR once the other end is gone, POLLNVAL and ignored
 * negative descriptors, timeouts (elapsed at least the timeout, measured on
 * CLOCK_MONOTONIC), wake-up by a writer in another process, EINTR when a
 * signal sent with kill() by a child interrupts (also with SA_RESTART), the
 * temporary signal masks of ppoll and pselect, and select's fd_set rules
 * (EBADF, EINVAL, the time left written back).
 */
#include "check.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

static volatile sig_atomic_t caught;

static void on_signal(int sig)
{
	caught = sig;
}

/* Forks a child that sleeps MS, then writes one byte to WFD if it is >= 0, or
 * else sends SIGUSR1 to the parent; returns its pid. */
static pid_t later(long ms, int wfd)
{
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid == 0) {
		sleep_ms(ms);
		if (wfd >= 0)
			write(wfd, "x", 1);
		else
			kill(parent, SIGUSR1);
		_exit(0);
	}
	if (pid < 0)
		check_fail("fork", errno, "later");
	return pid;
}

static void reap(pid_t pid)
{
	int st;
	waitpid(pid, &st, 0);
}

static void test_poll(void)
{
	int p[2];
	MUST(pipe(p));
	struct pollfd fds[2] = { { p[0], POLLIN, -1 }, { p[1], POLLOUT, -1 } };
	CHECK("empty pipe: only the write end is ready", poll(fds, 2, 0) == 1 &&
		fds[0].revents == 0 && fds[1].revents == POLLOUT);
	MUST(write(p[1], "ab", 2));
	CHECK("data: POLLIN", poll(fds, 1, 0) == 1 && fds[0].revents == POLLIN);
	fds[0].events = POLLOUT;
	CHECK("events not asked for are not reported", poll(fds, 1, 0) == 0 && fds[0].revents == 0);
	fds[0].events = POLLIN;
	close(p[1]);
	CHECKF("writer gone, data left: POLLIN|POLLHUP", poll(fds, 1, 0) == 1 &&
	       fds[0].revents == (POLLIN | POLLHUP), "revents %#x", fds[0].revents);
	char b[4];
	MUST(read(p[0], b, sizeof b));
	fds[0].events = 0;
	CHECKF("drained: POLLHUP even if not asked", poll(fds, 1, 0) == 1 &&
	       fds[0].revents == POLLHUP, "revents %#x", fds[0].revents);
	close(p[0]);

	MUST(pipe(p));
	close(p[0]);
	fds[0] = (struct pollfd){ p[1], POLLOUT, 0 };
	CHECKF("reader gone: POLLOUT|POLLERR", poll(fds, 1, 0) == 1 &&
	       fds[0].revents == (POLLOUT | POLLERR), "revents %#x", fds[0].revents);
	close(p[1]);

	struct pollfd odd[3] = { { -1, POLLIN, -1 }, { 999, POLLIN, -1 }, { 0, 0, -1 } };
	CHECK("bad fd: POLLNVAL; negative fd: ignored", poll(odd, 3, 0) == 1 &&
		odd[0].revents == 0 && odd[1].revents == POLLNVAL && odd[2].revents == 0);
	int fd = MUST(open("/etc/hostname", O_RDONLY));
	fds[0] = (struct pollfd){ fd, POLLIN | POLLOUT, 0 };
	CHECK("a regular file is always ready", poll(fds, 1, 0) == 1 &&
		fds[0].revents == (POLLIN | POLLOUT));
	fds[1] = fds[0];
	CHECK("the same fd twice counts twice", poll(fds, 2, 0) == 2);
	close(fd);
	struct rlimit rl;
	MUST(getrlimit(RLIMIT_NOFILE, &rl));
	CHECK_ERRNO("nfds over RLIMIT_NOFILE", poll(fds, rl.rlim_cur + 1, 0), EINVAL);
	CHECK_ERRNO("bad pointer", syscall(SYS_poll, (void *)8, 1, 0), EFAULT);
}

static void test_poll_sleep(void)
{
	int p[2];
	MUST(pipe(p));
	struct pollfd fd = { p[0], POLLIN, 0 };
	double t0 = now_ms();
	int r = poll(&fd, 1, 100);
	double dt = now_ms() - t0;
	CHECKF("poll times out after at least 100 ms", r == 0 && dt >= 100, "r %d, %.1f ms", r, dt);
	pid_t pid = later(50, p[1]);
	r = poll(&fd, 1, 10000);
	CHECKF("a writer in another process wakes poll", r == 1 && fd.revents == POLLIN, "r %d", r);
	reap(pid);

	struct sigaction sa = { 0 };
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	MUST(sigaction(SIGUSR1, &sa, NULL));
	char b[4];
	MUST(read(p[0], b, sizeof b));
	caught = 0;
	pid = later(50, -1);
	CHECK_ERRNO("kill() interrupts poll: EINTR even with SA_RESTART", poll(&fd, 1, 10000), EINTR);
	CHECK("the handler ran", caught == SIGUSR1);
	reap(pid);
	close(p[0]), close(p[1]);
}

static void test_ppoll(void)
{
	int p[2];
	MUST(pipe(p));
	struct pollfd fd = { p[0], POLLIN, 0 };
	struct timespec ts = { 0, 60 * 1000000 };
	double t0 = now_ms();
	/* The raw call: glibc's ppoll passes a copy of the timeout. */
	int r = syscall(SYS_ppoll, &fd, 1, &ts, NULL, 8);
	double dt = now_ms() - t0;
	CHECKF("ppoll times out after at least 60 ms", r == 0 && dt >= 60, "r %d, %.1f ms", r, dt);
	CHECK("ppoll writes back no time left", ts.tv_sec == 0 && ts.tv_nsec == 0);
	MUST(write(p[1], "x", 1));
	ts = (struct timespec){ 5, 0 };
	r = syscall(SYS_ppoll, &fd, 1, &ts, NULL, 8);
	CHECKF("ppoll writes back the time left", r == 1 && ts.tv_sec == 4 && ts.tv_nsec > 0,
	       "r %d, left %ld.%09ld", r, (long)ts.tv_sec, ts.tv_nsec);
	char b[4];
	MUST(read(p[0], b, sizeof b));

	/* SIGUSR1 blocked, unblocked only while ppoll waits. */
	sigset_t block, none, cur;
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigemptyset(&none);
	MUST(sigprocmask(SIG_BLOCK, &block, NULL));
	caught = 0;
	pid_t pid = later(50, -1);
	r = ppoll(&fd, 1, NULL, &none);
	int e = errno;
	CHECKF("ppoll's mask lets the signal in: EINTR", r == -1 && e == EINTR, "r %d", r);
	CHECK("the handler ran", caught == SIGUSR1);
	MUST(sigprocmask(SIG_BLOCK, NULL, &cur));
	CHECK("the old mask is back", sigismember(&cur, SIGUSR1));
	reap(pid);

	/* SIGUSR1 unblocked, blocked while ppoll waits: it stays pending until then. */
	MUST(sigprocmask(SIG_UNBLOCK, &block, NULL));
	caught = 0;
	pid = later(20, -1);
	ts = (struct timespec){ 0, 150 * 1000000 };
	r = ppoll(&fd, 1, &ts, &block);
	CHECKF("a blocked signal does not interrupt", r == 0, "r %d errno %d", r, errno);
	CHECK("it is delivered once the mask is restored", caught == SIGUSR1);
	reap(pid);
	ts = (struct timespec){ 0, 1000000000 };
	CHECK_ERRNO("bad timespec", ppoll(&fd, 1, &ts, NULL), EINVAL);
	CHECK_ERRNO("bad sigset size", syscall(SYS_ppoll, &fd, 1, NULL, &none, 4), EINVAL);
	close(p[0]), close(p[1]);
}

static void test_select(void)
{
	int p[2];
	MUST(pipe(p));
	fd_set rd, wr, ex;
	FD_ZERO(&rd);
	FD_ZERO(&wr);
	FD_ZERO(&ex);
	FD_SET(p[0], &rd);
	FD_SET(p[1], &wr);
	FD_SET(p[0], &ex);
	struct timeval tv = { 0, 0 };
	int n = select(p[1] + 1, &rd, &wr, &ex, &tv);
	CHECKF("select: only writable", n == 1 && !FD_ISSET(p[0], &rd) && FD_ISSET(p[1], &wr) &&
	       !FD_ISSET(p[0], &ex), "n %d", n);
	MUST(write(p[1], "x", 1));
	FD_ZERO(&rd);
	FD_SET(p[0], &rd);
	FD_SET(p[1], &wr);
	CHECK("select: readable and writable", select(p[1] + 1, &rd, &wr, NULL, &tv) == 2 &&
		FD_ISSET(p[0], &rd) && FD_ISSET(p[1], &wr));
	char b[4];
	MUST(read(p[0], b, sizeof b));

	FD_ZERO(&rd);
	FD_SET(p[0], &rd);
	tv = (struct timeval){ 0, 100000 };
	double t0 = now_ms();
	n = select(p[0] + 1, &rd, NULL, NULL, &tv);
	double dt = now_ms() - t0;
	CHECKF("select times out after at least 100 ms", n == 0 && dt >= 100 && !FD_ISSET(p[0], &rd),
	       "n %d, %.1f ms", n, dt);
	CHECK("select leaves no time", tv.tv_sec == 0 && tv.tv_usec == 0);
	pid_t pid = later(50, p[1]);
	FD_SET(p[0], &rd);
	tv = (struct timeval){ 10, 0 };
	n = select(p[0] + 1, &rd, NULL, NULL, &tv);
	CHECKF("select woken by a writer, time left written back",
	       n == 1 && FD_ISSET(p[0], &rd) && tv.tv_sec < 10 && tv.tv_sec >= 8,
	       "n %d, left %ld.%06ld", n, (long)tv.tv_sec, (long)tv.tv_usec);
	reap(pid);
	MUST(read(p[0], b, sizeof b));

	FD_ZERO(&rd);
	FD_SET(p[0], &rd);
	caught = 0;
	pid = later(50, -1);
	n = select(p[0] + 1, &rd, NULL, NULL, NULL);
	int e = errno;
	CHECKF("kill() interrupts select: EINTR", n == -1 && e == EINTR && caught == SIGUSR1, "n %d", n);
	reap(pid);

	int spare = dup(p[0]);
	close(spare);
	FD_ZERO(&rd);
	FD_SET(spare, &rd);
	tv = (struct timeval){ 0, 0 };
	CHECK_ERRNO("closed fd in a set: EBADF", select(spare + 1, &rd, NULL, NULL, &tv), EBADF);
	CHECK_ERRNO("negative nfds: EINVAL", select(-1, NULL, NULL, NULL, &tv), EINVAL);
	tv = (struct timeval){ -1, 0 };
	CHECK_ERRNO("negative timeout: EINVAL", select(0, NULL, NULL, NULL, &tv), EINVAL);

	/* pselect: a temporary mask that lets a blocked SIGUSR1 in. */
	sigset_t block, none, cur;
	sigemptyset(&block), sigemptyset(&none);
	sigaddset(&block, SIGUSR1);
	MUST(sigprocmask(SIG_BLOCK, &block, NULL));
	caught = 0;
	pid = later(50, -1);
	FD_ZERO(&rd);
	FD_SET(p[0], &rd);
	n = pselect(p[0] + 1, &rd, NULL, NULL, NULL, &none);
	e = errno;
	CHECKF("pselect's mask lets the signal in: EINTR", n == -1 && e == EINTR && caught == SIGUSR1,
	       "n %d", n);
	MUST(sigprocmask(SIG_BLOCK, NULL, &cur));
	CHECK("pselect restores the mask", sigismember(&cur, SIGUSR1));
	reap(pid);
	struct timespec ts = { 0, 50 * 1000000 };
	t0 = now_ms();
	n = pselect(p[0] + 1, &rd, NULL, NULL, &ts, NULL);
	dt = now_ms() - t0;
	CHECKF("pselect times out after at least 50 ms", n == 0 && dt >= 50, "n %d, %.1f ms", n, dt);
	MUST(sigprocmask(SIG_UNBLOCK, &block, NULL));
	close(p[0]), close(p[1]);
}

int main(void)
{
	struct sigaction sa = { 0 };
	sa.sa_handler = on_signal;
	MUST(sigaction(SIGUSR1, &sa, NULL));
	test_poll();
	test_poll_sleep();
	test_ppoll();
	test_select();
	return check_done();
}
