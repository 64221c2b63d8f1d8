/*
 * The seccomp stub: the host process in which guest code runs under the
 * seccomp backend, without ptrace. It is started from a sealed memfd with
 * execveat, with guest RAM (the physmem memfd) as PHYSMEM_FD, the memfd of its
 * control page and message area as SC_SHM_FD, and the write end of its done
 * pipe as SC_DONE_FD. Its threads:
 *
 * - guest threads, one for each thread of the guest process it runs (the
 *   first from the start, the others started by the mapper on the kernel's
 *   request), each running guest code under a filter that traps every
 *   system call (SECCOMP_RET_TRAP) except futex(FUTEX_WAIT/FUTEX_WAKE),
 *   rt_sigreturn, arch_prctl(ARCH_SET_FS/GS) and exit made from this code
 *   page. Each trap, page fault, synchronous signal or kick enters `handler`
 *   on the thread's alternate stack, in its slot of the message area, which
 *   tells the kernel and sleeps until it answers; the kernel reads and edits
 *   the signal frame in place; rt_sigreturn loads it;
 * - the mapper thread, which alone may map physmem: it runs the batches of
 *   mmap/munmap/mprotect the kernel writes into the control page, which the
 *   guest cannot write, and reports each on the done pipe, which the guest
 *   cannot write to; after a page fault's batch it also lets the guest thread
 *   go on. It uses no memory but that page (and the message area's `rep`,
 *   which it only writes, and `gwait`, which only decides whether it wakes
 *   that thread): no stack, no data.
 *
 * Addresses, numbers and layouts come from stub_layout.h, which build.rs
 * generates from arch/stub/layout.rs and arch/stub/sysmsg.rs.
 */
#include "stub_layout.h"
#include "batch.S"

#define CHECK	cmp $-4095, %rax; jae fail

	.text
	.globl _start
_start:
	/* The control page, read-only, and the message area. */
	movabs	$SC_CTRL, %rdi
	mov	$PAGE_SIZE, %esi
	mov	$PROT_READ_ONLY, %edx
	mov	$MAP_SHARED_FIXED, %r10d
	mov	$SC_SHM_FD, %r8d
	xor	%r9d, %r9d
	mov	$SYS_MMAP, %eax
	syscall
	CHECK
	movabs	$SC_SYSMSG, %rdi
	mov	$SC_SYSMSG_SIZE, %esi
	mov	$PROT_READ_WRITE, %edx
	mov	$MAP_SHARED_FIXED, %r10d
	mov	$SC_SHM_FD, %r8d
	mov	$SC_SYSMSG_OFFSET, %r9d
	mov	$SYS_MMAP, %eax
	syscall
	CHECK
	mov	$SC_SHM_FD, %edi
	mov	$SYS_CLOSE, %eax
	syscall
	/* Everything else goes: below the stub, between the control page and
	 * the message area, and above it (stack, vdso, vvar). */
	xor	%edi, %edi
	movabs	$STUB_CODE, %rsi
	mov	$SYS_MUNMAP, %eax
	syscall
	CHECK
	movabs	$(SC_CTRL + PAGE_SIZE), %rdi
	mov	$(SC_SYSMSG - SC_CTRL - PAGE_SIZE), %esi
	mov	$SYS_MUNMAP, %eax
	syscall
	CHECK
	movabs	$SC_END, %rdi
	movabs	$(HOST_TASK_TOP - SC_END), %rsi
	mov	$SYS_MUNMAP, %eax
	syscall
	CHECK
	movabs	$SC_SYSMSG, %rbx
	lea	MSG_SS_SP(%rbx), %rdi
	xor	%esi, %esi
	mov	$SYS_SIGALTSTACK, %eax
	syscall
	CHECK
	/* The handler, for each signal of the 0-terminated list. */
	lea	MSG_SIGNALS(%rbx), %r12
1:	mov	(%r12), %rdi
	test	%rdi, %rdi
	jz	2f
	lea	MSG_SA_HANDLER(%rbx), %rsi
	xor	%edx, %edx
	mov	$8, %r10d
	mov	$SYS_RT_SIGACTION, %eax
	syscall
	CHECK
	add	$8, %r12
	jmp	1b
2:	/* What installing a filter without privileges needs. */
	mov	$PR_SET_NO_NEW_PRIVS, %edi
	mov	$1, %esi
	xor	%edx, %edx
	xor	%r10d, %r10d
	xor	%r8d, %r8d
	mov	$SYS_PRCTL, %eax
	syscall
	CHECK
	/* Every signal blocked: the mapper thread keeps this mask. */
	mov	$2, %edi
	lea	MSG_FULL_MASK(%rbx), %rsi
	xor	%edx, %edx
	mov	$8, %r10d
	mov	$SYS_RT_SIGPROCMASK, %eax
	syscall
	CHECK
	mov	$SC_CLONE_THREAD, %edi
	xor	%esi, %esi
	xor	%edx, %edx
	xor	%r10d, %r10d
	xor	%r8d, %r8d
	mov	$SYS_CLONE, %eax
	syscall
	test	%rax, %rax
	jz	mapper
	CHECK
	mov	%rax, MSG_MAPPER_TID(%rbx)
	/* The first guest thread: its slot's tid cleared when it ends, signals
	 * open, its filter, then its first trap. */
	lea	MSG_TID(%rbx), %rdi
	mov	$SYS_SET_TID_ADDRESS, %eax
	syscall
	mov	$2, %edi
	lea	MSG_EMPTY_MASK(%rbx), %rsi
	xor	%edx, %edx
	mov	$8, %r10d
	mov	$SYS_RT_SIGPROCMASK, %eax
	syscall
	CHECK
	mov	$SECCOMP_SET_MODE_FILTER, %edi
	xor	%esi, %esi
	movabs	$(SC_CTRL + CTRL_GUEST_PROG_LEN), %rdx
	mov	$SYS_SECCOMP, %eax
	syscall
	CHECK
	/*
	 * A call the filter refuses from here: the first trap, where the kernel
	 * finds the stub ready and gives it the guest's registers.
	 */
	mov	$SYS_GETPID, %eax
	syscall
	ud2
fail:
	mov	%rax, %rdi
	neg	%rdi
	mov	$SYS_EXIT_GROUP, %eax
	syscall
	ud2

/* The mapper thread: batches from the control page, reported on the pipe. */
mapper:
	mov	$SECCOMP_SET_MODE_FILTER, %edi
	xor	%esi, %esi
	lea	MSG_MAPPER_PROG_LEN(%rbx), %rdx
	mov	$SYS_SECCOMP, %eax
	syscall
	CHECK
	movabs	$SC_CTRL, %rbx
	xor	%r15d, %r15d		/* the sequence number of the last batch run */
3:	mov	CTRL_SEQ(%rbx), %eax
	cmp	%eax, %r15d
	jne	4f
	lea	CTRL_SEQ(%rbx), %rdi
	mov	$FUTEX_WAIT, %esi
	mov	%r15d, %edx
	xor	%r10d, %r10d
	mov	$SYS_FUTEX, %eax
	syscall
	jmp	3b
4:	mov	%eax, %r15d
	/* Another guest thread first, on the slot the kernel names. */
	mov	CTRL_SPAWN(%rbx), %rbp
	test	%rbp, %rbp
	jz	5f
	mov	$SC_CLONE_GUEST, %edi
	xor	%esi, %esi
	lea	MSG_TID(%rbp), %rdx
	mov	%rdx, %r10
	xor	%r8d, %r8d
	mov	$SYS_CLONE, %eax
	syscall
	test	%rax, %rax
	jz	guest_thread
	cmp	$-4095, %rax
	jae	7f
5:	mov	CTRL_COUNT(%rbx), %r12
	lea	CTRL_REQS(%rbx), %r14
	RUN_BATCH
	/*
	 * The kernel's reply to the guest thread, if it left one, then the
	 * report: 1 + the errno of the failed request (0: none) bytes of this
	 * page. In that order: once the report is read, the kernel may write
	 * the next batch over this one.
	 */
7:	mov	%rax, %r13
	mov	CTRL_RESUME(%rbx), %eax
	test	%eax, %eax
	jz	8f
	mov	CTRL_RESUME_SLOT(%rbx), %rdi
	xchg	%eax, MSG_REP(%rdi)
	cmpl	$0, MSG_GWAIT(%rdi)
	je	8f
	add	$MSG_REP, %rdi
	mov	$FUTEX_WAKE, %esi
	mov	$1, %edx
	mov	$SYS_FUTEX, %eax
	syscall
8:	mov	%r13, %rdx
	neg	%rdx
	inc	%rdx
	mov	$SC_DONE_FD, %edi
	movabs	$STUB_CODE, %rsi
	mov	$SYS_WRITE, %eax
	syscall
	jmp	3b

/*
 * A guest thread the mapper started (%rbx: the control page, %rbp: its
 * slot), with the mapper's signal mask and filter: its alternate stack, its
 * signals open, the guest filter over the mapper's, then its first trap. All
 * it reads is in the control page, which guest code cannot write.
 */
guest_thread:
	lea	CTRL_SPAWN_SS(%rbx), %rdi
	xor	%esi, %esi
	mov	$SYS_SIGALTSTACK, %eax
	syscall
	cmp	$-4095, %rax
	jae	9f
	mov	$2, %edi
	lea	CTRL_EMPTY_MASK(%rbx), %rsi
	xor	%edx, %edx
	mov	$8, %r10d
	mov	$SYS_RT_SIGPROCMASK, %eax
	syscall
	cmp	$-4095, %rax
	jae	9f
	mov	$SECCOMP_SET_MODE_FILTER, %edi
	xor	%esi, %esi
	lea	CTRL_GUEST_PROG_LEN(%rbx), %rdx
	mov	$SYS_SECCOMP, %eax
	syscall
	cmp	$-4095, %rax
	jae	9f
	mov	$SYS_GETPID, %eax
	syscall
	ud2
	/* A failed start ends this thread alone; the kernel sees its tid go. */
9:	xor	%edi, %edi
	mov	$SYS_EXIT, %eax
	syscall
	ud2

/*
 * A guest thread's handler of every signal it takes (rdi: the signal, rsi:
 * its siginfo, rdx: its ucontext), with every signal blocked, on the
 * alternate stack in its slot (which the stack pointer names): report the
 * trap, sleep until the kernel answers; end the thread if the kernel says.
 */
	.org	SC_HANDLER_OFFSET, 0xcc
handler:
	mov	%rsp, %rbx
	and	$-SC_SLOT_SIZE, %rbx
	mov	%rdi, MSG_SIGNO(%rbx)
	mov	%rsi, MSG_INFO(%rbx)
	mov	%rdx, MSG_UC(%rbx)
	cmpq	$0, MSG_FSGSBASE(%rbx)
	je	1f
	rdfsbase %rax
	mov	%rax, MSG_FS_BASE(%rbx)
	rdgsbase %rax
	mov	%rax, MSG_GS_BASE(%rbx)
	/* The report (a locked exchange: a full barrier before kwait is read),
	 * and a wake-up only if the kernel sleeps. */
1:	mov	MSG_REQ(%rbx), %r12d
	inc	%r12d
	mov	%r12d, %eax
	xchg	%eax, MSG_REQ(%rbx)
	cmpl	$0, MSG_KWAIT(%rbx)
	je	2f
	lea	MSG_REQ(%rbx), %rdi
	mov	$FUTEX_WAKE, %esi
	mov	$1, %edx
	mov	$SYS_FUTEX, %eax
	syscall
	/* Poll for the answer a while, then sleep: gwait set (a full barrier)
	 * before rep is read for the last time. */
2:	mov	MSG_SPIN(%rbx), %r13
3:	mov	MSG_REP(%rbx), %edx
	cmp	%edx, %r12d
	je	4f
	test	%r13, %r13
	jz	31f
	dec	%r13
	pause
	test	$63, %r13
	jnz	3b
	/* Now and then, the CPU to any other thread that wants it. */
	mov	$SYS_SCHED_YIELD, %eax
	syscall
	jmp	3b
31:	mov	$1, %eax
	xchg	%eax, MSG_GWAIT(%rbx)
	mov	MSG_REP(%rbx), %edx
	cmp	%edx, %r12d
	je	32f
	lea	MSG_REP(%rbx), %rdi
	mov	$FUTEX_WAIT, %esi
	xor	%r10d, %r10d
	mov	$SYS_FUTEX, %eax
	syscall
32:	movl	$0, MSG_GWAIT(%rbx)
	xor	%r13d, %r13d
	jmp	3b
4:	cmpl	$0, MSG_EXIT(%rbx)
	jne	7f
	cmpq	$0, MSG_SET_BASES(%rbx)
	je	6f
	cmpq	$0, MSG_FSGSBASE(%rbx)
	je	5f
	mov	MSG_FS_BASE(%rbx), %rax
	wrfsbase %rax
	mov	MSG_GS_BASE(%rbx), %rax
	wrgsbase %rax
	ret
5:	mov	$ARCH_SET_FS, %edi
	mov	MSG_FS_BASE(%rbx), %rsi
	mov	$SYS_ARCH_PRCTL, %eax
	syscall
	mov	$ARCH_SET_GS, %edi
	mov	MSG_GS_BASE(%rbx), %rsi
	mov	$SYS_ARCH_PRCTL, %eax
	syscall
6:	ret
7:	xor	%edi, %edi
	mov	$SYS_EXIT, %eax
	syscall
	ud2

	.org	SC_RESTORER_OFFSET, 0xcc
restorer:
	mov	$SYS_RT_SIGRETURN, %eax
	syscall
	ud2
	.balign	PAGE_SIZE, 0xcc

	.section .note.GNU-stack, "", @progbits
