// SPDX-License-Identifier: GPL-2.0
/*
 * The parts of zxvmo that Rust cannot express through bindgen: C macros and
 * `static inline` functions, each behind a real function, and the module
 * parameters (module_param() is a macro that emits section data). Nothing
 * here makes a decision; the logic lives in the Rust crate.
 *
 * Where the kernel's C API changed, Kbuild defines a ZXVMO_* macro from the
 * kernel version (as it sets the Rust crate's --cfg flags).
 */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/poll.h>
#include <linux/debugfs.h>
#include <linux/huge_mm.h>
#include <linux/io.h>
#ifndef ZXVMO_PFN_IS_ULONG
#include <linux/pfn_t.h>
#endif
#include <linux/shmem_fs.h>
#include <linux/sched.h>
#include <linux/uaccess.h>
#include <asm/processor.h>

#include "helpers.h"

unsigned short zxvmo_param_mode = 0600;
module_param_named(mode, zxvmo_param_mode, ushort, 0444);
MODULE_PARM_DESC(mode, "permissions of the /dev/zxvmo node (default 0600; opening it grants paged VMOs only, physical memory needs a resource)");

u64 zxvmo_phys_addr_limit(void)
{
#ifdef CONFIG_X86
	return 1ULL << boot_cpu_data.x86_phys_bits;
#else
	return 1ULL << MAX_PHYSMEM_BITS;
#endif
}

unsigned long zxvmo_vma_flags(const struct vm_area_struct *vma)
{
	return vma->vm_flags;
}

void zxvmo_vma_mod_flags(struct vm_area_struct *vma, unsigned long set,
			 unsigned long clear)
{
	vm_flags_mod(vma, set, clear);
}

void zxvmo_vma_prot_noncached(struct vm_area_struct *vma)
{
	vma->vm_page_prot = pgprot_noncached(vma->vm_page_prot);
}

void zxvmo_vma_prot_device(struct vm_area_struct *vma)
{
	vma->vm_page_prot = pgprot_device(vma->vm_page_prot);
}

void zxvmo_vma_prot_writecombine(struct vm_area_struct *vma)
{
	vma->vm_page_prot = pgprot_writecombine(vma->vm_page_prot);
}

struct file *zxvmo_get_file(struct file *file)
{
	return get_file(file);
}

void zxvmo_init_waitqueue_head(struct wait_queue_head *wq)
{
	init_waitqueue_head(wq);
}

void zxvmo_poll_wait(struct file *file, struct wait_queue_head *wq,
		     struct poll_table_struct *pt)
{
	poll_wait(file, wq, pt);
}

int zxvmo_shmem_mmap(struct file *shmem, struct file *target,
		     struct vm_area_struct *vma)
{
#ifdef ZXVMO_VFS_MMAP
	/*
	 * shmem sets a mapping up with .mmap_prepare since 6.17; vfs_mmap()
	 * applies it to the VMA (the inode is @target's: they share it). It
	 * resets vm_private_data, which the caller may have set already.
	 */
	void *private = vma->vm_private_data;
	int err = vfs_mmap(shmem, vma);

	vma->vm_private_data = private;
	return err;
#else
	return shmem->f_op->mmap(target, vma);
#endif
}

struct file *zxvmo_shmem_file_setup(const char *name, loff_t size)
{
	/* VM_NORESERVE: memory is committed, and charged, on first touch. */
#ifdef ZXVMO_SHMEM_VMA_FLAGS
	return shmem_file_setup(name, size, mk_vma_flags(VMA_NORESERVE_BIT));
#else
	return shmem_file_setup(name, size, VM_NORESERVE);
#endif
}

const struct path *zxvmo_file_path(const struct file *file)
{
	return &file->f_path;
}

unsigned long zxvmo_file_nrpages(struct file *file)
{
	return file->f_mapping->nrpages;
}

/*
 * Huge pfn entries. vmf_insert_pfn_pmd/pud exist only where the
 * architecture supports huge pfnmaps; elsewhere the fault falls back to
 * 4 KiB entries. Before 6.16 they take a pfn_t, built here
 * (__pfn_to_pfn_t is a static inline).
 */
unsigned int zxvmo_pmd_order(void)
{
#ifdef CONFIG_ARCH_SUPPORTS_PMD_PFNMAP
	return PMD_SHIFT - PAGE_SHIFT;
#else
	return 0;
#endif
}

unsigned int zxvmo_pud_order(void)
{
#ifdef CONFIG_ARCH_SUPPORTS_PUD_PFNMAP
	return PUD_SHIFT - PAGE_SHIFT;
#else
	return 0;
#endif
}

vm_fault_t zxvmo_insert_pfn_pmd(struct vm_fault *vmf, unsigned long pfn,
				bool write)
{
#ifdef CONFIG_ARCH_SUPPORTS_PMD_PFNMAP
#ifdef ZXVMO_PFN_IS_ULONG
	return vmf_insert_pfn_pmd(vmf, pfn, write);
#else
	return vmf_insert_pfn_pmd(vmf, __pfn_to_pfn_t(pfn, PFN_DEV), write);
#endif
#else
	return VM_FAULT_FALLBACK;
#endif
}

vm_fault_t zxvmo_insert_pfn_pud(struct vm_fault *vmf, unsigned long pfn,
				bool write)
{
#ifdef CONFIG_ARCH_SUPPORTS_PUD_PFNMAP
#ifdef ZXVMO_PFN_IS_ULONG
	return vmf_insert_pfn_pud(vmf, pfn, write);
#else
	return vmf_insert_pfn_pud(vmf, __pfn_to_pfn_t(pfn, PFN_DEV), write);
#endif
#else
	return VM_FAULT_FALLBACK;
#endif
}

unsigned long zxvmo_clear_user(void __user *to, unsigned long n)
{
	return clear_user(to, n);
}

struct mm_struct *zxvmo_current_mm(void)
{
	return current->mm;
}

/* arch_io_reserve_memtype_wc() is a static inline without x86 PAT. */
int zxvmo_reserve_wc(u64 start, u64 size)
{
	return arch_io_reserve_memtype_wc(start, size);
}

void zxvmo_free_wc(u64 start, u64 size)
{
	arch_io_free_memtype_wc(start, size);
}

/* debugfs functions are static inlines without CONFIG_DEBUG_FS. */
struct dentry *zxvmo_debugfs_counters(const char *dir, const char *const *names,
				      u64 *const *values, unsigned int n)
{
	struct dentry *d = debugfs_create_dir(dir, NULL);
	unsigned int i;

	for (i = 0; i < n; i++)
		debugfs_create_u64(names[i], 0444, d, values[i]);
	return d;
}

void zxvmo_debugfs_remove(struct dentry *d)
{
	debugfs_remove(d);
}
