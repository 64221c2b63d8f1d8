/*
 * Checks per-task accounting in /proc: /proc/PID/io (rchar, wchar, syscr,
 * syscw counted by read, pread64, readv, preadv, write, pwrite64, writev,
 * pwritev, sendfile and copy_file_range as Linux's fs/read_write.c counts
 * them; per thread in task/TID/io; exited threads and reaped children summed
 * into the process; a zombie's counts; mode 0400 and EACCES for another
 * user), the context-switch counts of /proc/PID/status and getrusage, and
 * the wait point of a sleeping task in /proc/PID/wchan and /proc/PID/stack
 * (0 while it runs and for another user; EACCES for a user's stack), and
 * /proc/PID/schedstat (mode 0444, per thread in task/TID): its run time
 * grows with a busy loop and stays close to CLOCK_THREAD_CPUTIME_ID, its
 * timeslices grow with every sleep. Page faults: touching 64 new pages
 * counts at least 64 in getrusage's ru_minflt and /proc/self/stat's
 * minflt, a reaped child's in RUSAGE_CHILDREN and cminflt, and a thread's in
 * RUSAGE_THREAD.
 * Nothing is printed between two snapshots, since the output is a write.
 */
#include "check.h"

#include <fcntl.h>
#include <pthread.h>
#include <linux/futex.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>

struct io {
	long long rchar, wchar, syscr, syscw, read_bytes, write_bytes, cancelled;
	int len;
};

/* Reads PATH with one read(2) into *IO; returns 0, or -1 with errno. */
static int read_io(const char *path, struct io *io)
{
	char buf[512];
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	int e = errno;
	close(fd);
	if (n < 0) {
		errno = e;
		return -1;
	}
	buf[n] = 0;
	io->len = (int)n;
	int got = sscanf(buf,
			 "rchar: %lld\nwchar: %lld\nsyscr: %lld\nsyscw: %lld\n"
			 "read_bytes: %lld\nwrite_bytes: %lld\ncancelled_write_bytes: %lld\n",
			 &io->rchar, &io->wchar, &io->syscr, &io->syscw, &io->read_bytes,
			 &io->write_bytes, &io->cancelled);
	if (got != 7) {
		errno = EPROTO;
		return -1;
	}
	return 0;
}

static void snap(const char *path, struct io *io)
{
	if (read_io(path, io) != 0)
		check_fail("setup", errno, "reading %s", path);
}

static char thread_io[64];
static struct io thread_seen;

static void *thread_main(void *arg)
{
	int fd = *(int *)arg;
	char b[10] = { 0 };
	for (int i = 0; i < 3; i++)
		if (write(fd, b, sizeof b) != sizeof b)
			return (void *)1;
	snprintf(thread_io, sizeof thread_io, "/proc/self/task/%ld/io", (long)syscall(SYS_gettid));
	snap(thread_io, &thread_seen);
	return NULL;
}

static void io_counts(void)
{
	struct stat st;
	CHECKF("/proc/self/io is mode 0400", stat("/proc/self/io", &st) == 0 && (st.st_mode & 07777) == 0400,
	       "%o", st.st_mode);
	struct io a, b;
	snap("/proc/self/io", &a);
	CHECKF("/proc/self/io has its seven lines", a.len > 90 && a.cancelled == 0, "%d", a.len);

	char path[] = "/tmp/procacct-XXXXXX";
	int fd = MUST(mkstemp(path));
	unlink(path);
	char buf[8192];
	memset(buf, 'x', sizeof buf);
	struct iovec iov[2] = { { buf, 100 }, { buf + 100, 200 } };

	/* Writes: 4096 + 100 + 300 + 300 bytes in four calls. */
	snap("/proc/self/io", &a);
	int ok = write(fd, buf, 4096) == 4096 && pwrite(fd, buf, 100, 5000) == 100 &&
		 writev(fd, iov, 2) == 300 && pwritev(fd, iov, 2, 6000) == 300;
	snap("/proc/self/io", &b);
	CHECK("setup writes", ok);
	CHECKF("write, pwrite, writev, pwritev count 4 calls and their bytes",
	       b.syscw - a.syscw == 4 && b.wchar - a.wchar == 4796, "syscw +%lld wchar +%lld",
	       b.syscw - a.syscw, b.wchar - a.wchar);
	CHECKF("reading /proc/self/io counts as one read of its length",
	       b.syscr - a.syscr == 1 && b.rchar - a.rchar == a.len, "syscr +%lld rchar +%lld (len %d)",
	       b.syscr - a.syscr, b.rchar - a.rchar, a.len);

	/* Reads: 4096 + 50 + 300 + 300 bytes, one 0 at the end, one EAGAIN. */
	int p[2];
	MUST(pipe2(p, O_NONBLOCK));
	snap("/proc/self/io", &a);
	ok = pread(fd, buf, 4096, 0) == 4096 && pread(fd, buf, 50, 6250) == 50 &&
	     readv(fd, iov, 2) == 300 && preadv(fd, iov, 2, 10) == 300 && pread(fd, buf, 10, 9000) == 0 &&
	     read(p[0], buf, 1) == -1 && errno == EAGAIN;
	snap("/proc/self/io", &b);
	CHECK("setup reads", ok);
	CHECKF("read, pread, readv, preadv count every call, even at the end and EAGAIN",
	       b.syscr - a.syscr == 7 && b.rchar - a.rchar == 4746 + a.len, "syscr +%lld rchar +%lld",
	       b.syscr - a.syscr, b.rchar - a.rchar);

	/* A descriptor not open for reading is refused before counting; readv
	 * counts even a bad descriptor. */
	int wo = MUST(open("/dev/null", O_WRONLY));
	snap("/proc/self/io", &a);
	ok = read(wo, buf, 1) == -1 && errno == EBADF && readv(-1, iov, 1) == -1 && errno == EBADF;
	snap("/proc/self/io", &b);
	CHECK("setup EBADF", ok);
	CHECKF("read EBADF is not counted, readv EBADF is", b.syscr - a.syscr == 2 && b.rchar - a.rchar == a.len,
	       "syscr +%lld", b.syscr - a.syscr);

	/* sendfile and copy_file_range count a read and a write of each byte. */
	int out = MUST(open("/tmp", O_TMPFILE | O_RDWR, 0600));
	snap("/proc/self/io", &a);
	off_t off = 0;
	loff_t in_off = 0;
	ok = sendfile(wo, fd, &off, 1000) == 1000 && copy_file_range(fd, &in_off, out, NULL, 700, 0) == 700;
	snap("/proc/self/io", &b);
	CHECK("setup copies", ok);
	CHECKF("sendfile and copy_file_range count both ways",
	       b.syscr - a.syscr == 3 && b.syscw - a.syscw == 2 && b.rchar - a.rchar == 1700 + a.len &&
		       b.wchar - a.wchar == 1700,
	       "syscr +%lld syscw +%lld rchar +%lld wchar +%lld", b.syscr - a.syscr, b.syscw - a.syscw,
	       b.rchar - a.rchar, b.wchar - a.wchar);
	close(out);

	/* A thread's own file, and its counts kept in the process's after it
	 * ended. */
	char main_io[64];
	snprintf(main_io, sizeof main_io, "/proc/self/task/%d/io", getpid());
	struct io ma, mb;
	snap("/proc/self/io", &a);
	snap(main_io, &ma);
	pthread_t th;
	void *res = (void *)1;
	ok = pthread_create(&th, NULL, thread_main, &wo) == 0 && pthread_join(th, &res) == 0 && res == NULL;
	snap(main_io, &mb);
	snap("/proc/self/io", &b);
	CHECK("setup thread", ok);
	CHECKF("task/TID/io of a thread shows its own writes", thread_seen.syscw == 3 && thread_seen.wchar == 30,
	       "syscw %lld wchar %lld", thread_seen.syscw, thread_seen.wchar);
	CHECKF("task/TID/io of the main thread leaves them out", mb.syscw == ma.syscw, "%lld %lld", ma.syscw,
	       mb.syscw);
	CHECKF("/proc/self/io keeps an ended thread's counts", b.syscw - a.syscw == 3 && b.wchar - a.wchar == 30,
	       "syscw +%lld wchar +%lld", b.syscw - a.syscw, b.wchar - a.wchar);

	/* A child: its zombie shows its counts, which its parent's gain when
	 * reaped. */
	pid_t c = fork();
	if (c == 0) {
		for (int i = 0; i < 5; i++)
			if (write(wo, buf, 1000) != 1000)
				_exit(1);
		_exit(0);
	}
	MUST(c);
	siginfo_t si;
	MUST(waitid(P_PID, c, &si, WEXITED | WNOWAIT));
	char child_io[64];
	snprintf(child_io, sizeof child_io, "/proc/%d/io", c);
	struct io z;
	snap(child_io, &z);
	CHECKF("a zombie's io shows its writes", z.syscw == 5 && z.wchar == 5000, "syscw %lld wchar %lld", z.syscw,
	       z.wchar);
	snap("/proc/self/io", &a);
	int status;
	ok = waitpid(c, &status, 0) == c && status == 0;
	snap("/proc/self/io", &b);
	CHECK("setup child", ok);
	CHECKF("a reaped child's counts join its parent's", b.syscw - a.syscw == 5 && b.wchar - a.wchar == 5000,
	       "syscw +%lld wchar +%lld", b.syscw - a.syscw, b.wchar - a.wchar);

	/* Another user may not read it. */
	pid_t parent = getpid();
	c = fork();
	if (c == 0) {
		if (setgid(1000) || setuid(1000))
			_exit(2);
		char pio[64];
		snprintf(pio, sizeof pio, "/proc/%d/io", parent);
		struct io x;
		_exit(read_io(pio, &x) == -1 && errno == EACCES ? 0 : 1);
	}
	CHECK("another user's /proc/PID/io is EACCES", waitpid(c, &status, 0) == c && status == 0);
	close(wo);
	close(fd);
	close(p[0]);
	close(p[1]);
}

/* Returns the NAME line's value in /proc/self/task/TID/status, or -1. */
static long long status_value(pid_t tid, const char *name)
{
	char path[64], buf[4096];
	snprintf(path, sizeof path, "/proc/self/task/%d/status", tid);
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	char *at = strstr(buf, name);
	return at ? atoll(at + strlen(name) + 1) : -1;
}

static void *sleeper(void *arg)
{
	(void)arg;
	for (int i = 0; i < 5; i++)
		sleep_ms(2);
	return NULL;
}

static void context_switches(void)
{
	pid_t me = getpid();
	long long v0 = status_value(me, "voluntary_ctxt_switches:");
	long long n0 = status_value(me, "nonvoluntary_ctxt_switches:");
	CHECKF("status has both context-switch counts", v0 >= 0 && n0 >= 0, "%lld %lld", v0, n0);
	for (int i = 0; i < 10; i++)
		sleep_ms(2);
	long long v1 = status_value(me, "voluntary_ctxt_switches:");
	CHECKF("each sleep is a voluntary context switch", v1 - v0 >= 10, "%lld -> %lld", v0, v1);
	struct rusage self, thread;
	MUST(getrusage(RUSAGE_THREAD, &thread));
	CHECKF("RUSAGE_THREAD's ru_nvcsw is the thread's count", thread.ru_nvcsw >= v1 && thread.ru_nvcsw < v1 + 5,
	       "%ld vs %lld", thread.ru_nvcsw, v1);
	MUST(getrusage(RUSAGE_SELF, &self));
	pthread_t th;
	MUST(pthread_create(&th, NULL, sleeper, NULL) == 0 ? 0 : -1);
	MUST(pthread_join(th, NULL) == 0 ? 0 : -1);
	struct rusage after;
	MUST(getrusage(RUSAGE_SELF, &after));
	CHECKF("RUSAGE_SELF keeps an ended thread's sleeps", after.ru_nvcsw - self.ru_nvcsw >= 5, "%ld -> %ld",
	       self.ru_nvcsw, after.ru_nvcsw);
	CHECKF("RUSAGE_SELF's ru_nivcsw is at least the thread's", after.ru_nivcsw >= thread.ru_nivcsw, "%ld %ld",
	       after.ru_nivcsw, thread.ru_nivcsw);
	struct rusage ch0, ch1;
	MUST(getrusage(RUSAGE_CHILDREN, &ch0));
	pid_t c = fork();
	if (c == 0) {
		for (int i = 0; i < 8; i++)
			sleep_ms(2);
		_exit(0);
	}
	int status;
	MUST(waitpid(c, &status, 0));
	MUST(getrusage(RUSAGE_CHILDREN, &ch1));
	CHECKF("RUSAGE_CHILDREN gains a reaped child's sleeps", ch1.ru_nvcsw - ch0.ru_nvcsw >= 8, "%ld -> %ld",
	       ch0.ru_nvcsw, ch1.ru_nvcsw);
}

/* Reads /proc/PID/FILE into BUF; returns its length or -1. */
static int read_proc(pid_t pid, const char *file, char *buf, size_t len)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/%s", pid, file);
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, len - 1);
	int e = errno;
	close(fd);
	errno = e;
	if (n < 0)
		return -1;
	buf[n] = 0;
	return (int)n;
}

/* Waits up to 2 s for /proc/PID/wchan to read WANT; returns whether it did
 * and leaves the last value in SEEN. */
static int wchan_is(pid_t pid, const char *want, const char *alt, char *seen, size_t len)
{
	for (int i = 0; i < 200; i++) {
		if (read_proc(pid, "wchan", seen, len) >= 0 &&
		    (strcmp(seen, want) == 0 || (alt && strncmp(seen, alt, strlen(alt)) == 0)))
			return 1;
		sleep_ms(10);
	}
	return 0;
}

static void wait_points(void)
{
	char seen[256], name[128];
	CHECK("a running task's wchan is 0", read_proc(getpid(), "wchan", seen, sizeof seen) >= 0 &&
						     strcmp(seen, "0") == 0);
	/* The second name is where a Linux build may show the same wait:
	 * 6.16 and later read anonymous pipes in anon_pipe_read, and poll and
	 * select sleep in an inlined helper, 6.17 and later futexes in futex_do_wait. */
	struct {
		const char *point, *alt;
		int how;
	} cases[] = {
		{ "pipe_read", "anon_pipe_read", 0 },
		{ "hrtimer_nanosleep", NULL, 1 },
		{ "do_wait", NULL, 2 },
		{ "do_sys_poll", "poll_schedule_timeout", 3 },
		{ "do_select", "poll_schedule_timeout", 4 },
		{ "do_epoll_wait", "ep_poll", 5 },
		{ "futex_wait_queue", "futex_do_wait", 6 },
		{ "do_signal_stop", NULL, 7 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		int p[2];
		MUST(pipe(p));
		pid_t c = fork();
		if (c == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			char b;
			struct pollfd pfd = { p[0], POLLIN, 0 };
			fd_set set;
			int ep, futex_word = 0;
			struct epoll_event ev = { .events = EPOLLIN };
			switch (cases[i].how) {
			case 0:
				(void)!read(p[0], &b, 1);
				break;
			case 1:
				sleep_ms(100000);
				break;
			case 2:
				if (fork() == 0) {
					prctl(PR_SET_PDEATHSIG, SIGKILL);
					sleep_ms(100000);
					_exit(0);
				}
				wait(NULL);
				break;
			case 3:
				poll(&pfd, 1, -1);
				break;
			case 4:
				FD_ZERO(&set);
				FD_SET(p[0], &set);
				select(p[0] + 1, &set, NULL, NULL, NULL);
				break;
			case 5:
				ep = epoll_create1(0);
				ev.data.fd = p[0];
				epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
				epoll_wait(ep, &ev, 1, -1);
				break;
			case 6:
				syscall(SYS_futex, &futex_word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
				break;
			case 7:
				raise(SIGSTOP);
				break;
			}
			_exit(0);
		}
		snprintf(name, sizeof name, "wchan of a task waiting in %s", cases[i].point);
		CHECKF(name, wchan_is(c, cases[i].point, cases[i].alt, seen, sizeof seen), "%s", seen);
		if (cases[i].how == 0) {
			struct stat st;
			CHECKF("/proc/PID/stack is mode 0400", stat("/proc/self/stack", &st) == 0 &&
				       (st.st_mode & 07777) == 0400, "%o", st.st_mode);
			char stack[4096];
			CHECKF("root reads the wait point in /proc/PID/stack",
			       read_proc(c, "stack", stack, sizeof stack) > 0 && strstr(stack, "pipe_read+0x") &&
				       strncmp(stack, "[<0>] ", 6) == 0,
			       "%s", stack);
		}
		kill(c, SIGKILL);
		MUST(waitpid(c, NULL, 0));
		close(p[0]);
		close(p[1]);
	}
	/* Another user: wchan reads 0, stack is EACCES even for its own. */
	pid_t parent = getpid();
	int sync[2];
	MUST(pipe(sync));
	pid_t c = fork();
	if (c == 0) {
		if (setgid(1000) || setuid(1000))
			_exit(2);
		char b[256];
		int ok = 1;
		for (int i = 0; i < 20; i++) {
			sleep_ms(10);
			if (read_proc(parent, "wchan", b, sizeof b) < 0 || strcmp(b, "0") != 0)
				ok = 0;
		}
		if (read_proc(getpid(), "stack", b, sizeof b) != -1 || errno != EACCES)
			_exit(3);
		_exit(ok ? 0 : 1);
	}
	int status;
	CHECKF("another user sees wchan 0 and no stack of its own", waitpid(c, &status, 0) == c && status == 0,
	       "status %#x", status);
	close(sync[0]);
	close(sync[1]);
}

/* Reads "run_ns wait_ns timeslices\n" from PATH; 0 if it parses. */
static int read_schedstat(const char *path, unsigned long long v[3])
{
	char buf[128];
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0 || buf[n - 1] != '\n')
		return -1;
	buf[n] = 0;
	char end;
	return sscanf(buf, "%llu %llu %llu%c", &v[0], &v[1], &v[2], &end) == 4 && end == '\n' ? 0 : -1;
}

static unsigned long long thread_cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void schedstat(void)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/self/task/%ld/schedstat", (long)syscall(SYS_gettid));
	struct stat st;
	CHECKF("/proc/self/schedstat is mode 0444",
	       stat("/proc/self/schedstat", &st) == 0 && (st.st_mode & 07777) == 0444, "%o", st.st_mode);
	CHECKF("task/TID/schedstat is mode 0444", stat(path, &st) == 0 && (st.st_mode & 07777) == 0444, "%o",
	       st.st_mode);
	unsigned long long a[3], b[3], p[3];
	CHECK("/proc/self/schedstat: three fields", read_schedstat("/proc/self/schedstat", p) == 0);
	CHECK("task/TID/schedstat: three fields", read_schedstat(path, a) == 0);
	CHECKF("schedstat: it has run", a[0] > 0 && a[2] > 0, "%llu %llu", a[0], a[2]);
	/* A busy loop of 200 ms of CPU time. */
	unsigned long long start = thread_cpu_ns();
	volatile unsigned long spin = 0;
	while (thread_cpu_ns() - start < 200000000ULL)
		spin++;
	unsigned long long c1 = thread_cpu_ns();
	int ok = read_schedstat(path, b) == 0;
	unsigned long long c2 = thread_cpu_ns();
	CHECKF("schedstat run_ns grows with a busy loop", ok && b[0] >= a[0] + 150000000ULL, "%llu -> %llu",
	       a[0], b[0]);
	/* Linux updates run_ns at ticks, CLOCK_THREAD_CPUTIME_ID at once. */
	CHECKF("schedstat run_ns close to CLOCK_THREAD_CPUTIME_ID",
	       ok && b[0] + 20000000ULL >= c1 && b[0] <= c2 + 20000000ULL, "run %llu, clock %llu..%llu", b[0], c1,
	       c2);
	for (int i = 0; i < 5; i++)
		usleep(2000);
	ok = read_schedstat(path, a) == 0;
	CHECKF("schedstat timeslices grow with sleeps", ok && a[2] >= b[2] + 5, "%llu -> %llu", b[2], a[2]);
}

/* Field N (from 1) of /proc/self/stat, or -1. */
static long long stat_field(int n)
{
	char buf[1024];
	int fd = open("/proc/self/stat", O_RDONLY);
	if (fd < 0)
		return -1;
	ssize_t len = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (len <= 0)
		return -1;
	buf[len] = 0;
	char *p = strrchr(buf, ')');
	if (!p)
		return -1;
	p += 2; /* field 3 */
	for (int i = 3; i < n; i++) {
		p = strchr(p, ' ');
		if (!p)
			return -1;
		p++;
	}
	return atoll(p);
}

/* Touches 64 new anonymous pages (no huge pages: one fault each). */
static void touch_pages(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	char *m = mmap(NULL, 64 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return;
	madvise(m, 64 * pg, MADV_NOHUGEPAGE);
	for (int i = 0; i < 64; i++)
		((volatile char *)m)[i * pg] = 1;
	munmap(m, 64 * pg);
}

static void *toucher(void *arg)
{
	struct rusage *r = arg;
	struct rusage before;
	getrusage(RUSAGE_THREAD, &before);
	touch_pages();
	getrusage(RUSAGE_THREAD, r);
	r->ru_minflt -= before.ru_minflt;
	return NULL;
}

static void page_faults(void)
{
	struct rusage a, b;
	getrusage(RUSAGE_SELF, &a);
	long long s0 = stat_field(10);
	touch_pages();
	getrusage(RUSAGE_SELF, &b);
	long long s1 = stat_field(10);
	CHECKF("64 touched pages count in ru_minflt", b.ru_minflt - a.ru_minflt >= 64, "%ld -> %ld",
	       a.ru_minflt, b.ru_minflt);
	CHECKF("and in /proc/self/stat's minflt", s0 >= 0 && s1 - s0 >= 64, "%lld -> %lld", s0, s1);
	CHECKF("which agrees with getrusage", s1 >= b.ru_minflt, "stat %lld, rusage %ld", s1,
	       b.ru_minflt);
	struct rusage t;
	pthread_t th;
	if (pthread_create(&th, NULL, toucher, &t) == 0 && pthread_join(th, NULL) == 0)
		CHECKF("a thread's own faults in RUSAGE_THREAD", t.ru_minflt >= 64, "%ld", t.ru_minflt);
	else
		CHECK("a thread's own faults in RUSAGE_THREAD", 0);
	getrusage(RUSAGE_CHILDREN, &a);
	long long c0 = stat_field(11);
	pid_t pid = fork();
	if (pid == 0) {
		touch_pages();
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	getrusage(RUSAGE_CHILDREN, &b);
	long long c1 = stat_field(11);
	CHECKF("a reaped child's faults in RUSAGE_CHILDREN", b.ru_minflt - a.ru_minflt >= 64,
	       "%ld -> %ld", a.ru_minflt, b.ru_minflt);
	CHECKF("and in /proc/self/stat's cminflt", c1 - c0 >= 64, "%lld -> %lld", c0, c1);
}

int main(void)
{
	page_faults();
	io_counts();
	context_switches();
	wait_points();
	schedstat();
	return check_done();
}
