/*
 * NETLINK_KOBJECT_UEVENT sockets and sysfs uevent files, what udevd and
 * sd-device monitors use: socket types and errnos, bind and getsockname,
 * the kernel's "change" event after root writes to /sys/class/net/lo/uevent
 * (its fields, SEQNUM against /sys/kernel/uevent_seqnum, SCM_CREDENTIALS
 * of the kernel and port 0), synthetic UUIDs and arguments, EINVAL for a
 * bogus action, a multicast to group 2 reaching the other members with the
 * sender's credentials and port, socket filters dropping messages,
 * ENOBUFS after an overflow, and what a user may not do.
 *
 * The test first moves into a mount namespace of its own and mounts a
 * sysfs there, so that under `unshare -n` natively lo is the namespace's
 * own and its events stay in that namespace.
 */
#include "check.h"

#include <fcntl.h>
#include <linux/filter.h>
#include <linux/netlink.h>
#include <poll.h>
#include <sched.h>
#include <stdint.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>

#define GROUP_KERNEL 1
#define GROUP_UDEV 2

static int uevent_socket(int groups)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK,
			NETLINK_KOBJECT_UEVENT);
	if (fd < 0)
		return -1;
	struct sockaddr_nl a = { .nl_family = AF_NETLINK, .nl_groups = groups };
	if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0) {
		close(fd);
		return -1;
	}
	int on = 1;
	setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof on);
	return fd;
}

static uint32_t portid_of(int fd)
{
	struct sockaddr_nl a;
	socklen_t len = sizeof a;
	if (getsockname(fd, (struct sockaddr *)&a, &len) < 0)
		return 0;
	return a.nl_pid;
}

/* One message received: its bytes, sender address and credentials. */
struct msg {
	char data[4096];
	ssize_t len;
	struct sockaddr_nl from;
	struct ucred cred;
	int has_cred;
};

/* Receives one message within MS milliseconds; -1 with errno otherwise. */
static int recv_msg(int fd, struct msg *m, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	if (poll(&p, 1, ms) <= 0) {
		errno = EAGAIN;
		return -1;
	}
	char control[CMSG_SPACE(sizeof(struct ucred))];
	struct iovec iov = { m->data, sizeof m->data - 1 };
	struct msghdr h = {
		.msg_name = &m->from, .msg_namelen = sizeof m->from,
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control, .msg_controllen = sizeof control,
	};
	m->len = recvmsg(fd, &h, MSG_DONTWAIT);
	if (m->len < 0)
		return -1;
	m->data[m->len] = 0;
	m->has_cred = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&h); c; c = CMSG_NXTHDR(&h, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
			memcpy(&m->cred, CMSG_DATA(c), sizeof m->cred);
			m->has_cred = 1;
		}
	}
	return 0;
}

/* Returns the value of KEY in the uevent message M, or NULL. */
static const char *field(const struct msg *m, const char *key)
{
	size_t klen = strlen(key);
	for (const char *p = m->data; p < m->data + m->len; p += strlen(p) + 1) {
		if (strncmp(p, key, klen) == 0 && p[klen] == '=')
			return p + klen + 1;
	}
	return NULL;
}

static unsigned long long seqnum_now(void)
{
	char buf[64] = { 0 };
	int fd = open("/sys/kernel/uevent_seqnum", O_RDONLY);
	if (fd < 0 || read(fd, buf, sizeof buf - 1) < 0)
		return 0;
	close(fd);
	return strtoull(buf, NULL, 10);
}

static char devpath[256];
static const char *uevent_file = "/sys/class/net/lo/uevent";

static int write_uevent(const char *text)
{
	int fd = open(uevent_file, O_WRONLY);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, text, strlen(text));
	int e = errno;
	close(fd);
	errno = e;
	return n < 0 ? -1 : 0;
}

/* Waits for the kernel's event ACTION of lo on FD (other devices' events,
 * natively, are skipped). */
static int wait_lo_event(int fd, struct msg *m, const char *action)
{
	for (int i = 0; i < 100; i++) {
		if (recv_msg(fd, m, 2000) < 0)
			return -1;
		const char *a = field(m, "ACTION"), *d = field(m, "DEVPATH");
		if (a && d && strcmp(a, action) == 0 && strcmp(d, devpath) == 0)
			return 0;
	}
	errno = ETIMEDOUT;
	return -1;
}

/* Receives a group-2 message starting with "libudev" and TAG from FD. */
static int wait_tagged(int fd, struct msg *m, const char *tag, int ms)
{
	for (int i = 0; i < 100; i++) {
		if (recv_msg(fd, m, ms) < 0)
			return -1;
		if (m->len > 8 && strcmp(m->data + 8, tag) == 0)
			return 0;
	}
	errno = ETIMEDOUT;
	return -1;
}

static ssize_t send_group(int fd, int group, const char *tag)
{
	char buf[64] = "libudev";
	snprintf(buf + 8, sizeof buf - 8, "%s", tag);
	struct sockaddr_nl to = { .nl_family = AF_NETLINK, .nl_groups = 1u << (group - 1) };
	return sendto(fd, buf, 8 + strlen(tag) + 1, 0, (struct sockaddr *)&to, sizeof to);
}

static void private_sysfs(void)
{
	if (unshare(CLONE_NEWNS) < 0)
		return;
	mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
}

static void check_sockets(void)
{
	int fd;
	CHECK_SYS("raw socket", fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK,
					    NETLINK_KOBJECT_UEVENT));
	close(fd);
	CHECK_SYS("dgram socket", fd = socket(AF_NETLINK, SOCK_DGRAM, NETLINK_KOBJECT_UEVENT));
	struct sockaddr_nl a = { .nl_family = AF_NETLINK, .nl_groups = GROUP_KERNEL };
	CHECK_ERRNO("bind short address", bind(fd, (struct sockaddr *)&a, 4), EINVAL);
	struct sockaddr_nl bad = { .nl_family = AF_INET };
	CHECK_ERRNO("bind other family", bind(fd, (struct sockaddr *)&bad, sizeof bad), EINVAL);
	CHECK_SYS("bind group 1", bind(fd, (struct sockaddr *)&a, sizeof a));
	struct sockaddr_nl got;
	socklen_t len = sizeof got;
	CHECK_SYS("getsockname", getsockname(fd, (struct sockaddr *)&got, &len));
	CHECKF("autobound with group 1",
	       len == sizeof got && got.nl_family == AF_NETLINK && got.nl_pid != 0 &&
		       got.nl_groups == GROUP_KERNEL,
	       "len %u family %u pid %u groups %#x", len, got.nl_family, got.nl_pid,
	       got.nl_groups);
	int g = GROUP_UDEV;
	CHECK_SYS("add membership 2",
		  setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &g, sizeof g));
	len = sizeof got;
	getsockname(fd, (struct sockaddr *)&got, &len);
	CHECKF("groups 1 and 2", got.nl_groups == 3, "groups %#x", got.nl_groups);
	int size = 1 << 20;
	CHECK_SYS("SO_RCVBUFFORCE", setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size));
	int on = 1;
	CHECK_SYS("SO_PASSCRED", setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof on));
	close(fd);
	CHECK_ERRNO("stream socket", socket(AF_NETLINK, SOCK_STREAM, NETLINK_KOBJECT_UEVENT),
		    ESOCKTNOSUPPORT);
	CHECK_ERRNO("protocol past MAX_LINKS", socket(AF_NETLINK, SOCK_RAW, 32), EPROTONOSUPPORT);
}

static void check_kernel_events(void)
{
	char real[256];
	CHECK("lo in sysfs", realpath("/sys/class/net/lo", real) != NULL);
	snprintf(devpath, sizeof devpath, "%s", real + strlen("/sys"));
	char text[512] = { 0 };
	int fd = open(uevent_file, O_RDONLY);
	CHECK("read uevent", fd >= 0 && read(fd, text, sizeof text - 1) > 0);
	close(fd);
	CHECKF("uevent text", strstr(text, "INTERFACE=lo\n") && strstr(text, "IFINDEX="), "%s",
	       text);

	int s = uevent_socket(GROUP_KERNEL);
	CHECK("listener", s >= 0);
	unsigned long long before = seqnum_now();
	CHECK_SYS("write change", write_uevent("change\n"));
	struct msg m;
	CHECK_SYS("receive change", wait_lo_event(s, &m, "change"));
	unsigned long long after = seqnum_now();
	char head[300];
	snprintf(head, sizeof head, "change@%s", devpath);
	CHECKF("header", strcmp(m.data, head) == 0, "%s", m.data);
	CHECK("SUBSYSTEM=net", field(&m, "SUBSYSTEM") && strcmp(field(&m, "SUBSYSTEM"), "net") == 0);
	CHECK("INTERFACE=lo", field(&m, "INTERFACE") && strcmp(field(&m, "INTERFACE"), "lo") == 0);
	CHECK("IFINDEX", field(&m, "IFINDEX") != NULL);
	CHECK("SYNTH_UUID=0", field(&m, "SYNTH_UUID") && strcmp(field(&m, "SYNTH_UUID"), "0") == 0);
	const char *seq = field(&m, "SEQNUM");
	unsigned long long n = seq ? strtoull(seq, NULL, 10) : 0;
	CHECKF("SEQNUM against uevent_seqnum", n > before && n <= after,
	       "before %llu seqnum %llu after %llu", before, n, after);
	CHECKF("kernel sender", m.from.nl_pid == 0 && m.from.nl_groups == GROUP_KERNEL,
	       "pid %u groups %#x", m.from.nl_pid, m.from.nl_groups);
	CHECKF("kernel credentials", m.has_cred && m.cred.uid == 0 && m.cred.pid == 0,
	       "has %d uid %u pid %d", m.has_cred, m.cred.uid, m.cred.pid);

	const char *uuid = "12345678-9abc-def0-1234-56789abcdef0";
	char w[128];
	snprintf(w, sizeof w, "change %s K1=v1", uuid);
	CHECK_SYS("write change with UUID", write_uevent(w));
	CHECK_SYS("receive it", wait_lo_event(s, &m, "change"));
	CHECK("SYNTH_UUID", field(&m, "SYNTH_UUID") && strcmp(field(&m, "SYNTH_UUID"), uuid) == 0);
	CHECK("SYNTH_ARG_K1", field(&m, "SYNTH_ARG_K1") &&
				      strcmp(field(&m, "SYNTH_ARG_K1"), "v1") == 0);
	const char *seq2 = field(&m, "SEQNUM");
	CHECK("SEQNUM increases", seq2 && strtoull(seq2, NULL, 10) > n);

	CHECK_ERRNO("bogus action", write_uevent("bogus"), EINVAL);
	CHECK_ERRNO("bad UUID", write_uevent("change 1234"), EINVAL);
	snprintf(w, sizeof w, "add %s not-a-pair", uuid);
	CHECK_ERRNO("bad argument", write_uevent(w), EINVAL);
	close(s);
}

static void check_multicast(void)
{
	int a = uevent_socket(GROUP_UDEV), b = uevent_socket(GROUP_UDEV);
	CHECK("group 2 sockets", a >= 0 && b >= 0);
	CHECK_SYS("send to group 2", send_group(a, GROUP_UDEV, "one"));
	struct msg m;
	CHECK_SYS("other member receives", wait_tagged(b, &m, "one", 2000));
	CHECKF("sender port and group",
	       m.from.nl_pid == portid_of(a) && m.from.nl_groups == 1u << (GROUP_UDEV - 1),
	       "pid %u (want %u) groups %#x", m.from.nl_pid, portid_of(a), m.from.nl_groups);
	CHECKF("sender credentials",
	       m.has_cred && m.cred.uid == 0 && m.cred.pid == getpid(),
	       "has %d uid %u pid %d", m.has_cred, m.cred.uid, m.cred.pid);
	CHECK_ERRNO("sender does not hear itself", wait_tagged(a, &m, "one", 200), EAGAIN);

	/* A filter keeping only messages whose 9th byte is 'k'. */
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 8),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 'k', 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 0xffffffff),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_fprog prog = { .len = 4, .filter = code };
	CHECK_SYS("attach filter", setsockopt(b, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog));
	send_group(a, GROUP_UDEV, "dropped");
	send_group(a, GROUP_UDEV, "kept");
	CHECK_SYS("filter keeps", wait_tagged(b, &m, "kept", 2000));
	send_group(a, GROUP_UDEV, "dropped");
	CHECK_ERRNO("filter drops", wait_tagged(b, &m, "dropped", 300), EAGAIN);
	int zero = 0;
	CHECK_SYS("detach filter", setsockopt(b, SOL_SOCKET, SO_DETACH_FILTER, &zero, sizeof zero));
	CHECK_ERRNO("detach none", setsockopt(b, SOL_SOCKET, SO_DETACH_FILTER, &zero, sizeof zero),
		    ENOENT);
	send_group(a, GROUP_UDEV, "again");
	CHECK_SYS("no filter", wait_tagged(b, &m, "again", 2000));
	int on = 1;
	CHECK_SYS("lock filter", setsockopt(b, SOL_SOCKET, SO_LOCK_FILTER, &on, sizeof on));
	CHECK_ERRNO("locked", setsockopt(b, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog),
		    EPERM);

	/* Overflow: a small queue left unread reports ENOBUFS once. */
	int c = uevent_socket(GROUP_UDEV);
	int small = 1024;
	setsockopt(c, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
	for (int i = 0; i < 64; i++)
		send_group(a, GROUP_UDEV, "flood");
	char buf[256];
	CHECK_ERRNO("overflow is ENOBUFS", recv(c, buf, sizeof buf, MSG_DONTWAIT), ENOBUFS);
	CHECK_SYS("then data", recv(c, buf, sizeof buf, MSG_DONTWAIT));
	close(a);
	close(b);
	close(c);
}

static void check_user(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		if (setgid(65534) < 0 || setuid(65534) < 0)
			_exit(2);
		int s = uevent_socket(GROUP_KERNEL | GROUP_UDEV);
		if (s < 0)
			_exit(3);
		errno = 0;
		if (send_group(s, GROUP_UDEV, "user") != -1 || errno != EPERM)
			_exit(4);
		if (write_uevent("change") != -1 || errno != EACCES)
			_exit(5);
		_exit(0);
	}
	int status = -1;
	waitpid(pid, &status, 0);
	CHECKF("user listens, may not send or trigger",
	       WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x", status);
}

int main(void)
{
	private_sysfs();
	check_sockets();
	check_kernel_events();
	check_multicast();
	check_user();
	return check_done();
}
