/*
 * Checks permissions (DAC as path_resolution(7) and credentials(7) describe
 * it), file locks and extended attributes. Runs as root and forks children
 * that drop to uid 1000 or 1001 (setgroups + setresgid + setresuid) to check
 * what non-root callers meet: EACCES on search/read/write/exec, the sticky
 * bit, set-group-ID directories, chmod/chown/utimensat rules, set-user-ID
 * exec (with AT_SECURE), access() with real vs effective ids, O_NOATIME;
 * flock(2), fcntl record locks between processes (F_GETLK, merging and
 * splitting, release on any close, EDEADLK), OFD locks; xattrs on tmpfs.
 *
 * usage: perms [DIR]   (default /tmp; DIR must allow set-user-ID programs)
 * On the host: run as root, e.g. `./perms /var/tmp`.
 */
#include "check.h"

#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/auxv.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <linux/limits.h>
#include <grp.h>
#include <dirent.h>
#include <time.h>

#ifndef AT_EACCESS
#define AT_EACCESS 0x200
#endif

static char W[256]; /* the work directory */
static char buf_100[100];
static char path_buf[8][512];
static int path_next;

/* Returns W/NAME in one of a few rotating buffers. */
static const char *P(const char *name)
{
	char *b = path_buf[path_next++ % 8];
	snprintf(b, sizeof path_buf[0], "%s/%s", W, name);
	return b;
}

static void mkfile(const char *name, mode_t mode, uid_t uid, gid_t gid)
{
	int fd = MUST(open(P(name), O_WRONLY | O_CREAT | O_TRUNC, 0600));
	MUST(write(fd, "data\n", 5));
	close(fd);
	MUST(chown(P(name), uid, gid));
	MUST(chmod(P(name), mode));
}

static void mkdir_as(const char *name, mode_t mode, uid_t uid, gid_t gid)
{
	MUST(mkdir(P(name), 0700));
	MUST(chown(P(name), uid, gid));
	MUST(chmod(P(name), mode));
}

/* Becomes uid/gid with the supplementary groups given (0-terminated). */
static void become(uid_t ruid, uid_t euid, gid_t gid, const gid_t *groups)
{
	size_t n = 0;
	while (groups && groups[n])
		n++;
	if (setgroups(n, groups) != 0 || setresgid(gid, gid, gid) != 0 ||
	    setresuid(ruid, euid, euid) != 0)
		check_fail("become", errno, "cannot become %d/%d", (int)ruid, (int)euid);
}

/* Runs FN in a child as uid/gid (groups: 0-terminated list or NULL) and
 * checks that it passed. */
static void as_user(const char *name, uid_t uid, gid_t gid, const gid_t *groups,
		    void (*fn)(void))
{
	pid_t pid = MUST(fork());
	if (pid == 0) {
		become(uid, uid, gid, groups);
		fn();
		_exit(0);
	}
	int st;
	CHECKF(name, waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	       "child status %#x", st);
}

static int can_open(const char *name, int flags)
{
	int fd = open(P(name), flags);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

/* ---- search, read, write, exec ---- */

static void user_search(void)
{
	struct stat st;
	CHECK_ERRNO("stat below a 0700 dir", stat(P("priv/f"), &st), EACCES);
	CHECK_ERRNO("open below a 0700 dir", open(P("priv/f"), O_RDONLY), EACCES);
	CHECK_ERRNO("chdir into a 0700 dir", chdir(P("priv")), EACCES);
	CHECK_ERRNO("'..' of a 0700 dir", stat(P("priv/.."), &st), EACCES);
	CHECK_SYS("stat below a 0711 dir", stat(P("xonly/f"), &st));
	CHECK_ERRNO("list a 0711 dir", open(P("xonly"), O_RDONLY | O_DIRECTORY), EACCES);
	CHECK_SYS("O_PATH needs no read", can_open("xonly", O_PATH));
	CHECK_SYS("stat the 0700 dir itself", stat(P("priv"), &st));
}

static void user_rw(void)
{
	CHECK_ERRNO("read a 0640 root file", can_open("f640", O_RDONLY), EACCES);
	CHECK_ERRNO("write a 0644 root file", can_open("f644", O_WRONLY), EACCES);
	CHECK_SYS("read a 0644 root file", can_open("f644", O_RDONLY));
	CHECK_ERRNO("O_RDONLY|O_TRUNC needs write", can_open("f644", O_RDONLY | O_TRUNC), EACCES);
	CHECK_ERRNO("truncate needs write", truncate(P("f644"), 0), EACCES);
	CHECK_ERRNO("owner bits decide for the owner", can_open("own066", O_RDONLY), EACCES);
	CHECK_SYS("group bits for the group", can_open("grp040", O_RDONLY));
	CHECK_ERRNO("group bits: no write", can_open("grp040", O_RDWR), EACCES);
	CHECK_SYS("supplementary group", can_open("sup040", O_RDONLY));
	char *argv[] = { "x", NULL };
	CHECK_ERRNO("exec a 0700 root program", execve(P("prog700"), argv, NULL), EACCES);
	CHECK_ERRNO("exec a 0644 file", execve(P("f644"), argv, NULL), EACCES);
}

static void test_basic(void)
{
	mkdir_as("priv", 0700, 0, 0);
	mkfile("priv/f", 0644, 0, 0);
	mkdir_as("xonly", 0711, 0, 0);
	mkfile("xonly/f", 0644, 0, 0);
	mkfile("f640", 0640, 0, 0);
	mkfile("f644", 0644, 0, 0);
	mkfile("own066", 0066, 1000, 0);
	mkfile("grp040", 0040, 0, 1000);
	mkfile("sup040", 0040, 0, 2000);
	mkfile("prog700", 0700, 0, 0);
	gid_t groups[] = { 1000, 2000, 0 };
	as_user("search as uid 1000", 1000, 1000, groups, user_search);
	as_user("read/write/exec as uid 1000", 1000, 1000, groups, user_rw);
	char *argv[] = { "x", NULL };
	CHECK_ERRNO("root cannot exec without an x bit", execve(P("f644"), argv, NULL), EACCES);
	mkfile("f000", 0000, 1000, 1000);
	CHECK_SYS("root reads and writes a 0000 file", can_open("f000", O_RDWR));
}

/* ---- making and removing names ---- */

static void user_ro_dir(void)
{
	CHECK_ERRNO("create in a 0755 root dir", open(P("ro/new"), O_CREAT | O_WRONLY, 0644), EACCES);
	CHECK_ERRNO("mkdir in it", mkdir(P("ro/d"), 0755), EACCES);
	CHECK_ERRNO("mkfifo in it", mkfifo(P("ro/p"), 0644), EACCES);
	CHECK_ERRNO("symlink in it", symlink("x", P("ro/l")), EACCES);
	CHECK_ERRNO("unlink in it", unlink(P("ro/f")), EACCES);
	CHECK_ERRNO("rmdir in it", rmdir(P("ro/sub")), EACCES);
	CHECK_ERRNO("rename out of it", rename(P("ro/f"), P("pub/f")), EACCES);
	CHECK_ERRNO("mkdir of an existing name is EEXIST first", mkdir(P("ro/f"), 0755), EEXIST);
	CHECK_SYS("open an existing file O_CREAT", can_open("ro/f", O_CREAT | O_RDONLY));
	int fd = open(P("pub/mine"), O_CREAT | O_RDWR, 0);
	CHECK("create with mode 0 in a 0777 dir, open O_RDWR", fd >= 0);
	close(fd);
	struct stat st;
	CHECK("owned by the creator", stat(P("pub/mine"), &st) == 0 && st.st_uid == 1000 &&
					      st.st_gid == 1000);
	CHECK_ERRNO("reopening the mode-0 file", can_open("pub/mine", O_RDONLY), EACCES);
	CHECK_ERRNO("mknod of a device is root's", mknod(P("pub/null"), S_IFCHR | 0666, makedev(1, 3)),
		    EPERM);
	CHECK_SYS("mkfifo in a 0777 dir", mkfifo(P("pub/fifo"), 0644));
	CHECK_SYS("RENAME_WHITEOUT needs no CAP_MKNOD since Linux 5.8",
		  syscall(SYS_renameat2, AT_FDCWD, P("pub/fifo"), AT_FDCWD, P("pub/fifo2"), 4));
	CHECK_ERRNO("moving a root dir to another parent needs write on it",
		    rename(P("pub/rootdir"), P("pub2/rootdir")), EACCES);
	CHECK_SYS("renaming it in place does not", rename(P("pub/rootdir"), P("pub/rootdir2")));
}

static void user_sticky_a(void)
{
	CHECK_SYS("1000 creates in the sticky dir", can_open("sticky/a", O_CREAT | O_WRONLY));
	CHECK_SYS("1000 creates a second one", can_open("sticky/a2", O_CREAT | O_WRONLY));
	CHECK_SYS("1000 creates in 1001's sticky dir", can_open("sticky1001/a", O_CREAT | O_WRONLY));
}

static void user_sticky_b(void)
{
	CHECK_ERRNO("1001 cannot unlink 1000's file", unlink(P("sticky/a")), EPERM);
	CHECK_ERRNO("nor rename it", rename(P("sticky/a"), P("sticky/b")), EPERM);
	CHECK_SYS("1001 creates its own", can_open("sticky/b", O_CREAT | O_WRONLY));
	CHECK_ERRNO("nor rename over it", rename(P("sticky/b"), P("sticky/a")), EPERM);
	CHECK_SYS("1001 removes its own", unlink(P("sticky/b")));
	CHECK_SYS("the directory's owner removes 1000's file", unlink(P("sticky1001/a")));
}

static void user_sticky_c(void)
{
	CHECK_SYS("1000 unlinks its own file", unlink(P("sticky/a")));
}

static void test_names(void)
{
	mkdir_as("ro", 0755, 0, 0);
	mkfile("ro/f", 0666, 1000, 1000);
	mkdir_as("ro/sub", 0777, 1000, 1000);
	mkdir_as("pub", 0777, 0, 0);
	mkdir_as("pub2", 0777, 0, 0);
	mkdir_as("pub/rootdir", 0755, 0, 0);
	as_user("names as uid 1000", 1000, 1000, NULL, user_ro_dir);
	mkdir_as("sticky", 01777, 0, 0);
	mkdir_as("sticky1001", 01777, 1001, 1001);
	as_user("sticky: 1000 creates", 1000, 1000, NULL, user_sticky_a);
	as_user("sticky: 1001 meets EPERM", 1001, 1001, NULL, user_sticky_b);
	as_user("sticky: 1000 removes its own", 1000, 1000, NULL, user_sticky_c);
	CHECK_SYS("root removes anyone's", unlink(P("sticky/a2")));
}

/* ---- set-group-ID directories ---- */

static void user_setgid(void)
{
	struct stat st;
	umask(0);
	CHECK_SYS("create in a setgid dir", can_open("sg/f", O_CREAT | O_WRONLY));
	CHECK("the file gets the dir's group", stat(P("sg/f"), &st) == 0 && st.st_gid == 3000 &&
						     st.st_uid == 1000);
	CHECK_SYS("mkdir in it", mkdir(P("sg/d"), 0755));
	CHECK("the dir gets the group and the setgid bit",
	      stat(P("sg/d"), &st) == 0 && st.st_gid == 3000 && (st.st_mode & S_ISGID));
	int fd = open(P("sg/x"), O_CREAT | O_WRONLY, 02755);
	CHECK("a setgid file of a non-member loses the bit",
	      fd >= 0 && fstat(fd, &st) == 0 && (st.st_mode & 07777) == 0755);
	close(fd);
	CHECK_SYS("create outside it", can_open("pub/g", O_CREAT | O_WRONLY));
	CHECK("outside, the creator's group", stat(P("pub/g"), &st) == 0 && st.st_gid == 1000);
}

static void test_setgid_dir(void)
{
	mkdir_as("sg", 02777, 0, 3000);
	as_user("setgid dir as uid 1000", 1000, 1000, NULL, user_setgid);
	struct stat st;
	CHECK_SYS("root creates there too", mkdir(P("sg/r"), 0755));
	CHECK("root's dir gets the group", stat(P("sg/r"), &st) == 0 && st.st_gid == 3000 &&
						  st.st_uid == 0 && (st.st_mode & S_ISGID));
}

/* ---- chmod, chown, utimensat, clearing set-id bits ---- */

static void user_attrs(void)
{
	struct stat st;
	CHECK_SYS("chmod of one's own file", chmod(P("a/mine"), 0600));
	CHECK_ERRNO("chmod of root's file", chmod(P("a/roots"), 0777), EPERM);
	CHECK_ERRNO("chown of one's file to another", chown(P("a/mine"), 1001, -1), EPERM);
	CHECK_SYS("chown to oneself is no change", chown(P("a/mine"), 1000, -1));
	CHECK_SYS("chgrp to a supplementary group", chown(P("a/mine"), -1, 2000));
	CHECK("the group changed", stat(P("a/mine"), &st) == 0 && st.st_gid == 2000);
	CHECK_ERRNO("chgrp to a foreign group", chown(P("a/mine"), -1, 4000), EPERM);
	CHECK_ERRNO("chgrp of root's file", chown(P("a/roots"), -1, 1000), EPERM);
	CHECK_SYS("chmod g+s of a file in a foreign group", chmod(P("a/foreign"), 02755));
	CHECK("the setgid bit silently went", stat(P("a/foreign"), &st) == 0 &&
						      (st.st_mode & 07777) == 0755);
	CHECK_SYS("chmod g+s in one's group", chmod(P("a/mine"), 02755));
	CHECK("it stays", stat(P("a/mine"), &st) == 0 && (st.st_mode & 07777) == 02755);
	int fd = MUST(open(P("a/suid"), O_WRONLY));
	CHECK_SYS("write to one's setuid file", write(fd, "x", 1));
	close(fd);
	CHECK("the write cleared setuid and setgid",
	      stat(P("a/suid"), &st) == 0 && (st.st_mode & 07777) == 0755);
	CHECK_SYS("O_TRUNC of root's writable setuid file", can_open("a/suid666", O_WRONLY | O_TRUNC));
	CHECK("the truncation cleared setuid", stat(P("a/suid666"), &st) == 0 &&
						       (st.st_mode & 07777) == 0666);
	struct timespec ts[2] = { { 1000, 0 }, { 2000, 0 } };
	CHECK_SYS("touch a writable root file", utimensat(AT_FDCWD, P("a/w666"), NULL, 0));
	struct timespec now[2] = { { 0, UTIME_NOW }, { 0, UTIME_NOW } };
	CHECK_SYS("UTIME_NOW twice is a touch", utimensat(AT_FDCWD, P("a/w666"), now, 0));
	CHECK_ERRNO("explicit times need ownership", utimensat(AT_FDCWD, P("a/w666"), ts, 0), EPERM);
	struct timespec half[2] = { { 0, UTIME_NOW }, { 0, UTIME_OMIT } };
	CHECK_ERRNO("UTIME_NOW with UTIME_OMIT too", utimensat(AT_FDCWD, P("a/w666"), half, 0),
		    EPERM);
	CHECK_ERRNO("touch needs write", utimensat(AT_FDCWD, P("a/roots"), NULL, 0), EACCES);
	CHECK_SYS("explicit times on one's file", utimensat(AT_FDCWD, P("a/mine"), ts, 0));
	CHECK_ERRNO("O_NOATIME on another's file", can_open("a/roots", O_RDONLY | O_NOATIME), EPERM);
	CHECK_SYS("O_NOATIME on one's own", can_open("a/mine", O_RDONLY | O_NOATIME));
	fd = MUST(open(P("a/roots"), O_RDONLY));
	CHECK_ERRNO("F_SETFL O_NOATIME on another's file", fcntl(fd, F_SETFL, O_NOATIME), EPERM);
	close(fd);
}

static void test_attrs(void)
{
	mkdir_as("a", 0777, 0, 0);
	mkfile("a/mine", 0644, 1000, 1000);
	mkfile("a/roots", 0644, 0, 0);
	mkfile("a/foreign", 0755, 1000, 4000);
	mkfile("a/suid", 06755, 1000, 1000);
	mkfile("a/w666", 0666, 0, 0);
	mkfile("a/suid666", 04666, 0, 0);
	gid_t groups[] = { 2000, 0 };
	as_user("attributes as uid 1000", 1000, 1000, groups, user_attrs);
	struct stat st;
	mkfile("a/rs", 06755, 0, 0);
	int fd = MUST(open(P("a/rs"), O_WRONLY));
	CHECK_SYS("root writes a setuid file", write(fd, "x", 1));
	close(fd);
	CHECK("root's write keeps the bits", stat(P("a/rs"), &st) == 0 &&
						    (st.st_mode & 07777) == 06755);
	CHECK_SYS("root chowns it", chown(P("a/rs"), 1000, -1));
	CHECK("chown cleared setuid and group-exec setgid",
	      stat(P("a/rs"), &st) == 0 && (st.st_mode & 07777) == 0755 && st.st_uid == 1000);
}

/* ---- set-user-ID exec and access() ---- */

/* The program as run by test_exec: exits 0 if its ids are as argv say. */
static int ids_main(char **argv)
{
	uid_t r = (uid_t)atoi(argv[2]), e = (uid_t)atoi(argv[3]);
	gid_t eg = (gid_t)atoi(argv[4]);
	unsigned long secure = getauxval(AT_SECURE);
	uid_t ru, eu, su;
	gid_t rg, egid, sg;
	getresuid(&ru, &eu, &su);
	getresgid(&rg, &egid, &sg);
	if (ru != r || eu != e || su != e || egid != eg || sg != eg)
		return 1;
	return secure == (unsigned long)(r != e || rg != eg) ? 0 : 2;
}

static void copy_self(const char *name)
{
	int in = MUST(open("/proc/self/exe", O_RDONLY));
	int out = MUST(open(P(name), O_WRONLY | O_CREAT | O_TRUNC, 0755));
	static char b[65536];
	ssize_t n;
	while ((n = read(in, b, sizeof b)) > 0)
		MUST(write(out, b, (size_t)n));
	close(in);
	close(out);
}

static int run_ids(const char *name, uid_t uid, const char *r, const char *e, const char *eg)
{
	pid_t pid = MUST(fork());
	if (pid == 0) {
		become(uid, uid, uid, NULL);
		char *argv[] = { "perms", "--ids", (char *)r, (char *)e, (char *)eg, NULL };
		execve(P(name), argv, NULL);
		_exit(100 + errno);
	}
	int st;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void user_access(void)
{
	CHECK_ERRNO("access uses the real uid", access(P("x/own1000"), R_OK), EACCES);
	CHECK_SYS("AT_EACCESS uses the effective one",
		  faccessat(AT_FDCWD, P("x/own1000"), R_OK, AT_EACCESS));
	CHECK_ERRNO("the walk uses the real uid too", access(P("x/d1000/f"), F_OK), EACCES);
	CHECK_SYS("AT_EACCESS walk", faccessat(AT_FDCWD, P("x/d1000/f"), F_OK, AT_EACCESS));
	CHECK_SYS("and open uses the effective one", can_open("x/own1000", O_RDONLY));
}

static void test_exec(void)
{
	mkdir_as("x", 0755, 0, 0);
	copy_self("x/suid");
	MUST(chown(P("x/suid"), 1000, 3000));
	MUST(chmod(P("x/suid"), 04755));
	CHECKF("setuid exec: euid and saved uid 1000, AT_SECURE",
	       run_ids("x/suid", 1001, "1001", "1000", "1001") == 0, "see status");
	MUST(chmod(P("x/suid"), 02755));
	CHECKF("setgid exec: egid 3000", run_ids("x/suid", 1001, "1001", "1001", "3000") == 0,
	       "see status");
	MUST(chmod(P("x/suid"), 0755));
	CHECKF("plain exec: no AT_SECURE", run_ids("x/suid", 1001, "1001", "1001", "1001") == 0,
	       "see status");
	MUST(chmod(P("x/suid"), 04754));
	CHECKF("setuid without x for others: EACCES",
	       run_ids("x/suid", 1001, "1001", "1000", "1001") == 100 + EACCES, "see status");
	CHECK_ERRNO("root: access X_OK on a 0644 file", access(P("f644"), X_OK), EACCES);
	CHECK_SYS("root: access R_OK|W_OK on a 0000 file", access(P("f000"), R_OK | W_OK));
	mkfile("x/own1000", 0600, 1000, 1000);
	mkdir_as("x/d1000", 0700, 1000, 1000);
	mkfile("x/d1000/f", 0600, 1000, 1000);
	pid_t pid = MUST(fork());
	if (pid == 0) {
		MUST(setgroups(0, NULL));
		MUST(setresgid(1001, 1000, 1000));
		MUST(setresuid(1001, 1000, 1000));
		user_access();
		_exit(0);
	}
	int st;
	CHECK("access as real 1001, effective 1000",
	      waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* ---- file locks ---- */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* Runs FN in a forked child and checks that it passed. */
static void in_child(const char *name, void (*fn)(void))
{
	as_user(name, 0, 0, NULL, fn);
}

/* Returns, in a child, what flock(W/lockf, OP | LOCK_NB) gives: 0 locked,
 * 1 EWOULDBLOCK, 2 anything else. */
static int try_flock(int op)
{
	pid_t pid = MUST(fork());
	if (pid == 0) {
		int fd = open(P("lockf"), O_RDONLY);
		if (flock(fd, op | LOCK_NB) == 0)
			_exit(0);
		_exit(errno == EWOULDBLOCK ? 1 : 2);
	}
	int st;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int sync_pipe[2];

static int held_fd; /* the parent's locked file, which a child must close */

static void child_waits_for_flock(void)
{
	close(held_fd);
	int fd = MUST(open(P("lockf"), O_RDONLY));
	CHECK_ERRNO("LOCK_EX|LOCK_NB on a held lock", flock(fd, LOCK_EX | LOCK_NB), EWOULDBLOCK);
	CHECK_ERRNO("LOCK_SH|LOCK_NB too", flock(fd, LOCK_SH | LOCK_NB), EWOULDBLOCK);
	MUST(write(sync_pipe[1], "r", 1));
	double t0 = now_s();
	CHECK_SYS("a blocking LOCK_EX waits", flock(fd, LOCK_EX));
	CHECKF("until the holder closed", now_s() - t0 > 0.1, "waited %.3f s", now_s() - t0);
}

static void child_interrupted_flock(void)
{
	int fd = MUST(open(P("lockf"), O_RDONLY));
	struct sigaction sa = { .sa_handler = on_alarm };
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = { .it_value = { 0, 100000 } };
	setitimer(ITIMER_REAL, &it, NULL);
	CHECK_ERRNO("a signal interrupts a blocked flock", flock(fd, LOCK_EX), EINTR);
}

static void test_flock(void)
{
	int fd = MUST(open(P("lockf"), O_RDWR | O_CREAT, 0644));
	CHECK_SYS("flock LOCK_EX", flock(fd, LOCK_EX));
	CHECK_SYS("again: a no-op", flock(fd, LOCK_EX));
	int fd2 = MUST(open(P("lockf"), O_RDONLY));
	CHECK_ERRNO("another open file of the same process conflicts", flock(fd2, LOCK_SH | LOCK_NB),
		    EWOULDBLOCK);
	close(fd2);
	MUST(link(P("lockf"), P("lockf.link")));
	fd2 = MUST(open(P("lockf.link"), O_RDONLY));
	CHECK_ERRNO("an open file by a hard link conflicts too", flock(fd2, LOCK_SH | LOCK_NB),
		    EWOULDBLOCK);
	close(fd2);
	MUST(unlink(P("lockf.link")));
	MUST(pipe(sync_pipe));
	held_fd = fd;
	pid_t pid = MUST(fork());
	if (pid == 0) {
		child_waits_for_flock();
		_exit(0);
	}
	char c;
	MUST(read(sync_pipe[0], &c, 1));
	usleep(200000);
	close(fd);
	int st;
	CHECK("the waiter got the lock when the last fd closed",
	      waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(sync_pipe[0]);
	close(sync_pipe[1]);

	fd = MUST(open(P("lockf"), O_RDWR));
	MUST(flock(fd, LOCK_EX));
	fd2 = MUST(dup(fd));
	close(fd);
	CHECK("a dup keeps the lock", try_flock(LOCK_SH) == 1);
	in_child("a blocked flock is interrupted", child_interrupted_flock);
	close(fd2);
	CHECK("the last close drops it", try_flock(LOCK_EX) == 0);

	fd = MUST(open(P("lockf"), O_RDWR));
	CHECK_SYS("LOCK_SH", flock(fd, LOCK_SH));
	CHECK("shared locks coexist", try_flock(LOCK_SH) == 0);
	CHECK("an exclusive one waits", try_flock(LOCK_EX) == 1);
	CHECK_SYS("convert to LOCK_EX", flock(fd, LOCK_EX));
	CHECK("now a shared one waits", try_flock(LOCK_SH) == 1);
	pid = MUST(fork());
	if (pid == 0)
		_exit(flock(fd, LOCK_UN) == 0 ? 0 : 1);
	waitpid(pid, &st, 0);
	CHECK("a child's LOCK_UN on the inherited file drops it", try_flock(LOCK_EX) == 0);
	CHECK_ERRNO("bad operation", flock(fd, LOCK_SH | LOCK_EX), EINVAL);
	close(fd);
}

static int setlk(int fd, int cmd, short type, off_t start, off_t len)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len };
	return fcntl(fd, cmd, &fl);
}

static struct flock getlk(int fd, int cmd, short type, off_t start, off_t len)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len };
	if (fcntl(fd, cmd, &fl) != 0)
		fl.l_type = -1;
	return fl;
}

static void child_sees_posix_lock(void)
{
	int fd = MUST(open(P("rec"), O_RDWR));
	struct flock fl = getlk(fd, F_GETLK, F_WRLCK, 5, 1);
	CHECKF("F_GETLK reports the holder", fl.l_type == F_WRLCK && fl.l_pid == getppid() &&
						    fl.l_start == 0 && fl.l_len == 10 &&
						    fl.l_whence == SEEK_SET,
	       "type %d pid %d start %ld len %ld", fl.l_type, fl.l_pid, (long)fl.l_start,
	       (long)fl.l_len);
	fl = getlk(fd, F_GETLK, F_RDLCK, 10, 5);
	CHECK("F_GETLK of a free range: F_UNLCK", fl.l_type == F_UNLCK && fl.l_start == 10);
	CHECK_ERRNO("F_SETLK on a held range", setlk(fd, F_SETLK, F_RDLCK, 5, 1), EAGAIN);
	CHECK_SYS("F_SETLK beside it", setlk(fd, F_SETLK, F_RDLCK, 10, 10));
}

static void child_sees_merged(void)
{
	int fd = MUST(open(P("rec"), O_RDWR));
	struct flock fl = getlk(fd, F_GETLK, F_RDLCK, 0, 0);
	CHECKF("adjacent locks merged", fl.l_type == F_WRLCK && fl.l_start == 0 && fl.l_len == 20,
	       "type %d start %ld len %ld", fl.l_type, (long)fl.l_start, (long)fl.l_len);
}

static void child_sees_split(void)
{
	int fd = MUST(open(P("rec"), O_RDWR));
	CHECK_SYS("the unlocked middle is free", setlk(fd, F_SETLK, F_WRLCK, 5, 10));
	CHECK_ERRNO("the head is not", setlk(fd, F_SETLK, F_WRLCK, 0, 5), EAGAIN);
	CHECK_ERRNO("nor the tail", setlk(fd, F_SETLK, F_WRLCK, 15, 5), EAGAIN);
	struct flock fl = getlk(fd, F_GETLK, F_WRLCK, 0, 0);
	CHECK("a read lock now", fl.l_type == F_RDLCK && fl.l_start == 0 && fl.l_len == 5);
}

static void child_locks_all(void)
{
	int fd = MUST(open(P("rec"), O_RDWR));
	CHECK_SYS("closing any fd dropped the parent's locks", setlk(fd, F_SETLK, F_WRLCK, 0, 0));
}

static void child_holds_then_exits(void)
{
	int fd = MUST(open(P("rec"), O_RDWR));
	MUST(setlk(fd, F_SETLK, F_WRLCK, 0, 1));
	MUST(write(sync_pipe[1], "r", 1));
	usleep(200000);
}

static void child_deadlocks(void)
{
	int fd = MUST(open(P("rec"), O_RDWR));
	MUST(setlk(fd, F_SETLK, F_WRLCK, 1, 1));
	MUST(write(sync_pipe[1], "r", 1));
	CHECK_SYS("the other side of the deadlock gets its lock", setlk(fd, F_SETLKW, F_WRLCK, 0, 1));
}

static void test_posix_locks(void)
{
	int fd = MUST(open(P("rec"), O_RDWR | O_CREAT, 0644));
	MUST(write(fd, buf_100, 100));
	CHECK_SYS("F_SETLK a write lock on 0..10", setlk(fd, F_SETLK, F_WRLCK, 0, 10));
	in_child("another process sees it", child_sees_posix_lock);
	CHECK_SYS("F_SETLK 10..20", setlk(fd, F_SETLK, F_WRLCK, 10, 10));
	in_child("merging", child_sees_merged);
	CHECK_SYS("unlock 5..15", setlk(fd, F_SETLK, F_UNLCK, 5, 10));
	CHECK_SYS("downgrade 0..5", setlk(fd, F_SETLK, F_RDLCK, 0, 5));
	in_child("splitting", child_sees_split);
	CHECK_ERRNO("F_GETLK of F_UNLCK", fcntl(fd, F_GETLK, &(struct flock){ .l_type = F_UNLCK }),
		    EINVAL);
	CHECK_ERRNO("negative start", setlk(fd, F_SETLK, F_WRLCK, -1, 1), EINVAL);
	CHECK_SYS("negative length locks before start", setlk(fd, F_SETLK, F_WRLCK, 50, -10));
	int ro = MUST(open(P("rec"), O_RDONLY));
	CHECK_ERRNO("a write lock needs a writable fd", setlk(ro, F_SETLK, F_WRLCK, 0, 1), EBADF);
	close(ro);
	in_child("closing another fd of the file", child_locks_all);

	MUST(pipe(sync_pipe));
	pid_t pid = MUST(fork());
	if (pid == 0) {
		child_holds_then_exits();
		_exit(0);
	}
	char c;
	MUST(read(sync_pipe[0], &c, 1));
	double t0 = now_s();
	CHECK_SYS("F_SETLKW waits for the holder's exit", setlk(fd, F_SETLKW, F_WRLCK, 0, 1));
	CHECKF("it waited", now_s() - t0 > 0.1, "waited %.3f s", now_s() - t0);
	int st;
	waitpid(pid, &st, 0);

	pid = MUST(fork());
	if (pid == 0) {
		child_deadlocks();
		_exit(0);
	}
	MUST(read(sync_pipe[0], &c, 1));
	usleep(200000);
	CHECK_ERRNO("EDEADLK instead of waiting for a waiter", setlk(fd, F_SETLKW, F_WRLCK, 1, 1),
		    EDEADLK);
	CHECK_SYS("unlock", setlk(fd, F_SETLK, F_UNLCK, 0, 1));
	CHECK("the child got it", waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
					  WEXITSTATUS(st) == 0);
	close(sync_pipe[0]);
	close(sync_pipe[1]);
	close(fd);
}

static void test_ofd_locks(void)
{
	int fd1 = MUST(open(P("ofd"), O_RDWR | O_CREAT, 0644));
	int fd2 = MUST(open(P("ofd"), O_RDWR));
	CHECK_SYS("F_OFD_SETLK", setlk(fd1, F_OFD_SETLK, F_WRLCK, 0, 10));
	CHECK_ERRNO("another open file conflicts", setlk(fd2, F_OFD_SETLK, F_RDLCK, 5, 1), EAGAIN);
	struct flock fl = getlk(fd2, F_OFD_GETLK, F_RDLCK, 0, 0);
	CHECK("F_OFD_GETLK: pid -1", fl.l_type == F_WRLCK && fl.l_pid == -1 && fl.l_len == 10);
	CHECK_ERRNO("l_pid must be 0",
		    fcntl(fd2, F_OFD_GETLK, &(struct flock){ .l_type = F_RDLCK, .l_pid = 1 }), EINVAL);
	CHECK_ERRNO("a POSIX lock of the same process conflicts",
		    setlk(fd2, F_SETLK, F_WRLCK, 0, 1), EAGAIN);
	int fd3 = MUST(dup(fd1));
	close(fd1);
	CHECK_ERRNO("a dup keeps it", setlk(fd2, F_OFD_SETLK, F_RDLCK, 5, 1), EAGAIN);
	int fd4 = MUST(open(P("ofd"), O_RDONLY));
	close(fd4);
	CHECK_ERRNO("closing another fd does not drop it", setlk(fd2, F_OFD_SETLK, F_RDLCK, 5, 1),
		    EAGAIN);
	close(fd3);
	CHECK_SYS("the last close does", setlk(fd2, F_OFD_SETLK, F_WRLCK, 0, 10));
	close(fd2);
}

static void test_locks(void)
{
	test_flock();
	test_posix_locks();
	test_ofd_locks();
}

/* ---- extended attributes ---- */

/* Returns whether NAME is in the listxattr LIST of N bytes. */
static int listed(const char *list, ssize_t n, const char *name)
{
	for (ssize_t i = 0; i < n; i += (ssize_t)strlen(list + i) + 1)
		if (strcmp(list + i, name) == 0)
			return 1;
	return 0;
}

static void user_xattrs(void)
{
	char b[64], list[256];
	CHECK_SYS("user.* on one's own file", setxattr(P("xa/mine"), "user.u", "v", 1, 0));
	CHECK_ERRNO("user.* of a file one cannot write", setxattr(P("xa/roots"), "user.u", "v", 1, 0),
		    EACCES);
	CHECK("user.* of a readable file", getxattr(P("xa/roots"), "user.r", b, sizeof b) == 2);
	CHECK_ERRNO("user.* of an unreadable file", getxattr(P("xa/secret"), "user.r", b, sizeof b),
		    EACCES);
	CHECK_ERRNO("trusted.* is root's to set", setxattr(P("xa/mine"), "trusted.t", "v", 1, 0),
		    EPERM);
	CHECK_ERRNO("and root's to see", getxattr(P("xa/roots"), "trusted.t", b, sizeof b), ENODATA);
	ssize_t n = listxattr(P("xa/roots"), list, sizeof list);
	CHECK("listxattr hides trusted.* from others",
	      n > 0 && listed(list, n, "user.r") && !listed(list, n, "trusted.t"));
	CHECK_ERRNO("security.* needs CAP_SYS_ADMIN", setxattr(P("xa/mine"), "security.s", "v", 1, 0),
		    EPERM);
	CHECK_ERRNO("user.* of another's sticky dir", setxattr(P("sticky"), "user.u", "v", 1, 0),
		    EPERM);
}

static void test_xattrs(void)
{
	char b[64], list[256];
	static char big[XATTR_SIZE_MAX + 1];
	mkdir_as("xa", 0755, 0, 0);
	const char *f = P("xa/f");
	mkfile("xa/f", 0644, 0, 0);
	CHECK_SYS("setxattr user.a", setxattr(f, "user.a", "hello", 5, 0));
	CHECK("size query", getxattr(f, "user.a", NULL, 0) == 5);
	CHECK_ERRNO("a small buffer", getxattr(f, "user.a", b, 2), ERANGE);
	CHECK("getxattr", getxattr(f, "user.a", b, sizeof b) == 5 && memcmp(b, "hello", 5) == 0);
	CHECK_ERRNO("XATTR_CREATE of an existing one", setxattr(f, "user.a", "x", 1, XATTR_CREATE),
		    EEXIST);
	CHECK_ERRNO("XATTR_REPLACE of a missing one", setxattr(f, "user.b", "x", 1, XATTR_REPLACE),
		    ENODATA);
	CHECK_SYS("XATTR_REPLACE", setxattr(f, "user.a", "", 0, XATTR_REPLACE));
	CHECK("an empty value", getxattr(f, "user.a", b, sizeof b) == 0);
	CHECK_ERRNO("bad flags", setxattr(f, "user.a", "x", 1, 4), EINVAL);
	CHECK_ERRNO("an unknown namespace", setxattr(f, "foo.bar", "x", 1, 0), EOPNOTSUPP);
	CHECK_ERRNO("a bare prefix", setxattr(f, "user.", "x", 1, 0), EINVAL);
	CHECK_ERRNO("an empty name", setxattr(f, "", "x", 1, 0), ERANGE);
	memset(big, 'n', 300);
	memcpy(big, "user.", 5);
	big[256] = 0;
	CHECK_ERRNO("a 256-byte name", setxattr(f, big, "x", 1, 0), ERANGE);
	big[256] = 'n';
	CHECK_ERRNO("a value over 64 KiB", setxattr(f, "user.big", big, sizeof big, 0), E2BIG);
	CHECK_SYS("trusted.* of 64 KiB", setxattr(f, "trusted.big", big, XATTR_SIZE_MAX, 0));
	CHECK("read back", getxattr(f, "trusted.big", big, sizeof big) == XATTR_SIZE_MAX);
	CHECK_SYS("security.* as root", setxattr(f, "security.s", "v", 1, 0));
	ssize_t n = listxattr(f, NULL, 0);
	CHECK("listxattr size", n == (ssize_t)sizeof "user.a" + (ssize_t)sizeof "trusted.big" +
					     (ssize_t)sizeof "security.s");
	CHECK_ERRNO("listxattr into a small buffer", listxattr(f, list, 4), ERANGE);
	n = listxattr(f, list, sizeof list);
	CHECK("listxattr names", listed(list, n, "user.a") && listed(list, n, "trusted.big") &&
					 listed(list, n, "security.s"));
	CHECK_SYS("removexattr", removexattr(f, "user.a"));
	CHECK_ERRNO("again", removexattr(f, "user.a"), ENODATA);
	CHECK_ERRNO("getxattr of a missing one", getxattr(f, "user.a", b, sizeof b), ENODATA);
	int fd = MUST(open(f, O_RDONLY));
	CHECK_SYS("fsetxattr", fsetxattr(fd, "user.fd", "1", 1, 0));
	CHECK("fgetxattr", fgetxattr(fd, "user.fd", b, sizeof b) == 1);
	CHECK("flistxattr", flistxattr(fd, list, sizeof list) > 0);
	CHECK_SYS("fremovexattr", fremovexattr(fd, "user.fd"));
	close(fd);
	MUST(symlink("f", P("xa/l")));
	CHECK_ERRNO("user.* of a symlink", lsetxattr(P("xa/l"), "user.a", "x", 1, 0), EPERM);
	CHECK_ERRNO("is never there", lgetxattr(P("xa/l"), "user.a", b, sizeof b), ENODATA);
	CHECK_SYS("trusted.* of a symlink", lsetxattr(P("xa/l"), "trusted.a", "x", 1, 0));
	CHECK_SYS("setxattr follows the link", setxattr(P("xa/l"), "user.via", "x", 1, 0));
	CHECK("to the file", getxattr(f, "user.via", b, sizeof b) == 1);
	MUST(mkfifo(P("xa/fifo"), 0666));
	CHECK_ERRNO("user.* of a FIFO", setxattr(P("xa/fifo"), "user.a", "x", 1, 0), EPERM);
	CHECK_SYS("user.* of a directory", setxattr(P("xa"), "user.d", "x", 1, 0));

	mkfile("xa/mine", 0644, 1000, 1000);
	mkfile("xa/roots", 0644, 0, 0);
	mkfile("xa/secret", 0600, 0, 0);
	MUST(setxattr(P("xa/roots"), "user.r", "rr", 2, 0));
	MUST(setxattr(P("xa/roots"), "trusted.t", "tt", 2, 0));
	MUST(setxattr(P("xa/secret"), "user.r", "rr", 2, 0));
	as_user("xattrs as uid 1000", 1000, 1000, NULL, user_xattrs);

	struct statvfs vfs;
	if (statvfs("/", &vfs) == 0 && (vfs.f_flag & ST_RDONLY)) {
		/* Booted on the read-only ext4 image. */
		CHECK_ERRNO("setxattr on a read-only mount", setxattr("/", "user.a", "x", 1, 0),
			    EROFS);
		CHECK_ERRNO("getxattr on ext4: ENODATA", getxattr("/", "user.a", b, sizeof b), ENODATA);
		CHECK("listxattr on ext4", listxattr("/", list, sizeof list) >= 0);
	}
}

int main(int argc, char **argv)
{
	if (argc >= 5 && strcmp(argv[1], "--ids") == 0)
		return ids_main(argv);
	const char *base = argc > 1 ? argv[1] : "/tmp";
	snprintf(W, sizeof W, "%s/perms.XXXXXX", base);
	if (!mkdtemp(W))
		check_fail("setup", errno, "mkdtemp in %s", base);
	MUST(chmod(W, 0755));
	umask(022);
	test_basic();
	test_names();
	test_setgid_dir();
	test_attrs();
	test_exec();
	test_locks();
	test_xattrs();
	return check_done();
}
