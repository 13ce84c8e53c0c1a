//! Zircon's C API over zxvmo: `libzxvmo_zircon.so` and `.a`, with the
//! header `include/zxvmo/zircon.h`.
//!
//! Every function is a thin wrapper over the [`zxvmo`] crate, which wraps
//! the module's ioctls; the numbers all come from `zxvmo-abi`. A handle is
//! a file descriptor (`zx_handle_t` holds it), `ZX_HANDLE_INVALID` is 0, and
//! no call returns descriptor 0 as a new handle.

use std::ffi::{c_char, c_void};
use std::mem::{size_of, ManuallyDrop};
use std::os::fd::{FromRawFd, IntoRawFd, OwnedFd, RawFd};

use zxvmo::sys;
use zxvmo::{
    CachePolicy, Deadline, Handle, HandleBased, Refusal, Resource, ResourceFlags, ResourceKind,
    Rights, Signals, Status, VmarFlags, Vmo, VmoChildOptions, VmoOp, VmoOptions,
};

/// `zx_status_t`.
pub type ZxStatus = i32;
/// `zx_handle_t`: a file descriptor.
pub type ZxHandle = u32;

/// `ZX_HANDLE_INVALID`.
pub const ZX_HANDLE_INVALID: ZxHandle = 0;
/// What [`zx_vmar_root_self`] returns: no descriptor has this number.
pub const ZX_VMAR_ROOT_SELF: ZxHandle = 0xffff_fffe;
/// `ZX_VM_PERM_READ | ZX_VM_PERM_WRITE | ZX_VM_PERM_EXECUTE`.
const ZX_VM_PERMS: u32 = 0b111;
/// `ZX_VM_SPECIFIC`.
pub const ZX_VM_SPECIFIC: u32 = 1 << 4;
/// `ZX_INFO_HANDLE_VALID`.
pub const ZX_INFO_HANDLE_VALID: u32 = 1;
/// `ZX_INFO_HANDLE_BASIC`.
pub const ZX_INFO_HANDLE_BASIC: u32 = 2;
/// `ZX_INFO_RESOURCE`.
pub const ZX_INFO_RESOURCE: u32 = 18;
/// `ZX_INFO_VMO`.
pub const ZX_INFO_VMO: u32 = 23;
/// `ZX_OBJ_PROP_WAITABLE`.
const ZX_OBJ_PROP_WAITABLE: u32 = 1;
/// `ZX_INFO_VMO_VIA_HANDLE`.
const ZX_INFO_VMO_VIA_HANDLE: u32 = 1 << 3;

/// `zx_info_handle_basic_t`, Zircon's layout.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct ZxInfoHandleBasic {
    /// The object's koid.
    pub koid: u64,
    /// The handle's rights.
    pub rights: u32,
    /// `ZX_OBJ_TYPE_VMO` or `ZX_OBJ_TYPE_RESOURCE`.
    pub r#type: u32,
    /// The parent VMO's koid, or 0.
    pub related_koid: u64,
    /// `ZX_OBJ_PROP_WAITABLE` for VMOs.
    pub props: u32,
    /// Padding.
    pub padding1: [u8; 4],
}

/// `zx_info_vmo_t`, Zircon's layout.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct ZxInfoVmo {
    /// The VMO's koid.
    pub koid: u64,
    /// Its name, NUL-padded.
    pub name: [u8; sys::ZX_MAX_NAME_LEN],
    /// Its size.
    pub size_bytes: u64,
    /// The parent's koid, or 0.
    pub parent_koid: u64,
    /// Live children.
    pub num_children: usize,
    /// Live mappings.
    pub num_mappings: usize,
    /// Address spaces that map it (estimated as its mappings).
    pub share_count: usize,
    /// `ZX_INFO_VMO_*` bits.
    pub flags: u32,
    /// Padding.
    pub padding1: [u8; 4],
    /// Committed bytes (paged VMOs).
    pub committed_bytes: u64,
    /// The rights of the handle asked through.
    pub handle_rights: u32,
    /// `ZX_CACHE_POLICY_*`.
    pub cache_policy: u32,
}

/// `zx_info_resource_t`, Zircon's layout.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct ZxInfoResource {
    /// `ZX_RSRC_KIND_*`.
    pub kind: u32,
    /// `ZX_RSRC_FLAG_*`.
    pub flags: u32,
    /// First address.
    pub base: u64,
    /// Length.
    pub size: usize,
    /// Its name, NUL-padded.
    pub name: [u8; sys::ZX_MAX_NAME_LEN],
}

/// A status as the C API returns it.
fn status(r: Result<(), Status>) -> ZxStatus {
    match r {
        Ok(()) => sys::ZX_OK,
        Err(s) => s.into_raw(),
    }
}

/// Borrows the object behind `handle` for the length of a call, without
/// taking the descriptor.
///
/// # Errors
///
/// `BAD_HANDLE` when `handle` is not an open descriptor.
fn borrow<T: HandleBased>(handle: ZxHandle) -> Result<ManuallyDrop<T>, Status> {
    let fd = RawFd::try_from(handle).map_err(|_| Status::BAD_HANDLE)?;
    // SAFETY: `F_GETFD` only asks whether `fd` is open.
    if handle == ZX_HANDLE_INVALID || unsafe { libc::fcntl(fd, libc::F_GETFD) } < 0 {
        return Err(Status::BAD_HANDLE);
    }
    // SAFETY: `fd` is open. The `OwnedFd` is never dropped (`ManuallyDrop`),
    // so the caller's descriptor stays theirs.
    let owned = unsafe { OwnedFd::from_raw_fd(fd) };
    Ok(ManuallyDrop::new(T::from(Handle::from(owned))))
}

/// Gives a new object's descriptor to the caller as a handle, moving it off
/// descriptor 0 (which would read as `ZX_HANDLE_INVALID`).
///
/// # Safety
///
/// `out` is null or points to a writable `zx_handle_t`.
unsafe fn give<T: HandleBased>(obj: T, out: *mut ZxHandle) -> Result<(), Status> {
    if out.is_null() {
        return Err(Status::INVALID_ARGS);
    }
    let handle: Handle = obj.into();
    let owned: OwnedFd = handle.into();
    let mut fd = owned.into_raw_fd();
    if fd == 0 {
        // SAFETY: Duplicates descriptor 0 (ours) to the lowest free one
        // above 2, close-on-exec like every zxvmo descriptor.
        let moved = unsafe { libc::fcntl(0, libc::F_DUPFD_CLOEXEC, 3) };
        // SAFETY: Descriptor 0 is the one this call created; nothing else
        // refers to it.
        unsafe { libc::close(0) };
        if moved < 0 {
            return Err(Status::NO_MEMORY);
        }
        fd = moved;
    }
    // SAFETY: `out` is non-null; the caller passes a writable `zx_handle_t`.
    unsafe { out.write(fd as ZxHandle) };
    Ok(())
}

/// Writes `value` through `out`, or fails with `INVALID_ARGS` when null.
///
/// # Safety
///
/// `out` is null or points to a writable `T`.
unsafe fn put<T>(out: *mut T, value: T) -> Result<(), Status> {
    if out.is_null() {
        return Err(Status::INVALID_ARGS);
    }
    // SAFETY: `out` is non-null and, per the C API, points to a `T`.
    unsafe { out.write(value) };
    Ok(())
}

/// `zx_vmo_create`: a paged VMO.
///
/// # Safety
///
/// The pointers are as Zircon's C API documents them: each is null or
/// valid for the bytes the call reads or writes (buffers of the length
/// passed with them, single values otherwise).
#[no_mangle]
pub unsafe extern "C" fn zx_vmo_create(size: u64, options: u32, out: *mut ZxHandle) -> ZxStatus {
    status((|| {
        let opts = VmoOptions::from_bits(options).ok_or(Status::INVALID_ARGS)?;
        // SAFETY: The caller passes `out` as this function's contract says.
        unsafe { give(Vmo::create_with_opts(opts, size)?, out) }
    })())
}

/// `zx_vmo_create_physical`: a VMO over `[paddr, paddr + size)`, granted by
/// `resource`.
///
/// # Safety
///
/// The pointers are as Zircon's C API documents them: each is null or
/// valid for the bytes the call reads or writes (buffers of the length
/// passed with them, single values otherwise).
#[no_mangle]
pub unsafe extern "C" fn zx_vmo_create_physical(
    resource: ZxHandle,
    paddr: u64,
    size: usize,
    out: *mut ZxHandle,
) -> ZxStatus {
    status((|| {
        let r = borrow::<Resource>(resource)?;
        // SAFETY: The caller passes `out` as this function's contract says.
        unsafe { give(Vmo::create_physical(&r, paddr, size)?, out) }
    })())
}

/// `zx_vmo_create_child`: a snapshot, slice or other child.
///
/// # Safety
///
/// The pointers are as Zircon's C API documents them: each is null or
/// valid for the bytes the call reads or writes (buffers of the length
/// passed with them, single values otherwise).
#[no_mangle]
pub unsafe extern "C" fn zx_vmo_create_child(
    handle: ZxHandle,
    options: u32,
    offset: u64,
    size: u64,
    out: *mut ZxHandle,
) -> ZxStatus {
    status((|| {
        let v = borrow::<Vmo>(handle)?;
        let opts = VmoChildOptions::from_bits_retain(options);
        // SAFETY: The caller passes `out` as this function's contract says.
        unsafe { give(v.create_child(opts, offset, size)?, out) }
    })())
}

/// `zx_resource_create`: a child resource. `options` is the kind ORed with
/// `ZX_RSRC_FLAG_*`; `name` holds `name_size` bytes (at most 31 are kept).
///
/// # Safety
///
/// The pointers are as Zircon's C API documents them: each is null or
/// valid for the bytes the call reads or writes (buffers of the length
/// passed with them, single values otherwise).
#[no_mangle]
pub unsafe extern "C" fn zx_resource_create(
    parent_rsrc: ZxHandle,
    options: u32,
    base: u64,
    size: usize,
    name: *const c_char,
    name_size: usize,
    resource_out: *mut ZxHandle,
) -> ZxStatus {
    status((|| {
        let parent = borrow::<Resource>(parent_rsrc)?;
        let kind = match options & 0xffff {
            sys::ZX_RSRC_KIND_MMIO => ResourceKind::Mmio,
            _ => return Err(Status::INVALID_ARGS),
        };
        let flags = ResourceFlags::from_bits(options & !0xffff).ok_or(Status::INVALID_ARGS)?;
        // SAFETY: Per the C API, `name` points to `name_size` bytes.
        let name = unsafe { name_from_c(name.cast(), name_size) };
        let size = u64::try_from(size).map_err(|_| Status::OUT_OF_RANGE)?;
        // SAFETY: The caller passes `out` as this function's contract says.
        unsafe {
            give(
                Resource::create(&parent, kind, flags, base, size, &name)?,
                resource_out,
            )
        }
    })())
}

/// zxvmo's own: a root-resource handle from `/dev/zxvmo` (`CAP_SYS_RAWIO`).
///
/// # Safety
///
/// The pointers are as Zircon's C API documents them: each is null or
/// valid for the bytes the call reads or writes (buffers of the length
/// passed with them, single values otherwise).
#[no_mangle]
pub unsafe extern "C" fn zxvmo_root_resource(out: *mut ZxHandle) -> ZxStatus {
    status(Resource::root().and_then(|r| {
        // SAFETY: The caller passes `out` as this function's contract says.
        unsafe { give(r, out) }
    }))
}

/// `zx_vmo_read`.
///
/// # Safety
///
/// The pointers are as Zircon's C API documents them: each is null or
/// valid for the bytes the call reads or writes (buffers of the length
/// passed with them, single values otherwise).
#[no_mangle]
pub unsafe extern "C" fn zx_vmo_read(
    handle: ZxHandle,
    buffer: *mut c_void,
    offset: u64,
    buffer_size: usize,
) -> ZxStatus {
    status((|| {
        let v = borrow::<Vmo>(handle)?;
        if buffer_size == 0 {
            return v.read(&mut [], offset);
        }
        if buffer.is_null() {
            return Err(Status::INVALID_ARGS);
        }
        // SAFETY: Per the C API, `buffer` holds `buffer_size` writable bytes.
        let buf = unsafe { std::slice::from_raw_parts_mut(buffer.cast(), buffer_size) };
        v.read(buf, offset)
    })())
}

/// `zx_vmo_write`.
///
/// # Safety
///
/// The pointers are as Zircon's C API documents them: each is null or
/// valid for the bytes the call reads or writes (buffers of the length
/// passed with them, single values otherwise).
#[no_mangle]
pub unsafe extern "C" fn zx_vmo_write(
    handle: ZxHandle,
    buffer: *const c_void,
    offset: u64,
    buffer_size: usize,
) -> ZxStatus {
    status((|| {
        let v = borrow::<Vmo>(handle)?;
        if buffer_size == 0 {
            return v.write(&[], offset);
        }
        if buffer.is_null() {
            return Err(Status::INVALID_ARGS);
        }
        // SAFETY: Per the C API, `buffer` holds `buffer_size` readable bytes.
        let buf = unsafe { std::slice::from_raw_parts(buffer.cast(), buffer_size) };
        v.write(buf, offset)
    })())
}

/// `zx_vmo_get_size`.
///
/// # Safety
///
/// The pointers are as Zircon's C API documents them: each is null or
/// valid for the bytes the call reads or writes (buffers of the length
/// passed with them, single values otherwise).
#[no_mangle]
pub unsafe extern "C" fn zx_vmo_get_size(handle: ZxHandle, size: *mut u64) -> ZxStatus {
    status(borrow::<Vmo>(handle).and_then(|v| {
        let size_now = v.get_size()?;
        // SAFETY: The caller passes `size` as this function's contract says.
        unsafe { put(size, size_now) }
    }))
}

/// `zx_vmo_set_size`.
#[no_mangle]
pub extern "C" fn zx_vmo_set_size(handle: ZxHandle, size: u64) -> ZxStatus {
    status(borrow::<Vmo>(handle).and_then(|v| v.set_size(size)))
}

/// `zx_vmo_op_range`. No op takes a buffer here.
///
/// # Safety
///
/// The pointers are as Zircon's C API documents them: each is null or
/// valid for the bytes the call reads or writes (buffers of the length
/// passed with them, single values otherwise).
#[no_mangle]
pub unsafe extern "C" fn zx_vmo_op_range(
    handle: ZxHandle,
    op: u32,
    offset: u64,
    size: u64,
    _buffer: *mut c_void,
    _buffer_size: usize,
) -> ZxStatus {
    status(borrow::<Vmo>(handle).and_then(|v| v.op_range(VmoOp::from_raw(op), offset, size)))
}

/// `zx_vmo_set_cache_policy`.
#[no_mangle]
pub extern "C" fn zx_vmo_set_cache_policy(handle: ZxHandle, cache_policy: u32) -> ZxStatus {
    status((|| {
        let v = borrow::<Vmo>(handle)?;
        let policy = match cache_policy {
            sys::ZX_CACHE_POLICY_CACHED => CachePolicy::Cached,
            sys::ZX_CACHE_POLICY_UNCACHED => CachePolicy::Uncached,
            sys::ZX_CACHE_POLICY_UNCACHED_DEVICE => CachePolicy::UncachedDevice,
            sys::ZX_CACHE_POLICY_WRITE_COMBINING => CachePolicy::WriteCombining,
            _ => return Err(Status::INVALID_ARGS),
        };
        v.set_cache_policy(policy)
    })())
}

/// `zx_handle_duplicate`.
///
/// # Safety
///
/// The pointers are as Zircon's C API documents them: each is null or
/// valid for the bytes the call reads or writes (buffers of the length
/// passed with them, single values otherwise).
#[no_mangle]
pub unsafe extern "C" fn zx_handle_duplicate(
    handle: ZxHandle,
    rights: u32,
    out: *mut ZxHandle,
) -> ZxStatus {
    status((|| {
        let h = borrow::<Vmo>(handle)?;
        // SAFETY: The caller passes `out` as this function's contract says.
        unsafe { give(h.duplicate_handle(Rights::from_bits_retain(rights))?, out) }
    })())
}

/// `zx_handle_replace`: `handle` is closed even when this fails, as in
/// Zircon.
///
/// # Safety
///
/// The pointers are as Zircon's C API documents them: each is null or
/// valid for the bytes the call reads or writes (buffers of the length
/// passed with them, single values otherwise).
#[no_mangle]
pub unsafe extern "C" fn zx_handle_replace(
    handle: ZxHandle,
    rights: u32,
    out: *mut ZxHandle,
) -> ZxStatus {
    status((|| {
        let h = ManuallyDrop::into_inner(borrow::<Vmo>(handle)?);
        // SAFETY: The caller passes `out` as this function's contract says.
        unsafe { give(h.replace_handle(Rights::from_bits_retain(rights))?, out) }
    })())
}

/// `zx_handle_close`: closing `ZX_HANDLE_INVALID` succeeds.
#[no_mangle]
pub extern "C" fn zx_handle_close(handle: ZxHandle) -> ZxStatus {
    if handle == ZX_HANDLE_INVALID {
        return sys::ZX_OK;
    }
    status(borrow::<Vmo>(handle).map(|h| drop(ManuallyDrop::into_inner(h))))
}

/// Copies `value` into the caller's buffer for `zx_object_get_info`.
///
/// # Safety
///
/// `buffer` is null or holds `buffer_size` writable bytes; `actual` and
/// `avail` are null or point to writable `size_t`s.
unsafe fn info_out<T: Copy>(
    value: T,
    buffer: *mut c_void,
    buffer_size: usize,
    actual: *mut usize,
    avail: *mut usize,
) -> Result<(), Status> {
    if !avail.is_null() {
        // SAFETY: A non-null `avail` is writable (the contract above).
        unsafe { avail.write(1) };
    }
    if buffer_size < size_of::<T>() || buffer.is_null() {
        if !actual.is_null() {
            // SAFETY: As for `avail`.
            unsafe { actual.write(0) };
        }
        return Err(Status::BUFFER_TOO_SMALL);
    }
    // SAFETY: `buffer` is non-null and holds at least `size_of::<T>()`
    // bytes; it need not be aligned.
    unsafe { buffer.cast::<T>().write_unaligned(value) };
    if !actual.is_null() {
        // SAFETY: As above.
        unsafe { actual.write(1) };
    }
    Ok(())
}

/// `zx_object_get_info` for `ZX_INFO_HANDLE_VALID`, `ZX_INFO_HANDLE_BASIC`,
/// `ZX_INFO_VMO` and `ZX_INFO_RESOURCE`.
///
/// # Safety
///
/// The pointers are as Zircon's C API documents them: each is null or
/// valid for the bytes the call reads or writes (buffers of the length
/// passed with them, single values otherwise).
#[no_mangle]
pub unsafe extern "C" fn zx_object_get_info(
    handle: ZxHandle,
    topic: u32,
    buffer: *mut c_void,
    buffer_size: usize,
    actual: *mut usize,
    avail: *mut usize,
) -> ZxStatus {
    status((|| {
        let info = borrow::<Vmo>(handle)?.basic_info()?;
        let is_vmo = info.obj_type == sys::ZX_OBJ_TYPE_VMO;
        match topic {
            ZX_INFO_HANDLE_VALID => Ok(()),
            ZX_INFO_HANDLE_BASIC => {
                let b = ZxInfoHandleBasic {
                    koid: info.koid,
                    rights: info.rights.bits(),
                    r#type: info.obj_type,
                    related_koid: info.parent_koid,
                    props: if is_vmo { ZX_OBJ_PROP_WAITABLE } else { 0 },
                    padding1: [0; 4],
                };
                // SAFETY: The caller passes the buffers as this function's
                // contract says.
                unsafe { info_out(b, buffer, buffer_size, actual, avail) }
            }
            ZX_INFO_VMO if is_vmo => {
                let mut v = ZxInfoVmo {
                    koid: info.koid,
                    size_bytes: info.size,
                    parent_koid: info.parent_koid,
                    num_children: info.num_children as usize,
                    num_mappings: info.num_mappings as usize,
                    share_count: info.num_mappings as usize,
                    flags: info.flags | ZX_INFO_VMO_VIA_HANDLE,
                    committed_bytes: info.committed_bytes,
                    handle_rights: info.rights.bits(),
                    cache_policy: info.cache_policy,
                    ..Default::default()
                };
                copy_name(&mut v.name, &info.name);
                // SAFETY: The caller passes the buffers as this function's
                // contract says.
                unsafe { info_out(v, buffer, buffer_size, actual, avail) }
            }
            ZX_INFO_RESOURCE if !is_vmo => {
                let mut r = ZxInfoResource {
                    kind: info.flags & 0xffff,
                    flags: info.flags & !0xffff,
                    // The info ioctl carries a resource's base in
                    // `content_size`.
                    base: info.content_size,
                    size: info.size as usize,
                    ..Default::default()
                };
                copy_name(&mut r.name, &info.name);
                // SAFETY: The caller passes the buffers as this function's
                // contract says.
                unsafe { info_out(r, buffer, buffer_size, actual, avail) }
            }
            ZX_INFO_VMO | ZX_INFO_RESOURCE => Err(Status::WRONG_TYPE),
            _ => Err(Status::NOT_SUPPORTED),
        }
    })())
}

/// A name the C caller passed as `len` bytes at `ptr`: up to its first NUL
/// (a C string or a NUL-padded array), lossily as UTF-8; empty when null.
///
/// # Safety
///
/// `ptr` is null or points to `len` readable bytes.
unsafe fn name_from_c(ptr: *const u8, len: usize) -> String {
    if ptr.is_null() || len == 0 {
        return String::new();
    }
    // SAFETY: `ptr` points to `len` readable bytes (the contract above).
    let bytes = unsafe { std::slice::from_raw_parts(ptr, len) };
    let n = bytes.iter().position(|&b| b == 0).unwrap_or(len);
    String::from_utf8_lossy(&bytes[..n]).into_owned()
}

/// Copies a name into a NUL-padded array, keeping the last byte NUL.
fn copy_name(dst: &mut [u8; sys::ZX_MAX_NAME_LEN], name: &str) {
    let n = name.len().min(sys::ZX_MAX_NAME_LEN - 1);
    dst[..n].copy_from_slice(&name.as_bytes()[..n]);
}

/// `zx_object_get_property`: `ZX_PROP_NAME` (a `char[ZX_MAX_NAME_LEN]`) and
/// `ZX_PROP_VMO_CONTENT_SIZE` (a `uint64_t`).
///
/// # Safety
///
/// The pointers are as Zircon's C API documents them: each is null or
/// valid for the bytes the call reads or writes (buffers of the length
/// passed with them, single values otherwise).
#[no_mangle]
pub unsafe extern "C" fn zx_object_get_property(
    handle: ZxHandle,
    property: u32,
    value: *mut c_void,
    value_size: usize,
) -> ZxStatus {
    status((|| {
        let v = borrow::<Vmo>(handle)?;
        if value.is_null() {
            return Err(Status::INVALID_ARGS);
        }
        match property {
            sys::ZX_PROP_NAME => {
                if value_size < sys::ZX_MAX_NAME_LEN {
                    return Err(Status::BUFFER_TOO_SMALL);
                }
                let mut name = [0u8; sys::ZX_MAX_NAME_LEN];
                copy_name(&mut name, &v.get_name()?);
                // SAFETY: `value` holds at least `ZX_MAX_NAME_LEN` bytes.
                unsafe {
                    value
                        .cast::<[u8; sys::ZX_MAX_NAME_LEN]>()
                        .write_unaligned(name)
                };
                Ok(())
            }
            sys::ZX_PROP_VMO_CONTENT_SIZE => {
                if value_size < size_of::<u64>() {
                    return Err(Status::BUFFER_TOO_SMALL);
                }
                let size = v.get_content_size()?;
                // SAFETY: `value` holds at least 8 bytes.
                unsafe { value.cast::<u64>().write_unaligned(size) };
                Ok(())
            }
            _ => Err(Status::INVALID_ARGS),
        }
    })())
}

/// `zx_object_set_property`: `ZX_PROP_NAME` and `ZX_PROP_VMO_CONTENT_SIZE`.
///
/// # Safety
///
/// The pointers are as Zircon's C API documents them: each is null or
/// valid for the bytes the call reads or writes (buffers of the length
/// passed with them, single values otherwise).
#[no_mangle]
pub unsafe extern "C" fn zx_object_set_property(
    handle: ZxHandle,
    property: u32,
    value: *const c_void,
    value_size: usize,
) -> ZxStatus {
    status((|| {
        let v = borrow::<Vmo>(handle)?;
        if value.is_null() {
            return Err(Status::INVALID_ARGS);
        }
        match property {
            sys::ZX_PROP_NAME => {
                // SAFETY: Per the C API, `value` holds `value_size` bytes.
                v.set_name(&unsafe { name_from_c(value.cast(), value_size) })
            }
            sys::ZX_PROP_VMO_CONTENT_SIZE => {
                if value_size < size_of::<u64>() {
                    return Err(Status::BUFFER_TOO_SMALL);
                }
                // SAFETY: `value` holds at least 8 bytes.
                v.set_content_size(unsafe { value.cast::<u64>().read_unaligned() })
            }
            _ => Err(Status::INVALID_ARGS),
        }
    })())
}

/// `zx_object_wait_one` on a VMO.
///
/// # Safety
///
/// The pointers are as Zircon's C API documents them: each is null or
/// valid for the bytes the call reads or writes (buffers of the length
/// passed with them, single values otherwise).
#[no_mangle]
pub unsafe extern "C" fn zx_object_wait_one(
    handle: ZxHandle,
    signals: u32,
    deadline: i64,
    observed: *mut u32,
) -> ZxStatus {
    status((|| {
        let v = borrow::<Vmo>(handle)?;
        let deadline = Deadline::from_nanos(deadline.max(0));
        let r = v.wait_one(Signals::from_bits_retain(signals), deadline);
        let seen = match r {
            Ok(s) => s.bits(),
            // A timed-out wait still reports what it saw: nothing it asked for.
            Err(Status::TIMED_OUT) => 0,
            Err(e) => return Err(e),
        };
        if !observed.is_null() {
            // SAFETY: Per the C API, a non-null `observed` is writable.
            unsafe { observed.write(seen) };
        }
        r.map(|_| ())
    })())
}

/// `zx_vmar_root_self`: the process's address space.
#[no_mangle]
pub extern "C" fn zx_vmar_root_self() -> ZxHandle {
    ZX_VMAR_ROOT_SELF
}

/// `zx_vmar_map` on the root VMAR: `ZX_VM_PERM_*`, and `ZX_VM_SPECIFIC` at
/// the address `vmar_offset`.
///
/// # Safety
///
/// The pointers are as Zircon's C API documents them: each is null or
/// valid for the bytes the call reads or writes (buffers of the length
/// passed with them, single values otherwise).
#[no_mangle]
pub unsafe extern "C" fn zx_vmar_map(
    vmar: ZxHandle,
    options: u32,
    vmar_offset: usize,
    vmo: ZxHandle,
    vmo_offset: u64,
    len: usize,
    mapped_addr: *mut usize,
) -> ZxStatus {
    status((|| {
        if vmar != ZX_VMAR_ROOT_SELF {
            return Err(Status::WRONG_TYPE);
        }
        if options & !(ZX_VM_PERMS | ZX_VM_SPECIFIC) != 0 {
            return Err(Status::NOT_SUPPORTED);
        }
        if mapped_addr.is_null() {
            return Err(Status::INVALID_ARGS);
        }
        let v = borrow::<Vmo>(vmo)?;
        let flags = VmarFlags::from_bits_retain(options & ZX_VM_PERMS);
        let mapping = if options & ZX_VM_SPECIFIC != 0 {
            v.map_at(vmar_offset, vmo_offset, len, flags)?
        } else if vmar_offset != 0 {
            return Err(Status::INVALID_ARGS);
        } else {
            v.map(vmo_offset, len, flags)?
        };
        let (addr, _) = mapping.into_raw();
        // SAFETY: The caller passes `mapped_addr` as this function's contract says.
        unsafe { put(mapped_addr, addr as usize) }
    })())
}

/// `zx_vmar_unmap` on the root VMAR.
#[no_mangle]
pub extern "C" fn zx_vmar_unmap(vmar: ZxHandle, addr: usize, len: usize) -> ZxStatus {
    if vmar != ZX_VMAR_ROOT_SELF {
        return Status::WRONG_TYPE.into_raw();
    }
    if len == 0 {
        return Status::INVALID_ARGS.into_raw();
    }
    // SAFETY: Unmapping is what the caller asks for; pages of this process
    // only, which Rust does not own (the C caller mapped them).
    if unsafe { libc::munmap(addr as *mut c_void, len) } != 0 {
        return Status::INVALID_ARGS.into_raw();
    }
    sys::ZX_OK
}

/// `zx_status_get_string`: the status's name, or `"(UNKNOWN)"`.
#[no_mangle]
pub extern "C" fn zx_status_get_string(status: ZxStatus) -> *const c_char {
    Status::from_raw(status)
        .c_name()
        .unwrap_or(c"(UNKNOWN)")
        .as_ptr()
}

/// zxvmo's addition: why the calling thread's last call that returned
/// `status` was refused, as a phrase ("the range touches System RAM"); ""
/// when the kernel gave no reason beyond the status.
#[no_mangle]
pub extern "C" fn zxvmo_refusal_reason(status: ZxStatus) -> *const c_char {
    static TEXTS: std::sync::OnceLock<Vec<std::ffi::CString>> = std::sync::OnceLock::new();
    let texts = TEXTS.get_or_init(|| {
        (0..sys::ZXVMO_REASON_COUNT)
            .map(|r| std::ffi::CString::new(sys::reason_text(r)).unwrap_or_default())
            .collect()
    });
    let reason = Refusal::of(Status::from_raw(status)).reason().into_raw();
    texts
        .get(reason as usize)
        .map_or(c"".as_ptr(), |t| t.as_ptr())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    #[test]
    fn names_and_invalid_handles_need_no_module() {
        let name = |s| {
            // SAFETY: `zx_status_get_string` returns a static C string.
            unsafe { CStr::from_ptr(zx_status_get_string(s)) }
                .to_str()
                .unwrap()
        };
        assert_eq!(name(0), "ZX_OK");
        assert_eq!(name(sys::ZX_ERR_ACCESS_DENIED), "ZX_ERR_ACCESS_DENIED");
        assert_eq!(name(-12345), "(UNKNOWN)");
        // SAFETY: `zxvmo_refusal_reason` returns a static C string.
        let reason = unsafe { CStr::from_ptr(zxvmo_refusal_reason(sys::ZX_ERR_NO_MEMORY)) };
        assert_eq!(reason.to_bytes(), b"", "no call failed on this thread");
        assert_eq!(zx_handle_close(ZX_HANDLE_INVALID), sys::ZX_OK);
        let mut size = 0u64;
        let mut addr = 0usize;
        // SAFETY: The out-pointers point to locals of the right types.
        unsafe {
            assert_eq!(
                zx_vmo_get_size(ZX_HANDLE_INVALID, &mut size),
                sys::ZX_ERR_BAD_HANDLE
            );
            assert_eq!(zx_vmo_get_size(1 << 30, &mut size), sys::ZX_ERR_BAD_HANDLE);
            assert_eq!(
                zx_vmar_map(7, ZX_VM_PERMS, 0, 1, 0, 4096, &mut addr),
                sys::ZX_ERR_WRONG_TYPE
            );
        }
    }
}
