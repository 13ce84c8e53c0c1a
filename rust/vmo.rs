// SPDX-License-Identifier: GPL-2.0

//! VMOs: Zircon's virtual memory objects, paged and physical.
//!
//! - Paged VMOs (`zx_vmo_create`, seed 004) are backed by a shmem file
//!   ([`ShmemFile`]): size rounded up to the page, content size the
//!   unrounded size, resizable unless `ZX_VMO_NON_RESIZABLE`.
//! - Physical VMOs (`zx_vmo_create_physical`, seeds 000–003) name a range
//!   of MMIO that their resource grants and the iomem checks allow. They
//!   cannot be read, written or resized through the VMO; their mappings
//!   are filled by faults under their cache policy (UNCACHED by default)
//!   with the largest page-table entries that fit (see [`crate::mapping`]),
//!   and a revocation of their resource zaps them (see [`crate::revoke`]).
//!
//! A VMO holds its parent (children count in it), so a chain of children
//! can be as long as userspace makes it: it is torn down iteratively
//! ([`PinnedDrop`] for `Vmo`), never by recursion on the kernel stack.
//! Every allocation is charged to the caller's memory cgroup.
//! - Children (`zx_vmo_create_child`): slices share their parent's memory
//!   (both kinds); snapshots copy a paged parent's content at creation.
//!
//! `ZX_VMO_ZERO_CHILDREN` is active while a VMO has no live child. A child
//! lives while any handle or mapping of it does (mappings hold a file
//! reference, files hold the child), so the signal comes back exactly when
//! the last of them goes, and [`Vmo::wait_one`] and `poll(2)` wake.
//!
//! # Locking
//!
//! Two mutexes per VMO, taken in this order:
//!
//! 1. `Vmo::io` serialises what changes or copies a paged VMO's content
//!    against its size: `read`, `write`, `set_size` and snapshots. It is
//!    held across shmem calls on kernel buffers, never across a copy to or
//!    from user memory: reads and writes bounce through a kernel buffer in
//!    chunks, so a user buffer whose fault stalls (userfaultfd, FUSE)
//!    holds no lock that others wait for; nothing takes it under
//!    `mmap_lock`.
//! 2. `Vmo::inner` guards the mutable state: size, content size, name,
//!    cache policy and the mapping and child counts. `mmap` and VMA
//!    `close` take it under `mmap_lock`, so it is a leaf: never held
//!    across a user copy, a shmem call or an allocation that could
//!    recurse. A mapping is counted before the remap, and a child before
//!    it is made, so a concurrent `set_cache_policy` sees either.
//!
//! A parent's locks may be held while a child is created, never the other
//! way round.

use core::sync::atomic::{AtomicBool, Ordering};

use crate::ffi_ext::PAGE;
use crate::inode::VmoInode;
use crate::resource::{self, Resource};
use crate::revoke::{self, Grant};
use crate::shmem::ShmemFile;
use crate::status::{refuse, zx};
use crate::{abi, ffi_ext, uarg};
use kernel::bindings;
use kernel::prelude::*;
use kernel::sync::{Arc, CondVar, Mutex};
use kernel::types::Opaque;
use kernel::{new_condvar, new_mutex};

/// What memory a VMO is made of.
pub(crate) enum Backing {
    /// `[paddr, paddr + size)` of physical address space, granted by a
    /// resource.
    Physical(Physical),
    /// Bytes `[offset, offset + size)` of a shmem file.
    Paged {
        /// The file; shared with the parent for a slice.
        file: ShmemFile,
        /// Where the VMO starts in the file (non-zero only for slices).
        offset: u64,
        /// Whether `set_size` may change the size.
        resizable: bool,
    },
}

/// A physical VMO's range, and what maps it.
pub(crate) struct Physical {
    /// Keeps the resource, and so its iomem claim, alive.
    resource: Arc<Resource>,
    /// First physical address.
    paddr: u64,
    /// Size in pages (a physical VMO is never resized).
    pages: u64,
    /// The inode whose `address_space` every mapping of this VMO is in.
    inode: VmoInode,
    /// Revoked with the resource (see [`crate::revoke`]).
    grant: Grant,
}

impl Physical {
    fn new(resource: Arc<Resource>, paddr: u64, size: u64) -> Result<Self> {
        let inode = VmoInode::new()?;
        resource.vmo_made();
        Ok(Physical {
            resource,
            paddr,
            pages: size / PAGE,
            inode,
            grant: Grant::new(),
        })
    }
}

impl Drop for Physical {
    fn drop(&mut self) {
        self.resource.vmo_gone();
    }
}

/// The mutable state of a VMO, guarded by [`Vmo::inner`].
pub(crate) struct VmoInner {
    size: u64,
    content_size: u64,
    name: [u8; abi::ZX_MAX_NAME_LEN],
    cache_policy: u32,
    mappings: u64,
    children: u64,
    /// Whether this VMO holds a write-combining memtype reservation of its
    /// range (made by its first WC mapping, released by a policy change or
    /// the VMO's end).
    wc_reserved: bool,
}

/// A VMO.
#[pin_data(PinnedDrop)]
pub(crate) struct Vmo {
    koid: u64,
    backing: Backing,
    /// Flags for `ZxvmoInfo` beyond the backing's kind.
    info_flags: u32,
    /// The VMO this one is a child of; its child count includes us.
    parent: Option<Arc<Vmo>>,
    /// Set when the VMO was made but its grant could not be registered:
    /// its maker then gives the parent's child count back, not its drop.
    registration_failed: AtomicBool,
    #[pin]
    io: Mutex<()>,
    #[pin]
    inner: Mutex<VmoInner>,
    /// Woken when the signals change (for `wait_one`).
    #[pin]
    signal_cv: CondVar,
    /// Woken when the signals change (for `poll`).
    #[pin]
    poll_wq: Opaque<bindings::wait_queue_head>,
}

// SAFETY: The wait queue head is only used through the kernel's wait-queue
// functions, which lock it internally.
unsafe impl Send for Vmo {}
// SAFETY: As above; all other state is behind `inner` or immutable.
unsafe impl Sync for Vmo {}

/// `poll(2)` bits (uapi `eventpoll.h`), which bindgen does not carry.
const EPOLLIN: u32 = 0x1;
const EPOLLRDNORM: u32 = 0x40;
/// `poll(2)`'s error bit, for handles that have no signals.
pub(crate) const EPOLLERR: u32 = 0x8;

/// The largest piece of a read or write bounced through the kernel at once.
const RW_CHUNK: usize = 64 * 1024;

/// Checks the size of a new paged VMO and rounds it up to the page.
fn paged_size(size: u64) -> Result<u64> {
    match size.checked_next_multiple_of(PAGE) {
        Some(rounded) if rounded <= crate::shmem::MAX_SIZE => Ok(rounded),
        _ => Err(zx(abi::ZX_ERR_OUT_OF_RANGE)),
    }
}

impl Vmo {
    fn new(
        backing: Backing,
        size: u64,
        content_size: u64,
        cache_policy: u32,
        info_flags: u32,
        parent: Option<Arc<Vmo>>,
    ) -> Result<Arc<Self>> {
        Arc::pin_init(
            pin_init!(Vmo {
                koid: resource::new_koid(),
                backing,
                info_flags,
                parent,
                registration_failed: AtomicBool::new(false),
                io <- new_mutex!((), "zxvmo::Vmo::io"),
                inner <- new_mutex!(
                    VmoInner {
                        size,
                        content_size,
                        name: [0; abi::ZX_MAX_NAME_LEN],
                        cache_policy,
                        mappings: 0,
                        children: 0,
                        wc_reserved: false,
                    },
                    "zxvmo::Vmo::inner"
                ),
                signal_cv <- new_condvar!("zxvmo::Vmo::signal_cv"),
                poll_wq <- Opaque::ffi_init(|wq| {
                    // SAFETY: `wq` is the field's memory, not yet in use.
                    unsafe { ffi_ext::zxvmo_init_waitqueue_head(wq) }
                }),
            }),
            GFP_KERNEL_ACCOUNT,
        )
        .map_err(|_| zx(abi::ZX_ERR_NO_MEMORY))
    }

    /// `zx_vmo_create`: a paged VMO of `size` bytes rounded up to the page.
    ///
    /// # Errors
    ///
    /// `ZX_ERR_INVALID_ARGS` for options other than 0 or
    /// `ZX_VMO_NON_RESIZABLE`; `ZX_ERR_OUT_OF_RANGE` for a size too large;
    /// `ZX_ERR_NO_MEMORY`.
    pub(crate) fn create(args: &abi::ZxvmoVmoCreate) -> Result<Arc<Self>> {
        if args.options & !abi::ZX_VMO_NON_RESIZABLE != 0 || args.reserved != 0 {
            return Err(zx(abi::ZX_ERR_INVALID_ARGS));
        }
        let size = paged_size(args.size)?;
        let resizable = args.options & abi::ZX_VMO_NON_RESIZABLE == 0;
        let backing = Backing::Paged {
            file: ShmemFile::new(size)?,
            offset: 0,
            resizable,
        };
        Self::new(
            backing,
            size,
            args.size,
            abi::ZX_CACHE_POLICY_CACHED,
            0,
            None,
        )
    }

    /// `zx_vmo_create_physical`: a VMO over `[paddr, paddr + size)`.
    ///
    /// # Errors
    ///
    /// `ZX_ERR_INVALID_ARGS` for a misaligned or empty range,
    /// `ZX_ERR_OUT_OF_RANGE` for an overflowing one or one beyond the
    /// physical address width, `ZX_ERR_ACCESS_DENIED` under lockdown
    /// ([`resource::refuse_if_locked_down`]), when the resource does not
    /// grant it or it fails the iomem checks, `ZX_ERR_NO_MEMORY` when
    /// allocation fails.
    pub(crate) fn create_physical(
        resource: &Arc<Resource>,
        args: &abi::ZxvmoVmoCreatePhysical,
    ) -> Result<Arc<Self>> {
        resource::refuse_if_locked_down()?;
        resource.grant().check()?;
        resource.check_vmo_range(args.paddr, args.size)?;
        let backing = Backing::Physical(Physical::new(resource.clone(), args.paddr, args.size)?);
        let vmo = Self::new(
            backing,
            args.size,
            args.size,
            abi::ZX_CACHE_POLICY_UNCACHED,
            0,
            None,
        )?;
        vmo.register(resource.grant())?;
        Ok(vmo)
    }

    /// Registers a new physical VMO's grant, as made from `parent`'s; a
    /// paged VMO has none. On error the VMO is dropped without giving its
    /// parent's child count back (the caller does that).
    ///
    /// # Errors
    ///
    /// As [`revoke::register`].
    fn register(self: &Arc<Self>, parent: &Grant) -> Result {
        let Backing::Physical(phys) = &self.backing else {
            return Ok(());
        };
        // SAFETY: The grants live in this VMO and its parent (which this
        // VMO keeps alive), the inode in this VMO; `PinnedDrop`
        // unregisters before any of them goes.
        let registered = unsafe {
            revoke::register(
                self.koid,
                &phys.grant,
                parent,
                phys.inode.as_ptr(),
                None,
                None,
            )
        };
        registered.inspect_err(|_| {
            self.registration_failed.store(true, Ordering::Relaxed);
        })
    }

    /// The grant of a physical VMO.
    fn grant(&self) -> Option<&Grant> {
        match &self.backing {
            Backing::Physical(phys) => Some(&phys.grant),
            Backing::Paged { .. } => None,
        }
    }

    /// `zx_vmo_create_child`: a slice or snapshot of `[offset, offset + size)`.
    ///
    /// # Errors
    ///
    /// `ZX_ERR_INVALID_ARGS` for unknown or conflicting options or a
    /// misaligned offset; `ZX_ERR_OUT_OF_RANGE` when a slice leaves the
    /// parent or the range overflows; `ZX_ERR_NOT_SUPPORTED` for a snapshot
    /// of a physical VMO or a slice of a resizable one; `ZX_ERR_NO_MEMORY`.
    pub(crate) fn create_child(
        self: &Arc<Self>,
        args: &abi::ZxvmoVmoCreateChild,
    ) -> Result<Arc<Self>> {
        let known = abi::ZX_VMO_CHILD_SNAPSHOT
            | abi::ZX_VMO_CHILD_SLICE
            | abi::ZX_VMO_CHILD_RESIZABLE
            | abi::ZX_VMO_CHILD_NO_WRITE;
        let o = args.options;
        let slice = o & abi::ZX_VMO_CHILD_SLICE != 0;
        let snapshot = o & abi::ZX_VMO_CHILD_SNAPSHOT != 0;
        if o & !known != 0
            || args.reserved != 0
            || slice == snapshot
            || (slice && o & abi::ZX_VMO_CHILD_RESIZABLE != 0)
            || args.offset % PAGE != 0
        {
            return Err(zx(abi::ZX_ERR_INVALID_ARGS));
        }
        // The child's size is rounded up to the page; one that cannot be is
        // out of range (Zircon's statuses, as its own tests pin them down).
        let size = paged_size(args.size)?;
        // A snapshot may reach past the parent (the rest reads as zeros) but
        // not past the end of the address space; a slice lies inside its
        // parent or is invalid.
        let end = args.offset.checked_add(size);
        if snapshot && end.is_none() {
            return Err(zx(abi::ZX_ERR_OUT_OF_RANGE));
        }
        // A snapshot sees the content as of now: no write or resize runs
        // while it is copied.
        let _io = self.io.lock();
        // Check and count the child in one step, so a concurrent
        // cache-policy change sees it; the child is made outside the lock
        // (copying takes shmem's inode lock, which must not nest in it).
        let (parent_size, policy) = {
            let mut inner = self.inner.lock();
            if slice && !end.is_some_and(|end| end <= inner.size) {
                return Err(zx(abi::ZX_ERR_INVALID_ARGS));
            }
            inner.children += 1;
            (inner.size, inner.cache_policy)
        };
        self.signals_changed();
        let child = self.make_child(args, size, parent_size, policy);
        if child.is_err() {
            // Never made, so never dropped: give the count back here.
            self.child_gone();
        }
        child
    }

    /// Makes the child `args` asks for, of `child_size` bytes (rounded),
    /// of this VMO, whose size is `size` and cache policy `policy`; the
    /// caller has counted it already.
    fn make_child(
        self: &Arc<Self>,
        args: &abi::ZxvmoVmoCreateChild,
        child_size: u64,
        size: u64,
        policy: u32,
    ) -> Result<Arc<Self>> {
        if args.options & abi::ZX_VMO_CHILD_SLICE != 0 {
            let backing = match &self.backing {
                Backing::Physical(phys) => {
                    phys.grant.check()?;
                    Backing::Physical(Physical::new(
                        phys.resource.clone(),
                        phys.paddr + args.offset,
                        child_size,
                    )?)
                }
                Backing::Paged {
                    resizable: true, ..
                } => return Err(zx(abi::ZX_ERR_NOT_SUPPORTED)),
                Backing::Paged { file, offset, .. } => Backing::Paged {
                    file: file.clone(),
                    offset: offset + args.offset,
                    resizable: false,
                },
            };
            let flags = abi::ZX_INFO_VMO_IS_SLICE;
            let child = Self::new(
                backing,
                child_size,
                args.size,
                policy,
                flags,
                Some(self.clone()),
            )?;
            if let Some(grant) = self.grant() {
                child.register(grant)?;
            }
            return Ok(child);
        }
        let Backing::Paged { file, offset, .. } = &self.backing else {
            return Err(zx(abi::ZX_ERR_NOT_SUPPORTED));
        };
        let copy = ShmemFile::new(child_size)?;
        // Only what lies inside this VMO is copied; the rest reads as
        // zeros. (A snapshot may start anywhere, even past the end.)
        let avail = size.saturating_sub(args.offset).min(child_size);
        if avail > 0 {
            // `args.offset < size`, and `offset + size` is within the file.
            copy.copy_from(file, offset + args.offset, avail)?;
        }
        let backing = Backing::Paged {
            file: copy,
            offset: 0,
            resizable: args.options & abi::ZX_VMO_CHILD_RESIZABLE != 0,
        };
        let cached = abi::ZX_CACHE_POLICY_CACHED;
        let flags = abi::ZX_INFO_VMO_IS_COW_CLONE;
        Self::new(
            backing,
            child_size,
            args.size,
            cached,
            flags,
            Some(self.clone()),
        )
    }

    /// The active signals.
    fn signals(inner: &VmoInner) -> u32 {
        if inner.children == 0 {
            abi::ZX_VMO_ZERO_CHILDREN
        } else {
            0
        }
    }

    /// Wakes everyone waiting for this VMO's signals.
    fn signals_changed(&self) {
        self.signal_cv.notify_all();
        // SAFETY: `poll_wq` was initialised in `new` and lives as long as `self`.
        unsafe {
            bindings::__wake_up(
                self.poll_wq.get(),
                bindings::TASK_NORMAL,
                1,
                core::ptr::null_mut(),
            )
        };
    }

    /// A child of this VMO is gone (its last handle and mapping).
    fn child_gone(&self) {
        let mut inner = self.inner.lock();
        inner.children = inner.children.saturating_sub(1);
        drop(inner);
        self.signals_changed();
    }

    /// `zx_object_wait_one`: waits until any of `signals` is active or the
    /// `CLOCK_MONOTONIC` `deadline` (ns; `i64::MAX` for never) passes.
    /// Returns the active signals.
    ///
    /// # Errors
    ///
    /// `ZX_ERR_TIMED_OUT` (with the signals observed) when the deadline
    /// passes first; `ERESTARTSYS` when a signal interrupts the wait.
    pub(crate) fn wait_one(&self, signals: u32, deadline: i64) -> (u32, Result) {
        let mut inner = self.inner.lock();
        loop {
            let active = Self::signals(&inner);
            if active & signals != 0 {
                return (active, Ok(()));
            }
            // SAFETY: `ktime_get` only reads the monotonic clock.
            let now = unsafe { bindings::ktime_get() };
            if now >= deadline {
                return (active, Err(zx(abi::ZX_ERR_TIMED_OUT)));
            }
            let jiffies = if deadline == i64::MAX {
                kernel::time::Jiffies::MAX
            } else {
                // SAFETY: A pure conversion; at least one jiffy so the loop
                // re-checks the clock after sleeping.
                unsafe { bindings::nsecs_to_jiffies((deadline - now) as u64) }.max(1)
            };
            if let kernel::sync::CondVarTimeoutResult::Signal { .. } = self
                .signal_cv
                .wait_interruptible_timeout(&mut inner, jiffies)
            {
                return (Self::signals(&inner), Err(ERESTARTSYS));
            }
        }
    }

    /// `poll(2)`: registers `pt` on the VMO's wait queue and returns
    /// `EPOLLIN | EPOLLRDNORM` while `ZX_VMO_ZERO_CHILDREN` is active.
    pub(crate) fn poll(
        &self,
        file: *mut bindings::file,
        pt: *mut bindings::poll_table_struct,
    ) -> u32 {
        // SAFETY: `file` and `pt` come from the VFS poll call; `poll_wq`
        // lives as long as `self`, which the file keeps alive.
        unsafe { ffi_ext::zxvmo_poll_wait(file, self.poll_wq.get(), pt) };
        if Self::signals(&self.inner.lock()) & abi::ZX_VMO_ZERO_CHILDREN != 0 {
            EPOLLIN | EPOLLRDNORM
        } else {
            0
        }
    }

    /// `zx_vmo_get_size`.
    pub(crate) fn size(&self) -> u64 {
        self.inner.lock().size
    }

    /// `zx_vmo_set_size`: the content size follows the new size.
    ///
    /// # Errors
    ///
    /// `ZX_ERR_NOT_SUPPORTED` for a physical VMO; `ZX_ERR_UNAVAILABLE` for a
    /// non-resizable one; `ZX_ERR_OUT_OF_RANGE` for a size too large.
    pub(crate) fn set_size(&self, size: u64) -> Result {
        let Backing::Paged {
            file, resizable, ..
        } = &self.backing
        else {
            return Err(zx(abi::ZX_ERR_NOT_SUPPORTED));
        };
        if !resizable {
            return Err(refuse(abi::ZXVMO_REASON_NOT_RESIZABLE));
        }
        let rounded = paged_size(size)?;
        // `io` keeps reads, writes and snapshots out; `inner` is not held
        // across the truncate (shmem's inode lock must not nest in it). A
        // racing `mmap` may still map up to the old size: past the new one,
        // its pages fault with SIGBUS.
        let _io = self.io.lock();
        file.truncate(rounded)?;
        let mut inner = self.inner.lock();
        inner.size = rounded;
        inner.content_size = size;
        Ok(())
    }

    /// `zx_vmo_read` / `zx_vmo_write` between the VMO at `args.offset` and
    /// the user buffer `args.buffer`.
    ///
    /// The data moves in chunks of at most [`RW_CHUNK`] bytes through a
    /// kernel buffer: user memory is copied with no lock held, the file
    /// under `io` with the range checked against the size of the moment.
    /// A read of a whole chunk that the file holds no data for (never
    /// written, or decommitted) clears the user's bytes instead.
    /// Offsets and lengths are 64-bit throughout; a single call may move
    /// more than `MAX_RW_COUNT`.
    ///
    /// # Errors
    ///
    /// `ZX_ERR_NOT_SUPPORTED` for a physical VMO (the seeds: "not usable with
    /// `zx_vmo_read()` and `zx_vmo_write()`"); `ZX_ERR_OUT_OF_RANGE` beyond
    /// the size (nothing is copied; a size that shrinks during a call ends
    /// it there); `EFAULT` for a bad buffer; `ZX_ERR_NO_MEMORY`.
    pub(crate) fn read_write(&self, args: &abi::ZxvmoVmoRw, write: bool) -> Result {
        let Backing::Paged { file, offset, .. } = &self.backing else {
            return Err(zx(abi::ZX_ERR_NOT_SUPPORTED));
        };
        let in_range = |done: u64, n: u64| match args.offset.checked_add(done + n) {
            Some(end) => end <= self.size(),
            None => false,
        };
        if !in_range(0, args.len) {
            return Err(zx(abi::ZX_ERR_OUT_OF_RANGE));
        }
        let len = usize::try_from(args.len).map_err(|_| zx(abi::ZX_ERR_OUT_OF_RANGE))?;
        let buffer = usize::try_from(args.buffer).map_err(|_| zx(abi::ZX_ERR_INVALID_ARGS))?;
        if len == 0 {
            return Ok(());
        }
        let mut bounce = KVVec::from_elem(0u8, len.min(RW_CHUNK), GFP_KERNEL_ACCOUNT)
            .map_err(|_| zx(abi::ZX_ERR_NO_MEMORY))?;
        // One cursor over the user buffer for writes; reads name each
        // chunk's part (a chunk may be cleared instead of copied).
        let mut reader = uarg::user_slice(buffer, len).reader();
        let mut done = 0usize;
        while done < len {
            let n = (len - done).min(RW_CHUNK);
            let chunk = &mut bounce[..n];
            // Past `args.offset + done` lies at most the VMO's size, which
            // `offset + size` keeps inside the file.
            let pos = offset + args.offset + done as u64;
            if write {
                reader.read_slice(chunk)?;
                let _io = self.io.lock();
                if !in_range(done as u64, n as u64) {
                    return Err(zx(abi::ZX_ERR_OUT_OF_RANGE));
                }
                file.write_at(pos, chunk)?;
            } else {
                let hole = {
                    let _io = self.io.lock();
                    if !in_range(done as u64, n as u64) {
                        return Err(zx(abi::ZX_ERR_OUT_OF_RANGE));
                    }
                    // A whole chunk of never-written memory is zeros as of
                    // now: clear the user's bytes instead of copying
                    // zeros through the kernel buffer (a sparse read then
                    // costs a clear, not a memset and a copy).
                    let hole = n == RW_CHUNK && file.is_hole(pos, n as u64);
                    if !hole {
                        file.read_at(pos, chunk)?;
                    }
                    hole
                };
                // (`buffer + done` cannot overflow: `done` grows only past
                // user memory that was written, which lies below the
                // user address limit.)
                if hole {
                    uarg::clear(buffer + done, n)?;
                } else {
                    uarg::user_slice(buffer + done, n)
                        .writer()
                        .write_slice(chunk)?;
                }
            }
            done += n;
        }
        Ok(())
    }

    /// The content size (`ZX_PROP_VMO_CONTENT_SIZE`).
    pub(crate) fn content_size(&self) -> u64 {
        self.inner.lock().content_size
    }

    /// Sets the content size without resizing. A paged VMO's bytes beyond
    /// the new content size, up to the old one, are zeroed (content never
    /// holds stale bytes when it grows back); a physical VMO's memory is a
    /// device's and is left alone.
    ///
    /// # Errors
    ///
    /// `ZX_ERR_OUT_OF_RANGE` when `content_size` exceeds the VMO's size;
    /// `ZX_ERR_NO_MEMORY` when zeroing fails.
    pub(crate) fn set_content_size(&self, content_size: u64) -> Result {
        let _io = self.io.lock();
        let old = {
            let inner = self.inner.lock();
            if content_size > inner.size {
                return Err(zx(abi::ZX_ERR_OUT_OF_RANGE));
            }
            inner.content_size.min(inner.size)
        };
        if let (Backing::Paged { file, offset, .. }, true) = (&self.backing, content_size < old) {
            file.fallocate(
                crate::shmem::PUNCH_HOLE,
                offset + content_size,
                old - content_size,
            )?;
        }
        self.inner.lock().content_size = content_size;
        Ok(())
    }

    /// `zx_vmo_op_range` on `[offset, offset + size)`; the caller checked
    /// the handle's rights for `op`.
    ///
    /// - `COMMIT` commits the range's pages (rounded out to whole pages),
    ///   charged to the caller; `DECOMMIT` frees them (they read as zeros
    ///   again); `ZERO` zeroes the range's bytes, freeing its whole pages.
    ///   Paged VMOs only (slices reach their parent's memory).
    /// - The cache operations succeed without effect: x86 keeps caches
    ///   coherent with DMA and with instruction fetch.
    /// - The hints (`DONT_NEED`, `ALWAYS_NEED`, `PREFETCH`) succeed without
    ///   effect: shmem memory is reclaimed by the kernel's own LRU.
    ///
    /// # Errors
    ///
    /// `ZX_ERR_OUT_OF_RANGE` when the range leaves the VMO;
    /// `ZX_ERR_NOT_SUPPORTED` for `LOCK`, `UNLOCK` and `TRY_LOCK` (no
    /// discardable VMOs) and for `COMMIT`, `DECOMMIT` and `ZERO` on a
    /// physical VMO; `ZX_ERR_INVALID_ARGS` for an unknown op;
    /// `ZX_ERR_NO_MEMORY` when committing fails.
    pub(crate) fn op_range(&self, op: u32, offset: u64, size: u64) -> Result {
        match op {
            abi::ZX_VMO_OP_LOCK | abi::ZX_VMO_OP_UNLOCK | abi::ZX_VMO_OP_TRY_LOCK => {
                return Err(zx(abi::ZX_ERR_NOT_SUPPORTED))
            }
            abi::ZX_VMO_OP_COMMIT
            | abi::ZX_VMO_OP_DECOMMIT
            | abi::ZX_VMO_OP_ZERO
            | abi::ZX_VMO_OP_CACHE_SYNC
            | abi::ZX_VMO_OP_CACHE_INVALIDATE
            | abi::ZX_VMO_OP_CACHE_CLEAN
            | abi::ZX_VMO_OP_CACHE_CLEAN_INVALIDATE
            | abi::ZX_VMO_OP_DONT_NEED
            | abi::ZX_VMO_OP_ALWAYS_NEED
            | abi::ZX_VMO_OP_PREFETCH => {}
            _ => return Err(zx(abi::ZX_ERR_INVALID_ARGS)),
        }
        let end = offset
            .checked_add(size)
            .ok_or_else(|| zx(abi::ZX_ERR_OUT_OF_RANGE))?;
        let changes = matches!(
            op,
            abi::ZX_VMO_OP_COMMIT | abi::ZX_VMO_OP_DECOMMIT | abi::ZX_VMO_OP_ZERO
        );
        let Backing::Paged {
            file, offset: base, ..
        } = &self.backing
        else {
            if end > self.size() {
                return Err(zx(abi::ZX_ERR_OUT_OF_RANGE));
            }
            return if changes {
                Err(zx(abi::ZX_ERR_NOT_SUPPORTED))
            } else {
                Ok(())
            };
        };
        // `io` keeps the size from changing under the operation.
        let _io = self.io.lock();
        if end > self.size() {
            return Err(zx(abi::ZX_ERR_OUT_OF_RANGE));
        }
        // Whole pages around the range (the size is a multiple of pages).
        let (first, last) = (offset - offset % PAGE, end.next_multiple_of(PAGE));
        match op {
            abi::ZX_VMO_OP_COMMIT => file.fallocate(0, base + first, last - first),
            abi::ZX_VMO_OP_DECOMMIT => {
                file.fallocate(crate::shmem::PUNCH_HOLE, base + first, last - first)
            }
            abi::ZX_VMO_OP_ZERO => file.fallocate(crate::shmem::PUNCH_HOLE, base + offset, size),
            _ => Ok(()),
        }
    }

    /// The name (`ZX_PROP_NAME`), NUL-padded.
    pub(crate) fn name(&self) -> [u8; abi::ZX_MAX_NAME_LEN] {
        self.inner.lock().name
    }

    /// Sets the name from `name` (see [`resource::object_name`]).
    pub(crate) fn set_name(&self, name: &[u8]) {
        let new = resource::object_name(name);
        self.inner.lock().name = new;
    }

    /// `zx_vmo_set_cache_policy`.
    ///
    /// # Errors
    ///
    /// `ZX_ERR_INVALID_ARGS` for an unknown policy; `ZX_ERR_NOT_SUPPORTED`
    /// for anything but CACHED on a paged VMO (its memory is ordinary
    /// RAM); `ZX_ERR_BAD_STATE` while the VMO is mapped or has children.
    pub(crate) fn set_cache_policy(&self, policy: u32) -> Result {
        if policy > abi::ZX_CACHE_POLICY_WRITE_COMBINING {
            return Err(zx(abi::ZX_ERR_INVALID_ARGS));
        }
        if matches!(self.backing, Backing::Paged { .. }) && policy != abi::ZX_CACHE_POLICY_CACHED {
            return Err(zx(abi::ZX_ERR_NOT_SUPPORTED));
        }
        if let Some(grant) = self.grant() {
            grant.check()?;
        }
        let mut inner = self.inner.lock();
        if inner.mappings != 0 || inner.children != 0 {
            return Err(refuse(abi::ZXVMO_REASON_IN_USE));
        }
        if policy != abi::ZX_CACHE_POLICY_WRITE_COMBINING {
            self.free_wc(&mut inner);
        }
        inner.cache_policy = policy;
        Ok(())
    }

    /// Releases the VMO's write-combining reservation, if it holds one.
    fn free_wc(&self, inner: &mut VmoInner) {
        if let (true, Backing::Physical(phys)) = (inner.wc_reserved, &self.backing) {
            // SAFETY: The range was reserved by `reserve_wc`, once.
            unsafe { ffi_ext::zxvmo_free_wc(phys.paddr, phys.pages * PAGE) };
            inner.wc_reserved = false;
        }
    }

    /// Reserves the write-combining memtype of the VMO's range for the
    /// VMO's life, once: every entry its faults insert then gets it (the
    /// x86 PAT code looks the memtype up per inserted pfn).
    ///
    /// # Errors
    ///
    /// `ZX_ERR_BAD_STATE` when another user holds the range with a type
    /// that conflicts.
    fn reserve_wc(&self, inner: &mut VmoInner, phys: &Physical) -> Result {
        if inner.wc_reserved {
            return Ok(());
        }
        // SAFETY: The helper reserves a memtype range; it is released by
        // `free_wc`, once, as `wc_reserved` records.
        let ret = unsafe { ffi_ext::zxvmo_reserve_wc(phys.paddr, phys.pages * PAGE) };
        if ret != 0 {
            return Err(refuse(abi::ZXVMO_REASON_MEMTYPE_CONFLICT));
        }
        inner.wc_reserved = true;
        Ok(())
    }

    /// Fills the VMO's part of `ZXVMO_IOC_GET_INFO`.
    pub(crate) fn info(&self, info: &mut abi::ZxvmoInfo) {
        let inner = self.inner.lock();
        info.koid = self.koid;
        info.parent_koid = self.parent.as_ref().map_or(0, |p| p.koid);
        info.obj_type = abi::ZX_OBJ_TYPE_VMO;
        info.size = inner.size;
        info.content_size = inner.content_size;
        info.num_children = inner.children;
        info.num_mappings = inner.mappings;
        info.cache_policy = inner.cache_policy;
        info.name = inner.name;
        info.flags = self.info_flags;
        info.committed_bytes = 0;
        if let Backing::Paged {
            file, resizable, ..
        } = &self.backing
        {
            info.flags |= abi::ZX_INFO_VMO_TYPE_PAGED;
            if *resizable {
                info.flags |= abi::ZX_INFO_VMO_RESIZABLE;
            }
            // A slice shares its parent's file, so this is the file's total.
            info.committed_bytes = file.committed();
        }
    }

    /// The shmem file behind a paged VMO (shared with its slices), and
    /// where the VMO starts in it.
    pub(crate) fn shmem(&self) -> Option<(&ShmemFile, u64)> {
        match &self.backing {
            Backing::Paged { file, offset, .. } => Some((file, *offset)),
            Backing::Physical(_) => None,
        }
    }

    /// Counts a new mapping of `[offset, offset + len)` of the VMO, which
    /// [`crate::mapping::map`] is about to make, and returns the cache
    /// policy to map it with. For a write-combining physical VMO, reserves
    /// the memtype first.
    ///
    /// # Errors
    ///
    /// `ZX_ERR_OUT_OF_RANGE` when the range exceeds the VMO;
    /// `ZX_ERR_BAD_STATE` for a revoked physical VMO, or when its
    /// write-combining memtype conflicts with another user's.
    pub(crate) fn mapping_begins(&self, offset: u64, len: u64) -> Result<u32> {
        if let Some(grant) = self.grant() {
            grant.check()?;
        }
        let mut inner = self.inner.lock();
        match offset.checked_add(len) {
            Some(end) if end <= inner.size => {}
            _ => return Err(zx(abi::ZX_ERR_OUT_OF_RANGE)),
        }
        if let Backing::Physical(phys) = &self.backing {
            if inner.cache_policy == abi::ZX_CACHE_POLICY_WRITE_COMBINING {
                self.reserve_wc(&mut inner, phys)?;
            }
        }
        // Counted before the mapping is made so that `set_cache_policy`
        // sees it.
        inner.mappings += 1;
        Ok(inner.cache_policy)
    }

    /// A page fault at `address` of a mapping of this physical VMO from
    /// `start` to `end` whose first page is page `pgoff` of the VMO; asks
    /// for an entry of `order` (0, or a PMD or PUD order). Calls `insert`
    /// with the pfn of the entry's first page and the order when an entry of
    /// that order fits: inside the mapping and the VMO, with the virtual and
    /// physical addresses both aligned to its size.
    pub(crate) fn phys_fault(
        &self,
        (start, end, pgoff): (u64, u64, u64),
        address: u64,
        order: u32,
        insert: impl FnOnce(u64) -> u32,
    ) -> u32 {
        let Backing::Physical(phys) = &self.backing else {
            return bindings::vm_fault_reason_VM_FAULT_SIGBUS;
        };
        let huge = PAGE << order;
        let addr = address & !(huge - 1);
        let fallback = || {
            if order == 0 {
                bindings::vm_fault_reason_VM_FAULT_SIGBUS
            } else {
                bindings::vm_fault_reason_VM_FAULT_FALLBACK
            }
        };
        if addr < start || addr + huge > end {
            return fallback();
        }
        let page = pgoff + (addr - start) / PAGE;
        if page + (1 << order) > phys.pages {
            return fallback();
        }
        let pfn = phys.paddr / PAGE + page;
        if pfn & ((1 << order) - 1) != 0 {
            return fallback();
        }
        phys.grant
            .with_access(|| insert(pfn))
            .unwrap_or(bindings::vm_fault_reason_VM_FAULT_SIGBUS)
    }

    /// This VMO's view for a handle: a new file on the VMO's inode (paged:
    /// its shmem file's), with `fops` and `private` (see [`crate::inode::view`]).
    ///
    /// # Errors
    ///
    /// `ZX_ERR_NO_MEMORY`; then `private` was not used.
    pub(crate) fn view(
        &self,
        fops: &'static bindings::file_operations,
        private: *mut kernel::ffi::c_void,
    ) -> Result<*mut bindings::file> {
        match &self.backing {
            Backing::Physical(phys) => phys.inode.view(fops, private),
            Backing::Paged { file, .. } => file.view(fops, private),
        }
    }

    /// For fdinfo: a physical VMO's resource koid and first physical
    /// address.
    pub(crate) fn physical_facts(&self) -> Option<(u64, u64)> {
        match &self.backing {
            Backing::Physical(phys) => Some((phys.resource.koid(), phys.paddr)),
            Backing::Paged { .. } => None,
        }
    }

    /// Whether the VMO is physical.
    pub(crate) fn is_physical(&self) -> bool {
        matches!(self.backing, Backing::Physical(_))
    }

    /// The first physical address of a physical VMO.
    pub(crate) fn paddr(&self) -> Option<u64> {
        match &self.backing {
            Backing::Physical(phys) => Some(phys.paddr),
            Backing::Paged { .. } => None,
        }
    }

    /// Counts one more VMA mapping the VMO (a copy or split of a mapping).
    pub(crate) fn mapping_opened(&self) {
        self.inner.lock().mappings += 1;
    }

    /// Counts one VMA fewer mapping the VMO.
    pub(crate) fn mapping_closed(&self) {
        let mut inner = self.inner.lock();
        inner.mappings = inner.mappings.saturating_sub(1);
    }
}

#[pinned_drop]
impl PinnedDrop for Vmo {
    /// Uncounts this VMO in its parent and drops the parent; when that was
    /// the parent's last reference, does the same for the parent's parent,
    /// and so on: a chain of any length is freed in this loop, one VMO at
    /// a time, never by recursion.
    fn drop(self: Pin<&mut Self>) {
        if self.is_physical() {
            revoke::unregister(self.koid);
            let mut inner = self.inner.lock();
            self.free_wc(&mut inner);
        }
        let counted = !self.registration_failed.load(Ordering::Relaxed);
        // SAFETY: `parent` is not structurally pinned: taking it out moves
        // nothing that is pinned.
        let mut next = unsafe { self.get_unchecked_mut() }.parent.take();
        let mut first = true;
        while let Some(parent) = next {
            if counted || !first {
                parent.child_gone();
            }
            first = false;
            next = Arc::into_unique_or_drop(parent).and_then(|mut last| {
                // SAFETY: As above, for the parent whose last reference
                // this is.
                let grandparent = unsafe { last.as_mut().get_unchecked_mut() }.parent.take();
                // Its own `drop` now finds no parent to recurse into.
                drop(last);
                grandparent
            });
        }
    }
}
