/*
 * Resource limits as Linux applies them: RLIMIT_NOFILE bounds every call that
 * makes a descriptor (open, dup, dup2/dup3, F_DUPFD, pipe) in both directions,
 * lowered and raised; select looks only at the descriptor table's bits;
 * setrlimit(2) itself exists; raising a hard limit takes CAP_SYS_RESOURCE, and
 * prlimit(2) on another user's process is EPERM. Runs as init (root), and the
 * unprivileged parts in a child that becomes uid 1000.
 */
#include "check.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define OTHER_UID 1000

static int wait_status(pid_t pid)
{
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return st;
}

static void set_nofile(rlim_t soft, rlim_t hard)
{
	struct rlimit r = { soft, hard };
	MUST(setrlimit(RLIMIT_NOFILE, &r));
}

static void lowered_nofile(void)
{
	struct rlimit old;
	MUST(getrlimit(RLIMIT_NOFILE, &old));
	CHECKF("init's RLIMIT_NOFILE is 1024/4096", old.rlim_cur == 1024 && old.rlim_max == 4096,
	       "%lu/%lu", (unsigned long)old.rlim_cur, (unsigned long)old.rlim_max);
	int high = MUST(dup2(0, 20));
	set_nofile(16, old.rlim_max);
	int last = -1, fd, err = 0;
	while ((fd = open("/", O_RDONLY)) >= 0)
		last = fd;
	err = errno;
	CHECKF("open stops at RLIMIT_NOFILE with EMFILE", last == 15 && err == EMFILE,
	       "last %d, errno %d", last, err);
	CHECK_ERRNO("dup past the limit", dup(0), EMFILE);
	CHECK_ERRNO("dup2 to a descriptor past the limit", dup2(0, 16), EBADF);
	CHECK_ERRNO("dup3 to a descriptor past the limit", dup3(0, 30, 0), EBADF);
	CHECK_ERRNO("F_DUPFD from the limit", fcntl(0, F_DUPFD, 16), EINVAL);
	CHECK_ERRNO("F_DUPFD below the limit, none free", fcntl(0, F_DUPFD, 3), EMFILE);
	int p[2];
	CHECK_ERRNO("pipe with no descriptor free", pipe(p), EMFILE);
	CHECK("a descriptor opened before stays open", fcntl(high, F_GETFD) == 0);
	for (int i = 3; i <= last; i++)
		close(i);
	close(high);
	set_nofile(old.rlim_cur, old.rlim_max);
}

static void raised_nofile(void)
{
	set_nofile(4096, 4096);
	CHECKF("dup2 to 3000 under a raised limit", dup2(0, 3000) == 3000, "errno %d", errno);
	CHECKF("F_DUPFD from 2000 under a raised limit", fcntl(0, F_DUPFD, 2000) == 2000, "errno %d",
	       errno);
	close(3000);
	close(2000);
	struct rlimit r = { 4096, 1 << 21 };
	CHECK_ERRNO("a hard RLIMIT_NOFILE past fs.nr_open", setrlimit(RLIMIT_NOFILE, &r), EPERM);
	r.rlim_max = 1 << 20;
	r.rlim_cur = 1 << 20;
	CHECK_SYS("root raises RLIMIT_NOFILE to fs.nr_open", setrlimit(RLIMIT_NOFILE, &r));
	CHECKF("dup2 to 1000000", dup2(0, 1000000) == 1000000, "errno %d", errno);
	close(1000000);
	set_nofile(1024, 4096);
	CHECK_ERRNO("soft above hard", setrlimit(RLIMIT_NOFILE, &(struct rlimit){ 5000, 4096 }),
		    EINVAL);
	CHECK_ERRNO("an unknown resource", syscall(SYS_getrlimit, 99, &r), EINVAL);
	/* The resource is an int: the upper half of the register is not read. */
	CHECKF("getrlimit reads the resource as an int",
	       syscall(SYS_getrlimit, (1UL << 32) | RLIMIT_NOFILE, &r) == 0 && r.rlim_cur == 1024,
	       "errno %d", errno);
}

static void select_table_bits(void)
{
	/* select looks at no bit past the table's size (64 descriptors here):
	 * an unopened descriptor there is not EBADF. */
	fd_set rd;
	FD_ZERO(&rd);
	FD_SET(900, &rd);
	struct timeval tv = { 0, 0 };
	CHECKF("select ignores bits past the descriptor table", select(1000, &rd, 0, 0, &tv) == 0,
	       "errno %d", errno);
	FD_ZERO(&rd);
	FD_SET(40, &rd);
	CHECK_ERRNO("select on an unopened descriptor in the table", select(41, &rd, 0, 0, &tv),
		    EBADF);
}

static void unprivileged(void)
{
	struct rlimit r;
	MUST(getrlimit(RLIMIT_NOFILE, &r));
	r.rlim_max += 1;
	CHECK_ERRNO("a user cannot raise a hard limit", setrlimit(RLIMIT_NOFILE, &r), EPERM);
	MUST(getrlimit(RLIMIT_NPROC, &r));
	if (r.rlim_max != RLIM_INFINITY) {
		r.rlim_max = RLIM_INFINITY;
		CHECK_ERRNO("a user cannot lift RLIMIT_NPROC", setrlimit(RLIMIT_NPROC, &r), EPERM);
	}
	MUST(getrlimit(RLIMIT_NOFILE, &r));
	r.rlim_max -= 1;
	r.rlim_cur = r.rlim_max < r.rlim_cur ? r.rlim_max : r.rlim_cur;
	CHECK_SYS("a user may lower a hard limit", setrlimit(RLIMIT_NOFILE, &r));
	r.rlim_max += 1;
	CHECK_ERRNO("and not raise it back", setrlimit(RLIMIT_NOFILE, &r), EPERM);
	CHECK_ERRNO("prlimit on root's process (init)", prlimit(1, RLIMIT_NOFILE, 0, &r), EPERM);
	CHECK_SYS("prlimit on its own process", prlimit(getpid(), RLIMIT_NOFILE, 0, &r));
}

/*
 * setuid into a user already past its RLIMIT_NPROC (here: it has one other
 * process, the limit is 0) succeeds, and the next execve fails with EAGAIN
 * while the user is still past it (Linux's PF_NPROC_EXCEEDED); under a
 * raised limit the execve goes through. Linux counts the user's processes
 * before the caller joins them.
 */
static void nproc_after_setuid(int raise)
{
	pid_t pid = MUST(fork());
	if (pid == 0) {
		struct rlimit r = { 0, 16 };
		MUST(setrlimit(RLIMIT_NPROC, &r));
		if (setresgid(OTHER_UID, OTHER_UID, OTHER_UID) || setresuid(OTHER_UID, OTHER_UID, OTHER_UID))
			_exit(3);
		if (raise) {
			r.rlim_cur = 16;
			MUST(setrlimit(RLIMIT_NPROC, &r));
		}
		execl("/proc/self/exe", "rlimit", "exit42", (char *)NULL);
		_exit(errno == EAGAIN ? 11 : 4);
	}
	int st = wait_status(pid);
	if (raise)
		CHECKF("execve after setuid under a raised RLIMIT_NPROC", WIFEXITED(st) && WEXITSTATUS(st) == 42,
		       "status %#x", st);
	else
		CHECKF("execve after setuid past RLIMIT_NPROC is EAGAIN", WIFEXITED(st) && WEXITSTATUS(st) == 11,
		       "status %#x", st);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "exit42") == 0)
		return 42;
	pid_t holder = MUST(fork());
	if (holder == 0) {
		if (setresgid(OTHER_UID, OTHER_UID, OTHER_UID) || setresuid(OTHER_UID, OTHER_UID, OTHER_UID))
			_exit(3);
		for (;;)
			pause();
	}
	sleep_ms(100);
	nproc_after_setuid(0);
	nproc_after_setuid(1);
	kill(holder, SIGKILL);
	wait_status(holder);
	lowered_nofile();
	raised_nofile();
	select_table_bits();
	pid_t pid = MUST(fork());
	if (pid == 0) {
		if (setresgid(OTHER_UID, OTHER_UID, OTHER_UID) || setresuid(OTHER_UID, OTHER_UID, OTHER_UID))
			check_fail("setup", errno, "setresuid");
		unprivileged();
		_exit(check_done());
	}
	int st = wait_status(pid);
	CHECKF("the unprivileged checks pass", WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %#x",
	       st);
	return check_done();
}
