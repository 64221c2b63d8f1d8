/*
 * Nice values and CPU affinity: getpriority/setpriority for a process, a
 * process group and a user, inheritance over fork, the rules for non-root
 * callers (EACCES to lower, EPERM for others' processes), ESRCH and EINVAL;
 * sched_getaffinity/sched_setaffinity remembered per task and inherited,
 * EINVAL for an empty mask, ESRCH for a bad pid; getcpu inside the mask;
 * sched_rr_get_interval; nice in /proc/self/stat.
 */
#include "check.h"
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

/* Returns field N (1-based) of /proc/self/stat, or -1000. */
static long stat_field(int n)
{
	char buf[1024];
	FILE *f = fopen("/proc/self/stat", "r");
	if (!f)
		return -1000;
	size_t len = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[len] = 0;
	char *p = strrchr(buf, ')');
	if (!p)
		return -1000;
	p += 2; /* field 3 */
	for (int i = 3; i < n; i++) {
		p = strchr(p, ' ');
		if (!p)
			return -1000;
		p++;
	}
	return strtol(p, NULL, 10);
}

/* Runs FN in a child as uid 1000; returns its exit status. */
static int as_user(int (*fn)(pid_t), pid_t arg)
{
	pid_t pid = fork();
	if (pid == 0) {
		if (setuid(1000) != 0)
			_exit(99);
		_exit(fn(arg));
	}
	int st;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 100;
}

static int user_lower(pid_t unused)
{
	(void)unused;
	if (setpriority(PRIO_PROCESS, 0, 10) != 0)
		return 1;
	if (setpriority(PRIO_PROCESS, 0, 5) == 0 || errno != EACCES)
		return 2;
	return getpriority(PRIO_PROCESS, 0) == 10 ? 0 : 3;
}

static int user_other(pid_t root_pid)
{
	if (setpriority(PRIO_PROCESS, root_pid, 19) == 0 || errno != EPERM)
		return 1;
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	if (sched_setaffinity(root_pid, sizeof set, &set) == 0 || errno != EPERM)
		return 2;
	return 0;
}

int main(void)
{
	errno = 0;
	CHECK("getpriority starts at 0", getpriority(PRIO_PROCESS, 0) == 0 && errno == 0);
	CHECK_SYS("setpriority 5", setpriority(PRIO_PROCESS, 0, 5));
	CHECK("getpriority 5", getpriority(PRIO_PROCESS, 0) == 5);
	CHECK("by pid", getpriority(PRIO_PROCESS, getpid()) == 5);
	CHECKF("/proc/self/stat nice", stat_field(19) == 5, "nice field %ld", stat_field(19));
	CHECKF("/proc/self/stat priority", stat_field(18) == 25, "prio %ld", stat_field(18));
	CHECK_SYS("root lowers to -3", setpriority(PRIO_PROCESS, 0, -3));
	CHECK("getpriority -3", getpriority(PRIO_PROCESS, 0) == -3);
	CHECK_SYS("clamped to 19", setpriority(PRIO_PROCESS, 0, 100));
	CHECK("getpriority 19", getpriority(PRIO_PROCESS, 0) == 19);
	CHECK_SYS("back to 0", setpriority(PRIO_PROCESS, 0, 0));

	pid_t child = fork();
	if (child == 0) {
		pause();
		_exit(0);
	}
	CHECK_SYS("child niced", setpriority(PRIO_PROCESS, child, 7));
	CHECK("child's value", getpriority(PRIO_PROCESS, child) == 7);
	CHECK("own unchanged", getpriority(PRIO_PROCESS, 0) == 0);
	CHECK_SYS("child's own group", setpgid(child, child));
	CHECK("PRIO_PGRP get", getpriority(PRIO_PGRP, child) == 7);
	CHECK_SYS("PRIO_PGRP set", setpriority(PRIO_PGRP, child, 3));
	CHECK("child by group", getpriority(PRIO_PROCESS, child) == 3);
	CHECK("own not in that group", getpriority(PRIO_PROCESS, 0) == 0);
	CHECK("PRIO_USER root", getpriority(PRIO_USER, 0) <= 3);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	CHECK_ERRNO("ESRCH", setpriority(PRIO_PROCESS, child, 1), ESRCH);
	CHECK_ERRNO("EINVAL which", getpriority(7, 0), EINVAL);

	CHECK_SYS("inherited: set 4", setpriority(PRIO_PROCESS, 0, 4));
	pid_t c2 = fork();
	if (c2 == 0)
		_exit(getpriority(PRIO_PROCESS, 0) == 4 ? 0 : 1);
	int st;
	waitpid(c2, &st, 0);
	CHECK("fork inherits nice", WIFEXITED(st) && WEXITSTATUS(st) == 0);
	CHECK_SYS("reset", setpriority(PRIO_PROCESS, 0, 0));
	CHECK("non-root may raise, not lower", as_user(user_lower, 0) == 0);
	CHECK("non-root: others' tasks EPERM", as_user(user_other, getpid()) == 0);

	cpu_set_t all, one, got;
	CHECK_SYS("getaffinity", sched_getaffinity(0, sizeof all, &all));
	int ncpu = CPU_COUNT(&all);
	CHECKF("some CPU", ncpu >= 1, "%d CPUs", ncpu);
	int last = -1;
	for (int i = 0; i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, &all))
			last = i;
	CPU_ZERO(&one);
	CPU_SET(last, &one);
	CHECK_SYS("setaffinity one CPU", sched_setaffinity(0, sizeof one, &one));
	CHECK_SYS("getaffinity again", sched_getaffinity(0, sizeof got, &got));
	CHECK("remembered", CPU_EQUAL(&got, &one));
	unsigned cpu = 999;
	CHECK_SYS("getcpu", syscall(SYS_getcpu, &cpu, NULL, NULL));
	CHECKF("runs on the allowed CPU", (int)cpu == last, "cpu %u, allowed %d", cpu, last);
	pid_t c3 = fork();
	if (c3 == 0) {
		cpu_set_t s;
		sched_getaffinity(0, sizeof s, &s);
		_exit(CPU_EQUAL(&s, &one) ? 0 : 1);
	}
	waitpid(c3, &st, 0);
	CHECK("fork inherits affinity", WIFEXITED(st) && WEXITSTATUS(st) == 0);
	cpu_set_t none;
	CPU_ZERO(&none);
	CHECK_ERRNO("empty mask", sched_setaffinity(0, sizeof none, &none), EINVAL);
	CHECK_ERRNO("getaffinity -1", sched_getaffinity(-1, sizeof got, &got), ESRCH);
	CHECK_ERRNO("setaffinity -1", sched_setaffinity(-1, sizeof all, &all), ESRCH);
	CHECK_SYS("restore affinity", sched_setaffinity(0, sizeof all, &all));
	struct timespec ts = {5, 5};
	CHECK_SYS("sched_rr_get_interval", sched_rr_get_interval(0, &ts));
	CHECK("interval below a second", ts.tv_sec == 0 && ts.tv_nsec < 1000000000);
	return check_done();
}
