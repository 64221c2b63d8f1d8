/* linkmon: prints the rtnetlink link notifications (RTMGRP_LINK) it
 * receives, one line each: "linkmon NEWLINK NAME up|down" or "linkmon
 * DELLINK NAME", after "linkmon ready" once it listens; a tool for the
 * network card hot-plug test (tests/mconsole.rs), as `ip monitor link`.
 * Exits after COUNT notifications (argument, default 1000). */
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long count = argc > 1 ? atol(argv[1]) : 1000;
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0) {
		perror("linkmon: socket");
		return 1;
	}
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK };
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("linkmon: bind");
		return 1;
	}
	printf("linkmon ready\n");
	fflush(stdout);
	static char buf[65536];
	while (count > 0) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0) {
			perror("linkmon: recv");
			return 1;
		}
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type != RTM_NEWLINK && h->nlmsg_type != RTM_DELLINK)
				continue;
			struct ifinfomsg *ifi = NLMSG_DATA(h);
			const char *name = "?";
			int len = IFLA_PAYLOAD(h);
			for (struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len))
				if (a->rta_type == IFLA_IFNAME)
					name = RTA_DATA(a);
			if (h->nlmsg_type == RTM_DELLINK)
				printf("linkmon DELLINK %s\n", name);
			else
				printf("linkmon NEWLINK %s %s\n", name,
				       ifi->ifi_flags & IFF_UP ? "up" : "down");
			fflush(stdout);
			count--;
		}
	}
	return 0;
}
