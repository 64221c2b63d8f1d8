//! Linux's errno values (include/uapi/asm-generic/errno-base.h and errno.h), as the
//! one error type every crate of the kernel returns. A system call's `Err(e)` becomes
//! `-(e as i64)` in exactly one place, the syscall dispatcher.

/// A Linux error number. The discriminants are Linux's x86_64 values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(i32)]
#[allow(clippy::upper_case_acronyms)]
pub enum Errno {
    EPERM = 1,
    ENOENT = 2,
    ESRCH = 3,
    EINTR = 4,
    EIO = 5,
    ENXIO = 6,
    E2BIG = 7,
    ENOEXEC = 8,
    EBADF = 9,
    ECHILD = 10,
    EAGAIN = 11,
    ENOMEM = 12,
    EACCES = 13,
    EFAULT = 14,
    ENOTBLK = 15,
    EBUSY = 16,
    EEXIST = 17,
    EXDEV = 18,
    ENODEV = 19,
    ENOTDIR = 20,
    EISDIR = 21,
    EINVAL = 22,
    ENFILE = 23,
    EMFILE = 24,
    ENOTTY = 25,
    ETXTBSY = 26,
    EFBIG = 27,
    ENOSPC = 28,
    ESPIPE = 29,
    EROFS = 30,
    EMLINK = 31,
    EPIPE = 32,
    EDOM = 33,
    ERANGE = 34,
    EDEADLK = 35,
    ENAMETOOLONG = 36,
    ENOLCK = 37,
    ENOSYS = 38,
    ENOTEMPTY = 39,
    ELOOP = 40,
    ENOMSG = 42,
    EIDRM = 43,
    ENODATA = 61,
    ETIME = 62,
    EOVERFLOW = 75,
    EBADFD = 77,
    ELIBBAD = 80,
    EILSEQ = 84,
    ERESTART = 85,
    EUSERS = 87,
    ENOTSOCK = 88,
    EDESTADDRREQ = 89,
    EMSGSIZE = 90,
    EPROTOTYPE = 91,
    ENOPROTOOPT = 92,
    EPROTONOSUPPORT = 93,
    ESOCKTNOSUPPORT = 94,
    EOPNOTSUPP = 95,
    EAFNOSUPPORT = 97,
    EADDRINUSE = 98,
    EADDRNOTAVAIL = 99,
    ENETDOWN = 100,
    ENETUNREACH = 101,
    ECONNABORTED = 103,
    ECONNRESET = 104,
    ENOBUFS = 105,
    EISCONN = 106,
    ENOTCONN = 107,
    ETOOMANYREFS = 109,
    ETIMEDOUT = 110,
    ECONNREFUSED = 111,
    EHOSTUNREACH = 113,
    EALREADY = 114,
    EINPROGRESS = 115,
    ESTALE = 116,
    EUCLEAN = 117,
    EDQUOT = 122,
    ECANCELED = 125,
    EOWNERDEAD = 130,
    ENOTRECOVERABLE = 131,
    /// Kernel-internal: restart the system call if the handler has `SA_RESTART`.
    ERESTARTSYS = 512,
    /// Kernel-internal: restart the system call unconditionally.
    ERESTARTNOINTR = 513,
    /// Kernel-internal: restart only if no handler ran (else EINTR).
    ERESTARTNOHAND = 514,
    /// Kernel-internal: resume through `restart_syscall` if no handler ran.
    #[allow(non_camel_case_types, reason = "Linux's name")]
    ERESTART_RESTARTBLOCK = 516,
}

/// `EWOULDBLOCK` is `EAGAIN` on Linux.
pub const EWOULDBLOCK: Errno = Errno::EAGAIN;
/// `ENOTSUP` is `EOPNOTSUPP` on Linux.
pub const ENOTSUP: Errno = Errno::EOPNOTSUPP;
/// ext4 reports corruption as `EFSCORRUPTED`, which is `EUCLEAN`.
pub const EFSCORRUPTED: Errno = Errno::EUCLEAN;

impl Errno {
    /// Returns the positive errno number.
    pub fn as_i32(self) -> i32 {
        self as i32
    }

    /// Returns the value a system call returns to user space for this error.
    pub fn as_syscall_return(self) -> u64 {
        (-(self as i64)) as u64
    }
}

impl Errno {
    /// Returns the error with Linux's number `n` (as a host call reports
    /// it), None for a number this kernel has no name for.
    pub fn from_raw(n: i32) -> Option<Errno> {
        Some(match n {
            1 => Errno::EPERM,
            2 => Errno::ENOENT,
            3 => Errno::ESRCH,
            4 => Errno::EINTR,
            5 => Errno::EIO,
            6 => Errno::ENXIO,
            7 => Errno::E2BIG,
            8 => Errno::ENOEXEC,
            9 => Errno::EBADF,
            10 => Errno::ECHILD,
            11 => Errno::EAGAIN,
            12 => Errno::ENOMEM,
            13 => Errno::EACCES,
            14 => Errno::EFAULT,
            15 => Errno::ENOTBLK,
            16 => Errno::EBUSY,
            17 => Errno::EEXIST,
            18 => Errno::EXDEV,
            19 => Errno::ENODEV,
            20 => Errno::ENOTDIR,
            21 => Errno::EISDIR,
            22 => Errno::EINVAL,
            23 => Errno::ENFILE,
            24 => Errno::EMFILE,
            25 => Errno::ENOTTY,
            26 => Errno::ETXTBSY,
            27 => Errno::EFBIG,
            28 => Errno::ENOSPC,
            29 => Errno::ESPIPE,
            30 => Errno::EROFS,
            31 => Errno::EMLINK,
            32 => Errno::EPIPE,
            33 => Errno::EDOM,
            34 => Errno::ERANGE,
            35 => Errno::EDEADLK,
            36 => Errno::ENAMETOOLONG,
            37 => Errno::ENOLCK,
            38 => Errno::ENOSYS,
            39 => Errno::ENOTEMPTY,
            40 => Errno::ELOOP,
            42 => Errno::ENOMSG,
            43 => Errno::EIDRM,
            61 => Errno::ENODATA,
            62 => Errno::ETIME,
            75 => Errno::EOVERFLOW,
            77 => Errno::EBADFD,
            80 => Errno::ELIBBAD,
            84 => Errno::EILSEQ,
            85 => Errno::ERESTART,
            87 => Errno::EUSERS,
            88 => Errno::ENOTSOCK,
            89 => Errno::EDESTADDRREQ,
            90 => Errno::EMSGSIZE,
            91 => Errno::EPROTOTYPE,
            92 => Errno::ENOPROTOOPT,
            93 => Errno::EPROTONOSUPPORT,
            94 => Errno::ESOCKTNOSUPPORT,
            95 => Errno::EOPNOTSUPP,
            97 => Errno::EAFNOSUPPORT,
            98 => Errno::EADDRINUSE,
            99 => Errno::EADDRNOTAVAIL,
            100 => Errno::ENETDOWN,
            101 => Errno::ENETUNREACH,
            103 => Errno::ECONNABORTED,
            104 => Errno::ECONNRESET,
            105 => Errno::ENOBUFS,
            106 => Errno::EISCONN,
            107 => Errno::ENOTCONN,
            109 => Errno::ETOOMANYREFS,
            110 => Errno::ETIMEDOUT,
            111 => Errno::ECONNREFUSED,
            113 => Errno::EHOSTUNREACH,
            114 => Errno::EALREADY,
            115 => Errno::EINPROGRESS,
            116 => Errno::ESTALE,
            117 => Errno::EUCLEAN,
            122 => Errno::EDQUOT,
            125 => Errno::ECANCELED,
            130 => Errno::EOWNERDEAD,
            131 => Errno::ENOTRECOVERABLE,
            _ => return None,
        })
    }
}

impl core::fmt::Display for Errno {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{:?}", self)
    }
}

impl std::error::Error for Errno {}

/// The kernel's result type.
pub type Result<T, E = Errno> = core::result::Result<T, E>;
