// SPDX-License-Identifier: GPL-2.0

//! Resources: the capability to touch a range of physical address space.
//!
//! Zircon's `zx_resource_create` (kinds ROOT and MMIO). The root resource
//! spans all of physical address space and is handed only to a caller with
//! `CAP_SYS_RAWIO` on a kernel that is not locked down. An MMIO resource is
//! made from a parent that contains its range, after the iomem checks below;
//! with `ZX_RSRC_FLAG_EXCLUSIVE` its range is claimed in the iomem tree (seen
//! in `/proc/iomem` as `zxvmo:<name>`) until the resource and everything made
//! from it are gone: children and VMOs hold an `Arc` to it.
//!
//! Creating a child resource or a physical VMO needs `ZX_RIGHT_WRITE` on
//! the resource handle (as Zircon requires for children); a handle without
//! it can only be inspected. A chain of child resources is freed
//! iteratively (`Drop`), however long it is.
//!
//! **iomem checks** (on resource creation and again on physical-VMO
//! creation): the range must not touch System RAM, nor a range that another
//! driver holds busy or exclusive. This rebuilds `iomem_is_exclusive`'s rule
//! (not exported to modules) from `walk_iomem_res_desc`; a range covered by
//! the resource's own claim passes.

use core::sync::atomic::{AtomicU64, Ordering};

use crate::abi;
use crate::claim::IomemClaim;
use crate::ffi_ext::{self, PAGE};
use crate::revoke::{self, Grant};
use crate::status::{refuse, zx};
use kernel::bindings;
use kernel::ffi::{c_int, c_void};
use kernel::prelude::*;
use kernel::sync::Arc;

/// The next kernel object id; shared by every zxvmo object.
static NEXT_KOID: AtomicU64 = AtomicU64::new(1);

/// A fresh kernel object id.
pub(crate) fn new_koid() -> u64 {
    NEXT_KOID.fetch_add(1, Ordering::Relaxed)
}

/// Checks that `[base, base + size)` is a non-empty page-aligned range the
/// CPU can address.
///
/// # Errors
///
/// `ZX_ERR_INVALID_ARGS` for a misaligned or empty range;
/// `ZX_ERR_OUT_OF_RANGE` when it overflows or exceeds the physical address
/// width.
pub(crate) fn check_phys_range(base: u64, size: u64) -> Result {
    if size == 0 || base % PAGE != 0 || size % PAGE != 0 {
        return Err(zx(abi::ZX_ERR_INVALID_ARGS));
    }
    // SAFETY: The helper only reads boot CPU data.
    let limit = unsafe { ffi_ext::zxvmo_phys_addr_limit() };
    match base.checked_add(size) {
        Some(end) if end <= limit => Ok(()),
        _ => Err(zx(abi::ZX_ERR_OUT_OF_RANGE)),
    }
}

/// What the walk over busy and exclusive iomem resources found.
struct IomemWalk<'a> {
    /// The range of the caller's own claim, which may be busy.
    own: Option<(u64, u64)>,
    /// zxvmo's shared claims (first and last addresses), which stand for
    /// shared resources, and so may overlap others.
    shared: &'a [(u64, u64)],
    /// Set when a foreign busy or exclusive resource overlaps the range.
    conflict: bool,
}

/// `walk_iomem_res_desc` callback: notes a conflict unless the (clipped)
/// resource lies inside the caller's own claim or is a shared claim (no
/// busy resource but the claim itself can lie inside a busy claim).
///
/// # Safety
///
/// `res` points to a valid `struct resource` and `arg` to an [`IomemWalk`],
/// both for the duration of the call (as `walk_iomem_res_desc` passes them).
unsafe extern "C" fn iomem_walk_cb(res: *mut bindings::resource, arg: *mut c_void) -> c_int {
    // SAFETY: Per the function's contract.
    let (walk, res) = unsafe { (&mut *arg.cast::<IomemWalk<'_>>(), &*res) };
    let inside = |(start, end): (u64, u64)| res.start >= start && res.end <= end;
    if walk.own.is_some_and(inside) || walk.shared.iter().copied().any(inside) {
        return 0;
    }
    walk.conflict = true;
    1
}

/// Applies the iomem checks to `[base, base + size)` (a range that passed
/// [`check_phys_range`]); `own` is the first and last address of the
/// caller's own claim, if any.
///
/// # Errors
///
/// `ZX_ERR_ACCESS_DENIED` when the range touches System RAM or a foreign
/// busy or exclusive iomem resource.
pub(crate) fn check_iomem(base: u64, size: u64, own: Option<(u64, u64)>) -> Result {
    // Under the registry's lock, so the shared claims do not change while
    // the walk runs.
    revoke::with_shared_claims(|shared| check_iomem_with(base, size, own, shared))
}

/// [`check_iomem`] with zxvmo's shared claims known.
fn check_iomem_with(
    base: u64,
    size: u64,
    own: Option<(u64, u64)>,
    shared: &[(u64, u64)],
) -> Result {
    let last = base + size - 1;
    // SAFETY: `region_intersects` only reads the iomem tree under its lock.
    let ram = unsafe {
        bindings::region_intersects(
            base,
            size as usize,
            bindings::IORESOURCE_SYSTEM_RAM as _,
            bindings::IORES_DESC_NONE as _,
        )
    };
    if ram != bindings::REGION_DISJOINT as c_int {
        return Err(refuse(abi::ZXVMO_REASON_SYSTEM_RAM));
    }
    let mut walk = IomemWalk {
        own,
        shared,
        conflict: false,
    };
    // `walk_iomem_res_desc` matches resources whose flags contain all the
    // given bits, so busy and exclusive resources each need their own walk.
    for flag in [bindings::IORESOURCE_BUSY, bindings::IORESOURCE_EXCLUSIVE] {
        // SAFETY: `walk` outlives the call and the callback matches the
        // contract of `iomem_walk_cb`.
        unsafe {
            bindings::walk_iomem_res_desc(
                bindings::IORES_DESC_NONE as _,
                (bindings::IORESOURCE_MEM | flag) as _,
                base,
                last,
                (&mut walk as *mut IomemWalk<'_>).cast(),
                Some(iomem_walk_cb),
            )
        };
        if walk.conflict {
            return Err(refuse(abi::ZXVMO_REASON_BUSY));
        }
    }
    Ok(())
}

/// An object name as zxvmo keeps it: at most `ZX_MAX_NAME_LEN - 1` bytes
/// of `raw`, cut at its first NUL, NUL-padded, with every control
/// character (below 0x20, and 0x7f) replaced by `?`. Names reach
/// `/proc/iomem` and the kernel log; none can forge a line there.
pub(crate) fn object_name(raw: &[u8]) -> [u8; abi::ZX_MAX_NAME_LEN] {
    let mut name = [0u8; abi::ZX_MAX_NAME_LEN];
    let raw = &raw[..raw.len().min(abi::ZX_MAX_NAME_LEN - 1)];
    let n = raw.iter().position(|&b| b == 0).unwrap_or(raw.len());
    for (dst, &src) in name.iter_mut().zip(&raw[..n]) {
        *dst = if src < 0x20 || src == 0x7f { b'?' } else { src };
    }
    name
}

/// A zxvmo resource object.
pub(crate) struct Resource {
    koid: u64,
    kind: u32,
    base: u64,
    size: u64,
    name: [u8; abi::ZX_MAX_NAME_LEN],
    /// Whether the resource made its own exclusive claim (which the
    /// revocation registry holds, see [`crate::revoke`]).
    exclusive: bool,
    /// Revoked by [`Resource::revoke`] on it or an ancestor.
    grant: Grant,
    /// The range of the iomem claim covering this resource: its own, or
    /// its nearest claiming ancestor's (which `parent` keeps alive).
    claimed: Option<(u64, u64)>,
    /// Keeps the parent, and so its claim, alive while this resource lives.
    parent: Option<Arc<Resource>>,
    /// Live physical VMOs made from this resource (slices included).
    vmos: AtomicU64,
}

/// `ZX_ERR_ACCESS_DENIED` (reason: lockdown) while the kernel is locked
/// down: then no new way to device memory opens, whatever the caller holds.
/// The root resource is refused, and so are new physical VMOs and new
/// mappings of them, even from a resource or VMO taken before lockdown was
/// raised. Mappings made before stay, as Linux keeps a PCI sysfs or
/// `/dev/mem` mapping made before (its PCI sysfs `mmap` checks the same
/// way, at each call).
///
/// # Errors
///
/// `ZX_ERR_ACCESS_DENIED` under lockdown (integrity or confidentiality).
pub(crate) fn refuse_if_locked_down() -> Result {
    // SAFETY: `security_locked_down` only reads the lockdown state.
    let locked =
        unsafe { ffi_ext::security_locked_down(ffi_ext::lockdown_reason_LOCKDOWN_DEV_MEM) };
    if locked != 0 {
        return Err(refuse(abi::ZXVMO_REASON_LOCKDOWN));
    }
    Ok(())
}

impl Resource {
    /// The root resource, for a caller with `CAP_SYS_RAWIO` on a kernel that
    /// is not locked down.
    ///
    /// # Errors
    ///
    /// `ZX_ERR_ACCESS_DENIED` without the capability or under lockdown;
    /// `ZX_ERR_NO_MEMORY` when allocation fails.
    pub(crate) fn root() -> Result<Arc<Self>> {
        // SAFETY: `capable` checks the current task's credentials.
        let privileged = unsafe { bindings::capable(bindings::CAP_SYS_RAWIO as c_int) };
        if !privileged {
            return Err(refuse(abi::ZXVMO_REASON_NO_CAPABILITY));
        }
        refuse_if_locked_down()?;
        let mut name = [0u8; abi::ZX_MAX_NAME_LEN];
        name[..4].copy_from_slice(b"root");
        Arc::new(
            Resource {
                koid: new_koid(),
                kind: abi::ZX_RSRC_KIND_ROOT,
                base: 0,
                // SAFETY: The helper only reads boot CPU data.
                size: unsafe { ffi_ext::zxvmo_phys_addr_limit() },
                name,
                exclusive: false,
                grant: Grant::new(),
                claimed: None,
                parent: None,
                vmos: AtomicU64::new(0),
            },
            GFP_KERNEL_ACCOUNT,
        )
        .map_err(|_| zx(abi::ZX_ERR_NO_MEMORY))
        .and_then(|root| root.register(None, None))
    }

    /// Registers the grant of a new resource, with its exclusive claim or
    /// the range its shared claims must cover.
    ///
    /// # Errors
    ///
    /// As [`revoke::register`].
    fn register(
        self: Arc<Self>,
        claim: Option<IomemClaim>,
        shared: Option<(u64, u64)>,
    ) -> Result<Arc<Self>> {
        let parent = self
            .parent
            .as_ref()
            .map_or(core::ptr::null(), |p| &p.grant as *const Grant);
        // SAFETY: The grants live in this resource and its parent (which
        // it keeps alive); `Drop` unregisters before either goes.
        unsafe {
            revoke::register(
                self.koid,
                &self.grant,
                parent,
                core::ptr::null_mut(),
                claim,
                shared,
            )
        }?;
        Ok(self)
    }

    /// The resource's koid.
    pub(crate) fn koid(&self) -> u64 {
        self.koid
    }

    /// Counts a physical VMO made from this resource.
    pub(crate) fn vmo_made(&self) {
        self.vmos.fetch_add(1, Ordering::Relaxed);
    }

    /// Uncounts a physical VMO made from this resource.
    pub(crate) fn vmo_gone(&self) {
        self.vmos.fetch_sub(1, Ordering::Relaxed);
    }

    /// Writes the resource's facts for fdinfo, one `key:\tvalue` per line.
    pub(crate) fn show_fdinfo(&self, out: &mut impl core::fmt::Write) -> core::fmt::Result {
        let kind = if self.kind == abi::ZX_RSRC_KIND_ROOT {
            "root"
        } else {
            "mmio"
        };
        writeln!(out, "resource-kind:\t{kind}")?;
        writeln!(
            out,
            "range:\t{:#x}-{:#x}",
            self.base,
            self.base + self.size - 1
        )?;
        let flags = if self.exclusive {
            "exclusive"
        } else {
            "shared"
        };
        writeln!(out, "flags:\t{flags}")?;
        writeln!(out, "revoked:\t{}", u8::from(self.grant.is_revoked()))?;
        writeln!(
            out,
            "parent-koid:\t{}",
            self.parent.as_ref().map_or(0, |p| p.koid)
        )?;
        writeln!(out, "vmos:\t{}", self.vmos.load(Ordering::Relaxed))
    }

    /// The resource's grant.
    pub(crate) fn grant(&self) -> &Grant {
        &self.grant
    }

    /// Revokes this resource and everything made from it (see
    /// [`crate::revoke`]).
    ///
    /// # Errors
    ///
    /// `ZX_ERR_NO_MEMORY`, before anything is revoked.
    pub(crate) fn revoke(&self) -> Result {
        revoke::revoke(self.koid)
    }

    /// `zx_resource_create`: a child MMIO resource of `parent`.
    ///
    /// # Errors
    ///
    /// `ZX_ERR_INVALID_ARGS` for another kind, unknown flags or a misaligned
    /// or empty range; `ZX_ERR_OUT_OF_RANGE` for an overflowing one;
    /// `ZX_ERR_ACCESS_DENIED` when the parent does not contain the range,
    /// the iomem checks fail or an exclusive claim overlaps another;
    /// `ZX_ERR_NO_MEMORY` when allocation fails.
    pub(crate) fn create(parent: &Arc<Self>, args: &abi::ZxvmoResourceCreate) -> Result<Arc<Self>> {
        if args.kind != abi::ZX_RSRC_KIND_MMIO || args.flags & !abi::ZX_RSRC_FLAG_EXCLUSIVE != 0 {
            return Err(zx(abi::ZX_ERR_INVALID_ARGS));
        }
        parent.grant.check()?;
        check_phys_range(args.base, args.size)?;
        parent.check_grants(args.base, args.size)?;
        check_iomem(args.base, args.size, parent.claimed)?;
        let name = object_name(&args.name);
        let claim = if args.flags & abi::ZX_RSRC_FLAG_EXCLUSIVE != 0 {
            Some(IomemClaim::new(args.base, args.size, &name)?)
        } else {
            None
        };
        let claimed = claim
            .as_ref()
            .map(|c| {
                let (start, len) = c.range();
                (start, start + len - 1)
            })
            .or(parent.claimed);
        // A shared resource made from the root holds busy claims over its
        // range (shared with other such resources), so no driver can
        // claim it behind the resource's back; one made from an MMIO
        // resource is covered by its ancestor's claims.
        let shared = (claim.is_none() && parent.kind == abi::ZX_RSRC_KIND_ROOT)
            .then_some((args.base, args.size));
        let resource = Arc::new(
            Resource {
                koid: new_koid(),
                kind: abi::ZX_RSRC_KIND_MMIO,
                base: args.base,
                size: args.size,
                name,
                exclusive: claim.is_some(),
                grant: Grant::new(),
                claimed,
                parent: Some(parent.clone()),
                vmos: AtomicU64::new(0),
            },
            GFP_KERNEL_ACCOUNT,
        )
        .map_err(|_| zx(abi::ZX_ERR_NO_MEMORY))?;
        resource.register(claim, shared)
    }

    /// Checks that this resource grants `[base, base + size)`, a range that
    /// passed [`check_phys_range`].
    ///
    /// # Errors
    ///
    /// `ZX_ERR_ACCESS_DENIED` when the range is not inside this resource.
    pub(crate) fn check_grants(&self, base: u64, size: u64) -> Result {
        let end = base + size;
        if base >= self.base && end <= self.base.saturating_add(self.size) {
            Ok(())
        } else {
            Err(refuse(abi::ZXVMO_REASON_OUTSIDE_RESOURCE))
        }
    }

    /// Checks that a physical VMO may cover `[paddr, paddr + size)`: the
    /// resource grants the range, and the range passes the iomem checks
    /// (the claim of this resource or an ancestor allowed). As in Zircon,
    /// the root resource grants every range.
    ///
    /// # Errors
    ///
    /// As [`check_phys_range`], [`Resource::check_grants`] and [`check_iomem`].
    pub(crate) fn check_vmo_range(&self, paddr: u64, size: u64) -> Result {
        check_phys_range(paddr, size)?;
        self.check_grants(paddr, size)?;
        check_iomem(paddr, size, self.claimed)
    }

    /// Fills the resource's part of `ZXVMO_IOC_GET_INFO`.
    pub(crate) fn info(&self, info: &mut abi::ZxvmoInfo) {
        info.koid = self.koid;
        info.obj_type = abi::ZX_OBJ_TYPE_RESOURCE;
        info.size = self.size;
        info.content_size = self.base;
        // The kind and flags in one word, as Zircon's `options` encode them.
        info.flags = self.kind
            | if self.exclusive {
                abi::ZX_RSRC_FLAG_EXCLUSIVE
            } else {
                0
            };
        info.name = self.name;
    }
}

impl Drop for Resource {
    /// Drops the parent; when that was the parent's last reference, does
    /// the same for its parent, and so on: a chain of any length is freed
    /// in this loop, never by recursion. (Each resource's claim is
    /// released as it goes, child before parent.)
    fn drop(&mut self) {
        revoke::unregister(self.koid);
        let mut next = self.parent.take();
        while let Some(parent) = next {
            next = Arc::into_unique_or_drop(parent).and_then(|mut last| {
                let grandparent = last.parent.take();
                // Its own `drop` now finds no parent to recurse into.
                drop(last);
                grandparent
            });
        }
    }
}
