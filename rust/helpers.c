// SPDX-License-Identifier: GPL-2.0
/*
 * The parts of zxvmo that Rust cannot express through bindgen: C macros and
 * `static inline` functions, each behind a real function, and the module
 * parameters (module_param() is a macro that emits section data). Nothing
 * here makes a decision; the logic lives in the Rust crate.
 */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/poll.h>
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
	return shmem->f_op->mmap(target, vma);
}

unsigned long zxvmo_file_nrpages(struct file *file)
{
	return file->f_mapping->nrpages;
}
