/*
 * Scheduling policies: sched_get_priority_max/min for each policy (EINVAL
 * for an unknown one); sched_setscheduler/getscheduler/setparam/getparam
 * with SCHED_FIFO, SCHED_RR (a 100 ms sched_rr_get_interval), SCHED_BATCH,
 * SCHED_IDLE and back; EINVAL for priorities out of range, a NULL param or
 * a negative pid, ESRCH for no such task; SCHED_RESET_ON_FORK (the child
 * starts as SCHED_OTHER without it); sched_setattr/sched_getattr (nice with
 * SCHED_BATCH, E2BIG, EINVAL); a user: EPERM for a real-time policy without
 * RLIMIT_RTPRIO, up to its value with it, never above it, and for leaving
 * SCHED_IDLE without RLIMIT_NICE room. As root.
 */
#include "check.h"

#include <sched.h>
#include <stdint.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

struct attr {
	uint32_t size, policy;
	uint64_t flags;
	int32_t nice;
	uint32_t priority;
	uint64_t runtime, deadline, period;
	uint32_t util_min, util_max;
};

static int set_policy(int policy, int prio)
{
	struct sched_param p = { .sched_priority = prio };
	return sched_setscheduler(0, policy, &p);
}

static int prio_now(void)
{
	struct sched_param p = { .sched_priority = -1 };
	return sched_getparam(0, &p) == 0 ? p.sched_priority : -1;
}

/* As uid 1000 with RLIMIT_RTPRIO 5: exits 0 when every check holds. */
static int user_checks(void)
{
	struct rlimit r = { 0, 0 };
	if (setrlimit(RLIMIT_RTPRIO, &r) || setgid(1000) || setuid(1000))
		return 1;
	if (set_policy(SCHED_FIFO, 1) != -1 || errno != EPERM)
		return 2;
	if (set_policy(SCHED_BATCH, 0) || set_policy(SCHED_OTHER, 0) || set_policy(SCHED_IDLE, 0))
		return 3;
	/* Leaving SCHED_IDLE (nice 20, as it counts) takes RLIMIT_NICE room. */
	if (set_policy(SCHED_OTHER, 0) != -1 || errno != EPERM)
		return 4;
	return 0;
}

static int user_rtprio(void)
{
	struct rlimit r = { 5, 5 };
	if (setrlimit(RLIMIT_RTPRIO, &r) || setgid(1000) || setuid(1000))
		return 1;
	if (set_policy(SCHED_FIFO, 5))
		return 2;
	if (set_policy(SCHED_FIFO, 6) != -1 || errno != EPERM)
		return 3;
	return set_policy(SCHED_OTHER, 0) ? 4 : 0;
}

static int in_child(int (*fn)(void))
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(fn());
	int status;
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int main(void)
{
	CHECK("FIFO and RR priorities are 1..99", sched_get_priority_min(SCHED_FIFO) == 1 &&
							  sched_get_priority_max(SCHED_FIFO) == 99 &&
							  sched_get_priority_max(SCHED_RR) == 99);
	CHECK("the others' are 0", sched_get_priority_max(SCHED_OTHER) == 0 &&
					   sched_get_priority_min(SCHED_BATCH) == 0 &&
					   sched_get_priority_max(SCHED_IDLE) == 0);
	CHECK_ERRNO("an unknown policy is EINVAL", sched_get_priority_max(42), EINVAL);
	CHECK("a process starts as SCHED_OTHER", sched_getscheduler(0) == SCHED_OTHER && prio_now() == 0);

	CHECK_SYS("SCHED_FIFO 10", set_policy(SCHED_FIFO, 10));
	CHECK("is reported", sched_getscheduler(0) == SCHED_FIFO && prio_now() == 10);
	struct sched_param p = { .sched_priority = 20 };
	CHECK_SYS("sched_setparam 20", sched_setparam(0, &p));
	CHECK("changes the priority only", sched_getscheduler(0) == SCHED_FIFO && prio_now() == 20);
	CHECK_ERRNO("FIFO 0 is EINVAL", set_policy(SCHED_FIFO, 0), EINVAL);
	CHECK_ERRNO("FIFO 100 is EINVAL", set_policy(SCHED_FIFO, 100), EINVAL);
	CHECK_ERRNO("OTHER 5 is EINVAL", set_policy(SCHED_OTHER, 5), EINVAL);
	CHECK_ERRNO("a NULL param is EINVAL", sched_setscheduler(0, SCHED_OTHER, NULL), EINVAL);
	p.sched_priority = 0;
	CHECK_ERRNO("a negative pid is EINVAL", sched_setscheduler(-1, SCHED_OTHER, &p), EINVAL);
	CHECK_ERRNO("no such task is ESRCH", sched_setscheduler(999999, SCHED_OTHER, &p), ESRCH);

	CHECK_SYS("SCHED_RR 1", set_policy(SCHED_RR, 1));
	struct timespec ts;
	CHECK("has a 100 ms slice", sched_rr_get_interval(0, &ts) == 0 && ts.tv_sec == 0 &&
					    ts.tv_nsec == 100000000);

	CHECK_SYS("SCHED_FIFO with SCHED_RESET_ON_FORK", set_policy(SCHED_FIFO | SCHED_RESET_ON_FORK, 3));
	CHECK("is reported with the flag", sched_getscheduler(0) == (SCHED_FIFO | SCHED_RESET_ON_FORK));
	pid_t pid = fork();
	if (pid == 0)
		_exit(sched_getscheduler(0) == SCHED_OTHER && prio_now() == 0 ? 0 : 1);
	int status;
	waitpid(pid, &status, 0);
	CHECK("a child starts as SCHED_OTHER without it", WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK_SYS("back to SCHED_OTHER", set_policy(SCHED_OTHER, 0));
	CHECK_SYS("SCHED_BATCH", set_policy(SCHED_BATCH, 0));
	CHECK_SYS("SCHED_IDLE", set_policy(SCHED_IDLE, 0));
	CHECK("is reported", sched_getscheduler(0) == SCHED_IDLE);
	CHECK_SYS("and back", set_policy(SCHED_OTHER, 0));

	struct attr a = { .size = sizeof(struct attr), .policy = SCHED_BATCH, .nice = 5 };
	CHECK_SYS("sched_setattr SCHED_BATCH nice 5", syscall(SYS_sched_setattr, 0, &a, 0));
	CHECK("sets both", sched_getscheduler(0) == SCHED_BATCH && getpriority(PRIO_PROCESS, 0) == 5);
	struct attr g;
	memset(&g, 0xff, sizeof g);
	CHECK("sched_getattr reports them", syscall(SYS_sched_getattr, 0, &g, sizeof g, 0) == 0 &&
						    g.policy == SCHED_BATCH && g.nice == 5 && g.size == sizeof g);
	CHECK_ERRNO("sched_getattr below the first size is EINVAL", syscall(SYS_sched_getattr, 0, &g, 40, 0),
		    EINVAL);
	a.size = 40;
	CHECK_ERRNO("sched_setattr below it is E2BIG", syscall(SYS_sched_setattr, 0, &a, 0), E2BIG);
	CHECK("and the size is written back", a.size == sizeof(struct attr));
	a.policy = SCHED_OTHER;
	a.nice = 0;
	CHECK_ERRNO("flags are EINVAL", syscall(SYS_sched_setattr, 0, &a, 1), EINVAL);
	struct attr dl = { .size = sizeof dl, .policy = 6, .runtime = 0, .deadline = 1000000 };
	CHECK_ERRNO("SCHED_DEADLINE without runtime is EINVAL", syscall(SYS_sched_setattr, 0, &dl, 0), EINVAL);
	CHECK_SYS("sched_setattr back to SCHED_OTHER", syscall(SYS_sched_setattr, 0, &a, 0));

	int rc = in_child(user_checks);
	CHECKF("a user gets EPERM for real-time without RLIMIT_RTPRIO, and for leaving SCHED_IDLE", rc == 0,
	       "step %d", rc);
	/* Raising RLIMIT_RTPRIO takes CAP_SYS_RESOURCE, which some hosts'
	 * root lacks (the check is then left out natively). */
	if (prctl(PR_CAPBSET_READ, CAP_SYS_RESOURCE) == 1) {
		rc = in_child(user_rtprio);
		CHECKF("and real-time up to RLIMIT_RTPRIO with it", rc == 0, "step %d", rc);
	}
	return check_done();
}
