// SPDX-License-Identifier: GPL-2.0 OR MIT

//! The `/dev/zxvmo` ioctl ABI, written once.
//!
//! The kernel module includes this file by path and the `zxvmo` crate depends
//! on the `zxvmo-abi` crate that wraps it, so every number below exists in
//! exactly one place. Values are Zircon's wherever Zircon has one.
//!
//! # Conventions
//!
//! - Every zxvmo object (the device, a resource, a VMO) is an open file; a
//!   handle is a file descriptor and its rights live with that open file.
//! - An ioctl that creates an object returns the new file descriptor (opened
//!   `O_CLOEXEC`) as its non-negative return value.
//! - Failures are negative errnos; [`status_to_errno`] and
//!   [`errno_to_status`] turn one into the other without loss.
//! - An ioctl issued on the wrong kind of zxvmo object fails with `ENOTTY`,
//!   which is [`ZX_ERR_WRONG_TYPE`]: the same answer any non-zxvmo file gives.

/// A Zircon status code (`zx_status_t`).
pub type ZxStatus = i32;

/// Success.
pub const ZX_OK: ZxStatus = 0;
/// An internal invariant was broken; never a caller's fault.
pub const ZX_ERR_INTERNAL: ZxStatus = -1;
/// The operation is not supported on this object.
pub const ZX_ERR_NOT_SUPPORTED: ZxStatus = -2;
/// Not enough memory to complete the operation.
pub const ZX_ERR_NO_MEMORY: ZxStatus = -4;
/// An argument is invalid.
pub const ZX_ERR_INVALID_ARGS: ZxStatus = -10;
/// A handle argument is not a valid handle.
pub const ZX_ERR_BAD_HANDLE: ZxStatus = -11;
/// A handle argument refers to an object of the wrong type.
pub const ZX_ERR_WRONG_TYPE: ZxStatus = -12;
/// An argument is outside the valid range.
pub const ZX_ERR_OUT_OF_RANGE: ZxStatus = -14;
/// A caller-provided buffer is too small.
pub const ZX_ERR_BUFFER_TOO_SMALL: ZxStatus = -15;
/// The object is not in a state that allows the operation.
pub const ZX_ERR_BAD_STATE: ZxStatus = -20;
/// The deadline passed before the operation completed.
pub const ZX_ERR_TIMED_OUT: ZxStatus = -21;
/// The requested entity was not found.
pub const ZX_ERR_NOT_FOUND: ZxStatus = -25;
/// The object cannot do this now or ever (for example, it is not resizable).
pub const ZX_ERR_UNAVAILABLE: ZxStatus = -28;
/// The caller lacks the rights or privilege for the operation.
pub const ZX_ERR_ACCESS_DENIED: ZxStatus = -30;

/// Linux errno values (x86-64 and asm-generic) used by the status table.
pub mod errno {
    /// Operation not permitted.
    pub const EPERM: i32 = 1;
    /// No such file or directory.
    pub const ENOENT: i32 = 2;
    /// I/O error.
    pub const EIO: i32 = 5;
    /// Bad file descriptor.
    pub const EBADF: i32 = 9;
    /// Out of memory.
    pub const ENOMEM: i32 = 12;
    /// Permission denied.
    pub const EACCES: i32 = 13;
    /// Bad address.
    pub const EFAULT: i32 = 14;
    /// Device or resource busy.
    pub const EBUSY: i32 = 16;
    /// Invalid argument.
    pub const EINVAL: i32 = 22;
    /// Inappropriate ioctl for device.
    pub const ENOTTY: i32 = 25;
    /// Result out of range.
    pub const ERANGE: i32 = 34;
    /// Operation not supported.
    pub const EOPNOTSUPP: i32 = 95;
    /// No buffer space available.
    pub const ENOBUFS: i32 = 105;
    /// Connection timed out.
    pub const ETIMEDOUT: i32 = 110;
}

/// Each Zircon status beside the one errno that carries it across the ioctl
/// boundary. Both columns are distinct, so the mapping is lossless.
pub const STATUS_ERRNO: [(ZxStatus, i32); 14] = [
    (ZX_ERR_INTERNAL, errno::EIO),
    (ZX_ERR_NOT_SUPPORTED, errno::EOPNOTSUPP),
    (ZX_ERR_NO_MEMORY, errno::ENOMEM),
    (ZX_ERR_INVALID_ARGS, errno::EINVAL),
    (ZX_ERR_BAD_HANDLE, errno::EBADF),
    (ZX_ERR_WRONG_TYPE, errno::ENOTTY),
    (ZX_ERR_OUT_OF_RANGE, errno::ERANGE),
    (ZX_ERR_BUFFER_TOO_SMALL, errno::ENOBUFS),
    (ZX_ERR_BAD_STATE, errno::EBUSY),
    (ZX_ERR_TIMED_OUT, errno::ETIMEDOUT),
    (ZX_ERR_NOT_FOUND, errno::ENOENT),
    (ZX_ERR_UNAVAILABLE, errno::EPERM),
    (ZX_ERR_ACCESS_DENIED, errno::EACCES),
    // `EFAULT` has no status of its own: Zircon reports a bad user pointer as
    // `ZX_ERR_INVALID_ARGS`. It is last so that `status_to_errno` never
    // picks it.
    (ZX_ERR_INVALID_ARGS, errno::EFAULT),
];

/// The positive errno that carries `status`, or `EIO` for a status the table
/// does not know (including `ZX_OK`, which is not an error).
pub const fn status_to_errno(status: ZxStatus) -> i32 {
    let mut i = 0;
    while i < STATUS_ERRNO.len() {
        if STATUS_ERRNO[i].0 == status {
            return STATUS_ERRNO[i].1;
        }
        i += 1;
    }
    errno::EIO
}

/// The status a positive `errno` from a zxvmo call stands for; an errno the
/// table does not know becomes `ZX_ERR_INTERNAL`.
pub const fn errno_to_status(errno: i32) -> ZxStatus {
    let mut i = 0;
    while i < STATUS_ERRNO.len() {
        if STATUS_ERRNO[i].1 == errno {
            return STATUS_ERRNO[i].0;
        }
        i += 1;
    }
    ZX_ERR_INTERNAL
}

/// Why a call was refused (`ZxvmoRefusal::reason`): which check said no.
/// Each reason comes with one status, [`reason_status`]; a failure with
/// no reason (`ZXVMO_REASON_NONE`) is one its status explains alone
/// (`ZX_ERR_INVALID_ARGS` for a bad argument, `ZX_ERR_NO_MEMORY`, ...).
pub type ZxvmoReason = u32;
/// No reason beyond the status.
pub const ZXVMO_REASON_NONE: ZxvmoReason = 0;
/// `ZX_ERR_ACCESS_DENIED`: the handle lacks a right the call needs
/// (`ZxvmoRefusal::right` names it).
pub const ZXVMO_REASON_RIGHTS: ZxvmoReason = 1;
/// `ZX_ERR_ACCESS_DENIED`: the root resource needs `CAP_SYS_RAWIO`.
pub const ZXVMO_REASON_NO_CAPABILITY: ZxvmoReason = 2;
/// `ZX_ERR_ACCESS_DENIED`: the kernel is locked down (`lockdown=`, or raised
/// while it runs), which forbids new ways to raw device memory even to root:
/// the root resource, and new physical VMOs and new mappings of them, even
/// from a resource or VMO taken before.
pub const ZXVMO_REASON_LOCKDOWN: ZxvmoReason = 3;
/// `ZX_ERR_ACCESS_DENIED`: the range touches System RAM.
pub const ZXVMO_REASON_SYSTEM_RAM: ZxvmoReason = 4;
/// `ZX_ERR_ACCESS_DENIED`: part of the range is busy: a kernel driver or
/// an exclusive resource holds it (see `/proc/iomem`).
pub const ZXVMO_REASON_BUSY: ZxvmoReason = 5;
/// `ZX_ERR_ACCESS_DENIED`: the range is not inside the resource.
pub const ZXVMO_REASON_OUTSIDE_RESOURCE: ZxvmoReason = 6;
/// `ZX_ERR_BAD_STATE`: the resource, or one it was made from, was revoked.
pub const ZXVMO_REASON_REVOKED: ZxvmoReason = 7;
/// `ZX_ERR_BAD_HANDLE`: the handle was replaced (`zx_handle_replace`).
pub const ZXVMO_REASON_REPLACED: ZxvmoReason = 8;
/// `ZX_ERR_BAD_STATE`: the VMO is mapped or has children, so its cache
/// policy cannot change.
pub const ZXVMO_REASON_IN_USE: ZxvmoReason = 9;
/// `ZX_ERR_BAD_STATE`: another mapping of the range uses another cache
/// type (x86 PAT), which the kernel does not allow to coexist.
pub const ZXVMO_REASON_MEMTYPE_CONFLICT: ZxvmoReason = 10;
/// `ZX_ERR_UNAVAILABLE`: the VMO was created non-resizable.
pub const ZXVMO_REASON_NOT_RESIZABLE: ZxvmoReason = 11;
/// One more than the largest reason.
pub const ZXVMO_REASON_COUNT: ZxvmoReason = 12;

/// The status each reason comes with (`ZX_OK` for `ZXVMO_REASON_NONE` and
/// for a value that is not a reason).
pub const fn reason_status(reason: ZxvmoReason) -> ZxStatus {
    match reason {
        ZXVMO_REASON_RIGHTS
        | ZXVMO_REASON_NO_CAPABILITY
        | ZXVMO_REASON_LOCKDOWN
        | ZXVMO_REASON_SYSTEM_RAM
        | ZXVMO_REASON_BUSY
        | ZXVMO_REASON_OUTSIDE_RESOURCE => ZX_ERR_ACCESS_DENIED,
        ZXVMO_REASON_REVOKED | ZXVMO_REASON_IN_USE | ZXVMO_REASON_MEMTYPE_CONFLICT => {
            ZX_ERR_BAD_STATE
        }
        ZXVMO_REASON_REPLACED => ZX_ERR_BAD_HANDLE,
        ZXVMO_REASON_NOT_RESIZABLE => ZX_ERR_UNAVAILABLE,
        _ => ZX_OK,
    }
}

/// What a person can act on, for each reason: a phrase that completes
/// "refused: ...".
pub const fn reason_text(reason: ZxvmoReason) -> &'static str {
    match reason {
        ZXVMO_REASON_RIGHTS => "the handle lacks a right the call needs",
        ZXVMO_REASON_NO_CAPABILITY => "the root resource needs CAP_SYS_RAWIO",
        ZXVMO_REASON_LOCKDOWN => "the kernel is locked down, which forbids raw device memory",
        ZXVMO_REASON_SYSTEM_RAM => "the range touches System RAM",
        ZXVMO_REASON_BUSY => {
            "part of the range is held by a kernel driver or an exclusive resource (see /proc/iomem)"
        }
        ZXVMO_REASON_OUTSIDE_RESOURCE => "the range is not inside the resource",
        ZXVMO_REASON_REVOKED => "the resource it came from was revoked",
        ZXVMO_REASON_REPLACED => "the handle was replaced",
        ZXVMO_REASON_IN_USE => "the VMO is mapped or has children",
        ZXVMO_REASON_MEMTYPE_CONFLICT => {
            "another mapping of the range uses another cache policy"
        }
        ZXVMO_REASON_NOT_RESIZABLE => "the VMO is not resizable",
        _ => "",
    }
}

/// Handle rights (`zx_rights_t`): bit `n` is Zircon's right number `n`.
pub type ZxRights = u32;

/// The handle may be duplicated.
pub const ZX_RIGHT_DUPLICATE: ZxRights = 1 << 0;
/// The handle may be transferred to another process.
pub const ZX_RIGHT_TRANSFER: ZxRights = 1 << 1;
/// May be read from or mapped with read permissions.
pub const ZX_RIGHT_READ: ZxRights = 1 << 2;
/// May be written to or mapped with write permissions.
pub const ZX_RIGHT_WRITE: ZxRights = 1 << 3;
/// May be mapped with execute permissions.
pub const ZX_RIGHT_EXECUTE: ZxRights = 1 << 4;
/// May be mapped.
pub const ZX_RIGHT_MAP: ZxRights = 1 << 5;
/// May get its properties.
pub const ZX_RIGHT_GET_PROPERTY: ZxRights = 1 << 6;
/// May set its properties.
pub const ZX_RIGHT_SET_PROPERTY: ZxRights = 1 << 7;
/// May be waited on (never granted by default here: waiting needs no right).
pub const ZX_RIGHT_WAIT: ZxRights = 1 << 14;
/// Right to destroy an object. On a resource handle zxvmo gives it the
/// meaning *revoke*: `ZXVMO_IOC_RESOURCE_REVOKE` takes back every mapping
/// and object made from the resource. A handle made by
/// `zx_resource_create` has it; `zx_handle_duplicate` can withhold it.
pub const ZX_RIGHT_DESTROY: ZxRights = 1 << 9;
/// May be inspected.
pub const ZX_RIGHT_INSPECT: ZxRights = 1 << 15;
/// Keep the rights of the handle being duplicated or replaced.
pub const ZX_RIGHT_SAME_RIGHTS: ZxRights = 1 << 31;
/// Every right bit a zxvmo handle can hold (bits 0 to 24).
pub const ZX_RIGHTS_ALL: ZxRights = (1 << 25) - 1;

/// The rights a new VMO handle gets, exactly as the seed pages list them.
pub const ZX_DEFAULT_VMO_RIGHTS: ZxRights = ZX_RIGHT_DUPLICATE
    | ZX_RIGHT_TRANSFER
    | ZX_RIGHT_READ
    | ZX_RIGHT_WRITE
    | ZX_RIGHT_EXECUTE
    | ZX_RIGHT_MAP
    | ZX_RIGHT_GET_PROPERTY
    | ZX_RIGHT_SET_PROPERTY;
/// The rights a new resource handle gets (Zircon's). `WRITE` creates child
/// resources and physical VMOs; `INSPECT` reads the resource's info.
pub const ZX_DEFAULT_RESOURCE_RIGHTS: ZxRights =
    ZX_RIGHT_DUPLICATE | ZX_RIGHT_TRANSFER | ZX_RIGHT_WRITE | ZX_RIGHT_INSPECT | ZX_RIGHT_DESTROY;

/// Signal bits (`zx_signals_t`).
pub type ZxSignals = u32;
/// Active while the VMO has no children (and no mappings of children).
pub const ZX_VMO_ZERO_CHILDREN: ZxSignals = 1 << 3;

/// `zx_vmo_create` option: the VMO cannot change size.
pub const ZX_VMO_NON_RESIZABLE: u32 = 1;

/// `zx_vmo_create_child` option: a copy-on-write snapshot (paged VMOs only).
pub const ZX_VMO_CHILD_SNAPSHOT: u32 = 1 << 0;
/// `zx_vmo_create_child` option: the child is resizable.
pub const ZX_VMO_CHILD_RESIZABLE: u32 = 1 << 2;
/// `zx_vmo_create_child` option: a slice sharing the parent's memory.
pub const ZX_VMO_CHILD_SLICE: u32 = 1 << 3;
/// `zx_vmo_create_child` option: the child's handle lacks `ZX_RIGHT_WRITE`.
pub const ZX_VMO_CHILD_NO_WRITE: u32 = 1 << 5;

/// `zx_vmo_op_range`: commit the range's pages (needs `ZX_RIGHT_WRITE`).
pub const ZX_VMO_OP_COMMIT: u32 = 1;
/// `zx_vmo_op_range`: release the range's pages; they read as zeros.
pub const ZX_VMO_OP_DECOMMIT: u32 = 2;
/// `zx_vmo_op_range`: lock a discardable VMO (not supported).
pub const ZX_VMO_OP_LOCK: u32 = 3;
/// `zx_vmo_op_range`: unlock a discardable VMO (not supported).
pub const ZX_VMO_OP_UNLOCK: u32 = 4;
/// `zx_vmo_op_range`: make instruction and data caches agree (`READ`).
pub const ZX_VMO_OP_CACHE_SYNC: u32 = 6;
/// `zx_vmo_op_range`: invalidate the data cache (`WRITE`).
pub const ZX_VMO_OP_CACHE_INVALIDATE: u32 = 7;
/// `zx_vmo_op_range`: clean the data cache (`READ`).
pub const ZX_VMO_OP_CACHE_CLEAN: u32 = 8;
/// `zx_vmo_op_range`: clean and invalidate the data cache (`READ`).
pub const ZX_VMO_OP_CACHE_CLEAN_INVALIDATE: u32 = 9;
/// `zx_vmo_op_range`: zero the range's bytes (`WRITE`).
pub const ZX_VMO_OP_ZERO: u32 = 10;
/// `zx_vmo_op_range`: try to lock a discardable VMO (not supported).
pub const ZX_VMO_OP_TRY_LOCK: u32 = 11;
/// `zx_vmo_op_range` hint: the range will not be needed soon.
pub const ZX_VMO_OP_DONT_NEED: u32 = 12;
/// `zx_vmo_op_range` hint: the range should stay in memory.
pub const ZX_VMO_OP_ALWAYS_NEED: u32 = 13;
/// `zx_vmo_op_range` hint: the range will be needed soon.
pub const ZX_VMO_OP_PREFETCH: u32 = 14;

/// Cache policy: ordinary cached memory.
pub const ZX_CACHE_POLICY_CACHED: u32 = 0;
/// Cache policy: uncached (`pgprot_noncached`); the physical-VMO default.
pub const ZX_CACHE_POLICY_UNCACHED: u32 = 1;
/// Cache policy: uncached device memory (`pgprot_device`).
pub const ZX_CACHE_POLICY_UNCACHED_DEVICE: u32 = 2;
/// Cache policy: write-combining (`pgprot_writecombine`).
pub const ZX_CACHE_POLICY_WRITE_COMBINING: u32 = 3;

/// Property: the object's name, up to `ZX_MAX_NAME_LEN` bytes with its NUL.
pub const ZX_PROP_NAME: u32 = 3;
/// Property: a VMO's content size, a `u64`.
pub const ZX_PROP_VMO_CONTENT_SIZE: u32 = 17;
/// The longest object name, NUL included.
pub const ZX_MAX_NAME_LEN: usize = 32;

/// Resource kind: a range of MMIO (physical address space).
pub const ZX_RSRC_KIND_MMIO: u32 = 0;
/// Resource kind: the root resource, parent of every other.
pub const ZX_RSRC_KIND_ROOT: u32 = 3;
/// Resource flag: claim the range exclusively in the iomem tree.
pub const ZX_RSRC_FLAG_EXCLUSIVE: u32 = 0x10000;

/// Object type of a VMO (`ZX_OBJ_TYPE_VMO`).
pub const ZX_OBJ_TYPE_VMO: u32 = 3;
/// Object type of a resource (`ZX_OBJ_TYPE_RESOURCE`).
pub const ZX_OBJ_TYPE_RESOURCE: u32 = 15;

/// `ZxvmoVmoInfo::flags`: the VMO is paged (clear: physical).
pub const ZX_INFO_VMO_TYPE_PAGED: u32 = 1 << 0;
/// `ZxvmoVmoInfo::flags`: the VMO can be resized.
pub const ZX_INFO_VMO_RESIZABLE: u32 = 1 << 1;
/// `ZxvmoVmoInfo::flags`: the VMO is a copy-on-write snapshot.
pub const ZX_INFO_VMO_IS_COW_CLONE: u32 = 1 << 2;
/// `ZxvmoVmoInfo::flags`: the VMO is a slice of another.
pub const ZX_INFO_VMO_IS_SLICE: u32 = 1 << 10;

/// The ABI's major version: a module with another major is incompatible.
pub const ZXVMO_ABI_MAJOR: u32 = 1;
/// The ABI's minor version: additions that older callers can ignore.
pub const ZXVMO_ABI_MINOR: u32 = 3;

/// The ioctl type byte of every zxvmo command (numbers 0x40 to 0x7f).
pub const ZXVMO_IOC_MAGIC: u32 = b'Z' as u32;

const IOC_NRBITS: u32 = 8;
const IOC_TYPEBITS: u32 = 8;
const IOC_SIZEBITS: u32 = 14;
const IOC_NRSHIFT: u32 = 0;
const IOC_TYPESHIFT: u32 = IOC_NRSHIFT + IOC_NRBITS;
const IOC_SIZESHIFT: u32 = IOC_TYPESHIFT + IOC_TYPEBITS;
const IOC_DIRSHIFT: u32 = IOC_SIZESHIFT + IOC_SIZEBITS;
const IOC_NONE: u32 = 0;
const IOC_WRITE: u32 = 1;
const IOC_READ: u32 = 2;

/// Builds an ioctl number as Linux's `_IOC(dir, type, nr, size)` does.
pub const fn ioc(dir: u32, ty: u32, nr: u32, size: usize) -> u32 {
    (dir << IOC_DIRSHIFT)
        | (ty << IOC_TYPESHIFT)
        | (nr << IOC_NRSHIFT)
        | ((size as u32) << IOC_SIZESHIFT)
}
const fn io(nr: u32) -> u32 {
    ioc(IOC_NONE, ZXVMO_IOC_MAGIC, nr, 0)
}
const fn ior<T>(nr: u32) -> u32 {
    ioc(IOC_READ, ZXVMO_IOC_MAGIC, nr, core::mem::size_of::<T>())
}
const fn iow<T>(nr: u32) -> u32 {
    ioc(IOC_WRITE, ZXVMO_IOC_MAGIC, nr, core::mem::size_of::<T>())
}
const fn iowr<T>(nr: u32) -> u32 {
    ioc(
        IOC_READ | IOC_WRITE,
        ZXVMO_IOC_MAGIC,
        nr,
        core::mem::size_of::<T>(),
    )
}

/// `ZXVMO_IOC_VERSION`'s result: the module's ABI version.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ZxvmoVersion {
    /// [`ZXVMO_ABI_MAJOR`] of the module.
    pub major: u32,
    /// [`ZXVMO_ABI_MINOR`] of the module.
    pub minor: u32,
}

/// `ZXVMO_IOC_RESOURCE_CREATE`'s argument (`zx_resource_create`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ZxvmoResourceCreate {
    /// A `ZX_RSRC_KIND_*` value.
    pub kind: u32,
    /// `ZX_RSRC_FLAG_*` bits.
    pub flags: u32,
    /// First physical address of the range; page-aligned.
    pub base: u64,
    /// Length of the range in bytes; page-aligned and non-zero.
    pub size: u64,
    /// The resource's name, NUL-padded; need not be NUL-terminated.
    pub name: [u8; ZX_MAX_NAME_LEN],
}

/// `ZXVMO_IOC_VMO_CREATE`'s argument (`zx_vmo_create`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ZxvmoVmoCreate {
    /// Requested size in bytes; rounded up to the page size.
    pub size: u64,
    /// 0 or [`ZX_VMO_NON_RESIZABLE`].
    pub options: u32,
    /// Must be zero.
    pub reserved: u32,
}

/// `ZXVMO_IOC_VMO_CREATE_PHYSICAL`'s argument (`zx_vmo_create_physical`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ZxvmoVmoCreatePhysical {
    /// First physical address; page-aligned.
    pub paddr: u64,
    /// Length in bytes; page-aligned and non-zero.
    pub size: u64,
}

/// `ZXVMO_IOC_VMO_READ`/`_WRITE`'s argument (`zx_vmo_read`/`zx_vmo_write`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ZxvmoVmoRw {
    /// Offset into the VMO.
    pub offset: u64,
    /// User address of the buffer.
    pub buffer: u64,
    /// Number of bytes.
    pub len: u64,
}

/// `ZXVMO_IOC_GET_PROPERTY`/`_SET_PROPERTY`'s argument.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ZxvmoProperty {
    /// A `ZX_PROP_*` value.
    pub property: u32,
    /// Must be zero.
    pub reserved: u32,
    /// User address of the value's buffer.
    pub value: u64,
    /// Length of that buffer in bytes.
    pub len: u64,
}

/// `ZXVMO_IOC_VMO_CREATE_CHILD`'s argument (`zx_vmo_create_child`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ZxvmoVmoCreateChild {
    /// `ZX_VMO_CHILD_*` bits.
    pub options: u32,
    /// Must be zero.
    pub reserved: u32,
    /// Offset of the child in the parent; page-aligned.
    pub offset: u64,
    /// Size of the child in bytes.
    pub size: u64,
}

/// `ZXVMO_IOC_WAIT_ONE`'s argument (`zx_object_wait_one`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ZxvmoWaitOne {
    /// The signals to wait for (any of them).
    pub signals: u32,
    /// Written back: the signals active when the wait ended.
    pub observed: u32,
    /// `CLOCK_MONOTONIC` deadline in nanoseconds; `i64::MAX` waits forever.
    pub deadline: i64,
}

/// `ZXVMO_IOC_VMO_OP_RANGE`'s argument (`zx_vmo_op_range` without a buffer).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ZxvmoVmoOpRange {
    /// A `ZX_VMO_OP_*` operation.
    pub op: u32,
    /// Must be zero.
    pub reserved: u32,
    /// Start of the range in the VMO, in bytes.
    pub offset: u64,
    /// Length of the range in bytes.
    pub size: u64,
}

/// `ZXVMO_IOC_GET_INFO`'s result: `zx_info_handle_basic_t` and
/// `zx_info_vmo_t` in one.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ZxvmoInfo {
    /// Kernel object id, unique for the module's lifetime.
    pub koid: u64,
    /// The koid of the parent VMO, or 0.
    pub parent_koid: u64,
    /// Object type: `ZX_OBJ_TYPE_VMO` or `ZX_OBJ_TYPE_RESOURCE`.
    pub obj_type: u32,
    /// Rights of the handle the call came through.
    pub rights: u32,
    /// VMO size in bytes, or the resource's size.
    pub size: u64,
    /// VMO content size, or the resource's base address.
    pub content_size: u64,
    /// Number of live children.
    pub num_children: u64,
    /// Number of live mappings.
    pub num_mappings: u64,
    /// Bytes of memory committed to the VMO.
    pub committed_bytes: u64,
    /// `ZX_INFO_VMO_*` bits, or the resource's kind ORed with its
    /// `ZX_RSRC_FLAG_*` flags (as Zircon's `options` encode them).
    pub flags: u32,
    /// `ZX_CACHE_POLICY_*` value.
    pub cache_policy: u32,
    /// The object's name, NUL-padded.
    pub name: [u8; ZX_MAX_NAME_LEN],
}

/// [`ZXVMO_IOC_LAST_REFUSAL`]'s answer.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ZxvmoRefusal {
    /// The failed call's status (`ZX_OK` before any failure).
    pub status: ZxStatus,
    /// A `ZXVMO_REASON_*` value.
    pub reason: ZxvmoReason,
    /// For `ZXVMO_REASON_RIGHTS`: a right the call needs that the handle
    /// lacks (the lowest-numbered one); otherwise 0.
    pub right: ZxRights,
    /// Zero.
    pub reserved: u32,
}

/// On `/dev/zxvmo`: reads the module's [`ZxvmoVersion`].
pub const ZXVMO_IOC_VERSION: u32 = ior::<ZxvmoVersion>(0x40);
/// On `/dev/zxvmo`: returns a new root-resource fd (needs `CAP_SYS_RAWIO`
/// and an unlocked kernel).
pub const ZXVMO_IOC_ROOT_RESOURCE: u32 = io(0x41);
/// On a resource: creates a child resource from [`ZxvmoResourceCreate`].
pub const ZXVMO_IOC_RESOURCE_CREATE: u32 = iow::<ZxvmoResourceCreate>(0x42);
/// On `/dev/zxvmo`: creates a paged VMO from [`ZxvmoVmoCreate`].
pub const ZXVMO_IOC_VMO_CREATE: u32 = iow::<ZxvmoVmoCreate>(0x43);
/// On an MMIO resource: creates a physical VMO from [`ZxvmoVmoCreatePhysical`].
pub const ZXVMO_IOC_VMO_CREATE_PHYSICAL: u32 = iow::<ZxvmoVmoCreatePhysical>(0x44);
/// On a VMO: `zx_vmo_read`.
pub const ZXVMO_IOC_VMO_READ: u32 = iow::<ZxvmoVmoRw>(0x45);
/// On a VMO: `zx_vmo_write`.
pub const ZXVMO_IOC_VMO_WRITE: u32 = iow::<ZxvmoVmoRw>(0x46);
/// On a VMO: `zx_vmo_get_size`, a `u64`.
pub const ZXVMO_IOC_VMO_GET_SIZE: u32 = ior::<u64>(0x47);
/// On a VMO: `zx_vmo_set_size`, a `u64`.
pub const ZXVMO_IOC_VMO_SET_SIZE: u32 = iow::<u64>(0x48);
/// On an object: `zx_object_get_property`.
pub const ZXVMO_IOC_GET_PROPERTY: u32 = iow::<ZxvmoProperty>(0x49);
/// On an object: `zx_object_set_property`.
pub const ZXVMO_IOC_SET_PROPERTY: u32 = iow::<ZxvmoProperty>(0x4a);
/// On a VMO: `zx_vmo_set_cache_policy`, a `u32`.
pub const ZXVMO_IOC_VMO_SET_CACHE_POLICY: u32 = iow::<u32>(0x4b);
/// On a VMO: `zx_vmo_create_child`.
pub const ZXVMO_IOC_VMO_CREATE_CHILD: u32 = iow::<ZxvmoVmoCreateChild>(0x4c);
/// On an object: `zx_handle_duplicate` with the given `u32` rights.
pub const ZXVMO_IOC_HANDLE_DUPLICATE: u32 = iow::<u32>(0x4d);
/// On an object: `zx_handle_replace`; the original fd is dead afterwards.
pub const ZXVMO_IOC_HANDLE_REPLACE: u32 = iow::<u32>(0x4e);
/// On an object: `zx_object_get_info` (basic and VMO info).
pub const ZXVMO_IOC_GET_INFO: u32 = ior::<ZxvmoInfo>(0x4f);
/// On an object: `zx_object_wait_one`.
pub const ZXVMO_IOC_WAIT_ONE: u32 = iowr::<ZxvmoWaitOne>(0x50);
/// On a VMO: `zx_vmo_op_range` (ABI 1.1).
pub const ZXVMO_IOC_VMO_OP_RANGE: u32 = iow::<ZxvmoVmoOpRange>(0x51);
/// Revoke a resource and everything made from it (needs
/// `ZX_RIGHT_DESTROY`): every mapping of every physical VMO made from it
/// is zapped (the next access raises `SIGBUS`), later calls that would
/// reach memory through those objects fail with `ZX_ERR_BAD_STATE`, and
/// the resources' iomem claims are released. Since ABI 1.2.
pub const ZXVMO_IOC_RESOURCE_REVOKE: u32 = io(0x52);

/// On any zxvmo fd: why the last call on it that failed (an ioctl, or
/// `mmap` of it) failed, as [`ZxvmoRefusal`]; all zeros before any
/// failure. Calls that succeed leave it as it is, as `errno`. Since ABI 1.3.
pub const ZXVMO_IOC_LAST_REFUSAL: u32 = ior::<ZxvmoRefusal>(0x53);

// The layouts are part of the ABI: no implicit padding, same on every target.
const _: () = assert!(core::mem::size_of::<ZxvmoRefusal>() == 16);
const _: () = assert!(core::mem::size_of::<ZxvmoVersion>() == 8);
const _: () = assert!(core::mem::size_of::<ZxvmoResourceCreate>() == 56);
const _: () = assert!(core::mem::size_of::<ZxvmoVmoCreate>() == 16);
const _: () = assert!(core::mem::size_of::<ZxvmoVmoCreatePhysical>() == 16);
const _: () = assert!(core::mem::size_of::<ZxvmoVmoRw>() == 24);
const _: () = assert!(core::mem::size_of::<ZxvmoProperty>() == 24);
const _: () = assert!(core::mem::size_of::<ZxvmoVmoCreateChild>() == 24);
const _: () = assert!(core::mem::size_of::<ZxvmoWaitOne>() == 16);
const _: () = assert!(core::mem::size_of::<ZxvmoVmoOpRange>() == 24);
const _: () = assert!(core::mem::size_of::<ZxvmoInfo>() == 104);
