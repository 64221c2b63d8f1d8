/*
 * Checks process creation: ITERATIONS rounds of fork + execve of /bin/exit42
 * (alternating with its static-pie build) + waitpid with the exit status
 * passed through argv, execve errors, and wait returning ECHILD at the end.
 */
#include "check.h"
#include "fixtures.h"

#include <sys/wait.h>

#define ITERATIONS 100

extern char **environ;

int main(void)
{
	pid_t self = getpid();
	int good = 1;
	for (int i = 0; i < ITERATIONS && good; i++) {
		const char *prog = i % 2 ? "/bin/exit42-pie" : "/bin/exit42";
		int code = (i * 37 + 1) & 0xff;
		char arg[16];
		snprintf(arg, sizeof arg, "%d", code);
		pid_t pid = fork();
		if (pid == 0) {
			if (getppid() != self)
				_exit(101);
			char *argv[] = { (char *)prog, arg, NULL };
			execve(prog, argv, environ);
			_exit(102);
		}
		if (pid < 0)
			check_fail("fork", errno, "iteration %d", i);
		int status = 0;
		pid_t got = waitpid(pid, &status, 0);
		if (got != pid)
			check_fail("waitpid", errno, "iteration %d: returned %d, expected %d", i, got, pid);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != code)
			check_fail("exit status", 0, "iteration %d (%s): status %#x, expected exit %d",
				   i, prog, status, code);
		good = pid != self;
	}
	CHECK("fork execve waitpid " "x100", good);

	/* A child that exits without exec, and one that runs exit42 with no argument. */
	pid_t pid = fork();
	if (pid == 0)
		_exit(3);
	int status = 0;
	CHECK("wait4 any child", wait4(-1, &status, 0, NULL) == pid);
	CHECK("plain _exit status", WIFEXITED(status) && WEXITSTATUS(status) == 3);
	pid = fork();
	if (pid == 0) {
		char *argv[] = { "exit42", NULL };
		execve("/bin/exit42", argv, environ);
		_exit(102);
	}
	CHECK("wait for exit42", waitpid(pid, &status, 0) == pid);
	CHECKF("exit42 default status", WIFEXITED(status) && WEXITSTATUS(status) == 42,
	       "status %#x", status);

	/* execve failures return to the caller. */
	char *argv[] = { "x", NULL };
	CHECK_ERRNO("execve missing file", execve("/bin/nonexistent", argv, environ), ENOENT);
	CHECK_ERRNO("execve without x bit", execve(SMALL_PATH, argv, environ), EACCES);
	CHECK_ERRNO("execve not ELF", execve(NOTELF_PATH, argv, environ), ENOEXEC);
	CHECK_ERRNO("execve a directory", execve("/bin", argv, environ), EACCES);

	CHECK_ERRNO("wait with no children", wait(&status), ECHILD);
	CHECK_ERRNO("waitpid on a non-child", waitpid(12345, &status, 0), ECHILD);
	return check_done();
}
