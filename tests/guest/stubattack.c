/*
 * stubattack: guest code attacks the host stub it runs in (issue 15,
 * "Security, argued in writing and tested"). Each guest thread runs in a host
 * stub process whose pages sit at 0x7ffe00000000, the guest's TASK_SIZE: the
 * guest kernel never hands out addresses there, but the host has them mapped,
 * so guest code can read them and jump into them. Under the seccomp backend:
 * the code page (handler at +0x600, restorer at +0x7c0), a read-only control
 * page at +0x1000 and the message area at +0x10000: a slot of 16 pages for
 * each guest thread of the process (the threads of one process share one
 * stub), its head, then the alternate stack the host writes its signal
 * frames on. Under the ptrace
 * backend: the code page and a data page (a frame of guest RAM) at +0x1000.
 *
 * Every attack runs in a forked child (the attacker, uid 1000 when run as
 * root) that first scribbles over its copy of the parent's canary page; the
 * parent checks how the attacker ended and then that its own canary page, a
 * file on /tmp it shares with the attacker only by name (in the guest its
 * pages are guest RAM) and the kernel (fork+exec, getpid) are unaffected.
 *
 * 1. Jump to the stub's first `syscall` (its start-up mmap, whose failure
 *    path ends the process with the errno: exit_group under seccomp, int3
 *    under ptrace, which a SIGTRAP handler turns into the same exit status)
 *    with mmap of the host's physmem fd 3, mprotect and munmap of the stub's
 *    own pages, and clone: the guest kernel answers each as the guest's own
 *    call (EBADF, ENOMEM, EINVAL; the clone makes a guest process); and exit,
 *    which under seccomp ends the host thread: the kernel kills the process.
 * 2. (seccomp) Corrupt the message area's head (bump req, point uc or info
 *    at garbage) and keep running: the kernel must kill the attacker.
 *    (ptrace) Scribble over the data page between mapping batches.
 * 3. A second thread writes garbage into the first thread's slot (or its
 *    own data page under ptrace) while the first makes system calls and
 *    faults: the process dies or keeps working.
 * 4. rt_sigreturn to a forged frame that blocks every signal and spins: by
 *    the host (the stub's restorer, seccomp) and by the kernel (a syscall
 *    instruction of this program); kill(SIGKILL) must still end it within
 *    30 s.
 * 5. rt_sigreturn to forged frames with a 32-bit cs, a non-canonical rip,
 *    an fpstate pointer into unmapped memory: SIGSEGV. With the fpstate in
 *    the stub's read-only control page, whatever the page holds is loaded
 *    as the attacker's own FPU state or refused: SIGSEGV, or it spins until
 *    killed.
 * 6. munmap, mprotect, mmap(MAP_FIXED), mremap and madvise at the stub's
 *    pages: the guest kernel refuses them as Linux does at TASK_SIZE, and the
 *    stub keeps working.
 *
 * Natively there is no stub: the attacks that need one are skipped with the
 * reason printed; the forged frames of 4 and 5 run against the host kernel
 * through this program's own syscall instruction. An argument such as `45`
 * runs those attacks only.
 */
#include "stubattack.h"

/* ---- 1: jumping into the stub's code ---- */

struct jump_attack {
	const char *name;
	struct jregs regs;
};

/* Turns the ptrace stub's int3 after a failed call into exit(errno). */
static void on_trap(int sig, siginfo_t *si, void *ucv)
{
	(void)sig;
	(void)si;
	ucontext_t *uc = ucv;
	long rax = uc->uc_mcontext.gregs[REG_RAX];
	uint64_t rip = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
	if (rip < STUB_CODE || rip >= STUB_CODE + PAGE)
		_exit(201);
	_exit(rax < 0 && rax > -4096 ? (int)-rax : 200);
}

static void jump_attack(void *arg)
{
	struct jump_attack *a = arg;
	struct sigaction sa = { .sa_sigaction = on_trap, .sa_flags = SA_SIGINFO };
	if (sigaction(SIGTRAP, &sa, NULL))
		_exit(91);
	for (int fd = 3; fd < 256; fd++)
		close(fd);
	jump_with(&a->regs);
}

static void attack_jump(void)
{
	void *free_page = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	MUST(free_page == MAP_FAILED ? -1 : 0);
	MUST(munmap(free_page, PAGE));
	uint64_t at = STUB_CODE + first_syscall;
	struct {
		struct jump_attack a;
		int status;  /* the attacker's exit status under seccomp... */
		int ptrace;  /* ...and under ptrace (negative: killed by that signal) */
		int clones;  /* whether the call made a process */
	} cases[] = {
		{ { "1 jump into the stub: mmap of the host's physmem fd 3",
		    { 9, (uint64_t)free_page, PAGE, PROT_READ, MAP_SHARED | MAP_FIXED, 3, 0, 0, 0, 0,
		      at } },
		  EBADF, EBADF, 0 },
		{ { "1 jump into the stub: mprotect of its own pages",
		    { 10, STUB_CODE, 3 * PAGE, PROT_READ | PROT_WRITE | PROT_EXEC, 0, 0, 0, 0, 0, 0,
		      at } },
		  ENOMEM, ENOMEM, 0 },
		{ { "1 jump into the stub: munmap of its own pages",
		    { 11, STUB_CODE, 3 * PAGE, 0, 0, 0, 0, 0, 0, 0, at } },
		  EINVAL, EINVAL, 0 },
		/*
		 * Both processes go on in the stub's start-up code as guest code:
		 * under seccomp its next mmap (of fd 4) fails with EBADF; under
		 * ptrace the guest kernel runs its munmap of everything below the
		 * stub, and the int3 that follows cannot be delivered.
		 */
		{ { "1 jump into the stub: clone",
		    { 56, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0, 0, 0, 0, 0, at } },
		  EBADF, -SIGSEGV, 1 },
		/*
		 * exit is allowed from the stub's page under seccomp (the handler
		 * ends a thread with it): the host thread ends, and the kernel,
		 * seeing its tid cleared, kills the task's process. Under ptrace it
		 * is the guest's own exit.
		 */
		{ { "1 jump into the stub: exit of its host thread",
		    { 60, 7, 0, 0, 0, 0, 0, 0, 0, 0, at } },
		  -SIGKILL, 7, 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int want = stub == STUB_SECCOMP ? cases[i].status : cases[i].ptrace;
		pid_t pid = attacker(jump_attack, &cases[i].a);
		int st = 0;
		int ended = wait_for(pid, WAIT_MS, &st);
		if (!ended)
			kill(pid, SIGKILL);
		int ok = ended && (want > 0 ? WIFEXITED(st) && WEXITSTATUS(st) == want
					   : WIFSIGNALED(st) && WTERMSIG(st) == -want);
		CHECKF(cases[i].a.name, ok, "the attacker ended with %s, expected %s %d",
		       ended ? how(st) : "nothing in 30 s", want > 0 ? "exit status" : "signal",
		       want > 0 ? want : -want);
		if (cases[i].clones) {
			ended = wait_for(-1, WAIT_MS, &st);
			ok = ended && (want > 0 ? WIFEXITED(st) && WEXITSTATUS(st) == want
					       : WIFSIGNALED(st) && WTERMSIG(st) == -want);
			CHECKF("1 jump into the stub: clone: the new process ends the same way", ok,
			       "it ended with %s", ended ? how(st) : "nothing in 30 s");
		}
		check_world(cases[i].a.name);
	}
}

/*
 * 1, seccomp: the handler's futex call with another operation, returning to
 * guest code through the handler's own `ret` (rbx at the message area, r12
 * at the kernel's last answer, set_bases 0) if the host runs it; trapped, the
 * kernel answers it and the handler then waits for an answer that does not
 * come, until the parent kills it. FUTEX_TRYLOCK_PI on a free word stores the
 * caller's thread id in it: made by the host, the stub's host tid, which
 * guest code must not learn (nor probe host tids with). The word is in a
 * shared page, so the parent reads it either way.
 */
long futex_result;
static volatile uint64_t *futex_report;

__attribute__((noreturn, used)) void after_futex(void)
{
	futex_report[0] = (uint64_t)futex_result;
	_exit(0);
}

static void futex_attack(void *arg)
{
	(void)arg;
	size_t at = SC_HANDLER_OFFSET;
	while (at + 1 < PAGE && !(code_copy[at] == 0x0f && code_copy[at + 1] == 0x05))
		at++;
	if (at + 1 >= PAGE)
		_exit(104);
	static uint64_t stack[64] __attribute__((aligned(16)));
	stack[32] = (uint64_t)futex_landing;
	/* A write first, so that the host maps the word's page writable. */
	volatile uint32_t *word = (volatile uint32_t *)&futex_report[1];
	*word = 0;
	volatile uint8_t *head = (volatile uint8_t *)(stub_base + SC_SLOT);
	*(volatile uint64_t *)(head + HEAD_SET_BASES) = 0;
	struct jregs r = { 0 };
	r.rax = SYS_futex;
	r.rdi = (uint64_t)word;
	r.rsi = 8; /* FUTEX_TRYLOCK_PI */
	r.rbx = SC_SYSMSG;
	r.r12 = *(volatile uint32_t *)(head + HEAD_REP);
	r.rsp = (uint64_t)&stack[32];
	r.rip = STUB_CODE + at;
	jump_with(&r);
}

static void attack_futex(void)
{
	const char *name = "1 jump into the stub's handler: futex(FUTEX_TRYLOCK_PI) is not the host's";
	futex_report = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	MUST(futex_report == MAP_FAILED ? -1 : 0);
	futex_report[1] = ~0U;
	pid_t pid = attacker(futex_attack, NULL);
	int st = 0;
	int ended = wait_for(pid, 3000, &st);
	if (!ended) {
		kill(pid, SIGKILL);
		ended = wait_for(pid, WAIT_MS, &st);
	}
	uint32_t word = *(volatile uint32_t *)&futex_report[1];
	check_printf("  (the attacker ended with %s; the word holds %#x, its tid is %d)\n",
		     ended ? how(st) : "nothing", word, pid);
	CHECKF(name, ended && (word == 0 || word == (uint32_t)pid),
	       "the word holds %#x, not 0 or the attacker's tid %d", word, pid);
	check_world(name);
	MUST(munmap((void *)futex_report, PAGE));
}

/* ---- 2: corrupting the message area ---- */

struct head_attack {
	const char *name;
	int field;      /* the head's word to point at garbage */
	uint64_t value;
};

static void head_attack(void *arg)
{
	struct head_attack *a = arg;
	volatile uint8_t *head = (volatile uint8_t *)(stub_base + SC_SLOT);
	for (;;) {
		*(volatile uint64_t *)(head + a->field) = a->value;
		*(volatile uint32_t *)(head + HEAD_REQ) += 1;
		for (volatile int i = 0; i < 100000; i++)
			;
	}
}

/* Under ptrace: garbage in the data page, between batches of mapping changes. */
static void data_page_attack(void *arg)
{
	(void)arg;
	volatile uint64_t *data = (volatile uint64_t *)(stub_base + PAGE);
	for (int round = 0; round < 200; round++) {
		for (size_t i = 0; i < PAGE / 8; i++)
			data[i] = 0x4141414141414141ULL * (i + round);
		data[0] = ~0ULL;
		char *p = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			       -1, 0);
		if (p == MAP_FAILED)
			_exit(92);
		for (int j = 0; j < 4; j++)
			p[j * PAGE] = (char)j;
		for (int j = 0; j < 4; j++)
			if (p[j * PAGE] != (char)j)
				_exit(93);
		if (munmap(p, 4 * PAGE) || getppid() == getpid())
			_exit(94);
	}
	_exit(0);
}

static void attack_head(void)
{
	if (stub == STUB_PTRACE) {
		const char *name = "2 garbage in the ptrace stub's data page between batches";
		pid_t pid = attacker(data_page_attack, NULL);
		int st = 0;
		int ended = wait_for(pid, WAIT_MS, &st);
		if (!ended)
			kill(pid, SIGKILL);
		CHECKF(name, ended && (WIFSIGNALED(st) || (WIFEXITED(st) && WEXITSTATUS(st) == 0)),
		       "the attacker ended with %s", ended ? how(st) : "nothing in 30 s");
		check_printf("  (the attacker ended with %s)\n", how(st));
		check_world(name);
		return;
	}
	struct head_attack cases[] = {
		{ "2 message area: req bumped, uc at garbage", HEAD_UC, 0x4141414141414141ULL },
		{ "2 message area: req bumped, uc at the head page", HEAD_UC, SC_SYSMSG + 64 },
		{ "2 message area: req bumped, uc past the area", HEAD_UC, SC_END - 64 },
		{ "2 message area: req bumped, info at garbage", HEAD_INFO, 0x7ffe00000000ULL - 8 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		pid_t pid = attacker(head_attack, &cases[i]);
		int st = 0;
		int ended = wait_for(pid, WAIT_MS, &st);
		if (!ended)
			kill(pid, SIGKILL);
		CHECKF(cases[i].name, ended && WIFSIGNALED(st),
		       "the attacker ended with %s, expected death by a signal",
		       ended ? how(st) : "nothing in 30 s");
		check_world(cases[i].name);
	}
}

/* ---- 3: a second thread scribbles while the first makes system calls ---- */

static void *scribbler(void *arg)
{
	volatile uint64_t *area = arg;
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	for (;;)
		for (size_t i = 0; i < PAGE / 8; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			area[i] = x;
		}
	return NULL;
}

static void race_attack(void *arg)
{
	(void)arg;
	pthread_t t;
	uintptr_t area = stub == STUB_SECCOMP ? stub_base + SC_SLOT : stub_base + PAGE;
	if (pthread_create(&t, NULL, scribbler, (void *)area))
		_exit(95);
	for (int i = 0; i < 20000; i++) {
		if (getppid() == getpid())
			_exit(96);
		if (i % 100 == 0) {
			char *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (p == MAP_FAILED)
				_exit(97);
			*p = 1;
			if (*p != 1 || munmap(p, PAGE))
				_exit(98);
		}
	}
	_exit(0);
}

static void attack_race(void)
{
	const char *name = "3 a thread scribbles over its own stub while another makes calls";
	pid_t pid = attacker(race_attack, NULL);
	int st = 0;
	int ended = wait_for(pid, WAIT_MS, &st);
	if (!ended)
		kill(pid, SIGKILL);
	CHECKF(name, ended && (WIFSIGNALED(st) || (WIFEXITED(st) && WEXITSTATUS(st) == 0)),
	       "the attacker ended with %s, expected death by a signal or exit status 0",
	       ended ? how(st) : "nothing in 30 s");
	check_printf("  (the attacker ended with %s)\n", how(st));
	check_world(name);
}

/* ---- 4 and 5: rt_sigreturn to forged frames ---- */

enum entry { BY_HOST_RESTORER, BY_OWN_SYSCALL };

struct frame_attack {
	const char *name;
	enum entry entry;
	uint64_t sigmask;
	uint16_t cs;
	uint64_t rip;
	uint64_t fpstate;
	int want_signal;  /* 0: the attacker spins until killed; -1: either that or SIGSEGV */
};

static uint8_t spin_stack[16384] __attribute__((aligned(16)));

static void frame_attack(void *arg)
{
	struct frame_attack *a = arg;
	static struct kframe f;
	memset(&f, 0, sizeof f);
	f.uc.mc.rip = a->rip;
	f.uc.mc.rsp = (uint64_t)(spin_stack + sizeof spin_stack - 64);
	f.uc.mc.eflags = 0x202;
	f.uc.mc.cs = a->cs;
	f.uc.mc.ss = 0x2b;
	f.uc.mc.fpstate = a->fpstate;
	f.uc.sigmask = a->sigmask;
	if (a->entry == BY_HOST_RESTORER) {
		/* The stub's own alternate stack, which the host's sigaltstack
		 * accepts back. */
		f.uc.ss_sp = SC_ALTSTACK;
		f.uc.ss_size = SC_END - SC_ALTSTACK;
	} else {
		f.uc.ss_flags = SS_DISABLE;
	}
	struct jregs r = { 0 };
	r.rax = SYS_rt_sigreturn;
	r.rsp = (uint64_t)&f.uc;
	r.rip = a->entry == BY_HOST_RESTORER ? SC_RESTORER : (uint64_t)own_syscall;
	jump_with(&r);
}

static void run_frame_attack(struct frame_attack *a)
{
	pid_t pid = attacker(frame_attack, a);
	int st = 0;
	if (a->want_signal < 0) {
		sleep_ms(300);
		int early = waitpid(pid, &st, WNOHANG) == pid;
		if (!early)
			kill(pid, SIGKILL);
		int ended = early || wait_for(pid, WAIT_MS, &st);
		int sig = early ? SIGSEGV : SIGKILL;
		CHECKF(a->name, ended && WIFSIGNALED(st) && WTERMSIG(st) == sig,
		       "the attacker ended with %s, expected %s", ended ? how(st) : "nothing in 30 s",
		       sigabbrev_np(sig));
		check_printf("  (the attacker ended with %s)\n", how(st));
	} else if (a->want_signal) {
		int ended = wait_for(pid, WAIT_MS, &st);
		if (!ended)
			kill(pid, SIGKILL);
		CHECKF(a->name, ended && WIFSIGNALED(st) && WTERMSIG(st) == a->want_signal,
		       "the attacker ended with %s, expected %s", ended ? how(st) : "nothing in 30 s",
		       sigabbrev_np(a->want_signal));
	} else {
		sleep_ms(300);
		int early = waitpid(pid, &st, WNOHANG) == pid;
		double t0 = now_ms();
		kill(pid, SIGKILL);
		int ended = early || wait_for(pid, WAIT_MS, &st);
		double took = now_ms() - t0;
		CHECKF(a->name, !early && ended && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
		       "the attacker %s with %s", early ? "ended before the kill" : "ended",
		       ended ? how(st) : "nothing in 30 s");
		check_printf("  (reaped %.0f ms after kill)\n", took);
	}
	check_world(a->name);
}

static void attack_frames(void)
{
	char *high = mmap(NULL, PAGE, PROT_READ | PROT_WRITE | PROT_EXEC,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	MUST(high == MAP_FAILED ? -1 : 0);
	MUST((uint64_t)high > 0xffffffffULL ? 0 : -1);
	high[0] = (char)0xeb; /* jmp . */
	high[1] = (char)0xfe;
	void *unmapped = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	MUST(unmapped == MAP_FAILED ? -1 : 0);
	MUST(munmap(unmapped, PAGE));
	uint64_t spin = (uint64_t)spin_forever;
	struct frame_attack cases[] = {
		{ "4 host rt_sigreturn blocking every signal, then spinning: SIGKILL ends it",
		  BY_HOST_RESTORER, ~0ULL, 0x33, spin, 0, 0 },
		{ "4 kernel rt_sigreturn blocking every signal, then spinning: SIGKILL ends it",
		  BY_OWN_SYSCALL, ~0ULL, 0x33, spin, 0, 0 },
		{ "5 host rt_sigreturn to cs 0x23 at a rip above 4 GiB: SIGSEGV",
		  BY_HOST_RESTORER, 0, 0x23, (uint64_t)high, 0, SIGSEGV },
		{ "5 host rt_sigreturn to a non-canonical rip: SIGSEGV",
		  BY_HOST_RESTORER, 0, 0x33, 0x0000800000000000ULL, 0, SIGSEGV },
		{ "5 host rt_sigreturn with fpstate in unmapped memory: SIGSEGV",
		  BY_HOST_RESTORER, 0, 0x33, spin, (uint64_t)unmapped, SIGSEGV },
		{ "5 host rt_sigreturn with fpstate in the stub's control page: SIGSEGV or its own spin",
		  BY_HOST_RESTORER, 0, 0x33, spin, STUB_PAGE1, -1 },
		{ "5 kernel rt_sigreturn to cs 0x23 at a rip above 4 GiB: SIGSEGV",
		  BY_OWN_SYSCALL, 0, 0x23, (uint64_t)high, 0, SIGSEGV },
		{ "5 kernel rt_sigreturn to a non-canonical rip: SIGSEGV",
		  BY_OWN_SYSCALL, 0, 0x33, 0x0000800000000000ULL, 0, SIGSEGV },
		{ "5 kernel rt_sigreturn with fpstate in unmapped memory: SIGSEGV",
		  BY_OWN_SYSCALL, 0, 0x33, spin, (uint64_t)unmapped, SIGSEGV },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct frame_attack *a = &cases[i];
		if (!wanted(a->name[0]))
			continue;
		if (a->entry == BY_HOST_RESTORER && stub != STUB_SECCOMP) {
			check_printf("skip %s: no seccomp stub's restorer here (stub: %s)\n", a->name,
				     stub_names[stub]);
			continue;
		}
		if (a->entry == BY_OWN_SYSCALL && a->cs != 0x33 && stub != STUB_NONE) {
			check_printf("skip %s: this kernel's rt_sigreturn always loads cs 0x33 "
				     "(kernel/signal/frame.rs), where Linux loads the frame's\n",
				     a->name);
			continue;
		}
		run_frame_attack(a);
	}
	MUST(munmap(high, PAGE));
}

/* ---- 6: unmapping or remapping the stub's pages through the kernel ---- */

struct remap_result {
	long ret;
	int err;
};

#define REMAP_CALLS 7
static const char *const remap_calls[REMAP_CALLS] = {
	"munmap", "mprotect", "mmap MAP_FIXED", "mmap MAP_FIXED_NOREPLACE",
	"mremap to it", "mremap of it", "madvise MADV_DONTNEED",
};
/* What Linux (6.18, on its own TASK_SIZE) answers for an address at or past
 * TASK_SIZE. */
static const int remap_errno[REMAP_CALLS] = {
	EINVAL, ENOMEM, ENOMEM, ENOMEM, EINVAL, EFAULT, ENOMEM,
};
/* Another failure this kernel gives, where it differs from Linux (not a hole:
 * the call fails either way): mremap of a range past TASK_SIZE is EINVAL here
 * (mm/src/mremap.rs checks the old range first), EFAULT on Linux (no vma). */
static const int remap_errno_here[REMAP_CALLS] = {
	0, 0, 0, 0, 0, EINVAL, 0,
};
static const uint64_t remap_pages[3] = { STUB_CODE, STUB_CODE + PAGE, SC_SYSMSG };

static void remap_attack(void *arg)
{
	struct remap_result *out = arg;
	char *page = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED)
		_exit(99);
	*page = 1;
	for (int p = 0; p < 3; p++) {
		void *a = (void *)remap_pages[p];
		struct remap_result *r = out + p * REMAP_CALLS;
		long rets[REMAP_CALLS];
		int errs[REMAP_CALLS];
		for (int c = 0; c < REMAP_CALLS; c++) {
			errno = 0;
			switch (c) {
			case 0: rets[c] = munmap(a, PAGE); break;
			case 1: rets[c] = mprotect(a, PAGE, PROT_READ | PROT_WRITE | PROT_EXEC); break;
			case 2:
				rets[c] = (long)mmap(a, PAGE, PROT_READ | PROT_WRITE,
						     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
				break;
			case 3:
				rets[c] = (long)mmap(a, PAGE, PROT_READ | PROT_WRITE,
						     MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
						     -1, 0);
				break;
			case 4:
				rets[c] = (long)mremap(page, PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, a);
				break;
			case 5: rets[c] = (long)mremap(a, PAGE, 2 * PAGE, MREMAP_MAYMOVE); break;
			default: rets[c] = madvise(a, PAGE, MADV_DONTNEED); break;
			}
			errs[c] = errno;
		}
		for (int c = 0; c < REMAP_CALLS; c++)
			r[c] = (struct remap_result){ rets[c], errs[c] };
	}
	/* The stub still runs this process: its code page is unchanged, the
	 * page after it readable, and calls and faults still work. */
	const volatile uint8_t *code = (const volatile uint8_t *)stub_base;
	for (size_t i = 0; i < PAGE; i++)
		if (code[i] != code_copy[i])
			_exit(100);
	volatile uint8_t sink = ((const volatile uint8_t *)stub_base)[PAGE];
	(void)sink;
	if (*page != 1 || getppid() == getpid())
		_exit(101);
	char *q = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (q == MAP_FAILED)
		_exit(102);
	*q = 7;
	_exit(*q == 7 ? 0 : 103);
}

static void attack_remap(void)
{
	struct remap_result *out = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
					MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	MUST(out == MAP_FAILED ? -1 : 0);
	pid_t pid = attacker(remap_attack, out);
	int st = 0;
	int ended = wait_for(pid, WAIT_MS, &st);
	if (!ended)
		kill(pid, SIGKILL);
	char name[160];
	for (int p = 0; p < 3; p++)
		for (int c = 0; c < REMAP_CALLS; c++) {
			struct remap_result *r = out + p * REMAP_CALLS + c;
			snprintf(name, sizeof name, "6 %s at %#lx: %s", remap_calls[c],
				 (unsigned long)remap_pages[p], strerrorname_np(remap_errno[c]));
			CHECKF(name,
			       r->ret == -1 && (r->err == remap_errno[c] ||
						(remap_errno_here[c] && r->err == remap_errno_here[c])),
			       "returned %ld with %s", r->ret, strerrorname_np(r->err) ?: "0");
			if (r->err != remap_errno[c])
				check_printf("  (%s, where Linux answers %s)\n",
					     strerrorname_np(r->err) ?: "0",
					     strerrorname_np(remap_errno[c]));
		}
	CHECKF("6 the stub keeps working after the attempts",
	       ended && WIFEXITED(st) && WEXITSTATUS(st) == 0, "the attacker ended with %s",
	       ended ? how(st) : "nothing in 30 s");
	check_world("6 unmapping or remapping the stub's pages");
	MUST(munmap(out, PAGE));
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--exit42") == 0)
		return 42;
	only = argc > 1 ? argv[1] : NULL;
	self_path = argv[0];
	self_pid = getpid();
	make_canaries();
	CHECK("the canaries are in place", canary_intact() && file_intact() && kernel_works());
	detect_stub();

	if (stub == STUB_NONE)
		check_printf("skip 1, 2, 3 and 6 (jumps into the stub, its message area, "
			     "its pages): no stub here\n");
	if (stub != STUB_NONE && wanted('1')) {
		attack_jump();
		if (stub == STUB_SECCOMP)
			attack_futex();
	}
	if (stub != STUB_NONE && wanted('2'))
		attack_head();
	if (stub != STUB_NONE && wanted('3'))
		attack_race();
	if (wanted('4') || wanted('5'))
		attack_frames();
	if (stub != STUB_NONE && wanted('6'))
		attack_remap();
	reap_strays();
	unlink(CANARY_FILE);
	return check_done();
}
