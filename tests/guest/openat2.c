/*
 * Checks openat2(2) and sync_file_range(2). openat2: the size of struct
 * open_how (EINVAL, E2BIG, EFAULT), every field checked (unknown flags and
 * resolve bits, a mode without O_CREAT, flags O_PATH does not take), and the
 * RESOLVE_* restrictions on a tree under /tmp, /proc's magic links and the
 * /dev and /proc mounts. sync_file_range: EBADF, then EINVAL for the flags
 * and range, then ESPIPE for pipes and devices; data stored through a shared
 * mapping is in the file after it.
 */
#include "check.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>

static long openat2_sized(int dirfd, const char *path, uint64_t flags, uint64_t mode,
			  uint64_t resolve, size_t size)
{
	static char buf[8192];
	memset(buf, 0, sizeof buf);
	struct open_how how = { .flags = flags, .mode = mode, .resolve = resolve };
	memcpy(buf, &how, sizeof how);
	return syscall(SYS_openat2, dirfd, path, buf, size);
}

static long o2(int dirfd, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve)
{
	return openat2_sized(dirfd, path, flags, mode, resolve, sizeof(struct open_how));
}

static long sfr(int fd, int64_t offset, int64_t nbytes, unsigned flags)
{
	return syscall(SYS_sync_file_range, fd, offset, nbytes, flags);
}

/* Returns 1 if FD refers to the same file as PATH. */
static int is(long fd, const char *path)
{
	struct stat a, b;
	return fd >= 0 && fstat((int)fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

static void open_how_checks(void)
{
	CHECK("openat2 opens a file", is(o2(AT_FDCWD, "/tmp/o2/d/f", O_RDONLY, 0, 0), "/tmp/o2/d/f"));
	CHECK_ERRNO("open_how smaller than its first version",
		    openat2_sized(AT_FDCWD, "/tmp/o2/d/f", 0, 0, 0, 23), EINVAL);
	CHECK_ERRNO("open_how larger than a page", openat2_sized(AT_FDCWD, "/tmp/o2/d/f", 0, 0, 0, 4097),
		    E2BIG);
	CHECK("a larger open_how with zeroes past the known fields",
	      openat2_sized(AT_FDCWD, "/tmp/o2/d/f", 0, 0, 0, 4096) >= 0);
	char big[40] = { 0 };
	big[30] = 1;
	CHECK_ERRNO("a larger open_how with more set", syscall(SYS_openat2, AT_FDCWD, "/tmp/o2/d/f", big, 40),
		    E2BIG);
	CHECK_ERRNO("open_how at a bad address", syscall(SYS_openat2, AT_FDCWD, "/tmp/o2/d/f", 8, 24), EFAULT);
	CHECK_ERRNO("unknown flags", o2(AT_FDCWD, "/tmp/o2/d/f", 1ULL << 40, 0, 0), EINVAL);
	CHECK_ERRNO("an unknown flag bit", o2(AT_FDCWD, "/tmp/o2/d/f", 0x4000000, 0, 0), EINVAL);
	CHECK_ERRNO("a mode without O_CREAT", o2(AT_FDCWD, "/tmp/o2/d/f", O_RDONLY, 0644, 0), EINVAL);
	CHECK_ERRNO("a mode with file type bits", o2(AT_FDCWD, "/tmp/o2/d/g", O_CREAT | O_WRONLY, 010644, 0),
		    EINVAL);
	CHECK_ERRNO("O_PATH with O_RDWR", o2(AT_FDCWD, "/tmp/o2/d", O_PATH | O_RDWR, 0, 0), EINVAL);
	CHECK_ERRNO("O_PATH with O_NONBLOCK", o2(AT_FDCWD, "/tmp/o2/d", O_PATH | O_NONBLOCK, 0, 0), EINVAL);
	CHECK("O_PATH with O_DIRECTORY, O_NOFOLLOW and O_CLOEXEC",
	      is(o2(AT_FDCWD, "/tmp/o2/d", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0, 0), "/tmp/o2/d"));
	CHECK_ERRNO("O_CREAT with O_DIRECTORY", o2(AT_FDCWD, "/tmp/o2/d/h", O_CREAT | O_DIRECTORY, 0, 0),
		    EINVAL);
	CHECK_ERRNO("unknown resolve bits", o2(AT_FDCWD, "/tmp/o2/d/f", 0, 0, 0x40), EINVAL);
	CHECK_ERRNO("RESOLVE_BENEATH with RESOLVE_IN_ROOT",
		    o2(AT_FDCWD, "/tmp/o2/d/f", 0, 0, RESOLVE_BENEATH | RESOLVE_IN_ROOT), EINVAL);
	CHECK_ERRNO("RESOLVE_CACHED with O_CREAT",
		    o2(AT_FDCWD, "/tmp/o2/d/f", O_CREAT | O_RDONLY, 0600, RESOLVE_CACHED), EAGAIN);
	long fd = o2(AT_FDCWD, "/tmp/o2/d/f", O_RDONLY, 0, RESOLVE_CACHED);
	CHECKF("RESOLVE_CACHED opens or asks to try again", is(fd, "/tmp/o2/d/f") || errno == EAGAIN,
	       "fd %ld", fd);
	CHECK_ERRNO("a bad dirfd with a relative path", o2(-5, "f", O_RDONLY, 0, 0), EBADF);
	CHECK("a bad dirfd with an absolute path", is(o2(-5, "/tmp/o2/d/f", O_RDONLY, 0, 0), "/tmp/o2/d/f"));
	CHECK_ERRNO("a bad dirfd with RESOLVE_IN_ROOT", o2(-5, "/f", O_RDONLY, 0, RESOLVE_IN_ROOT), EBADF);
	int file = MUST(open("/tmp/o2/d/f", O_RDONLY));
	CHECK_ERRNO("a dirfd that is not a directory", o2(file, "x", O_RDONLY, 0, 0), ENOTDIR);
	MUST(close(file));
}

static void resolve_checks(void)
{
	int d = MUST(open("/tmp/o2/d", O_PATH | O_DIRECTORY));
	int root = MUST(open("/", O_PATH | O_DIRECTORY));

	CHECK_ERRNO("RESOLVE_NO_SYMLINKS refuses a symlink", o2(d, "rel", O_RDONLY, 0, RESOLVE_NO_SYMLINKS),
		    ELOOP);
	CHECK_ERRNO("RESOLVE_NO_SYMLINKS refuses one in the middle",
		    o2(AT_FDCWD, "/tmp/o2/dirlink/f", O_RDONLY, 0, RESOLVE_NO_SYMLINKS), ELOOP);
	CHECK("RESOLVE_NO_SYMLINKS opens the symlink itself with O_PATH|O_NOFOLLOW",
	      o2(d, "rel", O_PATH | O_NOFOLLOW, 0, RESOLVE_NO_SYMLINKS) >= 0);
	CHECK_ERRNO("RESOLVE_NO_SYMLINKS refuses a magic link",
		    o2(AT_FDCWD, "/proc/self/exe", O_PATH, 0, RESOLVE_NO_SYMLINKS), ELOOP);
	CHECK_ERRNO("RESOLVE_NO_MAGICLINKS refuses /proc/self/exe",
		    o2(AT_FDCWD, "/proc/self/exe", O_PATH, 0, RESOLVE_NO_MAGICLINKS), ELOOP);
	char fdpath[64];
	snprintf(fdpath, sizeof fdpath, "/proc/self/fd/%d", d);
	CHECK_ERRNO("RESOLVE_NO_MAGICLINKS refuses /proc/self/fd/N",
		    o2(AT_FDCWD, fdpath, O_PATH, 0, RESOLVE_NO_MAGICLINKS), ELOOP);
	CHECK("RESOLVE_NO_MAGICLINKS follows ordinary symlinks",
	      is(o2(d, "rel", O_RDONLY, 0, RESOLVE_NO_MAGICLINKS), "/tmp/o2/d/f"));
	CHECK("RESOLVE_NO_MAGICLINKS opens the magic link itself with O_NOFOLLOW",
	      o2(AT_FDCWD, "/proc/self/exe", O_PATH | O_NOFOLLOW, 0, RESOLVE_NO_MAGICLINKS) >= 0);

	CHECK_ERRNO("RESOLVE_NO_XDEV refuses entering a mount", o2(root, "proc", O_PATH, 0, RESOLVE_NO_XDEV),
		    EXDEV);
	CHECK_ERRNO("RESOLVE_NO_XDEV refuses an absolute path across one",
		    o2(AT_FDCWD, "/dev/null", O_PATH, 0, RESOLVE_NO_XDEV), EXDEV);
	int proc = MUST(open("/proc", O_PATH | O_DIRECTORY));
	CHECK_ERRNO("RESOLVE_NO_XDEV refuses leaving a mount", o2(proc, "..", O_PATH, 0, RESOLVE_NO_XDEV),
		    EXDEV);
	CHECK_ERRNO("RESOLVE_NO_XDEV refuses a magic link to another mount",
		    o2(proc, "self/exe", O_PATH, 0, RESOLVE_NO_XDEV), EXDEV);
	CHECK("RESOLVE_NO_XDEV inside one mount", o2(proc, "self/stat", O_RDONLY, 0, RESOLVE_NO_XDEV) >= 0);

	CHECK("RESOLVE_BENEATH below the directory", is(o2(d, "f", O_RDONLY, 0, RESOLVE_BENEATH), "/tmp/o2/d/f"));
	CHECK("RESOLVE_BENEATH follows a relative symlink that stays",
	      is(o2(d, "rel", O_RDONLY, 0, RESOLVE_BENEATH), "/tmp/o2/d/f"));
	CHECK_ERRNO("RESOLVE_BENEATH refuses an absolute path", o2(d, "/tmp/o2/d/f", O_RDONLY, 0, RESOLVE_BENEATH),
		    EXDEV);
	CHECK_ERRNO("RESOLVE_BENEATH refuses .. above it", o2(d, "../d/f", O_RDONLY, 0, RESOLVE_BENEATH), EXDEV);
	CHECK_ERRNO("RESOLVE_BENEATH refuses a symlink that leaves", o2(d, "up", O_RDONLY, 0, RESOLVE_BENEATH),
		    EXDEV);
	CHECK_ERRNO("RESOLVE_BENEATH refuses an absolute symlink", o2(d, "abs", O_RDONLY, 0, RESOLVE_BENEATH),
		    EXDEV);
	CHECK_ERRNO("RESOLVE_BENEATH refuses magic links", o2(root, "proc/self/exe", O_PATH, 0, RESOLVE_BENEATH),
		    EXDEV);
	CHECK("RESOLVE_BENEATH allows .. that stays below", is(o2(d, "sub/../f", O_RDONLY, 0, RESOLVE_BENEATH),
							      "/tmp/o2/d/f"));
	long made = o2(d, "made", O_CREAT | O_WRONLY, 0640, RESOLVE_BENEATH);
	struct stat st;
	CHECK("RESOLVE_BENEATH with O_CREAT creates below",
	      made >= 0 && stat("/tmp/o2/d/made", &st) == 0 && (st.st_mode & 0777) == 0640);

	CHECK("RESOLVE_IN_ROOT: / is the directory", is(o2(d, "/f", O_RDONLY, 0, RESOLVE_IN_ROOT), "/tmp/o2/d/f"));
	CHECK("RESOLVE_IN_ROOT: .. stops at it", is(o2(d, "../../f", O_RDONLY, 0, RESOLVE_IN_ROOT), "/tmp/o2/d/f"));
	CHECK("RESOLVE_IN_ROOT: absolute symlinks start at it",
	      is(o2(d, "inabs", O_RDONLY, 0, RESOLVE_IN_ROOT), "/tmp/o2/d/f"));
	CHECK_ERRNO("RESOLVE_IN_ROOT: a symlink out of the tree is inside it",
		    o2(d, "abs", O_RDONLY, 0, RESOLVE_IN_ROOT), ENOENT);
	CHECK_ERRNO("RESOLVE_IN_ROOT refuses magic links", o2(root, "proc/self/exe", O_PATH, 0, RESOLVE_IN_ROOT),
		    EXDEV);
}

static void sync_file_range_checks(void)
{
	int fd = MUST(open("/tmp/o2/d/f", O_RDWR));
	CHECK_ERRNO("sync_file_range of a bad descriptor", sfr(99, 0, 0, 8), EBADF);
	CHECK_ERRNO("sync_file_range with unknown flags", sfr(fd, 0, 0, 8), EINVAL);
	CHECK_ERRNO("sync_file_range of a negative offset", sfr(fd, -1, 0, 0), EINVAL);
	CHECK_ERRNO("sync_file_range of a negative length", sfr(fd, 0, -1, 0), EINVAL);
	CHECK_ERRNO("sync_file_range past the largest offset", sfr(fd, INT64_MAX, 1, 0), EINVAL);
	CHECK("sync_file_range to the end of the file", sfr(fd, INT64_MAX, 0, 0) == 0);
	int p[2];
	MUST(pipe(p));
	CHECK_ERRNO("sync_file_range with unknown flags on a pipe", sfr(p[0], 0, 0, 8), EINVAL);
	CHECK_ERRNO("sync_file_range of a pipe", sfr(p[0], 0, 0, 0), ESPIPE);
	int null = MUST(open("/dev/null", O_RDONLY));
	CHECK_ERRNO("sync_file_range of a device", sfr(null, 0, 0, 0), ESPIPE);
	int path = MUST(open("/tmp/o2/d/f", O_PATH));
	CHECK_ERRNO("sync_file_range of an O_PATH descriptor", sfr(path, 0, 0, 0), EBADF);
	int dir = MUST(open("/tmp/o2/d", O_RDONLY | O_DIRECTORY));
	CHECK("sync_file_range of a directory", sfr(dir, 0, 0, 7) == 0);

	MUST(ftruncate(fd, 8192));
	char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		check_fail("setup", errno, "mmap");
	memcpy(m + 4100, "ranged", 6);
	char buf[6];
	CHECK("sync_file_range writes back a mapped range",
	      sfr(fd, 4096, 4096, SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
					  SYNC_FILE_RANGE_WAIT_AFTER) == 0 &&
		      pread(fd, buf, 6, 4100) == 6 && memcmp(buf, "ranged", 6) == 0);
	MUST(munmap(m, 8192));
	MUST(close(fd));
}

int main(void)
{
	/* /tmp/o2/d: f, sub/, rel -> f, up -> ../d/f, abs -> /tmp/o2/d/f,
	 * inabs -> /f; /tmp/o2/dirlink -> d. */
	mkdir("/tmp/o2", 0755);
	mkdir("/tmp/o2/d", 0755);
	mkdir("/tmp/o2/d/sub", 0755);
	int f = MUST(open("/tmp/o2/d/f", O_WRONLY | O_CREAT | O_TRUNC, 0644));
	MUST(write(f, "file", 4));
	MUST(close(f));
	const char *links[][2] = { { "f", "/tmp/o2/d/rel" },
				   { "../d/f", "/tmp/o2/d/up" },
				   { "/tmp/o2/d/f", "/tmp/o2/d/abs" },
				   { "/f", "/tmp/o2/d/inabs" },
				   { "d", "/tmp/o2/dirlink" } };
	for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
		unlink(links[i][1]);
		MUST(symlink(links[i][0], links[i][1]));
	}
	unlink("/tmp/o2/d/made");
	umask(022);

	open_how_checks();
	resolve_checks();
	sync_file_range_checks();
	return check_done();
}
