//! The name hashes of htree directories (Documentation/filesystems/ext4/
//! directory.rst): the legacy hash, half-MD4 and TEA, each over name bytes taken
//! as signed or unsigned chars (the superblock's hash flags say which), seeded
//! with `s_hash_seed`. The low bit of a hash is always clear: in an index it
//! marks a collision run that continues in the next block.

/// `dx_root_info.hash_version` values; `UNSIGNED` is added when the
/// superblock says names hash as unsigned chars.
pub(super) const DX_HASH_LEGACY: u8 = 0;
pub(super) const DX_HASH_HALF_MD4: u8 = 1;
pub(super) const DX_HASH_TEA: u8 = 2;
pub(super) const DX_HASH_UNSIGNED: u8 = 3;

/// Returns byte `b` as the C `char` the hash reads: sign-extended or not.
fn ch(b: u8, signed: bool) -> u32 {
    if signed {
        b as i8 as i32 as u32
    } else {
        b as u32
    }
}

fn legacy(name: &[u8], signed: bool) -> u32 {
    let (mut h0, mut h1) = (0x12a3_fe2du32, 0x37ab_e8f9u32);
    for &b in name {
        let mut h = h1.wrapping_add(h0 ^ ch(b, signed).wrapping_mul(7_152_373));
        if h & 0x8000_0000 != 0 {
            h = h.wrapping_sub(0x7fff_ffff);
        }
        h1 = h0;
        h0 = h;
    }
    h0 << 1
}

/// Packs up to `out.len() * 4` bytes of `msg` (of which `len` remain) into
/// words, padded with the remaining length.
fn str2hashbuf(msg: &[u8], out: &mut [u32], signed: bool) {
    let len = msg.len() as u32;
    let mut pad = len | (len << 8);
    pad |= pad << 16;
    let mut val = pad;
    let take = msg.len().min(out.len() * 4);
    let mut words = out.iter_mut();
    for (i, &b) in msg[..take].iter().enumerate() {
        val = ch(b, signed).wrapping_add(val << 8);
        if i % 4 == 3 {
            if let Some(w) = words.next() {
                *w = val;
            }
            val = pad;
        }
    }
    if !take.is_multiple_of(4) || take == 0 {
        if let Some(w) = words.next() {
            *w = val;
        }
    }
    for w in words {
        *w = pad;
    }
}

fn half_md4(buf: &mut [u32; 4], input: &[u32; 8]) {
    let f = |x: u32, y: u32, z: u32| z ^ (x & (y ^ z));
    let g = |x: u32, y: u32, z: u32| (x & y).wrapping_add((x ^ y) & z);
    let h = |x: u32, y: u32, z: u32| x ^ y ^ z;
    let [mut a, mut b, mut c, mut d] = *buf;
    let round = |func: &dyn Fn(u32, u32, u32) -> u32,
                 a: &mut u32,
                 b: u32,
                 c: u32,
                 d: u32,
                 x: u32,
                 s: u32| {
        *a = a.wrapping_add(func(b, c, d)).wrapping_add(x).rotate_left(s);
    };
    const K2: u32 = 0o13240474631;
    const K3: u32 = 0o15666365641;
    for i in [0usize, 4] {
        round(&f, &mut a, b, c, d, input[i], 3);
        round(&f, &mut d, a, b, c, input[i + 1], 7);
        round(&f, &mut c, d, a, b, input[i + 2], 11);
        round(&f, &mut b, c, d, a, input[i + 3], 19);
    }
    for i in [1usize, 0] {
        round(&g, &mut a, b, c, d, input[i].wrapping_add(K2), 3);
        round(&g, &mut d, a, b, c, input[i + 2].wrapping_add(K2), 5);
        round(&g, &mut c, d, a, b, input[i + 4].wrapping_add(K2), 9);
        round(&g, &mut b, c, d, a, input[i + 6].wrapping_add(K2), 13);
    }
    for i in [0usize, 1] {
        round(&h, &mut a, b, c, d, input[3 - 2 * i].wrapping_add(K3), 3);
        round(&h, &mut d, a, b, c, input[7 - 2 * i].wrapping_add(K3), 9);
        round(&h, &mut c, d, a, b, input[2 - 2 * i].wrapping_add(K3), 11);
        round(&h, &mut b, c, d, a, input[6 - 2 * i].wrapping_add(K3), 15);
    }
    buf[0] = buf[0].wrapping_add(a);
    buf[1] = buf[1].wrapping_add(b);
    buf[2] = buf[2].wrapping_add(c);
    buf[3] = buf[3].wrapping_add(d);
}

fn tea(buf: &mut [u32; 4], input: &[u32; 4]) {
    let (mut b0, mut b1) = (buf[0], buf[1]);
    let [a, b, c, d] = *input;
    let mut sum = 0u32;
    for _ in 0..16 {
        sum = sum.wrapping_add(0x9E37_79B9);
        b0 = b0.wrapping_add(
            (b1 << 4).wrapping_add(a) ^ b1.wrapping_add(sum) ^ (b1 >> 5).wrapping_add(b),
        );
        b1 = b1.wrapping_add(
            (b0 << 4).wrapping_add(c) ^ b0.wrapping_add(sum) ^ (b0 >> 5).wrapping_add(d),
        );
    }
    buf[0] = buf[0].wrapping_add(b0);
    buf[1] = buf[1].wrapping_add(b1);
}

/// Returns the (major) hash of `name` for hash version `version` (with
/// `DX_HASH_UNSIGNED` added for unsigned chars) and seed `seed`; `None` for
/// an unknown version.
pub(super) fn dx_hash(name: &[u8], version: u8, seed: &[u32; 4]) -> Option<u32> {
    let signed = version < DX_HASH_UNSIGNED;
    let mut buf = if seed.iter().any(|&s| s != 0) {
        *seed
    } else {
        [0x6745_2301, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476]
    };
    let hash = match version % DX_HASH_UNSIGNED {
        DX_HASH_LEGACY => legacy(name, signed),
        DX_HASH_HALF_MD4 => {
            let mut rest = name;
            loop {
                let mut input = [0u32; 8];
                str2hashbuf(rest, &mut input, signed);
                half_md4(&mut buf, &input);
                if rest.len() <= 32 {
                    break;
                }
                rest = &rest[32..];
            }
            buf[1]
        }
        DX_HASH_TEA => {
            let mut rest = name;
            loop {
                let mut input = [0u32; 4];
                str2hashbuf(rest, &mut input, signed);
                tea(&mut buf, &input);
                if rest.len() <= 16 {
                    break;
                }
                rest = &rest[16..];
            }
            buf[0]
        }
        _ => return None,
    };
    let hash = hash & !1;
    Some(if hash == 0x7fff_ffff << 1 {
        (0x7fff_ffff - 1) << 1
    } else {
        hash
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values from e2fsprogs: `debugfs -R "dx_hash -h N -s SEED NAME"`.
    #[test]
    fn matches_e2fsprogs() {
        // The seed 4d4ce01b-d5ba-43e7-ade3-3a0d5831cb31 as s_hash_seed words.
        let seed = [0x1be0_4c4d, 0xe743_bad5, 0x0d3a_e3ad, 0x31cb_3158];
        let odd: &[u8] = &[b'c', b'a', b'f', 0xc3, 0xa9, b'_', 0xff, 0x80];
        let long = b"this_name_is_longer_than_thirty_two_bytes_for_sure_yes_0123456789";
        let cases: &[(&[u8], u8, u32)] = &[
            (b"a", 0, 0xe74b53e2),
            (b"hello", 0, 0x32252546),
            (odd, 0, 0x24f5a452),
            (odd, 3, 0xdb482c16),
            (b"a", 1, 0x6d71fd58),
            (b"hello", 1, 0x6c29690c),
            (b"entry_with_a_longish_name_00042", 1, 0x9dcd9562),
            (odd, 1, 0x3bf57f7e),
            (odd, 4, 0x6b10803e),
            (long, 1, 0x4b6d07cc),
            (b"a", 2, 0x23cd4fde),
            (b"hello", 2, 0x8937337e),
            (odd, 2, 0x6f65fbf0),
            (odd, 5, 0x82ae054c),
            (long, 2, 0xcf44e6b4),
        ];
        for &(name, version, want) in cases {
            let got = dx_hash(name, version, &seed);
            assert_eq!(
                got,
                Some(want),
                "{:?} version {version}",
                String::from_utf8_lossy(name)
            );
        }
        // No seed: the MD4 initial values.
        assert_eq!(dx_hash(b"hello", 1, &[0; 4]), Some(0x1746da32));
    }
}
