// SPDX-License-Identifier: GPL-2.0

//! Handles: the zxvmo state of one open file, and its rights.
//!
//! Every zxvmo file (the device node and each object's anonymous file)
//! carries a [`Handle`] in `private_data`: the object it refers to and the
//! rights this open file grants. `dup(2)` and SCM_RIGHTS share the open
//! file, hence the handle; `zx_handle_duplicate` and `zx_handle_replace`
//! make a new open file with a subset of the rights. Every command checks
//! the rights of the handle it came through.
//!
//! A VMO handle that maps its VMO also owns a *view*: a second file on the
//! VMO's inode (a paged VMO's shmem inode, a physical VMO's `zxvmofs`
//! inode), carrying a copy of the handle (same VMO, same rights). The view
//! becomes the `vm_file` of every mapping made through the handle, so each
//! mapping is in the VMO's `address_space` (revocation reaches it) and
//! shmem's fault handlers find their inode, while anything that maps
//! `vm_file` again (`remap_file_pages`) meets zxvmo's `mmap` and this
//! handle's rights, never shmem's own.
//!
//! `ZXVMO_IOC_RESOURCE_REVOKE` needs `ZX_RIGHT_DESTROY` (see
//! [`crate::revoke`]).

use core::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, Ordering};

use crate::ffi_ext::PAGE;
use crate::mapping::{self, Vma};
use crate::resource::{self, Resource};
use crate::status::{refuse, refuse_right, zx, Refusal};
use crate::vmo::Vmo;
use crate::{abi, ffi_ext, uarg};
use kernel::bindings;
use kernel::ffi::{c_int, c_long, c_uint, c_ulong};
use kernel::prelude::*;
use kernel::sync::Arc;
use kernel::types::ForeignOwnable;

/// `mmap(2)`'s `MAP_FIXED` (uapi `mman-common.h`, which bindgen lacks).
const MAP_FIXED: u64 = 0x10;

/// The object a handle refers to.
#[derive(Clone)]
pub(crate) enum Object {
    /// The `/dev/zxvmo` node: creates paged VMOs and hands out the root resource.
    Device,
    /// A resource.
    Resource(Arc<Resource>),
    /// A VMO.
    Vmo(Arc<Vmo>),
}

/// The state of one zxvmo open file.
pub(crate) struct Handle {
    object: Object,
    rights: abi::ZxRights,
    /// Set by `zx_handle_replace`: the file stays open but is no handle.
    replaced: AtomicBool,
    /// This handle's view of its paged VMO's shmem inode, made by the first
    /// `mmap` and owned (one file reference) by the handle; null until then.
    view: AtomicPtr<bindings::file>,
    /// Whether this is the handle inside a view (its file *is* a view).
    is_view: bool,
    /// The last failed call on this handle, as [`Refusal::packed`] (zero
    /// before any), for `ZXVMO_IOC_LAST_REFUSAL`.
    last_refusal: AtomicU64,
}

/// A reserved, not yet installed file descriptor.
///
/// # Invariants
///
/// `fd` was returned by `get_unused_fd_flags` and is neither installed nor
/// released.
struct FdReservation {
    fd: u32,
}

impl FdReservation {
    /// Reserves a close-on-exec descriptor in the current process.
    fn new() -> Result<Self> {
        // SAFETY: Reserving a descriptor has no preconditions.
        let fd = unsafe { bindings::get_unused_fd_flags(bindings::O_CLOEXEC) };
        if fd < 0 {
            return Err(Error::from_errno(fd));
        }
        // INVARIANT: A fresh reservation.
        Ok(FdReservation { fd: fd as u32 })
    }

    /// Installs `file` at the reserved descriptor; the descriptor owns the
    /// caller's reference to `file` from now on.
    ///
    /// # Safety
    ///
    /// `file` must be a valid file whose reference the caller owns.
    unsafe fn install(self, file: *mut bindings::file) -> u32 {
        let fd = self.fd;
        core::mem::forget(self);
        // SAFETY: `fd` is reserved and not installed (type invariant);
        // `file`'s reference is handed over (the caller's contract).
        unsafe { bindings::fd_install(fd, file) };
        fd
    }
}

impl Drop for FdReservation {
    fn drop(&mut self) {
        // SAFETY: By the type invariant `fd` is reserved and not installed.
        unsafe { bindings::put_unused_fd(self.fd) };
    }
}

impl Handle {
    /// A handle for an opened `/dev/zxvmo`.
    pub(crate) fn device() -> Self {
        Self::new(Object::Device, 0)
    }

    fn new(object: Object, rights: abi::ZxRights) -> Self {
        Handle {
            object,
            rights,
            replaced: AtomicBool::new(false),
            view: AtomicPtr::new(core::ptr::null_mut()),
            is_view: false,
            last_refusal: AtomicU64::new(0),
        }
    }

    /// Makes a new file for a handle to `object` with `rights` and returns
    /// its descriptor (close-on-exec). Nothing is visible to userspace until
    /// the last step succeeds.
    ///
    /// # Errors
    ///
    /// `EMFILE` when the process has no free descriptor; `ZX_ERR_NO_MEMORY`
    /// when allocation fails.
    pub(crate) fn install(object: Object, rights: abi::ZxRights) -> Result<isize> {
        let name = match object {
            Object::Device => kernel::c_str!("[zxvmo]"),
            Object::Resource(_) => kernel::c_str!("[zxvmo-resource]"),
            Object::Vmo(_) => kernel::c_str!("[zxvmo-vmo]"),
        };
        let fd = FdReservation::new()?;
        let handle = KBox::new(Handle::new(object, rights), GFP_KERNEL_ACCOUNT)
            .map_err(|_| zx(abi::ZX_ERR_NO_MEMORY))?;
        let private = handle.into_foreign();
        // SAFETY: `name` and `ZXVMO_FOPS` are static; `private` is a handle
        // the new file owns once this succeeds.
        let file = unsafe {
            ffi_ext::anon_inode_getfile(
                name.as_char_ptr(),
                &ZXVMO_FOPS.0,
                private as *mut kernel::ffi::c_void,
                bindings::O_RDWR as _,
            )
        };
        if let Err(e) = kernel::error::from_err_ptr(file) {
            // SAFETY: The file was not made, so `private` is still ours.
            drop(unsafe { KBox::<Handle>::from_foreign(private) });
            return Err(e);
        }
        // SAFETY: `file` is the valid file just made, whose reference we own.
        Ok(unsafe { fd.install(file) } as isize)
    }

    /// Fails with `ZX_ERR_ACCESS_DENIED` unless the handle has all `rights`.
    fn require(&self, rights: abi::ZxRights) -> Result {
        match rights & !self.rights {
            0 => Ok(()),
            missing => Err(refuse_right(missing)),
        }
    }

    /// The errno a failed call on this handle returns; records why it
    /// failed for `ZXVMO_IOC_LAST_REFUSAL`.
    fn failed(&self, err: Error) -> c_int {
        let refusal = Refusal::leave(err);
        self.last_refusal.store(refusal.packed(), Ordering::Relaxed);
        refusal.errno
    }

    /// Runs ioctl `cmd` with user argument `arg` on this handle.
    ///
    /// Commands that are not zxvmo's, and zxvmo commands that do not apply to
    /// this kind of object, fail with `ENOTTY` (`ZX_ERR_WRONG_TYPE`); any
    /// command on a replaced handle fails with `ZX_ERR_BAD_HANDLE`.
    pub(crate) fn ioctl(&self, cmd: u32, arg: usize) -> Result<isize> {
        if cmd == abi::ZXVMO_IOC_LAST_REFUSAL {
            let last = Refusal::unpack(self.last_refusal.load(Ordering::Relaxed));
            uarg::write(arg, &last)?;
            return Ok(0);
        }
        if self.replaced.load(Ordering::Acquire) {
            return Err(refuse(abi::ZXVMO_REASON_REPLACED));
        }
        match (&self.object, cmd) {
            (Object::Device, _) => device_ioctl(cmd, arg),
            (_, abi::ZXVMO_IOC_HANDLE_DUPLICATE) => self.duplicate(uarg::read(arg)?),
            (_, abi::ZXVMO_IOC_HANDLE_REPLACE) => self.replace(uarg::read(arg)?),
            (_, abi::ZXVMO_IOC_GET_INFO) => {
                uarg::write(arg, &self.info())?;
                Ok(0)
            }
            (Object::Resource(r), abi::ZXVMO_IOC_RESOURCE_CREATE) => {
                self.require(abi::ZX_RIGHT_WRITE)?;
                let args: abi::ZxvmoResourceCreate = uarg::read(arg)?;
                let child = Resource::create(r, &args)?;
                Handle::install(Object::Resource(child), abi::ZX_DEFAULT_RESOURCE_RIGHTS)
            }
            (Object::Resource(r), abi::ZXVMO_IOC_VMO_CREATE_PHYSICAL) => {
                self.require(abi::ZX_RIGHT_WRITE)?;
                let args: abi::ZxvmoVmoCreatePhysical = uarg::read(arg)?;
                let vmo = Vmo::create_physical(r, &args)?;
                Handle::install(Object::Vmo(vmo), abi::ZX_DEFAULT_VMO_RIGHTS)
            }
            (Object::Resource(r), abi::ZXVMO_IOC_RESOURCE_REVOKE) => {
                self.require(abi::ZX_RIGHT_DESTROY)?;
                r.revoke().map(|()| 0)
            }
            (Object::Vmo(v), _) => self.vmo_ioctl(v, cmd, arg),
            _ => Err(zx(abi::ZX_ERR_WRONG_TYPE)),
        }
    }

    fn vmo_ioctl(&self, vmo: &Arc<Vmo>, cmd: u32, arg: usize) -> Result<isize> {
        match cmd {
            abi::ZXVMO_IOC_VMO_CREATE_CHILD => {
                self.require(abi::ZX_RIGHT_DUPLICATE | abi::ZX_RIGHT_READ)?;
                let args: abi::ZxvmoVmoCreateChild = uarg::read(arg)?;
                let child = vmo.create_child(&args)?;
                // Zircon's rule: no more than the parent handle's rights,
                // plus the properties (to name the child); a snapshot is
                // the caller's own copy, writable but not executable.
                let mut rights =
                    self.rights | abi::ZX_RIGHT_GET_PROPERTY | abi::ZX_RIGHT_SET_PROPERTY;
                if args.options & abi::ZX_VMO_CHILD_NO_WRITE != 0 {
                    rights &= !abi::ZX_RIGHT_WRITE;
                } else if args.options & abi::ZX_VMO_CHILD_SNAPSHOT != 0 {
                    rights = (rights & !abi::ZX_RIGHT_EXECUTE) | abi::ZX_RIGHT_WRITE;
                }
                return Handle::install(Object::Vmo(child), rights);
            }
            abi::ZXVMO_IOC_WAIT_ONE => return self.wait_one(vmo, arg),
            abi::ZXVMO_IOC_VMO_OP_RANGE => {
                let args: abi::ZxvmoVmoOpRange = uarg::read(arg)?;
                if args.reserved != 0 {
                    return Err(zx(abi::ZX_ERR_INVALID_ARGS));
                }
                let needs = match args.op {
                    abi::ZX_VMO_OP_COMMIT
                    | abi::ZX_VMO_OP_DECOMMIT
                    | abi::ZX_VMO_OP_ZERO
                    | abi::ZX_VMO_OP_CACHE_INVALIDATE => abi::ZX_RIGHT_WRITE,
                    abi::ZX_VMO_OP_CACHE_SYNC
                    | abi::ZX_VMO_OP_CACHE_CLEAN
                    | abi::ZX_VMO_OP_CACHE_CLEAN_INVALIDATE => abi::ZX_RIGHT_READ,
                    abi::ZX_VMO_OP_DONT_NEED
                    | abi::ZX_VMO_OP_ALWAYS_NEED
                    | abi::ZX_VMO_OP_PREFETCH
                    | abi::ZX_VMO_OP_LOCK
                    | abi::ZX_VMO_OP_UNLOCK
                    | abi::ZX_VMO_OP_TRY_LOCK => 0,
                    _ => return Err(zx(abi::ZX_ERR_INVALID_ARGS)),
                };
                // Hints need either READ or WRITE.
                if needs == 0 && self.rights & (abi::ZX_RIGHT_READ | abi::ZX_RIGHT_WRITE) == 0 {
                    return Err(refuse_right(abi::ZX_RIGHT_READ));
                }
                self.require(needs)?;
                vmo.op_range(args.op, args.offset, args.size)?;
            }
            abi::ZXVMO_IOC_VMO_READ | abi::ZXVMO_IOC_VMO_WRITE => {
                let write = cmd == abi::ZXVMO_IOC_VMO_WRITE;
                self.require(if write {
                    abi::ZX_RIGHT_WRITE
                } else {
                    abi::ZX_RIGHT_READ
                })?;
                vmo.read_write(&uarg::read(arg)?, write)?;
            }
            abi::ZXVMO_IOC_VMO_GET_SIZE => uarg::write(arg, &vmo.size())?,
            abi::ZXVMO_IOC_VMO_SET_SIZE => {
                self.require(abi::ZX_RIGHT_WRITE)?;
                vmo.set_size(uarg::read(arg)?)?;
            }
            abi::ZXVMO_IOC_VMO_SET_CACHE_POLICY => {
                self.require(abi::ZX_RIGHT_MAP)?;
                vmo.set_cache_policy(uarg::read(arg)?)?;
            }
            abi::ZXVMO_IOC_GET_PROPERTY => {
                self.require(abi::ZX_RIGHT_GET_PROPERTY)?;
                let p: abi::ZxvmoProperty = uarg::read(arg)?;
                if p.reserved != 0 {
                    return Err(zx(abi::ZX_ERR_INVALID_ARGS));
                }
                let mut out = uarg::user_slice(p.value as usize, p.len as usize).writer();
                match p.property {
                    abi::ZX_PROP_NAME if p.len < abi::ZX_MAX_NAME_LEN as u64 => {
                        return Err(zx(abi::ZX_ERR_BUFFER_TOO_SMALL))
                    }
                    abi::ZX_PROP_NAME => out.write(&vmo.name())?,
                    abi::ZX_PROP_VMO_CONTENT_SIZE if p.len < 8 => {
                        return Err(zx(abi::ZX_ERR_BUFFER_TOO_SMALL))
                    }
                    abi::ZX_PROP_VMO_CONTENT_SIZE => out.write(&vmo.content_size())?,
                    _ => return Err(zx(abi::ZX_ERR_INVALID_ARGS)),
                }
            }
            abi::ZXVMO_IOC_SET_PROPERTY => {
                self.require(abi::ZX_RIGHT_SET_PROPERTY)?;
                let p: abi::ZxvmoProperty = uarg::read(arg)?;
                if p.reserved != 0 {
                    return Err(zx(abi::ZX_ERR_INVALID_ARGS));
                }
                let mut input = uarg::user_slice(p.value as usize, p.len as usize).reader();
                match p.property {
                    abi::ZX_PROP_NAME => {
                        let mut name = [0u8; abi::ZX_MAX_NAME_LEN - 1];
                        let n = name.len().min(p.len as usize);
                        input.read_slice(&mut name[..n])?;
                        vmo.set_name(&name[..n]);
                    }
                    abi::ZX_PROP_VMO_CONTENT_SIZE if p.len < 8 => {
                        return Err(zx(abi::ZX_ERR_BUFFER_TOO_SMALL))
                    }
                    abi::ZX_PROP_VMO_CONTENT_SIZE => {
                        // It changes (zeroes) content: WRITE too, as in Zircon.
                        self.require(abi::ZX_RIGHT_WRITE)?;
                        vmo.set_content_size(input.read()?)?
                    }
                    _ => return Err(zx(abi::ZX_ERR_INVALID_ARGS)),
                }
            }
            _ => return Err(zx(abi::ZX_ERR_WRONG_TYPE)),
        }
        Ok(0)
    }

    /// The rights a duplicate or replacement asking for `rights` gets.
    ///
    /// # Errors
    ///
    /// `ZX_ERR_INVALID_ARGS` when `rights` holds a right this handle lacks.
    fn subset(&self, rights: abi::ZxRights) -> Result<abi::ZxRights> {
        if rights == abi::ZX_RIGHT_SAME_RIGHTS {
            Ok(self.rights)
        } else if rights & !self.rights != 0 {
            Err(zx(abi::ZX_ERR_INVALID_ARGS))
        } else {
            Ok(rights)
        }
    }

    /// `zx_handle_duplicate`: a new file for the same object.
    ///
    /// # Errors
    ///
    /// `ZX_ERR_ACCESS_DENIED` without `ZX_RIGHT_DUPLICATE`; as
    /// [`Handle::subset`] and [`Handle::install`].
    fn duplicate(&self, rights: abi::ZxRights) -> Result<isize> {
        self.require(abi::ZX_RIGHT_DUPLICATE)?;
        let rights = self.subset(rights)?;
        Handle::install(self.object.clone(), rights)
    }

    /// `zx_handle_replace`: a new file for the same object; this handle is
    /// invalid afterwards, even when the call fails (as in Zircon).
    ///
    /// # Errors
    ///
    /// `ZX_ERR_BAD_HANDLE` when another call replaced it first; as
    /// [`Handle::subset`] and [`Handle::install`].
    fn replace(&self, rights: abi::ZxRights) -> Result<isize> {
        if self.replaced.swap(true, Ordering::AcqRel) {
            return Err(refuse(abi::ZXVMO_REASON_REPLACED));
        }
        let rights = self.subset(rights)?;
        Handle::install(self.object.clone(), rights)
    }

    /// `ZXVMO_IOC_GET_INFO`: what describes the handle (koid, type,
    /// rights) needs no right; what describes the object (name, sizes,
    /// counts, range) needs `ZX_RIGHT_GET_PROPERTY` or `ZX_RIGHT_INSPECT`,
    /// and reads as zeros without.
    fn info(&self) -> abi::ZxvmoInfo {
        let mut info = abi::ZxvmoInfo::default();
        match &self.object {
            Object::Resource(r) => r.info(&mut info),
            Object::Vmo(v) => v.info(&mut info),
            Object::Device => {}
        }
        if self.rights & (abi::ZX_RIGHT_GET_PROPERTY | abi::ZX_RIGHT_INSPECT) == 0 {
            info = abi::ZxvmoInfo {
                koid: info.koid,
                obj_type: info.obj_type,
                ..Default::default()
            };
        }
        info.rights = self.rights;
        info
    }

    /// Writes `/proc/PID/fdinfo/FD` for this handle, one `key:\tvalue`
    /// per line: the kind, koid and rights always; the object's facts only
    /// with `GET_PROPERTY` or `INSPECT`, as `ZXVMO_IOC_GET_INFO` gives them.
    pub(crate) fn show_fdinfo(&self, out: &mut impl core::fmt::Write) -> core::fmt::Result {
        let kind = match &self.object {
            Object::Device => "device",
            Object::Resource(_) => "resource",
            Object::Vmo(_) => "vmo",
        };
        writeln!(out, "zxvmo-kind:\t{kind}")?;
        if self.is_view {
            writeln!(out, "view:\t1")?;
        }
        if matches!(self.object, Object::Device) {
            return Ok(());
        }
        if self.replaced.load(Ordering::Acquire) {
            return writeln!(out, "replaced:\t1");
        }
        let info = self.info();
        writeln!(out, "koid:\t{}", info.koid)?;
        writeln!(out, "rights:\t{:#x}", self.rights)?;
        if self.rights & (abi::ZX_RIGHT_GET_PROPERTY | abi::ZX_RIGHT_INSPECT) == 0 {
            return Ok(());
        }
        let name = &info.name[..crate::claim::name_len(&info.name)];
        // Names hold no control characters (see `resource::object_name`).
        let name = core::str::from_utf8(name).unwrap_or("?");
        writeln!(out, "name:\t{name}")?;
        match &self.object {
            Object::Resource(r) => r.show_fdinfo(out),
            Object::Vmo(v) => {
                let policy = match info.cache_policy {
                    abi::ZX_CACHE_POLICY_CACHED => "cached",
                    abi::ZX_CACHE_POLICY_UNCACHED => "uncached",
                    abi::ZX_CACHE_POLICY_UNCACHED_DEVICE => "uncached-device",
                    _ => "write-combining",
                };
                let (vmo_type, resource, paddr) = match v.physical_facts() {
                    Some((resource, paddr)) => ("physical", resource, Some(paddr)),
                    None => ("paged", 0, None),
                };
                writeln!(out, "vmo-type:\t{vmo_type}")?;
                writeln!(out, "size:\t{}", info.size)?;
                writeln!(out, "content-size:\t{}", info.content_size)?;
                writeln!(out, "committed-bytes:\t{}", info.committed_bytes)?;
                writeln!(out, "cache-policy:\t{policy}")?;
                writeln!(out, "parent-koid:\t{}", info.parent_koid)?;
                writeln!(out, "children:\t{}", info.num_children)?;
                writeln!(out, "mappings:\t{}", info.num_mappings)?;
                if let Some(paddr) = paddr {
                    writeln!(out, "resource-koid:\t{resource}")?;
                    writeln!(out, "phys-base:\t{paddr:#x}")?;
                }
                Ok(())
            }
            Object::Device => Ok(()),
        }
    }

    /// Maps this handle's VMO into `vma`; `file` is this handle's file.
    ///
    /// # Errors
    ///
    /// `ZX_ERR_WRONG_TYPE` for a handle that is not a VMO; `ZX_ERR_BAD_HANDLE` for a
    /// replaced handle; `ZX_ERR_ACCESS_DENIED` for a physical VMO under
    /// lockdown ([`resource::refuse_if_locked_down`]); as
    /// [`Vma::check_rights`] and [`Vmo::mmap`].
    pub(crate) fn mmap(&self, vma: &mut Vma<'_>, file: *mut bindings::file) -> Result {
        if self.replaced.load(Ordering::Acquire) {
            return Err(refuse(abi::ZXVMO_REASON_REPLACED));
        }
        let Object::Vmo(vmo) = &self.object else {
            return Err(zx(abi::ZX_ERR_WRONG_TYPE));
        };
        if vmo.is_physical() {
            resource::refuse_if_locked_down()?;
        }
        vma.check_rights(self.rights)?;
        if self.is_view {
            // A re-map through a view (`remap_file_pages`): the file is the
            // view, and the VMA's offset one in the shmem file.
            // SAFETY: `file` is this view, referenced by the caller.
            return unsafe { mapping::map(vma, vmo, file, true) };
        }
        let view = self.view(vmo)?;
        // SAFETY: `view` is this handle's view of the VMO's inode, which
        // the handle keeps referenced while this call runs.
        unsafe { mapping::map(vma, vmo, view, false) }
    }

    /// Where to map `len` bytes of this handle's VMO from page `pgoff` on:
    /// for a physical VMO, an address congruent to the physical address
    /// modulo the largest huge-entry size (1 GiB, 2 MiB) that the mapping
    /// can hold, so a BAR mapped whole gets huge entries; otherwise (and for
    /// a fixed or hinted address) where the mm would put it.
    pub(crate) fn get_unmapped_area(
        &self,
        file: *mut bindings::file,
        (addr, len, pgoff, flags): (u64, u64, u64, u64),
    ) -> u64 {
        let plain = |addr, len| {
            // SAFETY: `file` is the file being mapped, into the current
            // task's mm (which the helper reads before 6.15, where
            // `mm_get_unmapped_area` still takes it).
            unsafe {
                #[cfg(not(zxvmo_unmapped_area_current_mm))]
                let r = bindings::mm_get_unmapped_area(
                    ffi_ext::zxvmo_current_mm(),
                    file,
                    addr as _,
                    len as _,
                    pgoff as _,
                    flags as _,
                );
                #[cfg(zxvmo_unmapped_area_current_mm)]
                let r = bindings::mm_get_unmapped_area(
                    file, addr as _, len as _, pgoff as _, flags as _,
                );
                r as u64
            }
        };
        let paddr = match &self.object {
            Object::Vmo(vmo) => vmo.paddr(),
            _ => None,
        };
        let fixed = flags & MAP_FIXED != 0;
        let (Some(paddr), false, 0) = (paddr, fixed, addr) else {
            return plain(addr, len);
        };
        // SAFETY: The helpers only read constants.
        let orders = unsafe { [ffi_ext::zxvmo_pud_order(), ffi_ext::zxvmo_pmd_order()] };
        let Some(align) = orders
            .iter()
            .filter(|&&o| o != 0)
            .map(|&o| PAGE << o)
            .find(|&size| len >= size)
        else {
            return plain(addr, len);
        };
        let Some(target) = pgoff.checked_mul(PAGE).and_then(|o| o.checked_add(paddr)) else {
            return plain(addr, len);
        };
        let Some(padded) = len.checked_add(align) else {
            return plain(addr, len);
        };
        let base = plain(0, padded);
        if base > u64::MAX - 4095 {
            // An errno: no room for the padded length; try unpadded.
            return plain(addr, len);
        }
        // The start inside `[base, base + align)` congruent to `target`.
        base + (target.wrapping_sub(base) & (align - 1))
    }

    /// This handle's view of `vmo`'s inode, made on first use.
    ///
    /// # Errors
    ///
    /// `ZX_ERR_NO_MEMORY`.
    fn view(&self, vmo: &Arc<Vmo>) -> Result<*mut bindings::file> {
        let current = self.view.load(Ordering::Acquire);
        if !current.is_null() {
            return Ok(current);
        }
        let mut inner = Handle::new(Object::Vmo(vmo.clone()), self.rights);
        inner.is_view = true;
        let inner = KBox::new(inner, GFP_KERNEL_ACCOUNT)
            .map_err(|_| zx(abi::ZX_ERR_NO_MEMORY))?
            .into_foreign();
        let file = match vmo.view(&ZXVMO_VIEW_FOPS.0, inner as *mut kernel::ffi::c_void) {
            Ok(file) => file,
            Err(e) => {
                // SAFETY: The view was not made, so `inner` is still ours.
                drop(unsafe { KBox::<Handle>::from_foreign(inner) });
                return Err(e);
            }
        };
        match self.view.compare_exchange(
            core::ptr::null_mut(),
            file,
            Ordering::AcqRel,
            Ordering::Acquire,
        ) {
            Ok(_) => Ok(file),
            Err(raced) => {
                // Another `mmap` of this handle made one first: use it.
                // SAFETY: `file` is ours alone; its release frees `inner`.
                unsafe { bindings::fput(file) };
                Ok(raced)
            }
        }
    }

    /// `poll(2)` on this handle: a VMO reports `ZX_VMO_ZERO_CHILDREN` as
    /// readable; other objects have no signals.
    pub(crate) fn poll(
        &self,
        file: *mut bindings::file,
        pt: *mut bindings::poll_table_struct,
    ) -> u32 {
        match &self.object {
            Object::Vmo(v) if !self.replaced.load(Ordering::Acquire) => v.poll(file, pt),
            _ => crate::vmo::EPOLLERR,
        }
    }

    /// `zx_object_wait_one` on this handle's VMO.
    fn wait_one(&self, vmo: &Vmo, arg: usize) -> Result<isize> {
        let mut w: abi::ZxvmoWaitOne = uarg::read(arg)?;
        let (observed, result) = vmo.wait_one(w.signals, w.deadline);
        w.observed = observed;
        uarg::write(arg, &w)?;
        result.map(|()| 0)
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        let view = *self.view.get_mut();
        if !view.is_null() {
            // SAFETY: The handle owns one reference to its view; mappings
            // that use the view hold their own.
            unsafe { bindings::fput(view) };
        }
    }
}

/// Dispatches a command issued on the device node itself.
fn device_ioctl(cmd: u32, arg: usize) -> Result<isize> {
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
        _ => Err(crate::status::wrong_type()),
    }
}

/// A `file_operations` table that may live in a `static`.
pub(crate) struct FileOperations(pub(crate) bindings::file_operations);

// SAFETY: The table is never written after initialisation; the kernel only
// reads it, from any thread.
unsafe impl Sync for FileOperations {}

/// The kernel's `compat_ptr_ioctl`, as `compat_ioctl` takes it (the
/// bindings wrap it in an `Option` since 6.13).
#[cfg(zxvmo_compat_ioctl_option)]
const COMPAT_IOCTL: CompatIoctl = bindings::compat_ptr_ioctl;
#[cfg(not(zxvmo_compat_ioctl_option))]
const COMPAT_IOCTL: CompatIoctl = Some(bindings::compat_ptr_ioctl);
type CompatIoctl = Option<
    unsafe extern "C" fn(
        *mut bindings::file,
        kernel::ffi::c_uint,
        kernel::ffi::c_ulong,
    ) -> kernel::ffi::c_long,
>;

/// The file operations of every zxvmo file: the device node and objects.
pub(crate) static ZXVMO_FOPS: FileOperations = FileOperations(bindings::file_operations {
    owner: crate::THIS_MODULE.as_ptr(),
    open: Some(zxvmo_open),
    release: Some(zxvmo_release),
    unlocked_ioctl: Some(zxvmo_ioctl),
    compat_ioctl: COMPAT_IOCTL,
    mmap: Some(zxvmo_mmap),
    get_unmapped_area: Some(zxvmo_get_unmapped_area),
    poll: Some(zxvmo_poll),
    show_fdinfo: Some(zxvmo_show_fdinfo),
    // SAFETY: All-zero is a valid `file_operations`: every other callback
    // absent, which the VFS treats as unsupported.
    ..unsafe { core::mem::zeroed() }
});

/// The file operations of a handle's view of its VMO's inode (see the
/// module documentation): the `vm_file` of its mappings. Mapping it again (as
/// `remap_file_pages` does) is zxvmo's `mmap` with the handle's rights.
pub(crate) static ZXVMO_VIEW_FOPS: FileOperations = FileOperations(bindings::file_operations {
    owner: crate::THIS_MODULE.as_ptr(),
    release: Some(zxvmo_release),
    mmap: Some(zxvmo_mmap),
    show_fdinfo: Some(zxvmo_show_fdinfo),
    // SAFETY: All-zero is a valid `file_operations`: every other callback
    // absent, which the VFS treats as unsupported.
    ..unsafe { core::mem::zeroed() }
});

/// Opens `/dev/zxvmo`: gives the new file a device [`Handle`].
///
/// # Safety
///
/// Called by `misc_open` with a valid `file` for the zxvmo node, before any
/// other callback on that file.
unsafe extern "C" fn zxvmo_open(_inode: *mut bindings::inode, file: *mut bindings::file) -> c_int {
    match KBox::new(Handle::device(), GFP_KERNEL_ACCOUNT) {
        Ok(handle) => {
            // SAFETY: `file` is valid (the caller's contract); nothing else
            // uses `private_data` of a file that is still being opened.
            unsafe { (*file).private_data = handle.into_foreign() as *mut kernel::ffi::c_void };
            0
        }
        Err(_) => ENOMEM.to_errno(),
    }
}

/// Releases a zxvmo file: drops its [`Handle`].
///
/// # Safety
///
/// Called by the VFS once, on the last reference to a zxvmo file, whose
/// `private_data` came from `KBox::<Handle>::into_foreign`.
unsafe extern "C" fn zxvmo_release(
    _inode: *mut bindings::inode,
    file: *mut bindings::file,
) -> c_int {
    // SAFETY: `private_data` came from `into_foreign` and no other callback
    // runs on this file any more.
    drop(unsafe { KBox::<Handle>::from_foreign((*file).private_data) });
    0
}

/// Runs an ioctl on a zxvmo file.
///
/// # Safety
///
/// Called by the VFS with a valid zxvmo `file` that is open for the whole
/// call, whose `private_data` came from `KBox::<Handle>::into_foreign`.
unsafe extern "C" fn zxvmo_ioctl(file: *mut bindings::file, cmd: c_uint, arg: c_ulong) -> c_long {
    // SAFETY: `private_data` came from `into_foreign` and `release` cannot
    // run while the file is in use by this call.
    let handle = unsafe { KBox::<Handle>::borrow((*file).private_data) };
    match handle.ioctl(cmd, arg as usize) {
        Ok(ret) => ret as c_long,
        Err(e) => handle.failed(e) as c_long,
    }
}

/// Maps a zxvmo file (a VMO) into a process.
///
/// # Safety
///
/// Called by the mm with a valid zxvmo `file` whose `private_data` came from
/// `KBox::<Handle>::into_foreign`, and a valid `vma` for it, with the mm's
/// write lock held.
unsafe extern "C" fn zxvmo_mmap(
    file: *mut bindings::file,
    vma: *mut bindings::vm_area_struct,
) -> c_int {
    // SAFETY: `private_data` came from `into_foreign`; the file is pinned by
    // the mapping being made.
    let handle = unsafe { KBox::<Handle>::borrow((*file).private_data) };
    // SAFETY: `vma` is valid with the mm write-locked for this call.
    let mut vma = unsafe { mapping::Vma::from_raw(vma) };
    match handle.mmap(&mut vma, file) {
        Ok(()) => 0,
        Err(e) => handle.failed(e),
    }
}

/// Picks the address of a new mapping of a zxvmo file (see
/// [`Handle::get_unmapped_area`]).
///
/// # Safety
///
/// Called by the mm with a valid zxvmo `file` whose `private_data` came from
/// `KBox::<Handle>::into_foreign`, for the current task's mm.
unsafe extern "C" fn zxvmo_get_unmapped_area(
    file: *mut bindings::file,
    addr: c_ulong,
    len: c_ulong,
    pgoff: c_ulong,
    flags: c_ulong,
) -> c_ulong {
    // SAFETY: `private_data` came from `into_foreign`; the file is pinned by
    // the mapping being made.
    let handle = unsafe { KBox::<Handle>::borrow((*file).private_data) };
    handle.get_unmapped_area(file, (addr as u64, len as u64, pgoff as u64, flags as u64)) as c_ulong
}

/// Polls a zxvmo file: a VMO is readable while `ZX_VMO_ZERO_CHILDREN` is
/// active.
///
/// # Safety
///
/// Called by the VFS with a valid zxvmo `file`, open for the whole call,
/// whose `private_data` came from `KBox::<Handle>::into_foreign`, and a
/// valid or null poll table.
unsafe extern "C" fn zxvmo_poll(
    file: *mut bindings::file,
    pt: *mut bindings::poll_table_struct,
) -> bindings::__poll_t {
    // SAFETY: `private_data` came from `into_foreign` and `release` cannot
    // run while the file is in use by this call.
    let handle = unsafe { KBox::<Handle>::borrow((*file).private_data) };
    handle.poll(file, pt)
}

/// A `seq_file` as a [`core::fmt::Write`] sink.
struct SeqWriter(*mut bindings::seq_file);

impl core::fmt::Write for SeqWriter {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        // SAFETY: `self.0` is the seq_file of the running `show_fdinfo`
        // call; `s` is readable for its length. Overflow is the seq_file's
        // own business: it retries with a larger buffer.
        unsafe { bindings::seq_write(self.0, s.as_ptr().cast(), s.len()) };
        Ok(())
    }
}

/// Shows `/proc/PID/fdinfo/FD` of a zxvmo file (see [`Handle::show_fdinfo`]).
///
/// # Safety
///
/// Called by procfs with a valid seq_file and a valid zxvmo `file`, open
/// for the whole call, whose `private_data` came from
/// `KBox::<Handle>::into_foreign`.
unsafe extern "C" fn zxvmo_show_fdinfo(m: *mut bindings::seq_file, file: *mut bindings::file) {
    // SAFETY: `private_data` came from `into_foreign` and `release` cannot
    // run while the file is in use by this call.
    let handle = unsafe { KBox::<Handle>::borrow((*file).private_data) };
    let _ = handle.show_fdinfo(&mut SeqWriter(m));
}
