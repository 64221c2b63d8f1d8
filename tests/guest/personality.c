/*
 * personality(2): the execution domain and flags, queried with 0xffffffff,
 * set to anything (the old value returned), inherited over fork and kept
 * over execve, shown in /proc/self/personality; UNAME26 makes uname
 * report a 2.6 release (setarch --uname-2.6), and clearing it gives the
 * real one back. READ_IMPLIES_EXEC makes PROT_READ mappings (mmap and
 * mprotect) executable, and an x86_64 execve drops it (Linux's
 * set_personality_64bit) while keeping the rest. Runs natively too.
 */
#include "check.h"

#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/utsname.h>
#include <sys/wait.h>

static int release_is_26(void)
{
	struct utsname u;
	return uname(&u) == 0 && strncmp(u.release, "2.6.", 4) == 0;
}

/* Returns the permissions /proc/self/maps shows for the mapping at P. */
static const char *perms_of(void *p)
{
	static char perms[8];
	char line[512];
	FILE *f = fopen("/proc/self/maps", "r");
	perms[0] = 0;
	while (f && fgets(line, sizeof line, f)) {
		unsigned long lo, hi;
		if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perms) == 3 && lo <= (unsigned long)p &&
		    (unsigned long)p < hi)
			break;
		perms[0] = 0;
	}
	if (f)
		fclose(f);
	return perms;
}

static void read_implies_exec(void)
{
	int before = personality(0xffffffff);
	personality(before | READ_IMPLIES_EXEC);
	char *m = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECKF("READ_IMPLIES_EXEC makes a PROT_READ mapping executable", !strcmp(perms_of(m), "r-xp"), "%s",
	       perms_of(m));
	char *w = mmap(NULL, 4096, PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECKF("but not a PROT_WRITE one", !strcmp(perms_of(w), "-w-p"), "%s", perms_of(w));
	mprotect(w, 4096, PROT_READ | PROT_WRITE);
	CHECKF("mprotect adds it too", !strcmp(perms_of(w), "rwxp"), "%s", perms_of(w));
	pid_t pid = fork();
	if (pid == 0) {
		execl("/proc/self/exe", "personality", "check-rie", (char *)NULL);
		_exit(2);
	}
	int status = 0;
	waitpid(pid, &status, 0);
	CHECKF("execve of an x86_64 program drops it and keeps the rest",
	       WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x", status);
	personality(before);
	munmap(m, 4096);
	munmap(w, 4096);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "check") == 0)
		return personality(0xffffffff) == (PER_LINUX | ADDR_NO_RANDOMIZE) ? 0 : 1;
	if (argc > 1 && strcmp(argv[1], "check-rie") == 0)
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
	read_implies_exec();
	CHECK("the real release at first", !release_is_26());
	personality(PER_LINUX | UNAME26);
	CHECK("UNAME26 makes uname report 2.6", release_is_26());
	personality(PER_LINUX);
	CHECK("and back", !release_is_26());
	return check_done();
}
