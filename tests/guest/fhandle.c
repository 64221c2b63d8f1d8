/*
 * Checks name_to_handle_at(2) and open_by_handle_at(2) in each directory
 * given (default /tmp), which must be on ext4 or tmpfs: the handle Linux
 * makes (ext4: type 1, the 32-bit inode number and generation in 8 bytes;
 * tmpfs: type 1, the generation then the 64-bit inode number in 12 bytes),
 * the probe with handle_bytes 0 (EOVERFLOW, the size needed, type 255),
 * the mount id (statx's stx_mnt_id, mountinfo's first column),
 * AT_SYMLINK_FOLLOW (not followed by default), AT_EMPTY_PATH on an fd and
 * an O_PATH fd, AT_HANDLE_FID; EINVAL, EFAULT, ENOENT, ENOTDIR. Round trips
 * by open_by_handle_at: a file read back, a directory opened O_DIRECTORY
 * and used as dirfd, a symlink only with O_PATH (ELOOP), AT_FDCWD as the
 * mount, EISDIR, ENOTDIR, EEXIST for O_CREAT|O_EXCL; ESTALE for a forged
 * generation, a short handle, an unknown type (ext4), a file unlinked and
 * closed, and the mount of another filesystem; EINVAL for bad sizes and a
 * negative type; EBADF; a file unlinked while open still opens (Linux's
 * inode cache on ext4, the deleted dentry on tmpfs). EPERM for uid 1000 (which may still make handles).
 * EOPNOTSUPP on /proc files and pipes, where AT_HANDLE_FID gives a
 * FILEID_INO64_GEN handle. /dev/null (devtmpfs, shmem's handle) opens by
 * handle. cgroup2 (mounted at /tmp/fh-cg): FILEID_KERNFS
 * handles of groups and their files, open by handle, ESTALE once removed.
 *
 * On the host: `fhandle DIR...` as root with DIRs on ext4 and on a tmpfs
 * (e.g. `unshare -m sh -c 'mount -t tmpfs t /mnt && ./fhandle /tmp /mnt'`).
 */
#include "check.h"

#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#ifndef AT_HANDLE_FID
#define AT_HANDLE_FID 0x200
#endif
#define EXT4_MAGIC 0xEF53
#define TMPFS_MAGIC 0x01021994
#define TEXT "file handle\n"

struct fh {
	struct file_handle h;
	uint32_t w[MAX_HANDLE_SZ / 4];
};

static const char *dir;

/* Removes directory NAME in DIRFD. */
static int rmdirat(int dirfd, const char *name)
{
	return unlinkat(dirfd, name, AT_REMOVEDIR);
}
static int dfd, ext4;

/* Returns "DIR: WHAT" as a check name (valid until the next call). */
static const char *N(const char *what)
{
	static char name[PATH_MAX + 256];
	snprintf(name, sizeof name, "%s: %s", dir, what);
	return name;
}

/* Makes the handle of NAME (relative to dfd) with FLAGS into *F; returns the
 * call's result, the mount id in *MNT. */
static int handle(int at, const char *name, int flags, struct fh *f, int *mnt)
{
	memset(f, 0, sizeof *f);
	f->h.handle_bytes = MAX_HANDLE_SZ;
	return name_to_handle_at(at, name, &f->h, mnt, flags);
}

/* Returns the inode number a handle of this filesystem holds. */
static uint64_t handle_ino(const struct fh *f)
{
	if (ext4)
		return f->w[0];
	return f->w[1] | (uint64_t)f->w[2] << 32;
}

/* Returns whether mountinfo has a line for mount MNT with device DEV. */
static int mountinfo_has(int mnt, dev_t dev)
{
	FILE *fp = fopen("/proc/self/mountinfo", "r");
	char line[4096];
	int found = 0;
	if (!fp)
		return 0;
	while (fgets(line, sizeof line, fp)) {
		int id, parent;
		unsigned maj, min;
		if (sscanf(line, "%d %d %u:%u", &id, &parent, &maj, &min) == 4 && id == mnt)
			found = maj == major(dev) && min == minor(dev);
	}
	fclose(fp);
	return found;
}

/* Returns the inode number of what FD is open on. */
static uint64_t fd_ino(int fd)
{
	struct stat st;
	return fstat(fd, &st) == 0 ? st.st_ino : 0;
}

static void encode_checks(void)
{
	struct stat st, lst;
	struct fh f, g;
	int mnt = -1, mnt2 = -1;
	MUST(fstatat(dfd, "fh-file", &st, 0));
	MUST(fstatat(dfd, "fh-link", &lst, AT_SYMLINK_NOFOLLOW));

	memset(&f, 0, sizeof f);
	f.h.handle_bytes = 0;
	CHECK_ERRNO(N("probe with handle_bytes 0 is EOVERFLOW"),
		    name_to_handle_at(dfd, "fh-file", &f.h, &mnt, 0), EOVERFLOW);
	unsigned want = ext4 ? 8 : 12;
	CHECKF(N("probe gives the size and type 255"),
	       f.h.handle_bytes == want && f.h.handle_type == 255,
	       "handle_bytes %u type %d", f.h.handle_bytes, f.h.handle_type);
	CHECK(N("probe writes the mount id"), mnt > 0);
	f.h.handle_bytes = want - 1;
	CHECK_ERRNO(N("one byte short is EOVERFLOW"),
		    name_to_handle_at(dfd, "fh-file", &f.h, &mnt, 0), EOVERFLOW);

	CHECK_SYS(N("name_to_handle_at"), handle(dfd, "fh-file", 0, &f, &mnt2));
	CHECKF(N("handle type 1 and its size"), f.h.handle_type == 1 && f.h.handle_bytes == want,
	       "type %d bytes %u", f.h.handle_type, f.h.handle_bytes);
	CHECKF(N("handle holds the inode number"), handle_ino(&f) == st.st_ino,
	       "%llu vs %llu", (unsigned long long)handle_ino(&f), (unsigned long long)st.st_ino);
	CHECK(N("same mount id as the probe"), mnt2 == mnt);
	struct statx stx;
	MUST(statx(dfd, "fh-file", 0, STATX_MNT_ID, &stx));
	CHECKF(N("mount id is statx's stx_mnt_id"),
	       (stx.stx_mask & STATX_MNT_ID) && stx.stx_mnt_id == (uint64_t)mnt,
	       "%llu vs %d", (unsigned long long)stx.stx_mnt_id, mnt);
	CHECK(N("mount id is mountinfo's, same device"), mountinfo_has(mnt, st.st_dev));

	CHECK_SYS(N("the symlink itself by default"), handle(dfd, "fh-link", 0, &g, &mnt));
	CHECK(N("... its own inode"), handle_ino(&g) == lst.st_ino);
	CHECK_SYS(N("AT_SYMLINK_FOLLOW"), handle(dfd, "fh-link", AT_SYMLINK_FOLLOW, &g, &mnt));
	CHECK(N("... the target's handle"), memcmp(&f, &g, sizeof f) == 0);
	CHECK_SYS(N("AT_HANDLE_FID"), handle(dfd, "fh-file", AT_HANDLE_FID, &g, &mnt));
	CHECK(N("... the same handle"), memcmp(&f, &g, sizeof f) == 0);

	int fd = MUST(openat(dfd, "fh-file", O_RDONLY));
	CHECK_SYS(N("AT_EMPTY_PATH on an fd"), handle(fd, "", AT_EMPTY_PATH, &g, &mnt));
	CHECK(N("... the same handle"), memcmp(&f, &g, sizeof f) == 0);
	close(fd);
	fd = MUST(openat(dfd, "fh-file", O_PATH));
	CHECK_SYS(N("AT_EMPTY_PATH on an O_PATH fd"), handle(fd, "", AT_EMPTY_PATH, &g, &mnt));
	CHECK(N("... the same handle"), memcmp(&f, &g, sizeof f) == 0);
	CHECK_ERRNO(N("empty path without AT_EMPTY_PATH"), handle(fd, "", 0, &g, &mnt), ENOENT);
	close(fd);

	g.h.handle_bytes = MAX_HANDLE_SZ + 1;
	CHECK_ERRNO(N("handle_bytes 129 is EINVAL"),
		    name_to_handle_at(dfd, "fh-file", &g.h, &mnt, 0), EINVAL);
	CHECK_ERRNO(N("unknown flag is EINVAL"), handle(dfd, "fh-file", 0x8000, &g, &mnt), EINVAL);
	CHECK_ERRNO(N("AT_SYMLINK_NOFOLLOW is EINVAL"),
		    handle(dfd, "fh-file", AT_SYMLINK_NOFOLLOW, &g, &mnt), EINVAL);
	CHECK_ERRNO(N("bad handle pointer is EFAULT"),
		    name_to_handle_at(dfd, "fh-file", (void *)8, &mnt, 0), EFAULT);
	CHECK_ERRNO(N("bad mount id pointer is EFAULT"),
		    handle(dfd, "fh-file", 0, &g, (void *)8), EFAULT);
	CHECK_ERRNO(N("missing file is ENOENT"), handle(dfd, "fh-none", 0, &g, &mnt), ENOENT);
	CHECK_ERRNO(N("file as directory is ENOTDIR"),
		    handle(dfd, "fh-file/x", 0, &g, &mnt), ENOTDIR);
}

static void open_checks(void)
{
	struct stat st, dst;
	struct fh f, d, l, bad;
	int mnt, fd;
	char buf[64];
	MUST(fstatat(dfd, "fh-file", &st, 0));
	MUST(fstat(dfd, &dst));
	MUST(handle(dfd, "fh-file", 0, &f, &mnt));
	MUST(handle(dfd, "", AT_EMPTY_PATH, &d, &mnt));
	MUST(handle(dfd, "fh-link", 0, &l, &mnt));

	fd = open_by_handle_at(dfd, &f.h, O_RDONLY);
	CHECK_SYS(N("open_by_handle_at a file"), fd);
	CHECK(N("... the same inode"), fd_ino(fd) == st.st_ino);
	ssize_t n = pread(fd, buf, sizeof buf, 0);
	CHECK(N("... reads its text"), n == (ssize_t)strlen(TEXT) && memcmp(buf, TEXT, n) == 0);
	close(fd);
	fd = open_by_handle_at(dfd, &f.h, O_RDWR | O_APPEND);
	CHECK_SYS(N("open a file O_RDWR"), fd);
	CHECK(N("... writes"), write(fd, "", 0) == 0);
	close(fd);
	fd = open_by_handle_at(dfd, &f.h, O_PATH);
	CHECK_SYS(N("open a file O_PATH"), fd);
	CHECK(N("... the same inode"), fd_ino(fd) == st.st_ino);
	close(fd);
	CHECK_ERRNO(N("a file with O_DIRECTORY is ENOTDIR"),
		    open_by_handle_at(dfd, &f.h, O_RDONLY | O_DIRECTORY), ENOTDIR);
	CHECK_ERRNO(N("O_CREAT|O_EXCL is EEXIST"),
		    open_by_handle_at(dfd, &f.h, O_RDWR | O_CREAT | O_EXCL), EEXIST);
	fd = open_by_handle_at(dfd, &f.h, O_RDWR | O_CREAT);
	CHECK_SYS(N("O_CREAT alone opens it"), fd);
	close(fd);

	fd = open_by_handle_at(dfd, &d.h, O_RDONLY | O_DIRECTORY);
	CHECK_SYS(N("open the directory O_DIRECTORY"), fd);
	CHECK(N("... the same inode"), fd_ino(fd) == dst.st_ino);
	int fd2 = openat(fd, "fh-file", O_RDONLY);
	CHECK_SYS(N("... works as a dirfd"), fd2);
	close(fd2);
	close(fd);
	CHECK_ERRNO(N("the directory O_WRONLY is EISDIR"),
		    open_by_handle_at(dfd, &d.h, O_WRONLY), EISDIR);

	CHECK_ERRNO(N("a symlink without O_PATH is ELOOP"),
		    open_by_handle_at(dfd, &l.h, O_RDONLY), ELOOP);
	fd = open_by_handle_at(dfd, &l.h, O_PATH);
	CHECK_SYS(N("a symlink with O_PATH"), fd);
	n = readlinkat(fd, "", buf, sizeof buf);
	CHECK(N("... readlinkat gives its target"), n == 7 && memcmp(buf, "fh-file", 7) == 0);
	close(fd);

	MUST(fchdir(dfd));
	fd = open_by_handle_at(AT_FDCWD, &f.h, O_RDONLY);
	CHECK_SYS(N("AT_FDCWD names the mount"), fd);
	close(fd);
	MUST(chdir("/"));

	CHECK_ERRNO(N("closed mount fd is EBADF"), open_by_handle_at(999, &f.h, O_RDONLY), EBADF);
	int proc = MUST(open("/proc", O_RDONLY | O_DIRECTORY));
	CHECK_ERRNO(N("the mount of /proc is ESTALE"),
		    open_by_handle_at(proc, &f.h, O_RDONLY), ESTALE);
	close(proc);
	CHECK_ERRNO(N("bad handle pointer is EFAULT"),
		    open_by_handle_at(dfd, (void *)8, O_RDONLY), EFAULT);

	bad = f;
	bad.h.handle_bytes = 0;
	CHECK_ERRNO(N("handle_bytes 0 is EINVAL"), open_by_handle_at(dfd, &bad.h, O_RDONLY), EINVAL);
	bad.h.handle_bytes = MAX_HANDLE_SZ + 1;
	CHECK_ERRNO(N("handle_bytes 129 is EINVAL"),
		    open_by_handle_at(dfd, &bad.h, O_RDONLY), EINVAL);
	bad = f;
	bad.h.handle_type = -1;
	CHECK_ERRNO(N("negative type is EINVAL"), open_by_handle_at(dfd, &bad.h, O_RDONLY), EINVAL);
	bad = f;
	bad.h.handle_bytes = 4;
	CHECK_ERRNO(N("short handle is ESTALE"), open_by_handle_at(dfd, &bad.h, O_RDONLY), ESTALE);
	bad = f;
	if (ext4) {
		bad.w[1] = bad.w[1] + 1 ? bad.w[1] + 1 : 2;
		CHECK_ERRNO(N("forged generation is ESTALE"),
			    open_by_handle_at(dfd, &bad.h, O_RDONLY), ESTALE);
		bad = f;
		bad.h.handle_type = 0x42;
		CHECK_ERRNO(N("unknown type is ESTALE"),
			    open_by_handle_at(dfd, &bad.h, O_RDONLY), ESTALE);
		bad = f;
		bad.w[0] = 5;
		CHECK_ERRNO(N("reserved inode number is ESTALE"),
			    open_by_handle_at(dfd, &bad.h, O_RDONLY), ESTALE);
	} else {
		bad.w[0] ^= 1;
		CHECK_ERRNO(N("forged generation is ESTALE"),
			    open_by_handle_at(dfd, &bad.h, O_RDONLY), ESTALE);
	}
}

static void stale_checks(void)
{
	struct fh f;
	int mnt;
	int fd = MUST(openat(dfd, "fh-gone", O_CREAT | O_RDWR, 0644));
	MUST(handle(dfd, "fh-gone", 0, &f, &mnt));
	MUST(unlinkat(dfd, "fh-gone", 0));
	int fd2 = open_by_handle_at(dfd, &f.h, O_RDONLY);
	CHECK_SYS(N("unlinked while open still opens"), fd2);
	CHECK(N("... the same file"), fd_ino(fd2) == fd_ino(fd));
	if (fd2 >= 0)
		close(fd2);
	close(fd);
	CHECK_ERRNO(N("unlinked and closed is ESTALE"),
		    open_by_handle_at(dfd, &f.h, O_RDONLY), ESTALE);
}

static void user_checks(void)
{
	struct fh f;
	int mnt;
	MUST(handle(dfd, "fh-file", 0, &f, &mnt));
	pid_t pid = MUST(fork());
	if (pid == 0) {
		struct fh g;
		int m;
		if (setuid(1000) != 0)
			_exit(3);
		if (open_by_handle_at(dfd, &f.h, O_RDONLY) != -1 || errno != EPERM)
			_exit(1);
		if (handle(dfd, "fh-file", 0, &g, &m) != 0 || memcmp(&f, &g, sizeof f) != 0)
			_exit(2);
		_exit(0);
	}
	int status;
	MUST(waitpid(pid, &status, 0));
	CHECKF(N("uid 1000: open_by_handle_at EPERM, name_to_handle_at works"),
	       WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x", status);
}

static void dir_checks(const char *d)
{
	struct statfs sfs;
	dir = d;
	dfd = MUST(open(d, O_RDONLY | O_DIRECTORY));
	MUST(fstatfs(dfd, &sfs));
	if (sfs.f_type != EXT4_MAGIC && sfs.f_type != TMPFS_MAGIC) {
		check_printf("# %s: neither ext4 nor tmpfs (%#lx), skipped\n", d,
			     (unsigned long)sfs.f_type);
		close(dfd);
		return;
	}
	ext4 = sfs.f_type == EXT4_MAGIC;
	check_printf("# %s: %s\n", d, ext4 ? "ext4" : "tmpfs");
	unlinkat(dfd, "fh-file", 0);
	unlinkat(dfd, "fh-link", 0);
	int fd = MUST(openat(dfd, "fh-file", O_CREAT | O_WRONLY | O_TRUNC, 0644));
	MUST(write(fd, TEXT, strlen(TEXT)));
	close(fd);
	MUST(symlinkat("fh-file", dfd, "fh-link"));
	encode_checks();
	open_checks();
	stale_checks();
	user_checks();
	unlinkat(dfd, "fh-file", 0);
	unlinkat(dfd, "fh-link", 0);
	close(dfd);
}

static void unexportable_checks(void)
{
	struct fh f;
	struct stat st;
	int mnt, p[2];
	dir = "proc";
	CHECK_ERRNO(N("/proc/self/status is EOPNOTSUPP"),
		    handle(AT_FDCWD, "/proc/self/status", 0, &f, &mnt), EOPNOTSUPP);
	CHECK_ERRNO(N("/proc/self (a symlink, not followed) is EOPNOTSUPP"),
		    handle(AT_FDCWD, "/proc/self", 0, &f, &mnt), EOPNOTSUPP);
	MUST(stat("/proc/self/status", &st));
	CHECK_SYS(N("AT_HANDLE_FID on /proc/self/status"),
		  handle(AT_FDCWD, "/proc/self/status", AT_HANDLE_FID, &f, &mnt));
	CHECKF(N("... FILEID_INO64_GEN with the inode number"),
	       f.h.handle_type == 0x81 && f.h.handle_bytes == 12 &&
		       (f.w[0] | (uint64_t)f.w[1] << 32) == st.st_ino,
	       "type %#x bytes %u", f.h.handle_type, f.h.handle_bytes);
	dir = "devtmpfs";
	MUST(stat("/dev/null", &st));
	CHECK_SYS(N("/dev/null"), handle(AT_FDCWD, "/dev/null", 0, &f, &mnt));
	CHECKF(N("... shmem's handle"),
	       f.h.handle_type == 1 && f.h.handle_bytes == 12 &&
		       (f.w[1] | (uint64_t)f.w[2] << 32) == st.st_ino,
	       "type %#x bytes %u", f.h.handle_type, f.h.handle_bytes);
	int dev = MUST(open("/dev", O_RDONLY | O_DIRECTORY));
	int fd = open_by_handle_at(dev, &f.h, O_WRONLY);
	CHECK_SYS(N("... opens by handle"), fd);
	CHECK(N("... the device"), write(fd, "x", 1) == 1 && fd_ino(fd) == st.st_ino);
	close(fd);
	close(dev);
	dir = "pipe";
	MUST(pipe(p));
	CHECK_ERRNO(N("a pipe is EOPNOTSUPP"), handle(p[0], "", AT_EMPTY_PATH, &f, &mnt),
		    EOPNOTSUPP);
	close(p[0]);
	close(p[1]);
}

/* cgroup2 (a mount at /tmp/fh-cg): kernfs's FILEID_KERNFS handles, the
 * 64-bit inode number in 8 bytes, for groups and their files; ESTALE once
 * the group is removed. */
static void cgroup_checks(void)
{
	struct fh f, c, p;
	struct stat st, cst, pst;
	int mnt;
	dir = "cgroup2";
	mkdir("/tmp/fh-cg", 0755);
	if (mount("none", "/tmp/fh-cg", "cgroup2", 0, NULL) != 0) {
		check_printf("# no cgroup2 mount (%s), skipped\n", strerrorname_np(errno));
		rmdir("/tmp/fh-cg");
		return;
	}
	int cg = MUST(open("/tmp/fh-cg", O_RDONLY | O_DIRECTORY));
	rmdirat(cg, "fh-child");
	MUST(mkdirat(cg, "fh-child", 0755));
	MUST(fstat(cg, &st));
	MUST(fstatat(cg, "fh-child", &cst, 0));
	MUST(fstatat(cg, "fh-child/cgroup.procs", &pst, 0));
	CHECK_SYS(N("handle of the root"), handle(cg, "", AT_EMPTY_PATH, &f, &mnt));
	CHECKF(N("... FILEID_KERNFS with the inode number"),
	       f.h.handle_type == 0xfe && f.h.handle_bytes == 8 &&
		       (f.w[0] | (uint64_t)f.w[1] << 32) == st.st_ino,
	       "type %#x bytes %u", f.h.handle_type, f.h.handle_bytes);
	CHECK_SYS(N("handle of a group"), handle(cg, "fh-child", 0, &c, &mnt));
	CHECK(N("... its inode number"), (c.w[0] | (uint64_t)c.w[1] << 32) == cst.st_ino);
	CHECK_SYS(N("handle of cgroup.procs"), handle(cg, "fh-child/cgroup.procs", 0, &p, &mnt));
	CHECK(N("... its inode number"), (p.w[0] | (uint64_t)p.w[1] << 32) == pst.st_ino);
	int fd = open_by_handle_at(cg, &c.h, O_RDONLY | O_DIRECTORY);
	CHECK_SYS(N("open the group by handle"), fd);
	CHECK(N("... the same inode"), fd_ino(fd) == cst.st_ino);
	int fd2 = openat(fd, "cgroup.procs", O_RDONLY);
	CHECK_SYS(N("... works as a dirfd"), fd2);
	close(fd2);
	close(fd);
	fd = open_by_handle_at(cg, &p.h, O_RDONLY);
	CHECK_SYS(N("open cgroup.procs by handle"), fd);
	char buf[16];
	CHECK(N("... reads (empty)"), read(fd, buf, sizeof buf) == 0);
	close(fd);
	MUST(rmdirat(cg, "fh-child"));
	CHECK_ERRNO(N("a removed group is ESTALE"), open_by_handle_at(cg, &c.h, O_RDONLY), ESTALE);
	close(cg);
	MUST(umount("/tmp/fh-cg"));
	rmdir("/tmp/fh-cg");
}

int main(int argc, char **argv)
{
	if (argc < 2)
		dir_checks("/tmp");
	for (int i = 1; i < argc; i++)
		dir_checks(argv[i]);
	unexportable_checks();
	cgroup_checks();
	return check_done();
}
