//! The C header: generated from the crate, checked in, and agreeing with
//! Linux's own `_IO*` macros and a C compiler's struct layout.

use std::process::Command;

const CHECKED_IN: &str = include_str!("../include/zxvmo.h");

#[test]
fn checked_in_header_is_what_the_generator_prints() {
    let out = Command::new(env!("CARGO_BIN_EXE_zxvmo-header"))
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(
        String::from_utf8(out.stdout).unwrap() == CHECKED_IN,
        "include/zxvmo.h is stale: cargo run -p zxvmo-abi --bin zxvmo-header > zxvmo-abi/include/zxvmo.h"
    );
}

#[test]
fn header_compiles_and_matches_linux_ioctl_macros() {
    let dir = std::env::temp_dir().join(format!("zxvmo-header-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join("check.c");
    std::fs::write(
        &src,
        r#"#include <linux/ioctl.h>
#include "zxvmo.h"
#define SAME(a, b) _Static_assert((a) == (b), #a)
SAME(ZXVMO_IOC_VERSION, _IOR('Z', 0x40, struct zxvmo_version));
SAME(ZXVMO_IOC_ROOT_RESOURCE, _IO('Z', 0x41));
SAME(ZXVMO_IOC_RESOURCE_CREATE, _IOW('Z', 0x42, struct zxvmo_resource_create));
SAME(ZXVMO_IOC_VMO_CREATE, _IOW('Z', 0x43, struct zxvmo_vmo_create));
SAME(ZXVMO_IOC_VMO_CREATE_PHYSICAL, _IOW('Z', 0x44, struct zxvmo_vmo_create_physical));
SAME(ZXVMO_IOC_VMO_READ, _IOW('Z', 0x45, struct zxvmo_vmo_rw));
SAME(ZXVMO_IOC_VMO_WRITE, _IOW('Z', 0x46, struct zxvmo_vmo_rw));
SAME(ZXVMO_IOC_VMO_GET_SIZE, _IOR('Z', 0x47, uint64_t));
SAME(ZXVMO_IOC_VMO_SET_SIZE, _IOW('Z', 0x48, uint64_t));
SAME(ZXVMO_IOC_GET_PROPERTY, _IOW('Z', 0x49, struct zxvmo_property));
SAME(ZXVMO_IOC_SET_PROPERTY, _IOW('Z', 0x4a, struct zxvmo_property));
SAME(ZXVMO_IOC_VMO_SET_CACHE_POLICY, _IOW('Z', 0x4b, uint32_t));
SAME(ZXVMO_IOC_VMO_CREATE_CHILD, _IOW('Z', 0x4c, struct zxvmo_vmo_create_child));
SAME(ZXVMO_IOC_HANDLE_DUPLICATE, _IOW('Z', 0x4d, uint32_t));
SAME(ZXVMO_IOC_HANDLE_REPLACE, _IOW('Z', 0x4e, uint32_t));
SAME(ZXVMO_IOC_GET_INFO, _IOR('Z', 0x4f, struct zxvmo_info));
SAME(ZXVMO_IOC_WAIT_ONE, _IOWR('Z', 0x50, struct zxvmo_wait_one));
int main(void) { return 0; }
"#,
    )
    .unwrap();
    let include = concat!(env!("CARGO_MANIFEST_DIR"), "/include");
    let out = Command::new("cc")
        .args([
            "-std=c11",
            "-Wall",
            "-Werror",
            "-fsyntax-only",
            "-I",
            include,
        ])
        .arg(&src)
        .output()
        .expect("run cc");
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(
        out.status.success(),
        "the header does not agree with C:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
