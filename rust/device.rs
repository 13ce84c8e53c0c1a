// SPDX-License-Identifier: GPL-2.0

//! The `/dev/zxvmo` misc device's registration. (The commands it answers
//! are [`crate::handle`]'s.)

use crate::ffi_ext;
use kernel::bindings;
use kernel::prelude::*;
use kernel::str::CStr;
use kernel::types::Opaque;

/// A registered misc device.
///
/// # Invariants
///
/// `misc` is registered with the misc subsystem from construction until
/// [`Drop`], and its address does not change (it lives in its own box).
pub(crate) struct MiscRegistration {
    misc: KBox<Opaque<ffi_ext::miscdevice>>,
}

// SAFETY: The registration is only read by the misc subsystem, which
// serialises access with its own mutex; this type exposes no shared state.
unsafe impl Sync for MiscRegistration {}
// SAFETY: Registration and deregistration may happen on any thread.
unsafe impl Send for MiscRegistration {}

impl MiscRegistration {
    /// Registers a misc device named `name` (the node `/dev/<name>`) with
    /// permissions `mode`, whose files use `fops`.
    pub(crate) fn register(
        name: &'static CStr,
        mode: u16,
        fops: &'static bindings::file_operations,
    ) -> Result<Self> {
        let misc = KBox::new(Opaque::<ffi_ext::miscdevice>::uninit(), GFP_KERNEL)?;
        let ptr = misc.get();
        // SAFETY: `ptr` points to the box's memory, valid for a write of a
        // `miscdevice`; all-zero is a valid `miscdevice` (null pointers, an
        // empty list head that `misc_register` initialises).
        unsafe {
            ptr.write(core::mem::zeroed());
            (*ptr).minor = ffi_ext::MISC_DYNAMIC_MINOR as i32;
            (*ptr).name = name.as_char_ptr();
            (*ptr).fops = fops;
            (*ptr).mode = mode;
        }
        // SAFETY: `ptr` is a filled-in `miscdevice` whose name and fops are
        // `'static`, and it stays at this address until `misc_deregister`
        // in `Drop`.
        kernel::error::to_result(unsafe { ffi_ext::misc_register(ptr) })?;
        // INVARIANT: `misc_register` succeeded.
        Ok(Self { misc })
    }
}

impl Drop for MiscRegistration {
    fn drop(&mut self) {
        // SAFETY: By the type invariant the device is registered.
        unsafe { ffi_ext::misc_deregister(self.misc.get()) };
    }
}
