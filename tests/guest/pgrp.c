/*
 * setpgid(2)'s rules, as Linux applies them: a parent may move a child that
 * has not yet exec'd (EACCES after) and is in its session (EPERM if not),
 * into an existing group of that session (EPERM for a group that does not
 * exist); a process that is neither the caller nor its child is ESRCH; a
 * session leader cannot move (EPERM).
 */
#include "check.h"

#include <signal.h>
#include <sys/wait.h>

static int wait_status(pid_t pid)
{
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return st;
}

/* Forks a child that runs FN with the write end of a pipe, and returns its
 * pid once it has written a byte there. */
static pid_t child_ready(void (*fn)(int))
{
	int p[2];
	MUST(pipe(p));
	pid_t pid = MUST(fork());
	if (pid == 0) {
		close(p[0]);
		fn(p[1]);
		_exit(0);
	}
	close(p[1]);
	char c;
	MUST(read(p[0], &c, 1));
	close(p[0]);
	return pid;
}

static void just_wait(int fd)
{
	MUST(write(fd, "x", 1));
	for (;;)
		pause();
}

static void exec_and_wait(int fd)
{
	char arg[16];
	snprintf(arg, sizeof arg, "%d", fd);
	execl("/proc/self/exe", "pgrp", "ready", arg, (char *)NULL);
	_exit(1);
}

static void new_session(int fd)
{
	MUST(setsid());
	just_wait(fd);
}

static void end(pid_t pid)
{
	kill(pid, SIGKILL);
	wait_status(pid);
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "ready") == 0)
		just_wait(atoi(argv[2]));
	/* Run in a group of our own, away from init's session leadership. */
	pid_t me = getpid();
	if (getsid(0) == me) {
		pid_t pid = MUST(fork());
		if (pid != 0) {
			int st = wait_status(pid);
			return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
		}
		me = getpid();
	}
	pid_t c = child_ready(just_wait);
	CHECK_SYS("a parent moves its child into a new group", setpgid(c, 0));
	CHECK("the child leads it", getpgid(c) == c);
	CHECK_SYS("and back into the parent's", setpgid(c, getpgrp()));
	CHECK_ERRNO("a group that does not exist", setpgid(c, 99999), EPERM);
	if (getppid() > 0)
		CHECK_ERRNO("a pid that is no child (the parent)", setpgid(getppid(), 0), ESRCH);
	end(c);
	c = child_ready(exec_and_wait);
	CHECK_ERRNO("a child that has exec'd", setpgid(c, 0), EACCES);
	end(c);
	c = child_ready(new_session);
	CHECK_ERRNO("a child in another session", setpgid(c, 0), EPERM);
	end(c);
	CHECK_SYS("a process moves itself", setpgid(0, 0));
	pid_t leader = MUST(fork());
	if (leader == 0) {
		MUST(setsid());
		_exit(setpgid(0, 0) == -1 && errno == EPERM ? 0 : 1);
	}
	int st = wait_status(leader);
	CHECKF("a session leader cannot move", WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %#x", st);
	return check_done();
}
