/*
 * Checks the address space: brk, anonymous and file mmap, munmap, mprotect,
 * MAP_FIXED(_NOREPLACE), mremap, madvise, EFAULT from system calls on bad
 * user pointers, ENOSYS for unknown system calls, and copy-on-write at fork.
 */
#include "check.h"
#include "fixtures.h"

#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

#define PAGE 4096ul

static int all_bytes(const unsigned char *p, size_t n, unsigned char v)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != v)
			return 0;
	return 1;
}

static void *map_anon(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		check_fail("setup", errno, "mmap(%zu) failed", len);
	return p;
}

static void test_brk(void)
{
	/* The raw system call, as sbrk uses it: brk(0) returns the break. */
	uintptr_t start = (uintptr_t)syscall(SYS_brk, 0);
	CHECK("brk(0) returns the break", start != 0 && start != (uintptr_t)-1);
	/* Work from a page boundary: Linux does not clear the partial page. */
	uintptr_t base = (start + PAGE - 1) & ~(PAGE - 1);
	uintptr_t want = base + 1024 * 1024;
	CHECKF("brk grow", (uintptr_t)syscall(SYS_brk, want) == want, "break %#lx", (unsigned long)start);
	unsigned char *p = (unsigned char *)base;
	CHECK("brk new area zeroed", all_bytes(p, want - base, 0));
	memset(p, 0x5a, want - base);
	CHECK("brk new area writable", all_bytes(p, want - base, 0x5a));
	CHECK("brk shrink", (uintptr_t)syscall(SYS_brk, base + PAGE) == base + PAGE);
	CHECK("brk kept page intact", all_bytes(p, PAGE, 0x5a));
	CHECK_ERRNO("brk shrunk area unmapped", write(1, p + 2 * PAGE, 1), EFAULT);
	CHECK("brk regrow", (uintptr_t)syscall(SYS_brk, want) == want);
	CHECK("brk regrown area zeroed", all_bytes(p + PAGE, want - base - PAGE, 0));
	/* Linux returns the current break when it cannot move it (brk(2) NOTES). */
	CHECK("brk below start fails with current break", (uintptr_t)syscall(SYS_brk, 4096) == want);
	CHECK("brk back to start", (uintptr_t)syscall(SYS_brk, start) == start);
	CHECK("brk start area unmapped again", write(1, p + PAGE, 1) == -1 && errno == EFAULT);
}

static void test_big_anon(void)
{
	size_t len = 64ul << 20;
	unsigned char *p = map_anon(len);
	CHECK("64M mmap page aligned", ((uintptr_t)p & (PAGE - 1)) == 0);
	for (size_t off = 0; off < len; off += PAGE) {
		p[off] = (unsigned char)(off / PAGE);
		p[off + PAGE - 1] = (unsigned char)~(off / PAGE);
	}
	int good = 1;
	for (size_t off = 0; off < len && good; off += PAGE)
		good = p[off] == (unsigned char)(off / PAGE) &&
		       p[off + PAGE - 1] == (unsigned char)~(off / PAGE) &&
		       p[off + PAGE / 2] == 0;
	CHECK("64M mmap touched page by page", good);
	CHECK_SYS("munmap 64M", munmap(p, len));
	CHECK_ERRNO("write from unmapped memory", write(1, p, 1), EFAULT);
	CHECK_ERRNO("write from middle of unmapped memory", write(1, p + len / 2, 1), EFAULT);
}

static void test_mprotect(void)
{
	int zero = (int)MUST(open("/dev/zero", O_RDONLY));
	unsigned char *p = map_anon(2 * PAGE);
	p[0] = 1;
	CHECK_SYS("mprotect PROT_NONE", mprotect(p, PAGE, PROT_NONE));
	CHECK_ERRNO("write from PROT_NONE", write(1, p, 1), EFAULT);
	CHECK_ERRNO("read into PROT_NONE", read(zero, p, 1), EFAULT);
	CHECK_SYS("mprotect back to RW", mprotect(p, PAGE, PROT_READ | PROT_WRITE));
	CHECK("contents survive PROT_NONE", p[0] == 1);
	static const char line[] = "# write after mprotect restore\n";
	memcpy(p, line, sizeof line - 1);
	CHECK("write works after restore", write(1, p, sizeof line - 1) == sizeof line - 1);
	CHECK_SYS("mprotect PROT_READ", mprotect(p, PAGE, PROT_READ));
	CHECK_ERRNO("read into PROT_READ", read(zero, p, 1), EFAULT);
	CHECK("PROT_READ page still readable", p[0] == '#');
	CHECK("neighbour page still writable", read(zero, p + PAGE, 16) == 16);
	CHECK_SYS("mprotect RW again", mprotect(p, PAGE, PROT_READ | PROT_WRITE));
	p[0] = 0x33;
	CHECK("read into restored page", read(zero, p, 1) == 1 && p[0] == 0);
	CHECK_ERRNO("mprotect unaligned", mprotect(p + 1, PAGE, PROT_READ), EINVAL);
	CHECK_ERRNO("mprotect unmapped", mprotect((void *)PAGE, PAGE, PROT_READ), ENOMEM);
	munmap(p, 2 * PAGE);
	close(zero);
}

static void test_fixed(void)
{
	unsigned char *p = map_anon(2 * PAGE);
	memset(p, 0xaa, 2 * PAGE);
	void *q = mmap(p + PAGE, PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	CHECK("MAP_FIXED returns the address", q == p + PAGE);
	CHECK("MAP_FIXED replaced contents", all_bytes(p + PAGE, PAGE, 0));
	CHECK("MAP_FIXED left neighbour alone", all_bytes(p, PAGE, 0xaa));
	CHECK_ERRNO("MAP_FIXED_NOREPLACE over mapping",
		    mmap(p, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0),
		    EEXIST);
	CHECK("MAP_FIXED_NOREPLACE failure kept contents", all_bytes(p, PAGE, 0xaa));
	CHECK_ERRNO("MAP_FIXED unaligned",
		    mmap(p + 1, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0),
		    EINVAL);
	CHECK_ERRNO("mmap length 0", mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
		    EINVAL);
	munmap(p, 2 * PAGE);

	/* A hint at a free address is honoured. */
	unsigned char *h = map_anon(4 * PAGE);
	munmap(h, 4 * PAGE);
	void *r = mmap(h + PAGE, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECKF("mmap hint honoured", r == h + PAGE, "hint %p, got %p", (void *)(h + PAGE), r);
	munmap(r, PAGE);
	r = mmap(h, 2 * PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	CHECK("MAP_FIXED_NOREPLACE on free range", r == h);
	munmap(r, 2 * PAGE);
}

static void test_mremap(void)
{
	/* Four pages followed by a fifth that blocks growing in place. */
	unsigned char *a = map_anon(5 * PAGE);
	unsigned char *blocker = a + 4 * PAGE;
	for (size_t i = 0; i < 4 * PAGE; i++)
		a[i] = (unsigned char)(i * 7);
	blocker[0] = 0xbb;
	CHECK_ERRNO("mremap grow without MAYMOVE", mremap(a, 4 * PAGE, 64 * PAGE, 0), ENOMEM);
	unsigned char *b = mremap(a, 4 * PAGE, 64 * PAGE, MREMAP_MAYMOVE);
	CHECK_SYS("mremap grow MAYMOVE", b);
	CHECK("mremap moved", b != a);
	int same = 1;
	for (size_t i = 0; i < 4 * PAGE; i++)
		same &= b[i] == (unsigned char)(i * 7);
	CHECK("mremap preserved contents", same);
	CHECK("mremap new part zeroed", all_bytes(b + 4 * PAGE, 60 * PAGE, 0));
	memset(b + 4 * PAGE, 1, 60 * PAGE);
	CHECK("mremap new part writable", all_bytes(b + 4 * PAGE, 60 * PAGE, 1));
	CHECK_ERRNO("mremap old range unmapped", write(1, a, 1), EFAULT);
	unsigned char *c = mremap(b, 64 * PAGE, 2 * PAGE, 0);
	CHECK("mremap shrink in place", c == b);
	CHECK_ERRNO("mremap shrunk tail unmapped", write(1, b + 3 * PAGE, 1), EFAULT);
	CHECK("mremap left the blocker", blocker[0] == 0xbb);
	munmap(c, 2 * PAGE);
	munmap(blocker, PAGE);
}

static void test_madvise(void)
{
	unsigned char *p = map_anon(8 * PAGE);
	memset(p, 0x77, 8 * PAGE);
	CHECK_SYS("madvise DONTNEED", madvise(p + 2 * PAGE, 4 * PAGE, MADV_DONTNEED));
	CHECK("DONTNEED zeroed private anon", all_bytes(p + 2 * PAGE, 4 * PAGE, 0));
	CHECK("DONTNEED left the rest", all_bytes(p, 2 * PAGE, 0x77) && all_bytes(p + 6 * PAGE, 2 * PAGE, 0x77));
	munmap(p, 8 * PAGE);
}

static void test_file_map(void)
{
	const size_t len = sizeof SMALL_TEXT - 1;
	int fd = (int)MUST(open(SMALL_PATH, O_RDONLY));
	char *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	CHECK_SYS("mmap file MAP_PRIVATE", p);
	CHECK("file mapping has the file's bytes", memcmp(p, SMALL_TEXT, len) == 0);
	CHECK("file mapping zero past EOF", all_bytes((unsigned char *)p + len, PAGE - len, 0));
	p[0] = 'X';
	CHECK("private file mapping writable", p[0] == 'X');
	char buf[sizeof SMALL_TEXT];
	CHECK("file unchanged by private write",
	      pread(fd, buf, len, 0) == (ssize_t)len && memcmp(buf, SMALL_TEXT, len) == 0);
	char *q = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
	CHECK_SYS("second private file mapping", q);
	CHECK("second mapping sees the file", memcmp(q, SMALL_TEXT, len) == 0);
	CHECK_ERRNO("MAP_SHARED writable on O_RDONLY fd",
		    mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), EACCES);
	munmap(q, PAGE);
	munmap(p, PAGE);
	close(fd);

	/* A mapping at a file offset, from the big file. */
	fd = (int)MUST(open(BIG_PATH, O_RDONLY));
	unsigned char *b = mmap(NULL, 2 * PAGE, PROT_READ, MAP_PRIVATE, fd, 256 * PAGE);
	CHECK_SYS("mmap file at offset", b);
	int good = 1;
	for (size_t i = 0; i < 2 * PAGE; i++)
		good &= b[i] == pattern_byte(256 * PAGE + i);
	CHECK("file mapping at offset has the file's bytes", good);
	CHECK_ERRNO("mmap unaligned offset", mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, 1), EINVAL);
	munmap(b, 2 * PAGE);
	close(fd);
}

/* Returns ADDR as a pointer the compiler cannot see through. */
static void *opaque_ptr(uintptr_t addr)
{
	volatile uintptr_t v = addr;
	return (void *)v;
}

static void test_bad_pointers(void)
{
	CHECK_ERRNO("write from (void*)8", write(1, opaque_ptr(8), 1), EFAULT);
	int zero = (int)MUST(open("/dev/zero", O_RDONLY));
	CHECK_ERRNO("read into (void*)8", read(zero, opaque_ptr(8), 1), EFAULT);
	CHECK_ERRNO("read into kernel half", read(zero, opaque_ptr(0xffff800000000000ul), 1), EFAULT);
	close(zero);
}

static void test_enosys(void)
{
	CHECK_ERRNO("syscall 999 is ENOSYS", syscall(999), ENOSYS);
	CHECK_ERRNO("syscall -1 is ENOSYS", syscall(-1L), ENOSYS);
}

static int cow_value = 1;

static void test_fork_cow(void)
{
	unsigned char *anon = map_anon(PAGE);
	anon[0] = 10;
	pid_t pid = fork();
	if (pid == 0) {
		cow_value = 2;
		anon[0] = 20;
		_exit(cow_value == 2 && anon[0] == 20 ? 42 : 1);
	}
	CHECK_SYS("fork", pid);
	int status = 0;
	CHECK("waitpid returns the child", waitpid(pid, &status, 0) == pid);
	CHECKF("child exit status", WIFEXITED(status) && WEXITSTATUS(status) == 42,
	       "status %#x", status);
	CHECK("parent keeps its data page", cow_value == 1);
	CHECK("parent keeps its anon page", anon[0] == 10);
	anon[0] = 11;
	CHECK("parent writes after fork", anon[0] == 11);
	munmap(anon, PAGE);
}

/*
 * mlock, munlock and mlock2 take two, two and three arguments: mlock must
 * not look at a third register (it once gave EINVAL for whatever rdx held).
 */
static void test_mlock(void)
{
	char *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	MUST(p == MAP_FAILED ? -1 : 0);
	CHECK_SYS("mlock ignores a third register", syscall(SYS_mlock, p, PAGE, 0x12345L));
	CHECK_SYS("munlock ignores a third register", syscall(SYS_munlock, p, PAGE, 0x12345L));
	CHECK_ERRNO("mlock2 checks its flags", syscall(SYS_mlock2, p, PAGE, 0x12345L), EINVAL);
	CHECK_SYS("mlock2 with MLOCK_ONFAULT", syscall(SYS_mlock2, p, PAGE, 1L));
	munlock(p, PAGE);
	munmap(p, PAGE);
}

/*
 * Each argument is read at its C type: an int flag ignores the register's
 * upper half, an unsigned long one does not. mmap ignores prot bits it does
 * not know (only mprotect checks them).
 */
static void test_argument_widths(void)
{
	const unsigned long hi = 1UL << 32;
	char *p = mmap(NULL, 2 * PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	MUST(p == MAP_FAILED ? -1 : 0);
	long r = syscall(SYS_mmap, 0, PAGE, 0x10 | PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECKF("mmap ignores unknown prot bits", r != -1, "errno %d", errno);
	r = syscall(SYS_mmap, 0, PAGE, hi | PROT_READ, hi | MAP_PRIVATE | MAP_ANONYMOUS,
		    hi | 0xffffffffUL, 0);
	CHECKF("mmap ignores the upper halves of prot, flags and fd", r != -1, "errno %d", errno);
	CHECK_ERRNO("mprotect's prot is unsigned long", syscall(SYS_mprotect, p, PAGE, hi | PROT_READ),
		    EINVAL);
	CHECK_ERRNO("mremap's flags are unsigned long",
		    syscall(SYS_mremap, p, PAGE, 2 * PAGE, hi | MREMAP_MAYMOVE), EINVAL);
	CHECK_SYS("madvise's advice is an int", syscall(SYS_madvise, p, PAGE, hi | MADV_NORMAL));
	CHECK_SYS("msync's flags are an int", syscall(SYS_msync, p, PAGE, hi | MS_ASYNC));
	CHECK_SYS("mlock2's flags are an int", syscall(SYS_mlock2, p, PAGE, hi));
	CHECK_SYS("mlockall's flags are an int", syscall(SYS_mlockall, hi | MCL_CURRENT));
	munlockall();
	munmap(p, 2 * PAGE);
}

int main(void)
{
	test_mlock();
	test_argument_widths();
	test_brk();
	test_big_anon();
	test_mprotect();
	test_fixed();
	test_mremap();
	test_madvise();
	test_file_map();
	test_bad_pointers();
	test_enosys();
	test_fork_cow();
	return check_done();
}
