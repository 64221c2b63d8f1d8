/*
 * What tests/guest/stubattack.c's attacks share: the stub's layout as guest
 * code sees it, finding the stub, jumping with crafted registers, forged
 * signal frames, and the checks that nothing outside an attacker changed.
 * Included by stubattack.c only (static definitions, as check.h).
 */
#ifndef STUBATTACK_H
#define STUBATTACK_H

#include "check.h"

#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <ucontext.h>

#define PAGE 4096UL
#define STUB_CODE 0x7ffe00000000UL
/* seccomp: the control page; ptrace: the data page. */
#define STUB_PAGE1 (STUB_CODE + PAGE)
/* seccomp: the message area's first slot (the first guest thread's), its
 * head page, its alternate stack; a thread's slot is 16 pages, aligned. */
#define SC_SLOT (16 * PAGE)
#define SC_SYSMSG (STUB_CODE + SC_SLOT)
#define SC_ALTSTACK (SC_SYSMSG + PAGE)
#define SC_END (SC_SYSMSG + SC_SLOT)
#define SC_RESTORER (STUB_CODE + 0x7c0)
/* The head's words: req, rep, tid, exit, then signo, info and uc (see
 * arch/stub/sysmsg.rs). */
#define HEAD_REQ 0
#define HEAD_REP 4
#define HEAD_TID 8
#define HEAD_EXIT 12
#define HEAD_INFO 24
#define HEAD_UC 32
#define HEAD_SET_BASES 56
#define SC_HANDLER_OFFSET 0x600

#define USER 1000
#define CANARY_FILE "/tmp/stubattack-canary"
#define FILE_SIZE (64 * 1024)
#define WAIT_MS 30000

enum stub { STUB_NONE, STUB_PTRACE, STUB_SECCOMP };
static const char *const stub_names[] = { "none", "ptrace", "seccomp" };

static enum stub stub;
/* A copy of the stub's code page, and the offset of its first `syscall`. */
static uint8_t *code_copy;
static size_t first_syscall;
static uint8_t *canary;
static const char *self_path;
static pid_t self_pid;
static struct stat file_stat;
/* The attacks to run (their numbers, as the first argument), else all. */
static const char *only;

static int wanted(char n)
{
	return !only || strchr(only, n);
}

/* The stub's address, hidden from the compiler's bounds analysis. */
static volatile uintptr_t stub_base = STUB_CODE;

/* The registers jump_with loads before it jumps to rip (rsp 0: unchanged). */
struct jregs {
	uint64_t rax, rdi, rsi, rdx, r10, r8, r9, rbx, r12, rsp, rip;
};
void jump_with(const struct jregs *r) __attribute__((noreturn));
void spin_forever(void);
void own_syscall(void);
void futex_landing(void);
__asm__(".text\n"
	".globl jump_with\n"
	"jump_with:\n"
	"	mov %rdi, %r11\n"
	"	mov 0(%r11), %rax\n"
	"	mov 16(%r11), %rsi\n"
	"	mov 24(%r11), %rdx\n"
	"	mov 32(%r11), %r10\n"
	"	mov 40(%r11), %r8\n"
	"	mov 48(%r11), %r9\n"
	"	mov 56(%r11), %rbx\n"
	"	mov 64(%r11), %r12\n"
	"	mov 72(%r11), %rcx\n"
	"	test %rcx, %rcx\n"
	"	jz 1f\n"
	"	mov %rcx, %rsp\n"
	"1:	mov 8(%r11), %rdi\n"
	"	jmp *80(%r11)\n"
	".globl spin_forever\n"
	"spin_forever:\n"
	"	jmp spin_forever\n"
	".globl futex_landing\n"
	"futex_landing:\n"
	"	mov %rax, futex_result(%rip)\n"
	"	and $-16, %rsp\n"
	"	call after_futex\n"
	"	ud2\n"
	".globl own_syscall\n"
	"own_syscall:\n"
	"	syscall\n"
	"	ud2\n");

/* The kernel's rt_sigframe from the ucontext on (what rt_sigreturn reads at rsp). */
struct ksigcontext {
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
	uint16_t cs, gs, fs, ss;
	uint64_t err, trapno, oldmask, cr2, fpstate, reserved1[8];
};
struct kucontext {
	uint64_t uc_flags, uc_link;
	uint64_t ss_sp;
	int32_t ss_flags, ss_pad;
	uint64_t ss_size;
	struct ksigcontext mc;
	uint64_t sigmask;
};
struct kframe {
	uint64_t pretcode;
	struct kucontext uc;
	uint8_t info[128];
};
_Static_assert(sizeof(struct ksigcontext) == 256, "struct sigcontext");
_Static_assert(__builtin_offsetof(struct kucontext, sigmask) == 296, "struct ucontext");

/* Waits up to MS for PID (-1: any child); returns 1 with *status if it ended. */
static int wait_for(pid_t pid, int ms, int *status)
{
	double end = now_ms() + ms;
	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);
		if (r > 0)
			return 1;
		if (r < 0 || now_ms() > end)
			return 0;
		sleep_ms(5);
	}
}

/* Describes a wait status. */
static const char *how(int st)
{
	static char buf[64];
	if (WIFEXITED(st))
		snprintf(buf, sizeof buf, "exit status %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(buf, sizeof buf, "killed by %s", sigabbrev_np(WTERMSIG(st)) ?: "?");
	else
		snprintf(buf, sizeof buf, "wait status %#x", st);
	return buf;
}

/* Forks an attacker that scribbles over its copy of the canary, drops to uid
 * USER when root, and runs fn. */
static pid_t attacker(void (*fn)(void *), void *arg)
{
	pid_t pid = MUST(fork());
	if (pid == 0) {
		memset(canary, 0x5a, PAGE);
		if (geteuid() == 0 && (setgroups(0, NULL) || setgid(USER) || setuid(USER)))
			_exit(90);
		fn(arg);
		_exit(0);
	}
	return pid;
}

/* Fills the canary page and the canary file. */
static void make_canaries(void)
{
	canary = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	MUST(canary == MAP_FAILED ? -1 : 0);
	for (size_t i = 0; i < PAGE; i++)
		canary[i] = (uint8_t)(i * 7 + 3);
	unlink(CANARY_FILE);
	int fd = MUST(open(CANARY_FILE, O_WRONLY | O_CREAT | O_EXCL, 0644));
	static uint8_t buf[FILE_SIZE];
	for (size_t i = 0; i < sizeof buf; i++)
		buf[i] = (uint8_t)(i * 13 + 1);
	MUST(write(fd, buf, sizeof buf) == (ssize_t)sizeof buf ? 0 : -1);
	MUST(close(fd));
	MUST(stat(CANARY_FILE, &file_stat));
}

static int canary_intact(void)
{
	for (size_t i = 0; i < PAGE; i++)
		if (canary[i] != (uint8_t)(i * 7 + 3))
			return 0;
	return 1;
}

static int file_intact(void)
{
	static uint8_t buf[FILE_SIZE + 1];
	struct stat st;
	int fd = open(CANARY_FILE, O_RDONLY);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof buf);
	close(fd);
	if (n != FILE_SIZE || stat(CANARY_FILE, &st) || st.st_size != FILE_SIZE ||
	    st.st_mtim.tv_sec != file_stat.st_mtim.tv_sec ||
	    st.st_mtim.tv_nsec != file_stat.st_mtim.tv_nsec)
		return 0;
	for (size_t i = 0; i < FILE_SIZE; i++)
		if (buf[i] != (uint8_t)(i * 13 + 1))
			return 0;
	return 1;
}

/* Forks and execs this program, which exits 42; checks getpid. */
static int kernel_works(void)
{
	if (getpid() != self_pid)
		return 0;
	pid_t pid = fork();
	if (pid < 0)
		return 0;
	if (pid == 0) {
		execl(self_path, self_path, "--exit42", (char *)NULL);
		_exit(127);
	}
	int st;
	return wait_for(pid, WAIT_MS, &st) && WIFEXITED(st) && WEXITSTATUS(st) == 42;
}

/* The checks after every attack: nothing outside the attacker changed. */
static void check_world(const char *attack)
{
	char name[256];
	snprintf(name, sizeof name, "%s: the parent's canary page is intact", attack);
	CHECK(name, canary_intact());
	snprintf(name, sizeof name, "%s: the file shared by name is intact", attack);
	CHECK(name, file_intact());
	snprintf(name, sizeof name, "%s: the kernel still forks, execs and answers getpid", attack);
	CHECK(name, kernel_works());
}

/* Reaps any child left over (the clones of attack 1 are ours). */
static void reap_strays(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

/* ---- finding the stub ---- */

static void detect_stub(void)
{
	uint8_t *shared = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	MUST(shared == MAP_FAILED ? -1 : 0);
	pid_t pid = MUST(fork());
	if (pid == 0) {
		const volatile uint8_t *p = (const volatile uint8_t *)stub_base;
		for (size_t i = 0; i < PAGE; i++)
			shared[i] = p[i];
		_exit(0);
	}
	int st;
	MUST(wait_for(pid, WAIT_MS, &st) ? 0 : -1);
	unsigned char vec;
	int visible = mincore((void *)stub_base, PAGE, &vec) == 0;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		check_printf("no stub: reading %#lx: %s (running natively)\n", STUB_CODE, how(st));
		stub = STUB_NONE;
		return;
	}
	if (visible) {
		check_printf("no stub: %#lx is an ordinary mapping here (mincore sees it)\n",
			     STUB_CODE);
		stub = STUB_NONE;
		return;
	}
	static const uint8_t restorer[] = { 0xb8, 0x0f, 0x00, 0x00, 0x00, 0x0f, 0x05 };
	/* mov %rdi,%r9; movabs $STUB_CODE + 0x1000,%rdi */
	static const uint8_t ptrace_start[] = { 0x49, 0x89, 0xf9, 0x48, 0xbf, 0x00, 0x10,
						0x00, 0x00, 0xfe, 0x7f, 0x00, 0x00 };
	if (memcmp(shared + 0x7c0, restorer, sizeof restorer) == 0)
		stub = STUB_SECCOMP;
	else if (memcmp(shared, ptrace_start, sizeof ptrace_start) == 0)
		stub = STUB_PTRACE;
	else
		check_fail("identify the stub", 0, "a page at %#lx that neither stub's bytes match",
			   STUB_CODE);
	code_copy = shared;
	for (first_syscall = 0; first_syscall + 1 < PAGE; first_syscall++)
		if (code_copy[first_syscall] == 0x0f && code_copy[first_syscall + 1] == 0x05)
			break;
	CHECKF("the stub's code page has a syscall instruction", first_syscall + 1 < PAGE,
	       "no 0f 05 in the code page");
	check_printf("stub: %s backend, first syscall at +%#zx\n", stub_names[stub],
		     first_syscall);
}

#endif
