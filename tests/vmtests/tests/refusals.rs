//! Errors a person can act on: every refusal names its status and the
//! check that refused (`ZXVMO_IOC_LAST_REFUSAL`, read by the crate into
//! [`Refusal`]), the raw errno stays the status's own, and the demo prints
//! the reason. (Lockdown's reason is checked in `lockdown.rs`, the one
//! test run under `lockdown=integrity`.)

use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};

use zxvmo::{
    sys, CachePolicy, Handle, HandleBased, Reason, Refusal, Resource, ResourceFlags, ResourceKind,
    Rights, Status, VmarFlags, Vmo, VmoOptions,
};
use zxvmo_vmtests::*;

const PAGE: u64 = 4096;

/// Asserts that `r` failed with `status` for `reason`, and that the
/// printed refusal carries the reason's words.
#[track_caller]
fn refused<T>(r: Result<T, Status>, status: Status, reason: Reason) -> Refusal {
    let Err(got) = r else {
        panic!("expected {status} ({reason:?}), the call succeeded")
    };
    assert_eq!(got, status, "{}", Refusal::of(got));
    let refusal = Refusal::of(got);
    assert_eq!(refusal.reason(), reason, "{refusal}");
    assert!(
        refusal.to_string().contains(reason.description()),
        "{refusal}"
    );
    refusal
}

/// The kernel's record for `fd`, read with a raw ioctl.
fn last_refusal(fd: impl AsFd) -> sys::ZxvmoRefusal {
    let mut out = sys::ZxvmoRefusal::default();
    raw_ioctl(
        fd.as_fd(),
        sys::ZXVMO_IOC_LAST_REFUSAL,
        &mut out as *mut _ as usize,
    )
    .expect("ZXVMO_IOC_LAST_REFUSAL");
    out
}

#[test]
fn ranges_are_refused_for_system_ram_a_busy_range_or_outside_the_resource() {
    require_vm();
    let root = root();
    let ram = system_ram_page();
    let r = refused(
        Resource::create(
            &root,
            ResourceKind::Mmio,
            ResourceFlags::empty(),
            ram,
            PAGE,
            "ram",
        ),
        Status::ACCESS_DENIED,
        Reason::SYSTEM_RAM,
    );
    assert!(r.to_string().contains("System RAM"), "{r}");

    let bar = edu_bar0();
    let held = bar_resource(&bar, ResourceFlags::EXCLUSIVE, "refusals-held");
    refused(
        Resource::create(
            &root,
            ResourceKind::Mmio,
            ResourceFlags::EXCLUSIVE,
            bar.base,
            PAGE,
            "second",
        ),
        Status::ACCESS_DENIED,
        Reason::BUSY,
    );
    let one_page = Resource::create(
        &held,
        ResourceKind::Mmio,
        ResourceFlags::empty(),
        bar.base,
        PAGE,
        "one-page",
    )
    .unwrap();
    refused(
        Vmo::create_physical(&one_page, bar.base + PAGE, PAGE as usize),
        Status::ACCESS_DENIED,
        Reason::OUTSIDE_RESOURCE,
    );
    refused(
        Resource::create(
            &one_page,
            ResourceKind::Mmio,
            ResourceFlags::empty(),
            bar.base,
            2 * PAGE,
            "wider",
        ),
        Status::ACCESS_DENIED,
        Reason::OUTSIDE_RESOURCE,
    );
}

#[test]
fn a_missing_right_is_named_for_ioctls_and_for_mmap() {
    require_vm();
    let v = Vmo::create(PAGE).unwrap();
    let ro = v
        .duplicate_handle(Rights::READ | Rights::MAP | Rights::DUPLICATE)
        .unwrap();
    let r = refused(ro.write(b"x", 0), Status::ACCESS_DENIED, Reason::RIGHTS);
    assert_eq!(r.right(), Rights::WRITE);
    assert!(r.to_string().contains("ZX_RIGHT_WRITE"), "{r}");
    // Through mmap(2): a writable mapping of a read-only handle.
    let r = refused(
        ro.map(
            0,
            PAGE as usize,
            VmarFlags::PERM_READ | VmarFlags::PERM_WRITE,
        ),
        Status::ACCESS_DENIED,
        Reason::RIGHTS,
    );
    assert_eq!(r.right(), Rights::WRITE);
    let unmappable = v.duplicate_handle(Rights::READ).unwrap();
    let r = refused(
        unmappable.map(0, PAGE as usize, VmarFlags::PERM_READ),
        Status::ACCESS_DENIED,
        Reason::RIGHTS,
    );
    assert_eq!(r.right(), Rights::MAP);
    let r = refused(
        unmappable.duplicate_handle(Rights::SAME_RIGHTS),
        Status::ACCESS_DENIED,
        Reason::RIGHTS,
    );
    assert_eq!(r.right(), Rights::DUPLICATE);
    // The record is the handle's: the original handle has none.
    assert_eq!(last_refusal(&v), sys::ZxvmoRefusal::default());
}

#[test]
fn state_refusals_say_revoked_replaced_in_use_or_not_resizable() {
    require_vm();
    let bar = edu_bar0();
    let res = bar_resource(&bar, ResourceFlags::empty(), "refusals-state");
    let phys = Vmo::create_physical(&res, bar.base, PAGE as usize).unwrap();
    let map = phys
        .map(
            0,
            PAGE as usize,
            VmarFlags::PERM_READ | VmarFlags::PERM_WRITE,
        )
        .unwrap();
    refused(
        phys.set_cache_policy(CachePolicy::WriteCombining),
        Status::BAD_STATE,
        Reason::IN_USE,
    );
    drop(map);
    res.revoke().unwrap();
    refused(
        Vmo::create_physical(&res, bar.base, PAGE as usize),
        Status::BAD_STATE,
        Reason::REVOKED,
    );

    let fixed = Vmo::create_with_opts(VmoOptions::NON_RESIZABLE, PAGE).unwrap();
    refused(
        fixed.set_size(2 * PAGE),
        Status::UNAVAILABLE,
        Reason::NOT_RESIZABLE,
    );

    // A replaced handle: a dup(2) of it shares its open file, so it is
    // replaced too.
    let v = Vmo::create(PAGE).unwrap();
    // SAFETY: dup of a descriptor this test owns; the new one is owned below.
    let old = unsafe { OwnedFd::from_raw_fd(libc::dup(v.as_raw_fd())) };
    let _new = v.replace_handle(Rights::SAME_RIGHTS).unwrap();
    let old = Vmo::from(Handle::from(old));
    refused(old.get_size(), Status::BAD_HANDLE, Reason::REPLACED);
}

#[test]
fn no_capability_is_the_reason_an_unprivileged_caller_gets() {
    require_vm();
    let code = as_nobody(|| {
        let Err(status) = Resource::root() else {
            return 10;
        };
        let refusal = Refusal::of(status);
        if status != Status::ACCESS_DENIED || refusal.reason() != Reason::NO_CAPABILITY {
            eprintln!("{refusal}");
            return 11;
        }
        if !refusal.to_string().contains("CAP_SYS_RAWIO") {
            return 12;
        }
        0
    });
    // 11 or 12: refused without the reason; 10: not refused at all.
    assert_eq!(code, 0);
}

#[test]
fn errors_without_a_reason_replace_the_record_and_errnos_stay_the_statuses() {
    require_vm();
    let root = root();
    let ram = system_ram_page();
    let attempt = |base: u64, size: u64| {
        let mut args = sys::ZxvmoResourceCreate {
            kind: sys::ZX_RSRC_KIND_MMIO,
            flags: 0,
            base,
            size,
            name: [0; sys::ZX_MAX_NAME_LEN],
        };
        raw_ioctl(
            root.as_fd(),
            sys::ZXVMO_IOC_RESOURCE_CREATE,
            &mut args as *mut _ as usize,
        )
    };
    // System RAM: the errno is ACCESS_DENIED's own (EACCES), never the
    // module's private code for the reason.
    assert_eq!(attempt(ram, PAGE), Err(libc::EACCES));
    let rec = last_refusal(&root);
    assert_eq!(
        (rec.status, rec.reason, rec.right),
        (sys::ZX_ERR_ACCESS_DENIED, sys::ZXVMO_REASON_SYSTEM_RAM, 0)
    );
    // A misaligned range has no reason beyond INVALID_ARGS, and the stale
    // System RAM reason must not survive it.
    assert_eq!(attempt(ram + 1, PAGE), Err(libc::EINVAL));
    let rec = last_refusal(&root);
    assert_eq!(
        (rec.status, rec.reason),
        (sys::ZX_ERR_INVALID_ARGS, sys::ZXVMO_REASON_NONE)
    );
    // A success leaves the record as it was, as errno.
    let v = Vmo::create(PAGE).unwrap();
    let _ = v.get_size().unwrap();
    assert_eq!(last_refusal(&v).status, sys::ZX_OK);
    assert_eq!(
        Refusal::of(Status::INVALID_ARGS).reason(),
        Reason::NONE,
        "the crate keeps no reason for an error that has none"
    );
}

#[test]
fn the_demo_names_system_ram_when_pointed_at_it() {
    require_vm();
    let edu = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../userspace/target/release/zxvmo-edu"
    );
    let ram = system_ram_page();
    let out = std::process::Command::new(edu)
        .args(["--phys", &format!("{ram:#x}")])
        .output()
        .expect("run zxvmo-edu (built by scripts/lib-build.sh)");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("ZX_ERR_ACCESS_DENIED") && stderr.contains("the range touches System RAM"),
        "the demo must print the status and the reason: {stderr}"
    );
}
