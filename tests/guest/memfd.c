/*
 * memfd_create: an anonymous file that reads, writes, truncates and maps like
 * a tmpfs file; MFD_CLOEXEC; the /proc/self/fd link Linux shows; two files of
 * one name stay apart; a MAP_SHARED mapping of it is shared with a child;
 * EINVAL for unknown flags and over-long names. The exec controls of Linux
 * 6.3 (memfd_create(2)): MFD_EXEC and MFD_NOEXEC_SEAL (EINVAL together; the
 * latter gives mode 0666 and F_SEAL_EXEC, which freezes the exec bits and
 * stops execve), F_SEAL_EXEC on an executable file implying the write seals,
 * and vm.memfd_noexec: only root with CAP_SYS_ADMIN writes it, and its
 * modes 1 and 2 are set only as the guest's init or with --global (the
 * host's value is put back at once).
 */
#include "check.h"
#include <fcntl.h>
#include <linux/capability.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008U
#define MFD_EXEC 0x0010U
#endif
#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC 0x0020
#endif
#define WRITE_SEALS (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)
#define NOEXEC "/proc/sys/vm/memfd_noexec"

static mode_t fd_mode(int fd)
{
	struct stat st;
	return fstat(fd, &st) == 0 ? st.st_mode & 07777 : (mode_t)-1;
}

/* Returns the errno of writing TEXT to the sysctl (0: it took it). */
static int write_sysctl(const char *text)
{
	int fd = open(NOEXEC, O_WRONLY);
	if (fd < 0)
		return errno;
	int e = write(fd, text, strlen(text)) < 0 ? errno : 0;
	close(fd);
	return e;
}

static long read_sysctl(void)
{
	char buf[16] = { 0 };
	int fd = MUST(open(NOEXEC, O_RDONLY));
	MUST(read(fd, buf, sizeof buf - 1));
	close(fd);
	return strtol(buf, NULL, 10);
}

/* Returns the errno a child gets writing the sysctl as uid 65534, or as
 * root without CAP_SYS_ADMIN (the current value: nothing changes). */
static int child_write_errno(int drop_admin)
{
	char cur[16];
	snprintf(cur, sizeof cur, "%ld\n", read_sysctl());
	pid_t pid = MUST(fork());
	if (pid == 0) {
		if (drop_admin) {
			struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
			struct __user_cap_data_struct d[2];
			if (syscall(SYS_capget, &h, d) != 0)
				_exit(100);
			d[CAP_SYS_ADMIN / 32].effective &= ~(1U << (CAP_SYS_ADMIN % 32));
			if (syscall(SYS_capset, &h, d) != 0)
				_exit(101);
		} else if (setuid(65534) != 0) {
			_exit(102);
		}
		_exit(write_sysctl(cur));
	}
	int status;
	MUST(waitpid(pid, &status, 0));
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Returns the errno of executing the memfd FD (0 never: it would run). */
static int exec_errno(int fd)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	char *argv[] = { path, NULL };
	execve(path, argv, environ);
	return errno;
}

static void exec_controls(int global)
{
	CHECK_ERRNO("MFD_EXEC with MFD_NOEXEC_SEAL", syscall(SYS_memfd_create, "x", MFD_EXEC | MFD_NOEXEC_SEAL), EINVAL);
	mode_t old = umask(077);
	int ns = MUST(syscall(SYS_memfd_create, "noexec", MFD_NOEXEC_SEAL));
	CHECKF("MFD_NOEXEC_SEAL: mode 0666", fd_mode(ns) == 0666, "mode %o", fd_mode(ns));
	CHECKF("MFD_NOEXEC_SEAL: F_SEAL_EXEC, sealing allowed", fcntl(ns, F_GET_SEALS) == F_SEAL_EXEC, "seals %#x", fcntl(ns, F_GET_SEALS));
	CHECK_SYS("F_SEAL_EXEC: chmod keeping the exec bits", fchmod(ns, 0644));
	CHECK_ERRNO("F_SEAL_EXEC: chmod adding an exec bit", fchmod(ns, 0744), EPERM);
	CHECK("F_SEAL_EXEC: still writable", write(ns, "#!/bin/sh\n", 10) == 10);
	CHECK("F_SEAL_EXEC: execve refused", exec_errno(ns) == EACCES);
	CHECK_SYS("further seals", fcntl(ns, F_ADD_SEALS, F_SEAL_SHRINK));
	close(ns);

	int ex = MUST(syscall(SYS_memfd_create, "exec", MFD_EXEC));
	CHECKF("MFD_EXEC: mode 0777 whatever the umask", fd_mode(ex) == 0777, "mode %o", fd_mode(ex));
	CHECK("MFD_EXEC: F_SEAL_SEAL", fcntl(ex, F_GET_SEALS) == F_SEAL_SEAL);
	close(ex);
	umask(old);

	ex = MUST(syscall(SYS_memfd_create, "exec", MFD_EXEC | MFD_ALLOW_SEALING));
	MUST(ftruncate(ex, 4096));
	char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, ex, 0);
	CHECK("shared writable mapping", p != MAP_FAILED);
	CHECK_ERRNO("F_SEAL_EXEC implies F_SEAL_WRITE: EBUSY while mapped", fcntl(ex, F_ADD_SEALS, F_SEAL_EXEC), EBUSY);
	munmap(p, 4096);
	CHECK_SYS("F_SEAL_EXEC on an executable memfd", fcntl(ex, F_ADD_SEALS, F_SEAL_EXEC));
	CHECKF("brings the write seals", fcntl(ex, F_GET_SEALS) == (F_SEAL_EXEC | WRITE_SEALS), "seals %#x", fcntl(ex, F_GET_SEALS));
	CHECK_ERRNO("write refused", write(ex, "x", 1), EPERM);
	CHECK_ERRNO("chmod dropping the exec bits", fchmod(ex, 0666), EPERM);
	CHECK_SYS("chmod of other bits", fchmod(ex, 04777));
	close(ex);
	int plain = MUST(syscall(SYS_memfd_create, "plain", 0));
	CHECK_ERRNO("F_SEAL_EXEC on a sealed memfd", fcntl(plain, F_ADD_SEALS, F_SEAL_EXEC), EPERM);
	close(plain);

	CHECK("vm.memfd_noexec is 0", read_sysctl() == 0);
	CHECK("vm.memfd_noexec as uid 65534: EACCES", child_write_errno(0) == EACCES);
	CHECK("vm.memfd_noexec without CAP_SYS_ADMIN: EPERM", child_write_errno(1) == EPERM);
	if (!global)
		return;
	CHECK("vm.memfd_noexec takes 1", write_sysctl("1\n") == 0 && read_sysctl() == 1);
	int d = syscall(SYS_memfd_create, "default", 0);
	int dm = fd_mode(d), ds = fcntl(d, F_GET_SEALS);
	int e = syscall(SYS_memfd_create, "exec", MFD_EXEC);
	int em = fd_mode(e);
	CHECK("vm.memfd_noexec takes 2", write_sysctl("2") == 0 && read_sysctl() == 2);
	int e2 = syscall(SYS_memfd_create, "exec", MFD_EXEC);
	int e2_errno = errno;
	int bad = write_sysctl("3");
	CHECK("vm.memfd_noexec back to 0", write_sysctl("0") == 0 && read_sysctl() == 0);
	CHECKF("mode 1: a memfd is MFD_NOEXEC_SEAL by default", dm == 0666 && ds == F_SEAL_EXEC, "mode %o seals %#x", dm, ds);
	CHECK("mode 1: MFD_EXEC still executable", em == 0777);
	CHECK("mode 2: MFD_EXEC refused with EACCES", e2 == -1 && e2_errno == EACCES);
	CHECK("vm.memfd_noexec refuses 3", bad == EINVAL);
	close(d);
	close(e);
}

int main(int argc, char **argv)
{
	int global = getpid() == 1 || (argc > 1 && strcmp(argv[1], "--global") == 0);

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
	exec_controls(global);
	return check_done();
}
