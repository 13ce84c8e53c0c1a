// SPDX-License-Identifier: GPL-2.0

//! The `/dev/zxvmo` misc device: its registration and the commands it answers.

use crate::handle::{Handle, Object};
use crate::resource::Resource;
use crate::vmo::Vmo;
use crate::{abi, ffi_ext, status, uarg};
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

/// Dispatches a command issued on the device node itself.
pub(crate) fn ioctl(cmd: u32, arg: usize) -> Result<isize> {
    match cmd {
        abi::ZXVMO_IOC_VERSION => {
            let v = abi::ZxvmoVersion {
                major: abi::ZXVMO_ABI_MAJOR,
                minor: abi::ZXVMO_ABI_MINOR,
            };
            uarg::write(arg, &v)?;
            Ok(0)
        }
        abi::ZXVMO_IOC_VMO_CREATE => {
            let args: abi::ZxvmoVmoCreate = uarg::read(arg)?;
            Handle::install(Object::Vmo(Vmo::create(&args)?), abi::ZX_DEFAULT_VMO_RIGHTS)
        }
        abi::ZXVMO_IOC_ROOT_RESOURCE => Handle::install(
            Object::Resource(Resource::root()?),
            abi::ZX_DEFAULT_RESOURCE_RIGHTS,
        ),
        _ => Err(status::wrong_type()),
    }
}
