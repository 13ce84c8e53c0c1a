//! `Vmo`: virtual memory objects, paged or physical (seeds 000–004).

use std::os::fd::AsFd;

use crate::handle::{impl_handle_based, name_from_raw};
use crate::{ioctl, Device, Handle, Mapping, Resource, Status, VmarFlags};
use zxvmo_abi as sys;

bitflags::bitflags! {
    /// Options of [`Vmo::create_with_opts`].
    #[repr(transparent)]
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct VmoOptions: u32 {
        /// `ZX_VMO_NON_RESIZABLE`: the VMO cannot change size.
        const NON_RESIZABLE = sys::ZX_VMO_NON_RESIZABLE;
    }
}

bitflags::bitflags! {
    /// Options of [`Vmo::create_child`]: exactly one of `SNAPSHOT` and
    /// `SLICE`, plus modifiers.
    #[repr(transparent)]
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct VmoChildOptions: u32 {
        /// `ZX_VMO_CHILD_SNAPSHOT`: a copy of the parent's content at
        /// creation (paged VMOs only); neither sees the other's later writes.
        const SNAPSHOT = sys::ZX_VMO_CHILD_SNAPSHOT;
        /// `ZX_VMO_CHILD_RESIZABLE`: the (snapshot) child is resizable.
        const RESIZABLE = sys::ZX_VMO_CHILD_RESIZABLE;
        /// `ZX_VMO_CHILD_SLICE`: the child shares the parent's memory.
        const SLICE = sys::ZX_VMO_CHILD_SLICE;
        /// `ZX_VMO_CHILD_NO_WRITE`: the child's handle lacks `WRITE`.
        const NO_WRITE = sys::ZX_VMO_CHILD_NO_WRITE;
    }
}

bitflags::bitflags! {
    /// Object signals (`zx_signals_t`).
    #[repr(transparent)]
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct Signals: u32 {
        /// `ZX_VMO_ZERO_CHILDREN`: the VMO has no children, and no mappings
        /// of children exist.
        const VMO_ZERO_CHILDREN = sys::ZX_VMO_ZERO_CHILDREN;
    }
}

/// An operation of [`Vmo::op_range`] (`ZX_VMO_OP_*`), as Fuchsia's `zx`
/// crate spells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct VmoOp(u32);

impl VmoOp {
    /// Commit the range's pages.
    pub const COMMIT: VmoOp = VmoOp(sys::ZX_VMO_OP_COMMIT);
    /// Free the range's pages; they read as zeros.
    pub const DECOMMIT: VmoOp = VmoOp(sys::ZX_VMO_OP_DECOMMIT);
    /// Lock a discardable VMO (not supported: `NOT_SUPPORTED`).
    pub const LOCK: VmoOp = VmoOp(sys::ZX_VMO_OP_LOCK);
    /// Unlock a discardable VMO (not supported: `NOT_SUPPORTED`).
    pub const UNLOCK: VmoOp = VmoOp(sys::ZX_VMO_OP_UNLOCK);
    /// Make instruction and data caches agree.
    pub const CACHE_SYNC: VmoOp = VmoOp(sys::ZX_VMO_OP_CACHE_SYNC);
    /// Invalidate the data cache.
    pub const CACHE_INVALIDATE: VmoOp = VmoOp(sys::ZX_VMO_OP_CACHE_INVALIDATE);
    /// Clean the data cache.
    pub const CACHE_CLEAN: VmoOp = VmoOp(sys::ZX_VMO_OP_CACHE_CLEAN);
    /// Clean and invalidate the data cache.
    pub const CACHE_CLEAN_INVALIDATE: VmoOp = VmoOp(sys::ZX_VMO_OP_CACHE_CLEAN_INVALIDATE);
    /// Zero the range's bytes.
    pub const ZERO: VmoOp = VmoOp(sys::ZX_VMO_OP_ZERO);
    /// Try to lock a discardable VMO (not supported: `NOT_SUPPORTED`).
    pub const TRY_LOCK: VmoOp = VmoOp(sys::ZX_VMO_OP_TRY_LOCK);
    /// Hint: the range will not be needed soon.
    pub const DONT_NEED: VmoOp = VmoOp(sys::ZX_VMO_OP_DONT_NEED);
    /// Hint: the range should stay in memory.
    pub const ALWAYS_NEED: VmoOp = VmoOp(sys::ZX_VMO_OP_ALWAYS_NEED);
    /// Hint: the range will be needed soon.
    pub const PREFETCH: VmoOp = VmoOp(sys::ZX_VMO_OP_PREFETCH);

    /// An operation from its raw `ZX_VMO_OP_*` value.
    pub const fn from_raw(raw: u32) -> VmoOp {
        VmoOp(raw)
    }

    /// The raw `ZX_VMO_OP_*` value.
    pub const fn into_raw(self) -> u32 {
        self.0
    }
}

/// A `CLOCK_MONOTONIC` deadline for [`Vmo::wait_one`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Deadline(i64);

impl Deadline {
    /// Never passes.
    pub const INFINITE: Deadline = Deadline(i64::MAX);
    /// Already passed: the wait only checks.
    pub const PAST: Deadline = Deadline(0);

    /// The monotonic clock now, in nanoseconds.
    fn now_ns() -> i64 {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `ts` is a valid out-parameter.
        unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
        ts.tv_sec
            .saturating_mul(1_000_000_000)
            .saturating_add(ts.tv_nsec)
    }

    /// `d` from now.
    pub fn after(d: std::time::Duration) -> Deadline {
        let ns = i64::try_from(d.as_nanos()).unwrap_or(i64::MAX);
        Deadline(Self::now_ns().saturating_add(ns))
    }

    /// The deadline at `ns` `CLOCK_MONOTONIC` nanoseconds (`zx_time_t`).
    pub const fn from_nanos(ns: i64) -> Deadline {
        Deadline(ns)
    }

    /// The deadline in `CLOCK_MONOTONIC` nanoseconds.
    pub fn into_nanos(self) -> i64 {
        self.0
    }
}

/// A virtual memory object.
#[derive(Debug)]
#[repr(transparent)]
pub struct Vmo(Handle);
impl_handle_based!(Vmo);

/// A VMO's cache policy, which its mappings use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum CachePolicy {
    /// `ZX_CACHE_POLICY_CACHED`: ordinary write-back memory.
    Cached = sys::ZX_CACHE_POLICY_CACHED,
    /// `ZX_CACHE_POLICY_UNCACHED`: the physical-VMO default.
    Uncached = sys::ZX_CACHE_POLICY_UNCACHED,
    /// `ZX_CACHE_POLICY_UNCACHED_DEVICE`: uncached device memory.
    UncachedDevice = sys::ZX_CACHE_POLICY_UNCACHED_DEVICE,
    /// `ZX_CACHE_POLICY_WRITE_COMBINING`.
    WriteCombining = sys::ZX_CACHE_POLICY_WRITE_COMBINING,
}

impl Vmo {
    /// Wraps the [`zx_vmo_create`](https://fuchsia.dev/reference/syscalls/vmo_create)
    /// syscall: a resizable paged VMO of `size` bytes, rounded up to the
    /// page size ([`Vmo::get_size`]); the content size is `size` itself.
    ///
    /// Memory is committed lazily, on first touch, and charged to the
    /// memory cgroup of the process that touches it. The handle has
    /// [`Rights::VMO_DEFAULT`](crate::Rights::VMO_DEFAULT).
    ///
    /// # Errors
    ///
    /// `OUT_OF_RANGE` for a size too large; `NO_MEMORY`; `NOT_FOUND` or
    /// `ACCESS_DENIED` when `/dev/zxvmo` cannot be opened.
    pub fn create(size: u64) -> Result<Vmo, Status> {
        Self::create_with_opts(VmoOptions::empty(), size)
    }

    /// [`Vmo::create`] with options.
    ///
    /// # Errors
    ///
    /// As [`Vmo::create`]; `INVALID_ARGS` for unknown options.
    pub fn create_with_opts(opts: VmoOptions, size: u64) -> Result<Vmo, Status> {
        let mut args = sys::ZxvmoVmoCreate {
            size,
            options: opts.bits(),
            reserved: 0,
        };
        let fd = ioctl::write(
            Device::global()?.as_fd(),
            sys::ZXVMO_IOC_VMO_CREATE,
            &mut args,
        )?;
        Ok(Vmo(Handle::from(ioctl::owned_fd(fd))))
    }

    /// Wraps the [`zx_vmo_create_child`](https://fuchsia.dev/reference/syscalls/vmo_create_child)
    /// syscall: a slice or snapshot of `size` bytes from `offset`.
    ///
    /// While the child (any handle or mapping of it) lives, this VMO's
    /// [`Signals::VMO_ZERO_CHILDREN`] is inactive.
    ///
    /// # Errors
    ///
    /// `ACCESS_DENIED` without `DUPLICATE` and `READ`; `INVALID_ARGS` for
    /// unknown or conflicting options or a misaligned offset;
    /// `OUT_OF_RANGE` when a slice leaves the parent; `NOT_SUPPORTED` for a
    /// snapshot of a physical VMO or a slice of a resizable one.
    pub fn create_child(
        &self,
        opts: VmoChildOptions,
        offset: u64,
        size: u64,
    ) -> Result<Vmo, Status> {
        let mut args = sys::ZxvmoVmoCreateChild {
            options: opts.bits(),
            reserved: 0,
            offset,
            size,
        };
        let fd = ioctl::write(self.as_fd(), sys::ZXVMO_IOC_VMO_CREATE_CHILD, &mut args)?;
        Ok(Vmo(Handle::from(ioctl::owned_fd(fd))))
    }

    /// Wraps [`zx_object_wait_one`](https://fuchsia.dev/reference/syscalls/object_wait_one):
    /// waits until any of `signals` is active or `deadline` passes, and
    /// returns the active signals. Waiting needs no right. `poll(2)` on the
    /// VMO's descriptor reports `POLLIN` while `VMO_ZERO_CHILDREN` is active.
    ///
    /// # Errors
    ///
    /// `TIMED_OUT` when the deadline passes first.
    pub fn wait_one(&self, signals: Signals, deadline: Deadline) -> Result<Signals, Status> {
        let mut w = sys::ZxvmoWaitOne {
            signals: signals.bits(),
            observed: 0,
            deadline: deadline.into_nanos(),
        };
        ioctl::write(self.as_fd(), sys::ZXVMO_IOC_WAIT_ONE, &mut w)?;
        Ok(Signals::from_bits_retain(w.observed))
    }

    /// Wraps the [`zx_vmo_create_physical`](https://fuchsia.dev/reference/syscalls/vmo_create_physical)
    /// syscall: a VMO for the `size` bytes of physical memory at `paddr`,
    /// which `resource` must grant.
    ///
    /// The handle has [`Rights::VMO_DEFAULT`](crate::Rights::VMO_DEFAULT);
    /// the content size is `size`, the cache policy
    /// [`CachePolicy::Uncached`]. The VMO cannot be read, written or resized
    /// through the handle; map it.
    ///
    /// # Errors
    ///
    /// `WRONG_TYPE` when `resource` is not a resource; `ACCESS_DENIED` when
    /// it does not grant the range, or the range touches System RAM or a
    /// range another driver holds; `INVALID_ARGS` when `paddr` or `size` is
    /// not page-aligned or `size` is 0; `OUT_OF_RANGE` when the range
    /// overflows or exceeds the physical address width; `NO_MEMORY`.
    pub fn create_physical(resource: &Resource, paddr: u64, size: usize) -> Result<Vmo, Status> {
        let mut args = sys::ZxvmoVmoCreatePhysical {
            paddr,
            size: size as u64,
        };
        let fd = ioctl::write(
            resource.as_fd(),
            sys::ZXVMO_IOC_VMO_CREATE_PHYSICAL,
            &mut args,
        )?;
        Ok(Vmo(Handle::from(ioctl::owned_fd(fd))))
    }

    fn rw(&self, cmd: u32, offset: u64, ptr: *mut u8, len: usize) -> Result<(), Status> {
        let mut args = sys::ZxvmoVmoRw {
            offset,
            buffer: ptr as u64,
            len: len as u64,
        };
        // SAFETY: `args` matches the command; its buffer is `len` bytes the
        // caller lent us (mutably for reads).
        unsafe {
            ioctl::raw(
                self.as_fd(),
                cmd,
                (&mut args as *mut sys::ZxvmoVmoRw).cast(),
            )
        }?;
        Ok(())
    }

    /// Wraps [`zx_vmo_read`](https://fuchsia.dev/reference/syscalls/vmo_read):
    /// reads `data.len()` bytes at `offset`.
    ///
    /// # Errors
    ///
    /// `ACCESS_DENIED` without [`Rights::READ`](crate::Rights::READ);
    /// `OUT_OF_RANGE` beyond the VMO's size; `NOT_SUPPORTED` for a
    /// physical VMO.
    pub fn read(&self, data: &mut [u8], offset: u64) -> Result<(), Status> {
        self.rw(
            sys::ZXVMO_IOC_VMO_READ,
            offset,
            data.as_mut_ptr(),
            data.len(),
        )
    }

    /// Wraps [`zx_vmo_write`](https://fuchsia.dev/reference/syscalls/vmo_write):
    /// writes `data` at `offset`.
    ///
    /// # Errors
    ///
    /// `ACCESS_DENIED` without [`Rights::WRITE`](crate::Rights::WRITE);
    /// `OUT_OF_RANGE` beyond the VMO's size (nothing is written);
    /// `NOT_SUPPORTED` for a physical VMO.
    pub fn write(&self, data: &[u8], offset: u64) -> Result<(), Status> {
        self.rw(
            sys::ZXVMO_IOC_VMO_WRITE,
            offset,
            data.as_ptr().cast_mut(),
            data.len(),
        )
    }

    /// Wraps [`zx_vmo_get_size`](https://fuchsia.dev/reference/syscalls/vmo_get_size).
    ///
    /// # Errors
    ///
    /// `WRONG_TYPE` when the handle is not a VMO.
    pub fn get_size(&self) -> Result<u64, Status> {
        ioctl::read(self.as_fd(), sys::ZXVMO_IOC_VMO_GET_SIZE)
    }

    /// Wraps [`zx_vmo_set_size`](https://fuchsia.dev/reference/syscalls/vmo_set_size).
    ///
    /// # Errors
    ///
    /// `ACCESS_DENIED` without [`Rights::WRITE`](crate::Rights::WRITE);
    /// `NOT_SUPPORTED` for a physical VMO; `UNAVAILABLE` for a
    /// non-resizable one; `OUT_OF_RANGE` when too large.
    pub fn set_size(&self, size: u64) -> Result<(), Status> {
        let mut s = size;
        ioctl::write(self.as_fd(), sys::ZXVMO_IOC_VMO_SET_SIZE, &mut s)?;
        Ok(())
    }

    fn property(&self, cmd: u32, property: u32, buf: *mut u8, len: usize) -> Result<(), Status> {
        let mut p = sys::ZxvmoProperty {
            property,
            reserved: 0,
            value: buf as u64,
            len: len as u64,
        };
        // SAFETY: `p` matches the command; its value buffer is `len` bytes
        // the caller lent us (mutably for gets).
        unsafe {
            ioctl::raw(
                self.as_fd(),
                cmd,
                (&mut p as *mut sys::ZxvmoProperty).cast(),
            )
        }?;
        Ok(())
    }

    /// The content size (`ZX_PROP_VMO_CONTENT_SIZE`).
    ///
    /// # Errors
    ///
    /// `ACCESS_DENIED` without [`Rights::GET_PROPERTY`](crate::Rights::GET_PROPERTY).
    pub fn get_content_size(&self) -> Result<u64, Status> {
        let mut v = 0u64;
        self.property(
            sys::ZXVMO_IOC_GET_PROPERTY,
            sys::ZX_PROP_VMO_CONTENT_SIZE,
            (&mut v as *mut u64).cast(),
            8,
        )?;
        Ok(v)
    }

    /// Sets the content size without resizing the VMO.
    ///
    /// # Errors
    ///
    /// `ACCESS_DENIED` without [`Rights::SET_PROPERTY`](crate::Rights::SET_PROPERTY);
    /// `OUT_OF_RANGE` beyond the VMO's size.
    pub fn set_content_size(&self, size: u64) -> Result<(), Status> {
        let mut v = size;
        self.property(
            sys::ZXVMO_IOC_SET_PROPERTY,
            sys::ZX_PROP_VMO_CONTENT_SIZE,
            (&mut v as *mut u64).cast(),
            8,
        )
    }

    /// The VMO's name (`ZX_PROP_NAME`).
    ///
    /// # Errors
    ///
    /// `ACCESS_DENIED` without [`Rights::GET_PROPERTY`](crate::Rights::GET_PROPERTY).
    pub fn get_name(&self) -> Result<String, Status> {
        let mut raw = [0u8; sys::ZX_MAX_NAME_LEN];
        self.property(
            sys::ZXVMO_IOC_GET_PROPERTY,
            sys::ZX_PROP_NAME,
            raw.as_mut_ptr(),
            raw.len(),
        )?;
        Ok(name_from_raw(&raw))
    }

    /// Sets the VMO's name; bytes beyond `ZX_MAX_NAME_LEN - 1` are dropped.
    ///
    /// # Errors
    ///
    /// `ACCESS_DENIED` without [`Rights::SET_PROPERTY`](crate::Rights::SET_PROPERTY).
    pub fn set_name(&self, name: &str) -> Result<(), Status> {
        self.property(
            sys::ZXVMO_IOC_SET_PROPERTY,
            sys::ZX_PROP_NAME,
            name.as_ptr().cast_mut(),
            name.len(),
        )
    }

    /// Wraps [`zx_vmo_op_range`](https://fuchsia.dev/reference/syscalls/vmo_op_range)
    /// for the operations that take no buffer.
    ///
    /// `COMMIT` commits the range's pages, charged to the caller's memory
    /// cgroup; `DECOMMIT` frees them (they read as zeros); `ZERO` zeroes
    /// the range's bytes. The cache operations and the hints succeed
    /// without effect on x86 (caches are coherent with DMA; the kernel's
    /// LRU manages residency).
    ///
    /// # Errors
    ///
    /// `ACCESS_DENIED` without the op's right (`WRITE` for `COMMIT`,
    /// `DECOMMIT`, `ZERO` and `CACHE_INVALIDATE`; `READ` for the other
    /// cache operations; either for the hints); `OUT_OF_RANGE` when the
    /// range leaves the VMO; `NOT_SUPPORTED` for `LOCK`, `UNLOCK` and
    /// `TRY_LOCK`, and for `COMMIT`, `DECOMMIT` and `ZERO` on a physical
    /// VMO; `INVALID_ARGS` for an unknown op; `NO_MEMORY`.
    pub fn op_range(&self, op: VmoOp, offset: u64, size: u64) -> Result<(), Status> {
        let mut args = sys::ZxvmoVmoOpRange {
            op: op.into_raw(),
            reserved: 0,
            offset,
            size,
        };
        ioctl::write(self.as_fd(), sys::ZXVMO_IOC_VMO_OP_RANGE, &mut args)?;
        Ok(())
    }

    /// Wraps [`zx_vmo_set_cache_policy`](https://fuchsia.dev/reference/syscalls/vmo_set_cache_policy).
    ///
    /// # Errors
    ///
    /// `ACCESS_DENIED` without [`Rights::MAP`](crate::Rights::MAP);
    /// `BAD_STATE` while the VMO is mapped or has children.
    pub fn set_cache_policy(&self, policy: CachePolicy) -> Result<(), Status> {
        let mut p = policy as u32;
        ioctl::write(self.as_fd(), sys::ZXVMO_IOC_VMO_SET_CACHE_POLICY, &mut p)?;
        Ok(())
    }

    /// Maps `len` bytes of the VMO from `offset` into this process, shared,
    /// with the protections in `flags` (as `zx_vmar_map` into the root VMAR).
    ///
    /// # Errors
    ///
    /// `INVALID_ARGS` when `offset` is not page-aligned or `len` is 0, or
    /// when `flags` ask for `PERM_WRITE` or `PERM_EXECUTE` without
    /// `PERM_READ` (x86 cannot map memory writable or executable without
    /// making it readable); `OUT_OF_RANGE` when the range exceeds the VMO;
    /// `ACCESS_DENIED` when a protection lacks its right (or `MAP` is
    /// missing), and for `PERM_EXECUTE` on Linux 7.0 and later, which
    /// refuses executable mappings of files on pseudo filesystems (as
    /// every zxvmo handle is) whatever their rights.
    ///
    /// The mapping keeps the handle's rights for its whole life:
    /// `mprotect(2)` cannot add a protection the handle lacks (write and
    /// execute also need the `READ` right), and `remap_file_pages(2)`,
    /// `mremap(2)`, `fork(2)` and `/proc/PID/mem` cannot widen it.
    pub fn map(&self, offset: u64, len: usize, flags: VmarFlags) -> Result<Mapping, Status> {
        Mapping::new(self.as_fd(), None, offset, len, flags)
    }

    /// As [`Vmo::map`], at exactly the page-aligned address `addr`
    /// (`ZX_VM_SPECIFIC`); nothing already mapped there is replaced.
    ///
    /// # Errors
    ///
    /// As [`Vmo::map`]; `INVALID_ARGS` when `addr` is not page-aligned;
    /// `NO_MEMORY` when part of the range is already mapped.
    pub fn map_at(
        &self,
        addr: usize,
        offset: u64,
        len: usize,
        flags: VmarFlags,
    ) -> Result<Mapping, Status> {
        Mapping::new(self.as_fd(), Some(addr), offset, len, flags)
    }
}
