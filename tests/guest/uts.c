/*
 * UTS namespaces and unshare: the test first moves into a UTS namespace
 * of its own (so that natively, as root, it never renames the host), then
 * checks sethostname and setdomainname against uname and
 * /proc/sys/kernel/{hostname,domainname}, /proc/self/ns/uts, a child's
 * unshare(CLONE_NEWUTS) and clone(CLONE_NEWUTS) leaving the parent's
 * names alone, setns with a pidfd joining another process's names,
 * unshare(CLONE_FILES) ending a shared file table, and the
 * errnos: EPERM for a user, EINVAL for a name past 64 bytes, unknown
 * flags, and CLONE_THREAD in a process of two threads.
 */
#include "check.h"

#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>

/* Returns the first line of FILE (without its newline) in a static buffer. */
static const char *first_line(const char *file)
{
	static char text[256];
	int fd = open(file, O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, text, sizeof text - 1) : -1;
	if (fd >= 0)
		close(fd);
	text[n > 0 ? n : 0] = 0;
	text[strcspn(text, "\n")] = 0;
	return text;
}

static int nodename_is(const char *want)
{
	struct utsname u;
	return uname(&u) == 0 && strcmp(u.nodename, want) == 0;
}

static void ns_link(char *out, size_t len)
{
	ssize_t n = readlink("/proc/self/ns/uts", out, len - 1);
	out[n > 0 ? n : 0] = 0;
}

static void *idle(void *arg)
{
	(void)arg;
	sleep_ms(300);
	return NULL;
}

int main(void)
{
	char mine[64], theirs[64];
	ns_link(theirs, sizeof theirs);
	CHECK_SYS("unshare(CLONE_NEWUTS)", unshare(CLONE_NEWUTS));
	ns_link(mine, sizeof mine);
	CHECKF("/proc/self/ns/uts names the new namespace",
	       !strncmp(mine, "uts:[", 5) && !strncmp(theirs, "uts:[", 5) && strcmp(mine, theirs),
	       "%s then %s", theirs, mine);

	CHECK_SYS("sethostname", sethostname("alpha", 5));
	CHECK("uname reports it", nodename_is("alpha"));
	CHECK("so does /proc/sys/kernel/hostname", !strcmp(first_line("/proc/sys/kernel/hostname"), "alpha"));
	CHECK_SYS("setdomainname", setdomainname("example", 7));
	struct utsname u;
	CHECK("uname reports the domain", uname(&u) == 0 && !strcmp(u.domainname, "example"));
	CHECK("so does /proc/sys/kernel/domainname",
	      !strcmp(first_line("/proc/sys/kernel/domainname"), "example"));
	int fd = open("/proc/sys/kernel/hostname", O_WRONLY);
	CHECK("writing /proc/sys/kernel/hostname sets it", write(fd, "delta\n", 6) == 6 && nodename_is("delta"));
	close(fd);
	char long_name[65];
	memset(long_name, 'x', sizeof long_name);
	CHECK_ERRNO("a name past 64 bytes is EINVAL", sethostname(long_name, 65), EINVAL);

	pid_t pid = fork();
	if (pid == 0) {
		if (unshare(CLONE_NEWUTS) != 0 || sethostname("beta", 4) != 0 || !nodename_is("beta"))
			_exit(1);
		char child[64];
		ns_link(child, sizeof child);
		_exit(strcmp(child, mine) ? 0 : 2);
	}
	int status = 0;
	waitpid(pid, &status, 0);
	CHECKF("a child's unshare gives it names of its own", WIFEXITED(status) && WEXITSTATUS(status) == 0,
	       "status %#x", status);
	CHECK("and leaves the parent's", nodename_is("delta"));

	pid = (pid_t)syscall(SYS_clone, CLONE_NEWUTS | SIGCHLD, 0, 0, 0, 0);
	if (pid == 0)
		_exit(sethostname("gamma", 5) == 0 && nodename_is("gamma") ? 0 : 1);
	waitpid(pid, &status, 0);
	CHECK("so does clone(CLONE_NEWUTS)", WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
						    nodename_is("delta"));

	pid = fork();
	if (pid == 0) {
		if (setuid(65534) != 0)
			_exit(3);
		int eperm = sethostname("user", 4) == -1 && errno == EPERM &&
			    setdomainname("user", 4) == -1 && errno == EPERM;
		int ns = unshare(CLONE_NEWUTS) == -1 && errno == EPERM;
		_exit(eperm && ns ? 0 : 1);
	}
	waitpid(pid, &status, 0);
	CHECKF("a user gets EPERM for names and namespaces", WIFEXITED(status) && WEXITSTATUS(status) == 0,
	       "status %#x", status);

	/* A child sharing the file table drops it with unshare(CLONE_FILES):
	 * what it closes then stays open in the parent. */
	int keep = open("/proc/self/status", O_RDONLY);
	pid = (pid_t)syscall(SYS_clone, CLONE_FILES | SIGCHLD, 0, 0, 0, 0);
	if (pid == 0)
		_exit(unshare(CLONE_FILES) == 0 && close(keep) == 0 ? 0 : 1);
	waitpid(pid, &status, 0);
	CHECK("unshare(CLONE_FILES) ends the sharing",
	      WIFEXITED(status) && WEXITSTATUS(status) == 0 && fcntl(keep, F_GETFD) == 0);
	close(keep);

	/* setns with a pidfd joins that process's namespace. */
	int ready[2];
	pipe(ready);
	pid = (pid_t)syscall(SYS_clone, CLONE_NEWUTS | SIGCHLD, 0, 0, 0, 0);
	if (pid == 0) {
		sethostname("epsilon", 7);
		write(ready[1], "x", 1);
		pause();
		_exit(0);
	}
	char c;
	read(ready[0], &c, 1);
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	CHECK_ERRNO("setns needs flags with a pidfd", setns(pidfd, 0), EINVAL);
	CHECK("setns(pidfd, CLONE_NEWUTS) joins its names",
	      setns(pidfd, CLONE_NEWUTS) == 0 && nodename_is("epsilon"));
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(pidfd);
	CHECK_ERRNO("setns on a file that is no namespace is EINVAL", setns(ready[0], 0), EINVAL);
	CHECK_ERRNO("setns on a bad fd is EBADF", setns(999, 0), EBADF);
	CHECK_ERRNO("unknown flags are EINVAL", unshare(0x1), EINVAL);
	pthread_t th;
	pthread_create(&th, NULL, idle, NULL);
	CHECK_ERRNO("CLONE_THREAD with two threads is EINVAL", unshare(CLONE_THREAD), EINVAL);
	pthread_join(th, NULL);
	CHECK("CLONE_FS and CLONE_SYSVSEM change nothing here", unshare(CLONE_FS | CLONE_SYSVSEM) == 0);
	return check_done();
}
