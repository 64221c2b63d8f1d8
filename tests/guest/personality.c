/*
 * personality(2): the execution domain and flags, queried with 0xffffffff,
 * set to anything (the old value returned), inherited over fork and kept
 * over execve, shown in /proc/self/personality; UNAME26 makes uname
 * report a 2.6 release (setarch --uname-2.6), and clearing it gives the
 * real one back. Runs natively too.
 */
#include "check.h"

#include <sys/personality.h>
#include <sys/utsname.h>
#include <sys/wait.h>

static int release_is_26(void)
{
	struct utsname u;
	return uname(&u) == 0 && strncmp(u.release, "2.6.", 4) == 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "check") == 0)
		return personality(0xffffffff) == (PER_LINUX | ADDR_NO_RANDOMIZE) ? 0 : 1;
	CHECK("PER_LINUX at first", personality(0xffffffff) == PER_LINUX);
	CHECK("setting returns the old value", personality(PER_LINUX | ADDR_NO_RANDOMIZE) == PER_LINUX);
	CHECK("and asking returns the new", personality(0xffffffff) == (PER_LINUX | ADDR_NO_RANDOMIZE));
	char text[32] = { 0 };
	FILE *f = fopen("/proc/self/personality", "r");
	CHECKF("/proc/self/personality shows it", f && fgets(text, sizeof text, f) && !strcmp(text, "00040000\n"),
	       "%s", text);
	if (f)
		fclose(f);
	pid_t pid = fork();
	if (pid == 0)
		_exit(personality(0xffffffff) == (PER_LINUX | ADDR_NO_RANDOMIZE) ? 0 : 1);
	int status = 0;
	waitpid(pid, &status, 0);
	CHECK("a child inherits it", WIFEXITED(status) && WEXITSTATUS(status) == 0);
	pid = fork();
	if (pid == 0) {
		execl("/proc/self/exe", "personality", "check", (char *)NULL);
		_exit(2);
	}
	waitpid(pid, &status, 0);
	CHECKF("execve keeps it", WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x", status);
	CHECK("the real release at first", !release_is_26());
	personality(PER_LINUX | UNAME26);
	CHECK("UNAME26 makes uname report 2.6", release_is_26());
	personality(PER_LINUX);
	CHECK("and back", !release_is_26());
	return check_done();
}
