/*
 * Checks what happens when memory runs out (issue 19, items 6 and 7):
 * /proc/PID/oom_score_adj and oom_adj (range, Linux's rules for who may
 * lower them), oom_score (grows with the resident set, 0 for -1000);
 * pipe-user-pages-soft (a user past it gets 2-page pipes and may not grow
 * them); epoll's max_user_watches (ENOSPC past it); a tmpfs mounted size=600M fills up to what RAM holds and fails
 * with ENOSPC or ENOMEM, its pages counted as Shmem and given back at
 * unlink; 400 pipes of 1 MiB fill up to what RAM holds, writes failing with
 * EAGAIN or ENOMEM only, and (on a small machine: MemTotal up to 512 MiB,
 * as the guest under mem=64M) MemFree drops by what they hold and comes
 * back; 400 Unix stream socketpairs filled to their send buffers fill up
 * to what RAM holds, sends failing with EAGAIN or ENOBUFS only, counted as
 * Slab on a small machine and given back at close; SCM_RIGHTS files in
 * flight past RLIMIT_NOFILE give ETOOMANYREFS (not for root); queued
 * signals past RLIMIT_SIGPENDING: sigqueue and tgkill of a real-time
 * signal give EAGAIN, kill of one and sigqueue of a standard one lose
 * their siginfo, timer_create gives EAGAIN, and taking one makes room;
 * on a small machine root without the limit queues until RAM is used up;
 * and on a small machine the OOM killer: a memory hog beside a small
 * sleeping bystander dies of SIGKILL with Linux's "Out of memory: Killed
 * process N (comm)" in the kernel log, and a small allocating process next
 * to a big sleeping one gets its memory once the big one is killed — init
 * and the bystanders live on.
 *
 * `--hold` (for the boot test that measures the host process): prints
 * "oom: holding tmpfs", "oom: freed tmpfs", "oom: holding pipes" and
 * "oom: freed pipes", "oom: holding sockets" and "oom: freed sockets" and
 * waits for a line on stdin after each.
 */
#include "check.h"

#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <sys/wait.h>

#define PAGE 4096L
#define MIB (1L << 20)
/* An unusual uid, so that the host's users' pipes do not count. */
#define OTHER_UID 54321
#define NPIPES 400
#define NSOCKETS 400

static int hold;

/* Returns the value of FIELD in /proc/meminfo, in KiB. */
static long meminfo(const char *field)
{
	/* A newline first, so that every field follows one. */
	char buf[8192] = "\n";
	int fd = MUST(open("/proc/meminfo", O_RDONLY));
	ssize_t n = MUST(read(fd, buf + 1, sizeof buf - 2));
	close(fd);
	buf[n + 1] = 0;
	char key[64];
	snprintf(key, sizeof key, "\n%s:", field);
	char *at = strstr(buf, key);
	if (!at)
		check_fail("setup", 0, "no %s in /proc/meminfo", field);
	return strtol(at + strlen(key), NULL, 10);
}

/* Returns whether MemTotal is at most 512 MiB: a machine (the guest under a
 * small mem=) where this program's memory is most of what moves MemFree and
 * where the OOM killer may be provoked. On a big host, other programs move
 * MemFree more than the checks could tell from. */
static int small_machine(void)
{
	return meminfo("MemTotal") <= 512 * 1024;
}

/* Reads the number in the proc file PATH; -1 if it cannot. */
static long read_number(const char *path)
{
	char buf[64];
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	return strtol(buf, NULL, 10);
}

/* Writes TEXT to PATH; returns 0 or -1 with errno. */
static int write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, text, strlen(text));
	int e = errno;
	close(fd);
	errno = e;
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

static long self_number(const char *file)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/self/%s", file);
	return read_number(path);
}

static int self_write(const char *file, const char *text)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/self/%s", file);
	return write_text(path, text);
}

/* Waits for PID; returns its status. */
static int wait_status(pid_t pid)
{
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			check_fail("setup", errno, "waitpid %d", pid);
	return st;
}

/* Runs FN in a child; checks it exits 0 (its checks passed). */
static void in_child(const char *name, void (*fn)(void))
{
	pid_t pid = MUST(fork());
	if (pid == 0) {
		fn();
		_exit(0);
	}
	int st = wait_status(pid);
	CHECKF(name, WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %#x", st);
}

/* Runs FN in a child as OTHER_UID; checks it exits 0 (its checks passed). */
static void as_other_user(const char *name, void (*fn)(void))
{
	pid_t pid = MUST(fork());
	if (pid == 0) {
		if (setresgid(OTHER_UID, OTHER_UID, OTHER_UID) || setresuid(OTHER_UID, OTHER_UID, OTHER_UID))
			check_fail("setup", errno, "setresuid");
		/* Changing ids made the process undumpable, which gives its
		 * /proc files to root. */
		MUST(prctl(PR_SET_DUMPABLE, 1));
		fn();
		_exit(0);
	}
	int st = wait_status(pid);
	CHECKF(name, WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %#x", st);
}

/* Waits for a line on stdin in --hold mode, after printing MARKER. */
static void pause_for_host(const char *marker)
{
	if (!hold)
		return;
	check_printf("%s\n", marker);
	char c;
	while (read(0, &c, 1) == 1 && c != '\n')
		;
}

/* Returns whether this process has CAP_SYS_RESOURCE (root in the guest
 * has; root in a container may not). */
static int cap_sys_resource(void)
{
	char buf[4096];
	int fd = MUST(open("/proc/self/status", O_RDONLY));
	ssize_t n = MUST(read(fd, buf, sizeof buf - 1));
	close(fd);
	buf[n] = 0;
	char *at = strstr(buf, "CapEff:");
	return at && (strtoull(at + 7, NULL, 16) >> 24 & 1);
}

static void unprivileged_adj(void)
{
	CHECK("a user may raise its oom_score_adj", self_write("oom_score_adj", "100") == 0);
	CHECK("it reads back", self_number("oom_score_adj") == 100);
	CHECK("and lower it down to oom_score_adj_min", self_write("oom_score_adj", "0") == 0);
	CHECK_ERRNO("but not below", self_write("oom_score_adj", "-1"), EACCES);
	CHECK("oom_adj 15 is oom_score_adj 1000", self_write("oom_adj", "15") == 0 &&
	      self_number("oom_score_adj") == 1000 && self_number("oom_adj") == 15);
	CHECK_ERRNO("oom_adj may not go below the current value", self_write("oom_adj", "14"), EACCES);
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/oom_score_adj", getppid());
	CHECK_ERRNO("root's oom_score_adj is not another user's to write", write_text(path, "5"), EACCES);
	_exit(0);
}

/* A -1000 process scores 0; root may lower another process's setting. */
static void lowered_scores(void)
{
	int go[2], ready[2];
	MUST(pipe(go));
	MUST(pipe(ready));
	pid_t pid = MUST(fork());
	if (pid == 0) {
		char c;
		self_write("oom_score_adj", "-1000");
		MUST(write(ready[1], "r", 1));
		read(go[0], &c, 1);
		_exit(0);
	}
	char c;
	MUST(read(ready[0], &c, 1));
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/oom_score", pid);
	CHECK("oom_score of a -1000 process is 0", read_number(path) == 0);
	snprintf(path, sizeof path, "/proc/%d/oom_score_adj", pid);
	CHECK("root may lower another process's oom_score_adj", write_text(path, "-999") == 0 &&
	      read_number(path) == -999);
	MUST(write(go[1], "x", 1));
	wait_status(pid);
	for (int i = 0; i < 2; i++) {
		close(go[i]);
		close(ready[i]);
	}
}

static void rss_scores(void)
{
	long before = self_number("oom_score");
	long touch = meminfo("MemTotal") * 1024 / 32;
	if (touch > 256 * MIB)
		touch = 256 * MIB;
	char *m = mmap(NULL, touch, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		check_fail("setup", errno, "mmap");
	memset(m, 1, touch);
	long after = self_number("oom_score");
	CHECKF("oom_score grows with the resident set", after > before, "%ld then %ld", before, after);
	MUST(self_write("oom_score_adj", "1000"));
	long most = self_number("oom_score");
	CHECKF("oom_score_adj 1000 adds about 1000 thirds of 2", most >= 1300 && most <= 2000, "%ld", most);
	MUST(self_write("oom_score_adj", "0"));
	munmap(m, touch);
}

static void test_oom_score_adj(void)
{
	CHECK("oom_score_adj starts at 0 or what the parent had", self_number("oom_score_adj") >= -1000);
	CHECK("root sets oom_score_adj 0", self_write("oom_score_adj", "0") == 0);
	CHECK("oom_score_adj reads 0", self_number("oom_score_adj") == 0);
	CHECK_ERRNO("1001 is EINVAL", self_write("oom_score_adj", "1001"), EINVAL);
	CHECK_ERRNO("-1001 is EINVAL", self_write("oom_score_adj", "-1001"), EINVAL);
	CHECK_ERRNO("a word is EINVAL", self_write("oom_score_adj", "many"), EINVAL);
	CHECK_ERRNO("oom_adj 16 is EINVAL", self_write("oom_adj", "16"), EINVAL);
	int privileged = cap_sys_resource();
	if (privileged) {
		CHECK("oom_adj -17 is oom_score_adj -1000", self_write("oom_adj", "-17") == 0 &&
		      self_number("oom_score_adj") == -1000 && self_number("oom_adj") == -17);
		CHECK("root sets oom_score_adj 0 again", self_write("oom_score_adj", "0") == 0);
	} else {
		CHECK_ERRNO("without CAP_SYS_RESOURCE root may not lower oom_adj", self_write("oom_adj", "-17"),
			    EACCES);
	}
	as_other_user("uid 54321 follows Linux's oom_score_adj rules", unprivileged_adj);
	if (privileged)
		lowered_scores();
	else
		check_printf("skip lowering oom_score_adj: no CAP_SYS_RESOURCE\n");

	/* Init is never chosen (its score is 0): a child shows the scores. */
	in_child("oom_score follows the resident set and oom_score_adj", rss_scores);
}

static void soft_limited_pipes(void)
{
	int fds[5][2];
	for (int i = 0; i < 5; i++)
		MUST(pipe(fds[i]));
	int ok = 1;
	for (int i = 0; i < 4; i++)
		ok &= fcntl(fds[i][0], F_GETPIPE_SZ) == 16 * PAGE;
	CHECK("pipes up to the soft limit get 16 pages", ok);
	CHECKF("the pipe past it gets 2", fcntl(fds[4][0], F_GETPIPE_SZ) == 2 * PAGE, "%d",
	       fcntl(fds[4][0], F_GETPIPE_SZ));
	CHECK_ERRNO("a pipe may not grow past it", fcntl(fds[0][0], F_SETPIPE_SZ, 32 * PAGE), EPERM);
	CHECK("but may shrink", fcntl(fds[0][0], F_SETPIPE_SZ, PAGE) == PAGE);
	_exit(0);
}

static void test_pipe_soft_limit(void)
{
	long old = read_number("/proc/sys/fs/pipe-user-pages-soft");
	CHECKF("pipe-user-pages-soft is 16384", old == 16384, "%ld", old);
	CHECK("root sets it to 64", write_text("/proc/sys/fs/pipe-user-pages-soft", "64") == 0);
	as_other_user("a user past pipe-user-pages-soft gets small pipes", soft_limited_pipes);
	char text[32];
	snprintf(text, sizeof text, "%ld", old);
	MUST(write_text("/proc/sys/fs/pipe-user-pages-soft", text));
}

static void limited_epoll_watches(void)
{
	int ep = MUST(epoll_create1(0));
	int p[2];
	MUST(pipe(p));
	int ok = 1;
	for (int i = 0; i < 3; i++) {
		struct epoll_event ev = { .events = EPOLLIN };
		ok &= epoll_ctl(ep, EPOLL_CTL_ADD, MUST(dup(p[0])), &ev) == 0;
	}
	CHECK("epoll entries up to max_user_watches", ok);
	struct epoll_event ev = { .events = EPOLLIN };
	CHECK_ERRNO("one more is ENOSPC", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev), ENOSPC);
	_exit(0);
}

static void test_epoll_watches(void)
{
	long old = read_number("/proc/sys/fs/epoll/max_user_watches");
	CHECKF("max_user_watches is about 4%% of RAM over 184 bytes",
	       old > meminfo("MemTotal") * 1024 / 25 / 200 && old < meminfo("MemTotal") * 1024 / 25 / 170, "%ld", old);
	CHECK("root sets it to 3", write_text("/proc/sys/fs/epoll/max_user_watches", "3") == 0);
	as_other_user("a user's epoll entries are bounded by max_user_watches", limited_epoll_watches);
	char text[32];
	snprintf(text, sizeof text, "%ld", old);
	MUST(write_text("/proc/sys/fs/epoll/max_user_watches", text));
}

/* Forks a process named NAME that touches KIB KiB and then sleeps until
 * it reads a byte from *GO (or its end closes), checks its memory and
 * exits 0 (3 if the memory changed). */
static pid_t sleeper(const char *name, long kib, int go[2])
{
	MUST(pipe(go));
	pid_t pid = MUST(fork());
	if (pid == 0) {
		prctl(PR_SET_NAME, name);
		close(go[1]);
		char *m = mmap(NULL, kib * 1024, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED)
			_exit(2);
		for (long i = 0; i < kib * 1024; i += PAGE)
			m[i] = (char)(i / PAGE);
		char c;
		read(go[0], &c, 1);
		for (long i = 0; i < kib * 1024; i += PAGE)
			if (m[i] != (char)(i / PAGE))
				_exit(3);
		_exit(0);
	}
	close(go[0]);
	return pid;
}

/* Returns whether the kernel log has "Out of memory: Killed process PID (COMM)". */
static int logged_kill(pid_t pid, const char *comm)
{
	static char buf[1 << 20];
	int n = klogctl(3, buf, sizeof buf - 1);
	if (n < 0)
		return 0;
	buf[n] = 0;
	char want[96];
	snprintf(want, sizeof want, "Out of memory: Killed process %d (%s)", pid, comm);
	return strstr(buf, want) != NULL;
}

static long vmstat_oom_kill(void)
{
	char buf[16384];
	int fd = open("/proc/vmstat", O_RDONLY);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	char *at = strstr(buf, "\noom_kill ");
	return at ? strtol(at + 10, NULL, 10) : -1;
}

static void test_oom_killer(void)
{
	long total_kib = meminfo("MemTotal");
	if (!small_machine()) {
		check_printf("skip the OOM killer: MemTotal %ld kB is more than 512 MiB\n", total_kib);
		return;
	}
	long kills = vmstat_oom_kill();

	/* A hog beside a small sleeping bystander. */
	int go[2];
	pid_t bystander = sleeper("oom-bystander", 1024, go);
	pid_t hog = MUST(fork());
	if (hog == 0) {
		prctl(PR_SET_NAME, "oom-hog");
		for (;;) {
			char *m = mmap(NULL, MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (m == MAP_FAILED)
				_exit(2);
			for (long i = 0; i < MIB; i += PAGE)
				m[i] = 1;
		}
	}
	int st = wait_status(hog);
	CHECKF("the hog dies of SIGKILL", WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "status %#x", st);
	CHECK("the kernel log says Out of memory: Killed process N (oom-hog)", logged_kill(hog, "oom-hog"));
	CHECK("the bystander lives", kill(bystander, 0) == 0 && waitpid(bystander, &st, WNOHANG) == 0);
	MUST(write(go[1], "x", 1));
	close(go[1]);
	st = wait_status(bystander);
	CHECKF("the bystander's memory is intact and it exits", WIFEXITED(st) && WEXITSTATUS(st) == 0,
	       "status %#x", st);

	/* A big process asleep and a small one that allocates: the big one
	 * goes, the small one gets its memory. */
	pid_t big = sleeper("oom-big", total_kib * 5 / 8, go);
	int ready[2];
	MUST(pipe(ready));
	pid_t small = MUST(fork());
	if (small == 0) {
		prctl(PR_SET_NAME, "oom-small");
		char c;
		close(ready[1]);
		read(ready[0], &c, 1);
		long len = total_kib * 1024 / 2;
		char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED)
			_exit(2);
		for (long i = 0; i < len; i += PAGE)
			m[i] = 7;
		for (long i = 0; i < len; i += PAGE)
			if (m[i] != 7)
				_exit(3);
		_exit(0);
	}
	close(ready[0]);
	/* Let the big one touch its memory first. */
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/statm", big);
	for (int i = 0; i < 1000; i++) {
		FILE *f = fopen(path, "r");
		long size = 0, resident = 0;
		if (f) {
			if (fscanf(f, "%ld %ld", &size, &resident) != 2)
				resident = 0;
			fclose(f);
		}
		if (resident * 4 >= total_kib * 5 / 8)
			break;
		sleep_ms(10);
	}
	MUST(write(ready[1], "x", 1));
	close(ready[1]);
	st = wait_status(small);
	CHECKF("the small allocating process gets its memory", WIFEXITED(st) && WEXITSTATUS(st) == 0,
	       "status %#x", st);
	st = wait_status(big);
	CHECKF("the big sleeping process was killed", WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
	       "status %#x", st);
	CHECK("the kernel log names it", logged_kill(big, "oom-big"));
	close(go[1]);
	long now = vmstat_oom_kill();
	CHECKF("/proc/vmstat counts the kills", kills < 0 || now >= kills + 2, "%ld then %ld", kills, now);
}

static void test_tmpfs_bound(void)
{
	const char *dir = "/tmp/oom-big";
	mkdir(dir, 0755);
	MUST(mount("none", dir, "tmpfs", 0, "size=600M"));
	long total = meminfo("MemTotal") * 1024;
	long shmem0 = meminfo("Shmem");
	long free0 = meminfo("MemFree");
	int fd = MUST(open("/tmp/oom-big/fill", O_RDWR | O_CREAT, 0600));
	static char chunk[1 << 20];
	memset(chunk, 0x5a, sizeof chunk);
	long written = 0;
	ssize_t n;
	while ((n = write(fd, chunk, sizeof chunk)) > 0)
		written += n;
	int err = errno;
	long limit = total < 600 * MIB ? total : 600 * MIB;
	CHECKF("filling a size=600M tmpfs stops with ENOSPC or ENOMEM", n < 0 && (err == ENOSPC || err == ENOMEM),
	       "write returned %zd", n);
	CHECKF("it holds at most what RAM and size= allow, and at least half of it",
	       written <= limit && written >= limit / 2, "%ld MiB of %ld", written / MIB, limit / MIB);
	long shmem = meminfo("Shmem");
	CHECKF("its pages count as Shmem", (shmem - shmem0) * 1024 >= written * 9 / 10,
	       "Shmem %ld kB then %ld kB for %ld kB", shmem0, shmem, written / 1024);
	if (small_machine())
		CHECKF("and MemFree drops", (free0 - meminfo("MemFree")) * 1024 >= written * 9 / 10,
		       "MemFree was %ld kB", free0);
	char back[64];
	CHECK("the data reads back", pread(fd, back, sizeof back, written / 2) == sizeof back && back[0] == 0x5a);
	check_printf("oom: tmpfs holds %ld MiB\n", written / MIB);
	pause_for_host("oom: holding tmpfs");
	close(fd);
	MUST(unlink("/tmp/oom-big/fill"));
	MUST(umount(dir));
	rmdir(dir);
	CHECKF("unlink gives the pages back", (shmem - meminfo("Shmem")) * 1024 >= written * 9 / 10,
	       "Shmem %ld kB", meminfo("Shmem"));
	pause_for_host("oom: freed tmpfs");
}

static void test_pipes_bound(void)
{
	static int fds[NPIPES][2];
	static char chunk[64 * 1024];
	memset(chunk, 0x33, sizeof chunk);
	long total = meminfo("MemTotal") * 1024;
	long free0 = meminfo("MemFree");
	long held = 0;
	int enomem = 0, other = 0, other_errno = 0;
	for (int i = 0; i < NPIPES; i++) {
		MUST(pipe2(fds[i], O_NONBLOCK));
		if (fcntl(fds[i][1], F_SETPIPE_SZ, MIB) != MIB)
			check_fail("setup", errno, "F_SETPIPE_SZ 1 MiB on pipe %d", i);
		for (;;) {
			ssize_t n = write(fds[i][1], chunk, sizeof chunk);
			if (n > 0) {
				held += n;
				continue;
			}
			if (errno == ENOMEM)
				enomem++;
			else if (errno != EAGAIN) {
				other++;
				other_errno = errno;
			}
			break;
		}
	}
	CHECKF("writes to 400 pipes of 1 MiB fail with EAGAIN or ENOMEM only", other == 0,
	       "%d other errors, the last %s", other, strerrorname_np(other_errno));
	CHECKF("they hold at most RAM", held <= total, "%ld MiB", held / MIB);
	CHECKF("and everything when RAM is big enough", held == NPIPES * MIB || enomem > 0,
	       "%ld MiB, %d ENOMEM", held / MIB, enomem);
	if (small_machine())
		CHECKF("MemFree drops by what they hold", (free0 - meminfo("MemFree")) * 1024 >= held * 9 / 10,
		       "MemFree was %ld kB, now %ld kB, %ld kB held", free0, meminfo("MemFree"), held / 1024);
	check_printf("oom: pipes hold %ld MiB (%d writes ENOMEM)\n", held / MIB, enomem);
	pause_for_host("oom: holding pipes");
	char got[64 * 1024];
	CHECK("the data reads back", read(fds[0][0], got, sizeof got) == sizeof got && got[0] == 0x33);
	long before = meminfo("MemFree");
	for (int i = 0; i < NPIPES; i++) {
		close(fds[i][0]);
		close(fds[i][1]);
	}
	if (small_machine())
		CHECKF("closing them gives the pages back", (meminfo("MemFree") - before) * 1024 >= held * 9 / 10,
		       "MemFree %ld kB then %ld kB", before, meminfo("MemFree"));
	pause_for_host("oom: freed pipes");
}

static void test_sockets_bound(void)
{
	static int fds[NSOCKETS][2];
	static char chunk[64 * 1024];
	memset(chunk, 0x44, sizeof chunk);
	long total = meminfo("MemTotal") * 1024;
	long free0 = meminfo("MemFree");
	long slab0 = meminfo("Slab");
	long held = 0;
	int enobufs = 0, other = 0, other_errno = 0;
	for (int i = 0; i < NSOCKETS; i++) {
		MUST(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds[i]));
		for (;;) {
			ssize_t n = send(fds[i][0], chunk, sizeof chunk, 0);
			if (n > 0) {
				held += n;
				continue;
			}
			if (errno == ENOBUFS)
				enobufs++;
			else if (errno != EAGAIN) {
				other++;
				other_errno = errno;
			}
			break;
		}
	}
	int sndbuf;
	socklen_t len = sizeof sndbuf;
	MUST(getsockopt(fds[0][0], SOL_SOCKET, SO_SNDBUF, &sndbuf, &len));
	CHECKF("sends to 400 full socketpairs fail with EAGAIN or ENOBUFS only", other == 0,
	       "%d other errors, the last %s", other, strerrorname_np(other_errno));
	CHECKF("they hold at most RAM", held <= total, "%ld MiB", held / MIB);
	CHECKF("and a send buffer each when RAM is big enough", held >= (long)NSOCKETS * sndbuf / 2 || enobufs > 0,
	       "%ld MiB, %d ENOBUFS", held / MIB, enobufs);
	if (small_machine()) {
		CHECKF("on a small machine RAM runs out first", enobufs > 0, "%ld MiB held", held / MIB);
		CHECKF("MemFree drops by what they hold", (free0 - meminfo("MemFree")) * 1024 >= held * 9 / 10,
		       "MemFree was %ld kB, now %ld kB, %ld kB held", free0, meminfo("MemFree"), held / 1024);
		CHECKF("counted as Slab", (meminfo("Slab") - slab0) * 1024 >= held * 9 / 10,
		       "Slab %ld kB then %ld kB", slab0, meminfo("Slab"));
	}
	check_printf("oom: sockets hold %ld MiB (%d sends ENOBUFS)\n", held / MIB, enobufs);
	pause_for_host("oom: holding sockets");
	char got[64 * 1024];
	CHECK("the data reads back",
	      recv(fds[0][1], got, sizeof got, MSG_WAITALL) == sizeof got && got[0] == 0x44);
	long before = meminfo("MemFree");
	for (int i = 0; i < NSOCKETS; i++) {
		close(fds[i][0]);
		close(fds[i][1]);
	}
	if (small_machine()) {
		CHECKF("closing them gives the memory back", (meminfo("MemFree") - before) * 1024 >= held * 9 / 10,
		       "MemFree %ld kB then %ld kB", before, meminfo("MemFree"));
		CHECKF("and Slab drops", meminfo("Slab") * 1024 <= slab0 * 1024 + held / 10, "Slab %ld kB",
		       meminfo("Slab"));
	}
	pause_for_host("oom: freed sockets");
}

/* Sends one byte with FD in SCM_RIGHTS on SOCK; returns sendmsg's result. */
static ssize_t send_fd(int sock, int fd)
{
	char c = 'f';
	struct iovec iov = {&c, 1};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
	struct cmsghdr *h = CMSG_FIRSTHDR(&m);
	h->cmsg_level = SOL_SOCKET;
	h->cmsg_type = SCM_RIGHTS;
	h->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(h), &fd, sizeof fd);
	return sendmsg(sock, &m, MSG_DONTWAIT);
}

/* Sends files on a socketpair until it fails (at most 100); returns how
 * many went, errno set by the failure. */
static int fill_with_files(int sp[2])
{
	MUST(socketpair(AF_UNIX, SOCK_STREAM, 0, sp));
	int n = 0;
	while (n < 100 && send_fd(sp[0], 0) == 1)
		n++;
	return n;
}

static void limited_inflight_files(void)
{
	struct rlimit r = {16, 16};
	MUST(setrlimit(RLIMIT_NOFILE, &r));
	int sp[2];
	int n = fill_with_files(sp);
	int err = errno;
	CHECKF("a user may have RLIMIT_NOFILE + 1 files in flight", n == 17, "%d went", n);
	CHECKF("one more is ETOOMANYREFS", err == ETOOMANYREFS, "errno %s", strerrorname_np(err));
	char c;
	CHECK("receiving one", recv(sp[1], &c, 1, 0) == 1);
	CHECK("makes room for one more", send_fd(sp[0], 0) == 1);
	CHECK_ERRNO("but not two", send_fd(sp[0], 0), ETOOMANYREFS);
	close(sp[0]);
	close(sp[1]);
	int n2 = fill_with_files(sp);
	CHECKF("closing the sockets takes them out of flight", n2 == 17, "%d went", n2);
	close(sp[0]);
	close(sp[1]);
}

static void test_inflight_files(void)
{
	as_other_user("SCM_RIGHTS in flight past RLIMIT_NOFILE", limited_inflight_files);
	if (!cap_sys_resource())
		return;
	struct rlimit old, r = {16, 16};
	MUST(getrlimit(RLIMIT_NOFILE, &old));
	MUST(setrlimit(RLIMIT_NOFILE, &r));
	int sp[2];
	int n = fill_with_files(sp);
	CHECKF("root is not limited", n == 100, "%d went (%s)", n, strerrorname_np(errno));
	close(sp[0]);
	close(sp[1]);
	MUST(setrlimit(RLIMIT_NOFILE, &old));
}

static void limited_sigpending(void)
{
	struct rlimit r = {4, 4};
	MUST(setrlimit(RLIMIT_SIGPENDING, &r));
	int rt = SIGRTMIN, rt1 = SIGRTMIN + 1;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, rt);
	sigaddset(&set, rt1);
	sigaddset(&set, SIGUSR1);
	MUST(sigprocmask(SIG_BLOCK, &set, NULL));
	union sigval v = {.sival_int = 7};
	int ok = 1;
	for (int i = 0; i < 4; i++)
		ok &= sigqueue(getpid(), rt, v) == 0;
	CHECK("RLIMIT_SIGPENDING signals queue", ok);
	CHECK_ERRNO("sigqueue of one more is EAGAIN", sigqueue(getpid(), rt, v), EAGAIN);
	CHECK_ERRNO("and tgkill of a real-time signal", syscall(SYS_tgkill, getpid(), gettid(), rt1), EAGAIN);
	CHECK("kill of a real-time signal succeeds", kill(getpid(), rt1) == 0);
	CHECK("sigqueue of a standard signal succeeds", sigqueue(getpid(), SIGUSR1, v) == 0);
	timer_t timer;
	CHECK_ERRNO("timer_create is EAGAIN", timer_create(CLOCK_MONOTONIC, NULL, &timer), EAGAIN);
	struct timespec zero = {0, 0};
	siginfo_t si;
	sigset_t one;
	sigemptyset(&one);
	sigaddset(&one, rt1);
	CHECK("the kill came without its siginfo",
	      sigtimedwait(&one, &si, &zero) == rt1 && si.si_code == SI_USER && si.si_pid == 0);
	sigemptyset(&one);
	sigaddset(&one, SIGUSR1);
	CHECK("and so did the standard signal",
	      sigtimedwait(&one, &si, &zero) == SIGUSR1 && si.si_code == SI_USER && si.si_value.sival_int == 0);
	sigemptyset(&one);
	sigaddset(&one, rt);
	CHECK("a queued one is taken with its value",
	      sigtimedwait(&one, &si, &zero) == rt && si.si_code == SI_QUEUE && si.si_value.sival_int == 7);
	CHECK("which makes room for a timer", timer_create(CLOCK_MONOTONIC, NULL, &timer) == 0);
	CHECK_ERRNO("that holds it", sigqueue(getpid(), rt, v), EAGAIN);
	MUST(timer_delete(timer));
	CHECK("until deleted", sigqueue(getpid(), rt, v) == 0);
}

/* With no RLIMIT_SIGPENDING, queues real-time signals until sigqueue
 * fails; exits 0 if that was EAGAIN with at most RAM queued. */
static void unlimited_sigpending(void)
{
	struct rlimit r = {RLIM_INFINITY, RLIM_INFINITY};
	MUST(setrlimit(RLIMIT_SIGPENDING, &r));
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN);
	MUST(sigprocmask(SIG_BLOCK, &set, NULL));
	long total = meminfo("MemTotal") * 1024, free0 = meminfo("MemFree"), n = 0;
	union sigval v = {.sival_int = 1};
	while (n < total / 128 && sigqueue(getpid(), SIGRTMIN, v) == 0)
		n++;
	int err = errno;
	CHECKF("without RLIMIT_SIGPENDING, RAM bounds the queue: EAGAIN", n < total / 128 && err == EAGAIN,
	       "%ld queued, errno %s", n, strerrorname_np(err));
	CHECKF("and MemFree drops by what they hold", (free0 - meminfo("MemFree")) * 1024 >= n * 128,
	       "%ld queued, MemFree %ld kB then %ld kB", n, free0, meminfo("MemFree"));
}

static void test_sigpending_limit(void)
{
	as_other_user("queued signals past RLIMIT_SIGPENDING", limited_sigpending);
	if (!small_machine() || !cap_sys_resource())
		return;
	long free0 = meminfo("MemFree");
	in_child("root's unlimited queue is bounded by RAM", unlimited_sigpending);
	CHECKF("and given back when the process goes", meminfo("MemFree") * 1024 + 4 * MIB >= free0 * 1024,
	       "MemFree %ld kB then %ld kB", free0, meminfo("MemFree"));
}

int main(int argc, char **argv)
{
	hold = argc > 1 && strcmp(argv[1], "--hold") == 0;
	int go[2];
	pid_t bystander = sleeper("oom-watcher", 256, go);
	if (!hold) {
		test_oom_score_adj();
		test_pipe_soft_limit();
		test_epoll_watches();
		test_inflight_files();
		test_sigpending_limit();
	}
	test_tmpfs_bound();
	test_pipes_bound();
	test_sockets_bound();
	if (!hold)
		test_oom_killer();
	CHECK("a bystander lived through it all", kill(bystander, 0) == 0);
	MUST(write(go[1], "x", 1));
	int st = wait_status(bystander);
	CHECKF("and its memory is intact", WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %#x", st);
	return check_done();
}
