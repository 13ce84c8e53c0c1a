// SPDX-License-Identifier: GPL-2.0

//! zxvmo: Zircon's virtual memory objects on Linux.
//!
//! The module registers the misc device `/dev/zxvmo`. Its ioctls create
//! Zircon-shaped objects (resources and VMOs), each an anonymous file whose
//! [`handle::Handle`] carries the object and the rights of that open file.
//! The ABI lives in `userspace/zxvmo-abi/src/abi.rs`, included here by path.
//!
//! Layers, each using only those below it: `status`, `uarg`, `ffi_ext`,
//! `device` (the misc registration), `shmem` and `inode` (the files behind
//! VMOs), `claim` (iomem claims); `revoke` (grants and the claim
//! registry); the objects `resource` and `vmo`; `mapping` (VMAs and their
//! faults); and on top `handle` (handles, their file operations and the
//! ioctls). This file holds the module declaration and what the loaded
//! module owns.

use kernel::bindings;
use kernel::c_str;
use kernel::prelude::*;

#[path = "../userspace/zxvmo-abi/src/abi.rs"]
#[allow(
    dead_code,
    unreachable_pub,
    reason = "the ABI is shared with userspace; the module uses a part of it"
)]
mod abi;
mod claim;
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

#[cfg(not(zxvmo_module_authors))]
module! {
    type: Zxvmo,
    name: "zxvmo",
    author: "The zxvmo developers",
    description: "Zircon virtual memory objects: paged VMOs and MMIO resources with physical VMOs for capability-safe userspace drivers (/dev/zxvmo)",
    license: "GPL",
}

#[cfg(zxvmo_module_authors)]
module! {
    type: Zxvmo,
    name: "zxvmo",
    authors: ["The zxvmo developers"],
    description: "Zircon virtual memory objects: paged VMOs and MMIO resources with physical VMOs for capability-safe userspace drivers (/dev/zxvmo)",
    license: "GPL",
}

/// This module, for file operations' `owner` (`module!` defines it as a
/// static before 6.19).
#[cfg(zxvmo_module_metadata)]
const THIS_MODULE: kernel::ThisModule = <Zxvmo as kernel::ModuleMetadata>::THIS_MODULE;

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
                c"zxvmo".as_ptr().cast(),
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
        let misc =
            device::MiscRegistration::register(c_str!("zxvmo"), mode, &handle::ZXVMO_FOPS.0)?;
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
