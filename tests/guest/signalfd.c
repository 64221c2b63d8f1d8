/*
 * signalfd: blocked signals read as struct signalfd_siginfo (kill's and
 * tgkill's sender, sigqueue's value, SIGCHLD's child and status), several
 * per read, EAGAIN with none and EINVAL for a short buffer, a new mask
 * for an existing signalfd, a blocking read woken by a signal from
 * another thread, poll and epoll readiness, and the errnos of bad
 * arguments. Runs natively too.
 */
#include "check.h"

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static struct signalfd_siginfo si[4];

static void *send_later(void *arg)
{
	(void)arg;
	sleep_ms(100);
	kill(getpid(), SIGUSR1);
	return NULL;
}

int main(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sigset_t usr;
	sigemptyset(&usr);
	sigaddset(&usr, SIGUSR1);
	sigaddset(&usr, SIGUSR2);

	int fd = signalfd(-1, &usr, SFD_NONBLOCK | SFD_CLOEXEC);
	CHECK_SYS("signalfd", fd);
	CHECK_ERRNO("nothing pending is EAGAIN", read(fd, si, sizeof si[0]), EAGAIN);
	CHECK_ERRNO("a buffer shorter than one siginfo is EINVAL", read(fd, si, 100), EINVAL);
	CHECK_ERRNO("it is not written", write(fd, si, sizeof si[0]), EINVAL);

	kill(getpid(), SIGUSR1);
	struct pollfd p = { .fd = fd, .events = POLLIN };
	CHECK("poll sees a pending signal", poll(&p, 1, 0) == 1 && (p.revents & POLLIN));
	CHECKF("read gives kill's signal, sender and code",
	       read(fd, si, sizeof si) == sizeof si[0] && si[0].ssi_signo == SIGUSR1 &&
		       si[0].ssi_code == SI_USER && si[0].ssi_pid == (unsigned)getpid() &&
		       si[0].ssi_uid == getuid(),
	       "signo %u code %d pid %u", si[0].ssi_signo, si[0].ssi_code, si[0].ssi_pid);
	CHECK_ERRNO("and takes it", read(fd, si, sizeof si[0]), EAGAIN);

	union sigval v = { .sival_int = 1234 };
	sigqueue(getpid(), SIGUSR2, v);
	syscall(SYS_tgkill, getpid(), gettid(), SIGUSR1);
	ssize_t n = read(fd, si, sizeof si);
	CHECKF("two signals in one read", n == 2 * (ssize_t)sizeof si[0], "%zd", n);
	CHECKF("tgkill's is the thread's, read first", si[0].ssi_signo == SIGUSR1 && si[0].ssi_code == SI_TKILL,
	       "signo %u code %d", si[0].ssi_signo, si[0].ssi_code);
	CHECKF("sigqueue's carries its value", si[1].ssi_signo == SIGUSR2 && si[1].ssi_code == SI_QUEUE &&
						       si[1].ssi_int == 1234,
	       "signo %u code %d int %d", si[1].ssi_signo, si[1].ssi_code, si[1].ssi_int);

	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	CHECK("a new mask for the same signalfd", signalfd(fd, &chld, 0) == fd);
	pid_t pid = fork();
	if (pid == 0)
		_exit(7);
	p.revents = 0;
	CHECK("poll waits for SIGCHLD", poll(&p, 1, 5000) == 1);
	CHECKF("SIGCHLD says which child and how it ended",
	       read(fd, si, sizeof si) == sizeof si[0] && si[0].ssi_signo == SIGCHLD &&
		       si[0].ssi_pid == (unsigned)pid && si[0].ssi_code == CLD_EXITED && si[0].ssi_status == 7,
	       "signo %u pid %u code %d status %d", si[0].ssi_signo, si[0].ssi_pid, si[0].ssi_code,
	       si[0].ssi_status);
	waitpid(pid, NULL, 0);

	int blocking = signalfd(-1, &usr, 0);
	pthread_t th;
	pthread_create(&th, NULL, send_later, NULL);
	CHECK("a blocking read waits for the signal", read(blocking, si, sizeof si) == sizeof si[0] &&
							       si[0].ssi_signo == SIGUSR1);
	pthread_join(th, NULL);

	int ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = blocking }, out;
	epoll_ctl(ep, EPOLL_CTL_ADD, blocking, &ev);
	CHECK("epoll: nothing yet", epoll_wait(ep, &out, 1, 0) == 0);
	pthread_create(&th, NULL, send_later, NULL);
	CHECK("epoll wakes for the signal", epoll_wait(ep, &out, 1, 5000) == 1 && out.data.fd == blocking);
	pthread_join(th, NULL);
	CHECK("and read takes it", read(blocking, si, sizeof si) == sizeof si[0]);

	CHECK_ERRNO("a file that is not a signalfd is EINVAL", signalfd(ep, &usr, 0), EINVAL);
	CHECK_ERRNO("a bad fd is EBADF", signalfd(999, &usr, 0), EBADF);
	CHECK_ERRNO("a sigset size other than 8 is EINVAL", syscall(SYS_signalfd4, -1, &usr, 4, 0), EINVAL);
	CHECK_ERRNO("unknown flags are EINVAL", syscall(SYS_signalfd4, -1, &usr, 8, 1), EINVAL);
	CHECK_ERRNO("a bad mask pointer is EFAULT", syscall(SYS_signalfd4, -1, (void *)8, 8, 0), EFAULT);
	return check_done();
}
