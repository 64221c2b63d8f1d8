//! Plain old data: the `#[repr(C)]` structures of Linux's user ABI, which the
//! kernel copies to and from guest memory as bytes. A type is `Pod` only if
//! every byte pattern is a valid value and it has no padding, so that viewing
//! it as bytes never reads uninitialised memory and building it from any bytes
//! is sound. Structures are declared with `pod_structs!`, which checks both
//! conditions when the crate compiles; they spell out Linux's padding as
//! named fields.

/// A type that can be copied to and from guest memory byte for byte.
///
/// # Safety
///
/// Implementors must be `#[repr(C)]` (or a primitive integer), have no padding
/// bytes, and accept every bit pattern as a valid value.
pub unsafe trait Pod: Copy + 'static {}

macro_rules! pod_primitive {
    ($($t:ty),*) => {$(
        // SAFETY: a primitive integer has no padding and every bit pattern is valid.
        unsafe impl Pod for $t {}
    )*};
}
pod_primitive!(u8, u16, u32, u64, i8, i16, i32, i64);

// SAFETY: an array of Pod values has no padding between elements (their size
// is a multiple of their alignment) and every bit pattern of each is valid.
unsafe impl<T: Pod, const N: usize> Pod for [T; N] {}

/// Returns the bytes of `v`.
pub fn as_bytes<T: Pod>(v: &T) -> &[u8] {
    // SAFETY: T is Pod, so all `size_of::<T>()` bytes behind the reference are
    // initialised (no padding); the slice borrows `v` for its lifetime.
    unsafe { std::slice::from_raw_parts((v as *const T).cast::<u8>(), std::mem::size_of::<T>()) }
}

/// Returns the bytes of `v` to fill in: any bytes written make a valid `T`.
pub fn as_bytes_mut<T: Pod>(v: &mut T) -> &mut [u8] {
    // SAFETY: T is Pod: all `size_of::<T>()` bytes behind the exclusive
    // reference are initialised (no padding) and any bytes written through
    // the slice leave a valid T; the slice borrows `v` exclusively.
    unsafe { std::slice::from_raw_parts_mut((v as *mut T).cast::<u8>(), std::mem::size_of::<T>()) }
}

/// Returns the bytes of the `T`s of `v`, one after the other.
pub fn slice_as_bytes<T: Pod>(v: &[T]) -> &[u8] {
    // SAFETY: T is Pod, so every byte of the slice's elements is initialised
    // (no padding, and none between elements: a size is a multiple of the
    // alignment); the length is the slice's in bytes, which cannot overflow
    // as the slice exists; the result borrows `v`.
    unsafe { std::slice::from_raw_parts(v.as_ptr().cast::<u8>(), std::mem::size_of_val(v)) }
}

/// Returns a `T` whose bytes are all zero (for structures too large to
/// derive `Default`).
pub fn zeroed<T: Pod>() -> T {
    // SAFETY: T is Pod, so every bit pattern, all zeroes included, is a
    // valid T.
    unsafe { std::mem::zeroed() }
}

/// Returns a `T` made of the first `size_of::<T>()` bytes of `b`; None if
/// `b` is shorter.
pub fn from_bytes<T: Pod>(b: &[u8]) -> Option<T> {
    if b.len() < std::mem::size_of::<T>() {
        return None;
    }
    // SAFETY: `b` holds at least size_of::<T>() readable bytes; T is Pod, so
    // any bytes make a valid value; read_unaligned needs no alignment.
    Some(unsafe { std::ptr::read_unaligned(b.as_ptr().cast::<T>()) })
}

/// Writes a variable-length record to `out`: `header`, then `name`, then
/// zeros to the end of `out` (Linux's getdents64 and inotify records). The
/// caller sizes `out` to hold both.
pub fn write_record<T: Pod>(out: &mut [u8], header: &T, name: &[u8]) {
    let h = as_bytes(header);
    out[..h.len()].copy_from_slice(h);
    out[h.len()..h.len() + name.len()].copy_from_slice(name);
    out[h.len() + name.len()..].fill(0);
}

/// Declares structures of Linux's user ABI: each becomes `#[repr(C)]` and
/// `Pod`, with both conditions of `Pod` checked when the crate compiles —
/// every field is `Pod`, and the structure's size is the sum of its fields'
/// sizes, so it has no padding (Linux's padding is spelled out as fields).
/// A structure that derives no `Default` (arrays longer than 32) implements
/// it by hand.
macro_rules! pod_structs {
    ($(
        $(#[$meta:meta])*
        pub struct $name:ident {
            $($(#[$fmeta:meta])* pub $field:ident: $ty:ty,)*
        }
    )*) => {$(
        $(#[$meta])*
        #[repr(C)]
        pub struct $name {
            $($(#[$fmeta])* pub $field: $ty,)*
        }

        const _: () = {
            const fn field_is_pod<T: $crate::abi::pod::Pod>() {}
            $(field_is_pod::<$ty>();)*
            assert!(
                ::core::mem::size_of::<$name>() == 0 $(+ ::core::mem::size_of::<$ty>())*,
                concat!("struct ", stringify!($name), " has padding"),
            );
        };

        // SAFETY: `#[repr(C)]`, every field is Pod and the size is the sum of
        // the fields' sizes (both checked at compile time just above): there
        // is no padding, and every bit pattern of every field is valid.
        unsafe impl $crate::abi::pod::Pod for $name {}
    )*};
}

pub(crate) use pod_structs;
