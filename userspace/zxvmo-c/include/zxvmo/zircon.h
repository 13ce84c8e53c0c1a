/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/* <zxvmo/zircon.h>: Zircon's C API for VMOs and resources, over zxvmo.
 *
 * A Zircon C or C++ driver's VMO code builds against this header by
 * replacing <zircon/syscalls.h>, <zircon/types.h> and <zircon/status.h>
 * with it, and links with `pkg-config --libs zxvmo-zircon`.
 *
 * Every number (statuses, rights, options, properties, cache policies,
 * VMO ops) comes from <zxvmo.h>, which is generated from the one ABI source
 * (userspace/zxvmo-abi/src/abi.rs). The functions are in libzxvmo_zircon,
 * built from the zxvmo Rust crate (userspace/zxvmo-c).
 *
 * Where Linux differs:
 *   - A handle is a file descriptor. ZX_HANDLE_INVALID is 0, and no call
 *     returns descriptor 0 as a handle. zx_handle_close() closes it; a
 *     handle crosses processes as a descriptor does (SCM_RIGHTS, fork).
 *   - zx_vmar_root_self() names the process's address space; zx_vmar_map()
 *     maps with mmap(2) and zx_vmar_unmap() unmaps with munmap(2). Only the
 *     ZX_VM_PERM_* options and ZX_VM_SPECIFIC (at vmar_offset, which is an
 *     address: the root VMAR starts at 0) are supported.
 *   - zxvmo_root_resource() opens the root resource (CAP_SYS_RAWIO; refused
 *     under kernel lockdown), where Zircon hands one to the driver.
 */
#ifndef ZXVMO_ZIRCON_H
#define ZXVMO_ZIRCON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <zxvmo.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef int32_t zx_status_t;
typedef uint32_t zx_handle_t;
typedef uint32_t zx_rights_t;
typedef uint32_t zx_signals_t;
typedef uint32_t zx_obj_type_t;
typedef uint32_t zx_vm_option_t;
typedef uint32_t zx_object_info_topic_t;
typedef uint64_t zx_koid_t;
typedef uint64_t zx_paddr_t;
typedef uintptr_t zx_vaddr_t;
typedef int64_t zx_time_t;

#define ZX_HANDLE_INVALID ((zx_handle_t)0)
#define ZX_TIME_INFINITE INT64_MAX
#define ZX_TIME_INFINITE_PAST INT64_MIN

#define ZX_VM_PERM_READ ((zx_vm_option_t)(1u << 0))
#define ZX_VM_PERM_WRITE ((zx_vm_option_t)(1u << 1))
#define ZX_VM_PERM_EXECUTE ((zx_vm_option_t)(1u << 2))
#define ZX_VM_SPECIFIC ((zx_vm_option_t)(1u << 4))

#define ZX_INFO_HANDLE_VALID ((zx_object_info_topic_t)1u)
#define ZX_INFO_HANDLE_BASIC ((zx_object_info_topic_t)2u)
#define ZX_INFO_RESOURCE ((zx_object_info_topic_t)18u)
#define ZX_INFO_VMO ((zx_object_info_topic_t)23u)

#define ZX_OBJ_PROP_NONE 0u
#define ZX_OBJ_PROP_WAITABLE 1u
#define ZX_INFO_VMO_TYPE_PHYSICAL 0u
#define ZX_INFO_VMO_TYPE(flags) ((flags) & 1u)
#define ZX_INFO_VMO_VIA_HANDLE (1u << 3)

/* ZX_INFO_HANDLE_BASIC: Zircon's layout. */
typedef struct zx_info_handle_basic {
	zx_koid_t koid;
	zx_rights_t rights;
	zx_obj_type_t type;
	zx_koid_t related_koid;
	uint32_t props;
	uint8_t padding1[4];
} zx_info_handle_basic_t;

/* ZX_INFO_VMO: Zircon's layout. */
typedef struct zx_info_vmo {
	zx_koid_t koid;
	char name[ZX_MAX_NAME_LEN];
	uint64_t size_bytes;
	zx_koid_t parent_koid;
	size_t num_children;
	size_t num_mappings;
	size_t share_count;
	uint32_t flags;
	uint8_t padding1[4];
	uint64_t committed_bytes;
	zx_rights_t handle_rights;
	uint32_t cache_policy;
} zx_info_vmo_t;

/* ZX_INFO_RESOURCE: Zircon's layout. */
typedef struct zx_info_resource {
	uint32_t kind;
	uint32_t flags;
	uint64_t base;
	size_t size;
	char name[ZX_MAX_NAME_LEN];
} zx_info_resource_t;

/* Objects. */
zx_status_t zx_vmo_create(uint64_t size, uint32_t options, zx_handle_t *out);
zx_status_t zx_vmo_create_physical(zx_handle_t resource, zx_paddr_t paddr, size_t size,
				   zx_handle_t *out);
zx_status_t zx_vmo_create_child(zx_handle_t handle, uint32_t options, uint64_t offset,
				uint64_t size, zx_handle_t *out);
zx_status_t zx_resource_create(zx_handle_t parent_rsrc, uint32_t options, uint64_t base,
			       size_t size, const char *name, size_t name_size,
			       zx_handle_t *resource_out);
/* zxvmo's own: the root resource, from /dev/zxvmo. */
zx_status_t zxvmo_root_resource(zx_handle_t *out);

/* VMO contents and properties. */
zx_status_t zx_vmo_read(zx_handle_t handle, void *buffer, uint64_t offset, size_t buffer_size);
zx_status_t zx_vmo_write(zx_handle_t handle, const void *buffer, uint64_t offset,
			 size_t buffer_size);
zx_status_t zx_vmo_get_size(zx_handle_t handle, uint64_t *size);
zx_status_t zx_vmo_set_size(zx_handle_t handle, uint64_t size);
zx_status_t zx_vmo_op_range(zx_handle_t handle, uint32_t op, uint64_t offset, uint64_t size,
			    void *buffer, size_t buffer_size);
zx_status_t zx_vmo_set_cache_policy(zx_handle_t handle, uint32_t cache_policy);

/* Handles and objects. */
zx_status_t zx_handle_duplicate(zx_handle_t handle, zx_rights_t rights, zx_handle_t *out);
zx_status_t zx_handle_replace(zx_handle_t handle, zx_rights_t rights, zx_handle_t *out);
zx_status_t zx_handle_close(zx_handle_t handle);
zx_status_t zx_object_get_info(zx_handle_t handle, uint32_t topic, void *buffer,
			       size_t buffer_size, size_t *actual, size_t *avail);
zx_status_t zx_object_get_property(zx_handle_t handle, uint32_t property, void *value,
				   size_t value_size);
zx_status_t zx_object_set_property(zx_handle_t handle, uint32_t property, const void *value,
				   size_t value_size);
zx_status_t zx_object_wait_one(zx_handle_t handle, zx_signals_t signals, zx_time_t deadline,
			       zx_signals_t *observed);

/* Mapping. */
zx_handle_t zx_vmar_root_self(void);
zx_status_t zx_vmar_map(zx_handle_t vmar, zx_vm_option_t options, size_t vmar_offset,
			zx_handle_t vmo, uint64_t vmo_offset, size_t len, zx_vaddr_t *mapped_addr);
zx_status_t zx_vmar_unmap(zx_handle_t vmar, zx_vaddr_t addr, size_t len);

/* "ZX_OK", "ZX_ERR_ACCESS_DENIED", ...; "(UNKNOWN)" for other values. */
const char *zx_status_get_string(zx_status_t status);

/* zxvmo's addition: why the calling thread's last call that returned
 * `status` was refused ("the handle lacks a right the call needs", "the
 * range touches System RAM", ...); "" when the kernel gave no reason beyond
 * the status. Static; never NULL. */
const char *zxvmo_refusal_reason(zx_status_t status);

#ifdef __cplusplus
}
#endif

#endif /* ZXVMO_ZIRCON_H */
