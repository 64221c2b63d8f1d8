/*
 * Cgroup namespaces: in a mount namespace of its own with cgroup2 mounted
 * on /tmp/cgroupns-test, the test makes a group G and G/child; a process
 * moved into G unshares a cgroup namespace and sees itself at "/", its
 * parent (outside G) at "/..", and itself at "/child" once moved there; a
 * cgroup2 it mounts shows the tree from G down; /proc/PID/ns/cgroup names
 * the namespace, setns joins it and returns (EINVAL for another type);
 * clone(CLONE_NEWCGROUP) roots the child's namespace at its group; a user
 * gets EPERM.
 */
#include "check.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define MNT "/tmp/cgroupns-test"
#define VIEW "/tmp/cgroupns-view"

static char top[512], grp[600], child[700];

/* Returns the unified-hierarchy path in /proc/PID/cgroup ("self" too). */
static const char *cgroup_of(const char *pid)
{
	static char text[4096];
	char path[64];
	snprintf(path, sizeof path, "/proc/%s/cgroup", pid);
	int fd = open(path, O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, text, sizeof text - 1) : -1;
	if (fd >= 0)
		close(fd);
	text[n > 0 ? n : 0] = 0;
	char *line = strstr(text, "0::");
	if (!line)
		return "";
	line += 3;
	line[strcspn(line, "\n")] = 0;
	return line;
}

static int write_to(const char *dir, const char *file, const char *text)
{
	char path[800];
	snprintf(path, sizeof path, "%s/%s", dir, file);
	int fd = open(path, O_WRONLY);
	if (fd < 0)
		return -1;
	int rc = write(fd, text, strlen(text)) == (ssize_t)strlen(text) ? 0 : -1;
	close(fd);
	return rc;
}

/* Moves the caller into group DIR. */
static int join(const char *dir)
{
	char me[32];
	snprintf(me, sizeof me, "%d", getpid());
	return write_to(dir, "cgroup.procs", me);
}

static ino_t ns_ino(const char *pid)
{
	char path[64];
	struct stat st;
	snprintf(path, sizeof path, "/proc/%s/ns/cgroup", pid);
	return stat(path, &st) == 0 ? st.st_ino : 0;
}

/* The child's checks, with an exit code per step. */
static int inside(pid_t parent)
{
	char pp[32];
	snprintf(pp, sizeof pp, "%d", parent);
	ino_t before = ns_ino("self");
	if (join(grp))
		return 10;
	if (unshare(CLONE_NEWCGROUP))
		return 11;
	if (ns_ino("self") == before || ns_ino("self") == 0)
		return 12;
	if (strcmp(cgroup_of("self"), "/") != 0)
		return 13;
	/* The parent, in the group above G, is one step up. */
	char want[700];
	snprintf(want, sizeof want, "/..%s", top + strlen(MNT));
	if (strcmp(cgroup_of(pp), strcmp(top, MNT) == 0 ? "/.." : want) != 0)
		return 14;
	if (join(child))
		return 15;
	if (strcmp(cgroup_of("self"), "/child") != 0)
		return 16;
	/* A cgroup2 mounted here shows G's subtree. */
	mkdir(VIEW, 0755);
	if (mount("none", VIEW, "cgroup2", 0, NULL))
		return 17;
	struct stat st;
	int seen = stat(VIEW "/child/cgroup.procs", &st) == 0;
	char own[700];
	snprintf(own, sizeof own, VIEW "/%s", strrchr(grp, '/') + 1);
	int nested = stat(own, &st) == 0;
	umount(VIEW);
	rmdir(VIEW);
	if (!seen || nested)
		return 18;
	/* Back to the parent's namespace by setns. */
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/ns/cgroup", parent);
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return 19;
	if (setns(fd, CLONE_NEWNET) != -1 || errno != EINVAL)
		return 20;
	if (setns(fd, CLONE_NEWCGROUP))
		return 21;
	if (ns_ino("self") != before)
		return 22;
	snprintf(want, sizeof want, "%s/child", grp + strlen(MNT));
	if (strcmp(cgroup_of("self"), want) != 0)
		return 23;
	return 0;
}

int main(void)
{
	CHECK_SYS("unshare(CLONE_NEWNS)", unshare(CLONE_NEWNS));
	MUST(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL));
	mkdir(MNT, 0755);
	CHECK_SYS("mount -t cgroup2", mount("none", MNT, "cgroup2", 0, NULL));
	const char *self = cgroup_of("self");
	snprintf(top, sizeof top, MNT "%s", strcmp(self, "/") ? self : "");
	snprintf(grp, sizeof grp, "%s/cgroupns-test-%d", top, getpid());
	snprintf(child, sizeof child, "%s/child", grp);
	CHECK_SYS("a group", mkdir(grp, 0755));
	CHECK_SYS("and a group in it", mkdir(child, 0755));
	ino_t mine = ns_ino("self");
	CHECK("/proc/self/ns/cgroup has a number", mine != 0);
	char link[64] = { 0 }, want[64];
	readlink("/proc/self/ns/cgroup", link, sizeof link - 1);
	snprintf(want, sizeof want, "cgroup:[%lu]", (unsigned long)mine);
	CHECKF("its link reads cgroup:[INODE]", strcmp(link, want) == 0, "%s", link);

	pid_t parent = getpid();
	pid_t c = fork();
	if (c == 0)
		_exit(inside(parent));
	int st = 0;
	waitpid(c, &st, 0);
	CHECKF("a process in G unshares: it is at /, the parent at /.., then /child; "
	       "its cgroup2 mount shows G's tree; setns takes it back",
	       WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %#x", st);

	/* clone(CLONE_NEWCGROUP) from G roots the child at G. */
	c = fork();
	if (c == 0) {
		if (join(grp))
			_exit(10);
		pid_t g = (pid_t)syscall(SYS_clone, CLONE_NEWCGROUP | SIGCHLD, 0, 0, 0, 0);
		if (g == 0)
			_exit(strcmp(cgroup_of("self"), "/") == 0 && ns_ino("self") != mine ? 0 : 1);
		int gs = 0;
		waitpid(g, &gs, 0);
		_exit(WIFEXITED(gs) && WEXITSTATUS(gs) == 0 ? 0 : 11);
	}
	waitpid(c, &st, 0);
	CHECKF("clone(CLONE_NEWCGROUP) roots the child's namespace at its group",
	       WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %#x", st);

	c = fork();
	if (c == 0) {
		if (setuid(1000))
			_exit(10);
		_exit(unshare(CLONE_NEWCGROUP) == -1 && errno == EPERM ? 0 : 11);
	}
	waitpid(c, &st, 0);
	CHECKF("unshare(CLONE_NEWCGROUP) as uid 1000 is EPERM",
	       WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %#x", st);
	CHECK("the parent's own path is unchanged", strcmp(cgroup_of("self"), self) == 0);

	CHECK_SYS("the groups go", rmdir(child) | rmdir(grp));
	umount(MNT);
	return check_done();
}
