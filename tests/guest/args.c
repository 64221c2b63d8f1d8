/*
 * Checks what the kernel hands init at exec: argv, envp, the auxiliary vector,
 * the initial stack layout, the pids and uname.
 *
 * Expected invocation (also built static-pie as /bin/args-pie):
 *     linux ... init=/bin/args FOO=bar -- one "two words" three
 * so that, as Linux gives init (Documentation/admin-guide/kernel-parameters.rst),
 *     argv = { "/bin/args", "one", "two words", "three" }
 *     envp = { "HOME=/", "TERM=linux", "FOO=bar" }   (in any order)
 * and init runs as pid 1 with parent pid 0.
 */
#include "check.h"

#include <elf.h>
#include <link.h>
#include <stdint.h>
#include <sys/utsname.h>

extern const ElfW(Ehdr) __ehdr_start;
extern char _start[];

static const char *const expected_args[] = { "one", "two words", "three" };
static const char *const expected_env[] = { "HOME=/", "TERM=linux", "FOO=bar" };
#define NARGS (sizeof expected_args / sizeof expected_args[0])
#define NENV (sizeof expected_env / sizeof expected_env[0])

/* The auxiliary vector as the kernel left it on the stack. Read directly:
 * glibc's aux("AT_HWCAP", AT_HWCAP) on x86_64 returns glibc's own hwcap bits. */
static const ElfW(auxv_t) *auxv_start;

/* Returns auxv entry TYPE, failing check NAME if the entry is absent. */
static unsigned long aux(const char *name, unsigned long type)
{
	for (const ElfW(auxv_t) *a = auxv_start; a->a_type != AT_NULL; a++)
		if (a->a_type == type)
			return a->a_un.a_val;
	check_fail(name, 0, "auxv entry %lu is missing", type);
}

static int is_expected_env(const char *s)
{
	for (size_t i = 0; i < NENV; i++)
		if (strcmp(s, expected_env[i]) == 0)
			return 1;
	return 0;
}

static void cpuid(unsigned leaf, unsigned sub, unsigned r[4])
{
	__asm__ volatile("cpuid"
			 : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			 : "a"(leaf), "c"(sub));
}

int main(int argc, char **argv, char **envp)
{
	/* Stack layout at entry (x86_64 psABI 3.4.1): rsp points at argc,
	 * rsp is 16-byte aligned, argv follows at rsp + 8. */
	CHECKF("stack aligned at main", ((uintptr_t)__builtin_frame_address(0) & 15) == 0,
	       "frame address %p", __builtin_frame_address(0));
	CHECKF("entry rsp 16-byte aligned", (((uintptr_t)argv - 8) & 15) == 0,
	       "argv at %p", (void *)argv);
	CHECKF("argc below argv", ((long *)argv)[-1] == argc,
	       "argv[-1] = %ld, argc = %d", ((long *)argv)[-1], argc);

	/* argv */
	CHECKF("argc", argc == 1 + (int)NARGS, "argc = %d, expected %zu", argc, 1 + NARGS);
	CHECK("argv[argc] is NULL", argv[argc] == NULL);
	CHECKF("argv[0]", strcmp(argv[0], "/bin/args") == 0 || strcmp(argv[0], "/bin/args-pie") == 0,
	       "argv[0] = \"%s\"", argv[0]);
	for (size_t i = 0; i < NARGS; i++) {
		char name[32];
		snprintf(name, sizeof name, "argv[%zu]", i + 1);
		CHECKF(name, strcmp(argv[i + 1], expected_args[i]) == 0,
		       "\"%s\", expected \"%s\"", argv[i + 1], expected_args[i]);
	}

	/* envp */
	CHECK("envp follows argv", envp == argv + argc + 1);
	int envc = 0;
	while (envp[envc])
		envc++;
	for (int i = 0; i < envc; i++)
		CHECKF("envp entry expected", is_expected_env(envp[i]),
		       "unexpected envp[%d] = \"%s\"", i, envp[i]);
	CHECKF("envc", envc == (int)NENV, "envc = %d, expected %zu", envc, NENV);
	const char *v = getenv("FOO");
	CHECKF("getenv FOO", v && strcmp(v, "bar") == 0, "FOO = %s", v ? v : "(unset)");
	v = getenv("HOME");
	CHECKF("getenv HOME", v && strcmp(v, "/") == 0, "HOME = %s", v ? v : "(unset)");
	v = getenv("TERM");
	CHECKF("getenv TERM", v && strcmp(v, "linux") == 0, "TERM = %s", v ? v : "(unset)");

	/* The strings live above the pointer arrays and the auxv, argv strings
	 * first and contiguous, then the envp strings (fs/binfmt_elf.c). */
	ElfW(auxv_t) *auxv = (ElfW(auxv_t) *)(envp + envc + 1);
	ElfW(auxv_t) *a = auxv;
	while (a->a_type != AT_NULL)
		a++;
	const char *arrays_end = (const char *)(a + 1);
	for (int i = 0; i < argc; i++)
		CHECKF("argv string above arrays", argv[i] >= arrays_end,
		       "argv[%d] at %p, arrays end at %p", i, (void *)argv[i], (void *)arrays_end);
	for (int i = 0; i < envc; i++)
		CHECKF("envp string above arrays", envp[i] >= arrays_end,
		       "envp[%d] at %p, arrays end at %p", i, (void *)envp[i], (void *)arrays_end);
	for (int i = 0; i + 1 < argc; i++)
		CHECKF("argv strings contiguous", argv[i + 1] == argv[i] + strlen(argv[i]) + 1,
		       "argv[%d] at %p, argv[%d] at %p", i, (void *)argv[i], i + 1, (void *)argv[i + 1]);
	if (envc > 0)
		CHECK("envp strings after argv strings",
		      envp[0] == argv[argc - 1] + strlen(argv[argc - 1]) + 1);
	auxv_start = auxv;
	int auxc = (int)(a - auxv);
	CHECKF("auxv has entries", auxc >= 15, "%d entries", auxc);

	/* auxv */
	CHECKF("AT_PAGESZ", aux("AT_PAGESZ", AT_PAGESZ) == 4096, "%lu", aux("AT_PAGESZ", AT_PAGESZ));
	const unsigned char *rnd = (const unsigned char *)aux("AT_RANDOM", AT_RANDOM);
	CHECK("AT_RANDOM non-null", rnd != NULL);
	unsigned sum = 0;
	for (int i = 0; i < 16; i++)
		sum += ((volatile const unsigned char *)rnd)[i];
	CHECK("AT_RANDOM 16 bytes readable", 1);
	(void)sum;
	CHECKF("AT_RANDOM above the arrays", (const char *)rnd >= arrays_end,
	       "AT_RANDOM %p, arrays end %p", (const void *)rnd, (void *)arrays_end);

	const ElfW(Ehdr) *eh = &__ehdr_start;
	CHECK("own ELF header", memcmp(eh->e_ident, ELFMAG, SELFMAG) == 0);
	const ElfW(Phdr) *ph = (const ElfW(Phdr) *)((const char *)eh + eh->e_phoff);
	CHECKF("AT_PHDR", aux("AT_PHDR", AT_PHDR) == (unsigned long)ph,
	       "AT_PHDR %#lx, ELF header says %p", aux("AT_PHDR", AT_PHDR), (const void *)ph);
	CHECKF("AT_PHNUM", aux("AT_PHNUM", AT_PHNUM) == eh->e_phnum,
	       "AT_PHNUM %lu, e_phnum %u", aux("AT_PHNUM", AT_PHNUM), eh->e_phnum);
	CHECKF("AT_PHENT", aux("AT_PHENT", AT_PHENT) == sizeof(ElfW(Phdr)),
	       "AT_PHENT %lu", aux("AT_PHENT", AT_PHENT));
	/* Load bias: where the segment holding the ELF header landed. */
	uintptr_t bias = 0;
	int found_load = 0;
	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type == PT_LOAD && ph[i].p_offset == 0) {
			bias = (uintptr_t)eh - ph[i].p_vaddr;
			found_load = 1;
			break;
		}
	}
	CHECK("PT_LOAD maps the ELF header", found_load);
	for (int i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_PHDR)
			CHECKF("PT_PHDR matches AT_PHDR", ph[i].p_vaddr + bias == aux("AT_PHDR", AT_PHDR),
			       "PT_PHDR %#lx + bias %#lx", (unsigned long)ph[i].p_vaddr, (unsigned long)bias);
	CHECKF("AT_ENTRY is _start", aux("AT_ENTRY", AT_ENTRY) == (unsigned long)_start,
	       "AT_ENTRY %#lx, _start %p", aux("AT_ENTRY", AT_ENTRY), (void *)_start);
	CHECKF("AT_ENTRY is e_entry + bias", aux("AT_ENTRY", AT_ENTRY) == eh->e_entry + bias,
	       "AT_ENTRY %#lx, e_entry %#lx, bias %#lx", aux("AT_ENTRY", AT_ENTRY),
	       (unsigned long)eh->e_entry, (unsigned long)bias);
	if (eh->e_type == ET_EXEC)
		CHECK("ET_EXEC loaded at its addresses", bias == 0);
	else
		CHECK("ET_DYN loaded page aligned", bias != 0 && (bias & 4095) == 0);
	CHECKF("AT_BASE 0 without interpreter", aux("AT_BASE", AT_BASE) == 0,
	       "AT_BASE %#lx", aux("AT_BASE", AT_BASE));

	unsigned long hwcap = aux("AT_HWCAP", AT_HWCAP);
	unsigned r[4];
	cpuid(1, 0, r);
	/* FPU (bit 0), SSE (25) and SSE2 (26) are architectural on x86_64. */
	unsigned long need = 1ul | 1ul << 25 | 1ul << 26;
	CHECKF("AT_HWCAP has FPU SSE SSE2", (hwcap & need) == need, "AT_HWCAP %#lx", hwcap);
	CHECKF("AT_HWCAP within CPUID.1:EDX", (hwcap & ~(unsigned long)r[3]) == 0,
	       "AT_HWCAP %#lx, cpuid edx %#x", hwcap, r[3]);

	const char *execfn = (const char *)aux("AT_EXECFN", AT_EXECFN);
	CHECKF("AT_EXECFN", execfn && strcmp(execfn, argv[0]) == 0,
	       "AT_EXECFN \"%s\", argv[0] \"%s\"", execfn ? execfn : "(null)", argv[0]);
	const char *platform = (const char *)aux("AT_PLATFORM", AT_PLATFORM);
	CHECKF("AT_PLATFORM", platform && strcmp(platform, "x86_64") == 0,
	       "AT_PLATFORM \"%s\"", platform ? platform : "(null)");
	CHECKF("AT_UID", aux("AT_UID", AT_UID) == 0, "%lu", aux("AT_UID", AT_UID));
	CHECKF("AT_EUID", aux("AT_EUID", AT_EUID) == 0, "%lu", aux("AT_EUID", AT_EUID));
	CHECKF("AT_GID", aux("AT_GID", AT_GID) == 0, "%lu", aux("AT_GID", AT_GID));
	CHECKF("AT_EGID", aux("AT_EGID", AT_EGID) == 0, "%lu", aux("AT_EGID", AT_EGID));
	CHECKF("AT_SECURE", aux("AT_SECURE", AT_SECURE) == 0, "%lu", aux("AT_SECURE", AT_SECURE));
	CHECKF("AT_CLKTCK", aux("AT_CLKTCK", AT_CLKTCK) == 100, "%lu", aux("AT_CLKTCK", AT_CLKTCK));

	/* pids */
	CHECKF("getpid is 1", getpid() == 1, "getpid() = %d", getpid());
	CHECKF("getppid is 0", getppid() == 0, "getppid() = %d", getppid());

	/* uname */
	struct utsname u;
	CHECK_SYS("uname", uname(&u));
	CHECKF("uname sysname", strcmp(u.sysname, "Linux") == 0, "\"%s\"", u.sysname);
	CHECKF("uname machine", strcmp(u.machine, "x86_64") == 0, "\"%s\"", u.machine);
	CHECKF("uname release", u.release[0] != '\0', "\"%s\"", u.release);
	CHECKF("uname version", u.version[0] != '\0', "\"%s\"", u.version);

	return check_done();
}
