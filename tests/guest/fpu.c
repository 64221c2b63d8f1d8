/*
 * Checks that the vector register state of a task survives system calls and
 * is private to each process: SSE xmm0-15, MXCSR and the x87 control word,
 * then AVX-512 zmm0-31 and k0-7 if the CPU and OS have them, else AVX2
 * ymm0-15. Each is loaded with distinct patterns, then LOOPS raw `syscall`
 * instructions (getpid) run without touching those registers, then the
 * registers are stored and compared. Parent and a forked child do this at the
 * same time with different patterns.
 */
#include "check.h"

#include <stdint.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define LOOPS 20000

static unsigned char seed;

static void fill(unsigned char *p, size_t n, unsigned tag)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(i * 13 + tag * 101 + seed * 37 + 1);
}

static void cpuid(unsigned leaf, unsigned sub, unsigned r[4])
{
	__asm__ volatile("cpuid"
			 : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			 : "a"(leaf), "c"(sub));
}

static uint64_t xgetbv0(void)
{
	uint32_t lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return (uint64_t)hi << 32 | lo;
}

/* Returns 1 if the OS enabled XSAVE state components MASK (in XCR0). */
static int os_enabled(uint64_t mask)
{
	unsigned r[4];
	cpuid(1, 0, r);
	if (!(r[2] & (1u << 27))) /* OSXSAVE */
		return 0;
	return (xgetbv0() & mask) == mask;
}

static int has_avx512(void)
{
	unsigned r[4];
	cpuid(0, 0, r);
	if (r[0] < 7)
		return 0;
	cpuid(7, 0, r);
	/* AVX512F (bit 16) and AVX512BW (bit 30, for 64-bit kmovq). */
	return (r[1] & (1u << 16)) && (r[1] & (1u << 30)) && os_enabled(0xe6);
}

static int has_avx2(void)
{
	unsigned r[4];
	cpuid(7, 0, r);
	return (r[1] & (1u << 5)) && os_enabled(0x6);
}

static void sse(const char *who)
{
	unsigned char in[16 * 16], out[16 * 16];
	fill(in, sizeof in, 1);
	memset(out, 0, sizeof out);
	/* Round toward zero, all exceptions masked, flush-to-zero. */
	uint32_t mxcsr_in = 0x7f80 | 0x8000, mxcsr_out = 0;
	/* Round down, single precision, all exceptions masked. */
	uint16_t fcw_in = 0x047f, fcw_out = 0;
	long n = LOOPS;
	__asm__ volatile(
		"movdqu 0x00(%[in]), %%xmm0\n\t"
		"movdqu 0x10(%[in]), %%xmm1\n\t"
		"movdqu 0x20(%[in]), %%xmm2\n\t"
		"movdqu 0x30(%[in]), %%xmm3\n\t"
		"movdqu 0x40(%[in]), %%xmm4\n\t"
		"movdqu 0x50(%[in]), %%xmm5\n\t"
		"movdqu 0x60(%[in]), %%xmm6\n\t"
		"movdqu 0x70(%[in]), %%xmm7\n\t"
		"movdqu 0x80(%[in]), %%xmm8\n\t"
		"movdqu 0x90(%[in]), %%xmm9\n\t"
		"movdqu 0xa0(%[in]), %%xmm10\n\t"
		"movdqu 0xb0(%[in]), %%xmm11\n\t"
		"movdqu 0xc0(%[in]), %%xmm12\n\t"
		"movdqu 0xd0(%[in]), %%xmm13\n\t"
		"movdqu 0xe0(%[in]), %%xmm14\n\t"
		"movdqu 0xf0(%[in]), %%xmm15\n\t"
		"ldmxcsr %[mxin]\n\t"
		"fldcw %[fcwin]\n\t"
		"1:\n\t"
		"mov %[nr], %%eax\n\t"
		"syscall\n\t"
		"dec %[n]\n\t"
		"jnz 1b\n\t"
		"stmxcsr %[mxout]\n\t"
		"fnstcw %[fcwout]\n\t"
		"movdqu %%xmm0, 0x00(%[out])\n\t"
		"movdqu %%xmm1, 0x10(%[out])\n\t"
		"movdqu %%xmm2, 0x20(%[out])\n\t"
		"movdqu %%xmm3, 0x30(%[out])\n\t"
		"movdqu %%xmm4, 0x40(%[out])\n\t"
		"movdqu %%xmm5, 0x50(%[out])\n\t"
		"movdqu %%xmm6, 0x60(%[out])\n\t"
		"movdqu %%xmm7, 0x70(%[out])\n\t"
		"movdqu %%xmm8, 0x80(%[out])\n\t"
		"movdqu %%xmm9, 0x90(%[out])\n\t"
		"movdqu %%xmm10, 0xa0(%[out])\n\t"
		"movdqu %%xmm11, 0xb0(%[out])\n\t"
		"movdqu %%xmm12, 0xc0(%[out])\n\t"
		"movdqu %%xmm13, 0xd0(%[out])\n\t"
		"movdqu %%xmm14, 0xe0(%[out])\n\t"
		"movdqu %%xmm15, 0xf0(%[out])\n\t"
		"ldmxcsr %[mxdef]\n\t"
		"fninit\n\t"
		: [n] "+r"(n), [mxout] "=m"(mxcsr_out), [fcwout] "=m"(fcw_out)
		: [in] "r"(in), [out] "r"(out), [mxin] "m"(mxcsr_in), [fcwin] "m"(fcw_in),
		  [mxdef] "m"((uint32_t){ 0x1f80 }), [nr] "i"(SYS_getpid)
		: "rax", "rcx", "r11", "memory", "cc", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4",
		  "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13",
		  "xmm14", "xmm15", "st", "st(1)", "st(2)", "st(3)", "st(4)", "st(5)", "st(6)",
		  "st(7)");
	char name[64];
	for (int r = 0; r < 16; r++) {
		snprintf(name, sizeof name, "%s xmm%d", who, r);
		CHECK(name, memcmp(in + 16 * r, out + 16 * r, 16) == 0);
	}
	snprintf(name, sizeof name, "%s mxcsr", who);
	CHECKF(name, mxcsr_out == mxcsr_in, "mxcsr %#x, expected %#x", mxcsr_out, mxcsr_in);
	snprintf(name, sizeof name, "%s x87 control word", who);
	CHECKF(name, fcw_out == fcw_in, "fcw %#x, expected %#x", fcw_out, fcw_in);
}

#define Z_LOAD(r) "vmovdqu64 " #r "*64(%[in]), %%zmm" #r "\n\t"
#define Z_STORE(r) "vmovdqu64 %%zmm" #r ", " #r "*64(%[out])\n\t"
#define K_LOAD(r) "kmovq " #r "*8(%[kin]), %%k" #r "\n\t"
#define K_STORE(r) "kmovq %%k" #r ", " #r "*8(%[kout])\n\t"
#define X8(M, a, b, c, d, e, f, g, h) M(a) M(b) M(c) M(d) M(e) M(f) M(g) M(h)
#define X32(M)                                                                  \
	X8(M, 0, 1, 2, 3, 4, 5, 6, 7) X8(M, 8, 9, 10, 11, 12, 13, 14, 15)       \
	X8(M, 16, 17, 18, 19, 20, 21, 22, 23) X8(M, 24, 25, 26, 27, 28, 29, 30, 31)

__attribute__((target("avx512f,avx512bw")))
static void avx512(const char *who)
{
	static unsigned char in[32 * 64], out[32 * 64];
	uint64_t kin[8], kout[8];
	fill(in, sizeof in, 2);
	fill((unsigned char *)kin, sizeof kin, 3);
	memset(out, 0, sizeof out);
	memset(kout, 0, sizeof kout);
	long n = LOOPS;
	__asm__ volatile(
		X32(Z_LOAD) X8(K_LOAD, 0, 1, 2, 3, 4, 5, 6, 7)
		"1:\n\t"
		"mov %[nr], %%eax\n\t"
		"syscall\n\t"
		"dec %[n]\n\t"
		"jnz 1b\n\t"
		X32(Z_STORE) X8(K_STORE, 0, 1, 2, 3, 4, 5, 6, 7)
		"vzeroupper\n\t"
		: [n] "+r"(n)
		: [in] "r"(in), [out] "r"(out), [kin] "r"(kin), [kout] "r"(kout),
		  [nr] "i"(SYS_getpid)
		: "rax", "rcx", "r11", "memory", "cc",
		  "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",
		  "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15",
		  "xmm16", "xmm17", "xmm18", "xmm19", "xmm20", "xmm21", "xmm22", "xmm23",
		  "xmm24", "xmm25", "xmm26", "xmm27", "xmm28", "xmm29", "xmm30", "xmm31",
		  "k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7");
	char name[64];
	for (int r = 0; r < 32; r++) {
		snprintf(name, sizeof name, "%s zmm%d", who, r);
		CHECK(name, memcmp(in + 64 * r, out + 64 * r, 64) == 0);
	}
	for (int r = 0; r < 8; r++) {
		snprintf(name, sizeof name, "%s k%d", who, r);
		CHECKF(name, kin[r] == kout[r], "%#lx, expected %#lx", kout[r], kin[r]);
	}
}

#define Y_LOAD(r) "vmovdqu " #r "*32(%[in]), %%ymm" #r "\n\t"
#define Y_STORE(r) "vmovdqu %%ymm" #r ", " #r "*32(%[out])\n\t"

__attribute__((target("avx2")))
static void avx2(const char *who)
{
	static unsigned char in[16 * 32], out[16 * 32];
	fill(in, sizeof in, 4);
	memset(out, 0, sizeof out);
	long n = LOOPS;
	__asm__ volatile(
		X8(Y_LOAD, 0, 1, 2, 3, 4, 5, 6, 7) X8(Y_LOAD, 8, 9, 10, 11, 12, 13, 14, 15)
		"1:\n\t"
		"mov %[nr], %%eax\n\t"
		"syscall\n\t"
		"dec %[n]\n\t"
		"jnz 1b\n\t"
		X8(Y_STORE, 0, 1, 2, 3, 4, 5, 6, 7) X8(Y_STORE, 8, 9, 10, 11, 12, 13, 14, 15)
		"vzeroupper\n\t"
		: [n] "+r"(n)
		: [in] "r"(in), [out] "r"(out), [nr] "i"(SYS_getpid)
		: "rax", "rcx", "r11", "memory", "cc",
		  "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",
		  "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
	char name[64];
	for (int r = 0; r < 16; r++) {
		snprintf(name, sizeof name, "%s ymm%d", who, r);
		CHECK(name, memcmp(in + 32 * r, out + 32 * r, 32) == 0);
	}
}

static void run_all(const char *who)
{
	sse(who);
	if (has_avx512())
		avx512(who);
	else if (has_avx2())
		avx2(who);
}

int main(void)
{
	check_printf("# %s\n", has_avx512() ? "AVX-512: zmm0-31 and k0-7"
			       : has_avx2() ? "AVX2: ymm0-15"
					    : "SSE only");
	pid_t pid = fork();
	if (pid == 0) {
		seed = 1;
		run_all("child");
		_exit(0);
	}
	CHECK_SYS("fork", pid);
	seed = 2;
	run_all("parent");
	int status = 0;
	CHECK("waitpid returns the child", waitpid(pid, &status, 0) == pid);
	CHECKF("child passed", WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x", status);
	return check_done();
}
