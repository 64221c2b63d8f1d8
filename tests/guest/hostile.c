/*
 * hostile: what an unprivileged guest user tried against the kernel (issue 19),
 * each check a regression test for one hole found that way, run as init (pid 1)
 * with children that drop to uid 1000.
 *
 * - prctl(PR_SET_NAME) with 16 bytes and no NUL at the end of a mapping (it
 *   once froze the whole kernel: the mm was locked twice);
 * - kill, tkill, tgkill, rt_sigqueueinfo and pidfd_send_signal from uid 1000
 *   to root's process: EPERM, except SIGCONT within the session; si_uid is
 *   the sender's uid; /proc/PID/maps, environ and exe of root's process give
 *   EACCES to uid 1000;
 * - SIGCHLD blocked and taken with sigtimedwait, whichever comes first (it
 *   was discarded); init keeps a blocked signal it has no handler for;
 * - mremap to a length that wraps the address space: EINVAL;
 * - int $0x80 never runs the 64-bit call of the i386 number;
 * - vsyscall gettimeofday and time into an untouched page and into a page
 *   shared copy-on-write with a parent;
 * - five levels of #! run, a sixth gives ELOOP;
 * - RLIMIT_NPROC stops forks and threads of uid 1000 with EAGAIN;
 * - a fork bomb and a thread bomb of uid 1000 under RLIMIT_NPROC: init keeps
 *   answering within a second throughout, and the bombs are killed and
 *   reaped afterwards;
 * - setpriority below 0 as uid 1000: EACCES.
 *
 * On the host (as root, the program as pid 1 of a new pid namespace, with a
 * tmpfs on /tmp): `unshare -fp --mount-proc chroot MNT /bin/hostile`.
 */
#include "check.h"

#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>

#define USER 1000

/* Forks a child that runs fn as uid USER and exits with its result. */
static pid_t as_user(int (*fn)(void *), void *arg)
{
	pid_t pid = MUST(fork());
	if (pid == 0) {
		if (setgroups(0, NULL) || setgid(USER) || setuid(USER))
			_exit(90);
		_exit(fn(arg));
	}
	return pid;
}

/* Runs fn as uid USER in a child; passes if it returns 0, else names the step. */
#define CHECK_AS_USER(name, fn)                                                \
	do {                                                                   \
		int st_ = reap(as_user(fn, NULL));                             \
		CHECKF(name, st_ == 0, "step %d failed (exit status)", st_);   \
	} while (0)

/* Waits for pid; returns its exit status, or 128 + the signal that killed it. */
static int reap(pid_t pid)
{
	int st;
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void prctl_name(void)
{
	char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	MUST(p == MAP_FAILED ? -1 : 0);
	MUST(munmap(p + 4096, 4096));
	char *name = p + 4096 - 16;
	memcpy(name, "ABCDEFGHIJKLMNOP", 16);
	CHECK_SYS("prctl PR_SET_NAME of 16 bytes ending a mapping", prctl(PR_SET_NAME, name));
	char got[32] = { 0 };
	MUST(prctl(PR_GET_NAME, got));
	CHECKF("the name is cut to 15 bytes", strcmp(got, "ABCDEFGHIJKLMNO") == 0, "got %s", got);
	CHECK_ERRNO("prctl PR_SET_NAME of an unmapped name", prctl(PR_SET_NAME, p + 4096), EFAULT);
	MUST(prctl(PR_SET_NAME, "hostile"));
	munmap(p, 4096);
}

static pid_t root_pid;

static int user_signals(void *arg)
{
	(void)arg;
	if (kill(root_pid, SIGKILL) != -1 || errno != EPERM)
		return 1;
	if (kill(root_pid, 0) != -1 || errno != EPERM)
		return 2;
	if (syscall(SYS_tkill, root_pid, SIGTERM) != -1 || errno != EPERM)
		return 3;
	if (syscall(SYS_tgkill, root_pid, root_pid, SIGTERM) != -1 || errno != EPERM)
		return 4;
	siginfo_t si = { .si_signo = SIGTERM, .si_code = SI_QUEUE };
	if (syscall(SYS_rt_sigqueueinfo, root_pid, SIGTERM, &si) != -1 || errno != EPERM)
		return 5;
	int pfd = syscall(SYS_pidfd_open, root_pid, 0);
	if (pfd < 0)
		return 6;
	if (syscall(SYS_pidfd_send_signal, pfd, SIGKILL, NULL, 0) != -1 || errno != EPERM)
		return 7;
	/* SIGCONT may go to any process of the caller's session. */
	if (kill(root_pid, SIGCONT) != 0)
		return 8;
	if (kill(-root_pid, SIGKILL) != -1 || errno != EPERM)
		return 9;
	return 0;
}

static int user_proc(void *arg)
{
	(void)arg;
	char path[64], buf[256];
	snprintf(path, sizeof path, "/proc/%d/maps", root_pid);
	if (open(path, O_RDONLY) != -1 || errno != EACCES)
		return 1;
	snprintf(path, sizeof path, "/proc/%d/environ", root_pid);
	if (open(path, O_RDONLY) != -1 || errno != EACCES)
		return 2;
	snprintf(path, sizeof path, "/proc/%d/exe", root_pid);
	if (readlink(path, buf, sizeof buf) != -1 || errno != EACCES)
		return 3;
	int fd = open("/proc/self/maps", O_RDONLY);
	if (fd < 0 || read(fd, buf, sizeof buf) <= 0)
		return 4;
	snprintf(path, sizeof path, "/proc/%d/status", root_pid);
	if (open(path, O_RDONLY) < 0)
		return 5;
	return 0;
}

/* A uid-USER process sends SIGUSR1 to its uid-USER parent, which reads si_uid. */
static int user_si_uid(void *arg)
{
	(void)arg;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	pid_t parent = getpid();
	pid_t c = fork();
	if (c == 0)
		_exit(kill(parent, SIGUSR1) == 0 ? 0 : 1);
	siginfo_t si;
	struct timespec ts = { 5, 0 };
	int sig = sigtimedwait(&set, &si, &ts);
	reap(c);
	if (sig != SIGUSR1)
		return 1;
	if (si.si_uid != USER || si.si_pid != c || si.si_code != SI_USER)
		return 2;
	return 0;
}

static void signal_permissions(void)
{
	/* Its own process group, for kill(-pgid). */
	root_pid = MUST(fork());
	if (root_pid == 0) {
		setpgid(0, 0);
		for (;;)
			pause();
	}
	setpgid(root_pid, root_pid);
	CHECK_AS_USER("uid 1000 may not signal root's process (kill, tkill, tgkill, sigqueue, pidfd)", user_signals);
	CHECK_AS_USER("uid 1000 may not look inside root's process in /proc", user_proc);
	CHECK("root's process survived", kill(root_pid, 0) == 0);
	CHECK_AS_USER("si_uid of kill(2) is the sender's uid", user_si_uid);
	kill(root_pid, SIGKILL);
	CHECK("root may kill it", reap(root_pid) == 128 + SIGKILL);
}

static void sigchld_waited(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	MUST(sigprocmask(SIG_BLOCK, &set, NULL));
	struct timespec ts = { 5, 0 };
	siginfo_t si;
	/* The child exits while the parent waits. */
	pid_t c = MUST(fork());
	if (c == 0) {
		sleep_ms(100);
		_exit(3);
	}
	int sig = sigtimedwait(&set, &si, &ts);
	CHECKF("SIGCHLD blocked: sigtimedwait takes it when the child exits during the wait",
	       sig == SIGCHLD && si.si_pid == c, "sigtimedwait gave %d (pid %d)", sig, si.si_pid);
	reap(c);
	/* The child exits before the wait. */
	c = MUST(fork());
	if (c == 0)
		_exit(4);
	sleep_ms(100);
	sig = sigtimedwait(&set, &si, &ts);
	CHECKF("SIGCHLD blocked: sigtimedwait takes it when the child exited before",
	       sig == SIGCHLD && si.si_pid == c && si.si_status == 4, "sigtimedwait gave %d", sig);
	reap(c);
	MUST(sigprocmask(SIG_UNBLOCK, &set, NULL));

	/* init keeps a blocked signal it has no handler for. */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	MUST(sigprocmask(SIG_BLOCK, &set, NULL));
	MUST(kill(getpid(), SIGUSR1));
	sigset_t pending;
	sigpending(&pending);
	CHECK("init: a blocked SIGUSR1 without a handler stays pending",
	      sigismember(&pending, SIGUSR1));
	struct timespec zero = { 0, 0 };
	CHECK("init: sigtimedwait takes it", sigtimedwait(&set, &si, &zero) == SIGUSR1);
	MUST(sigprocmask(SIG_UNBLOCK, &set, NULL));
}

static void mremap_wrap(void)
{
	char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	MUST(p == MAP_FAILED ? -1 : 0);
	size_t wrap = 0x10000 - (uintptr_t)p; /* p + wrap == 0x10000, modulo 2^64 */
	CHECK_ERRNO("mremap to a length that wraps the address space",
		    mremap(p, 4096, wrap, 0), EINVAL);
	CHECK_ERRNO("the same, allowed to move", mremap(p, 4096, wrap, MREMAP_MAYMOVE), EINVAL);
	CHECK_ERRNO("mremap of a length past the address space", mremap(p, 4096, 1UL << 47, 0),
		    EINVAL);
	p[0] = 1;
	CHECK("the mapping is still there", p[0] == 1);
	char buf[4096];
	int fd = MUST(open("/proc/self/status", O_RDONLY));
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	char *vm = strstr(buf, "VmSize:");
	long kb = vm ? atol(vm + 7) : -1;
	CHECKF("VmSize stays sane", kb > 0 && kb < (1L << 30), "VmSize %ld kB", kb);
	munmap(p, 4096);
}

static void *int80_thread(void *arg)
{
	long ret;
	(void)arg;
	__asm__ volatile("int $0x80" : "=a"(ret) : "a"(39L), "b"(0L), "c"(0L) : "memory");
	return (void *)ret;
}

static void int80(void)
{
	pid_t c = MUST(fork());
	if (c == 0) {
		/* i386 39 is mkdir; x86_64 39 is getpid. */
		long ret;
		__asm__ volatile("int $0x80" : "=a"(ret) : "a"(39L), "b"(0L), "c"(0L) : "memory");
		_exit(ret == -EFAULT ? 0 : ret == getpid() ? 1 : 2);
	}
	int st = reap(c);
	CHECKF("int $0x80 runs the i386 call or raises SIGSEGV, never the x86_64 one",
	       st == 0 || st == 128 + SIGSEGV, "status %d", st);
	/* The same from a second thread, which the host started otherwise. */
	c = MUST(fork());
	if (c == 0) {
		pthread_t th;
		void *ret;
		if (pthread_create(&th, NULL, int80_thread, NULL) != 0 || pthread_join(th, &ret) != 0)
			_exit(3);
		_exit((long)ret == -EFAULT ? 0 : (long)ret == getpid() ? 1 : 2);
	}
	st = reap(c);
	CHECKF("int $0x80 in a second thread: the i386 call or SIGSEGV, never the x86_64 one",
	       st == 0 || st == 128 + SIGSEGV, "status %d", st);
}

typedef int (*vgettimeofday_t)(struct timeval *, void *);
typedef time_t (*vtime_t)(time_t *);

static int has_vsyscall(void)
{
	char buf[16384];
	int fd = open("/proc/self/maps", O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	return strstr(buf, "[vsyscall]") != NULL;
}

static void vsyscall(void)
{
	if (!has_vsyscall()) {
		check_printf("skip vsyscall: no [vsyscall] in /proc/self/maps\n");
		return;
	}
	vgettimeofday_t vgtod = (vgettimeofday_t)0xffffffffff600000UL;
	vtime_t vtime = (vtime_t)0xffffffffff600400UL;
	struct timeval *tv = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	MUST(tv == MAP_FAILED ? -1 : 0);
	time_t now = time(NULL);
	CHECK("vsyscall gettimeofday into an untouched page", vgtod(tv, NULL) == 0);
	CHECKF("it wrote the time", tv->tv_sec >= now && tv->tv_sec < now + 60, "%ld vs %ld",
	       (long)tv->tv_sec, (long)now);
	time_t *t = (time_t *)(tv + 1);
	*t = 0;
	pid_t c = MUST(fork());
	if (c == 0) {
		/* Every page is shared copy-on-write with the parent now. */
		if (vtime(t) < now || *t < now)
			_exit(1);
		if (vgtod(tv, NULL) != 0 || tv->tv_sec < now)
			_exit(2);
		_exit(0);
	}
	CHECKF("vsyscall time and gettimeofday into copy-on-write pages", reap(c) == 0,
	       "child failed");
	CHECK("the parent's copy is untouched", *t == 0);
	munmap(tv, 4096);
}

static void write_script(const char *path, const char *interp)
{
	int fd = MUST(open(path, O_WRONLY | O_CREAT | O_TRUNC, 0755));
	char line[128];
	int n = snprintf(line, sizeof line, "#!%s\n", interp);
	MUST(write(fd, line, n));
	close(fd);
}

/* Runs the script chain at path; returns 0 if exec worked, else its errno. */
static int run_chain(const char *path)
{
	pid_t c = MUST(fork());
	if (c == 0) {
		char *argv[] = { (char *)path, NULL };
		execv(path, argv);
		_exit(100 + errno);
	}
	int st = reap(c);
	return st >= 100 ? st - 100 : 0;
}

static void script_depth(void)
{
	char path[32], next[32];
	for (int i = 1; i <= 6; i++) {
		snprintf(path, sizeof path, "/tmp/level%d", i);
		snprintf(next, sizeof next, "/tmp/level%d", i + 1);
		write_script(path, i == 6 ? "/bin/exit42" : next);
	}
	int e = run_chain("/tmp/level2");
	CHECKF("five levels of #! run", e == 0, "errno %d", e);
	e = run_chain("/tmp/level1");
	CHECKF("a sixth level gives ELOOP", e == ELOOP, "errno %d", e);
	for (int i = 1; i <= 6; i++) {
		snprintf(path, sizeof path, "/tmp/level%d", i);
		unlink(path);
	}
}

static void *idle_thread(void *arg)
{
	(void)arg;
	pause();
	return NULL;
}

static int user_nproc(void *arg)
{
	(void)arg;
	struct rlimit rl = { 10, 10 };
	if (setrlimit(RLIMIT_NPROC, &rl))
		return 1;
	pid_t kids[40];
	int made = 0, err = 0;
	for (int i = 0; i < 40; i++) {
		pid_t c = fork();
		if (c == 0) {
			pause();
			_exit(0);
		}
		if (c < 0) {
			err = errno;
			break;
		}
		kids[made++] = c;
	}
	/* Threads count too. */
	pthread_t th;
	int terr = pthread_create(&th, NULL, idle_thread, NULL);
	for (int i = 0; i < made; i++)
		kill(kids[i], SIGKILL);
	for (int i = 0; i < made; i++)
		reap(kids[i]);
	if (err != EAGAIN || made >= 10)
		return 2;
	if (terr != EAGAIN)
		return 3;
	/* With the children gone, forks work again. */
	pid_t c = fork();
	if (c == 0)
		_exit(0);
	if (c < 0 || reap(c) != 0)
		return 4;
	return 0;
}

__attribute__((noreturn)) static int user_bomb(void *arg)
{
	(void)arg;
	struct rlimit rl = { 50, 50 };
	setrlimit(RLIMIT_NPROC, &rl);
	for (;;) {
		if (fork() < 0)
			sleep_ms(1);
	}
}

__attribute__((noreturn)) static int user_thread_bomb(void *arg)
{
	(void)arg;
	struct rlimit rl = { 50, 50 };
	setrlimit(RLIMIT_NPROC, &rl);
	for (;;) {
		pthread_t th;
		if (pthread_create(&th, NULL, idle_thread, NULL) != 0)
			sleep_ms(1);
	}
}

static void fork_bomb(void)
{
	CHECK_AS_USER("RLIMIT_NPROC 10: forks and threads of uid 1000 fail with EAGAIN", user_nproc);
	pid_t bomb = as_user(user_bomb, NULL);
	pid_t threads = as_user(user_thread_bomb, NULL);
	double worst = 0;
	for (int i = 0; i < 100; i++) {
		double t0 = now_ms();
		sleep_ms(20);
		double late = now_ms() - t0 - 20;
		if (late > worst)
			worst = late;
	}
	CHECKF("init answers within a second while a fork bomb and a thread bomb run",
	       worst < 1000, "a 20 ms sleep came %.0f ms late", worst);
	check_printf("hostile: a 20 ms sleep of init came at most %.0f ms late\n", worst);
	/* The bomb's processes: every uid-1000 process. */
	MUST(kill(-1, SIGKILL));
	int reaped = 0;
	while (wait(NULL) > 0)
		reaped++;
	int e = errno;
	CHECKF("the bomb is killed and reaped", reaped >= 1 && e == ECHILD, "%d reaped", reaped);
	(void)bomb;
	(void)threads;
}

static int user_nice(void *arg)
{
	(void)arg;
	if (setpriority(PRIO_PROCESS, 0, -20) != -1 || errno != EACCES)
		return 1;
	if (setpriority(PRIO_PROCESS, 0, 5) != 0)
		return 2;
	if (setpriority(PRIO_PROCESS, 0, 0) != -1 || errno != EACCES)
		return 3;
	return 0;
}

/*
 * --nice: as root, asks for nice -20 in this process and a child, says so,
 * and waits for stdin to end; the host then checks that no stub of the
 * kernel runs more favoured than ./linux itself.
 */
static int nice_mode(void)
{
	CHECK_SYS("setpriority(-20) as root", setpriority(PRIO_PROCESS, 0, -20));
	CHECK("getpriority gives -20", getpriority(PRIO_PROCESS, 0) == -20);
	pid_t c = MUST(fork());
	if (c == 0) {
		char b;
		while (read(0, &b, 1) > 0)
			;
		_exit(0);
	}
	check_printf("hostile: nice -20 asked\n");
	char b;
	while (read(0, &b, 1) > 0)
		;
	reap(c);
	return check_done();
}

static void nice_as_user(void)
{
	CHECK_AS_USER("setpriority below 0 as uid 1000 gives EACCES", user_nice);
}

/* The groups of checks, each runnable alone by its name. */
static const struct {
	const char *name;
	void (*run)(void);
} groups[] = {
	{ "prctl", prctl_name },       { "signals", signal_permissions },
	{ "sigchld", sigchld_waited }, { "mremap", mremap_wrap },
	{ "int80", int80 },            { "vsyscall", vsyscall },
	{ "scripts", script_depth },   { "nice", nice_as_user },
	{ "forkbomb", fork_bomb },
};

/* hostile [GROUP...]: every group of checks, or only those named. */
int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--nice") == 0)
		return nice_mode();
	if (getpid() != 1) {
		check_printf("FAIL setup: hostile must run as pid 1\n");
		return 1;
	}
	for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++) {
		int wanted = argc == 1;
		for (int a = 1; a < argc; a++)
			wanted |= strcmp(argv[a], groups[i].name) == 0;
		if (wanted)
			groups[i].run();
	}
	return check_done();
}
