"""Sends IPv6 router advertisements, as a router (radvd) would: every
second for SECONDS, to all nodes on DEVICE, from its link-local address,
naming this host a default router (1800 s) and PREFIX/64 on-link and
autonomous (valid 3600 s, preferred 1800 s), so hosts on the link
configure an address in it (RFC 4861 4.2, 4.6.2; RFC 4862).
Usage: python3 ra.py DEVICE PREFIX SECONDS"""
import socket
import struct
import sys
import time

dev, prefix, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
index = socket.if_nametoindex(dev)
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, index)
# Type 134, code 0, checksum (the kernel's), hop limit 64, no flags, router
# lifetime, reachable time and retransmission timer unspecified.
ra = struct.pack("!BBHBBHII", 134, 0, 0, 64, 0, 1800, 0, 0)
# Prefix information: type 3, 4 units of 8 bytes, /64, L and A.
ra += struct.pack("!BBBBIII", 3, 4, 64, 0xC0, 3600, 1800, 0)
ra += socket.inet_pton(socket.AF_INET6, prefix)
end = time.time() + seconds
while time.time() < end:
    try:
        s.sendto(ra, ("ff02::1", 0, 0, index))
    except OSError:
        pass  # the link-local address may still be tentative
    time.sleep(1)
