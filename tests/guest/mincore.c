/*
 * mincore(2): an anonymous mapping is resident where it was touched only;
 * a file mapping is resident where the file's pages are cached, touched
 * here or not (a file just written on /tmp; a file of the root filesystem
 * touched through a mapping since gone, whose cache outlives it), and not
 * after MADV_DONTNEED
 * of an anonymous page; a length that is not a page multiple covers the
 * partial page; EINVAL for an unaligned address, ENOMEM for a range with a
 * hole or past the address space, EFAULT for a bad vector.
 */
#include "check.h"

#include <fcntl.h>
#include <sys/mman.h>

int main(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	unsigned char v[8];
	char *m = mmap(NULL, 8 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK_SYS("mincore of an untouched mapping", mincore(m, 8 * pg, v));
	int any = 0;
	for (int i = 0; i < 8; i++)
		any |= v[i] & 1;
	CHECK("reports nothing resident", !any);
	m[2 * pg] = 1;
	m[5 * pg] = 1;
	CHECK("touched pages are resident", mincore(m, 8 * pg, v) == 0 && (v[2] & 1) && (v[5] & 1) &&
						    !(v[0] & 1) && !(v[7] & 1));
	CHECK("a partial last page counts", mincore(m, 2 * pg + 1, v) == 0 && (v[2] & 1));
	madvise(m + 2 * pg, pg, MADV_DONTNEED);
	CHECK("MADV_DONTNEED makes it non-resident", mincore(m, 8 * pg, v) == 0 && !(v[2] & 1) && (v[5] & 1));
	CHECK_ERRNO("an unaligned address is EINVAL", mincore(m + 1, pg, v), EINVAL);
	CHECK_ERRNO("a bad vector is EFAULT", mincore(m, pg, (unsigned char *)8), EFAULT);
	munmap(m + 3 * pg, pg);
	CHECK_ERRNO("a hole in the range is ENOMEM", mincore(m, 8 * pg, v), ENOMEM);
	CHECK_ERRNO("a range past the address space is ENOMEM",
		    mincore((void *)(0x800000000000UL - (unsigned long)pg), 2 * pg, v), ENOMEM);
	CHECK_SYS("a zero length is fine", mincore(m, 0, v));

	char path[] = "/tmp/mincore-XXXXXX";
	int fd = mkstemp(path);
	char buf[4096 * 4];
	memset(buf, 'x', sizeof buf);
	MUST(write(fd, buf, sizeof buf));
	char *f = mmap(NULL, sizeof buf, PROT_READ, MAP_SHARED, fd, 0);
	CHECK("pages of a file just written are resident untouched",
	      mincore(f, sizeof buf, v) == 0 && (v[0] & 1) && (v[3] & 1));
	munmap(f, sizeof buf);
	close(fd);
	unlink(path);

	/* A program nothing runs now: its pages stay cached after its mapping. */
	fd = open("/bin/exit42", O_RDONLY);
	MUST(fd);
	volatile char *e = mmap(NULL, 8 * pg, PROT_READ, MAP_PRIVATE, fd, 0);
	MUST(e == MAP_FAILED ? -1 : 0);
	(void)e[0];
	(void)e[5 * pg];
	munmap((void *)e, 8 * pg);
	e = mmap(NULL, 8 * pg, PROT_READ, MAP_PRIVATE, fd, 0);
	MUST(e == MAP_FAILED ? -1 : 0);
	CHECK("an ext4 file's pages stay cached after the mapping went",
	      mincore((void *)e, 8 * pg, v) == 0 && (v[0] & 1) && (v[5] & 1));
	munmap((void *)e, 8 * pg);
	close(fd);
	return check_done();
}
