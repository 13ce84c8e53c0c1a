// SPDX-License-Identifier: GPL-2.0

//! The shmem file behind a paged VMO.
//!
//! Paged VMOs are backed by the kernel's shmem, as memfd and DRM GEM objects
//! are: memory is committed lazily on first touch, charged to the memory
//! cgroup of the task that touches it, and swappable. Reads, writes and
//! resizes go through the file's own VFS paths, so shmem keeps its page
//! cache, size and mappings consistent (a shrink unmaps what it frees).

use crate::{abi, ffi_ext, status::zx};
use kernel::bindings;
use kernel::prelude::*;

/// The largest size shmem accepts (`MAX_LFS_FILESIZE`).
pub(crate) const MAX_SIZE: u64 = i64::MAX as u64;

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
        // SAFETY: The name is a static C string; VM_NORESERVE leaves memory
        // to be committed (and charged) on first touch.
        let file = unsafe {
            ffi_ext::shmem_file_setup(
                kernel::c_str!("zxvmo").as_char_ptr(),
                size as _,
                bindings::VM_NORESERVE as _,
            )
        };
        let file = kernel::error::from_err_ptr(file).map_err(|e| vfs_error(e.to_errno().into()))?;
        // INVARIANT: `shmem_file_setup` returned a new file and its reference.
        Ok(ShmemFile { file })
    }

    /// A second file on the same shmem inode, with `fops` as its file
    /// operations: what a slice's mappings use as `vm_file`, so that no
    /// mapping of the slice can be turned (by `remap_file_pages`, which
    /// calls `vm_file`'s mmap) into one of memory outside it.
    ///
    /// # Errors
    ///
    /// `ZX_ERR_NO_MEMORY`.
    pub(crate) fn view(&self, fops: &'static bindings::file_operations) -> Result<Self> {
        // `alloc_file_pseudo` consumes the inode reference taken here only
        // when it succeeds; the file's last `fput` drops the module
        // reference `fops.owner` needs, taken here as `anon_inode_getfile`
        // does for its files.
        // SAFETY: By the type invariant `file` is valid, so are its inode
        // and mount.
        let file = unsafe {
            let inode = (*self.file).f_inode;
            bindings::ihold(inode);
            bindings::__module_get(fops.owner);
            let file = bindings::alloc_file_pseudo(
                inode,
                (*self.file).f_path.mnt,
                kernel::c_str!("zxvmo-slice").as_char_ptr(),
                bindings::O_RDWR as _,
                fops,
            );
            if kernel::error::from_err_ptr(file).is_err() {
                bindings::iput(inode);
                bindings::module_put(fops.owner);
            }
            file
        };
        let file = kernel::error::from_err_ptr(file).map_err(|_| zx(abi::ZX_ERR_NO_MEMORY))?;
        // INVARIANT: A new file and its reference.
        Ok(ShmemFile { file })
    }

    /// The raw file, for the VMA code that maps it.
    pub(crate) fn as_ptr(&self) -> *mut bindings::file {
        self.file
    }

    /// Copies `len` bytes at `pos` of the file to or from the user buffer at
    /// `user`. The caller checked the range against the VMO's size.
    ///
    /// # Errors
    ///
    /// `EFAULT` when the user buffer is not accessible; the file's errno.
    pub(crate) fn user_io(&self, pos: u64, user: usize, len: usize, write: bool) -> Result {
        if len == 0 {
            return Ok(());
        }
        // SAFETY: All-zero is a valid `iov_iter` to be initialised below.
        let mut iter: bindings::iov_iter = unsafe { core::mem::zeroed() };
        let dir = if write {
            bindings::ITER_SOURCE
        } else {
            bindings::ITER_DEST
        };
        // SAFETY: `import_ubuf` only records (and access-checks) the user
        // range in `iter`.
        let r = unsafe { bindings::import_ubuf(dir as _, user as *mut _, len, &mut iter) };
        kernel::error::to_result(r)?;
        let mut ppos = pos as bindings::loff_t;
        let mut done = 0usize;
        // A short transfer stopped at a fault or a failed allocation; the
        // next call, starting there, reports which (or makes progress).
        while done < len {
            // SAFETY: By the type invariant `file` is a valid shmem file,
            // open for reading and writing; `iter` describes what is left of
            // the user buffer and advances with `ppos`.
            let n = unsafe {
                if write {
                    bindings::vfs_iter_write(self.file, &mut iter, &mut ppos, 0)
                } else {
                    bindings::vfs_iter_read(self.file, &mut iter, &mut ppos, 0)
                }
            };
            if n < 0 {
                return Err(vfs_error(n as i64));
            }
            if n == 0 {
                return Err(EFAULT);
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
        let r = unsafe { bindings::vfs_truncate(&(*self.file).f_path, size as _) };
        if r < 0 {
            return Err(vfs_error(r as i64));
        }
        Ok(())
    }

    /// Bytes of memory the file has committed.
    pub(crate) fn committed(&self) -> u64 {
        // SAFETY: By the type invariant `file` is valid.
        let pages = unsafe { ffi_ext::zxvmo_file_nrpages(self.file) } as u64;
        pages * crate::resource::PAGE
    }

    /// Copies `[from, from + len)` of `src` to `[0, len)` of this file,
    /// skipping holes, through a bounce page.
    ///
    /// # Errors
    ///
    /// `ZX_ERR_NO_MEMORY`; the file's errno.
    pub(crate) fn copy_from(&self, src: &ShmemFile, from: u64, len: u64) -> Result {
        let page = crate::resource::PAGE as usize;
        let mut buf =
            KVec::from_elem(0u8, page, GFP_KERNEL).map_err(|_| zx(abi::ZX_ERR_NO_MEMORY))?;
        let end = from + len;
        let mut pos = from;
        while pos < end {
            // SAFETY: By the type invariant `src.file` is valid.
            let data =
                unsafe { bindings::vfs_llseek(src.file, pos as _, bindings::SEEK_DATA as _) };
            if data < 0 || data as u64 >= end {
                // ENXIO: no data at or after `pos`.
                break;
            }
            // SAFETY: As above.
            let hole = unsafe { bindings::vfs_llseek(src.file, data, bindings::SEEK_HOLE as _) };
            let stop = if hole < 0 {
                end
            } else {
                (hole as u64).min(end)
            };
            let mut at = data as u64;
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
