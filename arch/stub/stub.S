/*
 * The stub: the host process in which guest code runs. It is started from a
 * sealed memfd with execveat, with guest RAM (the physmem memfd) as fd
 * PHYSMEM_FD, under ptrace by its task's kernel thread. It owns one code page
 * (this file) and one data page (a frame of physmem) at fixed addresses above
 * the guest's address space; everything else in its address space belongs to
 * the guest.
 *
 * The kernel runs stub code only by pointing the registers at one of the entry
 * points below and continuing with PTRACE_CONT; each ends in int3, which stops the
 * stub again. Guest code runs under PTRACE_SYSEMU, so no guest instruction can
 * execute a host system call.
 *
 * The addresses, the system calls and the layout of the data page (a head:
 * count, result, failed; then requests: nr and six arguments) come from
 * stub_layout.h, which build.rs generates from arch/stub/layout.rs, the
 * kernel's definition of the same.
 */
#include "stub_layout.h"
#include "batch.S"

	.text
	.globl _start
/* Offset 0: first run. %rdi holds the physmem offset of our data frame. */
_start:
	mov	%rdi, %r9
	movabs	$STUB_DATA, %rdi
	mov	$PAGE_SIZE, %esi
	mov	$PROT_READ_WRITE, %edx
	mov	$MAP_SHARED_FIXED, %r10d
	mov	$PHYSMEM_FD, %r8d
	mov	$SYS_MMAP, %eax
	syscall
	cmp	$-4095, %rax
	jae	1f
	xor	%edi, %edi		/* munmap everything below the stub... */
	movabs	$STUB_CODE, %rsi
	mov	$SYS_MUNMAP, %eax
	syscall
	cmp	$-4095, %rax
	jae	1f
	movabs	$STUB_END, %rdi		/* ...and above it: stack, vdso, vvar */
	movabs	$(HOST_TASK_TOP - STUB_END), %rsi
	mov	$SYS_MUNMAP, %eax
	syscall
	cmp	$-4095, %rax
	jae	1f
	xor	%eax, %eax
1:	int3
	.org	STUB_RUN_OFFSET, 0xcc
/* Offset STUB_RUN_OFFSET: run the batch of system calls in the data page. */
stub_run:
	movabs	$STUB_DATA, %rbx
	mov	DATA_COUNT(%rbx), %r12
	lea	DATA_REQS(%rbx), %r14
	RUN_BATCH
	mov	%rax, DATA_RESULT(%rbx)
	mov	%r13, DATA_FAILED(%rbx)
	int3
	.balign	PAGE_SIZE, 0xcc

	.section .note.GNU-stack, "", @progbits
