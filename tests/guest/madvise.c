/*
 * madvise(2) and mprotect(2) argument checks in Linux's order (mm/madvise.c,
 * mm/mprotect.c): unknown advice and an unaligned start EINVAL, a length
 * that rounds to nothing EINVAL, a zero length 0, a range with a hole ENOMEM
 * after the advice is applied to what is mapped; MADV_DONTNEED zeroes private
 * anonymous memory, gives a private file mapping the file back and leaves
 * shared memory alone; MADV_REMOVE only on shared mappings. mprotect: an
 * unaligned start EINVAL, a zero length 0 before the protection bits are
 * looked at, PROT_SEM allowed, unknown bits EINVAL, PROT_GROWSDOWN on an area
 * that does not grow EINVAL, both GROWS bits EINVAL, a range with a hole
 * ENOMEM with the part before the hole changed. Runs natively too.
 */
#include "check.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define PAGE 4096L

#ifndef PROT_SEM
#define PROT_SEM 0x8
#endif

/* Returns whether a child writing to P dies of SIGSEGV. */
static int write_faults(char *p)
{
	pid_t pid = fork();
	if (pid == 0) {
		*(volatile char *)p = 1;
		_exit(0);
	}
	int st = 0;
	waitpid(pid, &st, 0);
	return WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV;
}

static char *anon(long pages)
{
	char *m = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		check_fail("setup", errno, "mmap");
	return m;
}

static void madvise_checks(void)
{
	char *m = anon(8);
	CHECK_ERRNO("unknown advice is EINVAL", madvise(m, PAGE, 999), EINVAL);
	CHECK_ERRNO("advice 5 (none) is EINVAL", madvise(m, PAGE, 5), EINVAL);
	CHECK_ERRNO("unknown advice before an unaligned start", madvise(m + 1, PAGE, 999), EINVAL);
	CHECK_ERRNO("an unaligned start is EINVAL", madvise(m + 1, PAGE, MADV_NORMAL), EINVAL);
	CHECK_ERRNO("a length rounding up to nothing is EINVAL", madvise(m, (size_t)-1, MADV_NORMAL), EINVAL);
	CHECK_ERRNO("a range that wraps is EINVAL", madvise(m, (size_t)-2 * PAGE, MADV_NORMAL), EINVAL);
	CHECK_SYS("a zero length is 0", madvise(m, 0, MADV_NORMAL));
	CHECK_SYS("a zero length of unmapped memory is 0", madvise((void *)PAGE, 0, MADV_DONTNEED));
	CHECK_ERRNO("unmapped memory is ENOMEM", madvise((void *)PAGE, PAGE, MADV_NORMAL), ENOMEM);
	CHECK_SYS("an unaligned length covers its last page", madvise(m, PAGE + 1, MADV_WILLNEED));

	memset(m, 'a', 8 * PAGE);
	CHECK_SYS("MADV_DONTNEED", madvise(m, 2 * PAGE, MADV_DONTNEED));
	CHECK("zeroes private anonymous memory", m[0] == 0 && m[2 * PAGE - 1] == 0 && m[2 * PAGE] == 'a');
	munmap(m + 4 * PAGE, PAGE);
	CHECK_ERRNO("a range with a hole is ENOMEM", madvise(m + 2 * PAGE, 4 * PAGE, MADV_DONTNEED), ENOMEM);
	CHECK("and the advice was applied on both sides of it", m[2 * PAGE] == 0 && m[3 * PAGE] == 0 &&
								       m[5 * PAGE] == 0 && m[6 * PAGE] == 'a');
	CHECK_ERRNO("MADV_REMOVE on a private mapping is EINVAL", madvise(m, PAGE, MADV_REMOVE), EINVAL);
	munmap(m, 8 * PAGE);

	char *sh = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	memset(sh, 'b', 2 * PAGE);
	CHECK_SYS("MADV_DONTNEED of shared memory", madvise(sh, PAGE, MADV_DONTNEED));
	CHECK("leaves its data", sh[0] == 'b');
	CHECK_SYS("MADV_REMOVE of shared memory", madvise(sh, PAGE, MADV_REMOVE));
	CHECK("frees it", sh[0] == 0 && sh[PAGE] == 'b');
	munmap(sh, 2 * PAGE);

	char path[] = "/tmp/madvise-XXXXXX";
	int fd = MUST(mkstemp(path));
	unlink(path);
	char buf[PAGE];
	memset(buf, 'f', sizeof buf);
	MUST(write(fd, buf, sizeof buf));
	char *f = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	f[0] = 'c';
	CHECK_SYS("MADV_DONTNEED of a private file mapping", madvise(f, PAGE, MADV_DONTNEED));
	CHECK("gives the file's page back", f[0] == 'f');
	munmap(f, PAGE);
	close(fd);
}

static void mprotect_checks(void)
{
	char *m = anon(8);
	CHECK_ERRNO("mprotect of an unaligned start", mprotect(m + 1, PAGE, PROT_READ), EINVAL);
	CHECK_SYS("a zero length is 0 whatever the bits", mprotect(m, 0, 0x1000));
	CHECK_ERRNO("unknown bits are EINVAL", mprotect(m, PAGE, PROT_READ | 0x1000), EINVAL);
	CHECK_SYS("PROT_SEM is allowed", mprotect(m, PAGE, PROT_READ | PROT_WRITE | PROT_SEM));
	CHECK_ERRNO("both GROWS bits are EINVAL", mprotect(m, PAGE, PROT_READ | PROT_GROWSDOWN | PROT_GROWSUP),
		    EINVAL);
	CHECK_ERRNO("PROT_GROWSDOWN on an area that does not grow", mprotect(m + PAGE, PAGE, PROT_READ | PROT_GROWSDOWN),
		    EINVAL);
	CHECK_ERRNO("a range that wraps is ENOMEM", mprotect(m, (size_t)-2 * PAGE, PROT_READ), ENOMEM);
	CHECK_ERRNO("unmapped memory is ENOMEM", mprotect((void *)PAGE, PAGE, PROT_READ), ENOMEM);
	munmap(m + 4 * PAGE, PAGE);
	CHECK_ERRNO("a range with a hole is ENOMEM", mprotect(m + 2 * PAGE, 4 * PAGE, PROT_READ), ENOMEM);
	CHECK("the part before the hole changed", write_faults(m + 3 * PAGE));
	CHECK("the part after it did not", !write_faults(m + 5 * PAGE));
	CHECK_ERRNO("a range starting in a hole is ENOMEM", mprotect(m + 4 * PAGE, 2 * PAGE, PROT_READ), ENOMEM);
	CHECK("and changes nothing", !write_faults(m + 5 * PAGE));
	munmap(m, 8 * PAGE);
}

int main(void)
{
	madvise_checks();
	mprotect_checks();
	return check_done();
}
