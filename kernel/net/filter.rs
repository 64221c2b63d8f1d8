//! Socket filters: classic BPF programs attached with SO_ATTACH_FILTER
//! (Linux's net/core/filter.c, Documentation/networking/filter.rst). A
//! program is checked once when attached (`check`, as `bpf_check_classic`:
//! known instructions, jumps inside the program, scratch memory written
//! before it is read, a return at the end) and then run on every packet
//! the socket would queue (`run`): 0 drops it, any other value keeps that
//! many bytes of it at most.
//!
//! Loads read big-endian words from the packet; offsets at or beyond
//! `SKF_LL_OFF` and `SKF_NET_OFF` are relative to the link-level and
//! network headers, and those from `SKF_AD_OFF` on read what the kernel
//! knows of the packet (its protocol, type, interface and link type).
//! A load outside the packet ends the program with 0, as does a division
//! by a zero X.
//!
//! The interpreter runs on any `BpfInput`: seccomp's filters run it on a
//! system call's `struct seccomp_data` (kernel/seccomp.rs).

use arch::abi::structs::{SockFilter, SockFprog};
use arch::{Errno, Result};

/// BPF_MAXINSNS: the longest program.
pub(crate) const MAX_INSNS: usize = 4096;
/// BPF_MEMWORDS: the scratch memory's words.
const MEM_WORDS: u32 = 16;

/// The instruction classes, sizes, modes, operations and sources.
mod op {
    pub const LD: u16 = 0x00;
    pub const LDX: u16 = 0x01;
    pub const ST: u16 = 0x02;
    pub const STX: u16 = 0x03;
    pub const ALU: u16 = 0x04;
    pub const JMP: u16 = 0x05;
    pub const RET: u16 = 0x06;
    pub const MISC: u16 = 0x07;

    pub const W: u16 = 0x00;
    pub const H: u16 = 0x08;
    pub const B: u16 = 0x10;

    pub const IMM: u16 = 0x00;
    pub const ABS: u16 = 0x20;
    pub const IND: u16 = 0x40;
    pub const MEM: u16 = 0x60;
    pub const LEN: u16 = 0x80;
    pub const MSH: u16 = 0xa0;

    pub const ADD: u16 = 0x00;
    pub const SUB: u16 = 0x10;
    pub const MUL: u16 = 0x20;
    pub const DIV: u16 = 0x30;
    pub const OR: u16 = 0x40;
    pub const AND: u16 = 0x50;
    pub const LSH: u16 = 0x60;
    pub const RSH: u16 = 0x70;
    pub const NEG: u16 = 0x80;
    pub const MOD: u16 = 0x90;
    pub const XOR: u16 = 0xa0;

    pub const JA: u16 = 0x00;
    pub const JEQ: u16 = 0x10;
    pub const JGT: u16 = 0x20;
    pub const JGE: u16 = 0x30;
    pub const JSET: u16 = 0x40;

    pub const K: u16 = 0x00;
    pub const X: u16 = 0x08;
    /// RET's A.
    pub const A: u16 = 0x10;

    pub const TAX: u16 = 0x00;
    pub const TXA: u16 = 0x80;
}

/// The offsets of the ancillary loads and of the header-relative ones.
const SKF_AD_OFF: i32 = -0x1000;
const SKF_NET_OFF: i32 = -0x100000;
const SKF_LL_OFF: i32 = -0x200000;
const AD_PROTOCOL: i32 = 0;
const AD_PKTTYPE: i32 = 4;
const AD_IFINDEX: i32 = 8;
const AD_MARK: i32 = 20;
const AD_QUEUE: i32 = 24;
const AD_HATYPE: i32 = 28;
const AD_RXHASH: i32 = 32;
const AD_CPU: i32 = 36;
const AD_ALU_XOR_X: i32 = 40;
const AD_VLAN_TAG: i32 = 44;
const AD_VLAN_TAG_PRESENT: i32 = 48;
const AD_RANDOM: i32 = 56;
const AD_VLAN_TPID: i32 = 60;
const AD_MAX: i32 = 64;

/// What a program reads: its loads and its length (BPF_LEN).
pub(crate) trait BpfInput {
    /// `LD ABS`: the `size` bytes at `k` (None ends the program with 0).
    /// `a` and `x` are the registers, for the ancillary loads.
    fn load_abs(&self, k: u32, size: usize, a: u32, x: u32) -> Option<u32>;
    /// `LD IND` and `LDX MSH`: the `size` bytes at `k`.
    fn load_ind(&self, k: u32, size: usize) -> Option<u32>;
    /// BPF_LEN.
    fn len(&self) -> u32;
}

/// A packet as a filter sees it.
pub(crate) struct Skb<'a> {
    /// The bytes from the link-level header on (or from the network
    /// header for packets without one).
    pub buf: &'a [u8],
    /// Where the packet the filter reads begins in `buf` (offset 0 of a
    /// load; its length is BPF_LEN).
    pub data: usize,
    /// Where the link-level and network headers begin in `buf`.
    pub mac: Option<usize>,
    pub net: Option<usize>,
    /// The link-level protocol (ETH_P_*), packet type, interface and
    /// link type.
    pub protocol: u16,
    pub pkt_type: u8,
    pub ifindex: i32,
    pub hatype: u16,
}

/// SO_ATTACH_FILTER, SO_DETACH_FILTER and SO_LOCK_FILTER (socket(7)).
pub(crate) const SO_ATTACH_FILTER: i32 = 26;
pub(crate) const SO_DETACH_FILTER: i32 = 27;
pub(crate) const SO_LOCK_FILTER: i32 = 44;

/// A socket's filter and whether SO_LOCK_FILTER froze it.
#[derive(Default)]
pub(crate) struct FilterSlot {
    pub filter: Option<std::sync::Arc<Vec<SockFilter>>>,
    pub locked: bool,
}

/// What one of the filter options asks, read and checked.
pub(crate) enum FilterOp {
    Attach(Vec<SockFilter>),
    Detach,
    Lock(bool),
}

/// Reads the value of filter option `name` (EINVAL for a short one, or a
/// `struct sock_fprog` of the wrong size; the program is checked before it
/// can replace the old one), as Linux's `sk_setsockopt`.
pub(crate) fn read_option(
    ctx: &crate::task::TrapContext,
    name: i32,
    val: u64,
    len: usize,
) -> Result<FilterOp> {
    if len < 4 {
        return Err(Errno::EINVAL);
    }
    let int = || crate::syscall::UserPtr::<i32>::new(val).read(ctx);
    Ok(match name {
        SO_ATTACH_FILTER => {
            if len != size_of::<SockFprog>() {
                return Err(Errno::EINVAL);
            }
            let prog = read_prog(ctx, val, || Ok(()))?;
            check(&prog)?;
            FilterOp::Attach(prog)
        }
        SO_DETACH_FILTER => {
            int()?;
            FilterOp::Detach
        }
        _ => FilterOp::Lock(int()? != 0),
    })
}

impl FilterSlot {
    /// Applies `op`: EPERM for any change once locked (a lock cannot be
    /// undone), ENOENT to detach no filter.
    pub(crate) fn apply(&mut self, op: FilterOp) -> Result<()> {
        if self.locked && !matches!(op, FilterOp::Lock(true)) {
            return Err(Errno::EPERM);
        }
        match op {
            FilterOp::Attach(p) => self.filter = Some(std::sync::Arc::new(p)),
            FilterOp::Detach => {
                self.filter.take().ok_or(Errno::ENOENT)?;
            }
            FilterOp::Lock(on) => self.locked = on,
        }
        Ok(())
    }
}

/// Reads the program a `struct sock_fprog` at `addr` describes (EINVAL for
/// an empty or overlong one; then `gate` may refuse it before its
/// instructions are read); it is not checked.
pub(crate) fn read_prog(
    ctx: &crate::task::TrapContext,
    addr: u64,
    gate: impl FnOnce() -> Result<()>,
) -> Result<Vec<SockFilter>> {
    let fprog = crate::syscall::UserPtr::<SockFprog>::new(addr).read(ctx)?;
    let n = usize::from(fprog.len);
    if n == 0 || n > MAX_INSNS {
        return Err(Errno::EINVAL);
    }
    gate()?;
    let mut raw = vec![0u8; n * size_of::<SockFilter>()];
    ctx.read_user(fprog.filter, &mut raw)?;
    Ok(raw
        .chunks_exact(size_of::<SockFilter>())
        .filter_map(arch::abi::pod::from_bytes)
        .collect())
}

/// Returns whether `code` is an instruction classic BPF has
/// (`chk_code_allowed`).
fn known(code: u16) -> bool {
    use op::*;
    let alu = [ADD, SUB, MUL, DIV, MOD, AND, OR, XOR, LSH, RSH];
    let jmp = [JEQ, JGT, JGE, JSET];
    match code & 0x07 {
        LD => {
            [LD | W | IMM, LD | W | MEM, LD | W | LEN].contains(&code)
                || [W, H, B]
                    .iter()
                    .any(|&s| code == LD | s | ABS || code == LD | s | IND)
        }
        LDX => [LDX | W | IMM, LDX | W | MEM, LDX | W | LEN, LDX | B | MSH].contains(&code),
        ST => code == ST,
        STX => code == STX,
        ALU => {
            code == ALU | NEG
                || alu
                    .iter()
                    .any(|&o| code == ALU | o | K || code == ALU | o | X)
        }
        JMP => {
            code == JMP | JA
                || jmp
                    .iter()
                    .any(|&o| code == JMP | o | K || code == JMP | o | X)
        }
        RET => code == RET | K || code == RET | A,
        _ => code == MISC | TAX || code == MISC | TXA,
    }
}

/// Checks a program as Linux does before attaching it: EINVAL for an
/// empty or overlong one, an unknown instruction, a division by a zero
/// constant, a shift by 32 or more, a scratch word out of range or read
/// before any path wrote it, a jump out of the program, or a last
/// instruction that does not return.
pub(crate) fn check(prog: &[SockFilter]) -> Result<()> {
    use op::*;
    let len = prog.len();
    if len == 0 || len > MAX_INSNS {
        return Err(Errno::EINVAL);
    }
    for (pc, i) in prog.iter().enumerate() {
        if !known(i.code) {
            return Err(Errno::EINVAL);
        }
        let class = i.code & 0x07;
        let k = i.k as usize;
        let bad = match i.code {
            c if c == ALU | DIV | K || c == ALU | MOD | K => i.k == 0,
            c if c == ALU | LSH | K || c == ALU | RSH | K => i.k >= 32,
            c if c == LD | W | MEM || c == LDX | W | MEM || c == ST || c == STX => i.k >= MEM_WORDS,
            c if c == JMP | JA => k >= len - pc - 1,
            _ if class == JMP => {
                pc + usize::from(i.jt) + 1 >= len || pc + usize::from(i.jf) + 1 >= len
            }
            _ => false,
        };
        if bad {
            return Err(Errno::EINVAL);
        }
    }
    let last = prog[len - 1].code;
    if last != RET | K && last != RET | A {
        return Err(Errno::EINVAL);
    }
    check_memory(prog)
}

/// Checks that every scratch word is written on every path before it is
/// read (`check_load_and_stores`).
fn check_memory(prog: &[SockFilter]) -> Result<()> {
    use op::*;
    let mut masks = vec![u16::MAX; prog.len()];
    let mut valid: u16 = 0;
    for (pc, i) in prog.iter().enumerate() {
        valid &= masks[pc];
        let class = i.code & 0x07;
        match i.code {
            c if c == ST || c == STX => valid |= 1 << i.k,
            c if (c == LD | W | MEM || c == LDX | W | MEM) && valid & (1 << i.k) == 0 => {
                return Err(Errno::EINVAL);
            }
            c if c == JMP | JA => {
                masks[pc + 1 + i.k as usize] &= valid;
                valid = u16::MAX;
            }
            _ if class == JMP => {
                masks[pc + 1 + usize::from(i.jt)] &= valid;
                masks[pc + 1 + usize::from(i.jf)] &= valid;
                valid = u16::MAX;
            }
            _ => {}
        }
    }
    Ok(())
}

impl Skb<'_> {
    /// Returns the `size` bytes at offset `k` (relative to the packet, or
    /// to a header for the negative offsets) as a big-endian number.
    fn load(&self, k: i32, size: usize) -> Option<u32> {
        let at = if k >= 0 {
            self.data.checked_add(k as usize)?
        } else if k >= SKF_NET_OFF {
            self.net?.checked_add((k - SKF_NET_OFF) as usize)?
        } else if k >= SKF_LL_OFF {
            self.mac?.checked_add((k - SKF_LL_OFF) as usize)?
        } else {
            return None;
        };
        let bytes = self.buf.get(at..at.checked_add(size)?)?;
        Some(bytes.iter().fold(0, |v, &b| v << 8 | u32::from(b)))
    }

    /// Returns an ancillary value (None: not one, a plain load).
    fn ancillary(&self, k: i32, a: u32, x: u32) -> Option<u32> {
        if !(SKF_AD_OFF..SKF_AD_OFF + AD_MAX).contains(&k) {
            return None;
        }
        Some(match k - SKF_AD_OFF {
            AD_PROTOCOL => u32::from(self.protocol),
            AD_PKTTYPE => u32::from(self.pkt_type),
            AD_IFINDEX => self.ifindex as u32,
            AD_HATYPE => u32::from(self.hatype),
            AD_MARK | AD_QUEUE | AD_RXHASH | AD_CPU | AD_VLAN_TAG | AD_VLAN_TAG_PRESENT
            | AD_VLAN_TPID => 0,
            AD_ALU_XOR_X => a ^ x,
            AD_RANDOM => {
                let mut b = [0u8; 4];
                arch::host::random::getrandom(&mut b);
                u32::from_ne_bytes(b)
            }
            // The others (netlink attributes, the payload's offset) are not
            // known here: the load fails and the packet is dropped.
            _ => return None,
        })
    }
}

impl BpfInput for Skb<'_> {
    fn load_abs(&self, k: u32, size: usize, a: u32, x: u32) -> Option<u32> {
        let off = k as i32;
        match self.ancillary(off, a, x) {
            Some(v) => Some(v),
            None if (SKF_AD_OFF..0).contains(&off) => None,
            None => self.load(off, size),
        }
    }

    fn load_ind(&self, k: u32, size: usize) -> Option<u32> {
        self.load(k as i32, size)
    }

    /// The packet's length.
    fn len(&self) -> u32 {
        self.buf.len().saturating_sub(self.data) as u32
    }
}

/// Runs a checked program on `skb` (a packet: returns how many bytes of it
/// to keep, 0 to drop it; or what else the program reads).
pub(crate) fn run(prog: &[SockFilter], skb: &impl BpfInput) -> u32 {
    use op::*;
    let (mut a, mut x) = (0u32, 0u32);
    let mut mem = [0u32; MEM_WORDS as usize];
    let mut pc = 0;
    while let Some(i) = prog.get(pc) {
        pc += 1;
        let k = i.k;
        let class = i.code & 0x07;
        match class {
            LD | LDX => {
                let size = match i.code & 0x18 {
                    W => 4,
                    H => 2,
                    _ => 1,
                };
                let v = match i.code & 0xe0 {
                    IMM => k,
                    MEM => mem[k as usize & 15],
                    LEN => skb.len(),
                    ABS if class == LD => match skb.load_abs(k, size, a, x) {
                        Some(v) => v,
                        None => return 0,
                    },
                    IND if class == LD => match skb.load_ind(x.wrapping_add(k), size) {
                        Some(v) => v,
                        None => return 0,
                    },
                    MSH => match skb.load_ind(k, 1) {
                        Some(v) => (v & 0xf) * 4,
                        None => return 0,
                    },
                    _ => return 0,
                };
                if class == LD {
                    a = v;
                } else {
                    x = v;
                }
            }
            ST => mem[k as usize & 15] = a,
            STX => mem[k as usize & 15] = x,
            ALU => {
                let src = if i.code & X != 0 { x } else { k };
                a = match i.code & 0xf0 {
                    ADD => a.wrapping_add(src),
                    SUB => a.wrapping_sub(src),
                    MUL => a.wrapping_mul(src),
                    DIV if src == 0 => return 0,
                    DIV => a / src,
                    MOD if src == 0 => return 0,
                    MOD => a % src,
                    OR => a | src,
                    AND => a & src,
                    XOR => a ^ src,
                    LSH => a.wrapping_shl(src & 31),
                    RSH => a.wrapping_shr(src & 31),
                    NEG => a.wrapping_neg(),
                    _ => return 0,
                };
            }
            JMP => {
                let src = if i.code & X != 0 { x } else { k };
                let taken = match i.code & 0xf0 {
                    JA => {
                        pc += k as usize;
                        continue;
                    }
                    JEQ => a == src,
                    JGT => a > src,
                    JGE => a >= src,
                    JSET => a & src != 0,
                    _ => return 0,
                };
                pc += usize::from(if taken { i.jt } else { i.jf });
            }
            RET => return if i.code & A != 0 { a } else { k },
            _ => {
                if i.code & TXA != 0 {
                    a = x;
                } else {
                    x = a;
                }
            }
        }
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn insn(code: u16, jt: u8, jf: u8, k: u32) -> SockFilter {
        SockFilter { code, jt, jf, k }
    }

    fn skb(buf: &[u8]) -> Skb<'_> {
        Skb {
            buf,
            data: 0,
            mac: Some(0),
            net: Some(14),
            protocol: 0x0800,
            pkt_type: 0,
            ifindex: 1,
            hatype: 772,
        }
    }

    /// `tcpdump -dd udp port 67` for Ethernet, shortened to IPv4.
    fn udp_port_67() -> Vec<SockFilter> {
        vec![
            insn(0x28, 0, 0, 12),      // ldh [12]
            insn(0x15, 0, 8, 0x0800),  // jeq IPv4
            insn(0x30, 0, 0, 23),      // ldb [23]
            insn(0x15, 0, 6, 17),      // jeq UDP
            insn(0x28, 0, 0, 20),      // ldh [20]
            insn(0x45, 4, 0, 0x1fff),  // jset fragment offset
            insn(0xb1, 0, 0, 14),      // ldxb 4*([14]&0xf)
            insn(0x48, 0, 0, 16),      // ldh [x + 16]
            insn(0x15, 0, 1, 67),      // jeq 67
            insn(0x06, 0, 0, 0x40000), // ret 262144
            insn(0x06, 0, 0, 0),       // ret 0
        ]
    }

    fn udp_frame(dport: u16) -> Vec<u8> {
        let mut f = vec![0u8; 14 + 20 + 8];
        f[12..14].copy_from_slice(&[0x08, 0x00]);
        f[14] = 0x45;
        f[23] = 17;
        f[36..38].copy_from_slice(&dport.to_be_bytes());
        f
    }

    #[test]
    fn a_filter_takes_and_drops() {
        let prog = udp_port_67();
        assert_eq!(check(&prog), Ok(()));
        assert_eq!(run(&prog, &skb(&udp_frame(67))), 0x40000);
        assert_eq!(run(&prog, &skb(&udp_frame(68))), 0);
        // Too short for the port: the load fails, the packet is dropped.
        assert_eq!(run(&prog, &skb(&udp_frame(67)[..30])), 0);
    }

    #[test]
    fn ancillary_and_header_relative_loads() {
        let f = udp_frame(67);
        let s = Skb {
            data: 14,
            ..skb(&f)
        };
        // ld protocol; ret a
        let prog = [insn(0x20, 0, 0, SKF_AD_OFF as u32), insn(0x16, 0, 0, 0)];
        assert_eq!(run(&prog, &s), 0x0800);
        // ldb [SKF_LL_OFF + 13]: the EtherType's low byte, before the data.
        let prog = [
            insn(0x30, 0, 0, (SKF_LL_OFF + 12) as u32),
            insn(0x16, 0, 0, 0),
        ];
        assert_eq!(run(&prog, &s), 8);
        // ldb [0] of the data is the IP header's first byte.
        let prog = [insn(0x30, 0, 0, 0), insn(0x16, 0, 0, 0)];
        assert_eq!(run(&prog, &s), 0x45);
        // len
        let prog = [insn(0x80, 0, 0, 0), insn(0x16, 0, 0, 0)];
        assert_eq!(run(&prog, &s), 28);
    }

    #[test]
    fn bad_programs_are_refused() {
        let ret = insn(0x06, 0, 0, 1);
        assert_eq!(check(&[]), Err(Errno::EINVAL));
        // No return at the end.
        assert_eq!(check(&[insn(0x00, 0, 0, 1)]), Err(Errno::EINVAL));
        // Unknown instruction.
        assert_eq!(check(&[insn(0xff, 0, 0, 0), ret]), Err(Errno::EINVAL));
        // Division by a zero constant.
        assert_eq!(check(&[insn(0x34, 0, 0, 0), ret]), Err(Errno::EINVAL));
        // Jump past the end.
        assert_eq!(check(&[insn(0x05, 0, 0, 1), ret]), Err(Errno::EINVAL));
        assert_eq!(check(&[insn(0x15, 1, 0, 0), ret]), Err(Errno::EINVAL));
        // Scratch memory read before written, and out of range.
        assert_eq!(check(&[insn(0x60, 0, 0, 3), ret]), Err(Errno::EINVAL));
        assert_eq!(check(&[insn(0x02, 0, 0, 16), ret]), Err(Errno::EINVAL));
        assert_eq!(
            check(&[insn(0x02, 0, 0, 3), insn(0x60, 0, 0, 3), ret]),
            Ok(())
        );
        let long = vec![ret; MAX_INSNS + 1];
        assert_eq!(check(&long), Err(Errno::EINVAL));
    }

    #[test]
    fn division_by_a_zero_x_drops() {
        // ldx #0; ld #5; div x; ret a
        let prog = [
            insn(0x01, 0, 0, 0),
            insn(0x00, 0, 0, 5),
            insn(0x3c, 0, 0, 0),
            insn(0x16, 0, 0, 0),
        ];
        assert_eq!(check(&prog), Ok(()));
        assert_eq!(run(&prog, &skb(&[0; 20])), 0);
    }
}
