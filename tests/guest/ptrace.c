/*
 * ptrace(2): PTRACE_TRACEME and the SIGTRAP after exec, system call stops
 * (entry and exit, -ENOSYS at entry, PTRACE_GET_SYSCALL_INFO), a tracer
 * changing and skipping calls, PEEKDATA and POKEDATA (into a read-only
 * page too), GETREGS, PEEKUSER, signal-delivery-stops (GETSIGINFO, a
 * signal suppressed or delivered), PTRACE_O_TRACEEXIT and TRACEFORK with
 * the new child attached, SEIZE with INTERRUPT and DETACH, a tracer that
 * dies (with and without PTRACE_O_EXITKILL), process_vm_readv, and the
 * errors of bad requests.
 */
#include "check.h"

#include <signal.h>
#include <stddef.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <linux/audit.h>
#include <linux/ptrace.h>

static volatile long value = 1234;
static const long readonly_word = 42;
static volatile sig_atomic_t got_usr1;

static void on_usr1(int sig)
{
	(void)sig;
	got_usr1++;
}

/* Waits for pid (any thread) and returns its status. */
static int wait_for(pid_t pid)
{
	int st = 0;
	while (waitpid(pid, &st, __WALL) == -1 && errno == EINTR)
		;
	return st;
}

/* Forks a child that asks to be traced and stops itself; returns once it
 * is in its signal-delivery-stop for SIGSTOP. */
static pid_t traced_child(void (*body)(void))
{
	pid_t pid = fork();
	if (pid == 0) {
		ptrace(PTRACE_TRACEME, 0, 0, 0);
		raise(SIGSTOP);
		body();
		_exit(0);
	}
	int st = wait_for(pid);
	if (!WIFSTOPPED(st) || WSTOPSIG(st) != SIGSTOP)
		check_fail("traceme stop", 0, "status %#x", st);
	return pid;
}

/* Resumes pid with PTRACE_SYSCALL until the entry stop of call nr. */
static struct user_regs_struct to_entry_of(pid_t pid, long nr)
{
	struct user_regs_struct r;
	for (;;) {
		ptrace(PTRACE_SYSCALL, pid, 0, 0);
		int st = wait_for(pid);
		if (!WIFSTOPPED(st) || WSTOPSIG(st) != (SIGTRAP | 0x80))
			check_fail("syscall stop", 0, "status %#x", st);
		ptrace(PTRACE_GETREGS, pid, 0, &r);
		struct ptrace_syscall_info info;
		ptrace(PTRACE_GET_SYSCALL_INFO, pid, sizeof info, &info);
		if (info.op == PTRACE_SYSCALL_INFO_ENTRY && (long)r.orig_rax == nr)
			return r;
	}
}

/* Resumes pid to the exit stop of the call it is in. */
static struct user_regs_struct to_exit(pid_t pid)
{
	struct user_regs_struct r;
	ptrace(PTRACE_SYSCALL, pid, 0, 0);
	int st = wait_for(pid);
	if (!WIFSTOPPED(st) || WSTOPSIG(st) != (SIGTRAP | 0x80))
		check_fail("syscall exit stop", 0, "status %#x", st);
	ptrace(PTRACE_GETREGS, pid, 0, &r);
	return r;
}

static void calls_body(void)
{
	long self = syscall(SYS_getpid);
	/* The tracer turns getppid into getpid and skips getuid, whose
	 * result it sets to 4242. */
	long ppid = syscall(SYS_getppid);
	long uid = syscall(SYS_getuid);
	_exit(ppid == self && uid == 4242 ? 7 : 1);
}

static void check_syscall_stops(void)
{
	pid_t pid = traced_child(calls_body);
	CHECK_SYS("setoptions", ptrace(PTRACE_SETOPTIONS, pid, 0,
				       PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEEXIT));
	struct user_regs_struct r = to_entry_of(pid, SYS_getpid);
	CHECKF("entry stop rax is -ENOSYS", (long)r.rax == -ENOSYS, "rax %lld",
	       (long long)r.rax);
	struct ptrace_syscall_info info;
	long n = ptrace(PTRACE_GET_SYSCALL_INFO, pid, sizeof info, &info);
	CHECKF("syscall info at entry", n > 0 && info.op == PTRACE_SYSCALL_INFO_ENTRY &&
	       info.arch == AUDIT_ARCH_X86_64 && info.entry.nr == SYS_getpid,
	       "n %ld op %d nr %lld", n, info.op, (long long)info.entry.nr);
	r = to_exit(pid);
	CHECKF("exit stop has the result", (long)r.rax == pid, "rax %lld", (long long)r.rax);
	n = ptrace(PTRACE_GET_SYSCALL_INFO, pid, sizeof info, &info);
	CHECKF("syscall info at exit", info.op == PTRACE_SYSCALL_INFO_EXIT &&
	       info.exit.rval == pid && !info.exit.is_error, "op %d rval %lld", info.op,
	       (long long)info.exit.rval);
	errno = 0;
	long word = ptrace(PTRACE_PEEKUSER, pid, offsetof(struct user_regs_struct, orig_rax), 0);
	CHECKF("peekuser orig_rax", word == SYS_getpid && errno == 0, "%ld", word);

	r = to_entry_of(pid, SYS_getppid);
	r.orig_rax = SYS_getpid;
	CHECK_SYS("setregs changes the call", ptrace(PTRACE_SETREGS, pid, 0, &r));
	to_exit(pid);
	r = to_entry_of(pid, SYS_getuid);
	CHECK_SYS("pokeuser skips the call",
		  ptrace(PTRACE_POKEUSER, pid, offsetof(struct user_regs_struct, orig_rax), -1L));
	r = to_exit(pid);
	CHECKF("a skipped call returns -ENOSYS", (long)r.rax == -ENOSYS, "rax %lld",
	       (long long)r.rax);
	r.rax = 4242;
	ptrace(PTRACE_SETREGS, pid, 0, &r);
	/* On to the exit event. */
	ptrace(PTRACE_CONT, pid, 0, 0);
	int st = wait_for(pid);
	CHECKF("exit event", WIFSTOPPED(st) && st >> 8 == (SIGTRAP | (PTRACE_EVENT_EXIT << 8)),
	       "status %#x", st);
	unsigned long msg = 0;
	ptrace(PTRACE_GETEVENTMSG, pid, 0, &msg);
	CHECKF("exit event message", WIFEXITED(msg) && WEXITSTATUS(msg) == 7, "msg %#lx", msg);
	ptrace(PTRACE_CONT, pid, 0, 0);
	st = wait_for(pid);
	CHECKF("tracee exit reported", WIFEXITED(st) && WEXITSTATUS(st) == 7, "status %#x", st);
	CHECK_ERRNO("reaped once", waitpid(pid, &st, WNOHANG), ECHILD);
}

static void memory_body(void)
{
	raise(SIGSTOP);
	_exit(value == 5678 && *(volatile const long *)&readonly_word == 4343 ? 0 : 1);
}

static void check_memory(void)
{
	pid_t pid = traced_child(memory_body);
	errno = 0;
	long v = ptrace(PTRACE_PEEKDATA, pid, &value, 0);
	CHECKF("peekdata", v == 1234 && errno == 0, "%ld", v);
	CHECK_SYS("pokedata", ptrace(PTRACE_POKEDATA, pid, &value, 5678));
	CHECK_SYS("pokedata into a read-only page",
		  ptrace(PTRACE_POKEDATA, pid, &readonly_word, 4343));
	CHECK("the tracer's copy is its own", value == 1234 && *(volatile const long *)&readonly_word == 42);
	long back = 0;
	struct iovec local = { &back, sizeof back }, remote = { (void *)&value, sizeof back };
	ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
	CHECKF("process_vm_readv", n == sizeof back && back == 5678, "n %zd value %ld", n, back);
	long mine = 0;
	struct iovec to_mine = { &mine, sizeof mine };
	n = process_vm_readv(getpid(), &to_mine, 1, &remote, 1, 0);
	CHECKF("process_vm_readv of oneself", n == sizeof mine && mine == 1234, "n %zd value %ld",
	       n, mine);
	CHECK_ERRNO("peekdata at an unmapped address", ptrace(PTRACE_PEEKDATA, pid, (void *)8, 0), EIO);
	CHECK_ERRNO("peekuser unaligned", ptrace(PTRACE_PEEKUSER, pid, 3, 0), EIO);
	CHECK_ERRNO("cont with a bad signal", ptrace(PTRACE_CONT, pid, 0, 1000), EIO);
	CHECK_ERRNO("interrupt without seize", ptrace(PTRACE_INTERRUPT, pid, 0, 0), EIO);
	CHECK_ERRNO("bad options", ptrace(PTRACE_SETOPTIONS, pid, 0, 1L << 30), EINVAL);
	ptrace(PTRACE_CONT, pid, 0, 0);
	int st = wait_for(pid);
	/* The raise(SIGSTOP) in the body: a signal-delivery-stop. */
	CHECKF("second stop", WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP, "status %#x", st);
	ptrace(PTRACE_CONT, pid, 0, 0);
	st = wait_for(pid);
	CHECKF("pokes seen by the tracee", WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %#x", st);
}

static void signal_body(void)
{
	signal(SIGUSR1, on_usr1);
	raise(SIGUSR1);
	int first = got_usr1;
	raise(SIGUSR1);
	_exit(first == 0 && got_usr1 == 1 ? 0 : 1);
}

static void check_signals(void)
{
	pid_t pid = traced_child(signal_body);
	ptrace(PTRACE_CONT, pid, 0, 0);
	int st = wait_for(pid);
	CHECKF("signal-delivery-stop", WIFSTOPPED(st) && WSTOPSIG(st) == SIGUSR1, "status %#x", st);
	siginfo_t si;
	CHECK_SYS("getsiginfo", ptrace(PTRACE_GETSIGINFO, pid, 0, &si));
	CHECKF("its siginfo", si.si_signo == SIGUSR1 && si.si_code == SI_TKILL && si.si_pid == pid,
	       "signo %d code %d pid %d", si.si_signo, si.si_code, si.si_pid);
	ptrace(PTRACE_CONT, pid, 0, 0);
	st = wait_for(pid);
	CHECK("second signal", WIFSTOPPED(st) && WSTOPSIG(st) == SIGUSR1);
	ptrace(PTRACE_CONT, pid, 0, SIGUSR1);
	st = wait_for(pid);
	CHECKF("suppressed, then delivered", WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %#x", st);
}

static void fork_body(void)
{
	pid_t c = fork();
	if (c == 0)
		_exit(3);
	int st;
	waitpid(c, &st, 0);
	_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 1);
}

static void check_fork_event(void)
{
	pid_t pid = traced_child(fork_body);
	ptrace(PTRACE_SETOPTIONS, pid, 0, PTRACE_O_TRACEFORK);
	ptrace(PTRACE_CONT, pid, 0, 0);
	int st = wait_for(pid);
	CHECKF("fork event", WIFSTOPPED(st) && st >> 8 == (SIGTRAP | (PTRACE_EVENT_FORK << 8)),
	       "status %#x", st);
	unsigned long child = 0;
	ptrace(PTRACE_GETEVENTMSG, pid, 0, &child);
	CHECK("event message is the new pid", child > 0);
	st = wait_for((pid_t)child);
	CHECKF("new child attached, stopped", WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP,
	       "status %#x", st);
	ptrace(PTRACE_CONT, (pid_t)child, 0, 0);
	st = wait_for((pid_t)child);
	CHECKF("the tracer sees the new child exit", WIFEXITED(st) && WEXITSTATUS(st) == 3,
	       "status %#x", st);
	ptrace(PTRACE_CONT, pid, 0, 0);
	for (;;) {
		st = wait_for(pid);
		if (!WIFSTOPPED(st))
			break;
		/* SIGCHLD of the grandchild: pass it on. */
		ptrace(PTRACE_CONT, pid, 0, WSTOPSIG(st) == SIGCHLD ? SIGCHLD : 0);
	}
	CHECKF("the parent reaped it", WIFEXITED(st) && WEXITSTATUS(st) == 3, "status %#x", st);
}

static volatile long watched;

static __attribute__((noinline)) int hw_target(int x)
{
	return x * 3 + (int)watched;
}

static void watch_body(void)
{
	watched = 11;
	watched = 22;
	_exit(hw_target(1) == 25 ? 0 : 1);
}

#define DR(n) ((long)offsetof(struct user, u_debugreg[n]))
#define TRAP_HWBKPT_CODE 4

/* Resumes pid and returns the siginfo of its next SIGTRAP. */
static siginfo_t next_trap(pid_t pid, const char *what)
{
	siginfo_t si = { 0 };
	ptrace(PTRACE_CONT, pid, 0, 0);
	int st = wait_for(pid);
	if (!WIFSTOPPED(st) || WSTOPSIG(st) != SIGTRAP)
		check_fail(what, 0, "status %#x", st);
	ptrace(PTRACE_GETSIGINFO, pid, 0, &si);
	return si;
}

static void check_debug_registers(void)
{
	pid_t pid = traced_child(watch_body);
	CHECK_ERRNO("DR4 does not exist", ptrace(PTRACE_POKEUSER, pid, DR(4), 0), EIO);
	CHECK_ERRNO("a kernel address", ptrace(PTRACE_POKEUSER, pid, DR(0), -4096L), EINVAL);
	CHECK_SYS("DR0 takes an address", ptrace(PTRACE_POKEUSER, pid, DR(0), (long)&watched + 4));
	/* L0, write, 8 bytes: the address is not aligned to 8. */
	long dr7 = 1 | 1L << 16 | 2L << 18;
	CHECK_ERRNO("a misaligned watchpoint", ptrace(PTRACE_POKEUSER, pid, DR(7), dr7), EINVAL);
	CHECK_ERRNO("an I/O breakpoint", ptrace(PTRACE_POKEUSER, pid, DR(7), 1 | 2L << 16), EINVAL);
	CHECK_SYS("DR0 aligned", ptrace(PTRACE_POKEUSER, pid, DR(0), (long)&watched));
	CHECK_ERRNO("an 8-byte execution breakpoint",
		    ptrace(PTRACE_POKEUSER, pid, DR(7), 1 | 2L << 18), EINVAL);
	CHECK_SYS("DR1 at a function", ptrace(PTRACE_POKEUSER, pid, DR(1), (long)hw_target));
	/* L0: write watchpoint, 8 bytes; L1: execution breakpoint. */
	dr7 = 1 | 1L << 16 | 2L << 18 | 1L << 2;
	CHECK_SYS("DR7 enables both", ptrace(PTRACE_POKEUSER, pid, DR(7), dr7));
	errno = 0;
	CHECKF("DR7 reads back", ptrace(PTRACE_PEEKUSER, pid, DR(7), 0) == dr7 && errno == 0, "%s", "");

	siginfo_t si = next_trap(pid, "watchpoint stop");
	CHECKF("a watchpoint's SIGTRAP", si.si_code == TRAP_HWBKPT_CODE, "si_code %d", si.si_code);
	long dr6 = ptrace(PTRACE_PEEKUSER, pid, DR(6), 0);
	CHECKF("DR6 names DR0", (dr6 & 0xf) == 1, "dr6 %#lx", dr6);
	long v = ptrace(PTRACE_PEEKDATA, pid, &watched, 0);
	CHECKF("it stops after the write", v == 11, "value %ld", v);
	si = next_trap(pid, "second watchpoint stop");
	v = ptrace(PTRACE_PEEKDATA, pid, &watched, 0);
	CHECKF("and again at the next", si.si_code == TRAP_HWBKPT_CODE && v == 22,
	       "si_code %d value %ld", si.si_code, v);
	si = next_trap(pid, "breakpoint stop");
	struct user_regs_struct r;
	ptrace(PTRACE_GETREGS, pid, 0, &r);
	dr6 = ptrace(PTRACE_PEEKUSER, pid, DR(6), 0);
	CHECKF("an execution breakpoint stops before the instruction",
	       si.si_code == TRAP_HWBKPT_CODE && r.rip == (unsigned long)hw_target && (dr6 & 0xf) == 2,
	       "si_code %d rip %#llx dr6 %#lx", si.si_code, r.rip, dr6);
	CHECK_SYS("DR7 off", ptrace(PTRACE_POKEUSER, pid, DR(7), 0));
	ptrace(PTRACE_CONT, pid, 0, 0);
	int st = wait_for(pid);
	CHECKF("runs on to its end", WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %#x", st);
}

static pid_t sleeper(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		for (int i = 0; i < 100; i++)
			sleep_ms(50);
		_exit(5);
	}
	return pid;
}

static void check_seize(void)
{
	pid_t pid = sleeper();
	CHECK_SYS("seize", ptrace(PTRACE_SEIZE, pid, 0, PTRACE_O_TRACESYSGOOD));
	CHECK_ERRNO("getregs of a running tracee", ptrace(PTRACE_GETREGS, pid, 0, 0), ESRCH);
	CHECK_ERRNO("seize twice", ptrace(PTRACE_SEIZE, pid, 0, 0), EPERM);
	CHECK_SYS("interrupt", ptrace(PTRACE_INTERRUPT, pid, 0, 0));
	int st = wait_for(pid);
	CHECKF("interrupt stop", WIFSTOPPED(st) && st >> 16 == PTRACE_EVENT_STOP &&
	       WSTOPSIG(st) == SIGTRAP, "status %#x", st);
	struct user_regs_struct r;
	CHECK_SYS("getregs when stopped", ptrace(PTRACE_GETREGS, pid, 0, &r));
	CHECK_SYS("detach", ptrace(PTRACE_DETACH, pid, 0, 0));
	CHECK_ERRNO("no longer traced", ptrace(PTRACE_CONT, pid, 0, 0), ESRCH);
	st = wait_for(pid);
	CHECKF("runs on after detach", WIFEXITED(st) && WEXITSTATUS(st) == 5, "status %#x", st);
}

/* A tracer that seizes, interrupts and dies. */
static void check_tracer_death(int exitkill)
{
	pid_t pid = sleeper();
	pid_t tracer = fork();
	if (tracer == 0) {
		ptrace(PTRACE_SEIZE, pid, 0, exitkill ? PTRACE_O_EXITKILL : 0);
		ptrace(PTRACE_INTERRUPT, pid, 0, 0);
		wait_for(pid);
		_exit(0);
	}
	wait_for(tracer);
	int st = wait_for(pid);
	if (exitkill)
		CHECKF("exitkill", WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "status %#x", st);
	else
		CHECKF("a tracer's death lets the tracee go", WIFEXITED(st) && WEXITSTATUS(st) == 5,
		       "status %#x", st);
}

int main(void)
{
	CHECK_ERRNO("attach to self", ptrace(PTRACE_ATTACH, getpid(), 0, 0), EPERM);
	CHECK_ERRNO("no such tracee", ptrace(PTRACE_CONT, 99999, 0, 0), ESRCH);
	check_syscall_stops();
	check_memory();
	check_signals();
	check_fork_event();
	check_seize();
	check_debug_registers();
	check_tracer_death(0);
	check_tracer_death(1);
	return check_done();
}
