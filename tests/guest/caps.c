/*
 * Capabilities (capabilities(7)): capget/capset and their subset rules,
 * the bounding set (PR_CAPBSET_READ/DROP), secure bits with their locks,
 * PR_SET_KEEPCAPS over setresuid, the uid-change fixups (all uids leaving 0
 * clear the permitted and effective sets, the effective uid leaving 0 and
 * coming back, setfsuid and the filesystem capabilities), the ambient set
 * and its survival over execve by a user, file capabilities from
 * security.capability giving a user's exec a permitted set, and root
 * refused what it lacks the capability for: open without CAP_DAC_OVERRIDE,
 * chown without CAP_CHOWN, kill of another user without CAP_KILL, a
 * seccomp filter without CAP_SYS_ADMIN or no_new_privs; /proc/self/status
 * shows the sets. Every group runs in a child, so the test itself keeps its
 * capabilities; "full" is the permitted set it starts with (natively, a
 * container's root may lack some). Files go in a fresh directory in /tmp.
 *
 * A second mode, `caps --expect PRM EFF AMB SECURE UID`, is the program
 * the test execs: it exits 0 if its sets (hex), AT_SECURE (-1: either) and
 * real uid are as given.
 */
#include "check.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <linux/securebits.h>
#include <signal.h>
#include <stdint.h>
#include <sys/auxv.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>

#define BIT(c) (1ULL << (c))
#define NR BIT(CAP_NET_RAW)

struct sets {
	uint64_t eff, prm, inh;
};

static uint64_t full;
static char dir[64];
static char self_path[128];

static int get_caps(pid_t pid, struct sets *s)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, pid };
	struct __user_cap_data_struct d[2];
	if (syscall(SYS_capget, &h, d) != 0)
		return -1;
	s->eff = d[0].effective | (uint64_t)d[1].effective << 32;
	s->prm = d[0].permitted | (uint64_t)d[1].permitted << 32;
	s->inh = d[0].inheritable | (uint64_t)d[1].inheritable << 32;
	return 0;
}

static struct sets caps(void)
{
	struct sets s = { 0, 0, 0 };
	get_caps(0, &s);
	return s;
}

static int set_caps_pid(pid_t pid, uint64_t eff, uint64_t prm, uint64_t inh)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, pid };
	struct __user_cap_data_struct d[2] = {
		{ (uint32_t)eff, (uint32_t)prm, (uint32_t)inh },
		{ (uint32_t)(eff >> 32), (uint32_t)(prm >> 32), (uint32_t)(inh >> 32) },
	};
	return (int)syscall(SYS_capset, &h, d);
}

static int set_caps(uint64_t eff, uint64_t prm, uint64_t inh)
{
	return set_caps_pid(0, eff, prm, inh);
}

/* Drops CAPS from the effective set only. */
static int drop_eff(uint64_t c)
{
	struct sets s = caps();
	return set_caps(s.eff & ~c, s.prm, s.inh);
}

/* Returns the value of /proc/self/status line KEY (hex), or ~0. */
static uint64_t status_hex(const char *key)
{
	static char buf[8192];
	int fd = open("/proc/self/status", O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = 0;
	char want[32];
	snprintf(want, sizeof want, "\n%s:\t", key);
	char *p = strstr(buf, want);
	return p ? strtoull(p + strlen(want), NULL, 16) : ~0ULL;
}

static int ambient_is_set(int cap)
{
	return prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, cap, 0, 0);
}

/* Runs FN in a child; the check passes if the child exits 0. */
static void in_child(const char *name, void (*fn)(void))
{
	pid_t pid = MUST(fork());
	if (pid == 0) {
		fn();
		_exit(0);
	}
	int st;
	MUST(waitpid(pid, &st, 0));
	CHECKF(name, WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %#x", st);
}

/* Runs the copy of this program at PATH as `--expect`; returns its status. */
static int exec_expect(const char *path, uint64_t prm, uint64_t eff, uint64_t amb,
		       int secure, int uid)
{
	char a[5][32];
	snprintf(a[0], 32, "%llx", (unsigned long long)prm);
	snprintf(a[1], 32, "%llx", (unsigned long long)eff);
	snprintf(a[2], 32, "%llx", (unsigned long long)amb);
	snprintf(a[3], 32, "%d", secure);
	snprintf(a[4], 32, "%d", uid);
	pid_t pid = fork();
	if (pid == 0) {
		char *argv[] = { "caps", "--expect", a[0], a[1], a[2], a[3], a[4], NULL };
		execve(path, argv, NULL);
		_exit(100 + errno);
	}
	int st;
	if (pid < 0 || waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 200;
}

static int expect_main(char **argv)
{
	struct sets s = caps();
	uint64_t amb = 0;
	for (int c = 0; c <= CAP_LAST_CAP; c++)
		if (ambient_is_set(c) == 1)
			amb |= BIT(c);
	uint64_t prm = strtoull(argv[2], NULL, 16), eff = strtoull(argv[3], NULL, 16);
	uint64_t want_amb = strtoull(argv[4], NULL, 16);
	int secure = atoi(argv[5]), uid = atoi(argv[6]);
	int ok = s.prm == prm && s.eff == eff && amb == want_amb && (int)getuid() == uid &&
		 (secure < 0 || getauxval(AT_SECURE) == (unsigned long)secure);
	if (!ok)
		check_printf("exec'd: prm %llx eff %llx amb %llx secure %lu uid %d\n",
			     (unsigned long long)s.prm, (unsigned long long)s.eff,
			     (unsigned long long)amb, getauxval(AT_SECURE), (int)getuid());
	return ok ? 0 : 3;
}

static void copy_self(const char *to)
{
	int in = MUST(open("/proc/self/exe", O_RDONLY));
	int out = MUST(open(to, O_WRONLY | O_CREAT | O_TRUNC, 0755));
	static char b[65536];
	ssize_t n;
	while ((n = read(in, b, sizeof b)) > 0)
		MUST(write(out, b, (size_t)n));
	close(in);
	close(out);
}

static void become_user(uid_t uid)
{
	MUST(setresgid(uid, uid, uid));
	MUST(setresuid(uid, uid, uid));
}

static void test_initial(void)
{
	int fd = MUST(open("/proc/sys/kernel/cap_last_cap", O_RDONLY));
	char b[8] = { 0 };
	MUST(read(fd, b, sizeof b - 1));
	close(fd);
	CHECKF("cap_last_cap is 40", strcmp(b, "40\n") == 0, "%s", b);
	struct sets s;
	CHECK_SYS("capget", get_caps(0, &s));
	CHECKF("root: effective = permitted, no inheritable", s.eff == s.prm && s.inh == 0,
	       "eff %llx prm %llx inh %llx", (unsigned long long)s.eff,
	       (unsigned long long)s.prm, (unsigned long long)s.inh);
	CHECK("root has CAP_SETPCAP, CAP_SYS_ADMIN and CAP_KILL",
	      (s.prm & (BIT(CAP_SETPCAP) | BIT(CAP_SYS_ADMIN) | BIT(CAP_KILL))) ==
		      (BIT(CAP_SETPCAP) | BIT(CAP_SYS_ADMIN) | BIT(CAP_KILL)));
	CHECK("nothing past cap_last_cap", (s.prm >> (CAP_LAST_CAP + 1)) == 0);
	uint64_t bset = 0;
	for (int c = 0; c <= CAP_LAST_CAP; c++)
		if (prctl(PR_CAPBSET_READ, c) == 1)
			bset |= BIT(c);
	CHECK("PR_CAPBSET_READ matches CapBnd", bset == status_hex("CapBnd"));
	CHECK_ERRNO("PR_CAPBSET_READ 41", prctl(PR_CAPBSET_READ, 41), EINVAL);
	CHECK("CapPrm and CapEff lines", status_hex("CapPrm") == s.prm &&
					       status_hex("CapEff") == s.eff &&
					       status_hex("CapInh") == 0 &&
					       status_hex("CapAmb") == 0);
	struct sets p;
	CHECK_SYS("capget of the parent", get_caps(getppid(), &p));
	CHECK_ERRNO("capget of nobody", get_caps(999999, &p), ESRCH);
	CHECK_ERRNO("capget of pid -1", get_caps(-1, &p), EINVAL);
	struct __user_cap_header_struct h = { 0x12345678, 0 };
	CHECK_SYS("capget probe with an unknown version", syscall(SYS_capget, &h, NULL));
	CHECK("the current version is written back", h.version == _LINUX_CAPABILITY_VERSION_3);
	struct __user_cap_data_struct d[2];
	h.version = 0x12345678;
	CHECK_ERRNO("unknown version with data", syscall(SYS_capget, &h, d), EINVAL);
}

static void test_capset(void)
{
	CHECK_SYS("drop CAP_NET_RAW from effective", set_caps(full & ~NR, full, 0));
	CHECK("capget shows it", caps().eff == (full & ~NR) && caps().prm == full);
	CHECK("CapEff line shows it", status_hex("CapEff") == (full & ~NR));
	CHECK_SYS("raise it again from permitted", set_caps(full, full, 0));
	CHECK_SYS("drop it from permitted", set_caps(full & ~NR, full & ~NR, 0));
	CHECK_ERRNO("effective beyond permitted", set_caps(full, full & ~NR, 0), EPERM);
	CHECK_ERRNO("permitted regained", set_caps(full & ~NR, full, 0), EPERM);
	CHECK_SYS("CAP_SETPCAP: inheritable beyond permitted",
		  set_caps(full & ~NR, full & ~NR, NR));
	uint64_t p = full & ~NR & ~BIT(CAP_MKNOD);
	CHECK_SYS("drop CAP_SETPCAP and CAP_MKNOD", set_caps(p & ~BIT(CAP_SETPCAP), p, NR));
	CHECK_ERRNO("no CAP_SETPCAP: inheritable only from permitted",
		    set_caps(p & ~BIT(CAP_SETPCAP), p, NR | BIT(CAP_MKNOD)), EPERM);
	CHECK_SYS("inheritable from permitted",
		  set_caps(p & ~BIT(CAP_SETPCAP), p, NR | BIT(CAP_KILL)));
	CHECK("inheritable kept", caps().inh == (NR | BIT(CAP_KILL)));
	CHECK_ERRNO("capset of another process", set_caps_pid(getppid(), 0, 0, 0), EPERM);
	CHECK_SYS("drop everything", set_caps(0, 0, 0));
	CHECK("nothing left", caps().prm == 0 && caps().eff == 0 && caps().inh == 0);
}

static void test_bounding(void)
{
	CHECK_SYS("PR_CAPBSET_DROP CAP_NET_RAW", prctl(PR_CAPBSET_DROP, CAP_NET_RAW));
	CHECK("PR_CAPBSET_READ says 0", prctl(PR_CAPBSET_READ, CAP_NET_RAW) == 0);
	CHECK("CapBnd lacks it", (status_hex("CapBnd") & NR) == 0);
	CHECK("the permitted set keeps it", caps().prm & NR);
	CHECK_ERRNO("PR_CAPBSET_DROP 41", prctl(PR_CAPBSET_DROP, 41), EINVAL);
	CHECK_SYS("drop it from permitted", set_caps(full & ~NR, full & ~NR, 0));
	CHECK_ERRNO("inheritable outside bounding and inheritable",
		    set_caps(full & ~NR, full & ~NR, NR), EPERM);
	CHECK_SYS("drop CAP_SETPCAP from effective", drop_eff(BIT(CAP_SETPCAP)));
	CHECK_ERRNO("PR_CAPBSET_DROP without CAP_SETPCAP", prctl(PR_CAPBSET_DROP, CAP_KILL),
		    EPERM);
}

static void test_securebits(void)
{
	CHECK("no secure bits", prctl(PR_GET_SECUREBITS) == 0);
	CHECK("PR_GET_KEEPCAPS 0", prctl(PR_GET_KEEPCAPS) == 0);
	CHECK_ERRNO("PR_SET_KEEPCAPS 2", prctl(PR_SET_KEEPCAPS, 2), EINVAL);
	CHECK_SYS("PR_SET_KEEPCAPS 1", prctl(PR_SET_KEEPCAPS, 1));
	CHECK("PR_GET_KEEPCAPS 1", prctl(PR_GET_KEEPCAPS) == 1);
	CHECK("it is SECBIT_KEEP_CAPS", prctl(PR_GET_SECUREBITS) == SECBIT_KEEP_CAPS);
	CHECK_ERRNO("an unknown bit", prctl(PR_SET_SECUREBITS, 1 << 20), EPERM);
	int locked = SECBIT_KEEP_CAPS | SECBIT_KEEP_CAPS_LOCKED;
	CHECK_SYS("lock KEEP_CAPS on", prctl(PR_SET_SECUREBITS, locked));
	CHECK_ERRNO("PR_SET_KEEPCAPS while locked", prctl(PR_SET_KEEPCAPS, 0), EPERM);
	CHECK_ERRNO("clear a locked flag", prctl(PR_SET_SECUREBITS, SECBIT_KEEP_CAPS_LOCKED),
		    EPERM);
	CHECK_ERRNO("clear a lock", prctl(PR_SET_SECUREBITS, SECBIT_KEEP_CAPS), EPERM);
	CHECK_SYS("add NOROOT", prctl(PR_SET_SECUREBITS, locked | SECBIT_NOROOT));
	CHECK("both read back", prctl(PR_GET_SECUREBITS) == (locked | SECBIT_NOROOT));
	CHECK_SYS("drop CAP_SETPCAP", drop_eff(BIT(CAP_SETPCAP)));
	CHECK_ERRNO("PR_SET_SECUREBITS without CAP_SETPCAP",
		    prctl(PR_SET_SECUREBITS, locked | SECBIT_NOROOT | SECBIT_NO_SETUID_FIXUP),
		    EPERM);
}

static void test_setuid_clears(void)
{
	MUST(set_caps(full, full, NR));
	MUST(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_RAW, 0, 0));
	CHECK_SYS("setresuid 1000", setresuid(1000, 1000, 1000));
	struct sets s = caps();
	CHECK("permitted and effective cleared", s.prm == 0 && s.eff == 0);
	CHECK("inheritable kept", s.inh == NR);
	CHECK("ambient cleared", ambient_is_set(CAP_NET_RAW) == 0);
	CHECK_ERRNO("no way back", setresuid(0, 0, 0), EPERM);
	CHECK_ERRNO("nor capabilities", set_caps(NR, NR, 0), EPERM);
}

static void test_keepcaps(void)
{
	MUST(set_caps(full, full, NR));
	MUST(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_RAW, 0, 0));
	CHECK_SYS("PR_SET_KEEPCAPS", prctl(PR_SET_KEEPCAPS, 1));
	CHECK_SYS("setresuid 1000", setresuid(1000, 1000, 1000));
	struct sets s = caps();
	CHECK("permitted kept, effective cleared", s.prm == full && s.eff == 0);
	CHECK("ambient cleared even so", ambient_is_set(CAP_NET_RAW) == 0);
	CHECK("keepcaps survives setresuid", prctl(PR_GET_KEEPCAPS) == 1);
	CHECK_ERRNO("setresuid needs CAP_SETUID effective", setresuid(0, 0, 0), EPERM);
	CHECK_SYS("capset makes permitted effective", set_caps(full, full, 0));
	CHECK_SYS("then setresuid 0 works", setresuid(0, 0, 0));
	CHECK("effective = permitted at euid 0", caps().eff == full);
}

static void test_euid(void)
{
	CHECK_SYS("euid 1000, saved 0", setresuid(-1, 1000, -1));
	struct sets s = caps();
	CHECK("effective cleared, permitted kept", s.eff == 0 && s.prm == full);
	CHECK_ERRNO("a user cannot chroot", chroot("/"), EPERM);
	CHECK_SYS("euid back to 0", setresuid(-1, 0, -1));
	CHECK("effective restored from permitted", caps().eff == full);
	CHECK_SYS("setfsuid 1000", setfsuid(1000));
	s = caps();
	CHECK("filesystem capabilities dropped",
	      !(s.eff & (BIT(CAP_CHOWN) | BIT(CAP_DAC_OVERRIDE) | BIT(CAP_FOWNER) |
			 BIT(CAP_MKNOD))));
	CHECK("others kept", (s.eff & (BIT(CAP_KILL) | BIT(CAP_SYS_ADMIN))) ==
				     (BIT(CAP_KILL) | BIT(CAP_SYS_ADMIN)));
	setfsuid(0);
	CHECK("setfsuid 0 raises them again", caps().eff == full);
	CHECK_SYS("SECBIT_NO_SETUID_FIXUP", prctl(PR_SET_SECUREBITS, SECBIT_NO_SETUID_FIXUP));
	CHECK_SYS("setresuid 1000", setresuid(1000, 1000, 1000));
	CHECK("no fixup: everything kept", caps().eff == full && caps().prm == full);
}

static void test_ambient(void)
{
	CHECK("not set", ambient_is_set(CAP_NET_RAW) == 0);
	CHECK_ERRNO("raise without inheritable",
		    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_RAW, 0, 0), EPERM);
	MUST(set_caps(full, full, NR | BIT(CAP_KILL)));
	CHECK_SYS("raise", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_RAW, 0, 0));
	CHECK("is set", ambient_is_set(CAP_NET_RAW) == 1);
	CHECK("CapAmb line", status_hex("CapAmb") == NR);
	CHECK_ERRNO("raise 41", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, 41, 0, 0), EINVAL);
	CHECK_ERRNO("unused argument", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, 1, 1, 0),
		    EINVAL);
	CHECK_ERRNO("unknown operation", prctl(PR_CAP_AMBIENT, 9, CAP_NET_RAW, 0, 0), EINVAL);
	CHECK_SYS("lower", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_LOWER, CAP_NET_RAW, 0, 0));
	CHECK("lowered", ambient_is_set(CAP_NET_RAW) == 0);
	MUST(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_RAW, 0, 0));
	MUST(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_KILL, 0, 0));
	CHECK_SYS("dropping inheritable lowers ambient", set_caps(full, full, NR));
	CHECK("CAP_KILL left the ambient set", ambient_is_set(CAP_KILL) == 0 &&
						       ambient_is_set(CAP_NET_RAW) == 1);
	CHECK_ERRNO("clear all with an argument",
		    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 1, 0, 0), EINVAL);
	CHECK_SYS("clear all", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0));
	CHECK("cleared", ambient_is_set(CAP_NET_RAW) == 0);
	MUST(prctl(PR_SET_SECUREBITS, SECBIT_NO_CAP_AMBIENT_RAISE));
	CHECK_ERRNO("SECBIT_NO_CAP_AMBIENT_RAISE",
		    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_RAW, 0, 0), EPERM);
}

static void test_ambient_exec(void)
{
	MUST(set_caps(full, full, NR));
	MUST(prctl(PR_SET_KEEPCAPS, 1));
	become_user(1000);
	CHECK_SYS("a user raises an ambient capability",
		  prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_RAW, 0, 0));
	int st = exec_expect(self_path, NR, NR, NR, 0, 1000);
	CHECKF("kept over exec: permitted and effective, not secure", st == 0, "status %d", st);
	MUST(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0));
	st = exec_expect(self_path, 0, 0, 0, 0, 1000);
	CHECKF("without it, nothing", st == 0, "status %d", st);
}

static void test_root_exec(void)
{
	MUST(set_caps(full & ~NR, full & ~NR, 0));
	int st = exec_expect(self_path, full, full, 0, 0, 0);
	CHECKF("root's exec gets the bounding set back", st == 0, "status %d", st);
	MUST(prctl(PR_CAPBSET_DROP, CAP_NET_RAW));
	st = exec_expect(self_path, full & ~NR, full & ~NR, 0, 0, 0);
	CHECKF("but not past it", st == 0, "status %d", st);
	MUST(prctl(PR_SET_SECUREBITS, SECBIT_NOROOT));
	st = exec_expect(self_path, 0, 0, 0, -1, 0);
	CHECKF("SECBIT_NOROOT: root gets nothing", st == 0, "status %d", st);
}

static char file1000[96];

static void test_dac(void)
{
	CHECK_SYS("drop CAP_DAC_OVERRIDE", drop_eff(BIT(CAP_DAC_OVERRIDE)));
	CHECK_ERRNO("cannot write a 0600 file of uid 1000", open(file1000, O_WRONLY), EACCES);
	int fd = open(file1000, O_RDONLY);
	CHECK("CAP_DAC_READ_SEARCH still reads it", fd >= 0);
	close(fd);
	CHECK_SYS("drop CAP_DAC_READ_SEARCH", drop_eff(BIT(CAP_DAC_READ_SEARCH)));
	CHECK_ERRNO("cannot open it", open(file1000, O_RDONLY), EACCES);
	CHECK_SYS("access(2) uses root's permitted set", access(file1000, R_OK | W_OK));
	CHECK_SYS("drop CAP_CHOWN", drop_eff(BIT(CAP_CHOWN)));
	CHECK_ERRNO("cannot chown", chown(file1000, 0, 0), EPERM);
	CHECK_SYS("drop CAP_FOWNER", drop_eff(BIT(CAP_FOWNER)));
	CHECK_ERRNO("cannot chmod another's file", chmod(file1000, 0644), EPERM);
	uint32_t v[5] = { 0x02000000u, 0, 0, 0, 0 };
	CHECK_SYS("drop CAP_SETFCAP", drop_eff(BIT(CAP_SETFCAP)));
	CHECK_ERRNO("cannot set security.capability",
		    setxattr(file1000, "security.capability", v, sizeof v, 0), EPERM);
}

static pid_t victim;

static void test_kill(void)
{
	CHECK_SYS("root kills another user's process (signal 0)", kill(victim, 0));
	CHECK_SYS("drop CAP_KILL", drop_eff(BIT(CAP_KILL)));
	CHECK_ERRNO("then cannot", kill(victim, 0), EPERM);
	CHECK_SYS("its own user's, still", kill(getppid(), 0));
}

static void test_seccomp(void)
{
	struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	struct sock_fprog prog = { 1, &allow };
	CHECK_SYS("drop CAP_SYS_ADMIN", drop_eff(BIT(CAP_SYS_ADMIN)));
	CHECK_ERRNO("a filter needs CAP_SYS_ADMIN or no_new_privs",
		    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog), EACCES);
	CHECK_ERRNO("sethostname needs CAP_SYS_ADMIN", sethostname("x", 1), EPERM);
}

/* A v2 security.capability value: permitted PRM, effective bit EFF. */
static void fcaps(const char *path, uint64_t prm, int eff)
{
	uint32_t v[5] = { 0x02000000u | (eff ? 1u : 0u), (uint32_t)prm, 0,
			  (uint32_t)(prm >> 32), 0 };
	MUST(setxattr(path, "security.capability", v, sizeof v, 0));
}

static char fcap_path[96], fcap_noeff_path[96];

static void test_file_caps(void)
{
	uint32_t v[5];
	CHECK("getxattr reads them back",
	      getxattr(fcap_path, "security.capability", v, sizeof v) == sizeof v &&
		      v[0] == 0x02000001u && v[1] == (uint32_t)NR);
	become_user(1000);
	CHECK("a user holds nothing", caps().prm == 0);
	int st = exec_expect(fcap_path, NR, NR, 0, 1, 1000);
	CHECKF("file capabilities: CAP_NET_RAW permitted and effective, AT_SECURE", st == 0,
	       "status %d", st);
	st = exec_expect(fcap_noeff_path, NR, 0, 0, 1, 1000);
	CHECKF("without the effective bit: permitted only", st == 0, "status %d", st);
	MUST(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
	st = exec_expect(fcap_path, 0, 0, 0, -1, 1000);
	CHECKF("no_new_privs: nothing gained", st == 0, "status %d", st);
}

/*
 * The victim of test_kill: becomes uid 1001, says so on FD, waits (and dies
 * with the test, should a check end it first).
 */
static void sleeper(int fd)
{
	become_user(1001);
	MUST(prctl(PR_SET_PDEATHSIG, SIGKILL));
	MUST(write(fd, "", 1));
	pause();
}

int main(int argc, char **argv)
{
	if (argc >= 7 && strcmp(argv[1], "--expect") == 0)
		return expect_main(argv);
	full = caps().prm;
	snprintf(dir, sizeof dir, "/tmp/caps.XXXXXX");
	MUST(mkdtemp(dir) ? 0 : -1);
	MUST(chmod(dir, 0755));
	snprintf(self_path, sizeof self_path, "%s/caps", dir);
	copy_self(self_path);
	snprintf(file1000, sizeof file1000, "%s/f1000", dir);
	MUST(close(MUST(open(file1000, O_WRONLY | O_CREAT, 0600))));
	MUST(chown(file1000, 1000, 1000));
	snprintf(fcap_path, sizeof fcap_path, "%s/fcap", dir);
	copy_self(fcap_path);
	fcaps(fcap_path, NR, 1);
	snprintf(fcap_noeff_path, sizeof fcap_noeff_path, "%s/fcap-noeff", dir);
	copy_self(fcap_noeff_path);
	fcaps(fcap_noeff_path, NR, 0);

	in_child("initial sets", test_initial);
	in_child("capset", test_capset);
	in_child("bounding set", test_bounding);
	in_child("secure bits", test_securebits);
	in_child("setresuid away from root", test_setuid_clears);
	in_child("keepcaps", test_keepcaps);
	in_child("effective and filesystem uid", test_euid);
	in_child("ambient set", test_ambient);
	in_child("ambient over exec", test_ambient_exec);
	in_child("root's exec", test_root_exec);
	in_child("root without DAC capabilities", test_dac);
	int ready[2];
	MUST(pipe(ready));
	victim = MUST(fork());
	if (victim == 0) {
		sleeper(ready[1]);
		_exit(0);
	}
	char c;
	MUST(read(ready[0], &c, 1));
	close(ready[0]);
	close(ready[1]);
	in_child("kill", test_kill);
	kill(victim, SIGKILL);
	waitpid(victim, NULL, 0);
	in_child("seccomp and hostname", test_seccomp);
	in_child("file capabilities", test_file_caps);
	CHECK("the test kept its capabilities", caps().eff == full && caps().prm == full);

	unlink(fcap_noeff_path);
	unlink(fcap_path);
	unlink(file1000);
	unlink(self_path);
	rmdir(dir);
	return check_done();
}
