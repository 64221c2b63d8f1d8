/*
 * Resource limits enforced as Linux enforces them (getrlimit(2), and the
 * callers in mm/, fs/ and kernel/): prlimit's errno order (ESRCH before an
 * unknown resource, EINVAL for soft above hard before EPERM for a raised hard
 * limit); RLIMIT_NPROC at fork and pthread_create (EAGAIN, per real user);
 * RLIMIT_FSIZE (a write cut short at the limit, EFBIG and SIGXFSZ at it, for
 * truncate and fallocate too, pipes untouched, SIGXFSZ's default action
 * kills); RLIMIT_AS (mmap, brk, mremap ENOMEM); RLIMIT_DATA (private writable
 * memory only: mmap, brk, mprotect); RLIMIT_STACK's quarter for execve's
 * arguments (E2BIG); RLIMIT_SIGPENDING (sigqueue EAGAIN); RLIMIT_CPU
 * (SIGXCPU at the soft limit, which moves on a second each time, then SIGKILL
 * at the hard); ru_maxrss of getrusage's RUSAGE_SELF and RUSAGE_CHILDREN and
 * of wait4.
 * The unprivileged parts run in children as uid 54321. Runs natively too.
 */
#include "check.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define USER 54321
#define MB (1024L * 1024L)

static int wait_status(pid_t pid)
{
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return st;
}

static void become_user(void)
{
	if (setresgid(USER, USER, USER) || setresuid(USER, USER, USER))
		check_fail("setup", errno, "setresuid(%d)", USER);
}

/* Runs FN in a child as USER; checks that all its checks passed. */
static void as_user(const char *name, void (*fn)(void))
{
	pid_t pid = MUST(fork());
	if (pid == 0) {
		become_user();
		fn();
		_exit(0);
	}
	int st = wait_status(pid);
	CHECKF(name, WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %#x", st);
}

static void set_limit(int r, rlim_t soft, rlim_t hard)
{
	struct rlimit l = { soft, hard };
	MUST(setrlimit(r, &l));
}

static void errno_order(void)
{
	struct rlimit r, old;
	MUST(getrlimit(RLIMIT_NOFILE, &r));
	struct rlimit both = { r.rlim_max + 2, r.rlim_max + 1 };
	CHECK_ERRNO("soft above hard is EINVAL before a raised hard limit's EPERM",
		    setrlimit(RLIMIT_NOFILE, &both), EINVAL);
	struct rlimit up = { r.rlim_cur, r.rlim_max + 1 };
	CHECK_ERRNO("a raised hard limit is EPERM", setrlimit(RLIMIT_NOFILE, &up), EPERM);
	CHECK_ERRNO("prlimit of no such process is ESRCH before an unknown resource",
		    syscall(SYS_prlimit64, 0x3ffffff0, 99, NULL, &old), ESRCH);
	CHECK_ERRNO("prlimit of an unknown resource", syscall(SYS_prlimit64, 0, 99, NULL, &old), EINVAL);
	CHECK_ERRNO("prlimit with a bad new limit is EFAULT before ESRCH",
		    syscall(SYS_prlimit64, 0x3ffffff0, RLIMIT_NOFILE, (void *)8, NULL), EFAULT);
	CHECK_SYS("lowering the hard limit", setrlimit(RLIMIT_NOFILE, &(struct rlimit){ 64, 64 }));
	CHECK("prlimit returns the old limit",
	      prlimit(0, RLIMIT_NOFILE, &(struct rlimit){ 32, 64 }, &old) == 0 && old.rlim_cur == 64);
}

static void *idle_thread(void *arg)
{
	return arg;
}

static void nproc(void)
{
	set_limit(RLIMIT_NPROC, 1, 2);
	CHECK_ERRNO("fork past RLIMIT_NPROC is EAGAIN", fork(), EAGAIN);
	pthread_t t;
	int e = pthread_create(&t, NULL, idle_thread, NULL);
	CHECKF("pthread_create past RLIMIT_NPROC is EAGAIN", e == EAGAIN, "returned %d", e);
	set_limit(RLIMIT_NPROC, 2, 2);
	pid_t pid = fork();
	if (pid == 0)
		_exit(0);
	CHECKF("fork under a raised RLIMIT_NPROC", pid > 0, "errno %d", errno);
	wait_status(pid);
}

static volatile sig_atomic_t xfsz;

static void on_xfsz(int sig)
{
	(void)sig;
	xfsz++;
}

static void fsize(void)
{
	/* The limit is far past anything else this program writes (its
	 * output may go to a file). */
	const off_t lim = 1L << 30;
	char path[] = "/tmp/rlimit-fsize-XXXXXX";
	int fd = MUST(mkstemp(path));
	unlink(path);
	signal(SIGXFSZ, on_xfsz);
	set_limit(RLIMIT_FSIZE, lim, RLIM_INFINITY);
	char buf[2000];
	memset(buf, 'f', sizeof buf);
	CHECK("a write up to the limit is cut short there",
	      pwrite(fd, buf, sizeof buf, lim - 1000) == 1000 && xfsz == 0);
	CHECK_ERRNO("a write at the limit is EFBIG", pwrite(fd, buf, 1, lim), EFBIG);
	CHECK("and raises SIGXFSZ", xfsz == 1);
	lseek(fd, 0, SEEK_END);
	CHECK_ERRNO("a write at the file position at the limit", write(fd, buf, 10), EFBIG);
	CHECK_SYS("ftruncate down", ftruncate(fd, 5000));
	CHECK_SYS("ftruncate up to the limit", ftruncate(fd, lim));
	xfsz = 0;
	CHECK_ERRNO("ftruncate past the limit is EFBIG", ftruncate(fd, lim + 1), EFBIG);
	CHECK("and raises SIGXFSZ", xfsz == 1);
	MUST(ftruncate(fd, 0));
	CHECK_ERRNO("fallocate past the limit is EFBIG", fallocate(fd, 0, lim - 4096, 8192), EFBIG);
	CHECK_SYS("fallocate KEEP_SIZE past it is not",
		  fallocate(fd, FALLOC_FL_KEEP_SIZE, lim - 4096, 8192));
	int p[2];
	MUST(pipe(p));
	set_limit(RLIMIT_FSIZE, 10, RLIM_INFINITY);
	xfsz = 0;
	int n = write(p[1], buf, 100);
	set_limit(RLIMIT_FSIZE, lim, RLIM_INFINITY);
	CHECK("a pipe knows no file size limit", n == 100 && xfsz == 0);
	close(p[0]);
	close(p[1]);
	pid_t pid = MUST(fork());
	if (pid == 0) {
		signal(SIGXFSZ, SIG_DFL);
		pwrite(fd, buf, 1, lim);
		_exit(0);
	}
	int st = wait_status(pid);
	CHECKF("SIGXFSZ's default action kills", WIFSIGNALED(st) && WTERMSIG(st) == SIGXFSZ, "status %#x",
	       st);
	close(fd);
	set_limit(RLIMIT_FSIZE, RLIM_INFINITY, RLIM_INFINITY);
	signal(SIGXFSZ, SIG_DFL);
}

static void address_space(void)
{
	set_limit(RLIMIT_AS, 256 * MB, 256 * MB);
	CHECK_ERRNO("mmap past RLIMIT_AS is ENOMEM",
		    mmap(NULL, 512 * MB, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0), ENOMEM);
	char *a = mmap(NULL, 64 * MB, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK("mmap within it", a != MAP_FAILED);
	CHECK_ERRNO("mremap past RLIMIT_AS is ENOMEM", mremap(a, 64 * MB, 400 * MB, MREMAP_MAYMOVE), ENOMEM);
	void *fixed = mmap(a, 64 * MB, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	CHECK("MAP_FIXED over a mapping counts only what is new", fixed == a);
	unsigned long cur = syscall(SYS_brk, 0);
	CHECK("brk past RLIMIT_AS fails", syscall(SYS_brk, cur + 512 * MB) == (long)cur);
	CHECK("brk within it", syscall(SYS_brk, cur + MB) == (long)(cur + MB));
	syscall(SYS_brk, cur);
	munmap(a, 64 * MB);
}

static void data(void)
{
	set_limit(RLIMIT_DATA, 64 * MB, RLIM_INFINITY);
	CHECK_ERRNO("private writable mmap past RLIMIT_DATA is ENOMEM",
		    mmap(NULL, 128 * MB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), ENOMEM);
	char *ro = mmap(NULL, 128 * MB, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK("a read-only one is not data", ro != MAP_FAILED);
	void *sh = mmap(NULL, 128 * MB, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK("nor is a shared one", sh != MAP_FAILED);
	CHECK_ERRNO("mprotect making it data past the limit", mprotect(ro, 128 * MB, PROT_READ | PROT_WRITE),
		    ENOMEM);
	CHECK_SYS("mprotect of a part within it", mprotect(ro, 16 * MB, PROT_READ | PROT_WRITE));
	unsigned long cur = syscall(SYS_brk, 0);
	CHECK("brk past RLIMIT_DATA fails", syscall(SYS_brk, cur + 128 * MB) == (long)cur);
	munmap(ro, 128 * MB);
	munmap(sh, 128 * MB);
}

/* Runs this program with about N bytes of environment; returns
 * execve's errno in the exit status (0 if it ran). */
static int exec_with_env(size_t n)
{
	pid_t pid = MUST(fork());
	if (pid == 0) {
		set_limit(RLIMIT_STACK, MB, RLIM_INFINITY);
		/* In strings of 50000 bytes: one may have at most 32 pages. */
		char *env[64] = { NULL };
		for (size_t i = 0; i * 50000 < n && i < 63; i++) {
			env[i] = malloc(50001);
			memset(env[i], 'e', 50000);
			env[i][0] = 'A' + (char)i;
			env[i][1] = '=';
			env[i][50000] = 0;
		}
		char *argv[] = { "rlimit_enforce", "exit0", NULL };
		execve("/proc/self/exe", argv, env);
		_exit(errno);
	}
	int st = wait_status(pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 255;
}

static void stack(void)
{
	int e = exec_with_env(200 * 1024);
	CHECKF("execve's strings within a quarter of RLIMIT_STACK", e == 0, "errno %d", e);
	e = exec_with_env(300 * 1024);
	CHECKF("beyond a quarter of RLIMIT_STACK is E2BIG", e == E2BIG, "errno %d", e);
}

static void pending_signals(void)
{
	set_limit(RLIMIT_SIGPENDING, 2, 2);
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGRTMIN);
	sigprocmask(SIG_BLOCK, &s, NULL);
	union sigval v = { 0 };
	CHECK_SYS("sigqueue 1", sigqueue(getpid(), SIGRTMIN, v));
	CHECK_SYS("sigqueue 2", sigqueue(getpid(), SIGRTMIN, v));
	CHECK_ERRNO("sigqueue past RLIMIT_SIGPENDING is EAGAIN", sigqueue(getpid(), SIGRTMIN, v), EAGAIN);
}

static volatile sig_atomic_t xcpu;
static volatile rlim_t xcpu_soft;

static void on_xcpu(int sig)
{
	(void)sig;
	struct rlimit r;
	getrlimit(RLIMIT_CPU, &r);
	if (xcpu++ == 0)
		xcpu_soft = r.rlim_cur;
}

static void cpu(void)
{
	int p[2];
	MUST(pipe(p));
	pid_t pid = MUST(fork());
	if (pid == 0) {
		close(p[0]);
		signal(SIGXCPU, on_xcpu);
		set_limit(RLIMIT_CPU, 1, 3);
		int last = 0;
		for (volatile unsigned long i = 0;; i++) {
			if (xcpu != last) {
				last = xcpu;
				char m[2] = { (char)xcpu, (char)xcpu_soft };
				write(p[1], m, 2);
			}
		}
	}
	close(p[1]);
	char m[2] = { 0, 0 }, got[2];
	while (read(p[0], got, 2) == 2)
		memcpy(m, got, 2);
	close(p[0]);
	int st = wait_status(pid);
	CHECKF("SIGXCPU at the soft limit, once a second after", m[0] == 2, "%d SIGXCPU", m[0]);
	CHECKF("each SIGXCPU moves the soft limit on a second", m[1] == 2, "soft %d", m[1]);
	CHECKF("SIGKILL at the hard limit", WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "status %#x", st);
	pid = MUST(fork());
	if (pid == 0) {
		set_limit(RLIMIT_CPU, 1, RLIM_INFINITY);
		for (volatile unsigned long i = 0;; i++)
			;
	}
	st = wait_status(pid);
	CHECKF("SIGXCPU's default action kills", WIFSIGNALED(st) && WTERMSIG(st) == SIGXCPU, "status %#x",
	       st);
}

static void touch(size_t len)
{
	char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		check_fail("setup", errno, "mmap");
	for (size_t i = 0; i < len; i += 4096)
		m[i] = 1;
	munmap(m, len);
}

static void maxrss(void)
{
	struct rusage ru;
	touch(32 * MB);
	MUST(getrusage(RUSAGE_SELF, &ru));
	CHECKF("ru_maxrss of RUSAGE_SELF counts memory since given back", ru.ru_maxrss >= 32 * 1024,
	       "%ld kB", ru.ru_maxrss);
	MUST(getrusage(RUSAGE_CHILDREN, &ru));
	long before = ru.ru_maxrss;
	pid_t pid = MUST(fork());
	if (pid == 0) {
		touch(80 * MB);
		_exit(0);
	}
	int st;
	struct rusage child;
	while (wait4(pid, &st, 0, &child) < 0 && errno == EINTR)
		;
	CHECKF("wait4's rusage has the child's ru_maxrss", child.ru_maxrss >= 80 * 1024, "%ld kB",
	       child.ru_maxrss);
	MUST(getrusage(RUSAGE_CHILDREN, &ru));
	CHECKF("ru_maxrss of RUSAGE_CHILDREN is the largest waited-for child's",
	       ru.ru_maxrss >= 80 * 1024 && ru.ru_maxrss > before, "%ld kB (before %ld)", ru.ru_maxrss,
	       before);
	CHECK_ERRNO("getrusage of an unknown who", getrusage(7, &ru), EINVAL);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "exit0") == 0)
		return 0;
	as_user("errno order as a user", errno_order);
	as_user("RLIMIT_NPROC", nproc);
	fsize();
	as_user("RLIMIT_AS", address_space);
	as_user("RLIMIT_DATA", data);
	stack();
	as_user("RLIMIT_SIGPENDING", pending_signals);
	cpu();
	maxrss();
	return check_done();
}
