//! Under kernel lockdown no new way to device memory opens: even root
//! cannot take the root resource, and what was taken before lockdown was
//! raised makes no new physical VMO and no new mapping of one. Mappings made
//! before stay, as Linux keeps a PCI sysfs or `/dev/mem` mapping made
//! before. Runs only in the test VM, from tests/vm/lockdown.sh: the test
//! raises lockdown itself (`integrity`, through securityfs, which can raise
//! it while the kernel runs and never lower it), so it is the last test of
//! its boot but the harness self-test.

use zxvmo::{
    Reason, Refusal, Resource, ResourceFlags, ResourceKind, Status, VmarFlags, Vmo, VmoChildOptions,
};
use zxvmo_vmtests::{edu_bar0, maps_pgoff, require_vm};

const LOCKDOWN: &str = "/sys/kernel/security/lockdown";
const PAGE: usize = 4096;

fn assert_lockdown_refusal(status: Status, what: &str) {
    assert_eq!(status, Status::ACCESS_DENIED, "{what}");
    let refusal = Refusal::of(status);
    assert_eq!(refusal.reason(), Reason::LOCKDOWN, "{what}: {refusal}");
    assert!(
        refusal.to_string().contains("locked down"),
        "{what}: {refusal}"
    );
}

#[test]
fn lockdown_opens_no_new_way_to_device_memory_whatever_was_taken_before() {
    require_vm();
    assert_eq!(
        // SAFETY: geteuid has no preconditions.
        unsafe { libc::geteuid() },
        0,
        "runs as root, with CAP_SYS_RAWIO"
    );
    let level = std::fs::read_to_string(LOCKDOWN).unwrap();
    assert!(
        level.contains("[none]"),
        "this test raises lockdown itself, from none: {level}"
    );

    // Before lockdown: root takes the root resource, a resource for edu's
    // registers, a physical VMO over them, and maps it.
    let bar = edu_bar0();
    let root = Resource::root().expect("the root resource before lockdown");
    let res = Resource::create(
        &root,
        ResourceKind::Mmio,
        ResourceFlags::empty(),
        bar.base,
        2 * PAGE as u64,
        "pre-lockdown",
    )
    .unwrap();
    let vmo = Vmo::create_physical(&res, bar.base, PAGE).unwrap();
    let before = vmo.map(0, PAGE, VmarFlags::PERM_READ).unwrap();
    assert_eq!(before.read32(0).unwrap(), 0x0100_00ed, "edu's ID register");
    // And a mapping of the first page of a two-page VMO: no mapping reaches
    // its second page before lockdown.
    let two = Vmo::create_physical(&res, bar.base, 2 * PAGE).unwrap();
    let first = two.map(0, PAGE, VmarFlags::PERM_READ).unwrap();
    let addr = first.as_ptr() as usize;
    let pgoff = maps_pgoff(addr).expect("the first page's mapping");

    std::fs::write(LOCKDOWN, "integrity").expect("raising lockdown to integrity");
    let level = std::fs::read_to_string(LOCKDOWN).unwrap();
    assert!(level.contains("[integrity]"), "{level}");

    // Even root is refused the root resource, and says why: lockdown, not
    // a missing capability.
    assert_lockdown_refusal(Resource::root().unwrap_err(), "the root resource");
    // What was taken before makes nothing new that reaches the device ...
    assert_lockdown_refusal(
        Vmo::create_physical(&res, bar.base, PAGE).unwrap_err(),
        "a physical VMO from a resource taken before lockdown",
    );
    assert_lockdown_refusal(
        vmo.map(0, PAGE, VmarFlags::PERM_READ).unwrap_err(),
        "a new mapping of a physical VMO made before lockdown",
    );
    // ... not even through a slice of it (which may be made: it reaches
    // nothing until mapped).
    let slice = vmo
        .create_child(VmoChildOptions::SLICE, 0, PAGE as u64)
        .unwrap();
    assert_lockdown_refusal(
        slice.map(0, PAGE, VmarFlags::PERM_READ).unwrap_err(),
        "a new mapping of a slice made under lockdown",
    );
    // ... nor by mapping the file of a mapping made before again
    // (`remap_file_pages`), at the page no mapping reached.
    // SAFETY: Re-maps the one page of our own mapping `first`.
    let r = unsafe { libc::syscall(libc::SYS_remap_file_pages, addr, PAGE, 0, pgoff + 1, 0) };
    let errno = std::io::Error::last_os_error().raw_os_error();
    assert_eq!(
        (r, errno),
        (-1, Some(libc::EACCES)),
        "remap_file_pages to the second page of a VMO mapped before lockdown"
    );
    // What is there now (the refused re-map may leave the page unmapped) is
    // still the first page.
    if let Some(now) = maps_pgoff(addr) {
        assert_eq!(now, pgoff, "the page remap_file_pages was refused");
        assert_eq!(first.read32(0).unwrap(), 0x0100_00ed);
    }
    drop(first);
    // The mapping made before stays, as Linux's own do.
    assert_eq!(before.read32(0).unwrap(), 0x0100_00ed);
    // Paged VMOs reach no device and stay usable.
    let paged = Vmo::create(PAGE as u64).unwrap();
    paged.write(b"ok", 0).unwrap();
    let m = paged.map(0, PAGE, VmarFlags::PERM_READ).unwrap();
    assert_eq!(m.read8(1).unwrap(), b'k');
    // The kernel itself agrees: /dev/mem is locked down too.
    assert!(std::fs::File::open("/dev/mem").is_err());
}
