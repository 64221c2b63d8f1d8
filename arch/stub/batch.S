/*
 * RUN_BATCH: the loop both stubs run a batch of the kernel's system calls
 * with: %r12 requests (nr and six arguments each, as StubRequest) from
 * %r14. Leaves in %rax 0, or the (negative) result of the first call that
 * failed, and in %r13 how many calls succeeded. Clobbers the argument
 * registers, %rcx and %r11.
 */
.macro RUN_BATCH
	xor	%r13d, %r13d
91:	cmp	%r12, %r13
	jae	92f
	mov	REQ_NR(%r14), %rax
	mov	REQ_ARG0(%r14), %rdi
	mov	REQ_ARG1(%r14), %rsi
	mov	REQ_ARG2(%r14), %rdx
	mov	REQ_ARG3(%r14), %r10
	mov	REQ_ARG4(%r14), %r8
	mov	REQ_ARG5(%r14), %r9
	syscall
	cmp	$-4095, %rax
	jae	93f
	add	$REQ_SIZE, %r14
	inc	%r13
	jmp	91b
92:	xor	%eax, %eax
93:
.endm
