//! CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), table-driven, as ext4's
//! `metadata_csum` and jbd2 use it. ext4 chains the raw register without the final
//! inversion (`ext4_chksum`), so both forms are offered. Also the IEEE 802.3
//! CRC-32 (reflected polynomial 0xEDB88320) that GPT partition tables carry.

const POLY: u32 = 0x82F6_3B78;
const POLY_IEEE: u32 = 0xEDB8_8320;

const TABLE: [u32; 256] = make_table(POLY);
const TABLE_IEEE: [u32; 256] = make_table(POLY_IEEE);

const fn make_table(poly: u32) -> [u32; 256] {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = i as u32;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ poly
            } else {
                crc >> 1
            };
            bit += 1;
        }
        table[i] = crc;
        i += 1;
    }
    table
}

/// Returns the CRC register after feeding `data` into register value `crc`, without
/// any inversion (Linux's `crc32c(crc, data, len)`, which ext4 chains).
pub fn crc32c_update(mut crc: u32, data: &[u8]) -> u32 {
    for &b in data {
        crc = TABLE[((crc ^ b as u32) & 0xff) as usize] ^ (crc >> 8);
    }
    crc
}

/// Returns the standard CRC-32C of `data` (initial value and final xor all ones).
pub fn crc32c(data: &[u8]) -> u32 {
    !crc32c_update(!0, data)
}

/// Returns the IEEE 802.3 CRC-32 of `data` (zlib's `crc32`, GPT's checksum).
pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc = TABLE_IEEE[((crc ^ b as u32) & 0xff) as usize] ^ (crc >> 8);
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_vectors() {
        assert_eq!(crc32c(b"123456789"), 0xE306_9283);
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
        assert_eq!(crc32c(b""), 0);
        // RFC 3720 (iSCSI) B.4: 32 bytes of zeroes.
        assert_eq!(crc32c(&[0u8; 32]), 0x8A91_36AA);
        // Chaining equals one pass.
        let c = crc32c_update(crc32c_update(!0, b"1234"), b"56789");
        assert_eq!(!c, 0xE306_9283);
    }
}
