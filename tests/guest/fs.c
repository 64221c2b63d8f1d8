/*
 * Checks reading the ext4 root file system and the device nodes in /dev:
 * file contents (small, multi-megabyte, sparse), a 3000-entry directory via
 * getdents64, fast and slow symlinks, path walk errors, stat fields, seeking,
 * dup, EROFS on the read-only root, getcwd/chdir, and statx against stat. The fixtures are
 * described in fixtures.h.
 */
#include "check.h"
#include "fixtures.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>

static char buf[1 << 16];

static int all_zero(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

/* Returns 1 if PATH opens and reads back exactly SMALL_TEXT. */
static int reads_small(const char *path)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof buf);
	close(fd);
	return n == (ssize_t)strlen(SMALL_TEXT) && memcmp(buf, SMALL_TEXT, (size_t)n) == 0;
}

static void test_small(void)
{
	const size_t len = strlen(SMALL_TEXT);
	int fd = open(SMALL_PATH, O_RDONLY);
	CHECK_SYS("open small", fd);
	CHECK("read small", read(fd, buf, sizeof buf) == (ssize_t)len && memcmp(buf, SMALL_TEXT, len) == 0);
	CHECK("read at EOF returns 0", read(fd, buf, sizeof buf) == 0);
	CHECK("lseek SEEK_SET", lseek(fd, 4, SEEK_SET) == 4);
	CHECK("read after seek", read(fd, buf, 5) == 5 && memcmp(buf, SMALL_TEXT + 4, 5) == 0);
	CHECK("lseek SEEK_CUR", lseek(fd, 0, SEEK_CUR) == 9);
	CHECK("lseek SEEK_END", lseek(fd, 0, SEEK_END) == (off_t)len);
	CHECK("lseek past EOF", lseek(fd, 100, SEEK_END) == (off_t)len + 100);
	CHECK("read past EOF returns 0", read(fd, buf, 10) == 0);
	CHECK_ERRNO("lseek negative", lseek(fd, -1, SEEK_SET), EINVAL);
	CHECK("pread", pread(fd, buf, 3, 10) == 3 && memcmp(buf, SMALL_TEXT + 10, 3) == 0);
	CHECK("pread keeps offset", lseek(fd, 0, SEEK_CUR) == (off_t)len + 100);

	struct stat st;
	CHECK_SYS("fstat small", fstat(fd, &st));
	CHECKF("fstat size", st.st_size == (off_t)len, "st_size %ld", (long)st.st_size);
	CHECKF("fstat mode", st.st_mode == (S_IFREG | 0644), "st_mode %o", st.st_mode);
	CHECKF("fstat nlink", st.st_nlink == 1, "st_nlink %lu", (unsigned long)st.st_nlink);
	CHECKF("fstat blksize", st.st_blksize == 4096, "st_blksize %ld", (long)st.st_blksize);
	CHECK("fstat inode", st.st_ino != 0);

	/* dup shares the file description, and so the offset. */
	lseek(fd, 0, SEEK_SET);
	int d = dup(fd);
	CHECK_SYS("dup", d);
	CHECK("dup shares offset", read(d, buf, 4) == 4 && lseek(fd, 0, SEEK_CUR) == 4);
	CHECK("dup2", dup2(fd, 100) == 100);
	CHECK("dup2 shares offset", read(100, buf, 1) == 1 && buf[0] == SMALL_TEXT[4] &&
					    lseek(d, 0, SEEK_CUR) == 5);
	CHECK_SYS("close dup", close(d));
	CHECK_SYS("close dup2", close(100));
	CHECK_ERRNO("close closed fd", close(100), EBADF);
	CHECK_ERRNO("read closed fd", read(100, buf, 1), EBADF);
	CHECK_SYS("close small", close(fd));

	int dfd = open("/data", O_RDONLY | O_DIRECTORY);
	CHECK_SYS("open /data O_DIRECTORY", dfd);
	fd = openat(dfd, "small.txt", O_RDONLY);
	CHECK("openat relative to dirfd", fd >= 0 && read(fd, buf, len) == (ssize_t)len &&
						  memcmp(buf, SMALL_TEXT, len) == 0);
	close(fd);
	CHECK_ERRNO("read on a directory", read(dfd, buf, 1), EISDIR);
	close(dfd);
}

/* statx reports what stat does, field by field, for a file and a device. */
static void test_statx(void)
{
	static const char *const paths[] = { SMALL_PATH, "/dev/null" };
	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		struct stat st;
		struct statx sx;
		memset(&sx, 0xa5, sizeof sx);
		CHECK_SYS("stat for statx", stat(paths[i], &st));
		CHECK_SYS("statx", statx(AT_FDCWD, paths[i], 0, STATX_BASIC_STATS, &sx));
		CHECKF("statx mask", (sx.stx_mask & STATX_BASIC_STATS) == STATX_BASIC_STATS,
		       "stx_mask %#x", sx.stx_mask);
		CHECKF("statx mode, nlink, ids",
		       sx.stx_mode == st.st_mode && sx.stx_nlink == st.st_nlink &&
			       sx.stx_uid == st.st_uid && sx.stx_gid == st.st_gid,
		       "%s: mode %o nlink %u uid %u gid %u", paths[i], sx.stx_mode,
		       sx.stx_nlink, sx.stx_uid, sx.stx_gid);
		CHECKF("statx ino, size, blocks, blksize",
		       sx.stx_ino == st.st_ino && sx.stx_size == (uint64_t)st.st_size &&
			       sx.stx_blocks == (uint64_t)st.st_blocks &&
			       sx.stx_blksize == (uint32_t)st.st_blksize,
		       "%s: ino %llu size %llu blocks %llu blksize %u", paths[i],
		       (unsigned long long)sx.stx_ino, (unsigned long long)sx.stx_size,
		       (unsigned long long)sx.stx_blocks, sx.stx_blksize);
		CHECKF("statx times",
		       sx.stx_atime.tv_sec == st.st_atim.tv_sec &&
			       sx.stx_atime.tv_nsec == st.st_atim.tv_nsec &&
			       sx.stx_mtime.tv_sec == st.st_mtim.tv_sec &&
			       sx.stx_mtime.tv_nsec == st.st_mtim.tv_nsec &&
			       sx.stx_ctime.tv_sec == st.st_ctim.tv_sec &&
			       sx.stx_ctime.tv_nsec == st.st_ctim.tv_nsec,
		       "%s: mtime %lld.%u", paths[i], (long long)sx.stx_mtime.tv_sec,
		       sx.stx_mtime.tv_nsec);
		CHECKF("statx devices",
		       makedev(sx.stx_dev_major, sx.stx_dev_minor) == st.st_dev &&
			       makedev(sx.stx_rdev_major, sx.stx_rdev_minor) == st.st_rdev,
		       "%s: dev %u:%u rdev %u:%u", paths[i], sx.stx_dev_major,
		       sx.stx_dev_minor, sx.stx_rdev_major, sx.stx_rdev_minor);
	}
}

static void test_big(void)
{
	int fd = open(BIG_PATH, O_RDONLY);
	CHECK_SYS("open big", fd);
	struct stat st;
	CHECK("big size", fstat(fd, &st) == 0 && st.st_size == BIG_SIZE);
	/* Odd-sized reads cross page and block boundaries everywhere. */
	uint64_t off = 0, fnv = 1469598103934665603ull, want = fnv;
	int match = 1;
	for (;;) {
		ssize_t n = read(fd, buf, 3 * 4096 + 17);
		if (n <= 0)
			break;
		for (ssize_t i = 0; i < n; i++) {
			unsigned char b = (unsigned char)buf[i];
			match &= b == pattern_byte(off + (uint64_t)i);
			fnv = (fnv ^ b) * 1099511628211ull;
			want = (want ^ pattern_byte(off + (uint64_t)i)) * 1099511628211ull;
		}
		off += (uint64_t)n;
	}
	CHECKF("big read to EOF", off == BIG_SIZE, "read %lu bytes", (unsigned long)off);
	CHECKF("big checksum", fnv == want && match, "fnv %#lx, expected %#lx", fnv, want);
	uint64_t at[] = { 0, 4095, 4096, 1 << 20, BIG_SIZE - 7 };
	int ok = 1;
	for (size_t k = 0; k < sizeof at / sizeof at[0]; k++) {
		ssize_t n = pread(fd, buf, 7, (off_t)at[k]);
		ok &= n == 7;
		for (int i = 0; i < 7; i++)
			ok &= (unsigned char)buf[i] == pattern_byte(at[k] + (uint64_t)i);
	}
	CHECK("big pread at boundaries", ok);
	CHECK("big pread short at EOF", pread(fd, buf, 100, BIG_SIZE - 10) == 10);
	close(fd);
}

static void test_sparse(void)
{
	int fd = open(SPARSE_PATH, O_RDONLY);
	CHECK_SYS("open sparse", fd);
	struct stat st;
	CHECK("sparse size", fstat(fd, &st) == 0 && st.st_size == SPARSE_SIZE);
	CHECKF("sparse has holes", st.st_blocks * 512 < SPARSE_SIZE / 2, "st_blocks %ld",
	       (long)st.st_blocks);
	struct {
		off_t off;
		const char *data;
	} parts[] = { { SPARSE_OFF_A, SPARSE_DATA_A },
		      { SPARSE_OFF_B, SPARSE_DATA_B },
		      { SPARSE_OFF_C, SPARSE_DATA_C } };
	int data_ok = 1, zero_ok = 1;
	off_t off = 0;
	for (;;) {
		ssize_t n = read(fd, buf, sizeof buf);
		if (n <= 0)
			break;
		for (ssize_t i = 0; i < n; i++) {
			off_t pos = off + i;
			char expect = 0;
			for (int p = 0; p < 3; p++)
				if (pos >= parts[p].off && pos < parts[p].off + (off_t)strlen(parts[p].data))
					expect = parts[p].data[pos - parts[p].off];
			if (buf[i] != expect)
				*(expect ? &data_ok : &zero_ok) = 0;
		}
		off += n;
	}
	CHECK("sparse read to EOF", off == SPARSE_SIZE);
	CHECK("sparse data", data_ok);
	CHECK("sparse holes read as zeros", zero_ok);
	CHECK("sparse pread in a hole", pread(fd, buf, 4096, 4 << 20) == 4096 && all_zero(buf, 4096));
	close(fd);
}

static void test_many(void)
{
	static unsigned char seen[MANY_COUNT];
	int dots = 0, dotdots = 0, others = 0, dupes = 0, bad_type = 0;
	int fd = open(MANY_PATH, O_RDONLY | O_DIRECTORY);
	CHECK_SYS("open many", fd);
	int calls = 0;
	for (;;) {
		/* A small buffer forces many calls and resuming at the offset. */
		long n = syscall(SYS_getdents64, fd, buf, 1024);
		if (n < 0)
			check_fail("getdents64 many", errno, "getdents64 failed");
		if (n == 0)
			break;
		calls++;
		for (long pos = 0; pos < n;) {
			struct dirent64 *d = (struct dirent64 *)(buf + pos);
			unsigned idx;
			char tail;
			if (strcmp(d->d_name, ".") == 0) {
				dots++;
				bad_type |= d->d_type != DT_DIR;
			} else if (strcmp(d->d_name, "..") == 0) {
				dotdots++;
				bad_type |= d->d_type != DT_DIR;
			} else if (sscanf(d->d_name, "f%4u%c", &idx, &tail) == 1 && idx < MANY_COUNT) {
				dupes += seen[idx]++ != 0;
				bad_type |= d->d_type != DT_REG;
			} else {
				others++;
			}
			pos += d->d_reclen;
		}
	}
	int missing = 0;
	for (int i = 0; i < MANY_COUNT; i++)
		missing += !seen[i];
	CHECKF("getdents64 lists every entry", missing == 0, "%d missing", missing);
	CHECKF("getdents64 lists each once", dupes == 0, "%d duplicates", dupes);
	CHECKF("getdents64 . and .. once", dots == 1 && dotdots == 1, ". %d, .. %d", dots, dotdots);
	CHECKF("getdents64 nothing else", others == 0, "%d unexpected entries", others);
	CHECK("getdents64 d_type", !bad_type);
	CHECKF("getdents64 took many calls", calls > 10, "%d calls", calls);
	CHECK("getdents64 at end stays 0", syscall(SYS_getdents64, fd, buf, 1024) == 0);
	CHECK("lseek rewinds directory", lseek(fd, 0, SEEK_SET) == 0 &&
						 syscall(SYS_getdents64, fd, buf, 1024) > 0);
	CHECK_ERRNO("getdents64 buffer too small", syscall(SYS_getdents64, fd, buf, 8), EINVAL);
	close(fd);
	fd = (int)MUST(open(SMALL_PATH, O_RDONLY));
	CHECK_ERRNO("getdents64 on a file", syscall(SYS_getdents64, fd, buf, 1024), ENOTDIR);
	close(fd);

	struct stat st;
	CHECK("stat many", stat(MANY_PATH, &st) == 0 && S_ISDIR(st.st_mode));
	CHECKF("directory nlink", st.st_nlink == 2, "st_nlink %lu", (unsigned long)st.st_nlink);
	CHECK("open an entry", open(MANY_PATH "/f2999", O_RDONLY) >= 0);
}

static void test_symlinks(void)
{
	char target[256];
	ssize_t n = readlink(FAST_LINK_PATH, target, sizeof target);
	CHECKF("readlink fast", n == (ssize_t)strlen(FAST_LINK_TARGET) &&
				       memcmp(target, FAST_LINK_TARGET, (size_t)n) == 0,
	       "returned %zd", n);
	n = readlink(SLOW_LINK_PATH, target, sizeof target);
	CHECKF("readlink slow", n == (ssize_t)strlen(SLOW_LINK_TARGET) &&
				       memcmp(target, SLOW_LINK_TARGET, (size_t)n) == 0,
	       "returned %zd", n);
	CHECK("slow link target is over 60 bytes", strlen(SLOW_LINK_TARGET) > 60);
	CHECK("readlink truncates", readlink(SLOW_LINK_PATH, target, 4) == 4 &&
					    memcmp(target, SLOW_LINK_TARGET, 4) == 0);
	CHECK("open through fast link", reads_small(FAST_LINK_PATH));
	CHECK("open through slow link", reads_small(SLOW_LINK_PATH));
	CHECK("open through dir link", open(DIR_LINK_PATH "/f0000", O_RDONLY) >= 0);
	CHECK("dotdot after dir link is physical", reads_small(DIR_LINK_PATH "/../small.txt"));
	struct stat st, lst;
	CHECK("stat follows link", stat(FAST_LINK_PATH, &st) == 0 && S_ISREG(st.st_mode) &&
					   st.st_size == (off_t)strlen(SMALL_TEXT));
	CHECK("lstat does not follow", lstat(SLOW_LINK_PATH, &lst) == 0 && S_ISLNK(lst.st_mode) &&
					       lst.st_size == (off_t)strlen(SLOW_LINK_TARGET));
	CHECK_ERRNO("readlink on a file", readlink(SMALL_PATH, target, sizeof target), EINVAL);
	CHECK_ERRNO("dangling link", open(DANGLING_LINK_PATH, O_RDONLY), ENOENT);
	CHECK_ERRNO("symlink loop", open(LOOP1_PATH, O_RDONLY), ELOOP);
	CHECK_ERRNO("O_NOFOLLOW on a link", open(FAST_LINK_PATH, O_RDONLY | O_NOFOLLOW), ELOOP);
}

static void test_paths(void)
{
	CHECK("dotdot traversal", reads_small("/data/many/../small.txt"));
	CHECK("dotdot above root", reads_small("/../../data/./small.txt"));
	CHECK("repeated slashes", reads_small("//data///small.txt"));
	CHECK_ERRNO("ENOENT", open("/data/nonexistent", O_RDONLY), ENOENT);
	CHECK_ERRNO("ENOENT in path", open("/nonexistent/small.txt", O_RDONLY), ENOENT);
	CHECK_ERRNO("ENOTDIR", open(SMALL_PATH "/x", O_RDONLY), ENOTDIR);
	CHECK_ERRNO("ENOTDIR trailing slash", open(SMALL_PATH "/", O_RDONLY), ENOTDIR);
	CHECK_ERRNO("O_DIRECTORY on a file", open(SMALL_PATH, O_RDONLY | O_DIRECTORY), ENOTDIR);
	CHECK_ERRNO("empty path", open("", O_RDONLY), ENOENT);

	struct stat a, b;
	CHECK("stat hard link a", stat(HARDLINK_A, &a) == 0);
	CHECK("stat hard link b", stat(HARDLINK_B, &b) == 0);
	CHECK("hard links share the inode", a.st_ino == b.st_ino && a.st_dev == b.st_dev);
	CHECKF("hard link nlink", a.st_nlink == 2, "st_nlink %lu", (unsigned long)a.st_nlink);
	CHECK("stat root", stat("/", &a) == 0 && S_ISDIR(a.st_mode) && a.st_ino == 2);
	CHECK("stat /.. is root", stat("/..", &b) == 0 && b.st_ino == a.st_ino);
}

static void test_devices(void)
{
	struct stat st;
	int fd = open("/dev/null", O_RDWR);
	CHECK_SYS("open /dev/null", fd);
	CHECK("/dev/null is 1:3", fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) &&
					  st.st_rdev == (dev_t)makedev(1, 3));
	CHECK("read /dev/null returns 0", read(fd, buf, sizeof buf) == 0);
	CHECK("write /dev/null succeeds", write(fd, "abc", 3) == 3);
	close(fd);

	fd = open("/dev/zero", O_RDONLY);
	CHECK_SYS("open /dev/zero", fd);
	memset(buf, 0xff, 8192);
	CHECK("read /dev/zero", read(fd, buf, 8192) == 8192 && all_zero(buf, 8192));
	close(fd);

	fd = open("/dev/urandom", O_RDONLY);
	CHECK_SYS("open /dev/urandom", fd);
	memset(buf, 0, 64);
	CHECK("read /dev/urandom", read(fd, buf, 64) == 64 && !all_zero(buf, 64));
	char again[64];
	CHECK("/dev/urandom differs", read(fd, again, 64) == 64 && memcmp(buf, again, 64) != 0);
	close(fd);
}

static void test_erofs(void)
{
	CHECK_ERRNO("O_WRONLY on read-only root", open(SMALL_PATH, O_WRONLY), EROFS);
	CHECK_ERRNO("O_RDWR on read-only root", open(SMALL_PATH, O_RDWR), EROFS);
	CHECK_ERRNO("O_CREAT on read-only root", open("/data/new", O_WRONLY | O_CREAT, 0644), EROFS);
	CHECK_ERRNO("O_WRONLY on a directory", open("/data", O_WRONLY), EISDIR);
}

static void test_cwd(void)
{
	char cwd[256];
	CHECK("getcwd at start is /", getcwd(cwd, sizeof cwd) && strcmp(cwd, "/") == 0);
	CHECK_SYS("chdir /data/many", chdir(MANY_PATH));
	CHECK("getcwd after chdir", getcwd(cwd, sizeof cwd) && strcmp(cwd, MANY_PATH) == 0);
	CHECK("relative open", open("f0001", O_RDONLY) >= 0);
	CHECK_SYS("chdir ..", chdir(".."));
	CHECK("getcwd after chdir ..", getcwd(cwd, sizeof cwd) && strcmp(cwd, "/data") == 0);
	CHECK("relative open of small", reads_small("small.txt"));
	CHECK_SYS("chdir through dir link", chdir("link-dir"));
	CHECK("getcwd resolves links", getcwd(cwd, sizeof cwd) && strcmp(cwd, MANY_PATH) == 0);
	CHECK_ERRNO("getcwd buffer too small", getcwd(cwd, 3) ? 0 : -1, ERANGE);
	CHECK_ERRNO("chdir to a file", chdir(SMALL_PATH), ENOTDIR);
	CHECK_ERRNO("chdir to nothing", chdir("/nonexistent"), ENOENT);
	CHECK_SYS("chdir /", chdir("/"));
	CHECK("getcwd back at /", getcwd(cwd, sizeof cwd) && strcmp(cwd, "/") == 0);
}

int main(void)
{
	test_cwd();
	test_small();
	test_statx();
	test_big();
	test_sparse();
	test_many();
	test_symlinks();
	test_paths();
	test_devices();
	test_erofs();
	return check_done();
}
