// SPDX-License-Identifier: GPL-2.0

//! zxvmo: Zircon's virtual memory objects on Linux.
//!
//! The module registers the misc device `/dev/zxvmo`. Its ioctls create
//! Zircon-shaped objects (resources and VMOs), each an anonymous file whose
//! [`handle::Handle`] carries the object and the rights of that open file.
//! The ABI lives in `userspace/zxvmo-abi/src/abi.rs`, included here by path.
//!
//! This file holds only the module declaration, the `file_operations` table
//! and the trampolines that turn C pointers into Rust objects and errors
//! into errnos.

use kernel::bindings;
use kernel::c_str;
use kernel::ffi::{c_int, c_long, c_uint, c_ulong};
use kernel::prelude::*;
use kernel::types::ForeignOwnable;

#[path = "../userspace/zxvmo-abi/src/abi.rs"]
#[allow(
    dead_code,
    unreachable_pub,
    reason = "the ABI is shared with userspace; the module uses a part of it"
)]
mod abi;
mod device;
mod ffi_ext;
mod handle;
mod inode;
mod mapping;
mod resource;
mod revoke;
mod shmem;
mod status;
mod uarg;
mod vmo;

use handle::Handle;

module! {
    type: Zxvmo,
    name: "zxvmo",
    author: "The zxvmo developers",
    description: "Zircon virtual memory objects: paged VMOs and MMIO resources with physical VMOs for capability-safe userspace drivers (/dev/zxvmo)",
    license: "GPL",
}

/// A `file_operations` table that may live in a `static`.
pub(crate) struct FileOperations(pub(crate) bindings::file_operations);

// SAFETY: The table is never written after initialisation; the kernel only
// reads it, from any thread.
unsafe impl Sync for FileOperations {}

/// The file operations of every zxvmo file: the device node and objects.
pub(crate) static ZXVMO_FOPS: FileOperations = FileOperations(bindings::file_operations {
    owner: THIS_MODULE.as_ptr(),
    open: Some(zxvmo_open),
    release: Some(zxvmo_release),
    unlocked_ioctl: Some(zxvmo_ioctl),
    compat_ioctl: Some(bindings::compat_ptr_ioctl),
    mmap: Some(zxvmo_mmap),
    get_unmapped_area: Some(zxvmo_get_unmapped_area),
    poll: Some(zxvmo_poll),
    // SAFETY: All-zero is a valid `file_operations`: every other callback
    // absent, which the VFS treats as unsupported.
    ..unsafe { core::mem::zeroed() }
});

/// The file operations of a handle's view of a paged VMO's shmem inode (see
/// [`handle`]): the `vm_file` of its mappings. Mapping it again (as
/// `remap_file_pages` does) is zxvmo's `mmap` with the handle's rights.
pub(crate) static ZXVMO_VIEW_FOPS: FileOperations = FileOperations(bindings::file_operations {
    owner: THIS_MODULE.as_ptr(),
    release: Some(zxvmo_release),
    mmap: Some(zxvmo_mmap),
    // SAFETY: All-zero is a valid `file_operations`: every other callback
    // absent, which the VFS treats as unsupported.
    ..unsafe { core::mem::zeroed() }
});

/// Opens `/dev/zxvmo`: gives the new file a device [`Handle`].
///
/// # Safety
///
/// Called by `misc_open` with a valid `file` for the zxvmo node, before any
/// other callback on that file.
unsafe extern "C" fn zxvmo_open(_inode: *mut bindings::inode, file: *mut bindings::file) -> c_int {
    match KBox::new(Handle::device(), GFP_KERNEL_ACCOUNT) {
        Ok(handle) => {
            // SAFETY: `file` is valid (the caller's contract); nothing else
            // uses `private_data` of a file that is still being opened.
            unsafe { (*file).private_data = handle.into_foreign().cast_mut() };
            0
        }
        Err(_) => ENOMEM.to_errno(),
    }
}

/// Releases a zxvmo file: drops its [`Handle`].
///
/// # Safety
///
/// Called by the VFS once, on the last reference to a zxvmo file, whose
/// `private_data` came from `KBox::<Handle>::into_foreign`.
unsafe extern "C" fn zxvmo_release(
    _inode: *mut bindings::inode,
    file: *mut bindings::file,
) -> c_int {
    // SAFETY: `private_data` came from `into_foreign` and no other callback
    // runs on this file any more.
    drop(unsafe { KBox::<Handle>::from_foreign((*file).private_data) });
    0
}

/// Runs an ioctl on a zxvmo file.
///
/// # Safety
///
/// Called by the VFS with a valid zxvmo `file` that is open for the whole
/// call, whose `private_data` came from `KBox::<Handle>::into_foreign`.
unsafe extern "C" fn zxvmo_ioctl(file: *mut bindings::file, cmd: c_uint, arg: c_ulong) -> c_long {
    // SAFETY: `private_data` came from `into_foreign` and `release` cannot
    // run while the file is in use by this call.
    let handle = unsafe { KBox::<Handle>::borrow((*file).private_data) };
    match handle.ioctl(cmd, arg as usize) {
        Ok(ret) => ret as c_long,
        Err(e) => e.to_errno() as c_long,
    }
}

/// Maps a zxvmo file (a VMO) into a process.
///
/// # Safety
///
/// Called by the mm with a valid zxvmo `file` whose `private_data` came from
/// `KBox::<Handle>::into_foreign`, and a valid `vma` for it, with the mm's
/// write lock held.
unsafe extern "C" fn zxvmo_mmap(
    file: *mut bindings::file,
    vma: *mut bindings::vm_area_struct,
) -> c_int {
    // SAFETY: `private_data` came from `into_foreign`; the file is pinned by
    // the mapping being made.
    let handle = unsafe { KBox::<Handle>::borrow((*file).private_data) };
    // SAFETY: `vma` is valid with the mm write-locked for this call.
    let mut vma = unsafe { mapping::Vma::from_raw(vma) };
    match handle.mmap(&mut vma, file) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// Picks the address of a new mapping of a zxvmo file (see
/// [`Handle::get_unmapped_area`]).
///
/// # Safety
///
/// Called by the mm with a valid zxvmo `file` whose `private_data` came from
/// `KBox::<Handle>::into_foreign`, for the current task's mm.
unsafe extern "C" fn zxvmo_get_unmapped_area(
    file: *mut bindings::file,
    addr: c_ulong,
    len: c_ulong,
    pgoff: c_ulong,
    flags: c_ulong,
) -> c_ulong {
    // SAFETY: `private_data` came from `into_foreign`; the file is pinned by
    // the mapping being made.
    let handle = unsafe { KBox::<Handle>::borrow((*file).private_data) };
    handle.get_unmapped_area(file, (addr as u64, len as u64, pgoff as u64, flags as u64)) as c_ulong
}

/// Polls a zxvmo file: a VMO is readable while `ZX_VMO_ZERO_CHILDREN` is
/// active.
///
/// # Safety
///
/// Called by the VFS with a valid zxvmo `file`, open for the whole call,
/// whose `private_data` came from `KBox::<Handle>::into_foreign`, and a
/// valid or null poll table.
unsafe extern "C" fn zxvmo_poll(
    file: *mut bindings::file,
    pt: *mut bindings::poll_table_struct,
) -> bindings::__poll_t {
    // SAFETY: `private_data` came from `into_foreign` and `release` cannot
    // run while the file is in use by this call.
    let handle = unsafe { KBox::<Handle>::borrow((*file).private_data) };
    handle.poll(file, pt)
}

/// The fault counters in debugfs (`/sys/kernel/debug/zxvmo/`), while the
/// module is loaded.
struct FaultCounters(*mut bindings::dentry);

// SAFETY: The dentry is only removed, once, from any thread.
unsafe impl Send for FaultCounters {}
// SAFETY: Nothing reads the pointer through a shared reference.
unsafe impl Sync for FaultCounters {}

impl FaultCounters {
    fn new() -> Self {
        let names = [
            c_str!("faults_pte"),
            c_str!("faults_pmd"),
            c_str!("faults_pud"),
        ]
        .map(|n| n.as_char_ptr());
        let values = mapping::FAULTS.each_ref().map(|c| c.as_ptr());
        // SAFETY: The names are static strings and the counters statics
        // that outlive the directory, which `drop` removes at unload.
        let dir = unsafe {
            ffi_ext::zxvmo_debugfs_counters(
                c_str!("zxvmo").as_char_ptr(),
                names.as_ptr(),
                values.as_ptr(),
                names.len() as u32,
            )
        };
        FaultCounters(dir)
    }
}

impl Drop for FaultCounters {
    fn drop(&mut self) {
        // SAFETY: The directory came from debugfs (or is an error pointer,
        // which `debugfs_remove` ignores) and is removed once.
        unsafe { ffi_ext::zxvmo_debugfs_remove(self.0) };
    }
}

/// `zxvmofs`, mounted while the module is loaded (see [`inode`]).
struct FsMount;

impl Drop for FsMount {
    fn drop(&mut self) {
        inode::unmount();
    }
}

/// The loaded module: owns the device registration and what the objects
/// need. Fields drop in order: the device goes first.
struct Zxvmo {
    _misc: device::MiscRegistration,
    _counters: FaultCounters,
    _fs: FsMount,
    _registry: revoke::RegistryOwner,
}

impl kernel::Module for Zxvmo {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        // SAFETY: Module parameters are written by the loader before `init`
        // runs and are read-only (0444) afterwards.
        let mode = unsafe { ffi_ext::zxvmo_param_mode };
        if mode & !0o777 != 0 {
            pr_err!("mode={:#o} is not a permission mode (at most 0777)\n", mode);
            return Err(EINVAL);
        }
        let registry = revoke::init()?;
        inode::mount()?;
        let fs = FsMount;
        let counters = FaultCounters::new();
        let misc = device::MiscRegistration::register(c_str!("zxvmo"), mode, &ZXVMO_FOPS.0)?;
        pr_info!(
            "/dev/zxvmo ready (ABI {}.{}, mode {:#o})\n",
            abi::ZXVMO_ABI_MAJOR,
            abi::ZXVMO_ABI_MINOR,
            mode
        );
        Ok(Zxvmo {
            _misc: misc,
            _counters: counters,
            _fs: fs,
            _registry: registry,
        })
    }
}
