/*
 * Who may reach into another process: /proc/PID/mem (reads and writes at
 * addresses, a forced write into a read-only page, EIO where nothing is
 * mapped, EACCES for another user's process), and Yama's ptrace_scope
 * (1: only ancestors, or whom PR_SET_PTRACER names; 2: only
 * CAP_SYS_PTRACE; who may set it, and to what). Run as root; the Yama
 * checks are skipped where /proc/sys/kernel/yama does not exist (a host
 * kernel without Yama).
 */
#include "check.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/wait.h>

#ifndef PR_SET_PTRACER
#define PR_SET_PTRACER 0x59616d61
#endif
#ifndef PR_SET_PTRACER_ANY
#define PR_SET_PTRACER_ANY ((unsigned long)-1)
#endif

static const char scope_file[] = "/proc/sys/kernel/yama/ptrace_scope";
static volatile long value = 1234;
static const long readonly_word = 42;

static int wait_for(pid_t pid)
{
	int st = 0;
	while (waitpid(pid, &st, __WALL) == -1 && errno == EINTR)
		;
	return st;
}

/* Forks a child that becomes uid 1000 (dumpable again), runs `setup` and
 * then sleeps until killed; returns once the setup is done. */
static pid_t user_sleeper(void (*setup)(void))
{
	int p[2];
	MUST(pipe(p));
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		if (setgid(1000) || setuid(1000))
			_exit(1);
		prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
		if (setup)
			setup();
		if (write(p[1], "x", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(p[1]);
	char c;
	if (read(p[0], &c, 1) != 1)
		check_fail("sleeper ready", errno, "no byte from the sleeper");
	close(p[0]);
	return pid;
}

static void end(pid_t pid)
{
	kill(pid, SIGKILL);
	wait_for(pid);
}

static ssize_t mem_pread(pid_t pid, void *buf, size_t len, const volatile void *addr)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/mem", pid);
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	ssize_t n = pread(fd, buf, len, (off_t)(unsigned long)addr);
	int e = errno;
	close(fd);
	errno = e;
	return n;
}

static void stopped_body(void)
{
	ptrace(PTRACE_TRACEME, 0, 0, 0);
	raise(SIGSTOP);
	_exit(value == 99 && *(volatile const long *)&readonly_word == 77 ? 0 : 1);
}

static void check_proc_mem(void)
{
	pid_t pid = fork();
	if (pid == 0)
		stopped_body();
	int st = wait_for(pid);
	CHECKF("child stopped", WIFSTOPPED(st), "status %#x", st);
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/mem", pid);
	int fd = open(path, O_RDWR);
	CHECK_SYS("open /proc/PID/mem", fd);
	struct stat sb;
	CHECKF("mode 0600", fstat(fd, &sb) == 0 && (sb.st_mode & 07777) == 0600, "mode %o",
	       sb.st_mode);
	long v = 0;
	ssize_t n = pread(fd, &v, sizeof v, (off_t)(unsigned long)&value);
	CHECKF("pread at an address", n == sizeof v && v == 1234, "n %zd v %ld", n, v);
	long w = 99;
	n = pwrite(fd, &w, sizeof w, (off_t)(unsigned long)&value);
	CHECKF("pwrite at an address", n == sizeof w, "n %zd", n);
	w = 77;
	n = pwrite(fd, &w, sizeof w, (off_t)(unsigned long)&readonly_word);
	CHECKF("pwrite into a read-only page", n == sizeof w, "n %zd", n);
	CHECK("the writer's own copy is untouched", value == 1234 && readonly_word == 42);
	CHECK_ERRNO("pread where nothing is mapped", pread(fd, &v, sizeof v, 4096), EIO);
	CHECKF("lseek to an address", lseek(fd, (off_t)(unsigned long)&value, SEEK_SET) ==
	       (off_t)(unsigned long)&value, "lseek");
	v = 0;
	CHECKF("read from there", read(fd, &v, sizeof v) == sizeof v && v == 99, "v %ld", v);
	ptrace(PTRACE_CONT, pid, 0, 0);
	st = wait_for(pid);
	CHECKF("the child saw the writes", WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %#x", st);
	v = 1;
	CHECKF("a reaped process's memory reads empty", pread(fd, &v, sizeof v, 4096) <= 0,
	       "got %ld", v);
	close(fd);

	/* One's own memory, read-only pages included, as a debugger's. */
	fd = open("/proc/self/mem", O_RDWR);
	CHECK_SYS("open /proc/self/mem", fd);
	v = 0;
	n = pread(fd, &v, sizeof v, (off_t)(unsigned long)&value);
	CHECKF("read one's own", n == sizeof v && v == 1234, "n %zd v %ld", n, v);
	w = 4321;
	n = pwrite(fd, &w, sizeof w, (off_t)(unsigned long)&readonly_word);
	CHECKF("write one's own read-only page", n == sizeof w &&
	       *(volatile const long *)&readonly_word == 4321, "n %zd", n);
	close(fd);

	/* Another user's process: EACCES at open. */
	pid_t other = user_sleeper(NULL);
	pid_t prober = fork();
	if (prober == 0) {
		if (setgid(1001) || setuid(1001))
			_exit(2);
		snprintf(path, sizeof path, "/proc/%d/mem", other);
		_exit(open(path, O_RDONLY) == -1 && errno == EACCES ? 0 : 1);
	}
	st = wait_for(prober);
	CHECKF("another user's mem is EACCES", WIFEXITED(st) && WEXITSTATUS(st) == 0,
	       "status %#x", st);
	end(other);
}

static int write_scope(const char *v)
{
	int fd = open(scope_file, O_WRONLY);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, v, strlen(v));
	int e = errno;
	close(fd);
	errno = e;
	return n < 0 ? -1 : 0;
}

static void allow_any(void)
{
	prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);
}

static void allow_ancestor(void)
{
	/* The test's process: an ancestor of the prober. */
	prctl(PR_SET_PTRACER, getppid(), 0, 0, 0);
}

/* In a child as uid 1000: returns 0 if PTRACE_ATTACH to pid works (and
 * detaches), else errno. */
static int attach_as_user(pid_t pid)
{
	pid_t c = fork();
	if (c == 0) {
		if (setgid(1000) || setuid(1000))
			_exit(200);
		if (ptrace(PTRACE_ATTACH, pid, 0, 0) == -1)
			_exit(errno);
		wait_for(pid);
		ptrace(PTRACE_DETACH, pid, 0, 0);
		_exit(0);
	}
	int st = wait_for(c);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 255;
}

static void check_yama(void)
{
	char buf[8] = { 0 };
	int fd = open(scope_file, O_RDONLY);
	if (fd < 0) {
		check_printf("skip yama: %s is missing\n", scope_file);
		return;
	}
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	CHECKF("ptrace_scope is 1 at boot", n == 2 && !strcmp(buf, "1\n"), "%s", buf);

	pid_t plain = user_sleeper(NULL);
	pid_t any = user_sleeper(allow_any);
	pid_t named = user_sleeper(allow_ancestor);
	int e = attach_as_user(plain);
	CHECKF("scope 1: a non-ancestor may not attach", e == EPERM, "got %d", e);
	e = attach_as_user(any);
	CHECKF("scope 1: PR_SET_PTRACER_ANY lets it", e == 0, "got %d", e);
	e = attach_as_user(named);
	CHECKF("scope 1: a descendant of the named tracer may", e == 0, "got %d", e);
	CHECK_SYS("scope 1: root (CAP_SYS_PTRACE) may", ptrace(PTRACE_ATTACH, plain, 0, 0));
	wait_for(plain);
	MUST(ptrace(PTRACE_DETACH, plain, 0, 0));

	/* process_vm_readv and /proc/PID/mem follow the same rule. */
	pid_t c = fork();
	if (c == 0) {
		if (setgid(1000) || setuid(1000))
			_exit(200);
		long v;
		struct iovec l = { &v, sizeof v }, r = { (void *)&value, sizeof v };
		if (process_vm_readv(plain, &l, 1, &r, 1, 0) != -1 || errno != EPERM)
			_exit(1);
		if (mem_pread(plain, &v, sizeof v, &value) != -1 || errno != EACCES)
			_exit(2);
		if (process_vm_readv(any, &l, 1, &r, 1, 0) != sizeof v)
			_exit(3);
		/* Reading /proc/PID/maps needs no attach. */
		char path[64];
		snprintf(path, sizeof path, "/proc/%d/maps", plain);
		int m = open(path, O_RDONLY);
		_exit(m >= 0 ? 0 : 4);
	}
	int st = wait_for(c);
	CHECKF("scope 1: process_vm_readv and mem too, not maps",
	       WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %#x", st);

	/* The tracer's own child is always a descendant. */
	c = fork();
	if (c == 0) {
		if (setgid(1000) || setuid(1000))
			_exit(200);
		prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
		pid_t kid = fork();
		if (kid == 0) {
			for (;;)
				pause();
		}
		int r = ptrace(PTRACE_ATTACH, kid, 0, 0) == 0 ? 0 : 1;
		kill(kid, SIGKILL);
		_exit(r);
	}
	st = wait_for(c);
	CHECKF("scope 1: one's own child may be traced", WIFEXITED(st) && WEXITSTATUS(st) == 0,
	       "status %#x", st);
	CHECK_ERRNO("PR_SET_PTRACER of no process", prctl(PR_SET_PTRACER, 99999, 0, 0, 0), EINVAL);
	CHECK_SYS("PR_SET_PTRACER 0 clears", prctl(PR_SET_PTRACER, 0, 0, 0, 0));

	CHECK_SYS("root sets scope 2", write_scope("2\n"));
	e = attach_as_user(any);
	CHECKF("scope 2: not even PR_SET_PTRACER_ANY", e == EPERM, "got %d", e);
	CHECK_SYS("scope 2: root may", ptrace(PTRACE_ATTACH, any, 0, 0));
	wait_for(any);
	MUST(ptrace(PTRACE_DETACH, any, 0, 0));
	CHECK_ERRNO("scope 4 is EINVAL", write_scope("4"), EINVAL);
	c = fork();
	if (c == 0) {
		if (setgid(1000) || setuid(1000))
			_exit(200);
		_exit(write_scope("0") == -1 && (errno == EPERM || errno == EACCES) ? 0 : 1);
	}
	st = wait_for(c);
	CHECKF("a user may not set it", WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %#x", st);
	CHECK_SYS("root sets scope 0", write_scope("0"));
	e = attach_as_user(plain);
	CHECKF("scope 0: credentials alone", e == 0, "got %d", e);
	CHECK_SYS("back to 1", write_scope("1"));
	end(plain);
	end(any);
	end(named);
}

int main(void)
{
	check_proc_mem();
	check_yama();
	return check_done();
}
