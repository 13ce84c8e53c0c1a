// SPDX-License-Identifier: GPL-2.0 OR MIT
// zircon-api: every function of <zxvmo/zircon.h>, called as a Zircon
// driver would, against the loaded module. Built with the system cc
// against the installed library (pkg-config zxvmo-zircon).
//
//   zircon-api paged               paged VMOs, handles, info, mapping
//   zircon-api physical BASE SIZE  also: the root resource, a child
//                                  resource and a physical VMO over
//                                  [BASE, BASE + SIZE) (needs root)
//
// Prints one line per check; exits 1 when any failed.
#include <zxvmo/zircon.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int failed;

#define CHECK(cond, ...)                                                   \
	do {                                                               \
		if (cond) {                                                \
			printf("ok   - " __VA_ARGS__);                     \
		} else {                                                   \
			printf("FAIL - " __VA_ARGS__);                     \
			failed = 1;                                        \
		}                                                          \
		printf("\n");                                              \
	} while (0)

#define EXPECT(call, want)                                                 \
	do {                                                               \
		zx_status_t got_ = (call);                                 \
		CHECK(got_ == (want), "%s -> %s (want %s)", #call,         \
		      zx_status_get_string(got_), zx_status_get_string(want)); \
	} while (0)

static void paged(void)
{
	zx_handle_t vmo = ZX_HANDLE_INVALID, child, dup, ro;
	uint64_t size = 0, csize = 0;
	char buf[16] = { 0 }, name[ZX_MAX_NAME_LEN] = { 0 };
	size_t actual = 0, avail = 0;
	zx_info_handle_basic_t basic;
	zx_info_vmo_t info;
	zx_signals_t seen = 0;
	zx_vaddr_t addr = 0;

	EXPECT(zx_vmo_create(5000, 0, &vmo), ZX_OK);
	CHECK(vmo != ZX_HANDLE_INVALID, "zx_vmo_create gives a valid handle");
	EXPECT(zx_vmo_get_size(vmo, &size), ZX_OK);
	CHECK(size == 8192, "size rounds up to the page: %llu", (unsigned long long)size);
	EXPECT(zx_vmo_create(4096, 0x80, &dup), ZX_ERR_INVALID_ARGS);

	EXPECT(zx_vmo_write(vmo, "zircon", 100, 6), ZX_OK);
	EXPECT(zx_vmo_read(vmo, buf, 100, 6), ZX_OK);
	CHECK(memcmp(buf, "zircon", 6) == 0, "zx_vmo_read returns what zx_vmo_write wrote");
	EXPECT(zx_vmo_read(vmo, buf, 8190, 16), ZX_ERR_OUT_OF_RANGE);

	EXPECT(zx_vmo_set_size(vmo, 3 * 4096), ZX_OK);
	EXPECT(zx_vmo_get_size(vmo, &size), ZX_OK);
	CHECK(size == 3 * 4096, "zx_vmo_set_size resizes");

	EXPECT(zx_object_set_property(vmo, ZX_PROP_NAME, "c-api", 6), ZX_OK);
	EXPECT(zx_object_get_property(vmo, ZX_PROP_NAME, name, sizeof(name)), ZX_OK);
	CHECK(strcmp(name, "c-api") == 0, "ZX_PROP_NAME round-trips: \"%s\"", name);
	EXPECT(zx_object_get_property(vmo, ZX_PROP_NAME, name, 4), ZX_ERR_BUFFER_TOO_SMALL);
	csize = 1234;
	EXPECT(zx_object_set_property(vmo, ZX_PROP_VMO_CONTENT_SIZE, &csize, sizeof(csize)), ZX_OK);
	csize = 0;
	EXPECT(zx_object_get_property(vmo, ZX_PROP_VMO_CONTENT_SIZE, &csize, sizeof(csize)), ZX_OK);
	CHECK(csize == 1234, "ZX_PROP_VMO_CONTENT_SIZE round-trips");

	EXPECT(zx_object_get_info(vmo, ZX_INFO_HANDLE_VALID, NULL, 0, NULL, NULL), ZX_OK);
	EXPECT(zx_object_get_info(vmo, ZX_INFO_HANDLE_BASIC, &basic, sizeof(basic), &actual, &avail),
	       ZX_OK);
	CHECK(basic.type == ZX_OBJ_TYPE_VMO && basic.rights == ZX_DEFAULT_VMO_RIGHTS &&
		      basic.koid != 0 && actual == 1 && avail == 1,
	      "ZX_INFO_HANDLE_BASIC: a VMO with the default rights");
	EXPECT(zx_object_get_info(vmo, ZX_INFO_VMO, &info, sizeof(info), &actual, &avail), ZX_OK);
	CHECK(info.koid == basic.koid && info.size_bytes == 3 * 4096 &&
		      ZX_INFO_VMO_TYPE(info.flags) == ZX_INFO_VMO_TYPE_PAGED &&
		      strcmp(info.name, "c-api") == 0,
	      "ZX_INFO_VMO: koid, size, type and name");
	EXPECT(zx_object_get_info(vmo, ZX_INFO_VMO, &info, 8, &actual, &avail),
	       ZX_ERR_BUFFER_TOO_SMALL);
	EXPECT(zx_object_get_info(vmo, ZX_INFO_RESOURCE, &info, sizeof(info), NULL, NULL),
	       ZX_ERR_WRONG_TYPE);

	EXPECT(zx_object_wait_one(vmo, ZX_VMO_ZERO_CHILDREN, 0, &seen), ZX_OK);
	CHECK(seen & ZX_VMO_ZERO_CHILDREN, "no children: ZX_VMO_ZERO_CHILDREN is active");
	EXPECT(zx_vmo_create_child(vmo, ZX_VMO_CHILD_SNAPSHOT, 0, 4096, &child), ZX_OK);
	EXPECT(zx_object_wait_one(vmo, ZX_VMO_ZERO_CHILDREN, 0, &seen), ZX_ERR_TIMED_OUT);
	EXPECT(zx_vmo_read(child, buf, 100, 6), ZX_OK);
	CHECK(memcmp(buf, "zircon", 6) == 0, "the snapshot child sees the parent's data");
	EXPECT(zx_handle_close(child), ZX_OK);
	EXPECT(zx_object_wait_one(vmo, ZX_VMO_ZERO_CHILDREN, ZX_TIME_INFINITE, &seen), ZX_OK);

	EXPECT(zx_vmo_op_range(vmo, ZX_VMO_OP_COMMIT, 0, 4096, NULL, 0), ZX_OK);
	EXPECT(zx_vmo_op_range(vmo, ZX_VMO_OP_ZERO, 0, 4096, NULL, 0), ZX_OK);
	EXPECT(zx_vmo_read(vmo, buf, 100, 6), ZX_OK);
	CHECK(buf[0] == 0, "ZX_VMO_OP_ZERO zeroes");
	EXPECT(zx_vmo_set_cache_policy(vmo, ZX_CACHE_POLICY_CACHED), ZX_OK);

	EXPECT(zx_vmar_map(zx_vmar_root_self(), ZX_VM_PERM_READ | ZX_VM_PERM_WRITE, 0, vmo, 0,
			   4096, &addr),
	       ZX_OK);
	memcpy((void *)addr, "mapped", 6);
	EXPECT(zx_vmo_read(vmo, buf, 0, 6), ZX_OK);
	CHECK(memcmp(buf, "mapped", 6) == 0, "a write through the mapping is in the VMO");
	EXPECT(zx_vmar_unmap(zx_vmar_root_self(), addr, 4096), ZX_OK);
	EXPECT(zx_vmar_map(vmo, ZX_VM_PERM_READ, 0, vmo, 0, 4096, &addr), ZX_ERR_WRONG_TYPE);

	EXPECT(zx_handle_duplicate(vmo, ZX_RIGHT_READ | ZX_RIGHT_MAP, &ro), ZX_OK);
	EXPECT(zx_vmo_write(ro, "x", 0, 1), ZX_ERR_ACCESS_DENIED);
	CHECK(strstr(zxvmo_refusal_reason(ZX_ERR_ACCESS_DENIED), "lacks a right") != NULL,
	      "zxvmo_refusal_reason says a right is missing");
	EXPECT(zx_vmar_map(zx_vmar_root_self(), ZX_VM_PERM_READ | ZX_VM_PERM_WRITE, 0, ro, 0, 4096,
			   &addr),
	       ZX_ERR_ACCESS_DENIED);
	EXPECT(zx_handle_replace(ro, ZX_RIGHT_READ, &dup), ZX_OK);
	EXPECT(zx_vmo_get_size(ro, &size), ZX_ERR_BAD_HANDLE);
	EXPECT(zx_object_get_info(dup, ZX_INFO_HANDLE_BASIC, &basic, sizeof(basic), NULL, NULL),
	       ZX_OK);
	CHECK(basic.rights == ZX_RIGHT_READ, "zx_handle_replace leaves exactly the rights asked");
	EXPECT(zx_handle_duplicate(dup, ZX_RIGHT_READ, &ro), ZX_ERR_ACCESS_DENIED);
	EXPECT(zx_handle_close(dup), ZX_OK);
	EXPECT(zx_handle_close(vmo), ZX_OK);
	EXPECT(zx_handle_close(ZX_HANDLE_INVALID), ZX_OK);
	EXPECT(zx_vmo_get_size(vmo, &size), ZX_ERR_BAD_HANDLE);
	CHECK(strcmp(zx_status_get_string(-12345), "(UNKNOWN)") == 0,
	      "zx_status_get_string names unknown statuses (UNKNOWN)");
}

static void physical(uint64_t base, uint64_t len)
{
	zx_handle_t root, rsrc, vmo;
	zx_info_resource_t ri;
	zx_vaddr_t addr = 0;

	EXPECT(zxvmo_root_resource(&root), ZX_OK);
	EXPECT(zx_resource_create(root, ZX_RSRC_KIND_MMIO, base, len, "c-api-bar", 9, &rsrc),
	       ZX_OK);
	EXPECT(zx_object_get_info(rsrc, ZX_INFO_RESOURCE, &ri, sizeof(ri), NULL, NULL), ZX_OK);
	CHECK(ri.kind == ZX_RSRC_KIND_MMIO && ri.base == base && ri.size == len &&
		      strcmp(ri.name, "c-api-bar") == 0,
	      "ZX_INFO_RESOURCE: kind, base, size and name");
	EXPECT(zx_vmo_create_physical(rsrc, base, 4096, &vmo), ZX_OK);
	EXPECT(zx_vmo_create_physical(rsrc, base + len, 4096, &vmo), ZX_ERR_ACCESS_DENIED);
	CHECK(strcmp(zxvmo_refusal_reason(ZX_ERR_ACCESS_DENIED),
		     "the range is not inside the resource") == 0,
	      "zxvmo_refusal_reason says the range is outside the resource");
	EXPECT(zx_vmo_set_cache_policy(vmo, ZX_CACHE_POLICY_UNCACHED_DEVICE), ZX_OK);
	EXPECT(zx_vmar_map(zx_vmar_root_self(), ZX_VM_PERM_READ | ZX_VM_PERM_WRITE, 0, vmo, 0, 4096,
			   &addr),
	       ZX_OK);
	// QEMU's edu device: register 0 reads 0x010000ed (version 1.0, "ed").
	CHECK(*(volatile uint32_t *)addr == 0x010000ed, "edu's identification register reads 0x%x",
	      *(volatile uint32_t *)addr);
	EXPECT(zx_vmar_unmap(zx_vmar_root_self(), addr, 4096), ZX_OK);
	EXPECT(zx_vmo_write(vmo, "x", 0, 1), ZX_ERR_NOT_SUPPORTED);
	EXPECT(zx_handle_close(vmo), ZX_OK);
	EXPECT(zx_handle_close(rsrc), ZX_OK);
	EXPECT(zx_handle_close(root), ZX_OK);
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "paged") == 0) {
		paged();
	} else if (argc == 4 && strcmp(argv[1], "physical") == 0) {
		paged();
		physical(strtoull(argv[2], NULL, 0), strtoull(argv[3], NULL, 0));
	} else {
		fprintf(stderr, "usage: zircon-api paged | physical BASE SIZE\n");
		return 2;
	}
	printf("zircon-api: %s\n", failed ? "FAILED" : "all passed");
	return failed;
}
