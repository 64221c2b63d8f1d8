/*
 * Writes to the ext4 root (booted rw on a copy of the image), then, run again
 * with "check", verifies everything from a fresh boot and removes it. The host
 * side (tests/boot.rs) runs e2fsck -fn and debugfs on the image after each
 * boot. The workload: a 4 MiB file in 64 KiB writes, a sparse file with 40
 * runs truncated up, 2000 files in one directory with every third removed and
 * every fifth renamed, a 16-deep tree, hard links, fast and slow symlinks, a
 * FIFO and a device node, chmod/chown/utimensat with nanoseconds, a directory
 * moved between parents, RENAME_EXCHANGE and RENAME_NOREPLACE, a file
 * unlinked while open, a tree removed recursively, fsync and sync.
 *
 * On the host: run it as root in a chroot of a read-write loop mount of a copy
 * of the image, once without and once with "check".
 */
#include "check.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE 1
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE 2
#endif
#define EXT4_MAGIC 0xEF53
#define BIG_LEN (4 * 1024 * 1024 + 123)
#define MANY 2000
#define SPARSE_RUNS 40
#define SPARSE_LEN (30L * 1024 * 1024 + 7)
#define DEPTH 16
#define SLOW_TARGET                                                           \
	"a/long/symlink/target/that/does/not/fit/in/the/sixty/bytes/of/"      \
	"i_block/so/it/takes/a/block/of/its/own/and/goes/on/a/bit/longer/"    \
	"to/be/sure/about/it/0123456789/0123456789/0123456789/end"

static char buf[1 << 16];

/* Returns byte I of the big file (tests/boot.rs computes the same). */
static unsigned char big_byte(long i)
{
	return (unsigned char)((i * 7) ^ (i >> 13));
}

static int renameat2_(const char *a, const char *b, unsigned flags)
{
	return (int)syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, flags);
}

static int put(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* Returns the contents of PATH in buf (NUL-terminated), or -1. */
static ssize_t slurp(const char *path)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n >= 0)
		buf[n] = 0;
	return n;
}

/* Removes PATH and everything under it; returns 0 or -1. */
static int remove_tree(const char *path)
{
	struct stat st;
	if (lstat(path, &st) != 0)
		return -1;
	if (!S_ISDIR(st.st_mode))
		return unlink(path);
	DIR *d = opendir(path);
	if (!d)
		return -1;
	struct dirent *e;
	int r = 0;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		char child[4096];
		snprintf(child, sizeof child, "%s/%s", path, e->d_name);
		if (remove_tree(child) != 0)
			r = -1;
	}
	closedir(d);
	return r == 0 ? rmdir(path) : -1;
}

static void write_files(void)
{
	struct statfs sf;
	CHECK("root is writable ext4", statfs("/", &sf) == 0 && sf.f_type == EXT4_MAGIC &&
					       !(sf.f_flags & ST_RDONLY));
	CHECK_SYS("mkdir /ext4rw", mkdir("/ext4rw", 0755));
	int fd = open("/ext4rw/big.bin", O_WRONLY | O_CREAT | O_EXCL, 0600);
	CHECK_SYS("create big", fd);
	int ok = 1;
	for (long off = 0; off < BIG_LEN; off += sizeof buf) {
		long n = BIG_LEN - off < (long)sizeof buf ? BIG_LEN - off : (long)sizeof buf;
		for (long i = 0; i < n; i++)
			buf[i] = (char)big_byte(off + i);
		ok &= write(fd, buf, n) == n;
	}
	CHECK("write 4 MiB", ok);
	CHECK_SYS("fsync big", fsync(fd));
	close(fd);

	fd = open("/ext4rw/sparse.bin", O_RDWR | O_CREAT, 0644);
	memset(buf, 'S', 4096);
	ok = fd >= 0;
	for (long k = 0; k < SPARSE_RUNS; k++)
		ok &= pwrite(fd, buf, 4096, k * 1024 * 1024 + 100) == 4096;
	CHECK("sparse runs", ok);
	CHECK_SYS("ftruncate up", ftruncate(fd, SPARSE_LEN));
	close(fd);

	CHECK_SYS("mkdir many", mkdir("/ext4rw/many", 0755));
	ok = 1;
	for (int i = 0; i < MANY; i++) {
		char path[64], text[16];
		snprintf(path, sizeof path, "/ext4rw/many/file_%04d", i);
		snprintf(text, sizeof text, "%d\n", i);
		ok &= put(path, text) == 0;
	}
	CHECK("2000 files", ok);
	for (int i = 0; i < MANY; i += 3) {
		char path[64];
		snprintf(path, sizeof path, "/ext4rw/many/file_%04d", i);
		ok &= unlink(path) == 0;
	}
	CHECK("every third removed", ok);
	for (int i = 1; i < MANY; i += 5) {
		char from[64], to[64];
		if (i % 3 == 0)
			continue;
		snprintf(from, sizeof from, "/ext4rw/many/file_%04d", i);
		snprintf(to, sizeof to, "/ext4rw/many/renamed_%04d", i);
		ok &= rename(from, to) == 0;
	}
	CHECK("every fifth renamed", ok);

	char path[512] = "/ext4rw/deep";
	ok = mkdir(path, 0755) == 0;
	for (int d = 0; d < DEPTH; d++) {
		size_t len = strlen(path);
		snprintf(path + len, sizeof path - len, "/d%d", d);
		ok &= mkdir(path, 0755) == 0;
	}
	strcat(path, "/leaf.txt");
	CHECK("deep tree", ok && put(path, "leaf\n") == 0);

	CHECK_SYS("small", put("/ext4rw/small.txt", "hello ext4\n"));
	CHECK_SYS("hard link", link("/ext4rw/small.txt", "/ext4rw/hard.txt"));
	CHECK_SYS("fast symlink", symlink("small.txt", "/ext4rw/fast_link"));
	CHECK_SYS("slow symlink", symlink(SLOW_TARGET, "/ext4rw/slow_link"));
	CHECK_SYS("mkfifo", mkfifo("/ext4rw/fifo", 0640));
	CHECK_SYS("mknod", mknod("/ext4rw/null", S_IFCHR | 0666, makedev(1, 3)));
	CHECK_SYS("chmod", chmod("/ext4rw/small.txt", 0640));
	CHECK_SYS("chown", chown("/ext4rw/small.txt", 1000, 1000));
	struct timespec ts[2] = {{1000000000, 5}, {1234567890, 123456789}};
	CHECK_SYS("utimensat", utimensat(AT_FDCWD, "/ext4rw/small.txt", ts, 0));

	struct stat a, b;
	mkdir("/ext4rw/a", 0755);
	mkdir("/ext4rw/b", 0755);
	mkdir("/ext4rw/a/sub", 0755);
	put("/ext4rw/a/sub/x", "x\n");
	CHECK_SYS("move dir", rename("/ext4rw/a/sub", "/ext4rw/b/sub"));
	CHECK("link counts follow", stat("/ext4rw/a", &a) == 0 && stat("/ext4rw/b", &b) == 0 &&
					    a.st_nlink == 2 && b.st_nlink == 3);
	CHECK("dotdot follows", stat("/ext4rw/b/sub/..", &a) == 0 && a.st_ino == b.st_ino);
	CHECK_SYS("exchange", renameat2_("/ext4rw/a", "/ext4rw/b", RENAME_EXCHANGE));
	CHECK_ERRNO("noreplace", renameat2_("/ext4rw/a", "/ext4rw/b", RENAME_NOREPLACE), EEXIST);

	fd = open("/ext4rw/open", O_RDWR | O_CREAT, 0600);
	CHECK("write before unlink", fd >= 0 && write(fd, "still here", 10) == 10);
	CHECK_SYS("unlink open", unlink("/ext4rw/open"));
	CHECK("read after unlink", pread(fd, buf, 64, 0) == 10 && memcmp(buf, "still here", 10) == 0);
	close(fd);

	memset(buf, 'x', 3000);
	CHECK_SYS("xattr in the inode", setxattr("/ext4rw/small.txt", "user.small", "hello", 5, 0));
	CHECK_SYS("xattr in a block", setxattr("/ext4rw/small.txt", "user.big", buf, 3000, 0));
	CHECK_SYS("trusted xattr", setxattr("/ext4rw/small.txt", "trusted.t", "", 0, 0));
	CHECK_SYS("xattr to remove", setxattr("/ext4rw/small.txt", "user.gone", "g", 1, 0));
	CHECK_SYS("removexattr", removexattr("/ext4rw/small.txt", "user.gone"));
	CHECK_ERRNO("a value no block holds", setxattr("/ext4rw/null", "trusted.huge", buf,
						       sizeof buf, 0), ENOSPC);

	mkdir("/ext4rw/gone", 0755);
	mkdir("/ext4rw/gone/x", 0755);
	put("/ext4rw/gone/x/y", "y");
	symlink("x/y", "/ext4rw/gone/l");
	CHECK_SYS("remove a tree", remove_tree("/ext4rw/gone"));
	sync();
}

static void check_files(void)
{
	struct stat st;
	int fd = open("/ext4rw/big.bin", O_RDONLY);
	long total = 0, bad = 0, n;
	while (fd >= 0 && (n = read(fd, buf, sizeof buf)) > 0) {
		for (long i = 0; i < n; i++)
			bad += (unsigned char)buf[i] != big_byte(total + i);
		total += n;
	}
	close(fd);
	CHECKF("big contents", total == BIG_LEN && bad == 0, "%ld bytes, %ld wrong", total, bad);
	CHECK("sparse size", stat("/ext4rw/sparse.bin", &st) == 0 && st.st_size == SPARSE_LEN &&
				     st.st_blocks < 2000);
	fd = open("/ext4rw/sparse.bin", O_RDONLY);
	CHECK("sparse data and holes", pread(fd, buf, 8, 5L * 1024 * 1024 + 100) == 8 &&
					       memcmp(buf, "SSSSSSSS", 8) == 0 &&
					       pread(fd, buf, 8, 5L * 1024 * 1024) == 8 &&
					       memcmp(buf, "\0\0\0\0\0\0\0\0", 8) == 0);
	close(fd);
	int files = 0, ok = 1;
	DIR *d = opendir("/ext4rw/many");
	struct dirent *e;
	while (d && (e = readdir(d)) != NULL)
		files += e->d_name[0] != '.';
	closedir(d);
	for (int i = 0; i < MANY; i++) {
		char path[64], text[16];
		int renamed = i % 5 == 1 && i % 3 != 0;
		snprintf(path, sizeof path, "/ext4rw/many/%s_%04d", renamed ? "renamed" : "file", i);
		snprintf(text, sizeof text, "%d\n", i);
		if (i % 3 == 0)
			ok &= stat(path, &st) == -1 && errno == ENOENT;
		else
			ok &= slurp(path) > 0 && strcmp(buf, text) == 0;
	}
	CHECKF("many", ok && files == MANY - (MANY + 2) / 3, "%d files", files);
	char path[512] = "/ext4rw/deep";
	for (int i = 0; i < DEPTH; i++)
		snprintf(path + strlen(path), sizeof path - strlen(path), "/d%d", i);
	strcat(path, "/leaf.txt");
	CHECK("deep leaf", slurp(path) == 5 && strcmp(buf, "leaf\n") == 0);
	/* Before any read: relatime would move the access time. */
	CHECK("attributes", stat("/ext4rw/small.txt", &st) == 0 && st.st_nlink == 2 &&
				    st.st_mode == (S_IFREG | 0640) && st.st_uid == 1000 &&
				    st.st_gid == 1000 && st.st_mtim.tv_sec == 1234567890 &&
				    st.st_mtim.tv_nsec == 123456789 && st.st_atim.tv_nsec == 5);
	CHECK("small", slurp("/ext4rw/hard.txt") == 11 && strcmp(buf, "hello ext4\n") == 0);
	CHECK("xattrs", getxattr("/ext4rw/small.txt", "user.small", buf, sizeof buf) == 5 &&
				memcmp(buf, "hello", 5) == 0 &&
				getxattr("/ext4rw/small.txt", "user.big", buf, sizeof buf) == 3000 &&
				buf[2999] == 'x' &&
				getxattr("/ext4rw/small.txt", "trusted.t", buf, sizeof buf) == 0 &&
				listxattr("/ext4rw/small.txt", buf, sizeof buf) ==
					sizeof "user.small" + sizeof "user.big" + sizeof "trusted.t");
	ssize_t len = readlink("/ext4rw/slow_link", buf, sizeof buf);
	CHECK("slow symlink", len == (ssize_t)strlen(SLOW_TARGET) && memcmp(buf, SLOW_TARGET, len) == 0);
	CHECK("fast symlink", slurp("/ext4rw/fast_link") == 11);
	CHECK("fifo", stat("/ext4rw/fifo", &st) == 0 && S_ISFIFO(st.st_mode) && (st.st_mode & 0777) == 0640);
	CHECK("device", stat("/ext4rw/null", &st) == 0 && S_ISCHR(st.st_mode) &&
				st.st_rdev == makedev(1, 3));
	CHECK("exchanged dirs", slurp("/ext4rw/a/sub/x") == 2 && stat("/ext4rw/b/sub", &st) == -1);
	CHECK("unlinked file gone", stat("/ext4rw/open", &st) == -1 && errno == ENOENT);
	CHECK("removed tree gone", stat("/ext4rw/gone", &st) == -1 && errno == ENOENT);
	CHECK_SYS("remove everything", remove_tree("/ext4rw"));
	CHECK("gone", stat("/ext4rw", &st) == -1 && errno == ENOENT);
	sync();
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "check") == 0)
		check_files();
	else
		write_files();
	return check_done();
}
