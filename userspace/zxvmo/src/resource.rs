//! `Resource`: the capability to touch a range of physical address space.

use std::os::fd::AsFd;

use crate::handle::impl_handle_based;
use crate::{ioctl, Device, Handle, Status};
use zxvmo_abi as sys;

/// A zxvmo resource: the root resource, or an MMIO range made from it.
///
/// A resource handle can be passed to an unprivileged process (over a unix
/// socket), which can then map physical memory inside the range and
/// nothing else.
#[derive(Debug)]
#[repr(transparent)]
pub struct Resource(Handle);
impl_handle_based!(Resource);

/// The kind of a resource (`zx_rsrc_kind_t`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum ResourceKind {
    /// `ZX_RSRC_KIND_MMIO`: a range of physical address space.
    Mmio = sys::ZX_RSRC_KIND_MMIO,
    /// `ZX_RSRC_KIND_ROOT`: all of it.
    Root = sys::ZX_RSRC_KIND_ROOT,
}

bitflags::bitflags! {
    /// Resource creation flags.
    #[repr(transparent)]
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct ResourceFlags: u32 {
        /// `ZX_RSRC_FLAG_EXCLUSIVE`: claim the range in the iomem tree, as
        /// `zxvmo:<name>` in `/proc/iomem`, while anything made from the
        /// resource lives; an overlapping exclusive claim is refused.
        const EXCLUSIVE = sys::ZX_RSRC_FLAG_EXCLUSIVE;
    }
}

impl Resource {
    /// The root resource, through the process-wide [`Device`].
    ///
    /// # Errors
    ///
    /// `ACCESS_DENIED` without `CAP_SYS_RAWIO` or when the kernel is locked
    /// down; `NOT_FOUND` when the module is not loaded.
    pub fn root() -> Result<Resource, Status> {
        Self::root_from(Device::global()?)
    }

    /// The root resource, through `device`.
    ///
    /// # Errors
    ///
    /// As [`Resource::root`].
    pub fn root_from(device: &Device) -> Result<Resource, Status> {
        let fd = ioctl::none(device.as_fd(), sys::ZXVMO_IOC_ROOT_RESOURCE)?;
        Ok(Resource(Handle::from(ioctl::owned_fd(fd))))
    }

    /// Wraps the [`zx_resource_create`](https://fuchsia.dev/reference/syscalls/resource_create)
    /// syscall: a resource for `[base, base + size)` made from `parent`.
    ///
    /// `name` (at most 31 bytes are kept) names the resource and, with
    /// [`ResourceFlags::EXCLUSIVE`], its claim in `/proc/iomem`.
    ///
    /// # Errors
    ///
    /// `INVALID_ARGS` for a kind other than MMIO or a misaligned or empty
    /// range; `OUT_OF_RANGE` when it overflows or exceeds the physical
    /// address width; `ACCESS_DENIED` when `parent` does not contain the
    /// range, it touches System RAM or a range another driver holds, or an
    /// exclusive claim overlaps another; `WRONG_TYPE` when `parent` is not
    /// a resource.
    pub fn create(
        parent: &Resource,
        kind: ResourceKind,
        flags: ResourceFlags,
        base: u64,
        size: u64,
        name: &str,
    ) -> Result<Resource, Status> {
        let mut args = sys::ZxvmoResourceCreate {
            kind: kind as u32,
            flags: flags.bits(),
            base,
            size,
            name: [0; sys::ZX_MAX_NAME_LEN],
        };
        let bytes = name.as_bytes();
        let n = bytes.len().min(sys::ZX_MAX_NAME_LEN - 1);
        args.name[..n].copy_from_slice(&bytes[..n]);
        let fd = ioctl::write(parent.as_fd(), sys::ZXVMO_IOC_RESOURCE_CREATE, &mut args)?;
        Ok(Resource(Handle::from(ioctl::owned_fd(fd))))
    }

    /// Revokes this resource and everything made from it: child resources,
    /// physical VMOs and their slices, in every process that holds them.
    /// zxvmo's extension to Zircon, for a supervisor that must take a
    /// device back (before a reset, or from a driver it stopped trusting).
    ///
    /// When it returns, every mapping of those VMOs is gone from every page
    /// table (the next access raises `SIGBUS`), calls that would reach
    /// memory through them fail with `BAD_STATE`, and the resources'
    /// `/proc/iomem` claims are released. Handles can still be inspected,
    /// duplicated and closed. Revoking again does nothing.
    ///
    /// # Errors
    ///
    /// `ACCESS_DENIED` without [`Rights::DESTROY`](crate::Rights::DESTROY);
    /// `NO_MEMORY`, before anything is revoked.
    pub fn revoke(&self) -> Result<(), Status> {
        ioctl::none(self.as_fd(), sys::ZXVMO_IOC_RESOURCE_REVOKE).map(|_| ())
    }
}
