/*
 * Commit accounting (Documentation/mm/overcommit-accounting.rst, Linux's
 * __vm_enough_memory): Committed_AS in /proc/meminfo grows by a private
 * writable mapping, not by a read-only or MAP_NORESERVE one, grows when
 * mprotect first makes a private mapping writable (and shrinks when it makes
 * it read-only before anything was written), and shrinks on munmap;
 * a shared anonymous mapping is charged; the vm.overcommit_* sysctls refuse
 * bad values (EINVAL) and users (EACCES). With --global (and always as the
 * guest's init) the modes themselves: 0 refuses one mapping larger than
 * RAM, 1 takes it, 2 refuses mmap, MAP_NORESERVE, brk, mprotect and fork
 * past CommitLimit (set with overcommit_kbytes), whose value meminfo shows.
 * The host's settings are put back at once (mode 2 holds for well under a
 * second).
 */
#include "check.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/wait.h>

#define MIB (1024L * 1024)

static long meminfo(const char *key)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[256];
	long v = -1;
	size_t n = strlen(key);
	while (f && fgets(line, sizeof line, f))
		if (strncmp(line, key, n) == 0 && line[n] == ':')
			v = strtol(line + n + 1, NULL, 10);
	if (f)
		fclose(f);
	return v;
}

static int write_vm(const char *name, const char *text)
{
	char path[128];
	snprintf(path, sizeof path, "/proc/sys/vm/%s", name);
	int fd = open(path, O_WRONLY);
	if (fd < 0)
		return errno;
	int e = write(fd, text, strlen(text)) < 0 ? errno : 0;
	close(fd);
	return e;
}

static long read_vm(const char *name)
{
	char path[128], buf[32] = { 0 };
	snprintf(path, sizeof path, "/proc/sys/vm/%s", name);
	int fd = MUST(open(path, O_RDONLY));
	MUST(read(fd, buf, sizeof buf - 1));
	close(fd);
	return strtol(buf, NULL, 10);
}

/* Whether Committed_AS moved by about KB since BEFORE (other processes on
 * a host move it too). */
static long slack_kb;

static int moved(long before, long kb)
{
	long d = meminfo("Committed_AS") - before;
	return d > kb - slack_kb && d < kb + slack_kb;
}

static void accounting(void)
{
	/* A quarter of RAM, which mode 0 lets through. */
	long size = (meminfo("MemTotal") / 4 / 1024) * MIB, kb = size / 1024;
	slack_kb = kb / 4 < 16 * 1024 ? kb / 4 : 16 * 1024;
	long c = meminfo("Committed_AS");
	char *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK("private writable mmap", p != MAP_FAILED);
	CHECKF("is charged", moved(c, kb), "moved %ld kB", meminfo("Committed_AS") - c);
	c = meminfo("Committed_AS");
	MUST(munmap(p, size));
	CHECKF("munmap gives it back", moved(c, -kb), "moved %ld kB", meminfo("Committed_AS") - c);

	c = meminfo("Committed_AS");
	p = mmap(NULL, size, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK("read-only private mmap is not charged", p != MAP_FAILED && moved(c, 0));
	CHECK_SYS("mprotect to writable", mprotect(p, size, PROT_READ | PROT_WRITE));
	CHECKF("charges it", moved(c, kb), "moved %ld kB", meminfo("Committed_AS") - c);
	CHECK_SYS("mprotect back to read-only", mprotect(p, size, PROT_READ));
	CHECK("gives it back while nothing was written", moved(c, 0));
	MUST(mprotect(p, size, PROT_READ | PROT_WRITE));
	p[0] = 1;
	MUST(mprotect(p, size, PROT_READ));
	CHECK("keeps it once written", moved(c, kb));
	MUST(munmap(p, size));

	c = meminfo("Committed_AS");
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	CHECK("MAP_NORESERVE is not charged (mode 0)", p != MAP_FAILED && moved(c, 0));
	MUST(munmap(p, size));

	c = meminfo("Committed_AS");
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECKF("shared anonymous memory is charged", p != MAP_FAILED && moved(c, kb), "moved %ld kB",
	       meminfo("Committed_AS") - c);
	MUST(munmap(p, size));
	CHECK("and given back", moved(c, 0));

	CHECK("overcommit_memory 3: EINVAL", write_vm("overcommit_memory", "3") == EINVAL);
	CHECK("overcommit_ratio abc: EINVAL", write_vm("overcommit_ratio", "abc") == EINVAL);
	pid_t pid = MUST(fork());
	if (pid == 0) {
		if (setuid(65534) != 0)
			_exit(100);
		_exit(write_vm("overcommit_memory", "1"));
	}
	int status;
	MUST(waitpid(pid, &status, 0));
	CHECK("a user may not write overcommit_memory: EACCES", WIFEXITED(status) && WEXITSTATUS(status) == EACCES);
}

static void modes(void)
{
	long mode = read_vm("overcommit_memory"), ratio = read_vm("overcommit_ratio");
	long kbytes = read_vm("overcommit_kbytes");
	long ram = meminfo("MemTotal") * 1024L;
	long big = ram + ram / 2;

	char *p = mmap(NULL, big, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int refused0 = p == MAP_FAILED && errno == ENOMEM;
	if (p != MAP_FAILED)
		munmap(p, big);
	MUST(write_vm("overcommit_memory", "1") == 0 ? 0 : -1);
	p = mmap(NULL, big, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int taken1 = p != MAP_FAILED;
	if (p != MAP_FAILED)
		munmap(p, big);

	/* Mode 2 with room for 64 MiB more than is committed now. */
	long committed = meminfo("Committed_AS");
	char kb[32];
	snprintf(kb, sizeof kb, "%ld", (committed + 64 * 1024) & ~3L);
	int set_kb = write_vm("overcommit_kbytes", kb);
	long ratio_after = read_vm("overcommit_ratio");
	long limit = meminfo("CommitLimit");
	MUST(write_vm("overcommit_memory", "2") == 0 ? 0 : -1);
	char *small = mmap(NULL, 16 * MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	errno = 0;
	char *over = mmap(NULL, 128 * MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int over_errno = errno;
	char *nores = mmap(NULL, 128 * MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	int nores_errno = errno;
	char *ro = mmap(NULL, 128 * MIB, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int ro_ok = ro != MAP_FAILED;
	int prot = ro_ok ? mprotect(ro, 128 * MIB, PROT_READ | PROT_WRITE) : 0;
	int prot_errno = errno;
	void *brk0 = sbrk(0);
	void *brk1 = sbrk(128 * MIB);
	int brk_errno = errno;
	/* The 16 MiB small mapping taken twice more by a fork of a 40 MiB one. */
	char *mid = mmap(NULL, 40 * MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	pid_t child = fork();
	int fork_errno = errno;
	if (child == 0)
		_exit(0);
	/* Put the host back before anything else. */
	write_vm("overcommit_memory", "0");
	char buf[32];
	snprintf(buf, sizeof buf, "%ld", kbytes);
	if (kbytes)
		write_vm("overcommit_kbytes", buf);
	snprintf(buf, sizeof buf, "%ld", ratio);
	if (!kbytes)
		write_vm("overcommit_ratio", buf);
	snprintf(buf, sizeof buf, "%ld", mode);
	write_vm("overcommit_memory", buf);
	if (child > 0)
		waitpid(child, NULL, 0);

	CHECK("mode 0: one mapping larger than RAM is refused", refused0);
	CHECK("mode 1: it is taken", taken1);
	CHECK("overcommit_kbytes set", set_kb == 0);
	CHECK("zeroes overcommit_ratio", ratio_after == 0);
	CHECKF("CommitLimit is overcommit_kbytes", limit == strtol(kb, NULL, 10), "CommitLimit %ld, set %s", limit,
	       kb);
	CHECK("mode 2: a mapping within the limit", small != MAP_FAILED);
	CHECK("mode 2: mmap past it: ENOMEM", over == MAP_FAILED && over_errno == ENOMEM);
	CHECK("mode 2: MAP_NORESERVE is charged too", nores == MAP_FAILED && nores_errno == ENOMEM);
	CHECK("mode 2: a read-only mapping is free", ro_ok);
	CHECK("mode 2: mprotect to writable: ENOMEM", prot == -1 && prot_errno == ENOMEM);
	CHECK("mode 2: brk past it: ENOMEM", brk1 == (void *)-1 && brk_errno == ENOMEM && sbrk(0) == brk0);
	CHECK("mode 2: fork that would double the charge: ENOMEM", mid != MAP_FAILED && child == -1 && fork_errno == ENOMEM);
	CHECK("the settings are back", read_vm("overcommit_memory") == mode);
	if (small != MAP_FAILED)
		munmap(small, 16 * MIB);
	if (ro_ok)
		munmap(ro, 128 * MIB);
	if (mid != MAP_FAILED)
		munmap(mid, 40 * MIB);
}

int main(int argc, char **argv)
{
	int global = getpid() == 1 || (argc > 1 && strcmp(argv[1], "--global") == 0);
	accounting();
	if (global)
		modes();
	return check_done();
}
