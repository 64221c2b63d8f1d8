/*
 * Checks the calls that move data between files or at positions: sendfile
 * (with and without an offset, into a pipe and a file), copy_file_range (with
 * Linux's order of errors: EBADF, EINVAL for flags, EISDIR, EINVAL for a file
 * that is not regular, EBADF, EXDEV between filesystems),
 * preadv/pwritev and their "2" forms, and posix_fallocate.
 */
#include "check.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/uio.h>

#define SIZE (200 * 1024 + 17)

static char want[SIZE], got[SIZE];

static int same_file(const char *path)
{
	int fd = open(path, O_RDONLY);
	ssize_t n = read(fd, got, sizeof got);
	close(fd);
	return n == SIZE && memcmp(got, want, SIZE) == 0;
}

int main(void)
{
	for (int i = 0; i < SIZE; i++)
		want[i] = (char)(i * 31 + (i >> 9));
	int src = MUST(open("/tmp/copy-src", O_RDWR | O_CREAT | O_TRUNC, 0644));
	MUST(write(src, want, SIZE));

	int dst = MUST(open("/tmp/copy-dst", O_WRONLY | O_CREAT | O_TRUNC, 0644));
	off_t off = 0;
	ssize_t total = 0;
	while (total < SIZE) {
		ssize_t n = sendfile(dst, src, &off, SIZE);
		if (n <= 0)
			break;
		total += n;
	}
	CHECKF("sendfile with an offset copies the file", total == SIZE && off == SIZE && same_file("/tmp/copy-dst"),
	       "total %zd off %ld", total, (long)off);
	CHECK("sendfile with an offset leaves the position", lseek(src, 0, SEEK_CUR) == SIZE);
	MUST(lseek(src, 100, SEEK_SET));
	int p[2];
	MUST(pipe(p));
	ssize_t n = sendfile(p[1], src, NULL, 1000);
	CHECK("sendfile into a pipe from the position", n == 1000 && lseek(src, 0, SEEK_CUR) == 1100 &&
	      read(p[0], got, 1000) == 1000 && memcmp(got, want + 100, 1000) == 0);
	close(dst);

	int dst2 = MUST(open("/tmp/copy-dst2", O_RDWR | O_CREAT | O_TRUNC, 0644));
	loff_t in_off = 0, out_off = 0;
	total = 0;
	while (total < SIZE) {
		n = copy_file_range(src, &in_off, dst2, &out_off, SIZE, 0);
		if (n <= 0)
			break;
		total += n;
	}
	CHECKF("copy_file_range copies the file", total == SIZE && in_off == SIZE && same_file("/tmp/copy-dst2"),
	       "total %zd", total);
	loff_t a = 0, b = 10;
	CHECK_ERRNO("copy_file_range of overlapping ranges: EINVAL", copy_file_range(src, &a, src, &b, 100, 0), EINVAL);
	CHECK_ERRNO("copy_file_range with flags: EINVAL", copy_file_range(src, &a, dst2, &b, 100, 1), EINVAL);
	CHECK_ERRNO("copy_file_range from a bad fd with flags: EBADF", copy_file_range(-1, NULL, dst2, NULL, 1, 1),
		    EBADF);
	int mem = MUST(memfd_create("copy", 0));
	MUST(write(mem, "data", 4));
	a = 0;
	CHECK_ERRNO("copy_file_range between filesystems: EXDEV", copy_file_range(mem, &a, dst2, NULL, 4, 0), EXDEV);
	int dir = MUST(open("/tmp", O_RDONLY | O_DIRECTORY));
	CHECK_ERRNO("copy_file_range from a pipe to a directory: EISDIR", copy_file_range(p[0], NULL, dir, NULL, 1, 0),
		    EISDIR);
	int app = MUST(open("/tmp/copy-dst2", O_WRONLY | O_APPEND));
	CHECK_ERRNO("copy_file_range from a pipe to an O_APPEND file: EINVAL",
		    copy_file_range(p[0], NULL, app, NULL, 1, 0), EINVAL);
	a = 0;
	CHECK_ERRNO("copy_file_range to an O_APPEND file: EBADF", copy_file_range(src, &a, app, NULL, 1, 0), EBADF);
	close(app);
	close(dir);
	close(mem);

	char x[4] = "abcd", y[3] = "efg";
	struct iovec w[2] = { { x, 4 }, { y, 3 } };
	CHECK("pwritev at an offset", pwritev(dst2, w, 2, 50) == 7);
	char r1[3], r2[4];
	struct iovec r[2] = { { r1, 3 }, { r2, 4 } };
	CHECK("preadv at an offset", preadv(dst2, r, 2, 50) == 7 && memcmp(r1, "abc", 3) == 0 && memcmp(r2, "defg", 4) == 0);
	MUST(lseek(dst2, 52, SEEK_SET));
	CHECK("preadv2 at -1 reads from the position", preadv2(dst2, r, 1, -1, 0) == 3 && memcmp(r1, "cde", 3) == 0 &&
	      lseek(dst2, 0, SEEK_CUR) == 55);
	CHECK_ERRNO("preadv2 RWF_NOWAIT on an empty pipe: EAGAIN", preadv2(p[0], r, 1, -1, RWF_NOWAIT), EAGAIN);
	CHECK_ERRNO("preadv2 with an unknown flag: EOPNOTSUPP", preadv2(dst2, r, 1, 0, 0x40000000), EOPNOTSUPP);

	int fa = MUST(open("/tmp/copy-fa", O_RDWR | O_CREAT | O_TRUNC, 0644));
	struct stat st;
	CHECK("posix_fallocate grows the file", posix_fallocate(fa, 0, 123456) == 0 && fstat(fa, &st) == 0 &&
	      st.st_size == 123456);
	return check_done();
}
