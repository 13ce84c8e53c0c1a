// SPDX-License-Identifier: GPL-2.0

//! Claims of physical address ranges in the kernel's iomem tree.
//!
//! A claim is what a driver's `request_mem_region` makes: a busy resource
//! in `/proc/iomem` that no other driver can claim over, and (with
//! `IORESOURCE_EXCLUSIVE`) that `/dev/mem` cannot map. An exclusive zxvmo
//! resource holds one named `zxvmo:<name>`; shared resources made from the
//! root hold `zxvmo:shared` ones (see [`crate::revoke`]).

use crate::abi;
use crate::status::{refuse, zx};
use kernel::bindings;
use kernel::ffi::c_int;
use kernel::prelude::*;

/// Length of an iomem claim's name: `"zxvmo:"`, the object name, a NUL.
const CLAIM_NAME_LEN: usize = 6 + abi::ZX_MAX_NAME_LEN;

/// The name of every shared claim, as `/proc/iomem` shows it.
static SHARED_CLAIM_NAME: &kernel::str::CStr = kernel::c_str!("zxvmo:shared");

/// A busy claim of a range in the iomem tree: a resource's exclusive
/// claim, or a shared one that stands for shared resources (see
/// [`crate::revoke`]).
///
/// # Invariants
///
/// `[start, start + len)` is claimed with `__request_region` under the name
/// in `name` (or [`SHARED_CLAIM_NAME`] when `name` is `None`), which stays
/// at its address until [`Drop`] releases the claim.
pub(crate) struct IomemClaim {
    start: u64,
    len: u64,
    name: Option<KBox<[u8; CLAIM_NAME_LEN]>>,
}

// SAFETY: The claim is only released (in `Drop`), which may happen on any
// thread; the name buffer is never written after the claim is made.
unsafe impl Send for IomemClaim {}
// SAFETY: Shared references only read `start` and `len`.
unsafe impl Sync for IomemClaim {}

impl IomemClaim {
    /// Claims `[start, start + len)` busy and exclusive as `zxvmo:<name>`.
    ///
    /// # Errors
    ///
    /// `ZX_ERR_ACCESS_DENIED` when any part of the range is already claimed;
    /// `ZX_ERR_NO_MEMORY` when allocation fails.
    pub(crate) fn new(start: u64, len: u64, name: &[u8; abi::ZX_MAX_NAME_LEN]) -> Result<Self> {
        let mut buf = KBox::new([0u8; CLAIM_NAME_LEN], GFP_KERNEL_ACCOUNT)
            .map_err(|_| zx(abi::ZX_ERR_NO_MEMORY))?;
        buf[..6].copy_from_slice(b"zxvmo:");
        let n = name_len(name);
        buf[6..6 + n].copy_from_slice(&name[..n]);
        Self::request(start, len, Some(buf))
    }

    /// Claims `[start, start + len)` busy (not exclusive) as
    /// `zxvmo:shared`: no driver can claim the range while this lives.
    ///
    /// # Errors
    ///
    /// `ZX_ERR_ACCESS_DENIED` when any part of the range is already claimed.
    pub(crate) fn shared(start: u64, len: u64) -> Result<Self> {
        Self::request(start, len, None)
    }

    fn request(start: u64, len: u64, name: Option<KBox<[u8; CLAIM_NAME_LEN]>>) -> Result<Self> {
        let (ptr, flags) = match &name {
            Some(buf) => (buf.as_ptr().cast(), bindings::IORESOURCE_EXCLUSIVE as c_int),
            None => (SHARED_CLAIM_NAME.as_char_ptr(), 0),
        };
        // SAFETY: `iomem_resource` is the kernel's iomem root; `ptr` is a
        // NUL-terminated name that outlives the claim (a static, or a box
        // kept until `Drop` has released the claim).
        let res = unsafe {
            bindings::__request_region(
                core::ptr::addr_of_mut!(bindings::iomem_resource),
                start,
                len,
                ptr,
                flags,
            )
        };
        if res.is_null() {
            return Err(refuse(abi::ZXVMO_REASON_BUSY));
        }
        // INVARIANT: `__request_region` succeeded for exactly this range.
        Ok(IomemClaim { start, len, name })
    }

    /// The claimed range: first address and length.
    pub(crate) fn range(&self) -> (u64, u64) {
        (self.start, self.len)
    }
}

impl Drop for IomemClaim {
    fn drop(&mut self) {
        // SAFETY: By the type invariant the range is claimed, once, by us.
        unsafe {
            bindings::__release_region(
                core::ptr::addr_of_mut!(bindings::iomem_resource),
                self.start,
                self.len,
            )
        };
        // The name may be freed now that the iomem tree no longer points at it.
        let _ = &self.name;
    }
}

/// The length of a NUL-padded object name, without its padding.
pub(crate) fn name_len(name: &[u8; abi::ZX_MAX_NAME_LEN]) -> usize {
    name.iter()
        .position(|&b| b == 0)
        .unwrap_or(abi::ZX_MAX_NAME_LEN - 1)
        .min(abi::ZX_MAX_NAME_LEN - 1)
}
