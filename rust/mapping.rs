// SPDX-License-Identifier: GPL-2.0

//! Mappings: a VMO mapped into a process with `mmap(2)` on its handle.
//!
//! Only shared mappings are allowed. Each protection needs its right on the
//! handle (`MAP`, plus `READ`, `WRITE`, `EXECUTE` for each protection), and
//! write or execute without read is refused, since x86 cannot map memory
//! that way without making it readable. The `VM_MAY*` bits the rights do not
//! grant are cleared (write and execute also need read), so `mprotect`
//! cannot add a protection later.
//!
//! Every VMA's `vm_file` is a zxvmo file whose `mmap` applies the same
//! checks, so nothing that maps through `vm_file` again (`remap_file_pages`)
//! can widen a mapping: physical mappings keep the handle's own file;
//! paged mappings get the handle's *view* (see [`crate::handle`]), a file on
//! the VMO's shmem inode that shmem's fault handlers can serve and whose
//! `mmap` is zxvmo's, with the handle's rights. The shmem inode itself
//! cannot be opened (`/proc/PID/map_files` would otherwise give a plain
//! read-write shmem file).
//!
//! The VMO of a VMA is reached through `vm_file`, which the mm keeps
//! referenced for every copy of the VMA (fork, split, mremap): the
//! callbacks count each copy as one of the VMO's mappings, from `mmap` (or
//! the copy that `open` sees) to `close`. Physical VMOs are mapped with
//! `remap_pfn_range`, and their VMAs cannot be split (a split
//! `remap_pfn_range` mapping leaks its x86 PAT memtype on 6.12): partial
//! `munmap`, `mprotect` or `mremap` of one fails with `EINVAL`.

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
    /// `ZX_ERR_INVALID_ARGS` for a private mapping, or one asking for write
    /// or execute without read; `ZX_ERR_ACCESS_DENIED` when a requested
    /// protection lacks its right.
    pub(crate) fn check_rights(&mut self, rights: abi::ZxRights) -> Result {
        let flags = self.flags();
        if flags & bindings::VM_MAYSHARE as usize == 0 {
            return Err(zx(abi::ZX_ERR_INVALID_ARGS));
        }
        let (read, write, exec) = (
            bindings::VM_READ as usize,
            bindings::VM_WRITE as usize,
            bindings::VM_EXEC as usize,
        );
        if flags & (write | exec) != 0 && flags & read == 0 {
            return Err(zx(abi::ZX_ERR_INVALID_ARGS));
        }
        if rights & abi::ZX_RIGHT_MAP == 0 {
            return Err(zx(abi::ZX_ERR_ACCESS_DENIED));
        }
        // Write and execute are only ever granted together with read: a
        // write-only or execute-only x86 mapping would be readable.
        let readable = rights & abi::ZX_RIGHT_READ != 0;
        let wants = [
            (read, bindings::VM_MAYREAD, readable),
            (
                write,
                bindings::VM_MAYWRITE,
                readable && rights & abi::ZX_RIGHT_WRITE != 0,
            ),
            (
                exec,
                bindings::VM_MAYEXEC,
                readable && rights & abi::ZX_RIGHT_EXECUTE != 0,
            ),
        ];
        let mut clear = 0usize;
        for (want, may, granted) in wants {
            if !granted {
                if flags & want != 0 {
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
    /// becomes `view` (a zxvmo view of the file's inode, see
    /// [`ShmemFile::view`]), and zxvmo's callbacks wrap shmem's page-fault
    /// handlers. The mapping is never expanded (mremap cannot reach beyond
    /// the VMO).
    ///
    /// # Safety
    ///
    /// `view` must be a valid file on `file`'s inode, referenced by the
    /// caller for the duration of the call.
    pub(crate) unsafe fn map_shmem(
        &mut self,
        file: &ShmemFile,
        view: *mut bindings::file,
        base: u64,
    ) -> Result {
        let shift = base >> bindings::PAGE_SHIFT;
        // SAFETY: `vma` is valid and its mm write-locked (type invariant);
        // `vma_set_file` moves the VMA's file reference to `view` (valid per
        // the contract), which shmem's own mmap then sets up.
        unsafe {
            ffi_ext::zxvmo_vma_mod_flags(self.vma, bindings::VM_DONTEXPAND as _, 0);
            (*self.vma).vm_pgoff += shift as kernel::ffi::c_ulong;
            bindings::vma_set_file(self.vma, view);
            kernel::error::to_result(ffi_ext::zxvmo_shmem_mmap(file.as_ptr(), view, self.vma))?;
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

    /// Gives a physical mapping zxvmo's callbacks, which keep the VMO's
    /// mapping count in step with the VMA's copies and refuse splits. (A
    /// paged mapping got its callbacks in [`Vma::map_shmem`].)
    pub(crate) fn set_phys_ops(&mut self) {
        // SAFETY: By the type invariant `vma` is valid and its mm
        // write-locked. A new VMA starts with the mm's dummy table, never
        // null, so the table is set unconditionally.
        unsafe { (*self.vma).vm_ops = &ZXVMO_PHYS_VM_OPS.0 };
    }
}

/// A `vm_operations_struct` that may live in a `static`.
struct VmOperations(bindings::vm_operations_struct);

// SAFETY: The tables are never written after initialisation.
unsafe impl Sync for VmOperations {}

/// The VMA callbacks of physical mappings.
static ZXVMO_PHYS_VM_OPS: VmOperations = VmOperations(bindings::vm_operations_struct {
    open: Some(zxvmo_vma_open),
    close: Some(zxvmo_vma_close),
    may_split: Some(zxvmo_phys_may_split),
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

/// The VMO of a zxvmo VMA, through its `vm_file`.
///
/// # Safety
///
/// `vma` must be a valid VMA set up by zxvmo's `mmap` (or a copy of one).
unsafe fn mapped_vmo<'a>(vma: *mut bindings::vm_area_struct) -> Option<&'a crate::vmo::Vmo> {
    // SAFETY: Per the contract, `vm_file` is a zxvmo file (a handle's file
    // or its view), which the mm keeps referenced for the VMA's life, and
    // whose `private_data` is a `KBox<Handle>`.
    let handle = unsafe {
        let file = (*vma).vm_file;
        KBox::<Handle>::borrow((*file).private_data)
    };
    handle.vmo()
}

/// A VMA was copied (fork, split, mremap): the copy counts as a mapping.
///
/// # Safety
///
/// Called by the mm with a valid VMA set up by zxvmo's `mmap`.
unsafe extern "C" fn zxvmo_vma_open(vma: *mut bindings::vm_area_struct) {
    // SAFETY: Per the contract.
    if let Some(vmo) = unsafe { mapped_vmo(vma) } {
        vmo.mapping_opened();
    }
}

/// A VMA is going away (before the mm drops its `vm_file`): uncounts it.
///
/// # Safety
///
/// Called by the mm once per VMA set up by zxvmo's `mmap` (or copied
/// through `open`).
unsafe extern "C" fn zxvmo_vma_close(vma: *mut bindings::vm_area_struct) {
    // SAFETY: Per the contract.
    if let Some(vmo) = unsafe { mapped_vmo(vma) } {
        vmo.mapping_closed();
    }
}

/// A physical mapping is never split: `remap_pfn_range` reserved the x86
/// PAT memtype of the whole range, and 6.12 frees it per piece, leaking it.
///
/// # Safety
///
/// Called by the mm with a valid VMA; it is not touched.
unsafe extern "C" fn zxvmo_phys_may_split(
    _vma: *mut bindings::vm_area_struct,
    _addr: kernel::ffi::c_ulong,
) -> kernel::ffi::c_int {
    EINVAL.to_errno()
}
