/*
 * memfd_create: an anonymous file that reads, writes, truncates and maps like
 * a tmpfs file; MFD_CLOEXEC; the /proc/self/fd link Linux shows; two files of
 * one name stay apart; a MAP_SHARED mapping of it is shared with a child;
 * EINVAL for unknown flags and over-long names.
 */
#include "check.h"
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

int main(void)
{
	int fd = memfd_create("test", MFD_CLOEXEC);
	CHECK("memfd_create", fd >= 0);
	CHECK("MFD_CLOEXEC", (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
	CHECK("write", write(fd, "memfd_create", 12) == 12);
	CHECK("offset", lseek(fd, 0, SEEK_CUR) == 12);
	char buf[32] = {0};
	CHECK("pread", pread(fd, buf, sizeof buf, 0) == 12 && memcmp(buf, "memfd_create", 12) == 0);
	struct stat st;
	CHECK_SYS("fstat", fstat(fd, &st));
	CHECK("regular file", S_ISREG(st.st_mode) && st.st_size == 12 && st.st_nlink == 0);
	char link[64], target[128];
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, target, sizeof target - 1);
	target[n > 0 ? n : 0] = 0;
	CHECKF("proc link", strcmp(target, "/memfd:test (deleted)") == 0, "link is '%s'", target);
	CHECK_SYS("ftruncate", ftruncate(fd, 8192));
	CHECK_SYS("fstat again", fstat(fd, &st));
	CHECK("size 8192", st.st_size == 8192);

	int fd2 = memfd_create("test", 0);
	CHECK("second of the same name", fd2 >= 0);
	CHECK("no MFD_CLOEXEC", (fcntl(fd2, F_GETFD) & FD_CLOEXEC) == 0);
	CHECK_SYS("fstat second", fstat(fd2, &st));
	CHECK("second is empty", st.st_size == 0);

	char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK("mmap shared", p != MAP_FAILED);
	pid_t pid = fork();
	if (pid == 0) {
		memcpy(p + 4096, "from the child", 15);
		_exit(0);
	}
	int status;
	waitpid(pid, &status, 0);
	CHECK("child's store seen", strcmp(p + 4096, "from the child") == 0);
	CHECK("seen by pread", pread(fd, buf, 15, 4096) == 15 && strcmp(buf, "from the child") == 0);
	munmap(p, 8192);

	CHECK_ERRNO("unknown flag", memfd_create("x", 0x100), EINVAL);
	char longname[300];
	memset(longname, 'a', sizeof longname - 1);
	longname[sizeof longname - 1] = 0;
	CHECK_ERRNO("name too long", memfd_create(longname, 0), EINVAL);
	CHECK_ERRNO("bad pointer", memfd_create((const char *)8, 0), EFAULT);
	close(fd);
	close(fd2);
	return check_done();
}
