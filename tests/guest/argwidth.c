/*
 * Each system call reads an argument at its C type, as Linux's wrappers cast
 * the register: an int or unsigned int ignores the register's upper half
 * (pipe2, eventfd2, memfd_create, fallocate's mode, dup2, getrlimit), a long
 * or an unsigned long does not (fallocate's offsets). Before the system call
 * table was typed, some calls tested all 64 bits and refused what Linux takes.
 */
#include "check.h"

#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/futex.h>
#include <time.h>

static const unsigned long hi = 1UL << 32;

int main(void)
{
	int fds[2];
	CHECKF("pipe2's flags are an int", syscall(SYS_pipe2, fds, hi | O_CLOEXEC) == 0, "errno %d",
	       errno);
	CHECK("pipe2 kept O_CLOEXEC", fcntl(fds[0], F_GETFD) == FD_CLOEXEC);
	close(fds[0]);
	close(fds[1]);
	long fd = syscall(SYS_eventfd2, hi | 7, hi | EFD_NONBLOCK);
	CHECKF("eventfd2's count and flags are ints", fd >= 0, "errno %d", errno);
	uint64_t v = 0;
	CHECK("eventfd2 counts from the low half", read(fd, &v, 8) == 8 && v == 7);
	close(fd);
	fd = syscall(SYS_memfd_create, "w", hi | MFD_CLOEXEC);
	CHECKF("memfd_create's flags are an unsigned int", fd >= 0, "errno %d", errno);
	CHECK_SYS("fallocate's mode is an int", syscall(SYS_fallocate, fd, hi, 0, 4096));
	CHECK_ERRNO("fallocate's offset is a long", syscall(SYS_fallocate, fd, 0, -1L, 4096), EINVAL);
	CHECK_ERRNO("dup2's descriptors are unsigned ints",
		    syscall(SYS_dup2, hi | 0xffffffffUL, 5), EBADF);
	CHECKF("dup2 reads the low half", syscall(SYS_dup2, hi | fd, hi | 50) == 50, "errno %d",
	       errno);
	close(50);
	close(fd);

	CHECKF("kill's pid and signal are ints", syscall(SYS_kill, hi | getpid(), hi | 0) == 0,
	       "errno %d", errno);
	CHECKF("tgkill's ids and signal are ints",
	       syscall(SYS_tgkill, hi | getpid(), hi | getpid(), hi | 0) == 0, "errno %d", errno);
	struct timespec ts;
	CHECKF("clock_gettime's clock is an int",
	       syscall(SYS_clock_gettime, hi | CLOCK_MONOTONIC, &ts) == 0, "errno %d", errno);
	uint64_t set = 0;
	CHECKF("rt_sigprocmask's how is an int",
	       syscall(SYS_rt_sigprocmask, hi | SIG_BLOCK, &set, NULL, 8) == 0, "errno %d", errno);
	CHECK_ERRNO("wait4's pid and options are ints",
		    syscall(SYS_wait4, hi | 0xffffffffUL, NULL, hi | WNOHANG, NULL), ECHILD);
	int word = 0;
	CHECKF("futex's op is an int", syscall(SYS_futex, &word, hi | FUTEX_WAKE, 1, 0, 0, 0) == 0,
	       "errno %d", errno);
	long s = syscall(SYS_socket, hi | AF_UNIX, hi | SOCK_STREAM, hi | 0);
	CHECKF("socket's domain, type and protocol are ints", s >= 0, "errno %d", errno);
	long s2 = syscall(SYS_socket, AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un { unsigned short f; char p[20]; } a = { AF_UNIX, "\0argwidth" };
	CHECK_SYS("bind", bind(s, (void *)&a, sizeof a));
	CHECKF("listen's backlog is an int", syscall(SYS_listen, hi | s, hi | 4) == 0, "errno %d",
	       errno);
	CHECK_SYS("connect", connect(s2, (void *)&a, sizeof a));
	CHECKF("shutdown's how is an int", syscall(SYS_shutdown, s2, hi | SHUT_RD) == 0, "errno %d",
	       errno);
	long ep = syscall(SYS_epoll_create1, hi | 0);
	CHECKF("epoll_create1's flags are an int", ep >= 0, "errno %d", errno);
	struct epoll_event ev = { EPOLLOUT, { 0 } };
	CHECKF("epoll_ctl's op is an int", syscall(SYS_epoll_ctl, ep, hi | EPOLL_CTL_ADD, s2, &ev) == 0,
	       "errno %d", errno);
	CHECKF("epoll_wait's maxevents and timeout are ints",
	       syscall(SYS_epoll_wait, ep, &ev, hi | 1, hi | 0) == 1, "errno %d", errno);
	close(ep);
	close(s2);
	close(s);
	return check_done();
}
