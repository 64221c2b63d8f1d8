/*
 * Checks epoll and eventfd: epoll_ctl's errors, level-triggered and
 * edge-triggered readiness of a pipe, EPOLLONESHOT with re-arming by
 * EPOLL_CTL_MOD, EPOLL_CTL_DEL, entries that live as long as the open file
 * (closed everywhere: gone; dup'ed: still there), EPOLLHUP, fairness when
 * maxevents is small, timeouts, wake-up from another process, EINTR, nested
 * epoll instances (and ELOOP), and eventfd counter and semaphore semantics,
 * alone and under epoll.
 */
#include "check.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

static volatile sig_atomic_t caught;

static void on_signal(int sig)
{
	caught = sig;
}

/* Forks a child that sleeps MS, then writes 8 bytes of value 1 to FD if it is
 * >= 0, or else sends SIGUSR1 to the parent; returns its pid. */
static pid_t later(long ms, int fd)
{
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid == 0) {
		sleep_ms(ms);
		uint64_t one = 1;
		if (fd >= 0)
			write(fd, &one, sizeof one);
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

static int add(int ep, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev = { .events = events, .data.u64 = data };
	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

static int mod(int ep, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev = { .events = events, .data.u64 = data };
	return epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
}

/* Waits up to MS on EP for one event; returns the count, the event in *EV. */
static int wait1(int ep, struct epoll_event *ev, int ms)
{
	return epoll_wait(ep, ev, 1, ms);
}

static void test_ctl(void)
{
	CHECK_ERRNO("epoll_create(0)", epoll_create(0), EINVAL);
	CHECK_ERRNO("epoll_create1 bad flag", epoll_create1(1), EINVAL);
	int ep = MUST(epoll_create1(EPOLL_CLOEXEC));
	CHECK("EPOLL_CLOEXEC", fcntl(ep, F_GETFD) == FD_CLOEXEC);
	struct stat st;
	CHECK_SYS("fstat an epoll fd", fstat(ep, &st));
	int p[2];
	MUST(pipe(p));
	int file = MUST(open("/etc/hostname", O_RDONLY));
	CHECK_ERRNO("a regular file: EPERM", add(ep, file, EPOLLIN, 0), EPERM);
	CHECK_ERRNO("itself: EINVAL", add(ep, ep, EPOLLIN, 0), EINVAL);
	CHECK_ERRNO("not an epoll: EINVAL", add(p[0], p[1], EPOLLIN, 0), EINVAL);
	CHECK_ERRNO("bad fd: EBADF", add(ep, 999, EPOLLIN, 0), EBADF);
	CHECK_SYS("add", add(ep, p[0], EPOLLIN, 0));
	CHECK_ERRNO("add twice: EEXIST", add(ep, p[0], EPOLLIN, 0), EEXIST);
	CHECK_ERRNO("mod missing: ENOENT", mod(ep, p[1], EPOLLOUT, 0), ENOENT);
	CHECK_ERRNO("del missing: ENOENT", epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL), ENOENT);
	CHECK_ERRNO("bad op: EINVAL", epoll_ctl(ep, 99, p[0], &(struct epoll_event){ 0 }), EINVAL);
	CHECK_ERRNO("EPOLLEXCLUSIVE with MOD", mod(ep, p[0], EPOLLIN | EPOLLEXCLUSIVE, 0), EINVAL);
	struct epoll_event ev;
	CHECK_ERRNO("maxevents 0", epoll_wait(ep, &ev, 0, 0), EINVAL);
	CHECK_ERRNO("wait on a pipe", epoll_wait(p[0], &ev, 1, 0), EINVAL);
	close(file), close(ep), close(p[0]), close(p[1]);
}

static void test_triggers(void)
{
	int p[2];
	MUST(pipe(p));
	int lt = MUST(epoll_create1(0)), et = MUST(epoll_create1(0)), one = MUST(epoll_create1(0));
	MUST(add(lt, p[0], EPOLLIN, 11));
	MUST(add(et, p[0], EPOLLIN | EPOLLET, 22));
	MUST(add(one, p[0], EPOLLIN | EPOLLONESHOT, 33));
	struct epoll_event ev;
	CHECK("empty: nothing", wait1(lt, &ev, 0) == 0 && wait1(et, &ev, 0) == 0 &&
		wait1(one, &ev, 0) == 0);
	MUST(write(p[1], "abc", 3));
	CHECK("LT reports EPOLLIN with its data", wait1(lt, &ev, 0) == 1 && ev.events == EPOLLIN &&
		ev.data.u64 == 11);
	CHECK("LT reports again", wait1(lt, &ev, 0) == 1);
	CHECK("ET reports the edge", wait1(et, &ev, 0) == 1 && ev.data.u64 == 22);
	CHECK("ET does not report twice", wait1(et, &ev, 0) == 0);
	CHECK("ONESHOT reports once", wait1(one, &ev, 0) == 1 && ev.data.u64 == 33);
	CHECK("ONESHOT then stays quiet", wait1(one, &ev, 0) == 0);
	MUST(write(p[1], "d", 1));
	CHECK("ET: a new write is a new edge", wait1(et, &ev, 0) == 1 && wait1(et, &ev, 0) == 0);
	CHECK("ONESHOT stays disarmed", wait1(one, &ev, 0) == 0);
	CHECK_SYS("MOD re-arms", mod(one, p[0], EPOLLIN | EPOLLONESHOT, 44));
	CHECK("re-armed with new data", wait1(one, &ev, 0) == 1 && ev.data.u64 == 44);
	CHECK_SYS("MOD to an ET entry", mod(et, p[0], EPOLLIN | EPOLLET, 55));
	CHECK("MOD makes a ready ET entry report", wait1(et, &ev, 0) == 1 && ev.data.u64 == 55);
	char b[8];
	MUST(read(p[0], b, sizeof b));
	CHECK("drained: LT quiet", wait1(lt, &ev, 0) == 0);
	CHECK_SYS("DEL", epoll_ctl(lt, EPOLL_CTL_DEL, p[0], NULL));
	MUST(write(p[1], "e", 1));
	CHECK("deleted: nothing", wait1(lt, &ev, 0) == 0);

	MUST(add(lt, p[1], EPOLLOUT, 66));
	CHECK("write end: EPOLLOUT", wait1(lt, &ev, 0) == 1 && ev.events == EPOLLOUT);
	MUST(mod(lt, p[1], EPOLLIN, 77));
	CHECK("MOD to events that are not ready", wait1(lt, &ev, 0) == 0);
	MUST(epoll_ctl(lt, EPOLL_CTL_DEL, p[1], NULL));
	MUST(add(lt, p[0], EPOLLIN, 88));
	close(p[1]);
	CHECKF("writer gone: EPOLLIN|EPOLLHUP", wait1(lt, &ev, 0) == 1 &&
	       ev.events == (EPOLLIN | EPOLLHUP), "events %#x", ev.events);
	close(lt), close(et), close(one), close(p[0]);
}

static void test_lifetime(void)
{
	int ep = MUST(epoll_create1(0));
	int p[2];
	MUST(pipe(p));
	MUST(write(p[1], "x", 1));
	MUST(add(ep, p[0], EPOLLIN, 1));
	int d = dup(p[0]);
	close(p[0]);
	struct epoll_event ev;
	CHECK("the entry outlives its fd while the file is open", wait1(ep, &ev, 0) == 1 &&
		ev.data.u64 == 1);
	CHECK_ERRNO("DEL by the closed fd: EBADF", epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL), EBADF);
	close(d);
	CHECK("closing the file everywhere removes it", wait1(ep, &ev, 0) == 0);
	close(p[1]);

	/* Three ready pipes, two events at a time: everyone gets a turn. */
	int q[3][2];
	for (int i = 0; i < 3; i++) {
		MUST(pipe(q[i]));
		MUST(write(q[i][1], "y", 1));
		MUST(add(ep, q[i][0], EPOLLIN, 100 + i));
	}
	struct epoll_event evs[2];
	int seen = 0;
	for (int round = 0; round < 2; round++) {
		int n = epoll_wait(ep, evs, 2, 0);
		for (int i = 0; i < n; i++)
			seen |= 1 << (evs[i].data.u64 - 100);
	}
	CHECKF("maxevents 2 over 3 ready: all reported in two calls", seen == 7, "seen %#x", seen);
	for (int i = 0; i < 3; i++)
		close(q[i][0]), close(q[i][1]);
	close(ep);
}

static void test_wait(void)
{
	int ep = MUST(epoll_create1(0));
	int efd = MUST(eventfd(0, 0));
	MUST(add(ep, efd, EPOLLIN, 5));
	struct epoll_event ev;
	double t0 = now_ms();
	int n = wait1(ep, &ev, 100);
	double dt = now_ms() - t0;
	CHECKF("epoll_wait times out after at least 100 ms", n == 0 && dt >= 100, "n %d, %.1f ms", n, dt);
	struct timespec ts = { 0, 50 * 1000000 };
	t0 = now_ms();
	n = syscall(SYS_epoll_pwait2, ep, &ev, 1, &ts, NULL, 8);
	dt = now_ms() - t0;
	CHECKF("epoll_pwait2 times out after at least 50 ms", n == 0 && dt >= 50, "n %d, %.1f ms", n, dt);
	pid_t pid = later(50, efd);
	n = wait1(ep, &ev, 10000);
	CHECKF("woken by an eventfd write in another process", n == 1 && ev.data.u64 == 5, "n %d", n);
	reap(pid);
	uint64_t v;
	MUST(read(efd, &v, sizeof v));

	struct sigaction sa = { 0 };
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	MUST(sigaction(SIGUSR1, &sa, NULL));
	caught = 0;
	pid = later(50, -1);
	CHECK_ERRNO("kill() interrupts epoll_wait: EINTR even with SA_RESTART", wait1(ep, &ev, 10000),
		    EINTR);
	CHECK("the handler ran", caught == SIGUSR1);
	reap(pid);

	sigset_t block, none, cur;
	sigemptyset(&block), sigemptyset(&none);
	sigaddset(&block, SIGUSR1);
	MUST(sigprocmask(SIG_BLOCK, &block, NULL));
	caught = 0;
	pid = later(50, -1);
	n = epoll_pwait(ep, &ev, 1, 10000, &none);
	int e = errno;
	CHECKF("epoll_pwait's mask lets the signal in", n == -1 && e == EINTR && caught == SIGUSR1,
	       "n %d", n);
	MUST(sigprocmask(SIG_BLOCK, NULL, &cur));
	CHECK("epoll_pwait restores the mask", sigismember(&cur, SIGUSR1));
	MUST(sigprocmask(SIG_UNBLOCK, &block, NULL));
	reap(pid);
	close(efd), close(ep);
}

static void test_nested(void)
{
	int outer = MUST(epoll_create1(0)), inner = MUST(epoll_create1(0));
	int p[2];
	MUST(pipe(p));
	MUST(add(inner, p[0], EPOLLIN, 1));
	CHECK_SYS("an epoll inside an epoll", add(outer, inner, EPOLLIN, 2));
	CHECK_ERRNO("a loop: ELOOP", add(inner, outer, EPOLLIN, 3), ELOOP);
	struct epoll_event ev;
	CHECK("nothing ready inside: outer quiet", wait1(outer, &ev, 0) == 0);
	struct pollfd pfd = { inner, POLLIN, 0 };
	CHECK("poll on an idle epoll fd", poll(&pfd, 1, 0) == 0);
	pid_t pid = later(50, p[1]);
	int n = wait1(outer, &ev, 10000);
	CHECKF("a write inside wakes the outer epoll", n == 1 && ev.data.u64 == 2 &&
	       ev.events == EPOLLIN, "n %d", n);
	reap(pid);
	CHECK("poll on a ready epoll fd: POLLIN", poll(&pfd, 1, 0) == 1 && pfd.revents == POLLIN);
	CHECK("the inner one has the event", wait1(inner, &ev, 0) == 1 && ev.data.u64 == 1);
	close(p[0]), close(p[1]), close(inner), close(outer);
}

static void test_eventfd(void)
{
	int fd = MUST(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
	uint64_t v = 0;
	CHECK("EFD_CLOEXEC", fcntl(fd, F_GETFD) == FD_CLOEXEC);
	CHECK_ERRNO("zero: EAGAIN", read(fd, &v, sizeof v), EAGAIN);
	v = 3;
	CHECK("write 3", write(fd, &v, sizeof v) == 8);
	v = 4;
	MUST(write(fd, &v, sizeof v));
	CHECK("read takes the sum", read(fd, &v, sizeof v) == 8 && v == 7);
	CHECK_ERRNO("and resets it", read(fd, &v, sizeof v), EAGAIN);
	uint32_t small = 1;
	CHECK_ERRNO("short read: EINVAL", read(fd, &small, sizeof small), EINVAL);
	CHECK_ERRNO("short write: EINVAL", write(fd, &small, sizeof small), EINVAL);
	v = UINT64_MAX;
	CHECK_ERRNO("writing 2^64-1: EINVAL", write(fd, &v, sizeof v), EINVAL);
	v = UINT64_MAX - 1;
	CHECK("the counter holds 2^64-2", write(fd, &v, sizeof v) == 8);
	v = 1;
	CHECK_ERRNO("one more would overflow: EAGAIN", write(fd, &v, sizeof v), EAGAIN);
	struct pollfd pfd = { fd, POLLIN | POLLOUT, 0 };
	CHECK("full: readable, not writable", poll(&pfd, 1, 0) == 1 && pfd.revents == POLLIN);
	MUST(read(fd, &v, sizeof v));
	close(fd);

	CHECK_ERRNO("bad flags", eventfd(0, 0x10), EINVAL);
	fd = MUST(eventfd(3, EFD_SEMAPHORE | EFD_NONBLOCK));
	int ones = 0;
	while (read(fd, &v, sizeof v) == 8 && v == 1)
		ones++;
	int e = errno;
	CHECKF("semaphore: the initial 3 as three 1s", ones == 3 && e == EAGAIN, "ones %d", ones);
	close(fd);

	fd = MUST(eventfd(0, 0));
	pid_t pid = later(50, fd);
	CHECK("a blocking read waits for a write", read(fd, &v, sizeof v) == 8 && v == 1);
	reap(pid);
	int ep = MUST(epoll_create1(0));
	MUST(add(ep, fd, EPOLLIN | EPOLLET, 9));
	struct epoll_event ev;
	CHECK("eventfd under epoll: idle", wait1(ep, &ev, 0) == 0);
	v = 2;
	MUST(write(fd, &v, sizeof v));
	CHECK("eventfd under epoll: a write is an edge", wait1(ep, &ev, 0) == 1 && ev.data.u64 == 9 &&
		wait1(ep, &ev, 0) == 0);
	MUST(write(fd, &v, sizeof v));
	CHECK("another write, another edge", wait1(ep, &ev, 0) == 1);
	close(ep), close(fd);
}

int main(void)
{
	test_ctl();
	test_triggers();
	test_lifetime();
	test_wait();
	test_nested();
	test_eventfd();
	return check_done();
}
