//! `Handle`: an owned zxvmo object, and the operations every object has.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, IntoRawFd, OwnedFd, RawFd};

use crate::{ioctl, Rights, Status};
use zxvmo_abi as sys;

/// An owned handle to a zxvmo object: an open file descriptor. Dropping it
/// closes the descriptor.
#[derive(Debug)]
#[repr(transparent)]
pub struct Handle(OwnedFd);

impl Handle {
    /// Takes ownership of a raw file descriptor.
    ///
    /// # Safety
    ///
    /// `fd` must be an open descriptor that nothing else owns or closes. It
    /// need not be a zxvmo object: calls on another kind of file fail with
    /// `Status::WRONG_TYPE`.
    pub unsafe fn from_raw(fd: RawFd) -> Handle {
        // SAFETY: The caller's contract.
        Handle(unsafe { OwnedFd::from_raw_fd(fd) })
    }

    /// Gives up ownership, returning the raw descriptor.
    pub fn into_raw(self) -> RawFd {
        self.0.into_raw_fd()
    }
}

impl From<OwnedFd> for Handle {
    fn from(fd: OwnedFd) -> Self {
        Handle(fd)
    }
}

impl From<Handle> for OwnedFd {
    fn from(h: Handle) -> Self {
        h.0
    }
}

impl AsFd for Handle {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.0.as_fd()
    }
}

impl AsRawFd for Handle {
    fn as_raw_fd(&self) -> RawFd {
        self.0.as_raw_fd()
    }
}

/// Basic facts about the object behind a handle (`zx_info_handle_basic_t`
/// together with `zx_info_vmo_t`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Info {
    /// Kernel object id, unique while the module is loaded.
    pub koid: u64,
    /// The parent VMO's koid, or 0.
    pub parent_koid: u64,
    /// `ZX_OBJ_TYPE_VMO` or `ZX_OBJ_TYPE_RESOURCE`.
    pub obj_type: u32,
    /// The rights of the handle asked.
    pub rights: Rights,
    /// VMO size, or the resource's size.
    pub size: u64,
    /// VMO content size, or the resource's base address.
    pub content_size: u64,
    /// Live children.
    pub num_children: u64,
    /// Live mappings.
    pub num_mappings: u64,
    /// Bytes of memory committed.
    pub committed_bytes: u64,
    /// `ZX_INFO_VMO_*` bits, or the resource's kind ORed with its
    /// `ZX_RSRC_FLAG_*` flags.
    pub flags: u32,
    /// `ZX_CACHE_POLICY_*`.
    pub cache_policy: u32,
    /// The object's name.
    pub name: String,
}

/// The object-independent operations of every handle type, as Fuchsia's
/// `HandleBased`.
pub trait HandleBased: AsFd + From<Handle> + Into<Handle> {
    /// Wraps the [`zx_handle_duplicate`](https://fuchsia.dev/reference/syscalls/handle_duplicate)
    /// syscall: a new handle to the same object with `rights` (a subset of
    /// this handle's, or [`Rights::SAME_RIGHTS`]).
    ///
    /// Plain `dup(2)` shares this handle's rights and is not checked.
    ///
    /// # Errors
    ///
    /// `ACCESS_DENIED` without [`Rights::DUPLICATE`]; `INVALID_ARGS` when
    /// `rights` is not a subset; `WRONG_TYPE` when the handle is not a
    /// zxvmo object; `BAD_HANDLE` for a replaced handle.
    fn duplicate_handle(&self, rights: Rights) -> Result<Self, Status> {
        let mut r = rights.bits();
        let fd = ioctl::write(self.as_fd(), sys::ZXVMO_IOC_HANDLE_DUPLICATE, &mut r)?;
        Ok(Self::from(Handle(ioctl::owned_fd(fd))))
    }

    /// Wraps the [`zx_handle_replace`](https://fuchsia.dev/reference/syscalls/handle_replace)
    /// syscall: consumes this handle and returns one with `rights`. The old
    /// handle is invalid afterwards even when this fails.
    ///
    /// # Errors
    ///
    /// `INVALID_ARGS` when `rights` is not a subset; as
    /// [`HandleBased::duplicate_handle`] otherwise (no `DUPLICATE` needed).
    fn replace_handle(self, rights: Rights) -> Result<Self, Status> {
        let handle: Handle = self.into();
        let mut r = rights.bits();
        let fd = ioctl::write(handle.as_fd(), sys::ZXVMO_IOC_HANDLE_REPLACE, &mut r)?;
        Ok(Self::from(Handle(ioctl::owned_fd(fd))))
    }

    /// Wraps [`zx_object_get_info`](https://fuchsia.dev/reference/syscalls/object_get_info)
    /// with `ZX_INFO_HANDLE_BASIC` and `ZX_INFO_VMO` in one.
    ///
    /// # Errors
    ///
    /// `WRONG_TYPE` when the handle is not a zxvmo object; `BAD_HANDLE`
    /// for a replaced handle.
    fn basic_info(&self) -> Result<Info, Status> {
        let raw: sys::ZxvmoInfo = ioctl::read(self.as_fd(), sys::ZXVMO_IOC_GET_INFO)?;
        Ok(Info {
            koid: raw.koid,
            parent_koid: raw.parent_koid,
            obj_type: raw.obj_type,
            rights: Rights::from_bits_retain(raw.rights),
            size: raw.size,
            content_size: raw.content_size,
            num_children: raw.num_children,
            num_mappings: raw.num_mappings,
            committed_bytes: raw.committed_bytes,
            flags: raw.flags,
            cache_policy: raw.cache_policy,
            name: name_from_raw(&raw.name),
        })
    }

    /// The rights of this handle.
    ///
    /// # Errors
    ///
    /// As [`HandleBased::basic_info`].
    fn rights(&self) -> Result<Rights, Status> {
        Ok(self.basic_info()?.rights)
    }

    /// Views any handle as this type, as Zircon's `Handle::into` does; calls
    /// that do not fit the object fail with `WRONG_TYPE`.
    fn from_handle(handle: Handle) -> Self {
        Self::from(handle)
    }
}

/// A NUL-padded name as a `String` (lossy for non-UTF-8 bytes).
pub(crate) fn name_from_raw(raw: &[u8]) -> String {
    let n = raw.iter().position(|&b| b == 0).unwrap_or(raw.len());
    String::from_utf8_lossy(&raw[..n]).into_owned()
}

/// Implements the handle plumbing for a newtype around [`Handle`].
macro_rules! impl_handle_based {
    ($t:ident) => {
        impl From<$crate::Handle> for $t {
            fn from(h: $crate::Handle) -> Self {
                $t(h)
            }
        }
        impl From<$t> for $crate::Handle {
            fn from(x: $t) -> Self {
                x.0
            }
        }
        impl std::os::fd::AsFd for $t {
            fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
                self.0.as_fd()
            }
        }
        impl std::os::fd::AsRawFd for $t {
            fn as_raw_fd(&self) -> std::os::fd::RawFd {
                std::os::fd::AsRawFd::as_raw_fd(&self.0)
            }
        }
        impl From<$t> for std::os::fd::OwnedFd {
            fn from(x: $t) -> Self {
                x.0.into()
            }
        }
        impl From<std::os::fd::OwnedFd> for $t {
            fn from(fd: std::os::fd::OwnedFd) -> Self {
                $t($crate::Handle::from(fd))
            }
        }
        impl $crate::HandleBased for $t {}
    };
}
pub(crate) use impl_handle_based;
