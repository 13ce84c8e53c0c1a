// SPDX-License-Identifier: GPL-2.0

//! The inodes behind VMO mappings, and the views that map them.
//!
//! Every mapping of a VMO is linked into one `address_space` of that VMO,
//! so that `unmap_mapping_range` reaches all of them, in every process and
//! every fork. A paged VMO's is its shmem inode's (slices share it). A
//! physical VMO gets an inode of its own on `zxvmofs`, a pseudo-filesystem
//! private to the module (mounted at load, never visible in the mount
//! table): `anon_inode_getfile` would share one inode between all files.
//! The inode cannot be opened (`/proc/PID/map_files` gets `ENXIO`); it is
//! reached only through *views* (see [`view`]).

use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicPtr, Ordering};

use crate::{abi, ffi_ext, status::zx};
use kernel::bindings;
use kernel::ffi::{c_int, c_void};
use kernel::prelude::*;

/// `zxvmofs`'s magic number (`statfs` of a mapping's `/proc/PID/map_files`
/// entry would show it).
const ZXVMOFS_MAGIC: u64 = 0x7a78_766d;

/// A `file_system_type` that may live in a `static`: the VFS writes its
/// list heads while the filesystem is mounted.
struct FsType(UnsafeCell<bindings::file_system_type>);

// SAFETY: The VFS serialises its own writes to the type (under `sb_lock`).
unsafe impl Sync for FsType {}

/// `zxvmofs`. It has no owner module: the module's files pin the module,
/// and the module unmounts the filesystem before it goes.
static ZXVMOFS: FsType = FsType(UnsafeCell::new(bindings::file_system_type {
    name: c"zxvmofs".as_ptr().cast(),
    init_fs_context: Some(zxvmofs_init_fs_context),
    kill_sb: Some(bindings::kill_anon_super),
    // SAFETY: All-zero is a valid `file_system_type` for the other fields.
    ..unsafe { core::mem::zeroed() }
}));

/// The mount of `zxvmofs`, from [`mount`] to [`unmount`].
static MOUNT: AtomicPtr<bindings::vfsmount> = AtomicPtr::new(core::ptr::null_mut());

/// Sets up a `zxvmofs` superblock: a pseudo-filesystem with default
/// operations.
///
/// # Safety
///
/// Called by the VFS with a valid `fc` for `ZXVMOFS`.
unsafe extern "C" fn zxvmofs_init_fs_context(fc: *mut bindings::fs_context) -> c_int {
    // SAFETY: `fc` is valid (the caller's contract).
    let ctx = unsafe { ffi_ext::init_pseudo(fc, ZXVMOFS_MAGIC as _) };
    if ctx.is_null() {
        ENOMEM.to_errno()
    } else {
        0
    }
}

/// Mounts `zxvmofs` for the module's lifetime (at module load).
///
/// # Errors
///
/// The errno of `kern_mount`.
pub(crate) fn mount() -> Result {
    // SAFETY: `ZXVMOFS` is a complete filesystem type that lives forever.
    let mnt = unsafe { bindings::kern_mount(ZXVMOFS.0.get()) };
    let mnt = kernel::error::from_err_ptr(mnt)?;
    MOUNT.store(mnt, Ordering::Release);
    Ok(())
}

/// Unmounts `zxvmofs` (at module unload, when no zxvmo file is left and so
/// no inode of it).
pub(crate) fn unmount() {
    let mnt = MOUNT.swap(core::ptr::null_mut(), Ordering::AcqRel);
    if !mnt.is_null() {
        // SAFETY: `mnt` came from `kern_mount` and is unmounted once.
        unsafe { bindings::kern_unmount(mnt) };
    }
}

/// A new file on `inode` (of mount `mnt`), with `fops` as its operations
/// and `private` as its `private_data`: what a mapping uses as `vm_file`,
/// so that the mm links the VMA into the inode's `address_space`, and every
/// re-map of the VMA (`remap_file_pages` calls `vm_file`'s mmap) goes
/// through zxvmo's checks. Returns the new file, whose reference the caller
/// owns.
///
/// # Errors
///
/// `ZX_ERR_NO_MEMORY`; then `private` was not used.
///
/// # Safety
///
/// `inode` and `mnt` must be valid, and stay so for the call.
pub(crate) unsafe fn view(
    inode: *mut bindings::inode,
    mnt: *mut bindings::vfsmount,
    fops: &'static bindings::file_operations,
    private: *mut c_void,
) -> Result<*mut bindings::file> {
    // `alloc_file_pseudo` consumes the inode reference taken here only when
    // it succeeds; the file's last `fput` drops the module reference
    // `fops.owner` needs, taken here as `anon_inode_getfile` does.
    // SAFETY: `inode` and `mnt` are valid (the contract); the new file is
    // not visible to anyone before its `private_data` is set.
    let file = unsafe {
        bindings::ihold(inode);
        bindings::__module_get(fops.owner);
        let file = bindings::alloc_file_pseudo(
            inode,
            mnt,
            c"zxvmo-vmo".as_ptr().cast(),
            (bindings::O_RDWR | bindings::O_LARGEFILE) as _,
            fops,
        );
        if kernel::error::from_err_ptr(file).is_err() {
            bindings::iput(inode);
            bindings::module_put(fops.owner);
        } else {
            (*file).private_data = private;
        }
        file
    };
    kernel::error::from_err_ptr(file).map_err(|_| zx(abi::ZX_ERR_NO_MEMORY))
}

/// A physical VMO's own inode on `zxvmofs`.
///
/// # Invariants
///
/// `inode` is a valid `zxvmofs` inode on which this value owns a reference.
pub(crate) struct VmoInode {
    inode: *mut bindings::inode,
}

// SAFETY: An inode reference may be used and dropped from any thread.
unsafe impl Send for VmoInode {}
// SAFETY: The inode's `address_space` locks itself.
unsafe impl Sync for VmoInode {}

impl VmoInode {
    /// A new inode.
    ///
    /// # Errors
    ///
    /// `ZX_ERR_NO_MEMORY`.
    pub(crate) fn new() -> Result<Self> {
        let mnt = MOUNT.load(Ordering::Acquire);
        // SAFETY: The filesystem is mounted while the module is loaded,
        // which it is while an ioctl runs.
        let inode = unsafe { bindings::alloc_anon_inode((*mnt).mnt_sb) };
        let inode = kernel::error::from_err_ptr(inode).map_err(|_| zx(abi::ZX_ERR_NO_MEMORY))?;
        // INVARIANT: `alloc_anon_inode` returned a new inode and its reference.
        Ok(VmoInode { inode })
    }

    /// A view of this inode (see [`view`]).
    ///
    /// # Errors
    ///
    /// `ZX_ERR_NO_MEMORY`; then `private` was not used.
    pub(crate) fn view(
        &self,
        fops: &'static bindings::file_operations,
        private: *mut c_void,
    ) -> Result<*mut bindings::file> {
        // SAFETY: The inode is valid (type invariant) and so is the mount,
        // which outlives every inode on it.
        unsafe { view(self.inode, MOUNT.load(Ordering::Acquire), fops, private) }
    }

    /// The raw inode, for the registry that zaps its mappings.
    pub(crate) fn as_ptr(&self) -> *mut bindings::inode {
        self.inode
    }
}

impl Drop for VmoInode {
    fn drop(&mut self) {
        // SAFETY: By the type invariant this value owns one reference.
        unsafe { bindings::iput(self.inode) };
    }
}
