/*
 * Each system call reads an argument at its C type, as Linux's wrappers cast
 * the register: an int or unsigned int ignores the register's upper half
 * (pipe2, eventfd2, memfd_create, fallocate's mode, dup2, getrlimit), a long
 * or an unsigned long does not (fallocate's offsets). Before the system call
 * table was typed, some calls tested all 64 bits and refused what Linux takes.
 */
#include "check.h"

#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>

static const unsigned long hi = 1UL << 32;

int main(void)
{
	int fds[2];
	CHECKF("pipe2's flags are an int", syscall(SYS_pipe2, fds, hi | O_CLOEXEC) == 0, "errno %d",
	       errno);
	CHECK("pipe2 kept O_CLOEXEC", fcntl(fds[0], F_GETFD) == FD_CLOEXEC);
	close(fds[0]);
	close(fds[1]);
	long fd = syscall(SYS_eventfd2, hi | 7, hi | EFD_NONBLOCK);
	CHECKF("eventfd2's count and flags are ints", fd >= 0, "errno %d", errno);
	uint64_t v = 0;
	CHECK("eventfd2 counts from the low half", read(fd, &v, 8) == 8 && v == 7);
	close(fd);
	fd = syscall(SYS_memfd_create, "w", hi | MFD_CLOEXEC);
	CHECKF("memfd_create's flags are an unsigned int", fd >= 0, "errno %d", errno);
	CHECK_SYS("fallocate's mode is an int", syscall(SYS_fallocate, fd, hi, 0, 4096));
	CHECK_ERRNO("fallocate's offset is a long", syscall(SYS_fallocate, fd, 0, -1L, 4096), EINVAL);
	CHECK_ERRNO("dup2's descriptors are unsigned ints",
		    syscall(SYS_dup2, hi | 0xffffffffUL, 5), EBADF);
	CHECKF("dup2 reads the low half", syscall(SYS_dup2, hi | fd, hi | 50) == 50, "errno %d",
	       errno);
	close(50);
	close(fd);
	return check_done();
}
