/*
 * mlock(2), munlock, mlock2, mlockall and munlockall with Linux's checks
 * (mm/mlock.c): an unaligned start is rounded down, a range with a hole is
 * ENOMEM, mlock2's and mlockall's flags EINVAL; locked pages are resident
 * (mincore) and counted in VmLck of /proc/self/status, locking twice counts
 * once; a user meets RLIMIT_MEMLOCK (ENOMEM; EPERM when it is 0; mlockall
 * ENOMEM, MAP_LOCKED and MCL_FUTURE mappings EAGAIN); locks are not
 * inherited over fork. Runs natively too.
 */
#include "check.h"

#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define USER 54321
#define PAGE 4096L

/* Returns VmLck of /proc/self/status in kB, or -1. */
static long vm_lck(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	if (!f)
		return -1;
	char line[256];
	long kb = -1;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "VmLck: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static int wait_status(pid_t pid)
{
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return st;
}

static void as_root(void)
{
	char *m = mmap(NULL, 16 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	long base = vm_lck();
	CHECKF("VmLck is shown", base >= 0, "%ld", base);
	CHECK_SYS("mlock of a mapped range", mlock(m, 4 * PAGE));
	unsigned char v[16];
	CHECK("locked pages are resident", mincore(m, 16 * PAGE, v) == 0 && (v[0] & 1) && (v[3] & 1) &&
						 !(v[4] & 1));
	CHECKF("VmLck counts them", vm_lck() == base + 16, "%ld kB", vm_lck());
	CHECK_SYS("mlock of an unaligned start", mlock(m + 4 * PAGE + 100, PAGE));
	CHECKF("covers the pages it touches", vm_lck() == base + 24, "%ld kB", vm_lck());
	CHECK_SYS("locking again", mlock(m, 6 * PAGE));
	CHECKF("counts once", vm_lck() == base + 24, "%ld kB", vm_lck());
	CHECK_SYS("munlock", munlock(m + PAGE, PAGE));
	CHECKF("uncounts", vm_lck() == base + 20, "%ld kB", vm_lck());
	CHECK_SYS("mlock of a zero length", mlock(m, 0));
	munmap(m + 10 * PAGE, PAGE);
	CHECK_ERRNO("mlock of a range with a hole", mlock(m + 8 * PAGE, 4 * PAGE), ENOMEM);
	CHECK_ERRNO("munlock of a range with a hole", munlock(m + 8 * PAGE, 4 * PAGE), ENOMEM);
	CHECK_ERRNO("mlock of unmapped memory", mlock((void *)PAGE, PAGE), ENOMEM);
	CHECK_ERRNO("mlock2 with unknown flags", syscall(SYS_mlock2, m, PAGE, 2), EINVAL);
	CHECK_SYS("mlock2 MLOCK_ONFAULT", syscall(SYS_mlock2, m + 12 * PAGE, PAGE, 1));
	CHECK_ERRNO("mlockall(0)", mlockall(0), EINVAL);
	CHECK_ERRNO("mlockall(MCL_ONFAULT) alone", mlockall(MCL_ONFAULT), EINVAL);
	CHECK_ERRNO("mlockall with unknown flags", mlockall(MCL_CURRENT | 8), EINVAL);
	pid_t pid = MUST(fork());
	if (pid == 0)
		_exit(vm_lck() == 0 ? 0 : 1);
	int st = wait_status(pid);
	CHECKF("a child inherits no locks", WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %#x", st);
	CHECK_SYS("munlockall", munlockall());
	CHECKF("unlocks everything", vm_lck() == 0, "%ld kB", vm_lck());
	munmap(m, 16 * PAGE);
}

static void as_user(void)
{
	if (setresgid(USER, USER, USER) || setresuid(USER, USER, USER))
		check_fail("setup", errno, "setresuid");
	struct rlimit r = { 8 * PAGE, 8 * PAGE };
	MUST(setrlimit(RLIMIT_MEMLOCK, &r));
	char *m = mmap(NULL, 16 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK_SYS("a user locks within RLIMIT_MEMLOCK", mlock(m, 6 * PAGE));
	CHECK_SYS("relocking what is locked is free", mlock(m, 8 * PAGE));
	CHECK_ERRNO("past RLIMIT_MEMLOCK is ENOMEM", mlock(m + 8 * PAGE, PAGE), ENOMEM);
	CHECK_ERRNO("a MAP_LOCKED mapping past it is EAGAIN",
		    mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, -1, 0), EAGAIN);
	CHECK_ERRNO("mlockall(MCL_CURRENT) past it is ENOMEM", mlockall(MCL_CURRENT), ENOMEM);
	munlockall();
	CHECK_SYS("mlockall(MCL_FUTURE) within it", mlockall(MCL_FUTURE));
	CHECK_ERRNO("then a mapping past it is EAGAIN",
		    mmap(NULL, 9 * PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), EAGAIN);
	void *small = mmap(NULL, 2 * PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK("and one within it is locked", small != MAP_FAILED && vm_lck() == 8);
	munlockall();
	r.rlim_cur = 0;
	MUST(setrlimit(RLIMIT_MEMLOCK, &r));
	CHECK_ERRNO("mlock under a zero RLIMIT_MEMLOCK is EPERM", mlock(m, PAGE), EPERM);
	CHECK_ERRNO("so is mlockall", mlockall(MCL_CURRENT), EPERM);
	CHECK_SYS("munlock needs no limit", munlock(m, PAGE));
}

int main(void)
{
	as_root();
	pid_t pid = MUST(fork());
	if (pid == 0) {
		as_user();
		_exit(check_done());
	}
	int st = wait_status(pid);
	CHECKF("the unprivileged checks pass", WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %#x", st);
	return check_done();
}
