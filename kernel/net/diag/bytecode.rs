//! The socket filter of inet_diag requests (INET_DIAG_REQ_BYTECODE, what
//! `ss` compiles `sport = :80 and dst 10/8` into), as Linux's
//! net/ipv4/inet_diag.c checks (`inet_diag_bc_audit`) and runs it
//! (`inet_diag_bc_run`). The program is a list of 4-byte ops (`struct
//! inet_diag_bc_op`: code, yes, no), each a conditional jump forward by
//! `yes` or `no` bytes, some followed by their operand; a socket passes
//! when the program ends exactly at its end.

use arch::Errno;

/// `INET_DIAG_BC_*`: the op codes.
const NOP: u8 = 0;
const JMP: u8 = 1;
const S_GE: u8 = 2;
const S_LE: u8 = 3;
const D_GE: u8 = 4;
const D_LE: u8 = 5;
const AUTO: u8 = 6;
const S_COND: u8 = 7;
const D_COND: u8 = 8;
const DEV_COND: u8 = 9;
const MARK_COND: u8 = 10;
const S_EQ: u8 = 11;
const D_EQ: u8 = 12;

/// `sizeof(struct inet_diag_bc_op)`.
const OP_LEN: usize = 4;
/// `sizeof(struct inet_diag_hostcond)` without its address.
const HOSTCOND_LEN: usize = 8;
/// `SOCK_BINDPORT_LOCK` of `sk_userlocks`.
const SOCK_BINDPORT_LOCK: u16 = 8;

const AF_UNSPEC: u8 = 0;
const AF_INET: u8 = 2;
const AF_INET6: u8 = 10;

/// One op.
#[derive(Clone, Copy)]
struct Op {
    code: u8,
    yes: usize,
    no: usize,
}

/// Returns the op at `at` (the program is checked to hold it).
fn op(bc: &[u8], at: usize) -> Op {
    let b = |i: usize| bc.get(at + i).copied().unwrap_or(0);
    Op {
        code: b(0),
        yes: usize::from(b(1)),
        no: usize::from(u16::from_ne_bytes([b(2), b(3)])),
    }
}

/// Returns the length of an address of `family` in a host condition.
fn addr_len(family: u8) -> Option<usize> {
    match family {
        AF_UNSPEC => Some(0),
        AF_INET => Some(4),
        AF_INET6 => Some(16),
        _ => None,
    }
}

/// Returns whether a jump to `cc` bytes before the end lands on an op
/// boundary of the program (Linux's `valid_cc`).
fn valid_cc(bc: &[u8], cc: usize) -> bool {
    let mut len = bc.len() as isize;
    let mut at = 0;
    let cc = cc as isize;
    while len >= 0 {
        if cc > len {
            return false;
        }
        if cc == len {
            return true;
        }
        let o = op(bc, at);
        if o.yes < OP_LEN || !o.yes.is_multiple_of(4) {
            return false;
        }
        len -= o.yes as isize;
        at += o.yes;
    }
    false
}

/// Checks a program as Linux's `inet_diag_bc_audit` does: EINVAL for one
/// shorter than an op, an unknown op, an op without room for its operand,
/// a host condition of an unknown family or with a prefix longer than its
/// address, a jump that is not a multiple of 4, goes past the end or lands
/// inside an op; EPERM for a mark condition without CAP_NET_ADMIN. The
/// cgroup condition is EINVAL, as in a kernel without cgroups
/// (CONFIG_SOCK_CGROUP_DATA).
pub(crate) fn audit(bc: &[u8], admin: bool) -> Result<(), Errno> {
    if bc.len() < OP_LEN {
        return Err(Errno::EINVAL);
    }
    let mut at = 0;
    while at < bc.len() {
        let len = bc.len() - at;
        if len < OP_LEN {
            return Err(Errno::EINVAL);
        }
        let o = op(bc, at);
        let mut min_len = OP_LEN;
        match o.code {
            S_COND | D_COND => {
                min_len += HOSTCOND_LEN;
                if len < min_len {
                    return Err(Errno::EINVAL);
                }
                let alen = addr_len(bc[at + OP_LEN]).ok_or(Errno::EINVAL)?;
                min_len += alen;
                if len < min_len || usize::from(bc[at + OP_LEN + 1]) > 8 * alen {
                    return Err(Errno::EINVAL);
                }
            }
            DEV_COND | S_GE | S_LE | D_GE | D_LE | S_EQ | D_EQ => min_len += 4,
            MARK_COND => {
                if !admin {
                    return Err(Errno::EPERM);
                }
                min_len += 8;
            }
            AUTO | JMP | NOP => {}
            _ => return Err(Errno::EINVAL),
        }
        if len < min_len {
            return Err(Errno::EINVAL);
        }
        if o.code != NOP {
            if o.no < min_len || o.no > len + 4 || !o.no.is_multiple_of(4) {
                return Err(Errno::EINVAL);
            }
            if o.no < len && !valid_cc(bc, len - o.no) {
                return Err(Errno::EINVAL);
            }
        }
        if o.yes < min_len || o.yes > len + 4 || !o.yes.is_multiple_of(4) {
            return Err(Errno::EINVAL);
        }
        at += o.yes;
    }
    if at == bc.len() {
        Ok(())
    } else {
        Err(Errno::EINVAL)
    }
}

/// What a program looks at of one socket (Linux's `inet_diag_entry`).
pub(crate) struct Entry<'a> {
    pub family: u8,
    /// The addresses as the socket keeps them: 4 bytes for AF_INET, 16
    /// (IPv4 ones v4-mapped) for AF_INET6, in network order.
    pub saddr: &'a [u8],
    pub daddr: &'a [u8],
    pub sport: u16,
    pub dport: u16,
    pub ifindex: u32,
    pub userlocks: u16,
    pub mark: u32,
}

impl Entry<'_> {
    /// Returns an entry's `userlocks` for a port bind(2) chose or not.
    pub(crate) fn userlocks(port_locked: bool) -> u16 {
        if port_locked {
            SOCK_BINDPORT_LOCK
        } else {
            0
        }
    }
}

/// Returns whether the first `bits` bits of `a` and `b` agree (Linux's
/// `bitstring_match` over network-order words).
fn prefix_match(a: &[u8], b: &[u8], bits: usize) -> bool {
    let (bytes, rest) = (bits / 8, bits % 8);
    if a.len() < bytes + usize::from(rest > 0) || b.len() < bytes + usize::from(rest > 0) {
        return false;
    }
    if a[..bytes] != b[..bytes] {
        return false;
    }
    rest == 0 || (a[bytes] ^ b[bytes]) & (0xff << (8 - rest)) == 0
}

/// Returns whether the host condition at `at` (after its op) holds.
fn host_cond(bc: &[u8], at: usize, src: bool, e: &Entry) -> bool {
    let c = at + OP_LEN;
    let family = bc[c];
    let prefix = usize::from(bc[c + 1]);
    let port = i32::from_ne_bytes([bc[c + 4], bc[c + 5], bc[c + 6], bc[c + 7]]);
    let want = &bc[c + HOSTCOND_LEN..];
    let (p, addr) = if src {
        (e.sport, e.saddr)
    } else {
        (e.dport, e.daddr)
    };
    if port != -1 && port != i32::from(p) {
        return false;
    }
    if family != AF_UNSPEC && family != e.family {
        // An IPv4 condition matches an IPv6 socket's v4-mapped address.
        return e.family == AF_INET6
            && family == AF_INET
            && addr.len() == 16
            && addr[..10] == [0; 10]
            && addr[10..12] == [0xff, 0xff]
            && prefix_match(&addr[12..], want, prefix);
    }
    prefix == 0 || prefix_match(addr, want, prefix)
}

/// Runs an audited program on one socket (Linux's `inet_diag_bc_run`).
pub(crate) fn run(bc: &[u8], e: &Entry) -> bool {
    let mut len = bc.len() as isize;
    let mut at = 0usize;
    while len > 0 {
        let o = op(bc, at);
        // A port comparison's port is the `no` of the op after it.
        let port = || op(bc, at + OP_LEN).no as u16;
        let u32_at = |i: usize| {
            u32::from_ne_bytes([bc[at + i], bc[at + i + 1], bc[at + i + 2], bc[at + i + 3]])
        };
        let yes = match o.code {
            NOP => true,
            JMP => false,
            S_EQ => e.sport == port(),
            S_GE => e.sport >= port(),
            S_LE => e.sport <= port(),
            D_EQ => e.dport == port(),
            D_GE => e.dport >= port(),
            D_LE => e.dport <= port(),
            AUTO => e.userlocks & SOCK_BINDPORT_LOCK == 0,
            S_COND => host_cond(bc, at, true, e),
            D_COND => host_cond(bc, at, false, e),
            DEV_COND => u32_at(OP_LEN) == e.ifindex,
            MARK_COND => e.mark & u32_at(OP_LEN + 4) == u32_at(OP_LEN),
            _ => true,
        };
        let step = if yes { o.yes } else { o.no };
        len -= step as isize;
        at += step;
    }
    len == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ops(list: &[(u8, u8, u16)]) -> Vec<u8> {
        list.iter()
            .flat_map(|&(c, y, n)| {
                let mut v = vec![c, y];
                v.extend_from_slice(&n.to_ne_bytes());
                v
            })
            .collect()
    }

    fn entry(sport: u16, dport: u16) -> Entry<'static> {
        Entry {
            family: AF_INET,
            saddr: &[127, 0, 0, 1],
            daddr: &[127, 0, 0, 2],
            sport,
            dport,
            ifindex: 0,
            userlocks: 0,
            mark: 0,
        }
    }

    fn host(code: u8, family: u8, prefix: u8, port: i32, addr: &[u8]) -> Vec<u8> {
        let len = (OP_LEN + HOSTCOND_LEN + addr.len()) as u8;
        let mut v = ops(&[(code, len, u16::from(len) + 4)]);
        v.extend_from_slice(&[family, prefix, 0, 0]);
        v.extend_from_slice(&port.to_ne_bytes());
        v.extend_from_slice(addr);
        v
    }

    #[test]
    fn ports_and_jumps() {
        let ge = ops(&[(S_GE, 8, 12), (0, 0, 80)]);
        assert_eq!(audit(&ge, false), Ok(()));
        assert!(run(&ge, &entry(80, 1)));
        assert!(!run(&ge, &entry(79, 1)));
        // not (dport = 80): the condition, then a jump past the end.
        let mut not = host(D_COND, AF_UNSPEC, 0, 80, &[]);
        not.extend(ops(&[(JMP, 4, 8)]));
        assert_eq!(audit(&not, false), Ok(()));
        assert!(!run(&not, &entry(1, 80)));
        assert!(run(&not, &entry(1, 81)));
    }

    #[test]
    fn addresses() {
        let net = host(S_COND, AF_INET, 8, -1, &[127, 0, 0, 0]);
        assert_eq!(audit(&net, false), Ok(()));
        assert!(run(&net, &entry(1, 1)));
        let other = host(S_COND, AF_INET, 8, -1, &[10, 0, 0, 0]);
        assert!(!run(&other, &entry(1, 1)));
        let mapped = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1];
        let e6 = Entry {
            family: AF_INET6,
            saddr: &mapped,
            daddr: &mapped,
            ..entry(1, 1)
        };
        assert!(run(&net, &e6));
        assert!(prefix_match(&[0xab, 0xcd], &[0xab, 0xc0], 12));
        assert!(!prefix_match(&[0xab, 0xcd], &[0xab, 0xc0], 13));
    }

    #[test]
    fn audit_rejects() {
        assert_eq!(audit(&[0, 4], false), Err(Errno::EINVAL));
        assert_eq!(audit(&ops(&[(99, 4, 8)]), false), Err(Errno::EINVAL));
        assert_eq!(audit(&ops(&[(S_GE, 6, 12)]), false), Err(Errno::EINVAL));
        assert_eq!(audit(&ops(&[(S_GE, 8, 12)]), false), Err(Errno::EINVAL));
        assert_eq!(audit(&ops(&[(JMP, 4, 12)]), false), Err(Errno::EINVAL));
        assert_eq!(
            audit(&host(S_COND, AF_INET, 33, 1, &[1, 2, 3, 4]), false),
            Err(Errno::EINVAL)
        );
        assert_eq!(
            audit(&host(S_COND, 99, 0, 1, &[]), false),
            Err(Errno::EINVAL)
        );
        let mark = ops(&[(MARK_COND, 12, 16), (0, 0, 0), (0, 0, 0)]);
        assert_eq!(audit(&mark, false), Err(Errno::EPERM));
        assert_eq!(audit(&mark, true), Ok(()));
        // A jump into the middle of an op.
        let mut inside = ops(&[(JMP, 4, 8)]);
        inside.extend(ops(&[(S_GE, 8, 12), (0, 0, 1)]));
        assert_eq!(audit(&inside, false), Err(Errno::EINVAL));
        assert_eq!(audit(&ops(&[(NOP, 4, 0), (NOP, 4, 0)]), false), Ok(()));
    }
}
