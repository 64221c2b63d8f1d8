/*
 * Checks the POSIX signal model as Linux implements it: queued real-time
 * signals with values, blocking and pending sets, handlers on an alternate
 * stack for faults (with si_addr, recovered with siglongjmp), EINTR versus
 * SA_RESTART, sigsuspend with SIGCHLD, sigtimedwait, death by signal,
 * job-control stop and continue seen through waitpid, and the ucontext a
 * handler gets (registers, mask, alternate stack, XSAVE area) and changes.
 */
#include "check.h"

#include <pthread.h>
#include <sys/ucontext.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

static volatile sig_atomic_t hits;
static volatile int last_value, last_code, last_pid, order[8];

static void on_rt(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	last_value = si->si_value.sival_int;
	last_code = si->si_code;
	last_pid = si->si_pid;
	if (hits < 8)
		order[hits] = si->si_value.sival_int;
	hits++;
}

static void on_plain(int sig)
{
	(void)sig;
	hits++;
}

static void install(int sig, void (*fn)(int, siginfo_t *, void *), int flags)
{
	struct sigaction sa = { 0 };
	sa.sa_sigaction = fn;
	sa.sa_flags = SA_SIGINFO | flags;
	sigemptyset(&sa.sa_mask);
	MUST(sigaction(sig, &sa, NULL));
}

static void install_plain(int sig, void (*fn)(int), int flags)
{
	struct sigaction sa = { 0 };
	sa.sa_handler = fn;
	sa.sa_flags = flags;
	sigemptyset(&sa.sa_mask);
	MUST(sigaction(sig, &sa, NULL));
}

static void test_sigqueue(void)
{
	install(SIGRTMIN, on_rt, 0);
	hits = 0;
	union sigval v = { .sival_int = 4242 };
	CHECK_SYS("sigqueue", sigqueue(getpid(), SIGRTMIN, v));
	CHECKF("sigqueue value delivered", hits == 1 && last_value == 4242,
	       "hits %d value %d", hits, last_value);
	CHECKF("sigqueue si_code is SI_QUEUE", last_code == SI_QUEUE, "code %d", last_code);
	CHECKF("sigqueue si_pid", last_pid == getpid(), "pid %d", last_pid);

	/* Real-time signals queue, in order; standard ones coalesce. */
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN + 1);
	sigaddset(&set, SIGUSR1);
	MUST(sigprocmask(SIG_BLOCK, &set, &old));
	install(SIGRTMIN + 1, on_rt, 0);
	install_plain(SIGUSR1, on_plain, 0);
	hits = 0;
	for (int i = 1; i <= 3; i++) {
		v.sival_int = i * 10;
		MUST(sigqueue(getpid(), SIGRTMIN + 1, v));
	}
	MUST(kill(getpid(), SIGUSR1));
	MUST(kill(getpid(), SIGUSR1));
	sigset_t pend;
	MUST(sigpending(&pend));
	CHECK("blocked signals are pending", sigismember(&pend, SIGRTMIN + 1) && sigismember(&pend, SIGUSR1));
	CHECKF("blocked signals do not run", hits == 0, "hits %d", hits);
	MUST(sigprocmask(SIG_SETMASK, &old, NULL));
	CHECKF("unblocking delivers 3 queued + 1 coalesced", hits == 4, "hits %d", hits);
	CHECKF("real-time signals keep their order",
	       order[0] == 10 && order[1] == 20 && order[2] == 30,
	       "order %d %d %d", order[0], order[1], order[2]);
	MUST(sigpending(&pend));
	CHECK("nothing pending after delivery", !sigismember(&pend, SIGUSR1) && !sigismember(&pend, SIGRTMIN + 1));
}

static sigjmp_buf jump;
static volatile uintptr_t fault_addr, handler_sp;
static char *altstack;
static size_t altsize;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	int local;
	handler_sp = (uintptr_t)&local;
	fault_addr = (uintptr_t)si->si_addr;
	last_code = si->si_code;
	siglongjmp(jump, 1);
}

static void test_segv_altstack(void)
{
	altsize = 64 * 1024;
	altstack = mmap(NULL, altsize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	stack_t ss = { .ss_sp = altstack, .ss_size = altsize, .ss_flags = 0 };
	CHECK_SYS("sigaltstack", sigaltstack(&ss, NULL));
	install(SIGSEGV, on_segv, SA_ONSTACK);
	char *page = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	volatile char *bad = page + 123;
	if (sigsetjmp(jump, 1) == 0) {
		*bad = 1;
		check_fail("SIGSEGV", 0, "write to a read-only page did not fault");
	}
	CHECKF("SIGSEGV si_addr", fault_addr == (uintptr_t)bad, "si_addr %#lx, expected %p",
	       (unsigned long)fault_addr, (void *)bad);
	CHECKF("SIGSEGV si_code SEGV_ACCERR", last_code == SEGV_ACCERR, "code %d", last_code);
	CHECKF("handler ran on the alternate stack",
	       handler_sp > (uintptr_t)altstack && handler_sp < (uintptr_t)altstack + altsize,
	       "sp %#lx, stack %p", (unsigned long)handler_sp, altstack);
	stack_t cur;
	MUST(sigaltstack(NULL, &cur));
	CHECK("alternate stack still set after siglongjmp", cur.ss_sp == altstack && !(cur.ss_flags & SS_DISABLE));
	/* The mask was restored by siglongjmp: SIGSEGV can be caught again. */
	volatile char *unmapped = (char *)8;
	if (sigsetjmp(jump, 1) == 0) {
		*unmapped = 1;
		check_fail("SIGSEGV again", 0, "no fault");
	}
	CHECKF("second SIGSEGV: SEGV_MAPERR at the address", fault_addr == 8 && last_code == SEGV_MAPERR,
	       "addr %#lx code %d", (unsigned long)fault_addr, last_code);
	signal(SIGSEGV, SIG_DFL);
}

static volatile double fpu_seen;

static void on_fpu(int sig)
{
	(void)sig;
	volatile double x = 1.0;
	for (int i = 0; i < 10; i++)
		x = x * 3.0 + 1.0;
	fpu_seen = x;
}

static void test_fpu_preserved(void)
{
	install_plain(SIGUSR2, on_fpu, 0);
	register double a = 1.5, b = 2.25;
	for (int i = 0; i < 100; i++) {
		a = a * 1.0001 + b;
		MUST(kill(getpid(), SIGUSR2));
	}
	double expect = 1.5;
	for (int i = 0; i < 100; i++)
		expect = expect * 1.0001 + 2.25;
	CHECKF("FPU state survives handlers", a == expect && fpu_seen > 0, "%f vs %f", a, expect);
}

static volatile uint64_t uc_cs, uc_fpstate, uc_rip, uc_rsp;
static volatile uint32_t uc_magic1, uc_xstate_size, uc_magic2;
static volatile int uc_masked, uc_ss_flags, uc_signo;
/* MXCSR with the rounding control set to "toward zero". */
#define MXCSR_RC_ZERO 0x6000u

/* Reads what Linux's frame holds, then changes the mask and MXCSR that
 * rt_sigreturn restores. The software-reserved bytes of the FXSAVE region
 * (struct _fpx_sw_bytes) are at byte 464 of the area. */
static void on_context(int sig, siginfo_t *si, void *p)
{
	ucontext_t *uc = p;
	uc_signo = si->si_signo;
	uc_cs = (uint64_t)uc->uc_mcontext.gregs[REG_CSGSFS] & 0xffff;
	uc_rip = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
	uc_rsp = (uint64_t)uc->uc_mcontext.gregs[REG_RSP];
	uc_masked = sigismember(&uc->uc_sigmask, SIGUSR2);
	uc_ss_flags = uc->uc_stack.ss_flags;
	uc_fpstate = (uint64_t)uc->uc_mcontext.fpregs;
	if (uc->uc_mcontext.fpregs) {
		const uint32_t *sw = (const uint32_t *)((const char *)uc->uc_mcontext.fpregs + 464);
		uc_magic1 = sw[0];
		uc_xstate_size = sw[4];
		uc_magic2 = *(const uint32_t *)((const char *)uc->uc_mcontext.fpregs + sw[4]);
		uc->uc_mcontext.fpregs->mxcsr |= MXCSR_RC_ZERO;
	}
	sigaddset(&uc->uc_sigmask, SIGUSR2);
	(void)sig;
}

static void test_ucontext(void)
{
	struct sigaction sa = { .sa_sigaction = on_context, .sa_flags = SA_SIGINFO };
	sigemptyset(&sa.sa_mask);
	MUST(sigaction(SIGURG, &sa, NULL));
	sigset_t none, now;
	sigemptyset(&none);
	MUST(sigprocmask(SIG_SETMASK, &none, NULL));
	unsigned mxcsr = __builtin_ia32_stmxcsr();
	int here;
	MUST(raise(SIGURG));
	unsigned after = __builtin_ia32_stmxcsr();
	__builtin_ia32_ldmxcsr(mxcsr);
	MUST(sigprocmask(SIG_SETMASK, &none, &now));
	CHECKF("ucontext: signal and code segment", uc_signo == SIGURG && uc_cs == 0x33,
	       "signo %d cs %#lx", uc_signo, (unsigned long)uc_cs);
	CHECKF("ucontext: stack pointer near the caller's",
	       uc_rsp < (uint64_t)&here + 65536 && uc_rsp + 65536 > (uint64_t)&here,
	       "rsp %#lx, a local at %p", (unsigned long)uc_rsp, (void *)&here);
	CHECK("ucontext: instruction pointer set", uc_rip != 0);
	stack_t ss;
	MUST(sigaltstack(NULL, &ss));
	CHECKF("ucontext: the old mask and the alternate stack's flags",
	       uc_masked == 0 && uc_ss_flags == ss.ss_flags, "masked %d ss_flags %d, expected %d",
	       uc_masked, uc_ss_flags, ss.ss_flags);
	CHECKF("ucontext: XSAVE area with Linux's magic",
	       uc_fpstate % 64 == 0 && uc_magic1 == 0x46505853 && uc_xstate_size >= 576 &&
		       uc_magic2 == 0x46505845,
	       "fpstate %#lx magic1 %#x size %u magic2 %#x", (unsigned long)uc_fpstate, uc_magic1,
	       uc_xstate_size, uc_magic2);
	CHECKF("rt_sigreturn restores the handler's MXCSR", after == (mxcsr | MXCSR_RC_ZERO),
	       "MXCSR %#x, was %#x", after, mxcsr);
	CHECK("rt_sigreturn restores the handler's mask", sigismember(&now, SIGUSR2) == 1);
	signal(SIGURG, SIG_DFL);
}

/* A child that sends SIGUSR1 to its parent after ms milliseconds, then exits. */
static pid_t signal_later(int sig, int ms)
{
	pid_t parent = getpid();
	pid_t pid = MUST(fork());
	if (pid == 0) {
		sleep_ms(ms);
		kill(parent, sig);
		_exit(0);
	}
	return pid;
}

static pid_t exit_later(int ms, int code)
{
	pid_t pid = MUST(fork());
	if (pid == 0) {
		sleep_ms(ms);
		_exit(code);
	}
	return pid;
}

static void test_eintr_and_restart(void)
{
	int status;
	/* Without SA_RESTART, a blocked wait fails with EINTR. */
	install_plain(SIGUSR1, on_plain, 0);
	hits = 0;
	pid_t slow = exit_later(400, 7);
	pid_t sender = signal_later(SIGUSR1, 50);
	pid_t r = waitpid(slow, &status, 0);
	int e = errno;
	CHECKF("waitpid interrupted: EINTR", r == -1 && e == EINTR && hits == 1,
	       "returned %d errno %d hits %d", r, e, hits);
	MUST(waitpid(sender, NULL, 0));
	CHECKF("the waited child is still there", waitpid(slow, &status, 0) == slow &&
	       WIFEXITED(status) && WEXITSTATUS(status) == 7, "status %#x", status);

	/* With SA_RESTART the same wait is restarted and succeeds. */
	install_plain(SIGUSR1, on_plain, SA_RESTART);
	hits = 0;
	slow = exit_later(400, 8);
	sender = signal_later(SIGUSR1, 50);
	r = waitpid(slow, &status, 0);
	CHECKF("waitpid restarted with SA_RESTART", r == slow && hits == 1 && WEXITSTATUS(status) == 8,
	       "returned %d hits %d", r, hits);
	MUST(waitpid(sender, NULL, 0));

	/* The same for a read from an empty pipe. */
	int fds[2];
	MUST(pipe(fds));
	install_plain(SIGUSR1, on_plain, 0);
	hits = 0;
	sender = signal_later(SIGUSR1, 50);
	char c = 0;
	r = read(fds[0], &c, 1);
	e = errno;
	CHECKF("read interrupted without SA_RESTART: EINTR", r == -1 && e == EINTR && hits == 1,
	       "returned %d errno %d hits %d", r, e, hits);
	MUST(waitpid(sender, NULL, 0));
	install_plain(SIGUSR1, on_plain, SA_RESTART);
	hits = 0;
	pid_t parent = getpid();
	sender = MUST(fork());
	if (sender == 0) {
		sleep_ms(50);
		kill(parent, SIGUSR1);
		sleep_ms(50);
		write(fds[1], "x", 1);
		_exit(0);
	}
	r = read(fds[0], &c, 1);
	CHECKF("read restarted with SA_RESTART gets the data", r == 1 && c == 'x' && hits == 1,
	       "returned %d char %c hits %d", r, c, hits);
	MUST(waitpid(sender, NULL, 0));
	close(fds[0]);
	close(fds[1]);

	/* nanosleep is never restarted with a handler: EINTR and the time left. */
	hits = 0;
	sender = signal_later(SIGUSR1, 50);
	struct timespec req = { 5, 0 }, rem = { 0, 0 };
	r = nanosleep(&req, &rem);
	e = errno;
	CHECKF("nanosleep interrupted: EINTR with time left", r == -1 && e == EINTR && rem.tv_sec >= 3 && rem.tv_sec <= 5,
	       "returned %d errno %d rem %ld", r, e, (long)rem.tv_sec);
	MUST(waitpid(sender, NULL, 0));
}

static volatile sig_atomic_t chld_hits;
static volatile int chld_pid, chld_status, chld_code;

static void on_chld(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	chld_hits++;
	chld_pid = si->si_pid;
	chld_status = si->si_status;
	chld_code = si->si_code;
}

static void test_sigsuspend_sigchld(void)
{
	sigset_t block, old, wait_mask;
	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	MUST(sigprocmask(SIG_BLOCK, &block, &old));
	install(SIGCHLD, on_chld, 0);
	chld_hits = 0;
	pid_t pid = exit_later(20, 33);
	sigfillset(&wait_mask);
	sigdelset(&wait_mask, SIGCHLD);
	int r = sigsuspend(&wait_mask);
	int e = errno;
	CHECKF("sigsuspend returns EINTR after SIGCHLD", r == -1 && e == EINTR && chld_hits == 1,
	       "r %d errno %d hits %d", r, e, chld_hits);
	CHECKF("SIGCHLD siginfo", chld_pid == pid && chld_code == CLD_EXITED && chld_status == 33,
	       "pid %d/%d code %d status %d", chld_pid, pid, chld_code, chld_status);
	sigset_t now;
	MUST(sigprocmask(SIG_BLOCK, NULL, &now));
	CHECK("sigsuspend restores the mask", sigismember(&now, SIGCHLD) && !sigismember(&now, SIGUSR1));
	int status;
	CHECK("child reaped after SIGCHLD", waitpid(pid, &status, 0) == pid && WEXITSTATUS(status) == 33);
	MUST(sigprocmask(SIG_SETMASK, &old, NULL));
	signal(SIGCHLD, SIG_DFL);
}

static void test_sigtimedwait(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	MUST(sigprocmask(SIG_BLOCK, &set, NULL));
	union sigval v = { .sival_int = 77 };
	MUST(sigqueue(getpid(), SIGUSR2, v));
	siginfo_t si;
	struct timespec zero = { 0, 0 };
	int sig = sigtimedwait(&set, &si, &zero);
	CHECKF("sigtimedwait takes a pending signal", sig == SIGUSR2 && si.si_value.sival_int == 77,
	       "sig %d value %d", sig, si.si_value.sival_int);
	struct timespec short_wait = { 0, 20 * 1000000 };
	CHECK_ERRNO("sigtimedwait times out: EAGAIN", sigtimedwait(&set, &si, &short_wait), EAGAIN);
	pid_t sender = signal_later(SIGUSR2, 30);
	sig = sigwaitinfo(&set, &si);
	CHECKF("sigwaitinfo waits for a signal", sig == SIGUSR2 && si.si_pid == sender, "sig %d pid %d", sig, si.si_pid);
	MUST(waitpid(sender, NULL, 0));
	MUST(sigprocmask(SIG_UNBLOCK, &set, NULL));
}

static void test_death_and_job_control(void)
{
	int status;
	pid_t pid = MUST(fork());
	if (pid == 0) {
		kill(getpid(), SIGTERM);
		_exit(0);
	}
	CHECKF("death by SIGTERM", waitpid(pid, &status, 0) == pid && WIFSIGNALED(status) &&
	       WTERMSIG(status) == SIGTERM, "status %#x", status);
	pid = MUST(fork());
	if (pid == 0)
		abort();
	CHECKF("abort: death by SIGABRT", waitpid(pid, &status, 0) == pid && WIFSIGNALED(status) &&
	       WTERMSIG(status) == SIGABRT, "status %#x", status);
	pid = MUST(fork());
	if (pid == 0) {
		volatile int zero = 0;
		_exit(10 / zero);
	}
	CHECKF("division by zero: death by SIGFPE", waitpid(pid, &status, 0) == pid && WIFSIGNALED(status) &&
	       WTERMSIG(status) == SIGFPE, "status %#x", status);

	pid = MUST(fork());
	if (pid == 0) {
		for (;;)
			pause();
	}
	MUST(kill(pid, SIGSTOP));
	CHECKF("WUNTRACED sees the stop", waitpid(pid, &status, WUNTRACED) == pid && WIFSTOPPED(status) &&
	       WSTOPSIG(status) == SIGSTOP, "status %#x", status);
	CHECK("a stop is reported once", waitpid(pid, &status, WUNTRACED | WNOHANG) == 0);
	MUST(kill(pid, SIGCONT));
	CHECKF("WCONTINUED sees the continue", waitpid(pid, &status, WCONTINUED) == pid && WIFCONTINUED(status),
	       "status %#x", status);
	MUST(kill(pid, SIGTSTP));
	CHECKF("SIGTSTP stops too", waitpid(pid, &status, WUNTRACED) == pid && WIFSTOPPED(status) &&
	       WSTOPSIG(status) == SIGTSTP, "status %#x", status);
	MUST(kill(pid, SIGKILL));
	CHECKF("SIGKILL ends a stopped child", waitpid(pid, &status, 0) == pid && WIFSIGNALED(status) &&
	       WTERMSIG(status) == SIGKILL, "status %#x", status);

	/* A spinning child (running guest code, not in the kernel) is killed promptly. */
	pid = MUST(fork());
	if (pid == 0) {
		for (volatile unsigned long i = 0;; i++)
			;
	}
	sleep_ms(20);
	MUST(kill(pid, SIGKILL));
	CHECKF("SIGKILL reaches a spinning child", waitpid(pid, &status, 0) == pid && WIFSIGNALED(status) &&
	       WTERMSIG(status) == SIGKILL, "status %#x", status);
}

static void test_flags(void)
{
	/* SA_RESETHAND: the second signal takes the default action. */
	install_plain(SIGUSR1, on_plain, SA_RESETHAND);
	hits = 0;
	MUST(raise(SIGUSR1));
	struct sigaction now;
	MUST(sigaction(SIGUSR1, NULL, &now));
	CHECK("SA_RESETHAND resets to SIG_DFL", hits == 1 && now.sa_handler == SIG_DFL);
	/* SIG_IGN discards; ignoring SIGCHLD reaps children automatically. */
	signal(SIGUSR1, SIG_IGN);
	MUST(raise(SIGUSR1));
	CHECK("ignored signal has no effect", 1);
	signal(SIGCHLD, SIG_IGN);
	pid_t pid = exit_later(0, 1);
	(void)pid;
	CHECK_ERRNO("SIGCHLD ignored: no zombie, ECHILD", waitpid(-1, NULL, 0), ECHILD);
	signal(SIGCHLD, SIG_DFL);
	signal(SIGUSR1, SIG_DFL);
	CHECK_ERRNO("tgkill to a wrong group: ESRCH", syscall(SYS_tgkill, getpid() + 100000, getpid(), 0), ESRCH);
	CHECK_ERRNO("kill with a bad signal: EINVAL", kill(getpid(), 65), EINVAL);
	CHECK_SYS("kill with signal 0 probes", kill(getpid(), 0));
}

/* Sends SIGUSR1 to the whole process after a moment (sigwait from a thread). */
static void *kill_later(void *arg)
{
	(void)arg;
	sleep_ms(100);
	kill(getpid(), SIGUSR1);
	return NULL;
}

/* A process-directed signal blocked in every thread, with default action
 * "terminate", is taken by the thread in sigwait rather than killing. */
static int sigwait_in_forked_child(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		sigset_t set;
		sigemptyset(&set);
		sigaddset(&set, SIGUSR1);
		signal(SIGUSR1, SIG_DFL);
		pthread_sigmask(SIG_BLOCK, &set, NULL);
		pthread_t t;
		pthread_create(&t, NULL, kill_later, NULL);
		int sig = 0;
		if (sigwait(&set, &sig) != 0 || sig != SIGUSR1)
			_exit(2);
		pthread_join(t, NULL);
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 100 + WTERMSIG(st);
}

int main(void)
{
	test_sigqueue();
	test_segv_altstack();
	test_fpu_preserved();
	test_ucontext();
	test_eintr_and_restart();
	test_sigsuspend_sigchld();
	test_sigtimedwait();
	test_death_and_job_control();
	test_flags();
	int sw = sigwait_in_forked_child();
	CHECKF("sigwait takes a fatal signal sent to the process", sw == 0, "child status %d", sw);
	return check_done();
}
