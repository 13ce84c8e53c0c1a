// SPDX-License-Identifier: GPL-2.0

//! The shmem file behind a paged VMO.
//!
//! Paged VMOs are backed by the kernel's shmem, as memfd and DRM GEM objects
//! are: memory is committed lazily on first touch, charged to the memory
//! cgroup of the task that touches it, and swappable. Reads, writes and
//! resizes go through the file's own VFS paths, so shmem keeps its page
//! cache, size and mappings consistent (a shrink unmaps what it frees).
//!
//! Reads and writes move data between the file and kernel buffers only:
//! the VMO copies between those buffers and user memory with no lock held
//! (see [`crate::vmo`]), so a user buffer whose fault never completes
//! stalls only its own caller. [`ShmemFile::is_hole`] lets a read skip the
//! kernel buffer where the file holds nothing.

use crate::{abi, ffi_ext, status::zx};
use kernel::bindings;
use kernel::prelude::*;

/// The largest size shmem accepts (`MAX_LFS_FILESIZE`).
pub(crate) const MAX_SIZE: u64 = i64::MAX as u64;

/// [`ShmemFile::fallocate`] mode that frees a range, keeping the size
/// (uapi `FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE`).
pub(crate) const PUNCH_HOLE: i32 = 0x2 | 0x1;

/// A counted reference to a shmem file.
///
/// # Invariants
///
/// `file` is a valid shmem file on which this value owns one reference.
pub(crate) struct ShmemFile {
    file: *mut bindings::file,
}

// SAFETY: A file reference may be used and dropped from any thread.
unsafe impl Send for ShmemFile {}
// SAFETY: The VFS paths used here serialise on the inode themselves.
unsafe impl Sync for ShmemFile {}

/// Maps a negative errno of a VFS call to the Zircon status it stands for.
fn vfs_error(ret: i64) -> Error {
    match -ret as u32 {
        bindings::ENOMEM | bindings::ENOSPC => zx(abi::ZX_ERR_NO_MEMORY),
        bindings::EFBIG | bindings::EINVAL => zx(abi::ZX_ERR_OUT_OF_RANGE),
        bindings::EFAULT => EFAULT,
        _ => Error::from_errno(ret as i32),
    }
}

impl ShmemFile {
    /// A new unlinked shmem file of `size` bytes (no memory committed).
    ///
    /// # Errors
    ///
    /// `ZX_ERR_OUT_OF_RANGE` beyond [`MAX_SIZE`]; `ZX_ERR_NO_MEMORY`.
    pub(crate) fn new(size: u64) -> Result<Self> {
        if size > MAX_SIZE {
            return Err(zx(abi::ZX_ERR_OUT_OF_RANGE));
        }
        // SAFETY: The name is a static C string; memory is committed (and
        // charged) on first touch.
        let file = unsafe { ffi_ext::zxvmo_shmem_file_setup(c"zxvmo".as_ptr().cast(), size as _) };
        let file = kernel::error::from_err_ptr(file).map_err(|e| vfs_error(e.to_errno().into()))?;
        // The file keeps its own operations; the inode's serve only a later
        // open of its path (`/proc/PID/map_files`), which zxvmo refuses.
        // SAFETY: `file` is the new, valid file, not yet shared: its flags
        // and its private inode may be set up.
        unsafe {
            // Offsets beyond 2 GiB (64-bit `open` sets this implicitly).
            (*file).f_flags |= bindings::O_LARGEFILE;
            (*(*file).f_inode).__bindgen_anon_3.i_fop = &ZXVMO_SHMEM_INODE_FOPS.0;
        }
        // INVARIANT: `shmem_file_setup` returned a new file and its reference.
        Ok(ShmemFile { file })
    }

    /// A second file on the same shmem inode, with `fops` as its file
    /// operations and `private` as its `private_data`: what a paged
    /// mapping uses as `vm_file`, so that shmem's fault handlers find the
    /// inode while every re-map of the VMA (`remap_file_pages` calls
    /// `vm_file`'s mmap) goes through zxvmo's checks. Returns the new file,
    /// whose reference the caller owns.
    ///
    /// # Errors
    ///
    /// `ZX_ERR_NO_MEMORY`; then `private` was not used.
    pub(crate) fn view(
        &self,
        fops: &'static bindings::file_operations,
        private: *mut kernel::ffi::c_void,
    ) -> Result<*mut bindings::file> {
        // SAFETY: By the type invariant `file` is valid, so are its inode
        // and mount.
        unsafe {
            let mnt = (*ffi_ext::zxvmo_file_path(self.file)).mnt;
            crate::inode::view((*self.file).f_inode, mnt, fops, private)
        }
    }

    /// The raw file, for the VMA code that maps it.
    pub(crate) fn as_ptr(&self) -> *mut bindings::file {
        self.file
    }

    /// Reads `buf.len()` bytes at `pos` of the file into `buf` (holes read
    /// as zeros). The caller checked the range against the VMO's size.
    ///
    /// # Errors
    ///
    /// The file's errno, as a Zircon status where one applies.
    pub(crate) fn read_at(&self, pos: u64, buf: &mut [u8]) -> Result {
        let mut done = 0;
        while done < buf.len() {
            let mut ppos = (pos + done as u64) as bindings::loff_t;
            let rest = &mut buf[done..];
            // SAFETY: By the type invariant `file` is valid; `rest` is
            // writable kernel memory of the given length.
            let n = unsafe {
                bindings::kernel_read(self.file, rest.as_mut_ptr().cast(), rest.len(), &mut ppos)
            };
            if n < 0 {
                return Err(vfs_error(n as i64));
            }
            if n == 0 {
                // The file ends before the VMO does (a racing shrink): the
                // rest reads as zeros, as a hole would.
                rest.fill(0);
                break;
            }
            done += n as usize;
        }
        Ok(())
    }

    /// The offset of the first data at or after `pos` (`SEEK_DATA`), or
    /// `None` when there is none before the file's end (or `pos` lies past
    /// it): all of it reads as zeros. Where shmem cannot tell, `pos` itself,
    /// so that callers read instead of assuming zeros.
    fn next_data(&self, pos: u64) -> Option<u64> {
        let Ok(start) = bindings::loff_t::try_from(pos) else {
            return Some(pos);
        };
        // SAFETY: By the type invariant `file` is valid. shmem's llseek
        // takes the inode lock itself, and moves only the file position,
        // which nothing here uses: every read and write names its own.
        let data = unsafe { bindings::vfs_llseek(self.file, start, bindings::SEEK_DATA as i32) };
        if data == -(bindings::ENXIO as bindings::loff_t) {
            None
        } else if data < 0 {
            Some(pos)
        } else {
            Some(data as u64)
        }
    }

    /// Whether `[pos, pos + len)` of the file holds no data, so that it
    /// reads as zeros: no page there was ever written (or it was
    /// decommitted), or it lies past the file's end.
    pub(crate) fn is_hole(&self, pos: u64, len: u64) -> bool {
        match self.next_data(pos) {
            None => true,
            Some(data) => pos.checked_add(len).is_some_and(|end| data >= end),
        }
    }

    /// Writes `buf` at `pos` of the file. The caller checked the range
    /// against the VMO's size.
    ///
    /// # Errors
    ///
    /// `ZX_ERR_NO_MEMORY` when shmem cannot allocate a page; the file's
    /// errno otherwise.
    pub(crate) fn write_at(&self, pos: u64, buf: &[u8]) -> Result {
        let mut done = 0;
        while done < buf.len() {
            let mut ppos = (pos + done as u64) as bindings::loff_t;
            let rest = &buf[done..];
            // SAFETY: By the type invariant `file` is valid and open for
            // writing; `rest` is readable kernel memory of the given length.
            let n = unsafe {
                bindings::kernel_write(self.file, rest.as_ptr().cast(), rest.len(), &mut ppos)
            };
            if n < 0 {
                return Err(vfs_error(n as i64));
            }
            if n == 0 {
                // A short write made no progress: a failed allocation.
                return Err(zx(abi::ZX_ERR_NO_MEMORY));
            }
            done += n as usize;
        }
        Ok(())
    }

    /// Sets the file's size: a shrink frees the pages beyond it and unmaps
    /// them from every mapping (later touches get SIGBUS); a grow reads as
    /// zeros.
    ///
    /// # Errors
    ///
    /// `ZX_ERR_OUT_OF_RANGE` for a size the file cannot have
    /// (`RLIMIT_FSIZE`, `MAX_LFS_FILESIZE`); the file's errno otherwise.
    pub(crate) fn truncate(&self, size: u64) -> Result {
        if size > MAX_SIZE {
            return Err(zx(abi::ZX_ERR_OUT_OF_RANGE));
        }
        // SAFETY: By the type invariant `file` is valid, so is its path.
        let r = unsafe { bindings::vfs_truncate(ffi_ext::zxvmo_file_path(self.file), size as _) };
        if r < 0 {
            return Err(vfs_error(r as i64));
        }
        Ok(())
    }

    /// `fallocate(2)` on the file: commits `[pos, pos + len)` (`mode` 0) or
    /// punches it out ([`PUNCH_HOLE`]: its bytes read as zeros and its whole
    /// pages are freed, unmapped from every mapping). The caller checked
    /// the range against the VMO's size.
    ///
    /// # Errors
    ///
    /// `ZX_ERR_NO_MEMORY` when the pages cannot be had; the file's errno.
    pub(crate) fn fallocate(&self, mode: i32, pos: u64, len: u64) -> Result {
        if len == 0 {
            return Ok(());
        }
        // SAFETY: By the type invariant `file` is valid and open for writing.
        let r = unsafe { bindings::vfs_fallocate(self.file, mode, pos as _, len as _) };
        if r < 0 {
            return Err(vfs_error(r.into()));
        }
        Ok(())
    }

    /// Bytes of memory the file has committed.
    pub(crate) fn committed(&self) -> u64 {
        // SAFETY: By the type invariant `file` is valid.
        let pages = unsafe { ffi_ext::zxvmo_file_nrpages(self.file) } as u64;
        pages * ffi_ext::PAGE
    }

    /// Copies `[from, from + len)` of `src` to `[0, len)` of this file,
    /// skipping holes, through a bounce page.
    ///
    /// # Errors
    ///
    /// `ZX_ERR_NO_MEMORY`; the file's errno.
    pub(crate) fn copy_from(&self, src: &ShmemFile, from: u64, len: u64) -> Result {
        let page = ffi_ext::PAGE as usize;
        let mut buf = KVec::from_elem(0u8, page, GFP_KERNEL_ACCOUNT)
            .map_err(|_| zx(abi::ZX_ERR_NO_MEMORY))?;
        let end = from + len;
        let mut pos = from;
        while pos < end {
            let data = match src.next_data(pos) {
                Some(data) if data < end => data,
                // Only zeros from `pos` to the end.
                _ => break,
            };
            // SAFETY: By the type invariant `src.file` is valid.
            let hole =
                unsafe { bindings::vfs_llseek(src.file, data as _, bindings::SEEK_HOLE as _) };
            // SEEK_HOLE finds where the data from `data` ends (at the
            // latest, the file's end); where it cannot tell, copy to `end`.
            // Either way the loop moves on: `stop > data >= pos`.
            let stop = match u64::try_from(hole) {
                Ok(hole) if hole > data => hole.min(end),
                _ => end,
            };
            let mut at = data;
            while at < stop {
                let n = ((stop - at) as usize).min(page);
                let mut rpos = at as bindings::loff_t;
                let mut wpos = (at - from) as bindings::loff_t;
                // SAFETY: `buf` holds `page >= n` bytes; both files are valid.
                let r = unsafe {
                    bindings::kernel_read(src.file, buf.as_mut_ptr().cast(), n, &mut rpos)
                };
                if r < 0 {
                    return Err(vfs_error(r as i64));
                }
                // SAFETY: As above; `r <= n` bytes of `buf` were just filled.
                let w = unsafe {
                    bindings::kernel_write(self.file, buf.as_ptr().cast(), r as usize, &mut wpos)
                };
                if w < 0 {
                    return Err(vfs_error(w as i64));
                }
                if r == 0 {
                    break;
                }
                at += r as u64;
            }
            pos = stop;
        }
        Ok(())
    }
}

impl Clone for ShmemFile {
    fn clone(&self) -> Self {
        // SAFETY: By the type invariant `file` is valid; the new reference
        // is owned by the clone.
        let file = unsafe { ffi_ext::zxvmo_get_file(self.file) };
        // INVARIANT: `get_file` took a reference for the clone.
        ShmemFile { file }
    }
}

impl Drop for ShmemFile {
    fn drop(&mut self) {
        // SAFETY: By the type invariant this value owns one reference.
        unsafe { bindings::fput(self.file) };
    }
}

/// A `file_operations` table that may live in a `static`.
struct InodeFileOperations(bindings::file_operations);

// SAFETY: The table is never written after initialisation.
unsafe impl Sync for InodeFileOperations {}

/// The file operations of a paged VMO's shmem inode, used only when its
/// path is opened anew (`/proc/PID/map_files`): refused, since the opener
/// would get a read-write shmem file past every handle's rights.
static ZXVMO_SHMEM_INODE_FOPS: InodeFileOperations =
    InodeFileOperations(bindings::file_operations {
        owner: crate::THIS_MODULE.as_ptr(),
        open: Some(zxvmo_shmem_inode_open),
        // SAFETY: All-zero is a valid `file_operations`: no other operations.
        ..unsafe { core::mem::zeroed() }
    });

/// Opening a paged VMO's shmem inode by path: refused.
///
/// # Safety
///
/// Called by the VFS with valid arguments; it touches neither.
unsafe extern "C" fn zxvmo_shmem_inode_open(
    _inode: *mut bindings::inode,
    _file: *mut bindings::file,
) -> kernel::ffi::c_int {
    EACCES.to_errno()
}
