//! Privilege: what a process without capabilities can and cannot do.

use std::os::fd::AsFd;

use zxvmo::{
    Handle, HandleBased, Resource, ResourceFlags, ResourceKind, Rights, Status, VmarFlags, Vmo,
    VmoChildOptions,
};
use zxvmo_vmtests::*;

const PAGE: u64 = 4096;

/// Runs `f` as nobody with `/dev/zxvmo` opened to everyone for the
/// duration (so paged VMOs are possible), returning its exit code.
fn unprivileged(f: impl FnOnce() -> i32) -> i32 {
    let md = std::fs::metadata("/dev/zxvmo").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions("/dev/zxvmo", std::fs::Permissions::from_mode(0o666)).unwrap();
    let code = as_nobody(f);
    std::fs::set_permissions("/dev/zxvmo", md.permissions()).unwrap();
    code
}

#[test]
fn without_a_resource_nothing_physical_is_reachable() {
    require_vm();
    let bar = edu_bar0();
    let ram = system_ram_page();
    let code = unprivileged(|| {
        // The device opens (mode 0666 here), paged VMOs work ...
        let Ok(v) = Vmo::create(PAGE) else { return 10 };
        // ... but the root resource is refused without CAP_SYS_RAWIO.
        if Resource::root().err() != Some(Status::ACCESS_DENIED) {
            return 11;
        }
        // A VMO handle is not a resource, whatever it is called.
        let fake = Resource::from(Handle::from(v.as_fd().try_clone_to_owned().unwrap()));
        for addr in [bar.base, ram, 0] {
            if Vmo::create_physical(&fake, addr, PAGE as usize).err() != Some(Status::WRONG_TYPE) {
                return 12;
            }
            let r = Resource::create(
                &fake,
                ResourceKind::Mmio,
                ResourceFlags::empty(),
                addr,
                PAGE,
                "x",
            );
            if r.err() != Some(Status::WRONG_TYPE) {
                return 13;
            }
        }
        0
    });
    assert_eq!(code, 0);
}

#[test]
fn rights_cannot_be_widened_and_mappings_stay_within_the_grant() {
    require_vm();
    let v = Vmo::create(4 * PAGE).unwrap();
    let ro = v
        .duplicate_handle(Rights::READ | Rights::MAP | Rights::DUPLICATE)
        .unwrap();
    let code = unprivileged(move || {
        for widen in [
            Rights::WRITE,
            Rights::EXECUTE,
            Rights::SET_PROPERTY,
            Rights::all(),
        ] {
            if ro.duplicate_handle(Rights::READ | widen).err() != Some(Status::INVALID_ARGS) {
                return 20;
            }
        }
        if ro
            .map(
                0,
                PAGE as usize,
                VmarFlags::PERM_READ | VmarFlags::PERM_WRITE,
            )
            .err()
            != Some(Status::ACCESS_DENIED)
        {
            return 21;
        }
        if ro.map(0, 5 * PAGE as usize, VmarFlags::PERM_READ).err() != Some(Status::OUT_OF_RANGE) {
            return 22;
        }
        // A child gets no more rights than the handle it came from, plus
        // the properties (Zircon's rule, so the child can be named).
        match ro.create_child(
            VmoChildOptions::SNAPSHOT | VmoChildOptions::NO_WRITE,
            0,
            PAGE,
        ) {
            Ok(c)
                if c.rights().ok()
                    == Some(
                        Rights::READ
                            | Rights::MAP
                            | Rights::DUPLICATE
                            | Rights::GET_PROPERTY
                            | Rights::SET_PROPERTY,
                    ) => {}
            _ => return 23,
        }
        let Ok(m) = ro.map(0, PAGE as usize, VmarFlags::PERM_READ) else {
            return 24;
        };
        // SAFETY: Asks to make the live mapping writable; refused.
        let r = unsafe { libc::mprotect(m.as_ptr().cast(), PAGE as usize, libc::PROT_WRITE) };
        if r != -1 {
            return 25;
        }
        0
    });
    assert_eq!(code, 0);
}

#[test]
fn no_combination_of_arguments_reaches_system_ram_from_a_device_resource() {
    let bar = edu_bar0();
    let res = Resource::create(
        &root(),
        ResourceKind::Mmio,
        ResourceFlags::empty(),
        bar.base,
        bar.size,
        "edu",
    )
    .unwrap();
    let ram = system_ram_page();
    let code = unprivileged(move || {
        let sizes = [
            PAGE,
            2 * PAGE,
            bar.size,
            bar.size + PAGE,
            1 << 30,
            !(PAGE - 1),
        ];
        let bases = [
            ram,
            0,
            PAGE,
            bar.base - PAGE,
            bar.base + bar.size,
            bar.base.wrapping_sub(ram),
            !(PAGE - 1),
        ];
        for &b in &bases {
            for &s in &sizes {
                if Vmo::create_physical(&res, b, s as usize).is_ok() {
                    return 30;
                }
                let r =
                    Resource::create(&res, ResourceKind::Mmio, ResourceFlags::empty(), b, s, "x");
                if r.is_ok() {
                    return 31;
                }
            }
        }
        // Inside the grant, mappings cannot leave the VMO either.
        let Ok(v) = Vmo::create_physical(&res, bar.base, PAGE as usize) else {
            return 32;
        };
        for (off, len) in [(PAGE, PAGE), (0, 2 * PAGE), (!(PAGE - 1), PAGE)] {
            if v.map(off, len as usize, VmarFlags::PERM_READ).is_ok() {
                return 33;
            }
        }
        if v.create_child(VmoChildOptions::SLICE, 0, 2 * PAGE).is_ok() {
            return 34;
        }
        0
    });
    assert_eq!(code, 0);
}
