//! No silent sharing with kernel drivers: while a zxvmo resource covers a
//! range, a driver's `request_mem_region` over it fails.
//!
//! `tests/claim-probe/zxvmo_claim_probe.ko` stands for the driver: loading
//! it with `base=` and `size=` claims that range as a driver's probe would,
//! and the load fails with `EBUSY` when the claim does.

use std::ffi::CString;
use std::os::fd::AsRawFd;

use zxvmo::{Resource, ResourceFlags, ResourceKind, Vmo};
use zxvmo_vmtests::*;

const PAGE: u64 = 4096;

/// The probe module: `$ZXVMO_CLAIM_PROBE` (tests/vm/suite.sh sets it to
/// the one built beside the zxvmo.ko under test), else this tree's.
fn probe() -> String {
    std::env::var("ZXVMO_CLAIM_PROBE").unwrap_or_else(|_| {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../claim-probe/zxvmo_claim_probe.ko"
        )
        .to_owned()
    })
}

/// Whether a driver could claim `[base, base + size)` now: loads the probe
/// with its `base=` and `size=` (`finit_module`, as insmod does) and, when
/// that succeeds, unloads it (`delete_module`, as rmmod does). From this
/// process, because each exec of insmod or rmmod costs about half a second
/// under TCG, and this runs 18 times.
fn driver_can_claim(base: u64, size: u64) -> bool {
    let ko = std::fs::File::open(probe()).expect("the claim probe module");
    let params = CString::new(format!("base={base:#x} size={size:#x}")).unwrap();
    // SAFETY: `finit_module(fd, params, flags)` reads the module from the
    // open file and the NUL-terminated parameters; both outlive the call.
    let r = unsafe { libc::syscall(libc::SYS_finit_module, ko.as_raw_fd(), params.as_ptr(), 0) };
    if r == 0 {
        // SAFETY: `delete_module(name, flags)` reads the NUL-terminated
        // name, a literal.
        let r = unsafe {
            libc::syscall(
                libc::SYS_delete_module,
                c"zxvmo_claim_probe".as_ptr(),
                libc::O_NONBLOCK,
            )
        };
        assert_eq!(
            r,
            0,
            "unloading the probe: {}",
            std::io::Error::last_os_error()
        );
        return true;
    }
    let err = std::io::Error::last_os_error();
    assert_eq!(
        err.raw_os_error(),
        Some(libc::EBUSY),
        "the probe failed for another reason: {err}"
    );
    false
}

/// Lines of `/proc/iomem` that are zxvmo's shared claims.
fn shared_claims() -> Vec<String> {
    std::fs::read_to_string("/proc/iomem")
        .unwrap()
        .lines()
        .filter(|l| l.ends_with(": zxvmo:shared"))
        .map(|l| l.trim().to_owned())
        .collect()
}

fn shared(base: u64, size: u64, name: &str) -> Resource {
    Resource::create(
        &root(),
        ResourceKind::Mmio,
        ResourceFlags::empty(),
        base,
        size,
        name,
    )
    .unwrap()
}

#[test]
fn a_driver_cannot_claim_what_a_shared_or_exclusive_resource_covers() {
    require_vm();
    let (bar, _) = ivshmem_bar2_sized(64 << 20);
    let b = bar.base;
    assert!(driver_can_claim(b, 16 * PAGE), "the range starts free");
    assert!(shared_claims().is_empty());

    let r = shared(b, 4 * PAGE, "shared-a");
    assert_eq!(shared_claims().len(), 1, "{:?}", shared_claims());
    assert!(!driver_can_claim(b, 4 * PAGE));
    assert!(!driver_can_claim(b + PAGE, PAGE), "a part of it");
    assert!(!driver_can_claim(b + 3 * PAGE, 4 * PAGE), "an overlap");
    assert!(driver_can_claim(b + 4 * PAGE, 4 * PAGE), "next to it");
    // Children, slices and VMOs are covered by the claim: nothing new.
    let child = Resource::create(
        &r,
        ResourceKind::Mmio,
        ResourceFlags::empty(),
        b + PAGE,
        PAGE,
        "child",
    )
    .unwrap();
    let v = Vmo::create_physical(&child, b + PAGE, PAGE as usize).unwrap();
    assert_eq!(shared_claims().len(), 1);
    drop((r, child));
    assert!(!driver_can_claim(b, 4 * PAGE), "the VMO keeps its resource");
    drop(v);
    assert!(
        driver_can_claim(b, 4 * PAGE),
        "released with the last object"
    );
    assert!(shared_claims().is_empty());

    // Exclusive resources claim their range themselves.
    let x = Resource::create(
        &root(),
        ResourceKind::Mmio,
        ResourceFlags::EXCLUSIVE,
        b,
        4 * PAGE,
        "exclusive-a",
    )
    .unwrap();
    assert!(!driver_can_claim(b + 2 * PAGE, PAGE));
    drop(x);
    assert!(driver_can_claim(b, 4 * PAGE));
}

#[test]
fn overlapping_shared_resources_hold_the_union_until_the_last_goes() {
    require_vm();
    let (bar, _) = ivshmem_bar2_sized(64 << 20);
    let b = bar.base + (1 << 20);
    let r1 = shared(b, 2 * PAGE, "union-1");
    let r2 = shared(b + PAGE, 2 * PAGE, "union-2");
    let r3 = shared(b, 3 * PAGE, "union-3");
    // [b, b+2) from r1, [b+2, b+3) added for r2; r3 adds nothing.
    assert_eq!(shared_claims().len(), 2, "{:?}", shared_claims());
    assert!(!driver_can_claim(b, 3 * PAGE));
    // An exclusive resource cannot take a shared range.
    assert!(Resource::create(
        &root(),
        ResourceKind::Mmio,
        ResourceFlags::EXCLUSIVE,
        b + 2 * PAGE,
        PAGE,
        "grab"
    )
    .is_err());
    drop((r1, r3));
    // r2 still covers [b+1, b+3); the segment [b, b+2) it overlaps stays
    // whole (a claim never covers less than the live resources).
    assert!(!driver_can_claim(b + PAGE, PAGE));
    assert!(!driver_can_claim(b + 2 * PAGE, PAGE));
    drop(r2);
    assert!(shared_claims().is_empty());
    assert!(driver_can_claim(b, 3 * PAGE));
}

#[test]
fn revoking_a_shared_resource_releases_its_claims_at_once() {
    require_vm();
    let (bar, _) = ivshmem_bar2_sized(64 << 20);
    let b = bar.base + (2 << 20);
    let r = shared(b, 8 * PAGE, "revoked-shared");
    let keep = shared(b + 8 * PAGE, 4 * PAGE, "still-shared");
    let v = Vmo::create_physical(&r, b, PAGE as usize).unwrap();
    assert!(!driver_can_claim(b, PAGE));
    r.revoke().unwrap();
    // `r`'s claim goes at once, while its handle and VMO live; `keep`'s
    // stays.
    assert!(driver_can_claim(b, 8 * PAGE));
    assert!(!driver_can_claim(b + 8 * PAGE, PAGE));
    drop(keep);
    assert!(driver_can_claim(b, 12 * PAGE));
    drop((r, v));
    assert!(shared_claims().is_empty());
}
