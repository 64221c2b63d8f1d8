//! The network settings of /proc/sys/net (Linux's `net.*` sysctls) that
//! Debian's tools and the inet layer read, kept per network namespace:
//! vectors of integers, read and written as Linux's `proc_dointvec` does
//! (values separated by white space, tabs between them when shown), with
//! the ranges Linux checks for the ones that have them. A few that take
//! words (`tcp_congestion_control`) are fixed text.

use arch::Errno;
use std::sync::atomic::{AtomicI64, Ordering};

/// How a setting's written values are checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Check {
    /// Any values that fit an int.
    Any,
    /// Each value within [lo, hi].
    Range(i64, i64),
    /// Two ports, low <= high, within 1..=65535 (ip_local_port_range).
    PortRange,
    /// One or two group ids within 0..=GID_T_MAX (ping_group_range: one
    /// sets the low end); a range that ends before it starts is stored as
    /// "1 0", as Linux's `ipv4_ping_group_range`.
    GidRange,
}

/// The largest group id (`GID_T_MAX`: (gid_t)-1 is no group).
const GID_T_MAX: i64 = u32::MAX as i64 - 1;

/// The integer settings: path below /proc/sys/net, default values, check.
const INTS: &[(&str, &[i64], Check)] = &[
    ("core/somaxconn", &[4096], Check::Range(0, i32::MAX as i64)),
    ("core/rmem_default", &[212_992], Check::Any),
    ("core/wmem_default", &[212_992], Check::Any),
    ("core/rmem_max", &[212_992], Check::Any),
    ("core/wmem_max", &[212_992], Check::Any),
    ("core/optmem_max", &[131_072], Check::Any),
    ("core/netdev_max_backlog", &[1000], Check::Any),
    ("ipv4/ip_forward", &[0], Check::Range(0, 1)),
    ("ipv4/ip_default_ttl", &[64], Check::Range(1, 255)),
    ("ipv4/ip_nonlocal_bind", &[0], Check::Range(0, 1)),
    ("ipv4/ip_no_pmtu_disc", &[0], Check::Any),
    (
        "ipv4/ip_local_port_range",
        &[32768, 60999],
        Check::PortRange,
    ),
    ("ipv4/ip_local_reserved_ports", &[], Check::Any),
    (
        "ipv4/ip_unprivileged_port_start",
        &[1024],
        Check::Range(0, 65535),
    ),
    ("ipv4/ping_group_range", &[1, 0], Check::GidRange),
    ("ipv4/icmp_echo_ignore_all", &[0], Check::Range(0, 1)),
    ("ipv4/icmp_echo_ignore_broadcasts", &[1], Check::Range(0, 1)),
    ("ipv4/icmp_ratelimit", &[1000], Check::Any),
    ("ipv4/tcp_syncookies", &[1], Check::Any),
    ("ipv4/tcp_timestamps", &[1], Check::Any),
    ("ipv4/tcp_sack", &[1], Check::Any),
    ("ipv4/tcp_window_scaling", &[1], Check::Any),
    ("ipv4/tcp_ecn", &[2], Check::Any),
    ("ipv4/tcp_fastopen", &[1], Check::Any),
    ("ipv4/tcp_fin_timeout", &[60], Check::Any),
    (
        "ipv4/tcp_keepalive_time",
        &[7200],
        Check::Range(1, i32::MAX as i64),
    ),
    (
        "ipv4/tcp_keepalive_intvl",
        &[75],
        Check::Range(1, i32::MAX as i64),
    ),
    (
        "ipv4/tcp_keepalive_probes",
        &[9],
        Check::Range(1, i32::MAX as i64),
    ),
    ("ipv4/tcp_max_syn_backlog", &[4096], Check::Any),
    ("ipv4/tcp_syn_retries", &[6], Check::Range(1, 127)),
    ("ipv4/tcp_synack_retries", &[5], Check::Any),
    ("ipv4/tcp_retries1", &[3], Check::Any),
    ("ipv4/tcp_retries2", &[15], Check::Any),
    ("ipv4/tcp_tw_reuse", &[2], Check::Range(0, 2)),
    ("ipv4/tcp_no_metrics_save", &[0], Check::Any),
    ("ipv4/tcp_mtu_probing", &[0], Check::Range(0, 2)),
    ("ipv4/tcp_rmem", &[4096, 131_072, 6_291_456], Check::Any),
    ("ipv4/tcp_wmem", &[4096, 16384, 4_194_304], Check::Any),
    ("ipv4/tcp_mem", &[18_000, 24_000, 36_000], Check::Any),
    ("ipv4/udp_rmem_min", &[4096], Check::Any),
    ("ipv4/udp_wmem_min", &[4096], Check::Any),
    ("ipv4/udp_mem", &[36_000, 48_000, 72_000], Check::Any),
    ("ipv6/bindv6only", &[0], Check::Range(0, 1)),
    ("ipv6/ip_nonlocal_bind", &[0], Check::Range(0, 1)),
    ("unix/max_dgram_qlen", &[10], Check::Any),
];

/// The per-interface settings of /proc/sys/net/ipv4/conf/DEV and
/// ipv6/conf/DEV (the same for `all`, `default` and every device).
pub(crate) const CONF4: &[(&str, i64)] = &[
    ("accept_redirects", 1),
    ("accept_source_route", 0),
    ("arp_ignore", 0),
    ("arp_announce", 0),
    ("forwarding", 0),
    ("log_martians", 0),
    ("proxy_arp", 0),
    ("rp_filter", 0),
    ("send_redirects", 1),
];
pub(crate) const CONF6: &[(&str, i64)] = &[
    ("accept_dad", 1),
    ("accept_ra", 1),
    ("autoconf", 1),
    ("disable_ipv6", 0),
    ("forwarding", 0),
    ("hop_limit", 64),
    ("keep_addr_on_down", 0),
    ("mtu", 1280),
    ("use_tempaddr", 0),
];

/// The word settings: path and fixed text.
pub(crate) const WORDS: &[(&str, &str)] = &[
    ("ipv4/tcp_congestion_control", "cubic"),
    ("ipv4/tcp_available_congestion_control", "reno cubic"),
    ("ipv4/tcp_allowed_congestion_control", "reno cubic"),
];

/// One integer setting.
struct Setting {
    path: &'static str,
    values: Vec<AtomicI64>,
    check: Check,
}

/// A namespace's integer settings.
pub(crate) struct Sysctls {
    ints: Vec<Setting>,
}

impl Default for Sysctls {
    fn default() -> Self {
        Sysctls {
            ints: INTS
                .iter()
                .map(|&(path, vals, check)| Setting {
                    path,
                    values: vals.iter().map(|&v| AtomicI64::new(v)).collect(),
                    check,
                })
                .collect(),
        }
    }
}

impl Sysctls {
    /// Returns the paths of the integer settings.
    pub(crate) fn paths(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.ints.iter().map(|s| s.path)
    }

    fn find(&self, path: &str) -> Option<&Setting> {
        self.ints.iter().find(|s| s.path == path)
    }

    /// Returns the values of setting `path` (empty for an unknown one).
    pub(crate) fn get(&self, path: &str) -> Vec<i64> {
        self.find(path)
            .map(|s| s.values.iter().map(|v| v.load(Ordering::Relaxed)).collect())
            .unwrap_or_default()
    }

    /// Returns the text /proc/sys shows for `path`: values separated by tabs.
    pub(crate) fn text(&self, path: &str) -> String {
        let v: Vec<String> = self.get(path).iter().map(i64::to_string).collect();
        format!("{}\n", v.join("\t"))
    }

    /// Sets `path` from written text (`EINVAL` for what does not parse or
    /// is out of range; fewer values than the setting has set the first).
    pub(crate) fn write(&self, path: &str, text: &[u8]) -> Result<(), Errno> {
        let s = self.find(path).ok_or(Errno::ENOENT)?;
        let text = std::str::from_utf8(text).map_err(|_| Errno::EINVAL)?;
        let vals = text
            .split_ascii_whitespace()
            .map(|w| w.parse::<i64>().map_err(|_| Errno::EINVAL))
            .collect::<Result<Vec<i64>, Errno>>()?;
        let int = |v: &i64| i32::try_from(*v).is_ok() || s.check == Check::GidRange;
        if vals.len() > s.values.len() || !vals.iter().all(int) {
            return Err(Errno::EINVAL);
        }
        let ok = match s.check {
            Check::Any => true,
            Check::Range(lo, hi) => vals.iter().all(|v| (lo..=hi).contains(v)),
            Check::PortRange => {
                vals.len() == 2
                    && vals[0] <= vals[1]
                    && vals.iter().all(|v| (1..=65535).contains(v))
            }
            Check::GidRange => !vals.is_empty() && vals.iter().all(|v| (0..=GID_T_MAX).contains(v)),
        };
        if !ok {
            return Err(Errno::EINVAL);
        }
        for (slot, v) in s.values.iter().zip(vals) {
            slot.store(v, Ordering::Relaxed);
        }
        if s.check == Check::GidRange
            && s.values[0].load(Ordering::Relaxed) > s.values[1].load(Ordering::Relaxed)
        {
            s.values[0].store(1, Ordering::Relaxed);
            s.values[1].store(0, Ordering::Relaxed);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ping_group_range_follows_linux() {
        let s = Sysctls::default();
        let path = "ipv4/ping_group_range";
        assert_eq!(s.text(path), "1\t0\n");
        s.write(path, b"0 4294967294\n")
            .expect("GID_T_MAX is taken");
        assert_eq!(s.get(path), [0, 4_294_967_294]);
        assert_eq!(s.write(path, b"0 4294967295"), Err(Errno::EINVAL));
        assert_eq!(s.write(path, b"-1 3"), Err(Errno::EINVAL));
        assert_eq!(s.write(path, b"3 x"), Err(Errno::EINVAL));
        s.write(path, b"7").expect("one value sets the low end");
        assert_eq!(s.get(path), [7, 4_294_967_294]);
        s.write(path, b"5 2").expect("an empty range is taken");
        assert_eq!(s.text(path), "1\t0\n");
    }
}
