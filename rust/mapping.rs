// SPDX-License-Identifier: GPL-2.0

//! Mappings: a VMO mapped into a process with `mmap(2)` on its handle.
//!
//! Only shared mappings are allowed. Each protection needs its right on the
//! handle (`MAP`, plus `READ`, `WRITE`, `EXECUTE` for each protection), and
//! the `VM_MAY*` bits of missing rights are cleared so `mprotect` cannot add
//! them later.
//!
//! Every VMA holds a reference to the zxvmo file it was mapped through (in
//! `vm_private_data`), and so to its handle, its VMO and the module, and
//! counts as one of the VMO's mappings, from `mmap` (or the copy that
//! `open` sees on fork, split and mremap) to `close`. Physical VMOs are
//! mapped with `remap_pfn_range`; paged VMOs hand the VMA to their shmem
//! file (`vm_file` becomes the shmem file, as for DRM GEM objects) and
//! zxvmo's callbacks wrap shmem's fault handlers. The file reference is
//! dropped with `fput`, so the module reference goes in core code, after
//! the last zxvmo callback has returned.

use core::marker::PhantomData;
use core::sync::atomic::{AtomicPtr, Ordering};

use crate::handle::Handle;
use crate::shmem::ShmemFile;
use crate::{abi, ffi_ext, status::zx};
use kernel::bindings;
use kernel::prelude::*;
use kernel::types::ForeignOwnable;

/// A VMA being set up by a zxvmo `mmap` call.
///
/// # Invariants
///
/// `vma` is valid, and the caller holds the mm's write lock, for `'a`.
pub(crate) struct Vma<'a> {
    vma: *mut bindings::vm_area_struct,
    _lifetime: PhantomData<&'a mut bindings::vm_area_struct>,
}

impl<'a> Vma<'a> {
    /// Wraps the VMA an `mmap` callback received.
    ///
    /// # Safety
    ///
    /// `vma` must be valid, with the mm's write lock held, for `'a`.
    pub(crate) unsafe fn from_raw(vma: *mut bindings::vm_area_struct) -> Self {
        // INVARIANT: The caller's contract.
        Vma {
            vma,
            _lifetime: PhantomData,
        }
    }

    fn flags(&self) -> usize {
        // SAFETY: By the type invariant `vma` is valid.
        unsafe { ffi_ext::zxvmo_vma_flags(self.vma) as usize }
    }

    /// The mapping's `[start, end)` user addresses.
    fn bounds(&self) -> (usize, usize) {
        // SAFETY: By the type invariant `vma` is valid; a VMA being mapped is
        // live, so the union holds its bounds (not its RCU head).
        unsafe {
            let b = &(*self.vma).__bindgen_anon_1.__bindgen_anon_1;
            (b.vm_start as usize, b.vm_end as usize)
        }
    }

    /// Length of the mapping in bytes.
    pub(crate) fn len(&self) -> u64 {
        let (start, end) = self.bounds();
        (end - start) as u64
    }

    /// Offset of the mapping in the file, or `None` when it overflows.
    pub(crate) fn offset(&self) -> Option<u64> {
        // SAFETY: By the type invariant `vma` is valid.
        let pgoff = unsafe { (*self.vma).vm_pgoff } as u64;
        pgoff.checked_mul(crate::resource::PAGE)
    }

    /// Checks the requested protections against `rights` and removes the
    /// `VM_MAY*` bits the rights do not grant.
    ///
    /// # Errors
    ///
    /// `ZX_ERR_INVALID_ARGS` for a private mapping; `ZX_ERR_ACCESS_DENIED`
    /// when a requested protection lacks its right.
    pub(crate) fn check_rights(&mut self, rights: abi::ZxRights) -> Result {
        let flags = self.flags();
        if flags & bindings::VM_MAYSHARE as usize == 0 {
            return Err(zx(abi::ZX_ERR_INVALID_ARGS));
        }
        let wants = [
            (bindings::VM_READ, bindings::VM_MAYREAD, abi::ZX_RIGHT_READ),
            (
                bindings::VM_WRITE,
                bindings::VM_MAYWRITE,
                abi::ZX_RIGHT_WRITE,
            ),
            (
                bindings::VM_EXEC,
                bindings::VM_MAYEXEC,
                abi::ZX_RIGHT_EXECUTE,
            ),
        ];
        if rights & abi::ZX_RIGHT_MAP == 0 {
            return Err(zx(abi::ZX_ERR_ACCESS_DENIED));
        }
        let mut clear = 0usize;
        for (want, may, right) in wants {
            if rights & right == 0 {
                if flags & want as usize != 0 {
                    return Err(zx(abi::ZX_ERR_ACCESS_DENIED));
                }
                clear |= may as usize;
            }
        }
        // SAFETY: By the type invariant `vma` is valid and its mm write-locked.
        unsafe { ffi_ext::zxvmo_vma_mod_flags(self.vma, 0, clear as _) };
        Ok(())
    }

    /// Sets the page protection's memory type for cache `policy`.
    pub(crate) fn set_cache_policy(&mut self, policy: u32) {
        // SAFETY: By the type invariant `vma` is valid and its mm write-locked.
        unsafe {
            match policy {
                abi::ZX_CACHE_POLICY_CACHED => {}
                abi::ZX_CACHE_POLICY_UNCACHED_DEVICE => ffi_ext::zxvmo_vma_prot_device(self.vma),
                abi::ZX_CACHE_POLICY_WRITE_COMBINING => {
                    ffi_ext::zxvmo_vma_prot_writecombine(self.vma)
                }
                _ => ffi_ext::zxvmo_vma_prot_noncached(self.vma),
            }
        }
    }

    /// Maps the whole VMA to physical memory from `paddr` on, as I/O memory
    /// that is never expanded or dumped.
    pub(crate) fn remap_pfn(&mut self, paddr: u64) -> Result {
        let set =
            bindings::VM_IO | bindings::VM_PFNMAP | bindings::VM_DONTEXPAND | bindings::VM_DONTDUMP;
        let (start, end) = self.bounds();
        // SAFETY: By the type invariant `vma` is valid and its mm
        // write-locked; the caller checked that the physical range is one
        // the VMO's resource grants and the iomem checks allow.
        unsafe {
            ffi_ext::zxvmo_vma_mod_flags(self.vma, set as _, 0);
            kernel::error::to_result(bindings::remap_pfn_range(
                self.vma,
                start as _,
                (paddr >> bindings::PAGE_SHIFT) as _,
                (end - start) as _,
                (*self.vma).vm_page_prot,
            ))
        }
    }

    /// Hands the VMA to shmem `file` from byte `base` of it on: `vm_file`
    /// becomes `target` (the file itself, or a slice's view of it), and
    /// zxvmo's callbacks wrap shmem's page-fault handlers. The mapping is
    /// never expanded (mremap cannot reach beyond the VMO).
    pub(crate) fn map_shmem(&mut self, file: &ShmemFile, target: &ShmemFile, base: u64) -> Result {
        let shift = base >> bindings::PAGE_SHIFT;
        // SAFETY: By the type invariant `vma` is valid and its mm
        // write-locked; `vma_set_file` moves the VMA's file reference to
        // `target`, which shmem's own mmap then sets up.
        unsafe {
            ffi_ext::zxvmo_vma_mod_flags(self.vma, bindings::VM_DONTEXPAND as _, 0);
            (*self.vma).vm_pgoff += shift as kernel::ffi::c_ulong;
            bindings::vma_set_file(self.vma, target.as_ptr());
            kernel::error::to_result(ffi_ext::zxvmo_shmem_mmap(
                file.as_ptr(),
                target.as_ptr(),
                self.vma,
            ))?;
            let ops = (*self.vma).vm_ops;
            if ops.is_null() {
                return Err(zx(abi::ZX_ERR_INTERNAL));
            }
            // Every shmem mapping gets the same table; remember it.
            SHMEM_VM_OPS.store(ops.cast_mut(), Ordering::Release);
            (*self.vma).vm_ops = &ZXVMO_PAGED_VM_OPS.0;
        }
        Ok(())
    }

    /// Makes the VMA hold a reference to `handle_file`, the zxvmo file it
    /// was mapped through, with the callbacks that keep that reference and
    /// the VMO's mapping count in step with the VMA's copies.
    pub(crate) fn hold_file(&mut self, handle_file: *mut bindings::file) {
        // SAFETY: By the type invariant `vma` is valid and its mm
        // write-locked; `handle_file` is the file being mapped, valid for
        // this call, and the new reference belongs to the VMA.
        unsafe {
            (*self.vma).vm_private_data = ffi_ext::zxvmo_get_file(handle_file).cast();
            // A new VMA starts with the mm's dummy table, never null: every
            // VMA but a paged one (set up by `map_shmem`) gets ours here.
            if !core::ptr::eq((*self.vma).vm_ops, &ZXVMO_PAGED_VM_OPS.0) {
                (*self.vma).vm_ops = &ZXVMO_PHYS_VM_OPS.0;
            }
        }
    }
}

/// A `file_operations` table that may live in a `static`.
pub(crate) struct ViewFileOperations(pub(crate) bindings::file_operations);

// SAFETY: The table is never written after initialisation.
unsafe impl Sync for ViewFileOperations {}

/// The file operations of a slice's view of its shmem file: it holds the
/// module while a mapping uses it, and refuses to be mapped again.
pub(crate) static ZXVMO_SLICE_VIEW_FOPS: ViewFileOperations =
    ViewFileOperations(bindings::file_operations {
        // SAFETY: Only the address of `__this_module` is taken.
        owner: unsafe { crate::__this_module.get() },
        mmap: Some(zxvmo_view_mmap),
        // SAFETY: All-zero is a valid `file_operations`: no other operations.
        ..unsafe { core::mem::zeroed() }
    });

/// `remap_file_pages` on a slice's mapping lands here: refused, since it
/// would map the shmem file at an offset outside the slice.
///
/// # Safety
///
/// Called by the mm with valid arguments; it touches neither.
unsafe extern "C" fn zxvmo_view_mmap(
    _file: *mut bindings::file,
    _vma: *mut bindings::vm_area_struct,
) -> kernel::ffi::c_int {
    EACCES.to_errno()
}

/// A `vm_operations_struct` that may live in a `static`.
struct VmOperations(bindings::vm_operations_struct);

// SAFETY: The tables are never written after initialisation.
unsafe impl Sync for VmOperations {}

/// The VMA callbacks of physical mappings.
static ZXVMO_PHYS_VM_OPS: VmOperations = VmOperations(bindings::vm_operations_struct {
    open: Some(zxvmo_vma_open),
    close: Some(zxvmo_vma_close),
    // SAFETY: All-zero is a valid `vm_operations_struct`: no other callbacks.
    ..unsafe { core::mem::zeroed() }
});

/// The VMA callbacks of paged mappings: shmem's fault handlers, wrapped.
static ZXVMO_PAGED_VM_OPS: VmOperations = VmOperations(bindings::vm_operations_struct {
    open: Some(zxvmo_vma_open),
    close: Some(zxvmo_vma_close),
    fault: Some(zxvmo_shmem_fault),
    map_pages: Some(zxvmo_shmem_map_pages),
    // SAFETY: All-zero is a valid `vm_operations_struct`: no other callbacks.
    ..unsafe { core::mem::zeroed() }
});

/// shmem's own VMA callbacks, saved by the first paged `mmap`.
static SHMEM_VM_OPS: AtomicPtr<bindings::vm_operations_struct> =
    AtomicPtr::new(core::ptr::null_mut());

/// The shmem callbacks saved by [`Vma::map_shmem`].
fn shmem_ops() -> &'static bindings::vm_operations_struct {
    // SAFETY: Only paged VMAs use the wrappers below, and each was set up
    // by `map_shmem`, which stored shmem's static table first.
    unsafe { &*SHMEM_VM_OPS.load(Ordering::Acquire) }
}

/// Page fault on a paged mapping: shmem's handler.
///
/// # Safety
///
/// Called by the mm with a valid `vmf` of a VMA set up by [`Vma::map_shmem`].
unsafe extern "C" fn zxvmo_shmem_fault(vmf: *mut bindings::vm_fault) -> bindings::vm_fault_t {
    match shmem_ops().fault {
        // SAFETY: The caller's contract is shmem's handler's contract.
        Some(fault) => unsafe { fault(vmf) },
        None => bindings::vm_fault_reason_VM_FAULT_SIGBUS as _,
    }
}

/// Fault-around on a paged mapping: shmem's handler.
///
/// # Safety
///
/// Called by the mm with a valid `vmf` of a VMA set up by [`Vma::map_shmem`].
unsafe extern "C" fn zxvmo_shmem_map_pages(
    vmf: *mut bindings::vm_fault,
    start: kernel::ffi::c_ulong,
    end: kernel::ffi::c_ulong,
) -> bindings::vm_fault_t {
    match shmem_ops().map_pages {
        // SAFETY: The caller's contract is shmem's handler's contract.
        Some(map_pages) => unsafe { map_pages(vmf, start, end) },
        None => 0,
    }
}

/// The VMO of the zxvmo file a VMA holds.
///
/// # Safety
///
/// `vma` must be a valid VMA set up by [`Vma::hold_file`].
unsafe fn held_vmo<'a>(vma: *mut bindings::vm_area_struct) -> Option<&'a crate::vmo::Vmo> {
    // SAFETY: Per the contract, `vm_private_data` is a zxvmo file the VMA
    // holds a reference to, whose `private_data` is a `KBox<Handle>`.
    let handle = unsafe {
        let file = (*vma).vm_private_data.cast::<bindings::file>();
        KBox::<Handle>::borrow((*file).private_data)
    };
    handle.vmo()
}

/// A VMA was copied (fork, split, mremap): the copy takes its own file
/// reference and counts as a mapping.
///
/// # Safety
///
/// Called by the mm with a valid VMA set up by [`Vma::hold_file`].
unsafe extern "C" fn zxvmo_vma_open(vma: *mut bindings::vm_area_struct) {
    // SAFETY: Per the contract.
    if let Some(vmo) = unsafe { held_vmo(vma) } {
        vmo.mapping_opened();
    }
    // SAFETY: The copy's `vm_private_data` is the same live file; the new
    // reference belongs to the copy.
    unsafe { ffi_ext::zxvmo_get_file((*vma).vm_private_data.cast()) };
}

/// A VMA is going away: uncounts it and drops its file reference.
///
/// # Safety
///
/// Called by the mm once per VMA set up by [`Vma::hold_file`] (or copied
/// through `open`).
unsafe extern "C" fn zxvmo_vma_close(vma: *mut bindings::vm_area_struct) {
    // SAFETY: Per the contract.
    if let Some(vmo) = unsafe { held_vmo(vma) } {
        vmo.mapping_closed();
    }
    // SAFETY: The VMA's reference is given up here; `fput` defers the
    // release, so no zxvmo code runs after the module reference goes.
    unsafe { bindings::fput((*vma).vm_private_data.cast()) };
}
