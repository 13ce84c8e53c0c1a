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
//! Every VMA's `vm_file` is the handle's *view* (see [`crate::handle`]):
//! a zxvmo file on the VMO's inode, whose `mmap` applies the same checks
//! with the handle's rights, so nothing that maps through `vm_file` again
//! (`remap_file_pages`) can widen a mapping, and every mapping of a VMO is
//! in that inode's `address_space` (see [`crate::inode`]). Paged views are
//! on the VMO's shmem inode, which shmem's fault handlers serve; physical
//! views on the VMO's own `zxvmofs` inode. Neither inode can be opened
//! (`/proc/PID/map_files` would otherwise reopen it).
//!
//! The VMO of a VMA is reached through `vm_file`, which the mm keeps
//! referenced for every copy of the VMA (fork, split, mremap): the
//! callbacks count each copy as one of the VMO's mappings, from `mmap` (or
//! the copy that `open` sees) to `close`.
//!
//! Physical mappings are filled by faults, as VFIO maps PCI BARs: nothing
//! is mapped at `mmap`; each fault inserts the largest entry that fits (a
//! 1 GiB PUD or 2 MiB PMD where the virtual and physical addresses are both
//! aligned to it and the VMO covers all of it, else a 4 KiB PTE), and the
//! handle's `get_unmapped_area` places a mapping so that they align. The
//! memtype comes from the x86 PAT lookup per entry: write-combining is
//! reserved once per VMO (see [`crate::vmo`]), other policies map UC-.
//! Faults check the VMO's grant, so a revoked VMO raises `SIGBUS`. Such
//! mappings split freely (partial `munmap`, `mprotect`, `mremap`): nothing
//! is reserved per VMA.

use core::marker::PhantomData;
use core::sync::atomic::{AtomicPtr, AtomicU64, Ordering};

use crate::shmem::ShmemFile;
use crate::status::{refuse_right, zx};
use crate::vmo::Vmo;
use crate::{abi, ffi_ext};
use kernel::bindings;
use kernel::prelude::*;

/// Maps `vmo` into `vma`, whose protections the caller checked against the
/// handle's rights (see [`Vma::check_rights`]). `view`, the handle's view
/// of the VMO's inode, becomes the VMA's file; `file_relative` says the
/// VMA's offset is one in that file (a re-map through the view) rather than
/// in the VMO.
///
/// # Errors
///
/// `ZX_ERR_OUT_OF_RANGE` when the VMA's offset and length exceed the VMO;
/// as [`Vmo::mapping_begins`]; the errno of shmem's mmap when it fails.
///
/// # Safety
///
/// `view` must be a valid view of `vmo`'s inode (see [`Vmo::view`]),
/// referenced for the duration of the call, whose handle keeps `vmo` alive.
pub(crate) unsafe fn map(
    vma: &mut Vma<'_>,
    vmo: &Vmo,
    view: *mut bindings::file,
    file_relative: bool,
) -> Result {
    let mut offset = vma.offset().ok_or_else(|| zx(abi::ZX_ERR_OUT_OF_RANGE))?;
    let shmem = vmo.shmem();
    if file_relative {
        let base = shmem.map_or(0, |(_, base)| base);
        offset = offset
            .checked_sub(base)
            .ok_or_else(|| zx(abi::ZX_ERR_OUT_OF_RANGE))?;
    }
    let policy = vmo.mapping_begins(offset, vma.len())?;
    let result = match shmem {
        None => {
            vma.set_cache_policy(policy);
            // SAFETY: `view` is a valid view of this VMO's inode (the
            // contract).
            unsafe { vma.map_phys(view) };
            Ok(())
        }
        Some((file, base)) => {
            // The VMA's offset becomes one in the file: without a re-map
            // through the view, add the VMO's start.
            let shift = if file_relative { 0 } else { base };
            // SAFETY: `view` is a valid view of `file` (the contract).
            unsafe { vma.map_shmem(file, view, shift) }
        }
    };
    match result {
        // The view's handle keeps the VMO alive while the VMA (or any copy
        // of it, which holds the same `vm_file`) exists.
        Ok(()) => vma.set_vmo(vmo),
        // The mm calls no `close` for a VMA whose `mmap` failed.
        Err(_) => vmo.mapping_closed(),
    }
    result
}

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
    fn len(&self) -> u64 {
        let (start, end) = self.bounds();
        (end - start) as u64
    }

    /// Offset of the mapping in the file, or `None` when it overflows.
    fn offset(&self) -> Option<u64> {
        // SAFETY: By the type invariant `vma` is valid.
        let pgoff = unsafe { (*self.vma).vm_pgoff } as u64;
        pgoff.checked_mul(ffi_ext::PAGE)
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
            return Err(refuse_right(abi::ZX_RIGHT_MAP));
        }
        // Each protection, its `VM_MAY*` bit, and the rights it needs: write
        // and execute only ever together with read, as a write-only or
        // execute-only x86 mapping would be readable.
        let wants = [
            (read, bindings::VM_MAYREAD, abi::ZX_RIGHT_READ),
            (
                write,
                bindings::VM_MAYWRITE,
                abi::ZX_RIGHT_READ | abi::ZX_RIGHT_WRITE,
            ),
            (
                exec,
                bindings::VM_MAYEXEC,
                abi::ZX_RIGHT_READ | abi::ZX_RIGHT_EXECUTE,
            ),
        ];
        let mut clear = 0usize;
        for (want, may, needs) in wants {
            let missing = needs & !rights;
            if missing != 0 {
                if flags & want != 0 {
                    return Err(refuse_right(missing));
                }
                clear |= may as usize;
            }
        }
        // SAFETY: By the type invariant `vma` is valid and its mm write-locked.
        unsafe { ffi_ext::zxvmo_vma_mod_flags(self.vma, 0, clear as _) };
        Ok(())
    }

    /// Records `vmo` as the VMA's VMO (in `vm_private_data`, which copies
    /// of the VMA inherit), for the callbacks below.
    fn set_vmo(&mut self, vmo: &Vmo) {
        // SAFETY: By the type invariant `vma` is valid and its mm
        // write-locked; neither shmem's mmap nor zxvmo's uses the field.
        unsafe { (*self.vma).vm_private_data = (vmo as *const Vmo).cast_mut().cast() };
    }

    /// Sets the page protection's memory type for cache `policy`.
    fn set_cache_policy(&mut self, policy: u32) {
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

    /// Makes the VMA a mapping of a physical VMO through `view` (the
    /// handle's view of the VMO's inode, which becomes `vm_file`): I/O
    /// memory, never expanded or dumped, filled by faults
    /// ([`zxvmo_phys_huge_fault`]) with the largest entries that fit.
    ///
    /// # Safety
    ///
    /// `view` must be a valid view of a physical VMO's inode, referenced by
    /// the caller for the duration of the call.
    unsafe fn map_phys(&mut self, view: *mut bindings::file) {
        let set = bindings::VM_IO
            | bindings::VM_PFNMAP
            | bindings::VM_DONTEXPAND
            | bindings::VM_DONTDUMP
            | bindings::VM_HUGEPAGE;
        // A new VMA starts with the mm's dummy table, replaced whatever it is.
        // SAFETY: `vma` is valid, its mm write-locked (type invariant);
        // `vma_set_file` moves the file reference to `view` (the contract).
        unsafe {
            ffi_ext::zxvmo_vma_mod_flags(self.vma, set as _, 0);
            bindings::vma_set_file(self.vma, view);
            (*self.vma).vm_ops = &ZXVMO_PHYS_VM_OPS.0;
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
    unsafe fn map_shmem(
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
}

/// A `vm_operations_struct` that may live in a `static`.
struct VmOperations(bindings::vm_operations_struct);

// SAFETY: The tables are never written after initialisation.
unsafe impl Sync for VmOperations {}

/// The VMA callbacks of physical mappings.
static ZXVMO_PHYS_VM_OPS: VmOperations = VmOperations(bindings::vm_operations_struct {
    open: Some(zxvmo_vma_open),
    close: Some(zxvmo_vma_close),
    fault: Some(zxvmo_phys_fault),
    huge_fault: Some(zxvmo_phys_huge_fault),
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

/// The VMO of a zxvmo VMA (see [`Vma::set_vmo`]).
///
/// # Safety
///
/// `vma` must be a valid VMA set up by [`map`] (or a copy of one).
unsafe fn mapped_vmo<'a>(vma: *mut bindings::vm_area_struct) -> Option<&'a Vmo> {
    // SAFETY: Per the contract, `map` stored the VMO, which the handle in
    // the VMA's `vm_file` (referenced by the mm for the VMA's life) keeps
    // alive.
    unsafe { (*vma).vm_private_data.cast::<Vmo>().cast_const().as_ref() }
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

/// Page-table entries inserted by physical faults, by size: the figures
/// behind `/sys/kernel/debug/zxvmo/faults_{pte,pmd,pud}`.
pub(crate) static FAULTS: [AtomicU64; 3] =
    [AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0)];

/// A 4 KiB page fault on a physical mapping.
///
/// # Safety
///
/// Called by the mm with a valid `vmf` of a VMA set up by [`Vma::map_phys`].
unsafe extern "C" fn zxvmo_phys_fault(vmf: *mut bindings::vm_fault) -> bindings::vm_fault_t {
    // SAFETY: The caller's contract.
    unsafe { zxvmo_phys_huge_fault(vmf, 0) }
}

/// A fault on a physical mapping that asks for an entry of `order`: 0 (a
/// PTE), or a PMD or PUD order, which is answered with `VM_FAULT_FALLBACK`
/// (and a smaller entry next) when the entry does not fit.
///
/// # Safety
///
/// Called by the mm with a valid `vmf` of a VMA set up by [`Vma::map_phys`],
/// with the VMA's mm or VMA read-locked.
unsafe extern "C" fn zxvmo_phys_huge_fault(
    vmf: *mut bindings::vm_fault,
    order: kernel::ffi::c_uint,
) -> bindings::vm_fault_t {
    // SAFETY: `vmf` and its VMA are valid for the call (the contract).
    let (vma, address, write) = unsafe {
        let f = &(*vmf).__bindgen_anon_1;
        (
            f.vma,
            f.address as u64,
            (*vmf).flags & bindings::fault_flag_FAULT_FLAG_WRITE != 0,
        )
    };
    // SAFETY: The VMA is zxvmo's (the contract).
    let Some(vmo) = (unsafe { mapped_vmo(vma) }) else {
        return bindings::vm_fault_reason_VM_FAULT_SIGBUS;
    };
    // SAFETY: The VMA is valid and locked against changes for the call.
    let bounds = unsafe {
        let b = &(*vma).__bindgen_anon_1.__bindgen_anon_1;
        (b.vm_start as u64, b.vm_end as u64, (*vma).vm_pgoff as u64)
    };
    // SAFETY: The helpers only read constants.
    let (pmd, pud) = unsafe { (ffi_ext::zxvmo_pmd_order(), ffi_ext::zxvmo_pud_order()) };
    let slot = match order {
        0 => 0,
        o if o == pmd && o != 0 => 1,
        o if o == pud && o != 0 => 2,
        _ => return bindings::vm_fault_reason_VM_FAULT_FALLBACK,
    };
    let ret = vmo.phys_fault(bounds, address, order, |pfn| {
        // SAFETY: `vmf` is valid, its VMA a `VM_PFNMAP` mapping whose pfns
        // `phys_fault` checked against the VMO: inside it, aligned for the
        // order.
        unsafe {
            match slot {
                0 => bindings::vmf_insert_pfn(vma, address as _, pfn as _),
                1 => ffi_ext::zxvmo_insert_pfn_pmd(vmf, pfn as _, write),
                _ => ffi_ext::zxvmo_insert_pfn_pud(vmf, pfn as _, write),
            }
        }
    });
    if ret == bindings::vm_fault_reason_VM_FAULT_NOPAGE {
        FAULTS[slot].fetch_add(1, Ordering::Relaxed);
    }
    ret
}
