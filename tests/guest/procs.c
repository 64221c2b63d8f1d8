/*
 * Checks process life cycles: 300 fork+exec+wait rounds, vfork (shared memory,
 * the parent waits), posix_spawn, orphans reaped by init (this program runs as
 * init) or by a subreaper, PR_SET_PDEATHSIG, sessions and process groups,
 * waitid, rusage, credentials and prctl names, clone3's struct clone_args
 * (sizes, stacks), and ECHILD at the end.
 */
#include "check.h"

#include <grp.h>
#include <linux/capability.h>
#include <linux/sched.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

#ifndef EXIT42
#define EXIT42 "/bin/exit42"
#endif

extern char **environ;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_fork_exec_loop(void)
{
	int good = 0;
	for (int i = 0; i < 300; i++) {
		char arg[8];
		snprintf(arg, sizeof arg, "%d", i & 0x7f);
		pid_t pid = fork();
		if (pid == 0) {
			char *argv[] = { EXIT42, arg, NULL };
			execve(argv[0], argv, environ);
			_exit(127);
		}
		int status;
		if (pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
		    WEXITSTATUS(status) == (i & 0x7f))
			good++;
	}
	CHECKF("300 fork+exec+wait", good == 300, "%d good", good);
}

static void test_vfork(void)
{
	volatile int shared = 0;
	double start = now();
	pid_t pid = vfork();
	if (pid == 0) {
		sleep_ms(50);
		shared = 42;
		_exit(5);
	}
	double waited = now() - start;
	CHECKF("vfork: the parent waits for the child", waited >= 0.045, "waited %.3f s", waited);
	CHECKF("vfork: the child ran in the parent's memory", shared == 42, "shared %d", shared);
	int status;
	CHECK("vfork child reaped", waitpid(pid, &status, 0) == pid && WEXITSTATUS(status) == 5);
	pid = vfork();
	if (pid == 0) {
		char *argv[] = { EXIT42, "9", NULL };
		execve(argv[0], argv, environ);
		_exit(127);
	}
	CHECK("vfork + execve", waitpid(pid, &status, 0) == pid && WEXITSTATUS(status) == 9);
}

static void test_posix_spawn(void)
{
	pid_t pid;
	char *argv[] = { EXIT42, "17", NULL };
	int r = posix_spawn(&pid, argv[0], NULL, NULL, argv, environ);
	int status;
	CHECKF("posix_spawn", r == 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	       WEXITSTATUS(status) == 17, "r %d status %#x", r, status);
	char *missing[] = { "/bin/does-not-exist", NULL };
	r = posix_spawn(&pid, missing[0], NULL, NULL, missing, environ);
	CHECKF("posix_spawn of a missing program: ENOENT", r == ENOENT, "r %d", r);
}

static void test_orphans(void)
{
	int status;
	/* A grandchild orphaned by its parent is reparented to init: us. */
	pid_t child = MUST(fork());
	if (child == 0) {
		pid_t gc = fork();
		if (gc == 0) {
			sleep_ms(50);
			_exit(getppid() == 1 ? 11 : 12);
		}
		_exit(gc > 0 ? 0 : 1);
	}
	MUST(waitpid(child, &status, 0));
	pid_t got = waitpid(-1, &status, 0);
	CHECKF("init reaps an orphaned grandchild", got > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 11,
	       "got %d status %#x", got, status);

	/* With a subreaper in between, the orphan goes to it instead. */
	child = MUST(fork());
	if (child == 0) {
		prctl(PR_SET_CHILD_SUBREAPER, 1);
		pid_t me = getpid();
		pid_t mid = fork();
		if (mid == 0) {
			pid_t gc = fork();
			if (gc == 0) {
				sleep_ms(50);
				_exit(getppid() == me ? 21 : 22);
			}
			_exit(0);
		}
		waitpid(mid, NULL, 0);
		int st;
		pid_t g = waitpid(-1, &st, 0);
		_exit(g > 0 && WIFEXITED(st) ? WEXITSTATUS(st) : 30);
	}
	CHECKF("a subreaper reaps its orphaned descendants", waitpid(child, &status, 0) == child &&
	       WEXITSTATUS(status) == 21, "status %#x", status);

	/* PR_SET_PDEATHSIG: the child hears of its parent's death. */
	child = MUST(fork());
	if (child == 0) {
		pid_t gc = fork();
		if (gc == 0) {
			prctl(PR_SET_PDEATHSIG, SIGTERM);
			for (;;)
				pause();
		}
		sleep_ms(30);
		_exit(0);
	}
	MUST(waitpid(child, &status, 0));
	got = waitpid(-1, &status, 0);
	CHECKF("PR_SET_PDEATHSIG kills the orphan", got > 0 && WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM,
	       "got %d status %#x", got, status);
}

static void test_sessions(void)
{
	int status;
	pid_t child = MUST(fork());
	if (child == 0) {
		int ok = getsid(0) == getsid(getppid());
		pid_t sid = setsid();
		ok = ok && sid == getpid() && getsid(0) == getpid() && getpgrp() == getpid();
		ok = ok && setsid() == -1 && errno == EPERM;
		_exit(ok ? 0 : 1);
	}
	CHECK("setsid makes a new session and group", waitpid(child, &status, 0) == child && WEXITSTATUS(status) == 0);
	child = MUST(fork());
	if (child == 0) {
		for (;;)
			pause();
	}
	CHECK_SYS("setpgid of a child", setpgid(child, child));
	CHECK("getpgid sees it", getpgid(child) == child);
	CHECK_SYS("kill a process group", kill(-child, SIGKILL));
	CHECK("the group member died", waitpid(child, &status, 0) == child && WTERMSIG(status) == SIGKILL);
	CHECK_ERRNO("setpgid of a stranger: ESRCH", setpgid(1234, 0), ESRCH);
}

static volatile int chld_uid;

static void on_sigchld_info(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	chld_uid = (int)si->si_uid;
}

static void test_waitid_rusage(void)
{
	pid_t child = MUST(fork());
	if (child == 0) {
		volatile unsigned long x = 0;
		double end = now() + 0.2;
		while (now() < end)
			x++;
		_exit(3);
	}
	siginfo_t si = { 0 };
	CHECK_SYS("waitid WNOWAIT", waitid(P_PID, child, &si, WEXITED | WNOWAIT));
	CHECKF("waitid fills siginfo", si.si_pid == child && si.si_code == CLD_EXITED && si.si_status == 3,
	       "pid %d code %d status %d", si.si_pid, si.si_code, si.si_status);
	struct rusage ru;
	int status;
	CHECK("wait4 after WNOWAIT still reaps", wait4(child, &status, 0, &ru) == child && WEXITSTATUS(status) == 3);
	double cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	CHECKF("wait4 reports the child's CPU time", cpu >= 0.05, "%.3f s", cpu);
	CHECK_SYS("getrusage children", getrusage(RUSAGE_CHILDREN, &ru));
	CHECK("RUSAGE_CHILDREN counts it", ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6 >= 0.05);

	/* The SIGCHLD siginfo and waitid carry the child's real uid (they
	 * carried 0 whatever the child's uid was). */
	struct sigaction sa = { .sa_sigaction = on_sigchld_info, .sa_flags = SA_SIGINFO };
	sigemptyset(&sa.sa_mask);
	struct sigaction old;
	MUST(sigaction(SIGCHLD, &sa, &old));
	chld_uid = -1;
	child = MUST(fork());
	if (child == 0) {
		if (setresuid(1000, 1000, 1000) != 0)
			_exit(1);
		_exit(4);
	}
	memset(&si, 0, sizeof si);
	CHECK_SYS("waitid of a uid 1000 child", waitid(P_PID, child, &si, WEXITED));
	CHECKF("waitid's si_uid is the child's", si.si_uid == 1000 && si.si_status == 4,
	       "si_uid %d status %d", (int)si.si_uid, si.si_status);
	CHECKF("SIGCHLD's si_uid is the child's", chld_uid == 1000, "si_uid %d", (int)chld_uid);
	MUST(sigaction(SIGCHLD, &old, NULL));
}

static void test_creds(void)
{
	int status;
	pid_t child = MUST(fork());
	if (child == 0) {
		int ok = getuid() == 0 && geteuid() == 0;
		gid_t groups[] = { 5, 6 };
		ok = ok && setgroups(2, groups) == 0 && getgroups(0, NULL) == 2;
		ok = ok && setresgid(100, 100, 100) == 0 && getgid() == 100 && getegid() == 100;
		ok = ok && setresuid(1000, 1000, 0) == 0 && getuid() == 1000 && geteuid() == 1000;
		/* The saved uid 0 lets us become root again... */
		ok = ok && seteuid(0) == 0 && geteuid() == 0 && seteuid(1000) == 0;
		/* ...until it is dropped too. */
		ok = ok && setresuid(-1, -1, 1000) == 0;
		ok = ok && setuid(0) == -1 && errno == EPERM;
		ok = ok && setgroups(0, NULL) == -1 && errno == EPERM;
		_exit(ok ? 0 : 1);
	}
	CHECK("credentials follow Linux's rules", waitpid(child, &status, 0) == child && WEXITSTATUS(status) == 0);
	char name[16] = { 0 };
	CHECK_SYS("PR_SET_NAME", prctl(PR_SET_NAME, "renamed-proc"));
	CHECK("PR_GET_NAME", prctl(PR_GET_NAME, name) == 0 && strcmp(name, "renamed-proc") == 0);

	/* capget: an unknown version is told the current one, EINVAL unless
	 * the caller only asked for it (no data: 0, which libcap relies on);
	 * version 1 fills one struct __user_cap_data_struct, version 3 two. */
	struct __user_cap_header_struct hdr = { .version = 0x12345678 };
	struct __user_cap_data_struct data[3];
	CHECK_ERRNO("capget with an unknown version", syscall(SYS_capget, &hdr, data), EINVAL);
	CHECKF("capget tells the current version", hdr.version == _LINUX_CAPABILITY_VERSION_3,
	       "version %#x", hdr.version);
	hdr.version = 0x12345678;
	CHECK_SYS("capget probing the version (no data)", syscall(SYS_capget, &hdr, NULL));
	CHECK("the probe tells the current version", hdr.version == _LINUX_CAPABILITY_VERSION_3);
	memset(data, 0xa5, sizeof data);
	hdr.version = _LINUX_CAPABILITY_VERSION_1;
	CHECK_SYS("capget version 1", syscall(SYS_capget, &hdr, data));
	CHECK("version 1 fills one set", data[1].effective == 0xa5a5a5a5 && data[0].inheritable == 0);
	memset(data, 0xa5, sizeof data);
	hdr.version = _LINUX_CAPABILITY_VERSION_3;
	CHECK_SYS("capget version 3", syscall(SYS_capget, &hdr, data));
	CHECK("version 3 fills two sets",
	      data[1].inheritable == 0 && data[2].effective == 0xa5a5a5a5 &&
		      (data[0].effective & (1u << 21)) == (data[0].permitted & (1u << 21)));

	/* capset: an unknown version is EINVAL; a user without capabilities
	 * may set none (ping(8) drops its capabilities so) and no other. */
	hdr.version = 0x12345678;
	CHECK_ERRNO("capset with an unknown version", syscall(SYS_capset, &hdr, data), EINVAL);
	CHECK("capset tells the current version", hdr.version == _LINUX_CAPABILITY_VERSION_3);
	pid_t cap_child = fork();
	if (cap_child == 0) {
		struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
		struct __user_cap_data_struct none[2] = { { 0, 0, 0 }, { 0, 0, 0 } };
		struct __user_cap_data_struct raw[2] = { { 1u << 13, 1u << 13, 0 }, { 0, 0, 0 } };
		int ok = setuid(1000) == 0;
		ok = ok && syscall(SYS_capset, &h, none) == 0;
		ok = ok && syscall(SYS_capset, &h, raw) == -1 && errno == EPERM;
		h.pid = 1;
		ok = ok && syscall(SYS_capset, &h, none) == -1 && errno == EPERM;
		_exit(ok ? 0 : 1);
	}
	int cap_status;
	CHECK("capset as uid 1000: no capabilities yes, CAP_NET_RAW or another pid EPERM",
	      waitpid(cap_child, &cap_status, 0) == cap_child && WIFEXITED(cap_status) &&
		      WEXITSTATUS(cap_status) == 0);
}

/* clone3: version 0 of struct clone_args forks; unknown trailing bytes must
 * be zero; a stack needs its size and must lie inside the address space
 * (a stack whose end wraps around once panicked the kernel's debug build). */
static void test_clone3(void)
{
	struct {
		struct clone_args a;
		uint64_t next;
	} big;
	memset(&big, 0, sizeof big);
	big.a.exit_signal = SIGCHLD;
	long pid = syscall(SYS_clone3, &big.a, 64);
	if (pid == 0)
		_exit(3);
	int st;
	CHECKF("clone3 with CLONE_ARGS_SIZE_VER0 forks",
	       pid > 0 && waitpid((pid_t)pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 3,
	       "clone3 returned %ld", pid);
	big.next = 1;
	CHECK_ERRNO("clone3: unknown fields set: E2BIG",
		    syscall(SYS_clone3, &big.a, sizeof big), E2BIG);
	big.next = 0;
	CHECK_ERRNO("clone3: a size below version 0: EINVAL", syscall(SYS_clone3, &big.a, 63),
		    EINVAL);
	static char page[8192];
	CHECK_ERRNO("clone3: a size past a page: E2BIG", syscall(SYS_clone3, page, 4097), E2BIG);
	big.a.stack = 0x10000;
	CHECK_ERRNO("clone3: a stack without a size: EINVAL",
		    syscall(SYS_clone3, &big.a, sizeof big.a), EINVAL);
	big.a.stack = 0xfffffffffffff000ull;
	big.a.stack_size = 0x2000;
	CHECK_ERRNO("clone3: a stack that wraps around: EINVAL",
		    syscall(SYS_clone3, &big.a, sizeof big.a), EINVAL);
	big.a.stack = 0x7ffffffff000ull;
	CHECK_ERRNO("clone3: a stack past the address space: EINVAL",
		    syscall(SYS_clone3, &big.a, sizeof big.a), EINVAL);
}

int main(void)
{
	test_fork_exec_loop();
	test_vfork();
	test_posix_spawn();
	test_orphans();
	test_sessions();
	test_waitid_rusage();
	test_creds();
	test_clone3();
	CHECK_ERRNO("ECHILD when no children are left", wait(NULL), ECHILD);
	return check_done();
}
