/*
 * Small kernel files and settings programs read: the timer slack
 * (PR_SET_TIMERSLACK, PR_GET_TIMERSLACK, /proc/PID/timerslack_ns: 0
 * restores the default, which a child takes from its parent's slack;
 * another task's needs CAP_SYS_NICE; a real-time task keeps none),
 * kernel.tainted (root adds flags, others may not), vm.drop_caches (root
 * writes 1 to 4, reads nothing), /proc/kallsyms readable. Runs as root,
 * natively too; the taint is written only as the guest's init, never on a
 * host.
 */
#include "check.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

static long read_long(const char *path)
{
	char buf[64] = { 0 };
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	int e = errno;
	close(fd);
	return n < 0 ? -e : strtol(buf, NULL, 10);
}

static int write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, text, strlen(text));
	int e = errno;
	close(fd);
	errno = e;
	return n < 0 ? -1 : 0;
}

static int child_status(pid_t pid)
{
	int st = 0;
	while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
		;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void check_timer_slack(void)
{
	CHECKF("default slack", prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0) == 50000, "%d",
	       prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0));
	CHECK_SYS("set slack", prctl(PR_SET_TIMERSLACK, 1000, 0, 0, 0));
	CHECK("get slack", prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0) == 1000);
	CHECKF("/proc/self/timerslack_ns", read_long("/proc/self/timerslack_ns") == 1000, "%ld",
	       read_long("/proc/self/timerslack_ns"));
	pid_t pid = fork();
	if (pid == 0) {
		/* The child's default is the parent's slack at fork. */
		if (prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0) != 1000)
			_exit(1);
		prctl(PR_SET_TIMERSLACK, 7777, 0, 0, 0);
		prctl(PR_SET_TIMERSLACK, 0, 0, 0, 0);
		_exit(prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0) == 1000 ? 0 : 2);
	}
	CHECKF("a child inherits and resets to it", child_status(pid) == 0, "%s", "");
	CHECK_SYS("write timerslack_ns", write_text("/proc/self/timerslack_ns", "3000"));
	CHECK("prctl sees it", prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0) == 3000);
	CHECK_SYS("0 restores the default", write_text("/proc/self/timerslack_ns", "0"));
	CHECK("default again", prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0) == 50000);
	CHECK_ERRNO("not a number", write_text("/proc/self/timerslack_ns", "x"), EINVAL);

	pid_t sleeper = fork();
	if (sleeper == 0) {
		for (;;)
			pause();
	}
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/timerslack_ns", sleeper);
	CHECKF("root reads another's", read_long(path) == 50000, "%ld", read_long(path));
	CHECK_SYS("root sets another's", write_text(path, "12345"));
	CHECK("it took", read_long(path) == 12345);
	pid_t user = fork();
	if (user == 0) {
		if (setgid(1000) || setuid(1000))
			_exit(9);
		int r = read_long(path) == -EPERM ? 0 : 1;
		r |= write_text(path, "5") == -1 && errno == EPERM ? 0 : 2;
		r |= read_long("/proc/self/timerslack_ns") == 50000 ? 0 : 4;
		_exit(r);
	}
	int st = child_status(user);
	CHECKF("a user may not reach another's, may its own", st == 0, "status %d", st);
	kill(sleeper, SIGKILL);
	child_status(sleeper);

	pid_t rt = fork();
	if (rt == 0) {
		struct sched_param sp = { .sched_priority = 1 };
		if (sched_setscheduler(0, SCHED_FIFO, &sp))
			_exit(9);
		int r = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0) == 0 ? 0 : 1;
		prctl(PR_SET_TIMERSLACK, 2222, 0, 0, 0);
		r |= prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0) == 0 ? 0 : 2;
		write_text("/proc/self/timerslack_ns", "4444");
		r |= prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0) == 0 ? 0 : 4;
		sp.sched_priority = 0;
		sched_setscheduler(0, SCHED_OTHER, &sp);
		r |= prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0) == 50000 ? 0 : 8;
		_exit(r);
	}
	st = child_status(rt);
	CHECKF("a real-time task keeps no slack", st == 0, "status %d", st);
}

static void check_sysctls(void)
{
	long taint = read_long("/proc/sys/kernel/tainted");
	CHECKF("tainted reads", taint >= 0, "%ld", taint);
	if (getpid() == 1) {
		CHECK_SYS("root adds a taint flag", write_text("/proc/sys/kernel/tainted", "4096"));
		CHECK("it is set", read_long("/proc/sys/kernel/tainted") & 4096);
		CHECK_SYS("0 clears nothing", write_text("/proc/sys/kernel/tainted", "0"));
		CHECK("still set", read_long("/proc/sys/kernel/tainted") & 4096);
	}
	pid_t user = fork();
	if (user == 0) {
		if (setgid(1000) || setuid(1000))
			_exit(9);
		int r = write_text("/proc/sys/kernel/tainted", "1") == -1 &&
				(errno == EPERM || errno == EACCES)
			? 0 : 1;
		r |= write_text("/proc/sys/vm/drop_caches", "3") == -1 && errno == EACCES ? 0 : 2;
		_exit(r);
	}
	int st = child_status(user);
	CHECKF("users may neither taint nor drop caches", st == 0, "status %d", st);
	CHECK_SYS("root drops caches", write_text("/proc/sys/vm/drop_caches", "3"));
	CHECK_ERRNO("0 is EINVAL", write_text("/proc/sys/vm/drop_caches", "0"), EINVAL);
	CHECK_ERRNO("1000 is EINVAL", write_text("/proc/sys/vm/drop_caches", "1000"), EINVAL);
	CHECKF("root cannot read drop_caches", read_long("/proc/sys/vm/drop_caches") == -EACCES,
	       "%ld", read_long("/proc/sys/vm/drop_caches"));
	int fd = open("/proc/kallsyms", O_RDONLY);
	CHECK_SYS("kallsyms opens", fd);
	close(fd);
}

int main(void)
{
	check_timer_slack();
	check_sysctls();
	return check_done();
}
