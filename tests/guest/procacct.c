/*
 * Checks per-task accounting in /proc: /proc/PID/io (rchar, wchar, syscr,
 * syscw counted by read, pread64, readv, preadv, write, pwrite64, writev,
 * pwritev, sendfile and copy_file_range as Linux's fs/read_write.c counts
 * them; per thread in task/TID/io; exited threads and reaped children summed
 * into the process; a zombie's counts; mode 0400 and EACCES for another
 * user), and the context-switch counts of /proc/PID/status and getrusage.
 * Nothing is printed between two snapshots, since the output is a write.
 */
#include "check.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/resource.h>
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

int main(void)
{
	io_counts();
	context_switches();
	return check_done();
}
