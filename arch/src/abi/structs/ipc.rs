//! System V IPC (svipc(7)): the x86_64 `struct ipc64_perm` and the
//! `*64_ds` structures shmctl(2), semctl(2) and msgctl(2) exchange, their
//! `IPC_INFO`/`*_INFO` structures, and semop(2)'s `struct sembuf`.

use crate::abi::pod::pod_structs;

pod_structs! {
    /// `struct ipc64_perm`: the owner, creator and mode of an IPC object.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct IpcPerm64 {
        pub key: i32,
        pub uid: u32,
        pub gid: u32,
        pub cuid: u32,
        pub cgid: u32,
        pub mode: u32,
        pub seq: u16,
        pub __pad2: u16,
        pub __pad3: u32,
        pub __unused1: u64,
        pub __unused2: u64,
    }

    /// `struct shmid64_ds` of x86_64.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct ShmidDs {
        pub shm_perm: IpcPerm64,
        pub shm_segsz: u64,
        pub shm_atime: i64,
        pub shm_dtime: i64,
        pub shm_ctime: i64,
        pub shm_cpid: i32,
        pub shm_lpid: i32,
        pub shm_nattch: u64,
        pub __unused4: u64,
        pub __unused5: u64,
    }

    /// `struct shminfo64` (shmctl's IPC_INFO).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct ShmInfo64 {
        pub shmmax: u64,
        pub shmmin: u64,
        pub shmmni: u64,
        pub shmseg: u64,
        pub shmall: u64,
        pub __unused: [u64; 4],
    }

    /// `struct shm_info` (shmctl's SHM_INFO).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct ShmUsage {
        pub used_ids: i32,
        pub __pad: u32,
        pub shm_tot: u64,
        pub shm_rss: u64,
        pub shm_swp: u64,
        pub swap_attempts: u64,
        pub swap_successes: u64,
    }

    /// `struct semid64_ds` of x86_64.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct SemidDs {
        pub sem_perm: IpcPerm64,
        pub sem_otime: i64,
        pub __unused1: u64,
        pub sem_ctime: i64,
        pub __unused2: u64,
        pub sem_nsems: u64,
        pub __unused3: u64,
        pub __unused4: u64,
    }

    /// `struct seminfo` (semctl's IPC_INFO and SEM_INFO).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct SemInfo {
        pub semmap: i32,
        pub semmni: i32,
        pub semmns: i32,
        pub semmnu: i32,
        pub semmsl: i32,
        pub semopm: i32,
        pub semume: i32,
        pub semusz: i32,
        pub semvmx: i32,
        pub semaem: i32,
    }

    /// `struct sembuf`: one operation of semop(2).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct Sembuf {
        pub sem_num: u16,
        pub sem_op: i16,
        pub sem_flg: i16,
    }

    /// `struct msqid64_ds` of x86_64.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct MsqidDs {
        pub msg_perm: IpcPerm64,
        pub msg_stime: i64,
        pub msg_rtime: i64,
        pub msg_ctime: i64,
        pub msg_cbytes: u64,
        pub msg_qnum: u64,
        pub msg_qbytes: u64,
        pub msg_lspid: i32,
        pub msg_lrpid: i32,
        pub __unused4: u64,
        pub __unused5: u64,
    }

    /// `struct msginfo` (msgctl's IPC_INFO and MSG_INFO).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct MsgInfo {
        pub msgpool: i32,
        pub msgmap: i32,
        pub msgmax: i32,
        pub msgmnb: i32,
        pub msgmni: i32,
        pub msgssz: i32,
        pub msgtql: i32,
        pub msgseg: u16,
        pub __pad: u16,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::{offset_of, size_of};

    #[test]
    fn layouts_match_the_c_library() {
        assert_eq!(size_of::<IpcPerm64>(), size_of::<libc::ipc_perm>());
        assert_eq!(size_of::<ShmidDs>(), size_of::<libc::shmid_ds>());
        assert_eq!(
            offset_of!(ShmidDs, shm_nattch),
            offset_of!(libc::shmid_ds, shm_nattch)
        );
        assert_eq!(size_of::<MsqidDs>(), size_of::<libc::msqid_ds>());
        assert_eq!(
            offset_of!(MsqidDs, msg_qbytes),
            offset_of!(libc::msqid_ds, msg_qbytes)
        );
        assert_eq!(size_of::<Sembuf>(), size_of::<libc::sembuf>());
        assert_eq!(size_of::<SemidDs>(), 104);
        assert_eq!(size_of::<ShmInfo64>(), 72);
        assert_eq!(size_of::<ShmUsage>(), 48);
        assert_eq!(size_of::<SemInfo>(), 40);
        assert_eq!(size_of::<MsgInfo>(), 32);
    }
}
