/*
 * rtnetlink and the interface ioctls as a fresh Linux network namespace
 * shows them (netlink(7), rtnetlink(7), netdevice(7)): NETLINK_ROUTE
 * sockets (port ids, autobind, groups, options, errnos), link, address and
 * route dumps, bringing lo up (127.0.0.1/8, ::1 and the local routes),
 * adding and removing an address and a route with the notifications they
 * make, malformed messages, EPERM as nobody, ENOBUFS on overflow, the
 * SIOCGIF* ioctls, /proc/net/dev, /proc/net/if_inet6, /proc/sys/net and
 * /sys/class/net/lo.
 *
 * On the host: unshare -n ./netlink (as root, in a new network namespace).
 */
#include "check.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_GET_STRICT_CHK
#define NETLINK_GET_STRICT_CHK 12
#endif

static unsigned seq = 1000;

/* A request: header, family header and room for attributes. */
struct req {
	struct nlmsghdr h;
	char body[1024];
};

static void req_init(struct req *r, int type, int flags, const void *fixed,
		     size_t len)
{
	memset(r, 0, sizeof *r);
	r->h.nlmsg_len = NLMSG_LENGTH(len);
	r->h.nlmsg_type = type;
	r->h.nlmsg_flags = NLM_F_REQUEST | flags;
	r->h.nlmsg_seq = ++seq;
	memcpy(r->body, fixed, len);
}

static void req_attr(struct req *r, int type, const void *data, size_t len)
{
	struct rtattr *a =
		(struct rtattr *)((char *)&r->h + NLMSG_ALIGN(r->h.nlmsg_len));
	a->rta_type = type;
	a->rta_len = RTA_LENGTH(len);
	memcpy(RTA_DATA(a), data, len);
	r->h.nlmsg_len = NLMSG_ALIGN(r->h.nlmsg_len) + RTA_ALIGN(a->rta_len);
}

static int nl_socket(void)
{
	return socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
}

static ssize_t nl_send(int fd, const struct req *r)
{
	return send(fd, r, r->h.nlmsg_len, 0);
}

static char buf[65536];

/* Receives one datagram into buf without waiting more than 2 s. */
static ssize_t nl_recv(int fd)
{
	struct pollfd p = { fd, POLLIN, 0 };
	if (poll(&p, 1, 2000) != 1) {
		errno = ETIMEDOUT;
		return -1;
	}
	return recv(fd, buf, sizeof buf, 0);
}

/* Returns whether a datagram is waiting. */
static int nl_pending(int fd)
{
	struct pollfd p = { fd, POLLIN, 0 };
	return poll(&p, 1, 0) == 1;
}

/* Sends R and returns the error of its ack (0 for success), -1000 if no
 * ack came; skips other messages. */
static int nl_ack(int fd, const struct req *r)
{
	if (nl_send(fd, r) < 0)
		return -2000;
	for (;;) {
		ssize_t n = nl_recv(fd);
		if (n < 0)
			return -1000;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, n);
		     h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type == NLMSG_ERROR &&
			    h->nlmsg_seq == r->h.nlmsg_seq)
				return ((struct nlmsgerr *)NLMSG_DATA(h))->error;
		}
	}
}

/* Calls FN on every message of the dump answering R; returns the number
 * of messages before NLMSG_DONE, -1 on an error. */
static int nl_dump(int fd, const struct req *r,
		   void (*fn)(struct nlmsghdr *, void *), void *arg)
{
	if (nl_send(fd, r) < 0)
		return -1;
	int count = 0;
	for (;;) {
		ssize_t n = nl_recv(fd);
		if (n < 0)
			return -1;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, n);
		     h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_seq != r->h.nlmsg_seq)
				continue;
			if (h->nlmsg_type == NLMSG_DONE)
				return count;
			if (h->nlmsg_type == NLMSG_ERROR)
				return -1;
			if (!(h->nlmsg_flags & NLM_F_MULTI))
				return -1;
			count++;
			if (fn)
				fn(h, arg);
		}
	}
}

/* Sends the dump request R and returns the result NLMSG_DONE carries (or
 * an ack's error), -1000 if neither came. */
static int nl_dump_result(int fd, const struct req *r)
{
	if (nl_send(fd, r) < 0)
		return -2000;
	for (;;) {
		ssize_t n = nl_recv(fd);
		if (n < 0)
			return -1000;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, n);
		     h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_seq != r->h.nlmsg_seq)
				continue;
			if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR)
				return *(int *)NLMSG_DATA(h);
		}
	}
}

/* What a link dump found of lo. */
struct link_seen {
	int index, mtu, flags, type, named_lo, has_stats, has_qdisc, has_txqlen;
};

static void see_link(struct nlmsghdr *h, void *arg)
{
	struct link_seen *s = arg;
	struct ifinfomsg *ifi = NLMSG_DATA(h);
	int len = IFLA_PAYLOAD(h);
	int lo = 0;
	for (struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len))
		if (a->rta_type == IFLA_IFNAME && !strcmp(RTA_DATA(a), "lo"))
			lo = 1;
	if (!lo)
		return;
	s->named_lo = 1;
	s->index = ifi->ifi_index;
	s->flags = ifi->ifi_flags;
	s->type = ifi->ifi_type;
	len = IFLA_PAYLOAD(h);
	for (struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type == IFLA_MTU)
			s->mtu = *(int *)RTA_DATA(a);
		if (a->rta_type == IFLA_STATS64)
			s->has_stats = 1;
		if (a->rta_type == IFLA_QDISC)
			s->has_qdisc = 1;
		if (a->rta_type == IFLA_TXQLEN)
			s->has_txqlen = 1;
	}
}

/* What an address dump found. */
struct addr_seen {
	int v4_lo, v6_lo, custom, n;
	char label[IFNAMSIZ];
};

static const unsigned char custom4[4] = { 10, 11, 12, 13 };

static void see_addr(struct nlmsghdr *h, void *arg)
{
	struct addr_seen *s = arg;
	struct ifaddrmsg *ifa = NLMSG_DATA(h);
	int len = IFA_PAYLOAD(h);
	s->n++;
	for (struct rtattr *a = IFA_RTA(ifa); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		unsigned char *d = RTA_DATA(a);
		if (ifa->ifa_family == AF_INET && a->rta_type == IFA_LOCAL) {
			if (!memcmp(d, "\x7f\0\0\x01", 4) && ifa->ifa_prefixlen == 8 &&
			    ifa->ifa_scope == RT_SCOPE_HOST && ifa->ifa_index == 1)
				s->v4_lo = 1;
			if (!memcmp(d, custom4, 4) && ifa->ifa_prefixlen == 24)
				s->custom = 1;
		}
		if (ifa->ifa_family == AF_INET && a->rta_type == IFA_LABEL)
			snprintf(s->label, sizeof s->label, "%s", (char *)d);
		if (ifa->ifa_family == AF_INET6 && a->rta_type == IFA_ADDRESS &&
		    !memcmp(d, &in6addr_loopback, 16) && ifa->ifa_prefixlen == 128)
			s->v6_lo = 1;
	}
}

/* What a route dump found. */
struct route_seen {
	int local_127, bcast_127, local_v6, custom;
};

static void see_route(struct nlmsghdr *h, void *arg)
{
	struct route_seen *s = arg;
	struct rtmsg *rt = NLMSG_DATA(h);
	int len = RTM_PAYLOAD(h);
	unsigned char dst[16] = { 0 };
	int oif = 0;
	for (struct rtattr *a = RTM_RTA(rt); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type == RTA_DST)
			memcpy(dst, RTA_DATA(a), RTA_PAYLOAD(a) > 16 ? 16 : RTA_PAYLOAD(a));
		if (a->rta_type == RTA_OIF)
			oif = *(int *)RTA_DATA(a);
	}
	if (rt->rtm_family == AF_INET && rt->rtm_table == RT_TABLE_LOCAL &&
	    rt->rtm_type == RTN_LOCAL && rt->rtm_dst_len == 32 &&
	    !memcmp(dst, "\x7f\0\0\x01", 4) && oif == 1 &&
	    rt->rtm_protocol == RTPROT_KERNEL && rt->rtm_scope == RT_SCOPE_HOST)
		s->local_127 = 1;
	if (rt->rtm_family == AF_INET && rt->rtm_type == RTN_BROADCAST &&
	    !memcmp(dst, "\x7f\xff\xff\xff", 4))
		s->bcast_127 = 1;
	if (rt->rtm_family == AF_INET6 && rt->rtm_type == RTN_LOCAL &&
	    rt->rtm_table == RT_TABLE_LOCAL && !memcmp(dst, &in6addr_loopback, 16))
		s->local_v6 = 1;
	if (rt->rtm_family == AF_INET && rt->rtm_table == RT_TABLE_MAIN &&
	    rt->rtm_dst_len == 16 && !memcmp(dst, "\x0a\x63\0\0", 4))
		s->custom = 1;
}

static struct req link_dump(void)
{
	struct req r;
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	req_init(&r, RTM_GETLINK, NLM_F_DUMP, &ifi, sizeof ifi);
	return r;
}

static struct req addr_dump(void)
{
	struct req r;
	struct ifaddrmsg ifa = { .ifa_family = AF_UNSPEC };
	req_init(&r, RTM_GETADDR, NLM_F_DUMP, &ifa, sizeof ifa);
	return r;
}

static struct req route_dump(int family)
{
	struct req r;
	struct rtmsg rt = { .rtm_family = family };
	req_init(&r, RTM_GETROUTE, NLM_F_DUMP, &rt, sizeof rt);
	return r;
}

static struct req set_lo_flags(unsigned flags)
{
	struct req r;
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = 1,
				 .ifi_flags = flags, .ifi_change = IFF_UP };
	req_init(&r, RTM_NEWLINK, NLM_F_ACK, &ifi, sizeof ifi);
	return r;
}

static struct req custom_addr(int type, int flags)
{
	struct req r;
	struct ifaddrmsg ifa = { .ifa_family = AF_INET, .ifa_prefixlen = 24,
				 .ifa_index = 1 };
	req_init(&r, type, NLM_F_ACK | flags, &ifa, sizeof ifa);
	req_attr(&r, IFA_LOCAL, custom4, 4);
	req_attr(&r, IFA_ADDRESS, custom4, 4);
	return r;
}

static struct req custom_route(int type, int flags)
{
	struct req r;
	struct rtmsg rt = { .rtm_family = AF_INET, .rtm_dst_len = 16,
			    .rtm_table = RT_TABLE_MAIN,
			    .rtm_protocol = RTPROT_BOOT,
			    .rtm_scope = RT_SCOPE_LINK, .rtm_type = RTN_UNICAST };
	if (type == RTM_DELROUTE) {
		rt.rtm_scope = RT_SCOPE_NOWHERE;
		rt.rtm_protocol = 0;
		rt.rtm_type = 0;
	}
	req_init(&r, type, NLM_F_ACK | flags, &rt, sizeof rt);
	unsigned char dst[4] = { 10, 99, 0, 0 };
	int oif = 1;
	req_attr(&r, RTA_DST, dst, 4);
	req_attr(&r, RTA_OIF, &oif, 4);
	return r;
}

/* Reads FILE into buf; returns its length or -1. */
static ssize_t slurp(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n >= 0)
		buf[n] = 0;
	return n;
}

static void sockets_and_addresses(void)
{
	CHECK_ERRNO("socket SOCK_STREAM", socket(AF_NETLINK, SOCK_STREAM, 0),
		    ESOCKTNOSUPPORT);
	CHECK_ERRNO("socket protocol 32", socket(AF_NETLINK, SOCK_RAW, 32),
		    EPROTONOSUPPORT);
	CHECK_ERRNO("socket protocol -1", socket(AF_NETLINK, SOCK_RAW, -1),
		    EPROTONOSUPPORT);
	int d = socket(AF_NETLINK, SOCK_DGRAM, NETLINK_ROUTE);
	CHECK("socket SOCK_DGRAM", d >= 0);
	close(d);

	int a = MUST(nl_socket());
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	socklen_t len = sizeof sa;
	CHECK_SYS("getsockname unbound", getsockname(a, (void *)&sa, &len));
	CHECK("unbound port 0", sa.nl_pid == 0 && len == sizeof sa);
	memset(&sa, 0, sizeof sa);
	sa.nl_family = AF_NETLINK;
	CHECK_ERRNO("bind short", bind(a, (void *)&sa, sizeof sa - 1), EINVAL);
	sa.nl_family = AF_UNIX;
	CHECK_ERRNO("bind AF_UNIX", bind(a, (void *)&sa, sizeof sa), EINVAL);
	sa.nl_family = AF_NETLINK;
	CHECK_SYS("bind autobind", bind(a, (void *)&sa, sizeof sa));
	len = sizeof sa;
	MUST(getsockname(a, (void *)&sa, &len));
	CHECKF("autobind is the pid", sa.nl_pid == (unsigned)getpid(),
	       "nl_pid %u, pid %d", sa.nl_pid, getpid());
	int b = MUST(nl_socket());
	struct sockaddr_nl sb = { .nl_family = AF_NETLINK, .nl_pid = sa.nl_pid };
	CHECK_ERRNO("bind taken port", bind(b, (void *)&sb, sizeof sb),
		    EADDRINUSE);
	sb.nl_pid = 0;
	MUST(bind(b, (void *)&sb, sizeof sb));
	len = sizeof sb;
	MUST(getsockname(b, (void *)&sb, &len));
	CHECKF("second autobind is negative", (int)sb.nl_pid < 0,
	       "nl_pid %d", (int)sb.nl_pid);
	sa.nl_pid = 424242;
	CHECK_ERRNO("rebind elsewhere", bind(a, (void *)&sa, sizeof sa), EINVAL);
	len = sizeof sb;
	CHECK_SYS("getpeername", getpeername(b, (void *)&sb, &len));
	CHECK("peer is the kernel", sb.nl_pid == 0 && sb.nl_groups == 0);
	CHECK_ERRNO("shutdown", shutdown(a, SHUT_RD), EOPNOTSUPP);
	CHECK_ERRNO("MSG_OOB send", send(a, "x", 1, MSG_OOB), EOPNOTSUPP);
	CHECK_ERRNO("recv nothing", recv(a, buf, 10, MSG_DONTWAIT), EAGAIN);
	close(a);
	close(b);
}

static void options(void)
{
	int s = MUST(nl_socket());
	int v = 0;
	CHECK_ERRNO("ADD_MEMBERSHIP 0",
		    setsockopt(s, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &v, sizeof v),
		    EINVAL);
	v = 1;
	CHECK_ERRNO("ADD_MEMBERSHIP short",
		    setsockopt(s, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &v, 2), EINVAL);
	v = 1000;
	CHECK_ERRNO("ADD_MEMBERSHIP 1000",
		    setsockopt(s, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &v, sizeof v),
		    EINVAL);
	v = RTNLGRP_IPV4_IFADDR;
	CHECK_SYS("ADD_MEMBERSHIP ipv4 addr",
		  setsockopt(s, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &v, sizeof v));
	struct sockaddr_nl sa;
	socklen_t len = sizeof sa;
	MUST(getsockname(s, (void *)&sa, &len));
	CHECK("membership in nl_groups", sa.nl_groups == RTMGRP_IPV4_IFADDR);
	CHECK_ERRNO("unknown option", setsockopt(s, SOL_NETLINK, 99, &v, sizeof v),
		    ENOPROTOOPT);
	CHECK_ERRNO("unknown level", setsockopt(s, 1234, 1, &v, sizeof v),
		    ENOPROTOOPT);
	v = 1;
	CHECK_SYS("EXT_ACK on",
		  setsockopt(s, SOL_NETLINK, NETLINK_EXT_ACK, &v, sizeof v));
	v = 0;
	len = sizeof v;
	CHECK("EXT_ACK reads back",
	      getsockopt(s, SOL_NETLINK, NETLINK_EXT_ACK, &v, &len) == 0 && v == 1);
	len = 2;
	CHECK_ERRNO("getsockopt short",
		    getsockopt(s, SOL_NETLINK, NETLINK_EXT_ACK, &v, &len), EINVAL);
	int type = 0;
	len = sizeof type;
	CHECK("SO_TYPE", getsockopt(s, SOL_SOCKET, SO_TYPE, &type, &len) == 0 &&
				 type == SOCK_RAW);
	int proto = -1;
	len = sizeof proto;
	CHECK("SO_PROTOCOL",
	      getsockopt(s, SOL_SOCKET, SO_PROTOCOL, &proto, &len) == 0 &&
		      proto == NETLINK_ROUTE);
	close(s);
}

static void dumps_before_up(int s)
{
	struct link_seen l = { 0 };
	struct req r = link_dump();
	int n = nl_dump(s, &r, see_link, &l);
	CHECKF("link dump", n >= 1 && l.named_lo, "%d links", n);
	CHECKF("lo index, type, mtu", l.index == 1 && l.type == ARPHRD_LOOPBACK &&
					      l.mtu == 65536,
	       "index %d type %d mtu %d", l.index, l.type, l.mtu);
	CHECKF("lo down at first", (l.flags & (IFF_LOOPBACK | IFF_UP)) == IFF_LOOPBACK,
	       "flags %#x", l.flags);
	CHECK("link attributes", l.has_stats && l.has_qdisc && l.has_txqlen);

	/* iproute2 sizes its buffer with MSG_PEEK | MSG_TRUNC. */
	r = link_dump();
	MUST(nl_send(s, &r));
	struct pollfd p = { s, POLLIN, 0 };
	MUST(poll(&p, 1, 2000));
	ssize_t want = recv(s, NULL, 0, MSG_PEEK | MSG_TRUNC);
	CHECKF("peek trunc sizes", want > (ssize_t)sizeof(struct nlmsghdr),
	       "%zd", want);
	char small[16];
	struct iovec iov = { small, sizeof small };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t got = recvmsg(s, &m, 0);
	CHECKF("short read truncates", got == (ssize_t)sizeof small &&
					      (m.msg_flags & MSG_TRUNC),
	       "got %zd flags %#x", got, m.msg_flags);
	while (nl_pending(s))
		recv(s, buf, sizeof buf, 0);

	struct addr_seen a = { 0 };
	r = addr_dump();
	n = nl_dump(s, &r, see_addr, &a);
	CHECKF("no addresses while down", n == 0, "%d addresses", n);
}

static void bring_up(int s)
{
	struct req r = set_lo_flags(IFF_UP);
	int e = nl_ack(s, &r);
	CHECKF("set lo up", e == 0, "ack %d", e);
	struct link_seen l = { 0 };
	r = link_dump();
	nl_dump(s, &r, see_link, &l);
	CHECKF("lo up", (l.flags & (IFF_UP | IFF_LOOPBACK | IFF_RUNNING)) ==
				(IFF_UP | IFF_LOOPBACK | IFF_RUNNING),
	       "flags %#x", l.flags);
	struct addr_seen a = { 0 };
	r = addr_dump();
	int n = nl_dump(s, &r, see_addr, &a);
	CHECKF("127.0.0.1/8 on lo", a.v4_lo && !strcmp(a.label, "lo"),
	       "%d addresses, label %s", n, a.label);
	CHECK("::1/128 on lo", a.v6_lo);
	struct route_seen rs = { 0 };
	r = route_dump(AF_UNSPEC);
	nl_dump(s, &r, see_route, &rs);
	CHECK("local route 127.0.0.1", rs.local_127);
	CHECK("broadcast route 127.255.255.255", rs.bcast_127);
	CHECK("local route ::1", rs.local_v6);

	/* ip route get 127.0.0.1 */
	struct rtmsg rt = { .rtm_family = AF_INET };
	req_init(&r, RTM_GETROUTE, 0, &rt, sizeof rt);
	req_attr(&r, RTA_DST, "\x7f\0\0\x01", 4);
	MUST(nl_send(s, &r));
	ssize_t got = nl_recv(s);
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	int oif = 0, src = 0;
	if (got > 0 && h->nlmsg_type == RTM_NEWROUTE) {
		int len = RTM_PAYLOAD(h);
		for (struct rtattr *x = RTM_RTA(NLMSG_DATA(h)); RTA_OK(x, len);
		     x = RTA_NEXT(x, len)) {
			if (x->rta_type == RTA_OIF)
				oif = *(int *)RTA_DATA(x);
			if (x->rta_type == RTA_PREFSRC &&
			    !memcmp(RTA_DATA(x), "\x7f\0\0\x01", 4))
				src = 1;
		}
	}
	CHECKF("route get 127.0.0.1", oif == 1 && src, "type %d oif %d",
	       got > 0 ? h->nlmsg_type : -1, oif);
	req_init(&r, RTM_GETROUTE, 0, &rt, sizeof rt);
	req_attr(&r, RTA_DST, "\x0a\x01\x02\x03", 4);
	e = nl_ack(s, &r);
	CHECKF("route get unreachable", e == -ENETUNREACH, "ack %d", e);
}

static void changes_and_notifications(int s)
{
	int mon = MUST(nl_socket());
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK,
				  .nl_groups = RTMGRP_IPV4_IFADDR | RTMGRP_IPV4_ROUTE };
	MUST(bind(mon, (void *)&sa, sizeof sa));

	struct req r = custom_addr(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
	int e = nl_ack(s, &r);
	CHECKF("add 10.11.12.13/24", e == 0, "ack %d", e);
	r = custom_addr(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
	e = nl_ack(s, &r);
	CHECKF("add again EEXIST", e == -EEXIST, "ack %d", e);
	struct addr_seen a = { 0 };
	r = addr_dump();
	nl_dump(s, &r, see_addr, &a);
	CHECK("dump shows it", a.custom);

	int newaddr = 0;
	while (nl_pending(mon)) {
		ssize_t n = recv(mon, buf, sizeof buf, 0);
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, n);
		     h = NLMSG_NEXT(h, n))
			if (h->nlmsg_type == RTM_NEWADDR)
				newaddr++;
	}
	CHECKF("RTM_NEWADDR notified", newaddr == 1, "%d", newaddr);

	r = custom_route(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
	e = nl_ack(s, &r);
	CHECKF("add route 10.99.0.0/16", e == 0, "ack %d", e);
	r = custom_route(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
	e = nl_ack(s, &r);
	CHECKF("add route again EEXIST", e == -EEXIST, "ack %d", e);
	struct route_seen rs = { 0 };
	r = route_dump(AF_INET);
	nl_dump(s, &r, see_route, &rs);
	CHECK("route dump shows it", rs.custom);
	int newroute = 0;
	while (nl_pending(mon)) {
		ssize_t n = recv(mon, buf, sizeof buf, 0);
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, n);
		     h = NLMSG_NEXT(h, n))
			if (h->nlmsg_type == RTM_NEWROUTE)
				newroute++;
	}
	CHECKF("RTM_NEWROUTE notified", newroute >= 1, "%d", newroute);
	r = custom_route(RTM_DELROUTE, 0);
	e = nl_ack(s, &r);
	CHECKF("delete route", e == 0, "ack %d", e);
	r = custom_route(RTM_DELROUTE, 0);
	e = nl_ack(s, &r);
	CHECKF("delete route again ESRCH", e == -ESRCH, "ack %d", e);

	/* ifconfig's view while the address is there. */
	struct ifconf ic;
	struct ifreq reqs[8];
	ic.ifc_len = sizeof reqs;
	ic.ifc_req = reqs;
	CHECK_SYS("SIOCGIFCONF", ioctl(s, SIOCGIFCONF, &ic));
	int found = 0;
	for (int i = 0; i < ic.ifc_len / (int)sizeof reqs[0]; i++) {
		struct sockaddr_in *in = (struct sockaddr_in *)&reqs[i].ifr_addr;
		if (!strcmp(reqs[i].ifr_name, "lo") &&
		    in->sin_addr.s_addr == htonl(0x7f000001))
			found |= 1;
		if (!memcmp(&in->sin_addr, custom4, 4))
			found |= 2;
	}
	CHECKF("SIOCGIFCONF lists both", found == 3 && ic.ifc_len == 2 * (int)sizeof reqs[0],
	       "found %d len %d", found, ic.ifc_len);
	ic.ifc_len = 0;
	ic.ifc_buf = NULL;
	CHECK("SIOCGIFCONF sizes", ioctl(s, SIOCGIFCONF, &ic) == 0 &&
					   ic.ifc_len == 2 * (int)sizeof reqs[0]);

	r = custom_addr(RTM_DELADDR, 0);
	e = nl_ack(s, &r);
	CHECKF("delete address", e == 0, "ack %d", e);
	r = custom_addr(RTM_DELADDR, 0);
	e = nl_ack(s, &r);
	CHECKF("delete again EADDRNOTAVAIL", e == -EADDRNOTAVAIL, "ack %d", e);
	int deladdr = 0;
	while (nl_pending(mon)) {
		ssize_t n = recv(mon, buf, sizeof buf, 0);
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, n);
		     h = NLMSG_NEXT(h, n))
			if (h->nlmsg_type == RTM_DELADDR)
				deladdr++;
	}
	CHECKF("RTM_DELADDR notified", deladdr == 1, "%d", deladdr);
	close(mon);
}

static void malformed(int s)
{
	struct req r = link_dump();
	r.h.nlmsg_len = 8;
	CHECK_SYS("nlmsg_len 8 sent", send(s, &r, sizeof(struct nlmsghdr) + 16, 0));
	CHECK("nlmsg_len 8 ignored", !nl_pending(s) || (usleep(100000), !nl_pending(s)));
	r = link_dump();
	r.h.nlmsg_len = 4000;
	CHECK_SYS("nlmsg_len past the data sent", send(s, &r, 32, 0));
	usleep(100000);
	CHECK("nlmsg_len past the data ignored", !nl_pending(s));
	CHECK_SYS("short datagram sent", send(s, &r, 10, 0));
	usleep(100000);
	CHECK("short datagram ignored", !nl_pending(s));

	struct ifinfomsg ifi = { 0 };
	req_init(&r, 0x7fff, NLM_F_ACK, &ifi, sizeof ifi);
	int e = nl_ack(s, &r);
	CHECKF("unknown type EOPNOTSUPP", e == -EOPNOTSUPP, "ack %d", e);
	req_init(&r, RTM_GETLINK, 0, &ifi, 4);
	e = nl_ack(s, &r);
	CHECKF("short ifinfomsg EINVAL", e == -EINVAL, "ack %d", e);
	ifi.ifi_index = 999;
	req_init(&r, RTM_GETLINK, 0, &ifi, sizeof ifi);
	e = nl_ack(s, &r);
	CHECKF("no such link ENODEV", e == -ENODEV, "ack %d", e);
	ifi.ifi_index = 1;
	req_init(&r, RTM_SETLINK, NLM_F_ACK, &ifi, sizeof ifi);
	req_attr(&r, IFLA_MTU, "\x01\x02", 2);
	e = nl_ack(s, &r);
	CHECKF("short IFLA_MTU ERANGE", e == -ERANGE, "ack %d", e);
	req_init(&r, RTM_SETLINK, NLM_F_ACK, &ifi, sizeof ifi);
	req_attr(&r, IFLA_IFNAME, "0123456789abcdefghij", 21);
	e = nl_ack(s, &r);
	CHECKF("long IFLA_IFNAME ERANGE", e == -ERANGE, "ack %d", e);
	struct ifaddrmsg ifa = { .ifa_family = AF_INET, .ifa_prefixlen = 33,
				 .ifa_index = 1 };
	req_init(&r, RTM_NEWADDR, NLM_F_ACK, &ifa, sizeof ifa);
	req_attr(&r, IFA_LOCAL, custom4, 4);
	e = nl_ack(s, &r);
	CHECKF("prefix 33 EINVAL", e == -EINVAL, "ack %d", e);
	ifa.ifa_prefixlen = 24;
	req_init(&r, RTM_NEWADDR, NLM_F_ACK, &ifa, sizeof ifa);
	e = nl_ack(s, &r);
	CHECKF("no IFA_LOCAL EINVAL", e == -EINVAL, "ack %d", e);
	ifa.ifa_index = 999;
	req_init(&r, RTM_NEWADDR, NLM_F_ACK, &ifa, sizeof ifa);
	req_attr(&r, IFA_LOCAL, custom4, 4);
	e = nl_ack(s, &r);
	CHECKF("no such device ENODEV", e == -ENODEV, "ack %d", e);
	struct rtmsg rt = { .rtm_family = AF_INET, .rtm_dst_len = 8,
			    .rtm_table = RT_TABLE_MAIN, .rtm_type = RTN_UNICAST };
	req_init(&r, RTM_NEWROUTE, NLM_F_ACK | NLM_F_CREATE, &rt, sizeof rt);
	req_attr(&r, RTA_DST, "\x0a\x01\0\0", 4);
	int oif = 1;
	req_attr(&r, RTA_OIF, &oif, 4);
	e = nl_ack(s, &r);
	CHECKF("host bits past the prefix EINVAL", e == -EINVAL, "ack %d", e);

	/* The error ack carries the request unless NETLINK_CAP_ACK. */
	ifi.ifi_index = 999;
	req_init(&r, RTM_GETLINK, 0, &ifi, sizeof ifi);
	MUST(nl_send(s, &r));
	ssize_t n = nl_recv(s);
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	CHECKF("error ack has the request",
	       n == (ssize_t)(NLMSG_HDRLEN + sizeof(int) + r.h.nlmsg_len) &&
		       h->nlmsg_type == NLMSG_ERROR && h->nlmsg_seq == r.h.nlmsg_seq,
	       "length %zd type %d", n, h->nlmsg_type);
	int v = 1;
	MUST(setsockopt(s, SOL_NETLINK, NETLINK_CAP_ACK, &v, sizeof v));
	MUST(nl_send(s, &r));
	n = nl_recv(s);
	CHECKF("CAP_ACK caps it",
	       n == (ssize_t)(NLMSG_HDRLEN + sizeof(struct nlmsgerr)) &&
		       (h->nlmsg_flags & NLM_F_CAPPED),
	       "length %zd flags %#x", n, h->nlmsg_flags);
	v = 0;
	MUST(setsockopt(s, SOL_NETLINK, NETLINK_CAP_ACK, &v, sizeof v));
	/* Without NLM_F_REQUEST only the ack asked for. */
	r = link_dump();
	r.h.nlmsg_flags = NLM_F_ACK;
	e = nl_ack(s, &r);
	CHECKF("no NLM_F_REQUEST just acked", e == 0, "ack %d", e);
	/* Strict checking refuses a dump header with values. */
	v = 1;
	MUST(setsockopt(s, SOL_NETLINK, NETLINK_GET_STRICT_CHK, &v, sizeof v));
	r = link_dump();
	((struct ifinfomsg *)r.body)->ifi_index = 1;
	e = nl_dump_result(s, &r);
	CHECKF("strict link dump with an index: DONE says EINVAL", e == -EINVAL,
	       "result %d", e);
	r = link_dump();
	e = nl_dump_result(s, &r);
	CHECKF("strict link dump", e == 0, "result %d", e);
	v = 0;
	MUST(setsockopt(s, SOL_NETLINK, NETLINK_GET_STRICT_CHK, &v, sizeof v));
}

static void as_nobody(void)
{
	pid_t pid = MUST(fork());
	if (pid == 0) {
		if (setgid(65534) || setuid(65534))
			_exit(2);
		int s = nl_socket();
		if (s < 0)
			_exit(3);
		struct req r = custom_addr(RTM_NEWADDR, NLM_F_CREATE);
		if (nl_ack(s, &r) != -EPERM)
			_exit(4);
		r = set_lo_flags(0);
		if (nl_ack(s, &r) != -EPERM)
			_exit(5);
		r = link_dump();
		if (nl_dump(s, &r, NULL, NULL) < 1)
			_exit(6);
		struct ifreq ifr = { 0 };
		strcpy(ifr.ifr_name, "lo");
		if (ioctl(s, SIOCGIFFLAGS, &ifr) != 0)
			_exit(7);
		if (ioctl(s, SIOCSIFFLAGS, &ifr) != -1 || errno != EPERM)
			_exit(8);
		ifr.ifr_mtu = 1500;
		if (ioctl(s, SIOCSIFMTU, &ifr) != -1 || errno != EPERM)
			_exit(9);
		_exit(0);
	}
	int st;
	MUST(waitpid(pid, &st, 0));
	CHECKF("nobody gets EPERM for changes", WIFEXITED(st) && WEXITSTATUS(st) == 0,
	       "child status %#x", st);
}

static void overflow(int s)
{
	int mon = MUST(nl_socket());
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK };
	MUST(bind(mon, (void *)&sa, sizeof sa));
	int v = 1;
	MUST(setsockopt(mon, SOL_SOCKET, SO_RCVBUF, &v, sizeof v));
	for (int i = 0; i < 50; i++) {
		struct ifinfomsg ifi = { .ifi_index = 1 };
		struct req r;
		req_init(&r, RTM_SETLINK, NLM_F_ACK, &ifi, sizeof ifi);
		int mtu = 60000 + i;
		req_attr(&r, IFLA_MTU, &mtu, 4);
		if (nl_ack(s, &r) != 0)
			check_fail("overflow setup", 0, "mtu %d refused", mtu);
	}
	int errs = 0, got = 0;
	for (;;) {
		ssize_t n = recv(mon, buf, sizeof buf, MSG_DONTWAIT);
		if (n >= 0)
			got++;
		else if (errno == ENOBUFS)
			errs++;
		else
			break;
	}
	CHECKF("overflow reports ENOBUFS once", errs == 1 && got >= 1 && got < 50,
	       "%d errors, %d messages", errs, got);
	close(mon);
	struct ifinfomsg ifi = { .ifi_index = 1 };
	struct req r;
	req_init(&r, RTM_SETLINK, NLM_F_ACK, &ifi, sizeof ifi);
	int mtu = 65536;
	req_attr(&r, IFLA_MTU, &mtu, 4);
	MUST(nl_ack(s, &r) == 0 ? 0 : -1);
}

static void ioctls(void)
{
	int s = MUST(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
	struct ifreq ifr = { 0 };
	strcpy(ifr.ifr_name, "lo");
	CHECK_SYS("SIOCGIFFLAGS", ioctl(s, SIOCGIFFLAGS, &ifr));
	CHECKF("lo flags", (ifr.ifr_flags & (IFF_UP | IFF_LOOPBACK | IFF_RUNNING)) ==
				   (IFF_UP | IFF_LOOPBACK | IFF_RUNNING),
	       "%#x", ifr.ifr_flags);
	CHECK_SYS("SIOCGIFINDEX", ioctl(s, SIOCGIFINDEX, &ifr));
	CHECK("lo index 1", ifr.ifr_ifindex == 1);
	CHECK_SYS("SIOCGIFMTU", ioctl(s, SIOCGIFMTU, &ifr));
	CHECKF("lo mtu", ifr.ifr_mtu == 65536, "%d", ifr.ifr_mtu);
	CHECK_SYS("SIOCGIFHWADDR", ioctl(s, SIOCGIFHWADDR, &ifr));
	CHECK("lo hwaddr type", ifr.ifr_hwaddr.sa_family == ARPHRD_LOOPBACK);
	CHECK_SYS("SIOCGIFTXQLEN", ioctl(s, SIOCGIFTXQLEN, &ifr));
	CHECK("lo txqlen", ifr.ifr_qlen == 1000);
	memset(&ifr, 0, sizeof ifr);
	ifr.ifr_ifindex = 1;
	CHECK_SYS("SIOCGIFNAME", ioctl(s, SIOCGIFNAME, &ifr));
	CHECK("index 1 is lo", !strcmp(ifr.ifr_name, "lo"));
	ifr.ifr_ifindex = 999;
	CHECK_ERRNO("SIOCGIFNAME 999", ioctl(s, SIOCGIFNAME, &ifr), ENODEV);
	strcpy(ifr.ifr_name, "nosuch0");
	CHECK_ERRNO("unknown interface", ioctl(s, SIOCGIFFLAGS, &ifr), ENODEV);
	strcpy(ifr.ifr_name, "lo");
	CHECK_ERRNO("SIOCGIFADDR on AF_UNIX", ioctl(s, SIOCGIFADDR, &ifr), ENOTTY);
	CHECK_ERRNO("unknown request", ioctl(s, 0x1234, &ifr), ENOTTY);
	/* SIOCSIFFLAGS: down and up again. */
	CHECK_SYS("SIOCGIFFLAGS again", ioctl(s, SIOCGIFFLAGS, &ifr));
	short up = ifr.ifr_flags;
	ifr.ifr_flags = up & ~IFF_UP;
	CHECK_SYS("SIOCSIFFLAGS down", ioctl(s, SIOCSIFFLAGS, &ifr));
	MUST(ioctl(s, SIOCGIFFLAGS, &ifr));
	CHECKF("down", !(ifr.ifr_flags & IFF_UP), "%#x", ifr.ifr_flags);
	ifr.ifr_flags = up;
	CHECK_SYS("SIOCSIFFLAGS up", ioctl(s, SIOCSIFFLAGS, &ifr));
	close(s);
}

static void files(void)
{
	CHECK("/proc/net/dev", slurp("/proc/net/dev") > 0 &&
				       strstr(buf, "Inter-|   Receive") &&
				       strstr(buf, "    lo: "));
	CHECK("/proc/net/if_inet6",
	      slurp("/proc/net/if_inet6") > 0 &&
		      strstr(buf, "00000000000000000000000000000001 01 80 10 80       lo\n"));
	CHECK("/proc/net/route header", slurp("/proc/net/route") > 0 &&
						!strncmp(buf, "Iface\tDestination\tGateway", 25));
	CHECK("/proc/net/snmp", slurp("/proc/net/snmp") > 0 &&
					strstr(buf, "Tcp: RtoAlgorithm RtoMin") &&
					strstr(buf, "Ip: 2 64 "));
	CHECK("/proc/net/netstat", slurp("/proc/net/netstat") > 0 &&
					   !strncmp(buf, "TcpExt: SyncookiesSent", 22));
	CHECK("/proc/net/snmp6", slurp("/proc/net/snmp6") > 0 &&
					 !strncmp(buf, "Ip6InReceives", 13));
	CHECK("/proc/self/net/dev", slurp("/proc/self/net/dev") > 0);
	CHECK("/proc/net/tcp", slurp("/proc/net/tcp") > 0 && strstr(buf, "local_address"));
	CHECK("/proc/net/udp6", slurp("/proc/net/udp6") > 0 && strstr(buf, "local_address"));
	CHECK("ip_local_port_range",
	      slurp("/proc/sys/net/ipv4/ip_local_port_range") > 0 &&
		      !strcmp(buf, "32768\t60999\n"));
	CHECK("somaxconn", slurp("/proc/sys/net/core/somaxconn") > 0 &&
				   !strcmp(buf, "4096\n"));
	int fd = open("/proc/sys/net/ipv4/ping_group_range", O_WRONLY);
	CHECK("ping_group_range writable", fd >= 0 && write(fd, "0 2147483647\n", 13) == 13);
	if (fd >= 0)
		close(fd);
	CHECK("ping_group_range", slurp("/proc/sys/net/ipv4/ping_group_range") > 0 &&
					  !strcmp(buf, "0\t2147483647\n"));
	fd = open("/proc/sys/net/ipv4/ip_local_port_range", O_WRONLY);
	CHECK_ERRNO("port range backwards", write(fd, "5000 4000\n", 10), EINVAL);
	close(fd);
	CHECK("conf/lo/forwarding", slurp("/proc/sys/net/ipv4/conf/lo/forwarding") > 0 &&
					    !strcmp(buf, "0\n"));
	CHECK("/sys/class/net/lo/mtu", slurp("/sys/class/net/lo/mtu") > 0 &&
					       !strcmp(buf, "65536\n"));
	CHECK("/sys/class/net/lo/ifindex", slurp("/sys/class/net/lo/ifindex") > 0 &&
						   !strcmp(buf, "1\n"));
	CHECK("/sys/class/net/lo/type", slurp("/sys/class/net/lo/type") > 0 &&
						!strcmp(buf, "772\n"));
	CHECK("/sys/class/net/lo/flags", slurp("/sys/class/net/lo/flags") > 0 &&
						 !strcmp(buf, "0x9\n"));
	CHECK("/sys/class/net/lo/operstate",
	      slurp("/sys/class/net/lo/operstate") > 0 && !strcmp(buf, "unknown\n"));
	CHECK("/sys/class/net/lo/address", slurp("/sys/class/net/lo/address") > 0 &&
						   !strcmp(buf, "00:00:00:00:00:00\n"));
	CHECK("/sys/class/net/lo/statistics/rx_bytes",
	      slurp("/sys/class/net/lo/statistics/rx_bytes") > 0);
}

int main(void)
{
	sockets_and_addresses();
	options();
	int s = MUST(nl_socket());
	dumps_before_up(s);
	bring_up(s);
	changes_and_notifications(s);
	malformed(s);
	as_nobody();
	overflow(s);
	ioctls();
	files();
	close(s);
	return check_done();
}
