/*
 * Calls reboot(2) as init: "reboot poweroff" powers off (./linux exits 0),
 * "reboot restart" restarts (./linux runs the kernel again), after checking
 * that bad magic numbers and non-root callers are refused.
 */
#include "check.h"

#include <sys/reboot.h>
#include <sys/syscall.h>
#include <sys/wait.h>

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "poweroff";
	CHECK_ERRNO("bad magic: EINVAL", syscall(SYS_reboot, 0x12345678, 672274793, RB_POWER_OFF, 0), EINVAL);
	pid_t pid = MUST(fork());
	if (pid == 0) {
		setuid(1000);
		_exit(reboot(RB_POWER_OFF) == -1 && errno == EPERM ? 0 : 1);
	}
	int status;
	CHECK("non-root: EPERM", waitpid(pid, &status, 0) == pid && WEXITSTATUS(status) == 0);
	check_printf("booted, now %s\n", what);
	sync();
	reboot(strcmp(what, "restart") == 0 ? RB_AUTOBOOT : RB_POWER_OFF);
	check_fail("reboot", errno, "returned");
	return check_done();
}
