/*
 * hostfs: a host directory mounted in the guest (UML's hostfs).
 *
 * usage: hostfs HELLO_INO
 *
 * The boot test (tests/guest.rs) boots with hostfs=BOX, where BOX holds
 * hello.txt ("hello from the host\n", host inode HELLO_INO), locked (mode
 * 000), map.bin (8192 bytes, byte i is i % 251), delete-me, out -> ../secret
 * and abs -> the absolute host path of the secret beside BOX ("top secret"),
 * and hostswap, a name the host keeps swapping between a file and a symlink
 * to the secret. This program mounts BOX on /tmp/h and checks reads,
 * writes, names, attributes, mappings, permissions and that nothing
 * reads the secret; it leaves from-guest.txt, mapped.bin, owned.txt and
 * kept-dir/ for the host to check, and removes delete-me.
 */
#include "check.h"
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#define H "/tmp/h"
#define HOSTFS_SUPER_MAGIC 0x00c0ffee

/* Reads up to LEN-1 bytes of PATH into BUF, NUL-terminated; -1 on error. */
static ssize_t read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, len - 1);
	int e = errno;
	close(fd);
	errno = e;
	if (n >= 0)
		buf[n] = 0;
	return n;
}

/* Writes STR to PATH, created with MODE. */
static int write_file(const char *path, const char *str, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, str, strlen(str));
	close(fd);
	return n == (ssize_t)strlen(str) ? 0 : -1;
}

/* Returns whether reading PATH gives the secret. */
static int reads_secret(const char *path)
{
	char buf[64];
	return read_file(path, buf, sizeof buf) > 0 && strstr(buf, "secret") != NULL;
}

static void mount_checks(void)
{
	MUST(mkdir(H, 0755));
	MUST(mkdir("/tmp/h2", 0755));
	CHECK_ERRNO("mount -o ../ leaves hostfs=", mount("none", "/tmp/h2", "hostfs", 0, "../"), EXDEV);
	CHECK_ERRNO("mount -o out (symlink up) leaves it", mount("none", "/tmp/h2", "hostfs", 0, "out"), EXDEV);
	CHECK_ERRNO("mount -o abs (absolute symlink)", mount("none", "/tmp/h2", "hostfs", 0, "abs"), EXDEV);
	CHECK_ERRNO("mount -o missing", mount("none", "/tmp/h2", "hostfs", 0, "missing"), ENOENT);
	CHECK_ERRNO("mount -o hello.txt", mount("none", "/tmp/h2", "hostfs", 0, "hello.txt"), ENOTDIR);
	CHECK_SYS("mount -t hostfs none /tmp/h -o /", mount("none", H, "hostfs", 0, "/"));
	struct statfs sfs;
	CHECK_SYS("statfs", statfs(H, &sfs));
	CHECKF("f_type is HOSTFS_SUPER_MAGIC", sfs.f_type == HOSTFS_SUPER_MAGIC, "f_type %lx",
	       (long)sfs.f_type);
	char buf[4096];
	CHECK("/proc/mounts lists it",
	      read_file("/proc/mounts", buf, sizeof buf) > 0 && strstr(buf, " /tmp/h hostfs "));
}

static void read_checks(unsigned long hello_ino)
{
	char buf[64];
	struct stat st;
	CHECK("read hello.txt", read_file(H "/hello.txt", buf, sizeof buf) == 20 &&
					strcmp(buf, "hello from the host\n") == 0);
	CHECK_SYS("stat hello.txt", stat(H "/hello.txt", &st));
	CHECKF("the host's inode number", st.st_ino == hello_ino, "ino %lu, host %lu",
	       (unsigned long)st.st_ino, hello_ino);
	CHECK("the host's size, mode, link count", st.st_size == 20 &&
						      st.st_mode == (S_IFREG | 0644) && st.st_nlink == 1);
	CHECK("the host's mtime", st.st_mtim.tv_sec == 1500000000);
	int dfd = MUST(open(H, O_RDONLY | O_DIRECTORY));
	CHECK_ERRNO("read(2) of a directory", read(dfd, buf, 1), EISDIR);
	close(dfd);
}

static void write_checks(void)
{
	char buf[64];
	struct stat st;
	CHECK_SYS("create from-guest.txt", write_file(H "/from-guest.txt", "written by the guest\n", 0640));
	CHECK("its mode is the guest's", stat(H "/from-guest.txt", &st) == 0 &&
					       st.st_mode == (S_IFREG | 0640));
	CHECK_ERRNO("O_EXCL on an existing name", open(H "/hello.txt", O_CREAT | O_EXCL | O_WRONLY, 0600),
		    EEXIST);
	int fd = MUST(open(H "/from-guest.txt", O_RDWR | O_APPEND));
	CHECK("append", write(fd, "more\n", 5) == 5 && fstat(fd, &st) == 0 && st.st_size == 26);
	close(fd);
	CHECK_SYS("rename", write_file(H "/a.txt", "a", 0644) == 0 ? rename(H "/a.txt", H "/b.txt") : -1);
	CHECK_ERRNO("the old name is gone", stat(H "/a.txt", &st), ENOENT);
	CHECK("the new name reads", read_file(H "/b.txt", buf, sizeof buf) == 1);
	CHECK_SYS("unlink", unlink(H "/b.txt"));
	CHECK_SYS("unlink the host's delete-me", unlink(H "/delete-me"));
	CHECK_ERRNO("it is gone", stat(H "/delete-me", &st), ENOENT);
	CHECK_SYS("mkdir", mkdir(H "/d", 0750));
	CHECK("its mode", stat(H "/d", &st) == 0 && st.st_mode == (S_IFDIR | 0750) && st.st_nlink == 2);
	CHECK_SYS("a file in it", write_file(H "/d/f", "x", 0600));
	CHECK_ERRNO("rmdir of a non-empty directory", rmdir(H "/d"), ENOTEMPTY);
	CHECK_SYS("unlink the file", unlink(H "/d/f"));
	CHECK_SYS("rmdir", rmdir(H "/d"));
	CHECK_SYS("mkdir kept-dir", mkdir(H "/kept-dir", 0755));
	CHECK_SYS("symlink", symlink("hello.txt", H "/link"));
	ssize_t n = readlink(H "/link", buf, sizeof buf);
	CHECK("readlink", n == 9 && memcmp(buf, "hello.txt", 9) == 0);
	CHECK("open through it", read_file(H "/link", buf, sizeof buf) == 20);
	CHECK_SYS("link", link(H "/hello.txt", H "/hard"));
	struct stat a, b;
	CHECK("the link shares the inode", stat(H "/hello.txt", &a) == 0 && stat(H "/hard", &b) == 0 &&
						   a.st_ino == b.st_ino && a.st_nlink == 2);
	CHECK_SYS("unlink the link", unlink(H "/hard"));
	CHECK("the count drops", stat(H "/hello.txt", &a) == 0 && a.st_nlink == 1);
	CHECK_SYS("unlink the symlink", unlink(H "/link"));

	CHECK_SYS("owned.txt", write_file(H "/owned.txt", "0123456789", 0644));
	CHECK_SYS("chown", chown(H "/owned.txt", 1000, 1000));
	CHECK_SYS("chmod", chmod(H "/owned.txt", 0600));
	CHECK_SYS("truncate", truncate(H "/owned.txt", 4));
	struct timespec ts[2] = { { 1000000000, 123456789 }, { 1100000000, 987654321 } };
	CHECK_SYS("utimensat", utimensat(AT_FDCWD, H "/owned.txt", ts, 0));
	CHECK("stat shows them all", stat(H "/owned.txt", &st) == 0 && st.st_uid == 1000 &&
					     st.st_gid == 1000 && st.st_mode == (S_IFREG | 0600) &&
					     st.st_size == 4 && st.st_mtim.tv_sec == 1100000000 &&
					     st.st_mtim.tv_nsec == 987654321 &&
					     st.st_atim.tv_nsec == 123456789);
	CHECK_SYS("mkfifo", mkfifo(H "/fifo", 0600));
	CHECK("it is a FIFO", stat(H "/fifo", &st) == 0 && S_ISFIFO(st.st_mode));
	CHECK_SYS("unlink it", unlink(H "/fifo"));
	CHECK_ERRNO("no host device nodes", mknod(H "/sda", S_IFBLK | 0600, makedev(8, 0)), EPERM);
}

static void mmap_checks(void)
{
	int fd = MUST(open(H "/map.bin", O_RDONLY));
	unsigned char *p = mmap(NULL, 8192, PROT_READ, MAP_PRIVATE, fd, 0);
	CHECK("mmap private", p != MAP_FAILED);
	int good = 1;
	for (int i = 0; i < 8192; i++)
		good &= p[i] == i % 251;
	CHECK("it reads the host's bytes", good);
	munmap(p, 8192);
	close(fd);

	fd = MUST(open(H "/mapped.bin", O_RDWR | O_CREAT, 0644));
	CHECK_SYS("ftruncate", ftruncate(fd, 8192));
	char *s = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK("mmap shared", s != MAP_FAILED);
	memcpy(s + 4096, "shared mapping", 14);
	CHECK_SYS("msync", msync(s, 8192, MS_SYNC));
	char buf[16] = { 0 };
	CHECK("pread sees the store", pread(fd, buf, 14, 4096) == 14 && memcmp(buf, "shared mapping", 14) == 0);
	char *q = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 4096);
	CHECK("a private copy", q != MAP_FAILED && memcmp(q, "shared mapping", 14) == 0);
	memcpy(q, "PRIVATE", 7);
	CHECK("stays private", pread(fd, buf, 7, 4096) == 7 && memcmp(buf, "shared ", 7) == 0);
	munmap(q, 4096);
	munmap(s, 8192);
	close(fd);
}

/* Runs FN in a child with uid and gid 1000; checks that it exits 0. */
static void as_user(const char *name, int (*fn)(void))
{
	pid_t pid = MUST(fork());
	if (pid == 0) {
		if (setgid(1000) || setuid(1000))
			_exit(99);
		_exit(fn());
	}
	int status;
	MUST(waitpid(pid, &status, 0));
	CHECKF(name, WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x", status);
}

static int user_reads_locked(void)
{
	int fd = open(H "/locked", O_RDONLY);
	return fd == -1 && errno == EACCES ? 0 : 1;
}

static int user_creates_in_root_dir(void)
{
	int fd = open(H "/user.txt", O_WRONLY | O_CREAT, 0644);
	return fd == -1 && errno == EACCES ? 0 : 1;
}

static int user_writes_owned(void)
{
	/* owned.txt is uid 1000's now (mode 0600). */
	return write_file(H "/owned.txt", "mine", 0600) == 0 ? 0 : 1;
}

static void perm_checks(void)
{
	struct stat st;
	char buf[64];
	CHECK("locked is mode 000 on the host", stat(H "/locked", &st) == 0 && (st.st_mode & 07777) == 0);
	CHECK("guest root reads it (CAP_DAC_OVERRIDE)", read_file(H "/locked", buf, sizeof buf) == 6);
	as_user("uid 1000 gets EACCES for mode 000", user_reads_locked);
	as_user("uid 1000 cannot create in a root 0755 directory", user_creates_in_root_dir);
	as_user("uid 1000 writes its own file", user_writes_owned);
}

static void confinement_checks(void)
{
	char buf[64];
	struct stat st;
	CHECK("out (-> ../secret) never reads the secret", !reads_secret(H "/out"));
	CHECK("abs (absolute) never reads the secret", !reads_secret(H "/abs"));
	CHECK("../secret is the guest's /tmp/secret", !reads_secret(H "/../secret"));
	CHECK_ERRNO("stat through out", stat(H "/out", &st), ENOENT);
	CHECK("readlink of abs is the host's text",
	      readlink(H "/abs", buf, sizeof buf) > 0 && buf[0] == '/');
	/* A guest root that builds the absolute path still reads only guest files. */
	CHECK_SYS("a symlink up out of the mount", symlink("../../../../../../../../secret", H "/up"));
	CHECK("it never reads the secret", !reads_secret(H "/up"));
	unlink(H "/up");

	/* A child swaps "swap" between a file and symlinks out; the parent opens it. */
	MUST(write_file(H "/public", "public", 0644));
	pid_t pid = MUST(fork());
	if (pid == 0) {
		for (;;) {
			symlink("../secret", H "/s.tmp");
			rename(H "/s.tmp", H "/swap");
			link(H "/public", H "/f.tmp");
			rename(H "/f.tmp", H "/swap");
			symlink("/secret", H "/s.tmp");
			rename(H "/s.tmp", H "/swap");
		}
	}
	int leaked = 0, opened = 0;
	for (int i = 0; i < 3000; i++) {
		ssize_t n = read_file(H "/swap", buf, sizeof buf);
		if (n > 0) {
			opened++;
			if (strstr(buf, "secret"))
				leaked++;
		}
		n = read_file(H "/hostswap", buf, sizeof buf);
		if (n > 0 && strstr(buf, "secret"))
			leaked++;
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	CHECKF("a swapped symlink never reads the secret", leaked == 0, "%d leaks (%d opens)",
	       leaked, opened);
	unlink(H "/swap");
	unlink(H "/s.tmp");
	unlink(H "/f.tmp");
	unlink(H "/public");
}

int main(int argc, char **argv)
{
	unsigned long hello_ino = argc > 1 ? strtoul(argv[1], NULL, 10) : 0;
	mount_checks();
	read_checks(hello_ino);
	write_checks();
	mmap_checks();
	perm_checks();
	confinement_checks();
	CHECK_SYS("umount", umount(H));
	return check_done();
}
