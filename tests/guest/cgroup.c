/*
 * cgroup v2. The test moves into a mount namespace of its own, mounts
 * cgroup2 on a directory of /tmp and makes a group below the one it is
 * in: cgroup.procs and /proc/PID/cgroup, cgroup.events' populated seen by
 * inotify and poll, EBUSY for removing a populated group, cgroup.kill,
 * cgroup.freeze stopping a busy child and letting it go, cgroup.stat,
 * delegation by chown to a user who then moves its own process, EACCES
 * without it, and garbage written to the files (EINVAL, ERANGE, ESRCH).
 * With `--controllers` (this kernel) the pids, memory and cpu controllers
 * must be there: pids.max refusing a fork with EAGAIN, memory.max killing
 * a process that passes it, cpu.weight's range and cpu.weight.nice, and
 * the rules of cgroup.subtree_control. Natively the controllers are
 * checked where the host's unified hierarchy has them.
 */
#include "check.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define MNT "/tmp/cgroup-test"

static char top[512]; /* the group the test runs in, under MNT */
static char grp[600]; /* the group it makes */

static int write_file(const char *dir, const char *file, const char *text)
{
	char path[700];
	snprintf(path, sizeof path, "%s/%s", dir, file);
	int fd = open(path, O_WRONLY);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, text, strlen(text));
	int e = errno;
	close(fd);
	errno = e;
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

static const char *read_file(const char *dir, const char *file)
{
	static char text[4096];
	char path[700];
	snprintf(path, sizeof path, "%s/%s", dir, file);
	int fd = open(path, O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, text, sizeof text - 1) : -1;
	if (fd >= 0)
		close(fd);
	text[n > 0 ? n : 0] = 0;
	return text;
}

static int has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (!strncmp(p, line, n) && (p[n] == '\n' || p[n] == 0))
			return 1;
	return 0;
}

static int move(const char *dir, pid_t pid)
{
	char s[32];
	snprintf(s, sizeof s, "%d", pid);
	return write_file(dir, "cgroup.procs", s);
}

static pid_t sleeper(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		for (;;)
			pause();
	}
	return pid;
}

static int populated(const char *dir)
{
	return has_line(read_file(dir, "cgroup.events"), "populated 1");
}

/* A child that counts in shared memory for the freezer check. */
static volatile long *counter;

static pid_t counting_child(void)
{
	pid_t pid = fork();
	if (pid == 0)
		for (;;)
			(*counter)++;
	return pid;
}

static int controllers_checks(int required)
{
	const char *avail = read_file(MNT, "cgroup.controllers");
	int have = strstr(avail, "pids") && strstr(avail, "memory") && strstr(avail, "cpu");
	if (!have) {
		CHECKF("the controllers are there", !required, "root has '%s'", avail);
		return 0;
	}
	/* Controllers reach the test's group only through every group above
	 * it; natively that is the host's business, so use the root's
	 * children: a group right below the root. */
	char g[700];
	snprintf(g, sizeof g, MNT "/cgroup-test-ctl");
	rmdir(g);
	MUST(mkdir(g, 0755));
	CHECK_SYS("+pids +memory +cpu in the root's subtree_control",
		  write_file(MNT, "cgroup.subtree_control", "+pids +memory +cpu"));
	CHECK("the group has pids.max", access(MNT "/cgroup-test-ctl/pids.max", F_OK) == 0);
	CHECK_ERRNO("an unknown controller is EINVAL", write_file(MNT, "cgroup.subtree_control", "+bogus"),
		    EINVAL);
	CHECK_ERRNO("a word without + or - is EINVAL", write_file(MNT, "cgroup.subtree_control", "pids"), EINVAL);

	CHECK_SYS("pids.max 2", write_file(g, "pids.max", "2"));
	CHECK_ERRNO("pids.max -1 is EINVAL", write_file(g, "pids.max", "-1"), EINVAL);
	int ready[2];
	MUST(pipe(ready));
	pid_t pid = fork();
	if (pid == 0) {
		char c;
		read(ready[0], &c, 1);
		pid_t a = fork();
		if (a == 0) {
			pause();
			_exit(0);
		}
		pid_t b = fork();
		int refused = b == -1 && errno == EAGAIN;
		if (b == 0)
			_exit(0);
		kill(a, SIGKILL);
		_exit(a > 0 && refused ? 0 : 1);
	}
	MUST(move(g, pid));
	write(ready[1], "x", 1);
	int status;
	waitpid(pid, &status, 0);
	CHECKF("pids.max refuses the third task with EAGAIN", WIFEXITED(status) && WEXITSTATUS(status) == 0,
	       "status %#x", status);
	CHECK("pids.events counts it", has_line(read_file(g, "pids.events"), "max 1"));
	MUST(write_file(g, "pids.max", "max"));

	CHECK_SYS("memory.max 8M", write_file(g, "memory.max", "8M"));
	CHECK("reads back in bytes", has_line(read_file(g, "memory.max"), "8388608"));
	pid = fork();
	if (pid == 0) {
		char c;
		read(ready[0], &c, 1);
		size_t len = 64 << 20;
		char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		for (size_t i = 0; i < len; i += 4096)
			m[i] = 1;
		_exit(0);
	}
	MUST(move(g, pid));
	write(ready[1], "x", 1);
	waitpid(pid, &status, 0);
	CHECKF("a process past memory.max is killed", WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
	       "status %#x", status);
	const char *ev = read_file(g, "memory.events");
	CHECKF("memory.events counts the kill", strstr(ev, "oom_kill 1") != NULL, "%s", ev);
	MUST(write_file(g, "memory.max", "max"));

	pid = sleeper();
	MUST(move(g, pid));
	long cur = atol(read_file(g, "memory.current"));
	CHECKF("memory.current counts a member's memory", cur > 0, "%ld", cur);
	CHECK("pids.current counts it", atol(read_file(g, "pids.current")) == 1);
	CHECK_ERRNO("subtree_control of a group with processes is EBUSY",
		    write_file(g, "cgroup.subtree_control", "+pids"), EBUSY);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);

	CHECK("cpu.weight is 100", has_line(read_file(g, "cpu.weight"), "100"));
	CHECK_ERRNO("cpu.weight 0 is ERANGE", write_file(g, "cpu.weight", "0"), ERANGE);
	CHECK_ERRNO("cpu.weight 10001 is ERANGE", write_file(g, "cpu.weight", "10001"), ERANGE);
	CHECK_SYS("cpu.weight.nice 5", write_file(g, "cpu.weight.nice", "5"));
	CHECK("is cpu.weight 33", has_line(read_file(g, "cpu.weight"), "33"));
	CHECK("and reads back 5", has_line(read_file(g, "cpu.weight.nice"), "5"));
	CHECK_ERRNO("cpu.weight.nice 20 is ERANGE", write_file(g, "cpu.weight.nice", "20"), ERANGE);

	char sub[800];
	snprintf(sub, sizeof sub, "%s/sub", g);
	MUST(mkdir(sub, 0755));
	CHECK_SYS("a group may give pids to its children", write_file(g, "cgroup.subtree_control", "+pids"));
	CHECK("the child has it", has_line(read_file(sub, "cgroup.controllers"), "pids"));
	pid = sleeper();
	CHECK_ERRNO("no process may join a group that gives controllers", move(g, pid), EBUSY);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	CHECK_ERRNO("the root keeps a controller a child gives", write_file(MNT, "cgroup.subtree_control", "-pids"),
		    EBUSY);
	MUST(rmdir(sub));
	MUST(write_file(g, "cgroup.subtree_control", "-pids"));
	MUST(rmdir(g));
	return 0;
}

int main(int argc, char **argv)
{
	int required = argc > 1 && !strcmp(argv[1], "--controllers");
	CHECK_SYS("unshare(CLONE_NEWNS)", unshare(CLONE_NEWNS));
	MUST(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL));
	mkdir(MNT, 0755);
	CHECK_SYS("mount -t cgroup2", mount("none", MNT, "cgroup2", 0, NULL));
	CHECK_ERRNO("an unknown option is EINVAL", mount("none", "/tmp", "cgroup2", 0, "bogus"), EINVAL);
	CHECK("the root has cgroup.procs", access(MNT "/cgroup.procs", F_OK) == 0);
	CHECK("and no cgroup.events", access(MNT "/cgroup.events", F_OK) == -1 && errno == ENOENT);
	const char *self = read_file("/proc/self", "cgroup");
	const char *line = strstr(self, "0::/");
	CHECKF("/proc/self/cgroup has the unified line", line && (line == self || line[-1] == '\n'), "%s", self);
	int len = (int)strcspn(line + 3, "\n");
	snprintf(top, sizeof top, MNT "%.*s", len == 1 ? 0 : len, line + 3);
	snprintf(grp, sizeof grp, "%s/cgroup-test-%d", top, getpid());
	CHECK_SYS("mkdir makes a group", mkdir(grp, 0755));
	CHECK_ERRNO("twice is EEXIST", mkdir(grp, 0755), EEXIST);
	CHECK("with cgroup.events", has_line(read_file(grp, "cgroup.events"), "populated 0"));
	CHECK("of type domain", has_line(read_file(grp, "cgroup.type"), "domain"));
	CHECK("counted in cgroup.stat above", strstr(read_file(top, "cgroup.stat"), "nr_descendants ") != NULL);

	int in = inotify_init1(IN_NONBLOCK);
	char events[700];
	snprintf(events, sizeof events, "%s/cgroup.events", grp);
	MUST(inotify_add_watch(in, events, IN_MODIFY));
	int evfd = open(events, O_RDONLY);
	MUST(read(evfd, (char[64]){ 0 }, 64));

	pid_t pid = sleeper();
	CHECK_SYS("writing a pid to cgroup.procs", move(grp, pid));
	char path[64], want[800];
	snprintf(path, sizeof path, "/proc/%d", pid);
	snprintf(want, sizeof want, "0::%s\n", grp + strlen(MNT));
	CHECKF("moves it", strstr(read_file(path, "cgroup"), want) != NULL, "%s", read_file(path, "cgroup"));
	CHECK("cgroup.procs lists it", atoi(read_file(grp, "cgroup.procs")) == pid);
	CHECK("populated 1", populated(grp));
	struct pollfd pfd = { evfd, POLLPRI, 0 };
	CHECK("poll reports POLLPRI", poll(&pfd, 1, 1000) == 1 && pfd.revents & POLLPRI);
	char buf[4096];
	struct pollfd ip = { in, POLLIN, 0 };
	CHECK("inotify reports IN_MODIFY", poll(&ip, 1, 1000) == 1 && read(in, buf, sizeof buf) > 0);
	CHECK_ERRNO("rmdir of a populated group is EBUSY", rmdir(grp), EBUSY);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	CHECK("populated 0 once it is gone", !populated(grp));
	struct pollfd ipfd = { in, POLLIN, 0 };
	CHECK("inotify reports that too", poll(&ipfd, 1, 1000) == 1 && read(in, buf, sizeof buf) > 0);

	pid_t a = sleeper(), b = sleeper();
	MUST(move(grp, a));
	MUST(move(grp, b));
	CHECK_SYS("cgroup.kill", write_file(grp, "cgroup.kill", "1"));
	int sa, sb;
	waitpid(a, &sa, 0);
	waitpid(b, &sb, 0);
	CHECK("kills every member", WIFSIGNALED(sa) && WTERMSIG(sa) == SIGKILL && WIFSIGNALED(sb) &&
					    WTERMSIG(sb) == SIGKILL);

	counter = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pid = counting_child();
	MUST(move(grp, pid));
	CHECK_SYS("cgroup.freeze 1", write_file(grp, "cgroup.freeze", "1"));
	for (int i = 0; i < 100 && !has_line(read_file(grp, "cgroup.events"), "frozen 1"); i++)
		sleep_ms(10);
	CHECK("cgroup.events says frozen", has_line(read_file(grp, "cgroup.events"), "frozen 1"));
	long c1 = *counter;
	sleep_ms(200);
	CHECKF("a frozen process stops", *counter == c1, "%ld then %ld", c1, *counter);
	CHECK_SYS("cgroup.freeze 0", write_file(grp, "cgroup.freeze", "0"));
	sleep_ms(200);
	CHECK("and goes on when thawed", *counter != c1);
	CHECK_ERRNO("cgroup.freeze 2 is ERANGE", write_file(grp, "cgroup.freeze", "2"), ERANGE);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);

	CHECK_ERRNO("garbage into cgroup.procs is EINVAL", write_file(grp, "cgroup.procs", "abc"), EINVAL);
	CHECK_ERRNO("a pid that is not there is ESRCH", write_file(grp, "cgroup.procs", "999999"), ESRCH);
	CHECK_ERRNO("garbage into cgroup.max.depth is EINVAL", write_file(grp, "cgroup.max.depth", "x"), EINVAL);
	CHECK_SYS("cgroup.max.depth 0", write_file(grp, "cgroup.max.depth", "0"));
	char deep[800];
	snprintf(deep, sizeof deep, "%s/deep", grp);
	CHECK_ERRNO("refuses a child with EAGAIN", mkdir(deep, 0755), EAGAIN);
	MUST(write_file(grp, "cgroup.max.depth", "max"));

	/* Delegation: the user owns the group and its cgroup.procs. */
	char mine[800];
	snprintf(mine, sizeof mine, "%s/mine", grp);
	char procs[700];
	snprintf(procs, sizeof procs, "%s/cgroup.procs", grp);
	MUST(chown(grp, 1000, 1000));
	MUST(chown(procs, 1000, 1000));
	pid = sleeper();
	MUST(move(grp, pid));
	pid_t user = fork();
	if (user == 0) {
		if (setgid(1000) || setuid(1000))
			_exit(1);
		char top_procs[700];
		snprintf(top_procs, sizeof top_procs, "%s/cgroup.procs", top);
		if (open(top_procs, O_WRONLY) != -1 || errno != EACCES)
			_exit(2);
		if (mkdir(mine, 0755) != 0)
			_exit(3);
		char s[32];
		snprintf(s, sizeof s, "%d", pid);
		_exit(write_file(mine, "cgroup.procs", s) == 0 ? 0 : 4);
	}
	int status;
	waitpid(user, &status, 0);
	CHECKF("a user the group was given moves a process inside it", WIFEXITED(status) && WEXITSTATUS(status) == 0,
	       "status %#x", status);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	CHECK_SYS("rmdir of an empty child", rmdir(mine));
	CHECK_SYS("and of the group", rmdir(grp));
	CHECK_ERRNO("twice is ENOENT", rmdir(grp), ENOENT);

	controllers_checks(required);
	return check_done();
}
