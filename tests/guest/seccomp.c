/*
 * seccomp: strict mode (read and write work, anything else kills with
 * SIGKILL); filters (classic BPF on struct seccomp_data) needing
 * no_new_privs or root; ERRNO, TRAP (SIGSYS with si_syscall, si_arch,
 * si_errno, and the handler's emulated result), KILL_PROCESS and
 * KILL_THREAD; stacked filters (the most restrictive action wins, the
 * newest among equals); inheritance over fork and execve; TSYNC to
 * another thread; BPF_LEN; /proc/self/status; SECCOMP_GET_ACTION_AVAIL;
 * malformed programs and flags (EINVAL), bad pointers (EFAULT), and
 * EACCES for a user without no_new_privs. Runs natively too.
 */
#include "check.h"

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <ucontext.h>

#ifndef SYS_SECCOMP
#define SYS_SECCOMP 1 /* SIGSYS si_code of a filter trap */
#endif
#define DATA(field) offsetof(struct seccomp_data, field)
#define LD(field) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, DATA(field))
#define LEN(a) (sizeof(a) / sizeof((a)[0]))
#define RET(v) BPF_STMT(BPF_RET | BPF_K, (v))
/* If the call number is NR, return V (else go on). */
#define ON(nr, v) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), RET(v)

static long sys_seccomp(unsigned op, unsigned flags, void *args)
{
	return syscall(SYS_seccomp, op, flags, args);
}

static long install(struct sock_filter *f, unsigned short n, unsigned flags)
{
	struct sock_fprog p = { .len = n, .filter = f };
	return sys_seccomp(SECCOMP_SET_MODE_FILTER, flags, &p);
}

/* Runs FN in a child; returns its wait status. */
static int in_child(void (*fn)(void))
{
	pid_t pid = fork();
	if (pid == 0) {
		fn();
		_exit(0);
	}
	int status = 0;
	waitpid(pid, &status, 0);
	return status;
}

/* Returns the value of FIELD in /proc/self/status. */
static long status_field(const char *field)
{
	char text[4096];
	FILE *f = fopen("/proc/self/status", "r");
	size_t n = f ? fread(text, 1, sizeof text - 1, f) : 0;
	if (f)
		fclose(f);
	text[n] = 0;
	char *at = strstr(text, field);
	return at ? strtol(at + strlen(field) + 1, NULL, 10) : -1;
}

static void strict_child(void)
{
	prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT);
	if (write(1, "", 0) != 0)
		_exit(3);
	syscall(SYS_getpid);
	_exit(4);
}

/* The action kill_child's filter takes on getpid. */
static unsigned kill_action;

static void kill_child(void)
{
	struct sock_filter f[] = { LD(nr), ON(SYS_getpid, kill_action), RET(SECCOMP_RET_ALLOW) };
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	if (install(f, LEN(f), 0) != 0)
		_exit(3);
	syscall(SYS_getpid);
	_exit(4);
}

static void user_child(void)
{
	struct sock_filter f[] = { RET(SECCOMP_RET_ALLOW) };
	if (setuid(65534) != 0)
		_exit(3);
	_exit(install(f, 1, 0) == -1 && errno == EACCES ? 0 : 5);
}

static volatile siginfo_t trapped;

static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	trapped = *si;
	/* Emulate the call: its result is what the handler leaves in rax. */
	((ucontext_t *)uc)->uc_mcontext.gregs[REG_RAX] = 4242;
}

static volatile long thread_saw = -2;

static void *thread_main(void *arg)
{
	(void)arg;
	sleep_ms(200);
	errno = 0;
	long r = syscall(SYS_getppid);
	thread_saw = r == -1 ? errno : 0;
	return NULL;
}

static void filters(void)
{
	struct sock_filter bad_jump[] = { BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 5, 0),
					  RET(SECCOMP_RET_ALLOW) };
	struct sock_filter bad_op[] = { BPF_STMT(0xffff, 0), RET(SECCOMP_RET_ALLOW) };
	struct sock_filter unaligned[] = { BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 2),
					   RET(SECCOMP_RET_ALLOW) };
	struct sock_filter past[] = { BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 64),
				      RET(SECCOMP_RET_ALLOW) };
	struct sock_filter half[] = { BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 0),
				      RET(SECCOMP_RET_ALLOW) };
	struct sock_filter no_ret[] = { LD(nr) };
	struct sock_filter allow[] = { RET(SECCOMP_RET_ALLOW) };
	static struct sock_filter big[BPF_MAXINSNS + 1];

	CHECK("no seccomp at first", prctl(PR_GET_SECCOMP) == 0 && prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 0);
	int s = in_child(user_child);
	CHECKF("a user without no_new_privs gets EACCES", WIFEXITED(s) && WEXITSTATUS(s) == 0,
	       "status %#x", s);
	CHECK_ERRNO("PR_SET_NO_NEW_PRIVS takes only 1", prctl(PR_SET_NO_NEW_PRIVS, 2, 0, 0, 0), EINVAL);
	CHECK("PR_SET_NO_NEW_PRIVS sets it", prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
						     prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1 &&
						     status_field("NoNewPrivs:") == 1);
	CHECK_ERRNO("an empty program is EINVAL", install(allow, 0, 0), EINVAL);
	CHECK_ERRNO("a program past BPF_MAXINSNS is EINVAL", install(big, BPF_MAXINSNS + 1, 0), EINVAL);
	CHECK_ERRNO("a jump out of the program is EINVAL", install(bad_jump, 2, 0), EINVAL);
	CHECK_ERRNO("an unknown instruction is EINVAL", install(bad_op, 2, 0), EINVAL);
	CHECK_ERRNO("an unaligned load is EINVAL", install(unaligned, 2, 0), EINVAL);
	CHECK_ERRNO("a load past seccomp_data is EINVAL", install(past, 2, 0), EINVAL);
	CHECK_ERRNO("a half-word load is EINVAL", install(half, 2, 0), EINVAL);
	CHECK_ERRNO("a program that does not return is EINVAL", install(no_ret, 1, 0), EINVAL);
	CHECK_ERRNO("unknown flags are EINVAL", install(allow, 1, 1u << 20), EINVAL);
	CHECK_ERRNO("an unknown operation is EINVAL", sys_seccomp(77, 0, NULL), EINVAL);
	CHECK_ERRNO("a bad pointer is EFAULT", sys_seccomp(SECCOMP_SET_MODE_FILTER, 0, (void *)8), EFAULT);
	CHECK_ERRNO("strict mode takes no arguments", sys_seccomp(SECCOMP_SET_MODE_STRICT, 1, NULL), EINVAL);
	unsigned action = SECCOMP_RET_ERRNO;
	CHECK("SECCOMP_RET_ERRNO is available",
	      sys_seccomp(SECCOMP_GET_ACTION_AVAIL, 0, &action) == 0);
	action = 0x12340000;
	CHECK_ERRNO("an unknown action is EOPNOTSUPP", sys_seccomp(SECCOMP_GET_ACTION_AVAIL, 0, &action),
		    EOPNOTSUPP);

	/* A thread started before the filter, to be synchronised. */
	pthread_t th;
	pthread_create(&th, NULL, thread_main, NULL);
	struct sock_filter f[] = {
		LD(arch),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		RET(SECCOMP_RET_KILL_PROCESS),
		BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, sizeof(struct seccomp_data), 1, 0),
		RET(SECCOMP_RET_KILL_PROCESS),
		LD(nr),
		ON(SYS_getppid, SECCOMP_RET_ERRNO | 77),
		ON(SYS_getuid, SECCOMP_RET_TRAP | 0x42),
		RET(SECCOMP_RET_ALLOW),
	};
	CHECK("a filter is installed with TSYNC", install(f, LEN(f), SECCOMP_FILTER_FLAG_TSYNC) == 0);
	CHECK("PR_GET_SECCOMP says filter mode", prctl(PR_GET_SECCOMP) == 2);
	CHECK("/proc/self/status shows it", status_field("Seccomp:") == 2 &&
						    status_field("Seccomp_filters:") == 1);
	CHECK_ERRNO("RET_ERRNO fails the call with its errno", syscall(SYS_getppid), 77);
	CHECK("other calls run", syscall(SYS_getpid) == getpid() && getpid() > 0);
	pthread_join(th, NULL);
	CHECKF("TSYNC put the filter on the other thread", thread_saw == 77, "%ld", thread_saw);

	struct sigaction sa = { .sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO };
	sigaction(SIGSYS, &sa, NULL);
	long r = syscall(SYS_getuid);
	CHECKF("RET_TRAP raises SIGSYS, whose handler gives the result", r == 4242, "%ld", r);
	CHECKF("with SYS_SECCOMP, the call, the arch and the data",
	       trapped.si_signo == SIGSYS && trapped.si_code == SYS_SECCOMP &&
		       trapped.si_syscall == SYS_getuid && trapped.si_arch == AUDIT_ARCH_X86_64 &&
		       trapped.si_errno == 0x42 && trapped.si_call_addr != NULL,
	       "code %d call %d arch %#x errno %d", trapped.si_code, trapped.si_syscall,
	       trapped.si_arch, trapped.si_errno);

	struct sock_filter g[] = { LD(nr), ON(SYS_getppid, SECCOMP_RET_ERRNO | 88), RET(SECCOMP_RET_ALLOW) };
	CHECK("a second filter stacks", install(g, LEN(g), 0) == 0 && status_field("Seccomp_filters:") == 2);
	CHECK_ERRNO("among equal actions the newest filter's data wins", syscall(SYS_getppid), 88);
	pid_t pid = fork();
	if (pid == 0) {
		errno = 0;
		struct sock_filter e[] = { LD(nr), ON(SYS_getppid, SECCOMP_RET_ERRNO | 99), RET(SECCOMP_RET_ALLOW) };
		install(e, LEN(e), 0);
		/* The filters stay over execve. */
		execl("/proc/self/exe", "seccomp", "exec-check", (char *)NULL);
		_exit(2);
	}
	int status = 0;
	waitpid(pid, &status, 0);
	CHECKF("filters are inherited and kept over execve", WIFEXITED(status) && WEXITSTATUS(status) == 99,
	       "status %#x", status);
	struct sock_filter h[] = { LD(nr), ON(SYS_getppid, SECCOMP_RET_TRAP), RET(SECCOMP_RET_LOG) };
	CHECK("a third filter stacks", install(h, LEN(h), 0) == 0);
	trapped.si_syscall = 0;
	r = syscall(SYS_getppid);
	CHECKF("the most restrictive action wins (TRAP over ERRNO)",
	       r == 4242 && trapped.si_syscall == SYS_getppid, "%ld", r);
	CHECK("RET_LOG lets a call run", syscall(SYS_getpid) == getpid());

}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "exec-check") == 0) {
		errno = 0;
		long r = syscall(SYS_getppid);
		return r == -1 ? errno : 0;
	}
	int s = in_child(strict_child);
	CHECKF("strict mode kills any other call with SIGKILL", WIFSIGNALED(s) && WTERMSIG(s) == SIGKILL,
	       "status %#x", s);
	kill_action = SECCOMP_RET_KILL_PROCESS;
	s = in_child(kill_child);
	CHECKF("RET_KILL_PROCESS kills with SIGSYS", WIFSIGNALED(s) && WTERMSIG(s) == SIGSYS, "status %#x", s);
	kill_action = SECCOMP_RET_KILL_THREAD;
	s = in_child(kill_child);
	CHECKF("RET_KILL_THREAD of the last thread kills with SIGSYS", WIFSIGNALED(s) && WTERMSIG(s) == SIGSYS,
	       "status %#x", s);
	filters();
	return check_done();
}
