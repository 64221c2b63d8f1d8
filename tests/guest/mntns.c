/*
 * Mount namespaces and propagation. The test first moves into a mount
 * namespace of its own with every mount private (so that natively, as
 * root, it never changes the host's mounts), then checks: a child's
 * unshare(CLONE_NEWNS) and clone(CLONE_NEWNS) keep their mounts from the
 * parent; a shared mount's peers in another namespace see mounts and
 * unmounts both ways, a slave only one way, a private one neither;
 * mountinfo's shared:N and master:N fields; MS_UNBINDABLE refusing bind
 * mounts; setns with a pidfd entering another namespace; pivot_root
 * (and its EINVAL cases); and the errnos: EPERM for a user, EINVAL for
 * CLONE_NEWNS with CLONE_FS.
 */
#include "check.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define BASE "/tmp/mntns-test"

static int exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

static int make_file(const char *path)
{
	int fd = open(path, O_CREAT | O_WRONLY, 0644);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static int mount_tmpfs(const char *at)
{
	return mount("none", at, "tmpfs", 0, "size=1m");
}

/* Returns the optional fields of the mountinfo line for mount point AT
 * (the text between the options and " - "), or NULL. */
static const char *optional_fields(const char *at)
{
	static char line[1024], fields[256];
	FILE *f = fopen("/proc/self/mountinfo", "r");
	const char *found = NULL;
	while (f && fgets(line, sizeof line, f)) {
		char point[256];
		if (sscanf(line, "%*d %*d %*s %*s %255s", point) != 1 || strcmp(point, at))
			continue;
		char *opts = line;
		for (int i = 0; i < 6 && opts; i++)
			opts = strchr(opts + 1, ' ');
		char *dash = strstr(line, " - ");
		if (!opts || !dash)
			continue;
		size_t n = (size_t)(dash - opts);
		if (n >= sizeof fields)
			n = sizeof fields - 1;
		memcpy(fields, opts, n);
		fields[n] = 0;
		found = fields;
	}
	if (f)
		fclose(f);
	return found;
}

/* Runs FN in a child process; returns its exit status (or -1). */
static int in_child(int (*fn)(void *), void *arg)
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(fn(arg));
	int status;
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static int private_mount(void *arg)
{
	(void)arg;
	if (unshare(CLONE_NEWNS) != 0)
		return 1;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
		return 2;
	if (mount_tmpfs(BASE "/a") != 0 || make_file(BASE "/a/inside") != 0)
		return 3;
	return exists(BASE "/a/inside") ? 0 : 4;
}

static int as_user(void *arg)
{
	(void)arg;
	if (setuid(65534) != 0)
		return 1;
	return unshare(CLONE_NEWNS) == -1 && errno == EPERM ? 0 : 2;
}

/* A child that joins a new namespace (peers of ours under BASE/shared),
 * then follows the commands on its pipe: 's' make BASE/shared a slave,
 * 'm' mount on BASE/shared/from-child, 'q' quit. It answers each with
 * a byte. */
struct peer {
	int cmd[2], ans[2];
	pid_t pid;
};

static void peer_loop(struct peer *p)
{
	if (unshare(CLONE_NEWNS) != 0)
		_exit(1);
	char c = 'r';
	write(p->ans[1], &c, 1);
	while (read(p->cmd[0], &c, 1) == 1) {
		char r = '+';
		if (c == 's')
			r = mount(NULL, BASE "/shared", NULL, MS_SLAVE, NULL) == 0 ? '+' : '-';
		else if (c == 'm')
			r = mkdir(BASE "/shared/from-child", 0755) == 0 &&
					    mount_tmpfs(BASE "/shared/from-child") == 0 ?
				    '+' :
				    '-';
		else if (c == '?')
			r = exists(BASE "/shared/from-parent/marker") ? 'y' : 'n';
		write(p->ans[1], &r, 1);
		if (c == 'q')
			_exit(0);
	}
	_exit(0);
}

static char ask(struct peer *p, char c)
{
	char r = 0;
	write(p->cmd[1], &c, 1);
	read(p->ans[0], &r, 1);
	return r;
}

static int pivot(void *arg)
{
	(void)arg;
	if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
		return 1;
	if (mkdir(BASE "/root", 0755) != 0 || mount_tmpfs(BASE "/root") != 0 ||
	    mkdir(BASE "/root/old", 0755) != 0 || make_file(BASE "/root/new-root-file") != 0)
		return 2;
	mkdir(BASE "/plain", 0755);
	if (syscall(SYS_pivot_root, BASE "/plain", BASE "/plain") != -1 || errno != EINVAL)
		return 3;
	if (syscall(SYS_pivot_root, BASE "/root", BASE "/elsewhere") != -1 ||
	    (errno != EINVAL && errno != ENOENT))
		return 4;
	if (syscall(SYS_pivot_root, BASE "/root", BASE "/root/old") != 0)
		return 5;
	if (chdir("/") != 0 || !exists("/new-root-file") || !exists("/old" BASE "/root"))
		return 6;
	if (umount2("/old", MNT_DETACH) != 0)
		return 7;
	return exists("/old/tmp") || !exists("/new-root-file") ? 8 : 0;
}

/* pivot_root(".", ".") and a lazy unmount of ".": the old root goes,
 * as systemd moves a service into its new root. */
static int pivot_dot(void *arg)
{
	(void)arg;
	if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
		return 1;
	if (mkdir(BASE "/dot", 0755) != 0 || mount_tmpfs(BASE "/dot") != 0 || make_file(BASE "/dot/marker") != 0)
		return 2;
	if (chdir(BASE "/dot") != 0 || syscall(SYS_pivot_root, ".", ".") != 0)
		return 3;
	if (umount2(".", MNT_DETACH) != 0)
		return 4;
	if (chdir("/") != 0 || !exists("/marker") || exists("/tmp"))
		return 5;
	return 0;
}

int main(void)
{
	CHECK_SYS("unshare(CLONE_NEWNS)", unshare(CLONE_NEWNS));
	CHECK_SYS("every mount made private", mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL));
	mkdir(BASE, 0755);
	MUST(mount_tmpfs(BASE));
	MUST(mkdir(BASE "/a", 0755));

	CHECK("a child's own namespace keeps its mount", in_child(private_mount, NULL) == 0);
	CHECK("which the parent does not see", !exists(BASE "/a/inside"));
	pid_t pid = (pid_t)syscall(SYS_clone, CLONE_NEWNS | SIGCHLD, 0, 0, 0, 0);
	if (pid == 0)
		_exit(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0 && mount_tmpfs(BASE "/a") == 0 &&
				      make_file(BASE "/a/cloned") == 0 ?
			      0 :
			      1);
	int status = -1;
	waitpid(pid, &status, 0);
	CHECKF("so does clone(CLONE_NEWNS)", WIFEXITED(status) && WEXITSTATUS(status) == 0 && !exists(BASE "/a/cloned"),
	       "status %#x", status);
	CHECK_ERRNO("CLONE_NEWNS with CLONE_FS is EINVAL",
		    syscall(SYS_clone, CLONE_NEWNS | CLONE_FS | SIGCHLD, 0, 0, 0, 0), EINVAL);
	CHECK("a user gets EPERM", in_child(as_user, NULL) == 0);

	/* Shared: mounts spread to the peer in the other namespace. */
	MUST(mkdir(BASE "/shared", 0755));
	MUST(mount_tmpfs(BASE "/shared"));
	CHECK_SYS("MS_SHARED", mount(NULL, BASE "/shared", NULL, MS_SHARED, NULL));
	const char *f = optional_fields(BASE "/shared");
	CHECKF("mountinfo shows shared:N", f && strstr(f, "shared:"), "fields '%s'", f ? f : "(none)");
	struct peer p;
	MUST(pipe(p.cmd));
	MUST(pipe(p.ans));
	p.pid = fork();
	if (p.pid == 0)
		peer_loop(&p);
	char r;
	read(p.ans[0], &r, 1);
	MUST(mkdir(BASE "/shared/from-parent", 0755));
	CHECK_SYS("a mount on the shared mount", mount_tmpfs(BASE "/shared/from-parent"));
	MUST(make_file(BASE "/shared/from-parent/marker"));
	CHECK("reaches the peer", ask(&p, '?') == 'y');
	CHECK("a mount in the peer", ask(&p, 'm') == '+');
	CHECK("comes back", exists(BASE "/shared/from-child") &&
				    optional_fields(BASE "/shared/from-child") != NULL);
	CHECK_SYS("unmounting here", umount(BASE "/shared/from-parent"));
	CHECK("unmounts there", ask(&p, '?') == 'n');
	CHECK_SYS("umount the peer's", umount(BASE "/shared/from-child"));

	/* Slave: what the master mounts arrives, nothing goes back. */
	CHECK("the peer becomes a slave", ask(&p, 's') == '+');
	MUST(mount_tmpfs(BASE "/shared/from-parent"));
	MUST(make_file(BASE "/shared/from-parent/marker"));
	CHECK("a master's mount reaches the slave", ask(&p, '?') == 'y');
	MUST(rmdir(BASE "/shared/from-child"));
	CHECK("a slave's own mount", ask(&p, 'm') == '+');
	CHECK("stays there", !exists(BASE "/shared/from-child") || optional_fields(BASE "/shared/from-child") == NULL);
	ask(&p, 'q');
	waitpid(p.pid, NULL, 0);
	MUST(umount(BASE "/shared/from-parent"));

	/* Private and unbindable. */
	CHECK_SYS("MS_PRIVATE", mount(NULL, BASE "/shared", NULL, MS_PRIVATE, NULL));
	f = optional_fields(BASE "/shared");
	CHECKF("leaves no optional field", f && !strstr(f, "shared:") && !strstr(f, "master:"), "fields '%s'",
	       f ? f : "(none)");
	CHECK_SYS("MS_UNBINDABLE", mount(NULL, BASE "/shared", NULL, MS_UNBINDABLE, NULL));
	f = optional_fields(BASE "/shared");
	CHECKF("mountinfo says unbindable", f && strstr(f, "unbindable"), "fields '%s'", f ? f : "(none)");
	MUST(mkdir(BASE "/bind", 0755));
	CHECK_ERRNO("which refuses a bind mount", mount(BASE "/shared", BASE "/bind", NULL, MS_BIND, NULL), EINVAL);
	CHECK_ERRNO("two propagation flags are EINVAL",
		    mount(NULL, BASE "/shared", NULL, MS_SHARED | MS_PRIVATE, NULL), EINVAL);
	CHECK_ERRNO("propagation of a non-mount is EINVAL", mount(NULL, BASE "/bind", NULL, MS_SHARED, NULL),
		    EINVAL);

	/* setns with a pidfd enters another process's namespace. */
	int ready[2];
	MUST(pipe(ready));
	pid = (pid_t)syscall(SYS_clone, CLONE_NEWNS | SIGCHLD, 0, 0, 0, 0);
	if (pid == 0) {
		if (mount_tmpfs(BASE "/a") == 0 && make_file(BASE "/a/theirs") == 0)
			write(ready[1], "x", 1);
		pause();
		_exit(0);
	}
	char c;
	read(ready[0], &c, 1);
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	pid_t joiner = fork();
	if (joiner == 0)
		_exit(setns(pidfd, CLONE_NEWNS) == 0 && exists(BASE "/a/theirs") ? 0 : 1);
	waitpid(joiner, &status, 0);
	CHECK("setns(pidfd, CLONE_NEWNS) sees its mounts", WIFEXITED(status) && WEXITSTATUS(status) == 0);
	char nspath[64];
	snprintf(nspath, sizeof nspath, "/proc/%d/ns/mnt", pid);
	int nsfd = open(nspath, O_RDONLY);
	CHECK_SYS("/proc/PID/ns/mnt opens", nsfd);
	struct stat theirs, ours;
	CHECK("and names another namespace than ours",
	      fstat(nsfd, &theirs) == 0 && stat("/proc/self/ns/mnt", &ours) == 0 &&
		      theirs.st_dev == ours.st_dev && theirs.st_ino != ours.st_ino);
	CHECK_ERRNO("setns with another kind's flag is EINVAL", setns(nsfd, CLONE_NEWUTS), EINVAL);
	joiner = fork();
	if (joiner == 0) {
		struct stat now;
		_exit(setns(nsfd, CLONE_NEWNS) == 0 && exists(BASE "/a/theirs") && stat("/proc/self/ns/mnt", &now) == 0 &&
				      now.st_ino == theirs.st_ino ?
			      0 :
			      1);
	}
	waitpid(joiner, &status, 0);
	CHECK("setns with the file joins it", WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(nsfd);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	CHECK("which stay out of ours", !exists(BASE "/a/theirs"));

	int rc = in_child(pivot, NULL);
	CHECKF("pivot_root swaps the root, its EINVAL cases refused", rc == 0, "step %d", rc);
	rc = in_child(pivot_dot, NULL);
	CHECKF("pivot_root(\".\", \".\") and umount2(\".\") leave the new root alone", rc == 0, "step %d", rc);
	return check_done();
}
