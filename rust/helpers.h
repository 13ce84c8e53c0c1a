/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Declarations of rust/helpers.c, read by bindgen together with the kernel
 * headers whose functions the 6.12 `kernel::bindings` crate lacks.
 */
#ifndef ZXVMO_HELPERS_H
#define ZXVMO_HELPERS_H

#include <linux/types.h>

/* The `mode` module parameter: permissions of the /dev/zxvmo node. */
extern unsigned short zxvmo_param_mode;

struct vm_area_struct;

/* One past the highest physical address the CPU can form. */
u64 zxvmo_phys_addr_limit(void);

/* vma->vm_flags, and vm_flags_mod() (a static inline). */
unsigned long zxvmo_vma_flags(const struct vm_area_struct *vma);
void zxvmo_vma_mod_flags(struct vm_area_struct *vma, unsigned long set,
			 unsigned long clear);

/* vma->vm_page_prot through the pgprot_*() macros. */
void zxvmo_vma_prot_noncached(struct vm_area_struct *vma);
void zxvmo_vma_prot_device(struct vm_area_struct *vma);
void zxvmo_vma_prot_writecombine(struct vm_area_struct *vma);

struct file;
struct poll_table_struct;
struct wait_queue_head;

/* get_file(): takes a reference to @file and returns it. */
struct file *zxvmo_get_file(struct file *file);

/* init_waitqueue_head() (a macro with its own lock class key). */
void zxvmo_init_waitqueue_head(struct wait_queue_head *wq);

/* poll_wait() (a static inline). */
void zxvmo_poll_wait(struct file *file, struct wait_queue_head *wq,
		     struct poll_table_struct *pt);

/* @shmem's own mmap operation, applied to @target (@shmem or a view of its
 * inode) and @vma. */
int zxvmo_shmem_mmap(struct file *shmem, struct file *target,
		     struct vm_area_struct *vma);

/* A new shmem file of @size bytes whose memory is committed on first touch
 * (VM_NORESERVE). */
struct file *zxvmo_shmem_file_setup(const char *name, loff_t size);

/* @file's path (a member of an anonymous union since 6.18). */
const struct path *zxvmo_file_path(const struct file *file);

/* Pages of @file's page cache: the memory a shmem file has committed. */
unsigned long zxvmo_file_nrpages(struct file *file);

struct vm_fault;
struct mm_struct;
struct dentry;

/* Orders of PMD and PUD pfn entries; 0 where the architecture maps pfns
 * only with PTEs. */
unsigned int zxvmo_pmd_order(void);
unsigned int zxvmo_pud_order(void);

/* vmf_insert_pfn_pmd()/_pud() with a plain pfn; VM_FAULT_FALLBACK where
 * huge pfnmaps are not supported. */
unsigned int zxvmo_insert_pfn_pmd(struct vm_fault *vmf, unsigned long pfn,
				  bool write);
unsigned int zxvmo_insert_pfn_pud(struct vm_fault *vmf, unsigned long pfn,
				  bool write);

/* clear_user() (a static inline): zeroes @n bytes of user memory at @to;
 * returns how many could not be. */
unsigned long zxvmo_clear_user(void __user *to, unsigned long n);

/* current->mm. */
struct mm_struct *zxvmo_current_mm(void);

/* arch_io_reserve_memtype_wc() and arch_io_free_memtype_wc(). */
int zxvmo_reserve_wc(u64 start, u64 size);
void zxvmo_free_wc(u64 start, u64 size);

/* A debugfs directory @dir with one read-only u64 file per name. */
struct dentry *zxvmo_debugfs_counters(const char *dir, const char *const *names,
				      u64 *const *values, unsigned int n);
/* debugfs_remove(). */
void zxvmo_debugfs_remove(struct dentry *d);

#endif
