/*
 * Checks chroot(2): a directory becomes the root of the caller's path
 * lookups (absolute paths, and ".." at the new root stays there), the
 * working directory is left alone, a file is ENOTDIR, a missing path
 * ENOENT, and a user without CAP_SYS_CHROOT gets EPERM. sshd's privilege
 * separation chroots into /run/sshd.
 *
 * Runs as root; a child drops to uid 65534. Natively: ./chroot (as root,
 * with a writable /tmp).
 */
#include "check.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>

static void put(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0) {
		if (write(fd, text, strlen(text)) < 0)
			perror("write");
		close(fd);
	}
}

static int read_is(const char *path, const char *want)
{
	char buf[64] = { 0 };
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	return n == (ssize_t)strlen(want) && memcmp(buf, want, (size_t)n) == 0;
}

int main(void)
{
	char jail[64];
	snprintf(jail, sizeof jail, "/tmp/jail-%d", getpid());
	char path[128];
	mkdir(jail, 0755);
	snprintf(path, sizeof path, "%s/etc", jail);
	mkdir(path, 0755);
	snprintf(path, sizeof path, "%s/etc/where", jail);
	put(path, "inside");
	snprintf(path, sizeof path, "%s/file", jail);
	put(path, "x");

	errno = 0;
	CHECK("chroot of a file is ENOTDIR", chroot(path) == -1 && errno == ENOTDIR);
	errno = 0;
	CHECK("chroot of nothing is ENOENT", chroot("/tmp/no/such/dir") == -1 && errno == ENOENT);
	pid_t pid = fork();
	if (pid == 0) {
		if (setuid(65534) != 0)
			_exit(2);
		_exit(chroot(jail) == -1 && errno == EPERM ? 0 : 1);
	}
	int st;
	waitpid(pid, &st, 0);
	CHECK("a user without CAP_SYS_CHROOT gets EPERM", WIFEXITED(st) && WEXITSTATUS(st) == 0);

	char before[256];
	CHECK_SYS("getcwd before", getcwd(before, sizeof before));
	CHECK_SYS("chroot", chroot(jail));
	CHECK("absolute paths start at the new root", read_is("/etc/where", "inside"));
	CHECK("and '..' at the root stays there", read_is("/../../etc/where", "inside"));
	struct stat sb;
	errno = 0;
	CHECK("the old root's files are out of reach", stat("/bin", &sb) == -1 && errno == ENOENT);
	CHECK_SYS("chdir to the new root", chdir("/"));
	CHECK("relative paths from there too", read_is("etc/where", "inside"));
	return check_done();
}
