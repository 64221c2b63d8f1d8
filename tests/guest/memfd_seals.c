/*
 * File seals on memfd_create(2) files (memfd_create(2), fcntl(2) "File
 * Sealing", Linux's mm/memfd.c and shmem): without MFD_ALLOW_SEALING a memfd
 * (and any tmpfs file) has F_SEAL_SEAL; F_ADD_SEALS needs a writable
 * descriptor (EPERM), known seals (EINVAL), a file that is not sealed against
 * sealing (EPERM); F_GET_SEALS is EINVAL off tmpfs; F_SEAL_SHRINK,
 * F_SEAL_GROW and F_SEAL_WRITE make the operations they name EPERM (write,
 * truncate, fallocate, shared writable mmap) and leave the rest; F_SEAL_WRITE
 * is EBUSY while a shared writable mapping exists; F_SEAL_FUTURE_WRITE keeps
 * existing mappings writable but refuses new writes and mappings, and a
 * shared read-only mapping may not become writable. Runs natively too.
 */
#include "check.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#define PAGE 4096L

static int memfd(unsigned flags)
{
	return (int)MUST(syscall(SYS_memfd_create, "seals", flags));
}

int main(void)
{
	char buf[PAGE];
	memset(buf, 's', sizeof buf);

	int plain = memfd(0);
	CHECK("a memfd without MFD_ALLOW_SEALING has F_SEAL_SEAL", fcntl(plain, F_GET_SEALS) == F_SEAL_SEAL);
	CHECK_ERRNO("and takes no seals", fcntl(plain, F_ADD_SEALS, F_SEAL_WRITE), EPERM);
	close(plain);
	char path[] = "/dev/shm/seals-XXXXXX";
	int tmp = MUST(mkstemp(path));
	unlink(path);
	CHECK("so does any tmpfs file", fcntl(tmp, F_GET_SEALS) == F_SEAL_SEAL);
	close(tmp);
	int root = MUST(open("/", O_RDONLY | O_DIRECTORY));
	CHECK_ERRNO("F_GET_SEALS off tmpfs is EINVAL", fcntl(root, F_GET_SEALS), EINVAL);
	close(root);

	int fd = memfd(MFD_ALLOW_SEALING);
	CHECK("MFD_ALLOW_SEALING starts unsealed", fcntl(fd, F_GET_SEALS) == 0);
	CHECK_ERRNO("an unknown seal is EINVAL", fcntl(fd, F_ADD_SEALS, 0x100), EINVAL);
	MUST(write(fd, buf, 2 * PAGE > (long)sizeof buf ? sizeof buf : 2 * PAGE));
	MUST(ftruncate(fd, 2 * PAGE));
	char p[32];
	snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
	int ro = MUST(open(p, O_RDONLY));
	CHECK_ERRNO("F_ADD_SEALS on a read-only descriptor is EPERM", fcntl(ro, F_ADD_SEALS, F_SEAL_GROW), EPERM);
	CHECK("but F_GET_SEALS works there", fcntl(ro, F_GET_SEALS) == 0);

	CHECK_SYS("F_SEAL_SHRINK", fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK));
	CHECK_ERRNO("shrinking is EPERM", ftruncate(fd, PAGE), EPERM);
	CHECK_SYS("growing is not", ftruncate(fd, 3 * PAGE));
	CHECK_SYS("F_SEAL_GROW", fcntl(fd, F_ADD_SEALS, F_SEAL_GROW));
	CHECK("the seals add up", fcntl(fd, F_GET_SEALS) == (F_SEAL_SHRINK | F_SEAL_GROW));
	CHECK_ERRNO("growing by ftruncate is EPERM", ftruncate(fd, 4 * PAGE), EPERM);
	CHECK_SYS("setting the same size is not", ftruncate(fd, 3 * PAGE));
	CHECK_ERRNO("growing by write is EPERM", pwrite(fd, buf, 10, 3 * PAGE), EPERM);
	CHECK("writing inside the file is not", pwrite(fd, buf, 10, PAGE) == 10);
	CHECK_ERRNO("growing by fallocate is EPERM", fallocate(fd, 0, 2 * PAGE, 4 * PAGE), EPERM);
	CHECK_SYS("fallocate inside the file is not", fallocate(fd, 0, 0, PAGE));

	char *shared = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK("a shared writable mapping", shared != MAP_FAILED);
	CHECK_ERRNO("F_SEAL_WRITE while it exists is EBUSY", fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), EBUSY);
	CHECK("nothing was added", fcntl(fd, F_GET_SEALS) == (F_SEAL_SHRINK | F_SEAL_GROW));
	char *priv = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	CHECK("a private writable mapping", priv != MAP_FAILED);
	munmap(shared, PAGE);
	CHECK_SYS("F_SEAL_WRITE once it is gone (private ones do not count)",
		  fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE));
	CHECK_ERRNO("a write is EPERM", pwrite(fd, buf, 1, 0), EPERM);
	CHECK_ERRNO("a shared writable mmap is EPERM",
		    mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), EPERM);
	char *rd = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, 0);
	CHECK("a shared read-only mmap is fine", rd != MAP_FAILED && rd[0] == 's');
	CHECK_ERRNO("and may not become writable", mprotect(rd, PAGE, PROT_READ | PROT_WRITE), EACCES);
	priv[0] = 'p';
	CHECK("the private copy is writable", priv[0] == 'p' && rd[0] == 's');
	CHECK_ERRNO("punching a hole is EPERM", fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, PAGE),
		    EPERM);
	CHECK_SYS("F_SEAL_SEAL", fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL));
	CHECK_ERRNO("then no more seals", fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK), EPERM);
	CHECK("reads still work", pread(fd, buf, 10, 0) == 10 && buf[0] == 's');
	close(fd);
	close(ro);

	fd = memfd(MFD_ALLOW_SEALING);
	MUST(ftruncate(fd, PAGE));
	char *w = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK_SYS("F_SEAL_FUTURE_WRITE with a writable mapping", fcntl(fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE));
	w[0] = 'w';
	CHECK("the old mapping still writes", pread(fd, buf, 1, 0) == 1 && buf[0] == 'w');
	CHECK_ERRNO("write(2) is EPERM", pwrite(fd, buf, 1, 0), EPERM);
	CHECK_ERRNO("a new shared writable mmap is EPERM",
		    mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), EPERM);
	CHECK_SYS("growing is still allowed", ftruncate(fd, 2 * PAGE));
	munmap(w, PAGE);
	close(fd);
	return check_done();
}
