//! The kernel's own heap, as the host's C library manages it: freed memory
//! normally stays with the allocator's arenas (one per host thread that
//! allocated), so memory the guest made the kernel allocate and then freed
//! would keep counting against the host. `trim` hands every free page of
//! every arena back to the host.

/// Returns the free pages of the kernel's heap to the host (glibc's
/// `malloc_trim(0)`, which releases whole free pages inside every arena,
/// not only at its top).
pub fn trim() {
    // SAFETY: malloc_trim only reorganises the allocator's free lists under
    // its own arena locks; it touches no memory the program owns.
    unsafe {
        libc::malloc_trim(0);
    }
}
