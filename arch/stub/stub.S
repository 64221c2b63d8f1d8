/*
 * The stub: the host process in which guest code runs. It is started from a
 * sealed memfd with execveat, with guest RAM (the physmem memfd) as fd 3, under
 * ptrace by its task's kernel thread. It owns one code page (this file) and one
 * data page (a frame of physmem) at fixed addresses above the guest's address
 * space; everything else in its address space belongs to the guest.
 *
 * The kernel runs stub code only by pointing the registers at one of the entry
 * points below and continuing with PTRACE_CONT; each ends in int3, which stops the
 * stub again. Guest code runs under PTRACE_SYSEMU, so no guest instruction can
 * execute a host system call.
 */
#define STUB_CODE  0x7ffe00000000
#define STUB_DATA  0x7ffe00001000
#define STUB_END   0x7ffe00002000
#define TASK_TOP   0x7ffffffff000
#define PHYSMEM_FD 3

/* Layout of the data page: a batch of system calls. */
#define DATA_COUNT  0   /* number of requests */
#define DATA_RESULT 8   /* 0, or the first failing request's return value */
#define DATA_FAILED 16  /* index of that request */
#define DATA_REQS   24  /* requests: nr, then six arguments; 56 bytes each */
#define REQ_SIZE    56

	.text
	.globl _start
/* Offset 0: first run. %rdi holds the physmem offset of our data frame. */
_start:
	mov	%rdi, %r9
	movabs	$STUB_DATA, %rdi
	mov	$4096, %esi
	mov	$3, %edx		/* PROT_READ | PROT_WRITE */
	mov	$0x11, %r10d		/* MAP_SHARED | MAP_FIXED */
	mov	$PHYSMEM_FD, %r8d
	mov	$9, %eax		/* mmap */
	syscall
	cmp	$-4095, %rax
	jae	1f
	xor	%edi, %edi		/* munmap everything below the stub... */
	movabs	$STUB_CODE, %rsi
	mov	$11, %eax
	syscall
	cmp	$-4095, %rax
	jae	1f
	movabs	$STUB_END, %rdi		/* ...and above it: stack, vdso, vvar */
	movabs	$(TASK_TOP - STUB_END), %rsi
	mov	$11, %eax
	syscall
	cmp	$-4095, %rax
	jae	1f
	xor	%eax, %eax
1:	int3
	.balign	128, 0xcc
/* Offset 128: run the batch of system calls in the data page. */
stub_run:
	movabs	$STUB_DATA, %rbx
	mov	DATA_COUNT(%rbx), %r12
	xor	%r13d, %r13d
	lea	DATA_REQS(%rbx), %r14
2:	cmp	%r12, %r13
	jae	3f
	mov	0(%r14), %rax
	mov	8(%r14), %rdi
	mov	16(%r14), %rsi
	mov	24(%r14), %rdx
	mov	32(%r14), %r10
	mov	40(%r14), %r8
	mov	48(%r14), %r9
	syscall
	cmp	$-4095, %rax
	jae	4f
	add	$REQ_SIZE, %r14
	inc	%r13
	jmp	2b
3:	xor	%eax, %eax
4:	mov	%rax, DATA_RESULT(%rbx)
	mov	%r13, DATA_FAILED(%rbx)
	int3
	.balign	4096, 0xcc

	.section .note.GNU-stack, "", @progbits
