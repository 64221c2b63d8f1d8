//! Tables written by sfdisk (util-linux) on a sparse file, then scanned.

use super::*;
use fs::RamDisk;
use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

const DISK_SECTORS: u64 = 64 * 2048; // 64 MiB

/// Writes the table `script` (sfdisk's input) to a fresh 64 MiB disk.
fn sfdisk(script: &str) -> Vec<u8> {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let path = std::env::temp_dir().join(format!(
        "partitions-{}-{}.img",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let f = std::fs::File::create(&path).expect("create disk file");
    f.set_len(DISK_SECTORS * SECTOR).expect("size disk file");
    drop(f);
    let mut child = Command::new("sfdisk")
        .args(["--quiet", "--no-reread", "--no-tell-kernel"])
        .arg(&path)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("sfdisk (util-linux's fdisk package) is needed by these tests");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(script.as_bytes())
        .expect("write script");
    assert!(
        child.wait().expect("wait sfdisk").success(),
        "sfdisk failed"
    );
    let data = std::fs::read(&path).expect("read disk");
    let _ = std::fs::remove_file(&path);
    data
}

fn parts(data: Vec<u8>) -> Vec<(u32, u64, u64)> {
    let sectors = data.len() as u64 / SECTOR;
    scan(&RamDisk::new(data, true), sectors, "test")
        .into_iter()
        .map(|p| (p.number, p.start, p.sectors))
        .collect()
}

const DOS: &str = "label: dos\n\
    start=2048, size=8192, type=83\n\
    start=10240, size=40960, type=5\n\
    start=51200, size=4096, type=83\n\
    start=12288, size=4096, type=83\n\
    start=18432, size=8192, type=82\n";

#[test]
fn dos_primaries_extended_and_logicals() {
    assert_eq!(
        parts(sfdisk(DOS)),
        vec![
            (1, 2048, 8192),
            (2, 10240, 2),
            (3, 51200, 4096),
            (5, 12288, 4096),
            (6, 18432, 8192),
        ]
    );
}

const GPT: &str = "label: gpt\n\
    start=2048, size=8192, name=boot\n\
    start=10240, size=20480, name=root\n\
    start=30720, size=4096\n";

#[test]
fn gpt_entries_with_names() {
    let data = sfdisk(GPT);
    let sectors = data.len() as u64 / SECTOR;
    let found = scan(&RamDisk::new(data, true), sectors, "test");
    let names: Vec<_> = found.iter().map(|p| p.name.clone()).collect();
    assert_eq!(
        names,
        vec![Some("boot".to_string()), Some("root".to_string()), None]
    );
    let found: Vec<_> = found
        .iter()
        .map(|p| (p.number, p.start, p.sectors))
        .collect();
    assert_eq!(
        found,
        vec![(1, 2048, 8192), (2, 10240, 20480), (3, 30720, 4096)]
    );
}

#[test]
fn gpt_backup_header_when_the_primary_is_corrupt() {
    let good = parts(sfdisk(GPT));
    let mut data = sfdisk(GPT);
    data[512 + 40] ^= 0xff; // first_usable: the header CRC no longer matches
    assert_eq!(parts(data.clone()), good);
    // Both headers bad: no table at all.
    let last = data.len() - 512;
    data[last] ^= 0xff;
    assert_eq!(parts(data), vec![]);
}

#[test]
fn no_signature_no_partitions() {
    assert_eq!(parts(vec![0u8; 1 << 20]), vec![]);
}

#[test]
fn partitions_past_the_end_are_cut_or_dropped() {
    let mut data = vec![0u8; 4096 * 512];
    data[510] = 0x55;
    data[511] = 0xaa;
    let mut entry = |i: usize, ty: u8, start: u32, len: u32| {
        let e = MBR_TABLE + 16 * i;
        data[e + 4] = ty;
        data[e + 8..e + 12].copy_from_slice(&start.to_le_bytes());
        data[e + 12..e + 16].copy_from_slice(&len.to_le_bytes());
    };
    entry(0, 0x83, 2048, 100_000);
    entry(1, 0x83, 9000, 10);
    assert_eq!(parts(data), vec![(1, 2048, 2048)]);
}

#[test]
fn a_looping_extended_chain_stops() {
    let mut data = vec![0u8; 8192 * 512];
    let put = |data: &mut Vec<u8>, sector: usize, i: usize, ty: u8, start: u32, len: u32| {
        let base = sector * 512;
        data[base + 510] = 0x55;
        data[base + 511] = 0xaa;
        let e = base + MBR_TABLE + 16 * i;
        data[e + 4] = ty;
        data[e + 8..e + 12].copy_from_slice(&start.to_le_bytes());
        data[e + 12..e + 16].copy_from_slice(&len.to_le_bytes());
    };
    put(&mut data, 0, 0, 0x05, 1000, 4000);
    // EBR at 1000: a logical partition, then a link back to itself.
    put(&mut data, 1000, 0, 0x83, 10, 100);
    put(&mut data, 1000, 1, 0x05, 0, 100);
    assert_eq!(parts(data.clone()), vec![(1, 1000, 2), (5, 1010, 100)]);
    // A link to an earlier record loops too.
    put(&mut data, 1000, 1, 0x05, 500, 100);
    put(&mut data, 1500, 0, 0x83, 10, 100);
    put(&mut data, 1500, 1, 0x05, 0, 0);
    assert_eq!(
        parts(data),
        vec![(1, 1000, 2), (5, 1010, 100), (6, 1510, 100)]
    );
}

#[test]
fn flipped_bytes_never_panic() {
    let dos = sfdisk(DOS);
    let gpt = sfdisk(GPT);
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for round in 0..400 {
        let mut data = if round % 2 == 0 {
            dos.clone()
        } else {
            gpt.clone()
        };
        for _ in 0..8 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            // Flip bytes in the tables: the MBR, GPT header and entries, EBRs.
            let region = [0usize, 512, 1024, 10240 * 512, 12288 * 512][(seed % 5) as usize];
            let at = region + ((seed >> 8) % 1024) as usize;
            data[at] ^= (seed >> 24) as u8 | 1;
        }
        let _ = parts(data);
    }
}
