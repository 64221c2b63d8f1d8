/*
 * Checks open(2)'s O_TMPFILE in each directory given (default /tmp): an
 * unnamed regular file with no links, owned as a created file (umask,
 * set-group-ID directories), invisible in the directory, which it leaves
 * unchanged; /proc/self/fd shows DIR/#INO (deleted); linkat(2) names it by
 * AT_EMPTY_PATH or through /proc/self/fd with AT_SYMLINK_FOLLOW, once: after
 * its names are gone again, and with O_EXCL from the start, it is ENOENT, as
 * for a file unlinked while open; the inode and its blocks are freed at the
 * last close. Errors: EINVAL for flags (no write access, O_CREAT, no
 * O_DIRECTORY), ENOENT, ENOTDIR, EACCES (write and search on the directory),
 * EROFS before EACCES, EOPNOTSUPP on /proc, EXDEV between the directories
 * given when they are on different filesystems. In a removed directory
 * tmpfs makes one (never linkable there) and ext4 refuses (EPERM).
 *
 * --keep also leaves DIR/tmpfile-kept, an O_TMPFILE file linked with the text
 * KEPT, for the ext4 boot test to read back. --hold DIR makes an unlinked
 * O_TMPFILE file with data in DIR, syncs, prints "tmpfile: holding" and waits
 * to be killed (the boot test then checks the next mount frees it).
 */
#include "check.h"

#include <dirent.h>
#include <grp.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>

#define KEPT "kept by O_TMPFILE\n"
#define BIG (1024 * 1024)

static const char *dir;
static char abs_dir[PATH_MAX];
static int dfd;

/* Returns "DIR: WHAT" as a check name (valid until the next call). */
static const char *N(const char *what)
{
	static char name[PATH_MAX + 256];
	snprintf(name, sizeof name, "%s: %s", dir, what);
	return name;
}

static unsigned char pattern(long i)
{
	return (unsigned char)(i * 13 + (i >> 9));
}

/* Writes LEN bytes of pattern() at offset 0 of FD. */
static void fill(int fd, long len)
{
	static unsigned char buf[BIG];
	for (long i = 0; i < len; i++)
		buf[i] = pattern(i);
	if (pwrite(fd, buf, len, 0) != len)
		check_fail("setup", errno, "pwrite of %ld bytes", len);
}

/* Returns whether FD holds LEN bytes of pattern() from offset 0. */
static int holds_pattern(int fd, long len)
{
	static unsigned char buf[BIG];
	if (pread(fd, buf, BIG, 0) != len)
		return 0;
	for (long i = 0; i < len; i++)
		if (buf[i] != pattern(i))
			return 0;
	return 1;
}

/* Returns "/proc/self/fd/FD" (valid until the next call). */
static const char *proc_fd(int fd)
{
	static char p[64];
	snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
	return p;
}

static int have_proc(void)
{
	return access("/proc/self/fd", F_OK) == 0;
}

/* Returns whether DIRFD lists an entry with inode number INO. */
static int lists_ino(int dirfd, ino_t ino)
{
	int fd = MUST(openat(dirfd, ".", O_RDONLY | O_DIRECTORY));
	DIR *d = fdopendir(fd);
	if (!d)
		check_fail("setup", errno, "fdopendir");
	int found = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		if (e->d_ino == ino)
			found = 1;
	closedir(d);
	return found;
}

static int same_time(struct timespec a, struct timespec b)
{
	return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

static int wait_child(pid_t pid)
{
	int status;
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Removes what earlier runs may have left. */
static void clean(void)
{
	static const char *names[] = { "tmpfile-a", "tmpfile-b", "tmpfile-c", "tmpfile-d",
				       "tmpfile-e", "tmpfile-u", "tmpfile-reg", "tmpfile-user" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		unlinkat(dfd, names[i], 0);
	static const char *dirs[] = { "tmpfile-sgid", "tmpfile-w", "tmpfile-wx", "tmpfile-x",
				      "tmpfile-ro" };
	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
		int sub = openat(dfd, dirs[i], O_RDONLY | O_DIRECTORY);
		if (sub >= 0) {
			unlinkat(sub, "tmpfile-user", 0);
			unlinkat(sub, "tmpfile-root", 0);
			close(sub);
		}
		unlinkat(dfd, dirs[i], AT_REMOVEDIR);
	}
	unlinkat(dfd, "tmpfile-gone", AT_REMOVEDIR);
}

/* The new file: its attributes, the directory left alone, its data. */
static void check_creation(void)
{
	struct stat d0, d1, st;
	struct statfs f0, f1;
	MUST(fstat(dfd, &d0));
	MUST(fstatfs(dfd, &f0));
	sleep_ms(20);
	umask(022);
	int fd;
	CHECK_SYS(N("open O_TMPFILE|O_RDWR"), fd = open(dir, O_TMPFILE | O_RDWR, 0666));
	MUST(fstat(fd, &st));
	CHECKF(N("a regular file with no links"),
	       S_ISREG(st.st_mode) && st.st_nlink == 0 && st.st_size == 0,
	       "mode %o nlink %lu size %ld", st.st_mode, (unsigned long)st.st_nlink,
	       (long)st.st_size);
	CHECKF(N("umask applies"), (st.st_mode & 07777) == 0644, "mode %o", st.st_mode);
	int inherit = (d0.st_mode & S_ISGID) != 0;
	CHECKF(N("owned by the caller"),
	       st.st_uid == geteuid() && st.st_gid == (inherit ? d0.st_gid : getegid()),
	       "uid %u gid %u", st.st_uid, st.st_gid);
	MUST(fstat(dfd, &d1));
	CHECKF(N("the directory is unchanged"),
	       same_time(d0.st_mtim, d1.st_mtim) && same_time(d0.st_ctim, d1.st_ctim) &&
		       d0.st_nlink == d1.st_nlink && d0.st_size == d1.st_size,
	       "mtime %ld.%09ld -> %ld.%09ld", (long)d0.st_mtim.tv_sec, d0.st_mtim.tv_nsec,
	       (long)d1.st_mtim.tv_sec, d1.st_mtim.tv_nsec);
	CHECK(N("readdir does not list it"), !lists_ino(dfd, st.st_ino));
	MUST(fstatfs(dfd, &f1));
	CHECKF(N("statfs counts the inode"), f1.f_ffree == f0.f_ffree - 1,
	       "f_ffree %ld -> %ld", (long)f0.f_ffree, (long)f1.f_ffree);
	if (have_proc()) {
		char want[PATH_MAX + 64], got[PATH_MAX + 64];
		snprintf(want, sizeof want, "%s/#%lu (deleted)", strcmp(abs_dir, "/") ? abs_dir : "",
			 (unsigned long)st.st_ino);
		ssize_t n = readlink(proc_fd(fd), got, sizeof got - 1);
		got[n > 0 ? n : 0] = 0;
		CHECKF(N("/proc/self/fd shows DIR/#INO (deleted)"), strcmp(got, want) == 0,
		       "got \"%s\", want \"%s\"", got, want);
	}

	fill(fd, 100000);
	CHECK(N("written data reads back"), holds_pattern(fd, 100000));
	CHECK(N("ftruncate"), ftruncate(fd, 50000) == 0 && holds_pattern(fd, 50000));
	CHECK(N("fchmod"), fchmod(fd, 0600) == 0 && fstat(fd, &st) == 0 &&
				   (st.st_mode & 07777) == 0600);
	CHECK_SYS(N("fsync"), fsync(fd));
	char *map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(N("mmap MAP_SHARED"), map != MAP_FAILED);
	memcpy(map, "mapped", 6);
	MUST(munmap(map, 4096));
	char buf[8] = { 0 };
	CHECK(N("stores through the mapping reach the file"),
	      pread(fd, buf, 6, 0) == 6 && memcmp(buf, "mapped", 6) == 0);
	int fl = fcntl(fd, F_GETFL);
	CHECKF(N("F_GETFL shows O_TMPFILE and the access mode"),
	       (fl & O_TMPFILE) == O_TMPFILE && (fl & O_ACCMODE) == O_RDWR, "flags %o", fl);
	close(fd);
}

/* Names given by linkat, by descriptor and through /proc, and when they are
 * refused. */
static void check_linking(void)
{
	struct stat st, named, d0, d1;
	char procpath[64];
	int fd = MUST(open(dir, O_TMPFILE | O_RDWR, 0640));
	fill(fd, 30000);
	MUST(fstat(dfd, &d0));
	sleep_ms(20);
	CHECK_SYS(N("linkat AT_EMPTY_PATH gives it a name"),
		  linkat(fd, "", dfd, "tmpfile-a", AT_EMPTY_PATH));
	MUST(fstat(fd, &st));
	CHECKF(N("one link after linkat"), st.st_nlink == 1, "nlink %lu",
	       (unsigned long)st.st_nlink);
	CHECK(N("the name is the file"),
	      fstatat(dfd, "tmpfile-a", &named, 0) == 0 && named.st_ino == st.st_ino &&
		      named.st_size == 30000 && (named.st_mode & 07777) == 0640);
	int byname = MUST(openat(dfd, "tmpfile-a", O_RDONLY));
	CHECK(N("the data reads back by the name"), holds_pattern(byname, 30000));
	close(byname);
	MUST(fstat(dfd, &d1));
	CHECK(N("linking changes the directory"), !same_time(d0.st_mtim, d1.st_mtim));
	CHECK(N("readdir lists the name"), lists_ino(dfd, st.st_ino));
	if (have_proc()) {
		char want[PATH_MAX + 64], got[PATH_MAX + 64];
		snprintf(want, sizeof want, "%s/#%lu (deleted)", strcmp(abs_dir, "/") ? abs_dir : "",
			 (unsigned long)st.st_ino);
		ssize_t n = readlink(proc_fd(fd), got, sizeof got - 1);
		got[n > 0 ? n : 0] = 0;
		CHECKF(N("/proc/self/fd still shows #INO (deleted) after linkat"),
		       strcmp(got, want) == 0, "got \"%s\", want \"%s\"", got, want);
	}
	CHECK_SYS(N("a second name"), linkat(fd, "", dfd, "tmpfile-b", AT_EMPTY_PATH));
	CHECK(N("two links"), fstat(fd, &st) == 0 && st.st_nlink == 2);
	CHECK_ERRNO(N("linkat to an existing name: EEXIST"),
		    linkat(fd, "", dfd, "tmpfile-a", AT_EMPTY_PATH), EEXIST);
	MUST(unlinkat(dfd, "tmpfile-a", 0));
	MUST(unlinkat(dfd, "tmpfile-b", 0));
	CHECK(N("no links after unlinking both"), fstat(fd, &st) == 0 && st.st_nlink == 0);
	CHECK_ERRNO(N("linked once, unlinked again: linkat ENOENT"),
		    linkat(fd, "", dfd, "tmpfile-c", AT_EMPTY_PATH), ENOENT);
	if (have_proc())
		CHECK_ERRNO(N("linked once, unlinked again: ENOENT through /proc too"),
			    linkat(AT_FDCWD, proc_fd(fd), dfd, "tmpfile-c", AT_SYMLINK_FOLLOW),
			    ENOENT);
	CHECK(N("still readable"), holds_pattern(fd, 30000));
	close(fd);

	if (have_proc()) {
		fd = MUST(open(dir, O_TMPFILE | O_WRONLY, 0600));
		MUST(write(fd, "via proc", 8));
		snprintf(procpath, sizeof procpath, "%s", proc_fd(fd));
		CHECK_SYS(N("linkat /proc/self/fd/N AT_SYMLINK_FOLLOW gives it a name"),
			  linkat(AT_FDCWD, procpath, dfd, "tmpfile-c", AT_SYMLINK_FOLLOW));
		CHECK(N("one link after linkat through /proc"),
		      fstat(fd, &st) == 0 && st.st_nlink == 1 &&
			      fstatat(dfd, "tmpfile-c", &named, 0) == 0 &&
			      named.st_ino == st.st_ino && named.st_size == 8);
		close(fd);
		MUST(unlinkat(dfd, "tmpfile-c", 0));
	}

	/* A refused link leaves the file linkable. */
	fd = MUST(open(dir, O_TMPFILE | O_RDWR, 0600));
	MUST(close(MUST(openat(dfd, "tmpfile-d", O_CREAT | O_WRONLY, 0600))));
	CHECK_ERRNO(N("O_TMPFILE linkat over an existing name: EEXIST"),
		    linkat(fd, "", dfd, "tmpfile-d", AT_EMPTY_PATH), EEXIST);
	CHECK_SYS(N("still linkable after EEXIST"),
		  linkat(fd, "", dfd, "tmpfile-e", AT_EMPTY_PATH));
	close(fd);
	MUST(unlinkat(dfd, "tmpfile-d", 0));
	MUST(unlinkat(dfd, "tmpfile-e", 0));

	fd = MUST(open(dir, O_TMPFILE | O_RDWR | O_EXCL, 0600));
	CHECK_ERRNO(N("O_EXCL: linkat AT_EMPTY_PATH ENOENT"),
		    linkat(fd, "", dfd, "tmpfile-c", AT_EMPTY_PATH), ENOENT);
	if (have_proc())
		CHECK_ERRNO(N("O_EXCL: linkat through /proc ENOENT"),
			    linkat(AT_FDCWD, proc_fd(fd), dfd, "tmpfile-c", AT_SYMLINK_FOLLOW),
			    ENOENT);
	int fl = fcntl(fd, F_GETFL);
	CHECKF(N("O_EXCL is not kept in F_GETFL"),
	       !(fl & O_EXCL) && (fl & O_TMPFILE) == O_TMPFILE, "flags %o", fl);
	close(fd);

	fd = MUST(openat(dfd, "tmpfile-u", O_CREAT | O_RDWR, 0600));
	MUST(unlinkat(dfd, "tmpfile-u", 0));
	CHECK_ERRNO(N("a file unlinked while open: linkat ENOENT"),
		    linkat(fd, "", dfd, "tmpfile-u", AT_EMPTY_PATH), ENOENT);
	close(fd);
}

/* The flags and paths open refuses, and the ones it takes. */
static void check_open_errors(void)
{
	int fd;
	CHECK_ERRNO(N("O_TMPFILE|O_RDONLY: EINVAL"), open(dir, O_TMPFILE | O_RDONLY, 0600),
		    EINVAL);
	CHECK_ERRNO(N("O_TMPFILE|O_RDONLY|O_TRUNC: EINVAL"),
		    open(dir, O_TMPFILE | O_RDONLY | O_TRUNC, 0600), EINVAL);
	CHECK_ERRNO(N("O_TMPFILE|O_CREAT: EINVAL"), open(dir, O_TMPFILE | O_RDWR | O_CREAT, 0600),
		    EINVAL);
	CHECK_ERRNO(N("__O_TMPFILE without O_DIRECTORY: EINVAL"),
		    open(dir, (O_TMPFILE & ~O_DIRECTORY) | O_RDWR, 0600), EINVAL);
	struct stat st;
	CHECK(N("access mode 3 opens one"),
	      (fd = open(dir, O_TMPFILE | 3, 0600)) >= 0 && fstat(fd, &st) == 0 &&
		      S_ISREG(st.st_mode) && st.st_nlink == 0);
	close(fd);
	CHECK(N("O_PATH wins: an O_PATH descriptor of the directory"),
	      (fd = open(dir, O_TMPFILE | O_RDWR | O_PATH, 0600)) >= 0 && fstat(fd, &st) == 0 &&
		      S_ISDIR(st.st_mode));
	close(fd);
	CHECK(N("O_TRUNC, O_APPEND and O_EXCL are taken"),
	      (fd = open(dir, O_TMPFILE | O_WRONLY | O_TRUNC | O_APPEND | O_EXCL, 0600)) >= 0);
	close(fd);

	char path[PATH_MAX + 32];
	MUST(close(MUST(openat(dfd, "tmpfile-reg", O_CREAT | O_WRONLY, 0600))));
	snprintf(path, sizeof path, "%s/tmpfile-reg", dir);
	CHECK_ERRNO(N("on a regular file: ENOTDIR"), open(path, O_TMPFILE | O_RDWR, 0600), ENOTDIR);
	strcat(path, "/");
	CHECK_ERRNO(N("on \"file/\": ENOTDIR"), open(path, O_TMPFILE | O_RDWR, 0600), ENOTDIR);
	MUST(unlinkat(dfd, "tmpfile-reg", 0));
	snprintf(path, sizeof path, "%s/tmpfile-missing", dir);
	CHECK_ERRNO(N("on a missing path: ENOENT"), open(path, O_TMPFILE | O_RDWR, 0600), ENOENT);
	CHECK(N("openat(dirfd, \".\")"), (fd = openat(dfd, ".", O_TMPFILE | O_RDWR, 0600)) >= 0);
	close(fd);
}

/* In a removed directory: tmpfs makes the file (it cannot be linked
 * there), ext4 refuses with EPERM. */
static void check_removed_dir(void)
{
	struct statfs sf;
	MUST(fstatfs(dfd, &sf));
	MUST(mkdirat(dfd, "tmpfile-gone", 0755));
	int gone = MUST(openat(dfd, "tmpfile-gone", O_RDONLY | O_DIRECTORY));
	MUST(unlinkat(dfd, "tmpfile-gone", AT_REMOVEDIR));
	int fd = openat(gone, ".", O_TMPFILE | O_RDWR, 0600);
	int e = errno;
	if (sf.f_type == 0x01021994) {
		CHECKF(N("tmpfs: O_TMPFILE in a removed directory"), fd >= 0, "errno %d", e);
		CHECK_ERRNO(N("tmpfs: linkat into the removed directory: ENOENT"),
			    linkat(fd, "", gone, "x", AT_EMPTY_PATH), ENOENT);
	} else if (sf.f_type == 0xEF53) {
		CHECKF(N("ext4: O_TMPFILE in a removed directory: EPERM"), fd == -1 && e == EPERM,
		       "fd %d errno %d", fd, e);
	}
	if (fd >= 0)
		close(fd);
	close(gone);
}

/* The last close frees the inode and its blocks. */
static void check_freed(void)
{
	struct statfs f0, f1, f2;
	sync();
	MUST(fstatfs(dfd, &f0));
	int fd = MUST(open(dir, O_TMPFILE | O_RDWR, 0600));
	fill(fd, BIG);
	MUST(fsync(fd));
	MUST(fstatfs(dfd, &f1));
	CHECKF(N("a 1 MiB file takes blocks"), f1.f_bfree < f0.f_bfree && f1.f_ffree < f0.f_ffree,
	       "f_bfree %ld -> %ld", (long)f0.f_bfree, (long)f1.f_bfree);
	close(fd);
	sync();
	MUST(fstatfs(dfd, &f2));
	CHECKF(N("the last close frees the inode and its blocks"),
	       f2.f_bfree == f0.f_bfree && f2.f_ffree == f0.f_ffree,
	       "f_bfree %ld -> %ld, f_ffree %ld -> %ld", (long)f0.f_bfree, (long)f2.f_bfree,
	       (long)f0.f_ffree, (long)f2.f_ffree);
}

/* Makes directory NAME with MODE, owned by root and group GID. */
static void make_dir(const char *name, mode_t mode, gid_t gid)
{
	MUST(mkdirat(dfd, name, 0700));
	MUST(fchownat(dfd, name, 0, gid, 0));
	MUST(fchmodat(dfd, name, mode, 0));
}

/* Opens an O_TMPFILE file in the subdirectory NAME. */
static int open_in(const char *name, int flags, mode_t mode)
{
	char path[PATH_MAX + 32];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	return open(path, O_TMPFILE | flags, mode);
}

/* As root: set-group-ID directories, and what uid 1000 may do. */
static void check_as_user(void)
{
	make_dir("tmpfile-sgid", 02777, 1234);
	make_dir("tmpfile-x", 0755, 0);
	make_dir("tmpfile-wx", 0333, 0);
	make_dir("tmpfile-w", 0666, 0);
	umask(022);
	struct stat st;
	int fd = MUST(open_in("tmpfile-sgid", O_RDWR, 02755));
	MUST(fstat(fd, &st));
	CHECKF(N("in a set-group-ID directory: its group, and root keeps S_ISGID"),
	       st.st_gid == 1234 && (st.st_mode & 07777) == 02755, "gid %u mode %o", st.st_gid,
	       st.st_mode);
	int root_fd = fd;

	pid_t pid = MUST(fork());
	if (pid == 0) {
		gid_t none[1] = { 1000 };
		if (setgroups(1, none) || setgid(1000) || setuid(1000))
			check_fail("setup", errno, "becoming uid 1000");
		fd = open_in("tmpfile-sgid", O_RDWR, 02755);
		CHECK(N("uid 1000: O_TMPFILE in a set-group-ID directory"),
		      fd >= 0 && fstat(fd, &st) == 0);
		CHECKF(N("uid 1000: the directory's group, S_ISGID dropped"),
		       st.st_uid == 1000 && st.st_gid == 1234 && (st.st_mode & 07777) == 0755,
		       "uid %u gid %u mode %o", st.st_uid, st.st_gid, st.st_mode);
		int sub = MUST(openat(dfd, "tmpfile-sgid", O_RDONLY | O_DIRECTORY));
		CHECK_SYS(N("uid 1000: linkat AT_EMPTY_PATH of its own file"),
			  linkat(fd, "", sub, "tmpfile-user", AT_EMPTY_PATH));
		CHECK_ERRNO(N("uid 1000: linkat AT_EMPTY_PATH of root's file: ENOENT"),
			    linkat(root_fd, "", sub, "tmpfile-root", AT_EMPTY_PATH), ENOENT);
		close(fd);
		close(sub);
		CHECK_ERRNO(N("uid 1000: no write permission: EACCES"),
			    open_in("tmpfile-x", O_RDWR, 0600), EACCES);
		CHECK_ERRNO(N("uid 1000: no search permission: EACCES"),
			    open_in("tmpfile-w", O_RDWR, 0600), EACCES);
		fd = open_in("tmpfile-wx", O_RDWR, 0600);
		CHECK(N("uid 1000: write and search permission are enough"), fd >= 0);
		close(fd);
		_exit(0);
	}
	CHECK(N("uid 1000 child"), wait_child(pid) == 0);
	close(root_fd);
	int sub = MUST(openat(dfd, "tmpfile-sgid", O_RDONLY | O_DIRECTORY));
	CHECK(N("uid 1000's file got its name"),
	      fstatat(sub, "tmpfile-user", &st, 0) == 0 && st.st_uid == 1000 && st.st_nlink == 1);
	close(sub);
}

/* EROFS on a read-only mount, before the permission check. */
static void check_read_only(void)
{
	char path[PATH_MAX + 32];
	snprintf(path, sizeof path, "%s/tmpfile-ro", dir);
	MUST(mkdirat(dfd, "tmpfile-ro", 0755));
	if (mount("none", path, "tmpfs", MS_RDONLY, "mode=755") != 0) {
		check_printf("# %s: no read-only mount (%s), EROFS not checked\n", dir,
			     strerrorname_np(errno));
		return;
	}
	CHECK_ERRNO(N("on a read-only mount: EROFS"), open(path, O_TMPFILE | O_RDWR, 0600), EROFS);
	pid_t pid = MUST(fork());
	if (pid == 0) {
		if (setgid(1000) || setuid(1000))
			check_fail("setup", errno, "becoming uid 1000");
		CHECK_ERRNO(N("uid 1000 on a read-only mount: EROFS before EACCES"),
			    open(path, O_TMPFILE | O_RDWR, 0600), EROFS);
		_exit(0);
	}
	CHECK(N("uid 1000 child on the read-only mount"), wait_child(pid) == 0);
	MUST(umount(path));
}

static void tmpfile_checks(const char *d)
{
	dir = d;
	if (!realpath(d, abs_dir))
		check_fail("setup", errno, "realpath %s", d);
	dfd = MUST(open(d, O_RDONLY | O_DIRECTORY));
	clean();
	check_creation();
	check_linking();
	check_open_errors();
	check_removed_dir();
	check_freed();
	if (geteuid() == 0) {
		check_as_user();
		check_read_only();
	}
	clean();
	close(dfd);
}

/* Between two directories on different filesystems, linkat is EXDEV. */
static void check_cross(const char *a, const char *b)
{
	struct stat sa, sb;
	MUST(stat(a, &sa));
	MUST(stat(b, &sb));
	if (sa.st_dev == sb.st_dev)
		return;
	dir = a;
	int fd = MUST(open(a, O_TMPFILE | O_RDWR, 0600));
	int bfd = MUST(open(b, O_RDONLY | O_DIRECTORY));
	CHECK_ERRNO(N("linkat into another filesystem: EXDEV"),
		    linkat(fd, "", bfd, "tmpfile-a", AT_EMPTY_PATH), EXDEV);
	close(bfd);
	close(fd);
}

/* Leaves DIR/tmpfile-kept, an O_TMPFILE file linked with the text KEPT. */
static void keep(const char *d)
{
	dir = d;
	int kd = MUST(open(d, O_RDONLY | O_DIRECTORY));
	unlinkat(kd, "tmpfile-kept", 0);
	int fd = MUST(open(d, O_TMPFILE | O_WRONLY, 0644));
	MUST(write(fd, KEPT, strlen(KEPT)));
	CHECK_SYS(N("keep tmpfile-kept"), linkat(fd, "", kd, "tmpfile-kept", AT_EMPTY_PATH));
	MUST(fsync(fd));
	close(fd);
	close(kd);
}

/* Holds an unlinked O_TMPFILE file with data in D, synced, until killed. */
static int hold(const char *d)
{
	int fd = MUST(open(d, O_TMPFILE | O_RDWR, 0600));
	fill(fd, BIG);
	MUST(fsync(fd));
	sync();
	check_printf("tmpfile: holding\n");
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	int first = 1, keep_files = 0;
	if (argc > 2 && strcmp(argv[1], "--hold") == 0)
		return hold(argv[2]);
	if (argc > 1 && strcmp(argv[1], "--keep") == 0) {
		keep_files = 1;
		first = 2;
	}
	const char *dflt[] = { "/tmp" };
	const char **dirs = first < argc ? (const char **)argv + first : dflt;
	int n = first < argc ? argc - first : 1;
	for (int i = 0; i < n; i++)
		tmpfile_checks(dirs[i]);
	for (int i = 0; i + 1 < n; i++)
		check_cross(dirs[i], dirs[i + 1]);
	if (have_proc()) {
		dir = "/proc";
		CHECK_ERRNO(N("a filesystem without O_TMPFILE: EOPNOTSUPP"),
			    open("/proc", O_TMPFILE | O_RDWR, 0600), EOPNOTSUPP);
	}
	if (keep_files)
		for (int i = 0; i < n; i++)
			keep(dirs[i]);
	return check_done();
}
