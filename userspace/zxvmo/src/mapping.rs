//! `Mapping`: a VMO mapped into this process, unmapped on drop.

use std::os::fd::{AsRawFd, BorrowedFd};
use std::ptr::NonNull;

use crate::Status;

bitflags::bitflags! {
    /// Protections of a mapping (`zx_vm_option_t`'s permission bits).
    #[repr(transparent)]
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct VmarFlags: u32 {
        /// `ZX_VM_PERM_READ`: needs [`Rights::READ`](crate::Rights::READ).
        const PERM_READ = 1 << 0;
        /// `ZX_VM_PERM_WRITE`: needs [`Rights::WRITE`](crate::Rights::WRITE).
        const PERM_WRITE = 1 << 1;
        /// `ZX_VM_PERM_EXECUTE`: needs [`Rights::EXECUTE`](crate::Rights::EXECUTE).
        const PERM_EXECUTE = 1 << 2;
    }
}

/// A shared mapping of a VMO. Dropping it unmaps it.
///
/// Accessors check bounds and alignment and use volatile accesses, so they
/// suit device registers (physical VMOs) as well as memory other processes
/// share; they return `OUT_OF_RANGE` or `INVALID_ARGS` instead of
/// panicking.
///
/// # Invariants
///
/// `ptr` is the start of a live `len`-byte mapping this value owns.
#[derive(Debug)]
pub struct Mapping {
    ptr: NonNull<u8>,
    len: usize,
}

// SAFETY: The mapping is plain memory owned by this value; every access
// goes through volatile reads and writes, which are sound from any thread.
unsafe impl Send for Mapping {}
// SAFETY: As above; shared references only perform volatile accesses.
unsafe impl Sync for Mapping {}

impl Mapping {
    /// Maps `len` bytes of `fd` at `offset`: where the kernel chooses, or
    /// at exactly `at` (never over an existing mapping).
    pub(crate) fn new(
        fd: BorrowedFd<'_>,
        at: Option<usize>,
        offset: u64,
        len: usize,
        flags: VmarFlags,
    ) -> Result<Mapping, Status> {
        if len == 0 || !flags.difference(VmarFlags::all()).is_empty() {
            return Err(Status::INVALID_ARGS);
        }
        // The module refuses these too; checking here keeps the answer the
        // same on kernels whose VFS refuses PROT_EXEC first (below).
        if flags.intersects(VmarFlags::PERM_WRITE | VmarFlags::PERM_EXECUTE)
            && !flags.contains(VmarFlags::PERM_READ)
        {
            return Err(Status::INVALID_ARGS);
        }
        let (addr, fixed) = match at {
            Some(a) if a % page_size() != 0 => return Err(Status::INVALID_ARGS),
            Some(a) => (a as *mut libc::c_void, libc::MAP_FIXED_NOREPLACE),
            None => (std::ptr::null_mut(), 0),
        };
        let offset = libc::off_t::try_from(offset).map_err(|_| Status::OUT_OF_RANGE)?;
        let mut prot = libc::PROT_NONE;
        if flags.contains(VmarFlags::PERM_READ) {
            prot |= libc::PROT_READ;
        }
        if flags.contains(VmarFlags::PERM_WRITE) {
            prot |= libc::PROT_WRITE;
        }
        if flags.contains(VmarFlags::PERM_EXECUTE) {
            prot |= libc::PROT_EXEC;
        }
        // SAFETY: A fresh shared mapping at an address the kernel picks; it
        // aliases no Rust object.
        let p = unsafe {
            libc::mmap(
                addr,
                len,
                prot,
                libc::MAP_SHARED | fixed,
                fd.as_raw_fd(),
                offset,
            )
        };
        if p == libc::MAP_FAILED {
            let err = std::io::Error::last_os_error();
            // Whether zxvmo's mmap ran (and recorded why it refused), or
            // Linux refused before it.
            let (status, in_module) = match err.raw_os_error() {
                // MAP_FIXED_NOREPLACE over an existing mapping.
                Some(libc::EEXIST) => (Status::NO_MEMORY, false),
                // PROT_EXEC of a file on a noexec filesystem: since 7.0
                // every pseudo filesystem is one (SB_I_NOEXEC), so Linux
                // itself refuses executable mappings of zxvmo handles.
                Some(libc::EPERM) => (Status::ACCESS_DENIED, false),
                // mmap(2) of a file that is not a zxvmo object.
                Some(libc::ENODEV) => (Status::WRONG_TYPE, false),
                _ => (Status::from_io_error(&err), true),
            };
            if in_module {
                crate::refusal::record(fd, status);
            } else {
                crate::refusal::record_status_only(status);
            }
            return Err(status);
        }
        if at.is_some_and(|a| a != p as usize) {
            // A kernel older than 4.17 ignores MAP_FIXED_NOREPLACE; the
            // mapping is ours, somewhere else: undo it.
            // SAFETY: `p` is the mapping just made, aliased by nothing.
            unsafe { libc::munmap(p, len) };
            return Err(Status::NO_MEMORY);
        }
        // INVARIANT: `mmap` succeeded for `len` bytes.
        Ok(Mapping {
            ptr: NonNull::new(p.cast()).ok_or(Status::INTERNAL)?,
            len,
        })
    }

    /// Gives up ownership: returns the address and length, and leaves the
    /// mapping in place (for callers that unmap it themselves, with
    /// `munmap(2)`, as Zircon's C API does).
    pub fn into_raw(self) -> (*mut u8, usize) {
        let me = std::mem::ManuallyDrop::new(self);
        (me.ptr.as_ptr(), me.len)
    }

    /// The mapping's address.
    pub fn as_ptr(&self) -> *mut u8 {
        self.ptr.as_ptr()
    }

    /// The mapping's length in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the mapping is empty (never: `map` refuses length 0).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The address of a `T` at `offset`, checked for bounds and alignment.
    fn at<T>(&self, offset: usize) -> Result<*mut T, Status> {
        let size = std::mem::size_of::<T>();
        match offset.checked_add(size) {
            Some(end) if end <= self.len => {}
            _ => return Err(Status::OUT_OF_RANGE),
        }
        if !offset.is_multiple_of(std::mem::align_of::<T>()) {
            return Err(Status::INVALID_ARGS);
        }
        // SAFETY: `offset + size <= len`, inside the mapping.
        Ok(unsafe { self.ptr.as_ptr().add(offset) }.cast())
    }

    /// Reads the `u8` at `offset` (volatile).
    ///
    /// # Errors
    ///
    /// `OUT_OF_RANGE` beyond the mapping.
    pub fn read8(&self, offset: usize) -> Result<u8, Status> {
        // SAFETY: `at` checked bounds and alignment inside the live mapping.
        Ok(unsafe { self.at::<u8>(offset)?.read_volatile() })
    }

    /// Writes the `u8` at `offset` (volatile).
    ///
    /// # Errors
    ///
    /// `OUT_OF_RANGE` beyond the mapping.
    pub fn write8(&self, offset: usize, value: u8) -> Result<(), Status> {
        // SAFETY: `at` checked bounds and alignment inside the live mapping.
        unsafe { self.at::<u8>(offset)?.write_volatile(value) };
        Ok(())
    }

    /// Reads the `u32` at `offset` (volatile, one 32-bit access).
    ///
    /// # Errors
    ///
    /// `OUT_OF_RANGE` beyond the mapping; `INVALID_ARGS` when misaligned.
    pub fn read32(&self, offset: usize) -> Result<u32, Status> {
        // SAFETY: `at` checked bounds and alignment inside the live mapping.
        Ok(unsafe { self.at::<u32>(offset)?.read_volatile() })
    }

    /// Writes the `u32` at `offset` (volatile, one 32-bit access).
    ///
    /// # Errors
    ///
    /// `OUT_OF_RANGE` beyond the mapping; `INVALID_ARGS` when misaligned.
    pub fn write32(&self, offset: usize, value: u32) -> Result<(), Status> {
        // SAFETY: `at` checked bounds and alignment inside the live mapping.
        unsafe { self.at::<u32>(offset)?.write_volatile(value) };
        Ok(())
    }

    /// Reads the `u64` at `offset` (volatile, one 64-bit access).
    ///
    /// # Errors
    ///
    /// `OUT_OF_RANGE` beyond the mapping; `INVALID_ARGS` when misaligned.
    pub fn read64(&self, offset: usize) -> Result<u64, Status> {
        // SAFETY: `at` checked bounds and alignment inside the live mapping.
        Ok(unsafe { self.at::<u64>(offset)?.read_volatile() })
    }

    /// Writes the `u64` at `offset` (volatile, one 64-bit access).
    ///
    /// # Errors
    ///
    /// `OUT_OF_RANGE` beyond the mapping; `INVALID_ARGS` when misaligned.
    pub fn write64(&self, offset: usize, value: u64) -> Result<(), Status> {
        // SAFETY: `at` checked bounds and alignment inside the live mapping.
        unsafe { self.at::<u64>(offset)?.write_volatile(value) };
        Ok(())
    }

    fn check_range(&self, offset: usize, len: usize) -> Result<(), Status> {
        match offset.checked_add(len) {
            Some(end) if end <= self.len => Ok(()),
            _ => Err(Status::OUT_OF_RANGE),
        }
    }

    /// Copies `buf.len()` bytes from `offset` into `buf`.
    ///
    /// # Errors
    ///
    /// `OUT_OF_RANGE` beyond the mapping.
    pub fn read_bytes(&self, offset: usize, buf: &mut [u8]) -> Result<(), Status> {
        self.check_range(offset, buf.len())?;
        for (i, b) in buf.iter_mut().enumerate() {
            // SAFETY: `offset + i < len`, inside the live mapping.
            *b = unsafe { self.ptr.as_ptr().add(offset + i).read_volatile() };
        }
        Ok(())
    }

    /// Copies `data` into the mapping at `offset`.
    ///
    /// # Errors
    ///
    /// `OUT_OF_RANGE` beyond the mapping.
    pub fn write_bytes(&self, offset: usize, data: &[u8]) -> Result<(), Status> {
        self.check_range(offset, data.len())?;
        for (i, &b) in data.iter().enumerate() {
            // SAFETY: `offset + i < len`, inside the live mapping.
            unsafe { self.ptr.as_ptr().add(offset + i).write_volatile(b) };
        }
        Ok(())
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: By the type invariant this value owns the live mapping,
        // and no reference into it outlives `self`.
        unsafe { libc::munmap(self.ptr.as_ptr().cast(), self.len) };
    }
}

/// The system page size.
fn page_size() -> usize {
    // SAFETY: `sysconf` only reads a system constant.
    let n = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    usize::try_from(n).unwrap_or(4096)
}
