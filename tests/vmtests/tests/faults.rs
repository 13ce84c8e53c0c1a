//! Fault injection: every zxvmo call, with each of its allocations failing
//! in turn, fails with `NO_MEMORY` (or recovers), leaves no descriptor or
//! file behind, and nothing half-made stays visible. kmemleak, checked by
//! the VM harness after the run, must find nothing.

use zxvmo::{
    HandleBased, Resource, ResourceFlags, ResourceKind, Rights, Status, VmarFlags, Vmo,
    VmoChildOptions, VmoOp, VmoOptions,
};
use zxvmo_vmtests::*;

const PAGE: u64 = 4096;

/// Prints the count in a form scripts/hostile.sh adds up.
fn report(what: &str, n: usize) {
    println!("ZXVMO-FAULTS {n} {what}");
    assert!(n > 0, "{what}: no allocation failure was injected");
}

#[test]
fn every_call_fails_cleanly_under_allocation_failure() {
    require_vm();
    let bar = edu_bar0();
    let root = root();
    report("vmo_create", fail_each_allocation(|| Vmo::create(3 * PAGE)));
    let res = Resource::create(
        &root,
        ResourceKind::Mmio,
        ResourceFlags::empty(),
        bar.base,
        bar.size,
        "f",
    )
    .unwrap();
    report(
        "resource_create(child)",
        fail_each_allocation(|| {
            Resource::create(
                &res,
                ResourceKind::Mmio,
                ResourceFlags::empty(),
                bar.base,
                PAGE,
                "f",
            )
        }),
    );
    report(
        "vmo_create_physical",
        fail_each_allocation(|| Vmo::create_physical(&res, bar.base, PAGE as usize)),
    );
    let pv = Vmo::create_physical(&res, bar.base, 4 * PAGE as usize).unwrap();
    report(
        "create_child(physical slice)",
        fail_each_allocation(|| pv.create_child(VmoChildOptions::SLICE, PAGE, PAGE)),
    );
    report(
        "map (physical, making the view)",
        fail_each_allocation(|| {
            let d = pv.duplicate_handle(Rights::SAME_RIGHTS)?;
            let m = d.map(0, 4 * PAGE as usize, VmarFlags::PERM_READ)?;
            m.read8(PAGE as usize)?;
            Ok((d, m))
        }),
    );
    report(
        "resource revoke",
        fail_each_allocation(|| {
            let child = Resource::create(
                &res,
                ResourceKind::Mmio,
                ResourceFlags::empty(),
                bar.base,
                PAGE,
                "revoked",
            )?;
            let cv = Vmo::create_physical(&child, bar.base, PAGE as usize)?;
            child.revoke()?;
            Ok((child, cv))
        }),
    );
    let v = Vmo::create_with_opts(VmoOptions::NON_RESIZABLE, 4 * PAGE).unwrap();
    v.write(&[7u8; 3 * PAGE as usize], 0).unwrap();
    report(
        "create_child(slice)",
        fail_each_allocation(|| v.create_child(VmoChildOptions::SLICE, PAGE, PAGE)),
    );
    report(
        "create_child(snapshot)",
        fail_each_allocation(|| v.create_child(VmoChildOptions::SNAPSHOT, 0, 4 * PAGE)),
    );
    report(
        "duplicate_handle",
        fail_each_allocation(|| v.duplicate_handle(Rights::READ)),
    );
    let r = Vmo::create(PAGE).unwrap();
    // A handle's first mapping makes its view of the memory (the
    // `vm_file` of its mappings), which lives as long as the handle: a
    // fresh handle each time, so the view is made under fault injection.
    report(
        "map (a handle's first, making its view)",
        fail_each_allocation(|| {
            let d = r.duplicate_handle(Rights::SAME_RIGHTS)?;
            let m = d.map(0, PAGE as usize, VmarFlags::PERM_READ)?;
            Ok((d, m))
        }),
    );
    // Then the same handle again and again.
    drop(r.map(0, PAGE as usize, VmarFlags::PERM_READ).unwrap());
    report(
        "map",
        fail_each_allocation(|| {
            let m = r.map(
                0,
                PAGE as usize,
                VmarFlags::PERM_READ | VmarFlags::PERM_WRITE,
            )?;
            m.write8(0, 1)?;
            Ok(m)
        }),
    );
    assert_eq!(
        r.basic_info().unwrap().num_mappings,
        0,
        "a failed map left a mapping counted"
    );
    let w = Vmo::create(64 * PAGE).unwrap();
    let data = vec![0x42u8; 64 * PAGE as usize];
    // Into holes each time (a write into committed pages allocates only
    // its bounce buffer, which falls back to vmalloc and recovers).
    report(
        "write",
        fail_each_allocation(|| {
            w.op_range(VmoOp::DECOMMIT, 0, 64 * PAGE)?;
            w.write(&data, 0)
        }),
    );
    report(
        "op_range(commit)",
        fail_each_allocation(|| {
            w.op_range(VmoOp::DECOMMIT, 0, 64 * PAGE)?;
            w.op_range(VmoOp::COMMIT, 0, 64 * PAGE)
        }),
    );
    report(
        "set_size",
        fail_each_allocation(|| {
            let s = Vmo::create(PAGE)?;
            s.set_size(16 * PAGE)?;
            s.write(&[1], 15 * PAGE)
        }),
    );
    // Resources made from the root claim their range (exclusive ones as
    // `zxvmo:<name>`, shared ones as `zxvmo:shared`): `__request_region`
    // reports a failed allocation and a conflict alike, so zxvmo reports
    // ACCESS_DENIED there; either way nothing may stay claimed.
    // On a range nothing else here holds.
    let free = ivshmem_bar2();
    let claims = || {
        std::fs::read_to_string("/proc/iomem")
            .unwrap()
            .lines()
            .filter(|l| l.contains(": zxvmo:"))
            .count()
    };
    let before = claims();
    for (flags, what) in [
        (ResourceFlags::EXCLUSIVE, "resource_create(exclusive)"),
        (ResourceFlags::empty(), "resource_create(shared)"),
    ] {
        let fds = open_fds();
        let mut injected = 0;
        for n in 1..200 {
            let (r, fired) = with_fail_nth(n, || {
                Resource::create(
                    &root,
                    ResourceKind::Mmio,
                    flags,
                    free.base,
                    PAGE,
                    "fault-claim",
                )
            });
            if !fired {
                assert!(r.is_ok());
                break;
            }
            match r {
                Err(s) => {
                    assert!(s == Status::NO_MEMORY || s == Status::ACCESS_DENIED, "{s}");
                    assert!(claims() == before, "a failed create left a claim");
                    injected += 1;
                }
                Ok(made) => drop(made),
            }
            assert_eq!(open_fds(), fds);
        }
        report(what, injected);
    }
}
