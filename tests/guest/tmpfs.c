/*
 * Checks the writable tmpfs on /tmp (and /dev/shm) and the calls that change
 * the namespace and attributes: create/write/append/truncate, unlink while
 * open, mkdir/rmdir, rename (over files and directories, RENAME_NOREPLACE,
 * RENAME_EXCHANGE), hard links, symlinks, device nodes, chmod/chown/utimensat,
 * umask, getdents64 while the directory changes, statfs, a 4 MiB file with
 * holes, and EROFS/EXDEV against the read-only ext4 root.
 *
 * On the host: mount tmpfs on /tmp and /dev/shm of the chroot first.
 */
#include "check.h"
#include "fixtures.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <time.h>
#include <utime.h>

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE 1
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE 2
#endif
#define TMPFS_MAGIC 0x01021994
#define EXT4_MAGIC 0xEF53

static char buf[1 << 16];

static int renameat2_(const char *a, const char *b, unsigned flags)
{
	return (int)syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, flags);
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

static int put(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

static void test_mounts(void)
{
	struct statfs sf;
	struct stat st, root;
	CHECK_SYS("statfs /tmp", statfs("/tmp", &sf));
	CHECKF("/tmp is tmpfs", sf.f_type == TMPFS_MAGIC, "f_type %lx", (long)sf.f_type);
	CHECK("/tmp statfs figures", sf.f_bsize == 4096 && sf.f_blocks > 0 &&
					     sf.f_bfree <= sf.f_blocks && sf.f_namelen == 255 &&
					     !(sf.f_flags & ST_RDONLY));
	CHECK_SYS("statfs /dev/shm", statfs("/dev/shm", &sf));
	CHECK("/dev/shm is tmpfs", sf.f_type == TMPFS_MAGIC);
	CHECK_SYS("statfs /", statfs("/", &sf));
	CHECKF("/ is read-only ext4", sf.f_type == EXT4_MAGIC && (sf.f_flags & ST_RDONLY),
	       "f_type %lx flags %lx", (long)sf.f_type, (long)sf.f_flags);
	CHECK_SYS("stat /tmp", stat("/tmp", &st));
	CHECK_SYS("stat /", stat("/", &root));
	CHECKF("/tmp mode 1777", st.st_mode == (S_IFDIR | 01777), "mode %o", st.st_mode);
	CHECK("/tmp is another device", st.st_dev != root.st_dev && major(st.st_dev) == 0);
	int fd = open("/tmp", O_RDONLY | O_DIRECTORY);
	CHECK("fstatfs", fd >= 0 && fstatfs(fd, &sf) == 0 && sf.f_type == TMPFS_MAGIC);
	close(fd);
}

static void test_files(void)
{
	struct stat st;
	CHECKF("umask default", umask(022) == 022, "umask was not 022");
	int fd = open("/tmp/a", O_RDWR | O_CREAT | O_EXCL, 0666);
	CHECK_SYS("create", fd);
	CHECK("fstat new file", fstat(fd, &st) == 0 && st.st_mode == (S_IFREG | 0644) &&
					st.st_size == 0 && st.st_nlink == 1 && st.st_blocks == 0);
	CHECK_ERRNO("O_EXCL on existing", open("/tmp/a", O_RDWR | O_CREAT | O_EXCL, 0644), EEXIST);
	CHECK("write", write(fd, "hello", 5) == 5);
	CHECK("pread", pread(fd, buf, 16, 0) == 5 && memcmp(buf, "hello", 5) == 0);
	int ap = open("/tmp/a", O_WRONLY | O_APPEND);
	CHECK("append", ap >= 0 && write(ap, " world", 6) == 6);
	close(ap);
	CHECK("read back", slurp("/tmp/a") == 11 && strcmp(buf, "hello world") == 0);
	CHECK("st_blocks of one page", fstat(fd, &st) == 0 && st.st_blocks == 8);
	CHECK_SYS("ftruncate down", ftruncate(fd, 3));
	CHECK_SYS("ftruncate up", ftruncate(fd, 8192));
	memset(buf, 0xff, 8192);
	CHECK("truncated tail reads zeroes",
	      pread(fd, buf, 8192, 0) == 8192 && memcmp(buf, "hel\0\0", 5) == 0 &&
		      buf[4095] == 0 && buf[8191] == 0);
	CHECK_SYS("truncate", truncate("/tmp/a", 1));
	CHECK("truncate seen by fstat", fstat(fd, &st) == 0 && st.st_size == 1);
	CHECK_ERRNO("truncate negative", truncate("/tmp/a", -1), EINVAL);
	CHECK_ERRNO("truncate directory", truncate("/tmp", 0), EISDIR);
	int ro = open("/tmp/a", O_RDONLY);
	CHECK_ERRNO("ftruncate read-only fd", ftruncate(ro, 0), EINVAL);
	close(ro);
	int t = open("/tmp/a", O_WRONLY | O_TRUNC);
	CHECK("O_TRUNC", t >= 0 && fstat(t, &st) == 0 && st.st_size == 0);
	close(t);
	CHECK_SYS("fsync", fsync(fd));
	CHECK_SYS("fdatasync", fdatasync(fd));
	CHECK_SYS("syncfs", syscall(SYS_syncfs, fd));
	sync();
	int null = open("/dev/null", O_WRONLY);
	CHECK_ERRNO("fsync /dev/null", fsync(null), EINVAL);
	close(null);
	CHECK_SYS("creat", t = creat("/tmp/c", 0600));
	CHECK("creat mode", fstat(t, &st) == 0 && st.st_mode == (S_IFREG | 0600));
	close(t);

	/* Unlinked while open: the file lives until closed. */
	CHECK("write before unlink", pwrite(fd, "still here", 10, 0) == 10);
	CHECK_SYS("unlink open file", unlink("/tmp/a"));
	CHECK_ERRNO("name gone", stat("/tmp/a", &st), ENOENT);
	CHECK("fstat after unlink", fstat(fd, &st) == 0 && st.st_nlink == 0 && st.st_size == 10);
	CHECK("read after unlink", pread(fd, buf, 64, 0) == 10 && memcmp(buf, "still here", 10) == 0);
	CHECK("write after unlink", pwrite(fd, "!", 1, 10) == 1);
	CHECK_SYS("close unlinked", close(fd));
	CHECK_ERRNO("unlink again", unlink("/tmp/a"), ENOENT);
	CHECK_SYS("unlink creat", unlink("/tmp/c"));
}

static void test_dirs(void)
{
	struct stat st, tmp0, tmp1;
	stat("/tmp", &tmp0);
	CHECK_SYS("mkdir", mkdir("/tmp/d", 0777));
	CHECK("mkdir mode and nlink", stat("/tmp/d", &st) == 0 &&
					      st.st_mode == (S_IFDIR | 0755) && st.st_nlink == 2);
	CHECK("parent nlink", stat("/tmp", &tmp1) == 0 && tmp1.st_nlink == tmp0.st_nlink + 1);
	CHECK_ERRNO("mkdir existing", mkdir("/tmp/d", 0755), EEXIST);
	CHECK_ERRNO("mkdir in missing", mkdir("/tmp/nope/x", 0755), ENOENT);
	CHECK_SYS("mkdir nested", mkdir("/tmp/d/e", 0755));
	CHECK("nested nlink", stat("/tmp/d", &st) == 0 && st.st_nlink == 3);
	CHECK_SYS("file in dir", put("/tmp/d/f", "x"));
	CHECK_ERRNO("rmdir non-empty", rmdir("/tmp/d"), ENOTEMPTY);
	CHECK_ERRNO("rmdir a file", rmdir("/tmp/d/f"), ENOTDIR);
	CHECK_ERRNO("unlink a dir", unlink("/tmp/d/e"), EISDIR);
	CHECK_ERRNO("rmdir dot", rmdir("/tmp/d/."), EINVAL);
	CHECK_ERRNO("rmdir mount point on the read-only root", rmdir("/tmp"), EROFS);
	CHECK_ERRNO("unlinkat bad flag", unlinkat(AT_FDCWD, "/tmp/d/f", 1), EINVAL);
	CHECK_SYS("unlinkat file", unlinkat(AT_FDCWD, "/tmp/d/f", 0));
	int dfd = open("/tmp/d", O_RDONLY | O_DIRECTORY);
	CHECK_SYS("unlinkat AT_REMOVEDIR", unlinkat(dfd, "e", AT_REMOVEDIR));
	CHECK_SYS("mkdirat", mkdirat(dfd, "g", 0700));
	CHECK("mkdirat mode", fstatat(dfd, "g", &st, 0) == 0 && st.st_mode == (S_IFDIR | 0700));
	CHECK_SYS("rmdir", rmdir("/tmp/d/g"));
	CHECK_SYS("chdir into dir", chdir("/tmp/d"));
	CHECK_SYS("rmdir dir", rmdir("/tmp/d"));
	CHECK("removed dir has nlink 0", fstat(dfd, &st) == 0 && st.st_nlink == 0);
	CHECK_ERRNO("create in removed cwd", open("x", O_WRONLY | O_CREAT, 0644), ENOENT);
	CHECK_ERRNO("getcwd in removed cwd", getcwd(buf, sizeof buf) ? 0 : -1, ENOENT);
	CHECK_ERRNO("getdents64 of removed dir", syscall(SYS_getdents64, dfd, buf, 4096), ENOENT);
	CHECK_SYS("chdir /", chdir("/"));
	close(dfd);
	CHECK("parent nlink back", stat("/tmp", &tmp1) == 0 && tmp1.st_nlink == tmp0.st_nlink);

	umask(077);
	CHECK_SYS("mkdir under umask 077", mkdir("/tmp/u", 0777));
	CHECK("umask applied to mkdir", stat("/tmp/u", &st) == 0 && st.st_mode == (S_IFDIR | 0700));
	int fd = open("/tmp/u/f", O_WRONLY | O_CREAT, 0666);
	CHECK("umask applied to open", fd >= 0 && fstat(fd, &st) == 0 && st.st_mode == (S_IFREG | 0600));
	close(fd);
	CHECKF("umask returns old", umask(022) == 077, "old umask");
	unlink("/tmp/u/f");
	rmdir("/tmp/u");
}

static void test_rename(void)
{
	struct stat st, st2;
	put("/tmp/r1", "one");
	put("/tmp/r2", "two");
	CHECK_SYS("rename over file", rename("/tmp/r1", "/tmp/r2"));
	CHECK("old name gone", stat("/tmp/r1", &st) == -1 && errno == ENOENT);
	CHECK("new name has content", slurp("/tmp/r2") == 3 && strcmp(buf, "one") == 0);
	mkdir("/tmp/rd", 0755);
	mkdir("/tmp/rd/sub", 0755);
	mkdir("/tmp/empty", 0755);
	mkdir("/tmp/full", 0755);
	put("/tmp/full/f", "f");
	CHECK_ERRNO("dir over non-empty dir", rename("/tmp/rd", "/tmp/full"), ENOTEMPTY);
	CHECK_ERRNO("dir into itself", rename("/tmp/rd", "/tmp/rd/sub/x"), EINVAL);
	CHECK_ERRNO("file over dir", rename("/tmp/r2", "/tmp/empty"), EISDIR);
	CHECK_ERRNO("dir over file", rename("/tmp/rd", "/tmp/r2"), ENOTDIR);
	CHECK_SYS("dir over empty dir", rename("/tmp/rd", "/tmp/empty"));
	CHECK("moved dir keeps children", stat("/tmp/empty/sub", &st) == 0 && S_ISDIR(st.st_mode));
	CHECK_ERRNO("old dir gone", stat("/tmp/rd/sub", &st), ENOENT);
	CHECK_SYS("move dir across dirs", rename("/tmp/empty/sub", "/tmp/full/sub"));
	CHECK("link counts follow", stat("/tmp/empty", &st) == 0 && st.st_nlink == 2 &&
					    stat("/tmp/full", &st2) == 0 && st2.st_nlink == 3);
	CHECK_SYS("rename to itself", rename("/tmp/r2", "/tmp/r2"));
	CHECK_ERRNO("rename mount point on the read-only root", rename("/tmp", "/tmp2"), EROFS);

	put("/tmp/x1", "x1");
	CHECK_ERRNO("RENAME_NOREPLACE", renameat2_("/tmp/x1", "/tmp/r2", RENAME_NOREPLACE), EEXIST);
	CHECK_SYS("RENAME_NOREPLACE to new", renameat2_("/tmp/x1", "/tmp/x2", RENAME_NOREPLACE));
	CHECK_SYS("RENAME_EXCHANGE files", renameat2_("/tmp/x2", "/tmp/r2", RENAME_EXCHANGE));
	CHECK("exchanged", slurp("/tmp/x2") == 3 && strcmp(buf, "one") == 0 &&
				   slurp("/tmp/r2") == 2 && strcmp(buf, "x1") == 0);
	CHECK_SYS("RENAME_EXCHANGE file and dir", renameat2_("/tmp/r2", "/tmp/full", RENAME_EXCHANGE));
	CHECK("dir and file swapped", stat("/tmp/r2/sub", &st) == 0 && slurp("/tmp/full") == 2);
	CHECK_ERRNO("RENAME_EXCHANGE missing", renameat2_("/tmp/x2", "/tmp/nope", RENAME_EXCHANGE), ENOENT);
	CHECK_ERRNO("bad rename flags", renameat2_("/tmp/x2", "/tmp/y", 8), EINVAL);
	CHECK_ERRNO("EXCHANGE|NOREPLACE",
		    renameat2_("/tmp/x2", "/tmp/full", RENAME_EXCHANGE | RENAME_NOREPLACE), EINVAL);
	int d = open("/tmp", O_RDONLY | O_DIRECTORY);
	CHECK_SYS("renameat", renameat(d, "x2", d, "x3"));
	close(d);
	unlink("/tmp/x3");
	unlink("/tmp/full");
	unlink("/tmp/r2/f");
	rmdir("/tmp/r2/sub");
	rmdir("/tmp/r2");
	rmdir("/tmp/empty");
}

static void test_links(void)
{
	struct stat st, st2;
	put("/tmp/h", "hard");
	CHECK_SYS("link", link("/tmp/h", "/tmp/h2"));
	CHECK("same inode, nlink 2", stat("/tmp/h", &st) == 0 && stat("/tmp/h2", &st2) == 0 &&
					     st.st_ino == st2.st_ino && st.st_nlink == 2);
	CHECK_ERRNO("link existing", link("/tmp/h", "/tmp/h2"), EEXIST);
	CHECK_ERRNO("link a dir", link("/tmp", "/tmp/dirlink"), EPERM);
	CHECK_ERRNO("link missing", link("/tmp/nope", "/tmp/n2"), ENOENT);
	int fd = open("/tmp/h", O_RDONLY);
	CHECK_SYS("linkat AT_EMPTY_PATH", linkat(fd, "", AT_FDCWD, "/tmp/h3", AT_EMPTY_PATH));
	CHECK("nlink 3", fstat(fd, &st) == 0 && st.st_nlink == 3);
	CHECK_ERRNO("linkat bad flags", linkat(AT_FDCWD, "/tmp/h", AT_FDCWD, "/tmp/h4", 1), EINVAL);
	close(fd);
	CHECK_SYS("unlink one link", unlink("/tmp/h"));
	CHECK("other links remain", stat("/tmp/h2", &st) == 0 && st.st_nlink == 2 &&
					    slurp("/tmp/h3") == 4 && strcmp(buf, "hard") == 0);

	char target[64];
	CHECK_SYS("symlink", symlink("h2", "/tmp/s"));
	CHECK("lstat symlink", lstat("/tmp/s", &st) == 0 && S_ISLNK(st.st_mode) &&
				       (st.st_mode & 07777) == 0777 && st.st_size == 2);
	CHECK("readlink", readlink("/tmp/s", target, sizeof target) == 2 && memcmp(target, "h2", 2) == 0);
	CHECK("follow symlink", slurp("/tmp/s") == 4);
	CHECK_ERRNO("symlink existing", symlink("x", "/tmp/s"), EEXIST);
	CHECK_ERRNO("symlink empty target", symlink("", "/tmp/s2"), ENOENT);
	CHECK_SYS("link to symlink (not followed)", link("/tmp/s", "/tmp/s3"));
	CHECK("linked the symlink", lstat("/tmp/s3", &st) == 0 && S_ISLNK(st.st_mode) && st.st_nlink == 2);
	CHECK_SYS("linkat AT_SYMLINK_FOLLOW", linkat(AT_FDCWD, "/tmp/s", AT_FDCWD, "/tmp/h5", AT_SYMLINK_FOLLOW));
	CHECK("linked the target", stat("/tmp/h2", &st) == 0 && st.st_nlink == 3);
	CHECK_SYS("dangling symlink", symlinkat("made", AT_FDCWD, "/tmp/dang"));
	CHECK_ERRNO("stat dangling", stat("/tmp/dang", &st), ENOENT);
	fd = open("/tmp/dang", O_WRONLY | O_CREAT, 0644);
	CHECK("O_CREAT through dangling symlink", fd >= 0 && stat("/tmp/made", &st) == 0);
	close(fd);
	CHECK_SYS("unlink symlink", unlink("/tmp/s"));
	CHECK("target kept", stat("/tmp/h2", &st) == 0);
	const char *names[] = {"/tmp/h2", "/tmp/h3", "/tmp/h5", "/tmp/s3", "/tmp/dang", "/tmp/made"};
	for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++)
		unlink(names[i]);

	CHECK_SYS("mkfifo", mkfifo("/tmp/fifo", 0644));
	CHECK("fifo type", stat("/tmp/fifo", &st) == 0 && S_ISFIFO(st.st_mode));
	CHECK_SYS("mknod socket", mknod("/tmp/sock", S_IFSOCK | 0644, 0));
	CHECK("socket type", stat("/tmp/sock", &st) == 0 && S_ISSOCK(st.st_mode));
	CHECK_SYS("mknod char device", mknod("/tmp/null", S_IFCHR | 0666, makedev(1, 3)));
	CHECK("device number", stat("/tmp/null", &st) == 0 && S_ISCHR(st.st_mode) &&
				       st.st_rdev == makedev(1, 3));
	fd = open("/tmp/null", O_RDWR);
	CHECK("device node opens the device", fd >= 0 && write(fd, "x", 1) == 1 && read(fd, buf, 1) == 0);
	close(fd);
	CHECK_ERRNO("mknod directory", mknod("/tmp/dd", S_IFDIR | 0755, 0), EPERM);
	CHECK_ERRNO("mknod bad type", mknod("/tmp/dd", 0170000 | 0755, 0), EINVAL);
	unlink("/tmp/fifo");
	unlink("/tmp/sock");
	unlink("/tmp/null");
}

static int recent(struct timespec t)
{
	time_t now = time(NULL);
	return t.tv_sec <= now && t.tv_sec >= now - 5;
}

static void test_attrs(void)
{
	struct stat st;
	put("/tmp/m", "m");
	CHECK_SYS("chmod", chmod("/tmp/m", 04711));
	CHECK("chmod seen", stat("/tmp/m", &st) == 0 && st.st_mode == (S_IFREG | 04711));
	CHECK_SYS("chown", chown("/tmp/m", 1000, 1001));
	CHECK("chown seen, setuid cleared", stat("/tmp/m", &st) == 0 && st.st_uid == 1000 &&
						    st.st_gid == 1001 && st.st_mode == (S_IFREG | 0711));
	CHECK_SYS("chown -1 keeps", chown("/tmp/m", -1, 5));
	CHECK("chown -1 seen", stat("/tmp/m", &st) == 0 && st.st_uid == 1000 && st.st_gid == 5);
	int fd = open("/tmp/m", O_RDWR);
	CHECK_SYS("fchmod", fchmod(fd, 0640));
	CHECK_SYS("fchown", fchown(fd, 0, 0));
	CHECK("fchmod/fchown seen", fstat(fd, &st) == 0 && st.st_mode == (S_IFREG | 0640) &&
					    st.st_uid == 0 && st.st_gid == 0);
	symlink("m", "/tmp/ml");
	CHECK_SYS("lchown", lchown("/tmp/ml", 7, 7));
	CHECK("lchown changed the link only", lstat("/tmp/ml", &st) == 0 && st.st_uid == 7 &&
						      stat("/tmp/m", &st) == 0 && st.st_uid == 0);
	CHECK_SYS("fchownat nofollow", fchownat(AT_FDCWD, "/tmp/ml", 8, 8, AT_SYMLINK_NOFOLLOW));
	CHECK_SYS("fchmodat", fchmodat(AT_FDCWD, "/tmp/ml", 0600, 0));
	CHECK("fchmodat followed", stat("/tmp/m", &st) == 0 && (st.st_mode & 07777) == 0600);

	struct timespec ts[2] = {{1000000000, 123456789}, {1100000000, 5}};
	CHECK_SYS("utimensat", utimensat(AT_FDCWD, "/tmp/m", ts, 0));
	CHECK("utimensat seen", stat("/tmp/m", &st) == 0 && st.st_atim.tv_sec == 1000000000 &&
					st.st_atim.tv_nsec == 123456789 &&
					st.st_mtim.tv_sec == 1100000000 && st.st_mtim.tv_nsec == 5);
	CHECK("ctime is now", recent(st.st_ctim));
	struct timespec omit[2] = {{0, UTIME_OMIT}, {0, UTIME_NOW}};
	CHECK_SYS("UTIME_OMIT/UTIME_NOW", utimensat(AT_FDCWD, "/tmp/m", omit, 0));
	CHECK("UTIME_OMIT kept, UTIME_NOW set", stat("/tmp/m", &st) == 0 &&
							st.st_atim.tv_sec == 1000000000 && recent(st.st_mtim));
	struct timespec bad[2] = {{0, 1000000000}, {0, 0}};
	CHECK_ERRNO("utimensat bad nsec", utimensat(AT_FDCWD, "/tmp/m", bad, 0), EINVAL);
	struct timespec both_omit[2] = {{0, UTIME_OMIT}, {0, UTIME_OMIT}};
	CHECK_SYS("both omitted: nothing checked", utimensat(AT_FDCWD, "/nonexistent", both_omit, 0));
	CHECK_SYS("futimens NULL", futimens(fd, NULL));
	CHECK("futimens now", fstat(fd, &st) == 0 && recent(st.st_atim) && recent(st.st_mtim));
	struct timeval tv[2] = {{5, 1}, {6, 2}};
	CHECK_SYS("utimes", utimes("/tmp/m", tv));
	CHECK("utimes seen", stat("/tmp/m", &st) == 0 && st.st_atim.tv_sec == 5 &&
				     st.st_atim.tv_nsec == 1000 && st.st_mtim.tv_sec == 6);
	struct utimbuf ub = {7, 8};
	CHECK_SYS("utime", utime("/tmp/m", &ub));
	CHECK("utime seen", stat("/tmp/m", &st) == 0 && st.st_atime == 7 && st.st_mtime == 8);
	time_t before = time(NULL);
	CHECK("write updates mtime", write(fd, "x", 1) == 1 && fstat(fd, &st) == 0 &&
					     st.st_mtime >= before && recent(st.st_ctim));
	close(fd);
	unlink("/tmp/ml");
	unlink("/tmp/m");
}

/* Lists /tmp/ls with a small buffer, deleting and creating entries between calls. */
static void test_getdents(void)
{
	enum { N = 60 };
	char name[300];
	int seen[N] = {0}, deleted[N] = {0}, dups = 0;
	mkdir("/tmp/ls", 0755);
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof name, "/tmp/ls/f%02d", i);
		put(name, "");
	}
	int fd = open("/tmp/ls", O_RDONLY | O_DIRECTORY);
	CHECK_SYS("open dir", fd);
	/* Room for a whole struct dirent64; getdents64 may use only 200 bytes. */
	static char dbuf[512] __attribute__((aligned(8)));
	int round = 0;
	for (;;) {
		long n = syscall(SYS_getdents64, fd, dbuf, 200);
		if (n <= 0) {
			CHECK("getdents64 ends cleanly", n == 0);
			break;
		}
		for (long off = 0; off < n;) {
			struct dirent64 *d = (struct dirent64 *)(dbuf + off);
			int i;
			if (sscanf(d->d_name, "f%d", &i) == 1 && i >= 0 && i < N) {
				if (seen[i]++)
					dups++;
			}
			off += d->d_reclen;
		}
		/* Delete one entry from the far end and one already listed; add one. */
		if (++round > N) {
			CHECKF("getdents64 reaches the end", 0, "still listing after %d calls", round);
			break;
		}
		int far = N - round, near = round - 1;
		snprintf(name, sizeof name, "/tmp/ls/f%02d", far);
		if (far > near && unlink(name) == 0)
			deleted[far] = 1;
		snprintf(name, sizeof name, "/tmp/ls/f%02d", near);
		if (seen[near] && unlink(name) == 0)
			deleted[near] = 1;
		snprintf(name, sizeof name, "/tmp/ls/new%d", round);
		put(name, "");
	}
	int skipped = 0;
	for (int i = 0; i < N; i++)
		if (!deleted[i] && !seen[i])
			skipped++;
	CHECKF("no duplicates", dups == 0, "%d entries listed twice", dups);
	CHECKF("no entry that stayed skipped", skipped == 0, "%d entries skipped", skipped);
	close(fd);
	DIR *dir = opendir("/tmp/ls");
	struct dirent *e;
	while (dir && (e = readdir(dir))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(name, sizeof name, "/tmp/ls/%s", e->d_name);
		unlink(name);
	}
	if (dir)
		closedir(dir);
	CHECK_SYS("emptied dir removed", rmdir("/tmp/ls"));
}

static void test_big_sparse(void)
{
	const off_t size = 4 << 20;
	struct stat st;
	int fd = open("/tmp/sparse", O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK_SYS("open sparse", fd);
	CHECK("write start", pwrite(fd, "start", 5, 0) == 5);
	CHECK("write end", pwrite(fd, "end", 3, size - 3) == 3);
	CHECK("sparse size and blocks", fstat(fd, &st) == 0 && st.st_size == size && st.st_blocks == 16);
	CHECK("hole reads zeroes", pread(fd, buf, sizeof buf, 1 << 20) == (ssize_t)sizeof buf &&
					   buf[0] == 0 && buf[sizeof buf - 1] == 0);
	CHECK("data around holes", pread(fd, buf, 5, 0) == 5 && memcmp(buf, "start", 5) == 0 &&
					   pread(fd, buf, 10, size - 3) == 3 && memcmp(buf, "end", 3) == 0);
	CHECK("lseek SEEK_END", lseek(fd, 0, SEEK_END) == size);
	close(fd);

	fd = open("/tmp/big", O_RDWR | O_CREAT | O_TRUNC, 0644);
	int ok = 1;
	for (off_t off = 0; off < size && ok; off += sizeof buf) {
		for (size_t i = 0; i < sizeof buf; i++)
			buf[i] = (char)((off + i) * 7 + ((off + i) >> 12));
		ok = write(fd, buf, sizeof buf) == (ssize_t)sizeof buf;
	}
	CHECK("write 4 MiB", ok);
	CHECK("4 MiB blocks", fstat(fd, &st) == 0 && st.st_size == size && st.st_blocks == size / 512);
	lseek(fd, 0, SEEK_SET);
	for (off_t off = 0; off < size && ok; off += sizeof buf) {
		ok = read(fd, buf, sizeof buf) == (ssize_t)sizeof buf;
		for (size_t i = 0; i < sizeof buf && ok; i++)
			ok = buf[i] == (char)((off + i) * 7 + ((off + i) >> 12));
	}
	CHECK("read 4 MiB back", ok);
	struct statfs sf;
	CHECK("statfs counts the pages", statfs("/tmp", &sf) == 0 && sf.f_blocks - sf.f_bfree >= 1024);
	close(fd);
	unlink("/tmp/sparse");
	unlink("/tmp/big");
}

static void test_erofs_exdev(void)
{
	struct stat st;
	CHECK_ERRNO("mkdir on ext4 root", mkdir("/newdir", 0755), EROFS);
	CHECK_ERRNO("mkdir existing on ext4 root", mkdir("/data", 0755), EEXIST);
	CHECK_ERRNO("create on ext4 root", open("/data/new", O_WRONLY | O_CREAT, 0644), EROFS);
	CHECK_ERRNO("unlink on ext4 root", unlink(SMALL_PATH), EROFS);
	CHECK_ERRNO("rmdir on ext4 root", rmdir(MANY_PATH), EROFS);
	CHECK_ERRNO("rename on ext4 root", rename(SMALL_PATH, "/data/x"), EROFS);
	CHECK_ERRNO("chmod on ext4 root", chmod(SMALL_PATH, 0600), EROFS);
	CHECK_ERRNO("truncate on ext4 root", truncate(SMALL_PATH, 0), EROFS);
	CHECK_ERRNO("symlink on ext4 root", symlink("x", "/data/sl"), EROFS);
	put("/tmp/xd", "x");
	CHECK_ERRNO("rename /tmp to /", rename("/tmp/xd", "/xd"), EXDEV);
	CHECK_ERRNO("rename to /dev/shm", rename("/tmp/xd", "/dev/shm/xd"), EXDEV);
	CHECK_ERRNO("link to /dev/shm", link("/tmp/xd", "/dev/shm/xd"), EXDEV);
	CHECK_ERRNO("link to ext4 root", link("/tmp/xd", "/data/xd"), EROFS);
	CHECK("nothing left behind", stat("/dev/shm/xd", &st) == -1 && stat("/tmp/xd", &st) == 0);
	unlink("/tmp/xd");
}

int main(void)
{
	test_mounts();
	test_files();
	test_dirs();
	test_rename();
	test_links();
	test_attrs();
	test_getdents();
	test_big_sparse();
	test_erofs_exdev();
	return check_done();
}
