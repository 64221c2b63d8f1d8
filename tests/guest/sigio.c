/*
 * Signal-driven I/O: fcntl(2)'s F_SETOWN, F_GETOWN, F_SETOWN_EX,
 * F_GETOWN_EX, F_SETSIG and F_GETSIG, and O_ASYNC through F_SETFL and
 * ioctl's FIOASYNC. Data
 * written to a pipe whose read end has O_ASYNC sends its owner SIGIO; with
 * F_SETSIG a real-time signal whose siginfo says POLL_IN, the band and the
 * descriptor; the owner may be another process or a thread; nothing comes
 * once O_ASYNC is off; a socket's peer's data signals too. Bad owners and signals get Linux's errors.
 */
#define _GNU_SOURCE
#include "check.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static volatile sig_atomic_t sigio_count, rt_count, rt_code, rt_fd;
static volatile long rt_band;

static void on_sigio(int sig)
{
	(void)sig;
	sigio_count++;
}

static void on_rt(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	rt_count++;
	rt_code = si->si_code;
	rt_fd = si->si_fd;
	rt_band = si->si_band;
}

/* Waits, with `sig` blocked before the event, until it was handled. */
static void await_signal(sigset_t *blocked_then)
{
	sigset_t open;
	sigemptyset(&open);
	alarm(5);
	sigsuspend(&open);
	alarm(0);
	sigprocmask(SIG_SETMASK, blocked_then, NULL);
}

static void block(int sig, sigset_t *old)
{
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, sig);
	sigprocmask(SIG_BLOCK, &s, old);
}

int main(void)
{
	int p[2];
	char c = 'x';
	sigset_t old;
	MUST(pipe(p));
	signal(SIGIO, on_sigio);
	struct sigaction sa = {0};
	sa.sa_sigaction = on_rt;
	sa.sa_flags = SA_SIGINFO;
	MUST(sigaction(SIGRTMIN, &sa, NULL));

	CHECK("no owner at first", fcntl(p[0], F_GETOWN) == 0);
	CHECK("SIGIO by default", fcntl(p[0], F_GETSIG) == 0);
	CHECK_SYS("F_SETOWN to self", fcntl(p[0], F_SETOWN, getpid()));
	CHECK("F_GETOWN says so", fcntl(p[0], F_GETOWN) == getpid());
	CHECK_ERRNO("F_SETOWN to nobody is ESRCH", fcntl(p[0], F_SETOWN, 999999), ESRCH);
	CHECK_ERRNO("F_SETSIG past the last signal is EINVAL", fcntl(p[0], F_SETSIG, 65), EINVAL);

	/* Without O_ASYNC, nothing. */
	MUST(write(p[1], &c, 1));
	usleep(20000);
	CHECK("no SIGIO without O_ASYNC", sigio_count == 0);
	MUST(read(p[0], &c, 1));

	MUST(fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_ASYNC));
	CHECK("O_ASYNC is set", fcntl(p[0], F_GETFL) & O_ASYNC);
	block(SIGIO, &old);
	MUST(write(p[1], &c, 1));
	await_signal(&old);
	CHECK("data in the pipe sends SIGIO", sigio_count == 1);
	MUST(read(p[0], &c, 1));

	/* A real-time signal with the details. */
	CHECK_SYS("F_SETSIG SIGRTMIN", fcntl(p[0], F_SETSIG, SIGRTMIN));
	CHECK("F_GETSIG says so", fcntl(p[0], F_GETSIG) == SIGRTMIN);
	block(SIGRTMIN, &old);
	MUST(write(p[1], &c, 1));
	await_signal(&old);
	CHECKF("the real-time signal says POLL_IN, the band and the descriptor",
	       rt_count == 1 && rt_code == POLL_IN && rt_fd == p[0] && (rt_band & POLLIN),
	       "count %d code %d fd %d band %#lx", (int)rt_count, (int)rt_code, (int)rt_fd, rt_band);
	MUST(read(p[0], &c, 1));
	MUST(fcntl(p[0], F_SETSIG, 0));

	/* F_SETOWN_EX: a thread; a bad kind. */
	struct f_owner_ex ex = {F_OWNER_TID, (pid_t)syscall(SYS_gettid)};
	CHECK_SYS("F_SETOWN_EX to a thread", fcntl(p[0], F_SETOWN_EX, &ex));
	struct f_owner_ex got = {-1, -1};
	CHECK("F_GETOWN_EX says so", fcntl(p[0], F_GETOWN_EX, &got) == 0 &&
					     got.type == F_OWNER_TID && got.pid == ex.pid);
	block(SIGIO, &old);
	MUST(write(p[1], &c, 1));
	await_signal(&old);
	CHECK("the owning thread gets SIGIO", sigio_count == 2);
	MUST(read(p[0], &c, 1));
	struct f_owner_ex bad = {7, getpid()};
	CHECK_ERRNO("F_SETOWN_EX with a bad kind is EINVAL", fcntl(p[0], F_SETOWN_EX, &bad), EINVAL);

	/* A process group owner reads back negative. */
	CHECK_SYS("F_SETOWN to our process group", fcntl(p[0], F_SETOWN, -getpgrp()));
	CHECK("F_GETOWN gives it negative", fcntl(p[0], F_GETOWN) == -getpgrp());
	CHECK("F_GETOWN_EX says F_OWNER_PGRP", fcntl(p[0], F_GETOWN_EX, &got) == 0 &&
						       got.type == F_OWNER_PGRP && got.pid == getpgrp());

	/* Another process as the owner. */
	int ready[2];
	MUST(pipe(ready));
	block(SIGIO, &old);
	pid_t child = fork();
	if (child == 0) {
		sigio_count = 0;
		MUST(write(ready[1], &c, 1));
		await_signal(&old);
		_exit(sigio_count == 1 ? 0 : 1);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	MUST(read(ready[0], &c, 1));
	MUST(fcntl(p[0], F_SETOWN, child));
	int before = sigio_count;
	MUST(write(p[1], &c, 1));
	int st;
	MUST(waitpid(child, &st, 0));
	CHECK("the owning child got SIGIO", WIFEXITED(st) && WEXITSTATUS(st) == 0);
	CHECK("not the writer", sigio_count == before);
	MUST(read(p[0], &c, 1));

	/* A stream socket: data from its peer. */
	int sv[2];
	MUST(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	MUST(fcntl(sv[0], F_SETOWN, getpid()));
	int on = 1;
	CHECK_SYS("FIOASYNC on a socket", ioctl(sv[0], FIOASYNC, &on));
	CHECK("FIOASYNC sets O_ASYNC", fcntl(sv[0], F_GETFL) & O_ASYNC);
	before = sigio_count;
	block(SIGIO, &old);
	MUST(write(sv[1], &c, 1));
	await_signal(&old);
	CHECK("data from a socket's peer sends SIGIO", sigio_count == before + 1);
	close(sv[0]);
	close(sv[1]);

	/* O_ASYNC off: nothing more. */
	MUST(fcntl(p[0], F_SETOWN, getpid()));
	MUST(fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) & ~O_ASYNC));
	before = sigio_count;
	MUST(write(p[1], &c, 1));
	usleep(20000);
	CHECK("no SIGIO once O_ASYNC is off", sigio_count == before);
	return check_done();
}
