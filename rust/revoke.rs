// SPDX-License-Identifier: GPL-2.0

//! Revocation: taking back access to physical memory, beyond Zircon.
//!
//! `ZXVMO_IOC_RESOURCE_REVOKE` on a resource handle with
//! `ZX_RIGHT_DESTROY` revokes that resource and everything made from it:
//! child resources, physical VMOs and their slices. Each of those objects
//! carries a [`Grant`]; all live grants sit in one registry, a red-black
//! tree in creation (koid) order, so the descendants of a resource are
//! found in one pass over the entries after it: an entry is revoked when
//! its parent is. Registering and unregistering cost `O(log n)` under the
//! registry's lock: a caller that makes and closes many objects (a
//! hundred thousand child resources, say) cannot make that lock, which
//! every resource and physical VMO takes, a bottleneck for everyone else.
//!
//! Revocation, in order:
//!
//! 1. marks every affected grant revoked, under the registry lock, so no
//!    object can be made from them any more (creation checks its parent's
//!    grant under the same lock) and new mappings and faults are refused;
//! 2. waits for the page faults that passed the check before it (each
//!    fault counts itself in its grant while it inserts page-table
//!    entries), so no entry can appear after step 3;
//! 3. zaps every mapping of every affected physical VMO in every process
//!    (`unmap_mapping_range` on the VMO's inode): the next access is a
//!    fault, and the fault raises `SIGBUS`;
//! 4. releases the iomem claims of the affected resources, now that nothing
//!    maps their ranges.
//!
//! The registry also holds the *shared claims*: busy `zxvmo:shared` iomem
//! claims that cover the ranges of live shared resources made from the
//! root, so that no kernel driver can claim a range (`request_mem_region`)
//! that a userspace driver is using; exclusive resources hold their own
//! exclusive claims, and child resources are covered by their ancestor's.
//! Shared resources may overlap: a claim is a segment of the union of
//! their ranges, counted by the resources that overlap it, and released
//! when the last of them goes (or is revoked). A segment stays whole while
//! any of its resources lives, so it may outlast a part no resource
//! covers any more; it never covers less.
//!
//! Later calls on revoked objects that would reach memory return
//! `ZX_ERR_BAD_STATE`; handles can still be inspected, duplicated and
//! closed.

use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use crate::abi;
use crate::claim::IomemClaim;
use crate::status::{refuse, zx};
use kernel::bindings;
use kernel::prelude::*;
use kernel::rbtree::RBTree;
use kernel::sync::Mutex;

/// Whether access through an object is revoked, and how many page faults
/// are inserting entries through it right now.
pub(crate) struct Grant {
    revoked: AtomicBool,
    in_flight: AtomicUsize,
}

impl Grant {
    /// A grant that is not revoked.
    pub(crate) const fn new() -> Self {
        Grant {
            revoked: AtomicBool::new(false),
            in_flight: AtomicUsize::new(0),
        }
    }

    /// Whether the grant is revoked.
    pub(crate) fn is_revoked(&self) -> bool {
        self.revoked.load(Ordering::SeqCst)
    }

    /// `ZX_ERR_BAD_STATE` once the grant is revoked.
    pub(crate) fn check(&self) -> Result {
        if self.is_revoked() {
            Err(refuse(abi::ZXVMO_REASON_REVOKED))
        } else {
            Ok(())
        }
    }

    /// Runs `insert` (a page fault's insertion of entries) unless the grant
    /// is revoked, in which case it returns `None`. A revocation that
    /// starts while `insert` runs waits for it (see [`revoke`]).
    pub(crate) fn with_access<T>(&self, insert: impl FnOnce() -> T) -> Option<T> {
        // Counted before the check: a revoker that sets the flag after our
        // check sees the count and waits; one that set it before is seen.
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        let result = if self.revoked.load(Ordering::SeqCst) {
            None
        } else {
            Some(insert())
        };
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        result
    }
}

/// A live grant in the registry (keyed by its object's koid).
struct Entry {
    grant: *const Grant,
    /// The grant of the object this one was made from; null for a root
    /// resource.
    parent: *const Grant,
    /// A physical VMO's inode, whose mappings a revocation zaps.
    inode: *mut bindings::inode,
    /// An exclusive resource's iomem claim, released by revocation or when
    /// the resource goes.
    claim: Option<IomemClaim>,
    /// A shared resource's range, which holds shared claims until
    /// revocation or the resource's end.
    shared: Option<(u64, u64)>,
}

/// A shared claim and the number of live shared resources that overlap it.
struct Segment {
    claim: IomemClaim,
    holders: u64,
}

impl Segment {
    /// `[start, end)` of the claim.
    fn bounds(&self) -> (u64, u64) {
        let (start, len) = self.claim.range();
        (start, start + len)
    }
}

/// All live grants, by koid, and the shared claims, in address order.
struct Registry {
    entries: RBTree<u64, Entry>,
    segments: KVec<Segment>,
}

// SAFETY: The pointers are only dereferenced under the registry lock,
// while the objects they point into are registered, hence alive.
unsafe impl Send for Registry {}

/// The registry, set up by [`init`] at module load.
static REGISTRY: core::sync::atomic::AtomicPtr<Mutex<Registry>> =
    core::sync::atomic::AtomicPtr::new(core::ptr::null_mut());

/// Owns the registry for the module's lifetime.
pub(crate) struct RegistryOwner {
    /// Kept, not read: `REGISTRY` points into it.
    _registry: Pin<KBox<Mutex<Registry>>>,
}

/// Sets up the registry (at module load).
///
/// # Errors
///
/// `ENOMEM`.
pub(crate) fn init() -> Result<RegistryOwner> {
    let reg = KBox::pin_init(
        kernel::new_mutex!(
            Registry {
                entries: RBTree::new(),
                segments: KVec::new(),
            },
            "zxvmo::revoke::REGISTRY"
        ),
        GFP_KERNEL,
    )?;
    let ptr: *const Mutex<Registry> = &*reg;
    REGISTRY.store(ptr.cast_mut(), Ordering::Release);
    Ok(RegistryOwner { _registry: reg })
}

impl Drop for RegistryOwner {
    fn drop(&mut self) {
        REGISTRY.store(core::ptr::null_mut(), Ordering::Release);
    }
}

/// The registry.
fn registry() -> &'static Mutex<Registry> {
    // SAFETY: Set by `init` before the device exists and cleared only at
    // unload, when no zxvmo object is left to call in here.
    unsafe { &*REGISTRY.load(Ordering::Acquire) }
}

/// Inserts `item` into `v` at index `at` (6.12's `KVec` has no `insert`).
/// (For the shared segments, which are few: each is a distinct iomem
/// claim that only the root resource's holder can make.)
///
/// # Errors
///
/// `ZX_ERR_NO_MEMORY`; then `item` is dropped.
fn insert_at<T>(v: &mut KVec<T>, at: usize, item: T) -> Result {
    v.push(item, GFP_KERNEL_ACCOUNT)
        .map_err(|_| zx(abi::ZX_ERR_NO_MEMORY))?;
    v.as_mut_slice()[at..].rotate_right(1);
    Ok(())
}

/// Removes and returns the item of `v` at index `at`, which must be in
/// bounds (6.12's `KVec` has no `remove`).
fn remove_at<T>(v: &mut KVec<T>, at: usize) -> T {
    v.as_mut_slice()[at..].rotate_left(1);
    take_last(v)
}

/// Removes and returns the last item of the non-empty `v`.
#[cfg(zxvmo_kvec_pop)]
fn take_last<T>(v: &mut KVec<T>) -> T {
    let Some(item) = v.pop() else {
        unreachable!("take_last: `v` is not empty")
    };
    item
}

/// Removes and returns the last item of the non-empty `v` (6.12's `KVec`
/// has no `pop`).
#[cfg(not(zxvmo_kvec_pop))]
fn take_last<T>(v: &mut KVec<T>) -> T {
    let last = v.len() - 1;
    // SAFETY: `last` is in bounds; the length is cut to exclude the item
    // read out, so it is owned once, by the return value.
    unsafe {
        let item = core::ptr::read(v.as_ptr().add(last));
        v.set_len(last);
        item
    }
}

impl Registry {
    /// Takes shared claims over `[base, base + size)`: new claims for the
    /// parts no segment covers, one more holder for the segments that
    /// overlap it. Changes nothing on error.
    ///
    /// # Errors
    ///
    /// `ZX_ERR_ACCESS_DENIED` when a gap cannot be claimed (a driver or an
    /// exclusive resource holds part of it); `ZX_ERR_NO_MEMORY`.
    fn hold_shared(&mut self, base: u64, size: u64) -> Result {
        let end = base + size;
        let mut fresh = KVec::new();
        let mut at = base;
        for seg in self.segments.iter() {
            let (s, e) = seg.bounds();
            if e <= at || s >= end {
                continue;
            }
            if s > at {
                fresh
                    .push(IomemClaim::shared(at, s - at)?, GFP_KERNEL_ACCOUNT)
                    .map_err(|_| zx(abi::ZX_ERR_NO_MEMORY))?;
            }
            at = e;
        }
        if at < end {
            fresh
                .push(IomemClaim::shared(at, end - at)?, GFP_KERNEL_ACCOUNT)
                .map_err(|_| zx(abi::ZX_ERR_NO_MEMORY))?;
        }
        // Room first, so nothing below can fail half-way.
        self.segments
            .reserve(fresh.len(), GFP_KERNEL_ACCOUNT)
            .map_err(|_| zx(abi::ZX_ERR_NO_MEMORY))?;
        for seg in self.segments.as_mut_slice() {
            let (s, e) = seg.bounds();
            if s < end && base < e {
                seg.holders += 1;
            }
        }
        for claim in fresh {
            let start = claim.range().0;
            let pos = self
                .segments
                .iter()
                .position(|seg| seg.bounds().0 > start)
                .unwrap_or(self.segments.len());
            // The capacity was reserved above, so this cannot fail.
            let _ = insert_at(&mut self.segments, pos, Segment { claim, holders: 1 });
        }
        Ok(())
    }

    /// Gives back what [`Registry::hold_shared`] took for the same range:
    /// a holder fewer for each overlapping segment, and the claims of
    /// those left with none, which the caller drops.
    fn release_shared(&mut self, (base, size): (u64, u64), out: &mut KVec<IomemClaim>) {
        let end = base + size;
        let mut i = 0;
        while i < self.segments.len() {
            let seg = &mut self.segments.as_mut_slice()[i];
            let (s, e) = seg.bounds();
            if s < end && base < e {
                seg.holders -= 1;
                if seg.holders == 0 {
                    let gone = remove_at(&mut self.segments, i);
                    // Its claim goes to the caller, or here if that fails.
                    let _ = out.push(gone.claim, GFP_KERNEL_ACCOUNT);
                    continue;
                }
            }
            i += 1;
        }
    }
}

/// Registers the grant of a new object, with its exclusive iomem claim if
/// it has one (which the registry then owns: see [`unregister`] and
/// [`revoke`]), and takes shared claims over `shared`, the range of a
/// shared resource made from the root.
///
/// # Errors
///
/// `ZX_ERR_BAD_STATE` when `parent` is revoked; `ZX_ERR_ACCESS_DENIED`
/// when the shared claims cannot be taken; `ZX_ERR_NO_MEMORY`. The claim
/// is released on error.
///
/// # Safety
///
/// `grant` (and `parent` and `inode`, when not null) must stay valid until
/// [`unregister`] is called with the same koid.
pub(crate) unsafe fn register(
    koid: u64,
    grant: *const Grant,
    parent: *const Grant,
    inode: *mut bindings::inode,
    claim: Option<IomemClaim>,
    shared: Option<(u64, u64)>,
) -> Result {
    let mut reg = registry().lock();
    // SAFETY: `parent` is valid (the contract).
    if !parent.is_null() && unsafe { (*parent).is_revoked() } {
        return Err(refuse(abi::ZXVMO_REASON_REVOKED));
    }
    if reg.entries.get(&koid).is_some() {
        return Err(zx(abi::ZX_ERR_INTERNAL));
    }
    if let Some((base, size)) = shared {
        reg.hold_shared(base, size)?;
    }
    let entry = Entry {
        grant,
        parent,
        inode,
        claim,
        shared,
    };
    // (No entry has this koid, checked above: nothing is replaced.)
    let inserted = reg
        .entries
        .try_create_and_insert(koid, entry, GFP_KERNEL_ACCOUNT)
        .map(|_| ())
        .map_err(|_| zx(abi::ZX_ERR_NO_MEMORY));
    if inserted.is_err() {
        if let Some(range) = shared {
            let mut gone = KVec::new();
            reg.release_shared(range, &mut gone);
        }
    }
    inserted
}

/// Runs `f` with the bounds (first and last address) of every shared
/// claim, under the registry's lock, so that none is taken or released
/// while `f` runs.
///
/// # Errors
///
/// `ZX_ERR_NO_MEMORY`, or `f`'s error.
pub(crate) fn with_shared_claims(f: impl FnOnce(&[(u64, u64)]) -> Result) -> Result {
    let reg = registry().lock();
    let mut bounds = KVec::with_capacity(reg.segments.len(), GFP_KERNEL_ACCOUNT)
        .map_err(|_| zx(abi::ZX_ERR_NO_MEMORY))?;
    for seg in reg.segments.iter() {
        let (start, end) = seg.bounds();
        // The capacity covers every segment.
        let _ = bounds.push((start, end - 1), GFP_KERNEL_ACCOUNT);
    }
    f(&bounds)
}

/// Unregisters a grant (its object is going) and releases the object's
/// claim, if it still has one.
pub(crate) fn unregister(koid: u64) {
    let mut gone = KVec::new();
    let entry = {
        let mut reg = registry().lock();
        let entry = reg.entries.remove(&koid);
        if let Some(range) = entry.as_ref().and_then(|e| e.shared) {
            reg.release_shared(range, &mut gone);
        }
        entry
    };
    drop(entry);
    drop(gone);
}

/// An inode reference taken for a zap after the registry lock is dropped.
struct InodeRef(*mut bindings::inode);

impl Drop for InodeRef {
    fn drop(&mut self) {
        // SAFETY: The reference was taken with `ihold` in `revoke`.
        unsafe { bindings::iput(self.0) };
    }
}

/// Revokes the object of koid `koid` (a resource) and every object made
/// from it (see the module documentation). Revoking twice is harmless.
///
/// # Errors
///
/// `ZX_ERR_NO_MEMORY`, before anything is revoked.
pub(crate) fn revoke(koid: u64) -> Result {
    let (inodes, claims, shared) = {
        let mut reg = registry().lock();
        if reg.entries.get(&koid).is_none() {
            return Err(zx(abi::ZX_ERR_INTERNAL));
        }
        // Everything that may be affected lies from `koid` on: allocate for
        // all of it before changing anything.
        let most = reg.entries.keys().filter(|&&k| k >= koid).count();
        let mut inodes =
            KVec::with_capacity(most, GFP_KERNEL_ACCOUNT).map_err(|_| zx(abi::ZX_ERR_NO_MEMORY))?;
        let mut claims =
            KVec::with_capacity(most, GFP_KERNEL_ACCOUNT).map_err(|_| zx(abi::ZX_ERR_NO_MEMORY))?;
        let mut affected =
            KVec::with_capacity(most, GFP_KERNEL_ACCOUNT).map_err(|_| zx(abi::ZX_ERR_NO_MEMORY))?;
        let mut shared =
            KVec::with_capacity(most, GFP_KERNEL_ACCOUNT).map_err(|_| zx(abi::ZX_ERR_NO_MEMORY))?;
        for (&k, entry) in reg.entries.iter_mut().skip_while(|(&k, _)| k < koid) {
            // SAFETY: Registered grants are alive (the registry's rule).
            let (grant, parent) = unsafe {
                (
                    &*entry.grant,
                    (!entry.parent.is_null()).then(|| &*entry.parent),
                )
            };
            // Parents come before children (koid order), so a parent
            // revoked in this pass is already marked.
            if k != koid && !parent.is_some_and(Grant::is_revoked) {
                continue;
            }
            grant.revoked.store(true, Ordering::SeqCst);
            // The capacities cover every entry, so these cannot fail.
            let _ = affected.push(entry.grant, GFP_KERNEL_ACCOUNT);
            if !entry.inode.is_null() {
                // SAFETY: A registered inode is alive; the reference
                // taken here keeps it so after the lock is dropped.
                unsafe { bindings::ihold(entry.inode) };
                let _ = inodes.push(InodeRef(entry.inode), GFP_KERNEL_ACCOUNT);
            }
            if let Some(claim) = entry.claim.take() {
                let _ = claims.push(claim, GFP_KERNEL_ACCOUNT);
            }
            if let Some(range) = entry.shared.take() {
                let _ = shared.push(range, GFP_KERNEL_ACCOUNT);
            }
        }
        // Faults that passed their check before the flags were set finish
        // their insertions now; later ones see the flags.
        for &grant in affected.iter() {
            // SAFETY: As above: registered, hence alive, under the lock.
            let grant = unsafe { &*grant };
            while grant.in_flight.load(Ordering::SeqCst) != 0 {
                // SAFETY: Sleeping is allowed here (process context).
                unsafe { bindings::msleep(1) };
            }
        }
        (inodes, claims, shared)
    };
    for inode in inodes.iter() {
        // SAFETY: The reference taken above keeps the inode alive.
        unsafe { bindings::unmap_mapping_range((*inode.0).i_mapping, 0, 0, 1) };
    }
    // Nothing maps the ranges any more: release the claims.
    drop(claims);
    drop(inodes);
    let mut gone = KVec::new();
    {
        let mut reg = registry().lock();
        for &range in shared.iter() {
            reg.release_shared(range, &mut gone);
        }
    }
    drop(gone);
    Ok(())
}
