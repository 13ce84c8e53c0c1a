//! Physical VMOs over iomem-checked resources (seeds 000–003), on the real
//! module, against QEMU's edu and ivshmem-plain devices.

use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::time::{Duration, Instant};

use zxvmo::{
    sys, CachePolicy, Handle, HandleBased, Mapping, Resource, ResourceFlags, ResourceKind, Rights,
    Status, VmarFlags, Vmo,
};
use zxvmo_vmtests::*;

const PAGE: u64 = 4096;
const RW: VmarFlags = VmarFlags::PERM_READ.union(VmarFlags::PERM_WRITE);

fn edu_resource(flags: ResourceFlags, name: &str) -> (Resource, u64) {
    require_vm();
    let bar = edu_bar0();
    let r = Resource::create(&root(), ResourceKind::Mmio, flags, bar.base, bar.size, name)
        .expect("resource for edu BAR0");
    (r, bar.base)
}

fn edu_regs() -> (Vmo, Mapping) {
    let (res, base) = edu_resource(ResourceFlags::empty(), "edu-test");
    let vmo = Vmo::create_physical(&res, base, PAGE as usize).unwrap();
    let map = vmo.map(0, PAGE as usize, RW).unwrap();
    (vmo, map)
}

fn factorial(regs: &Mapping, n: u32) -> u32 {
    regs.write32(0x08, n).unwrap();
    let start = Instant::now();
    while regs.read32(0x20).unwrap() & 1 != 0 {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "edu factorial hung"
        );
    }
    regs.read32(0x08).unwrap()
}

#[test]
fn edu_id_liveness_and_factorial() {
    let (_vmo, regs) = edu_regs();
    assert_eq!(regs.read32(0x00).unwrap(), 0x0100_00ed);
    for v in [1u32, 0x1234_5678, 0, 0xdead_beef, 0xffff_ffff, 0x8000_0000] {
        regs.write32(0x04, v).unwrap();
        assert_eq!(regs.read32(0x04).unwrap(), !v, "liveness of {v:#x}");
    }
    let mut f = 1u32;
    for n in 0..=12 {
        if n > 0 {
            f *= n;
        }
        assert_eq!(factorial(&regs, n), f, "{n}!");
    }
}

#[test]
fn seed_default_rights_content_size_and_info() {
    let (vmo, _map) = edu_regs();
    let info = vmo.basic_info().unwrap();
    assert_eq!(
        info.rights,
        Rights::VMO_DEFAULT,
        "rights exactly as the seeds list them"
    );
    assert_eq!(info.obj_type, sys::ZX_OBJ_TYPE_VMO);
    assert_eq!(info.size, PAGE);
    assert_eq!(info.cache_policy, sys::ZX_CACHE_POLICY_UNCACHED);
    assert_eq!(
        info.flags & sys::ZX_INFO_VMO_TYPE_PAGED,
        0,
        "physical, not paged"
    );
    assert_eq!(info.num_mappings, 1);
    assert_eq!(
        vmo.get_size().unwrap(),
        PAGE,
        "an object with the requested size"
    );
    assert_eq!(
        vmo.get_content_size().unwrap(),
        PAGE,
        "content size = the given size"
    );
    vmo.set_content_size(100).unwrap();
    assert_eq!(vmo.get_content_size().unwrap(), 100);
    assert_eq!(
        vmo.get_size().unwrap(),
        PAGE,
        "content size does not resize"
    );
    assert_eq!(vmo.set_content_size(PAGE + 1), Err(Status::OUT_OF_RANGE));
    assert_eq!(vmo.get_content_size().unwrap(), 100);
}

#[test]
fn seed_read_write_and_set_size_are_not_supported() {
    let (vmo, _map) = edu_regs();
    let mut buf = [0u8; 4];
    assert_eq!(vmo.read(&mut buf, 0), Err(Status::NOT_SUPPORTED));
    assert_eq!(vmo.write(&buf, 0), Err(Status::NOT_SUPPORTED));
    assert_eq!(vmo.set_size(2 * PAGE), Err(Status::NOT_SUPPORTED));
    assert_eq!(vmo.get_size().unwrap(), PAGE);
}

#[test]
fn name_property_round_trips_and_truncates() {
    let (vmo, _map) = edu_regs();
    assert_eq!(vmo.get_name().unwrap(), "");
    vmo.set_name("edu registers").unwrap();
    assert_eq!(vmo.get_name().unwrap(), "edu registers");
    let long = "x".repeat(40);
    vmo.set_name(&long).unwrap();
    assert_eq!(vmo.get_name().unwrap(), "x".repeat(31));
    assert_eq!(vmo.basic_info().unwrap().name, "x".repeat(31));
    // A buffer shorter than ZX_MAX_NAME_LEN cannot hold the name.
    let mut small = [0u8; 8];
    let mut p = sys::ZxvmoProperty {
        property: sys::ZX_PROP_NAME,
        reserved: 0,
        value: small.as_mut_ptr() as u64,
        len: 8,
    };
    let r = raw_ioctl(
        vmo.as_fd(),
        sys::ZXVMO_IOC_GET_PROPERTY,
        &mut p as *mut _ as usize,
    );
    assert_eq!(r.map_err(Status::from_errno), Err(Status::BUFFER_TOO_SMALL));
    p.property = 12345;
    p.len = 64;
    let r = raw_ioctl(
        vmo.as_fd(),
        sys::ZXVMO_IOC_GET_PROPERTY,
        &mut p as *mut _ as usize,
    );
    assert_eq!(r.map_err(Status::from_errno), Err(Status::INVALID_ARGS));
}

#[test]
fn seed_wrong_type_when_resource_is_not_a_resource() {
    let (res, base) = edu_resource(ResourceFlags::empty(), "edu-test");
    let vmo = Vmo::create_physical(&res, base, PAGE as usize).unwrap();
    // A VMO handle, the device node and a plain file, each viewed as a resource.
    let as_res = Resource::from_handle(vmo.duplicate_handle(Rights::SAME_RIGHTS).unwrap().into());
    assert_eq!(
        Vmo::create_physical(&as_res, base, PAGE as usize).unwrap_err(),
        Status::WRONG_TYPE
    );
    let dev = OwnedFd::from(std::fs::File::open("/dev/zxvmo").unwrap());
    let dev_res = Resource::from(Handle::from(dev));
    assert_eq!(
        Vmo::create_physical(&dev_res, base, PAGE as usize).unwrap_err(),
        Status::WRONG_TYPE
    );
    let null = OwnedFd::from(std::fs::File::open("/dev/null").unwrap());
    let null_res = Resource::from(Handle::from(null));
    assert_eq!(
        Vmo::create_physical(&null_res, base, PAGE as usize).unwrap_err(),
        Status::WRONG_TYPE
    );
    assert_eq!(
        Resource::create(
            &null_res,
            ResourceKind::Mmio,
            ResourceFlags::empty(),
            base,
            PAGE,
            "x"
        )
        .unwrap_err(),
        Status::WRONG_TYPE
    );
}

#[test]
fn seed_access_denied_outside_the_resource_and_on_system_ram() {
    require_vm();
    let bar = edu_bar0();
    let one_page = Resource::create(
        &root(),
        ResourceKind::Mmio,
        ResourceFlags::empty(),
        bar.base,
        PAGE,
        "edu-page0",
    )
    .unwrap();
    let deny =
        |paddr: u64, size: u64| Vmo::create_physical(&one_page, paddr, size as usize).unwrap_err();
    assert_eq!(
        deny(bar.base + PAGE, PAGE),
        Status::ACCESS_DENIED,
        "page after the range"
    );
    assert_eq!(
        deny(bar.base, 2 * PAGE),
        Status::ACCESS_DENIED,
        "range runs past the end"
    );
    assert_eq!(
        deny(bar.base - PAGE, PAGE),
        Status::ACCESS_DENIED,
        "page before the range"
    );
    assert!(Vmo::create_physical(&one_page, bar.base, PAGE as usize).is_ok());

    let ram = system_ram_page();
    let root = root();
    assert_eq!(
        Vmo::create_physical(&root, ram, PAGE as usize).unwrap_err(),
        Status::ACCESS_DENIED,
        "System RAM through the root resource"
    );
    assert_eq!(
        Resource::create(
            &root,
            ResourceKind::Mmio,
            ResourceFlags::empty(),
            ram,
            PAGE,
            "ram"
        )
        .unwrap_err(),
        Status::ACCESS_DENIED,
        "a resource over System RAM"
    );
    // A range that only touches RAM at its last page is refused too.
    assert_eq!(
        Resource::create(
            &root,
            ResourceKind::Mmio,
            ResourceFlags::empty(),
            ram - 0x10_0000,
            0x10_1000,
            "x"
        )
        .unwrap_err(),
        Status::ACCESS_DENIED
    );
}

#[test]
fn seed_invalid_args_for_unaligned_or_empty() {
    let (res, base) = edu_resource(ResourceFlags::empty(), "edu-test");
    let err = |paddr: u64, size: usize| Vmo::create_physical(&res, paddr, size).unwrap_err();
    assert_eq!(
        err(base + 1, PAGE as usize),
        Status::INVALID_ARGS,
        "paddr not page-aligned"
    );
    assert_eq!(
        err(base + 0x800, PAGE as usize),
        Status::INVALID_ARGS,
        "paddr not page-aligned"
    );
    assert_eq!(
        err(base, 100),
        Status::INVALID_ARGS,
        "size not page-aligned"
    );
    assert_eq!(
        err(base, PAGE as usize + 1),
        Status::INVALID_ARGS,
        "size not page-aligned"
    );
    assert_eq!(err(base, 0), Status::INVALID_ARGS, "size 0");
    // The same checks guard resource creation.
    let r = |b: u64, s: u64| {
        Resource::create(
            &root(),
            ResourceKind::Mmio,
            ResourceFlags::empty(),
            b,
            s,
            "x",
        )
        .unwrap_err()
    };
    assert_eq!(r(base + 4, PAGE), Status::INVALID_ARGS);
    assert_eq!(r(base, 0), Status::INVALID_ARGS);
    assert_eq!(r(base, 10), Status::INVALID_ARGS);
    // An unknown flag or another kind is refused.
    let mut args = sys::ZxvmoResourceCreate {
        kind: sys::ZX_RSRC_KIND_MMIO,
        flags: 0x1,
        base,
        size: PAGE,
        name: [0; 32],
    };
    let call = |a: &mut sys::ZxvmoResourceCreate| {
        raw_ioctl(
            res.as_fd(),
            sys::ZXVMO_IOC_RESOURCE_CREATE,
            a as *mut _ as usize,
        )
        .map_err(Status::from_errno)
    };
    assert_eq!(call(&mut args), Err(Status::INVALID_ARGS));
    args.flags = 0;
    args.kind = sys::ZX_RSRC_KIND_ROOT;
    assert_eq!(call(&mut args), Err(Status::INVALID_ARGS));
}

#[test]
fn seed_out_of_range_for_overflow_and_beyond_the_physical_width() {
    require_vm();
    let root = root();
    let top = !(PAGE - 1);
    assert_eq!(
        Vmo::create_physical(&root, top, 2 * PAGE as usize).unwrap_err(),
        Status::OUT_OF_RANGE,
        "paddr + size overflows"
    );
    // x86-64 CPUs address at most 52 bits of physical memory.
    assert_eq!(
        Vmo::create_physical(&root, 1 << 52, PAGE as usize).unwrap_err(),
        Status::OUT_OF_RANGE,
        "beyond the physical address width"
    );
    assert_eq!(
        Resource::create(
            &root,
            ResourceKind::Mmio,
            ResourceFlags::empty(),
            1 << 52,
            PAGE,
            "x"
        )
        .unwrap_err(),
        Status::OUT_OF_RANGE
    );
}

#[test]
fn seed_no_memory_on_allocation_failure_and_nothing_half_made() {
    let (res, base) = edu_resource(ResourceFlags::empty(), "edu-test");
    let injected = fail_each_allocation(|| Vmo::create_physical(&res, base, PAGE as usize));
    assert!(injected > 0, "no allocation failure was injected");
}

#[test]
fn exclusive_claim_is_in_proc_iomem_while_anything_made_from_it_lives() {
    let (res, base) = edu_resource(ResourceFlags::EXCLUSIVE, "edu-claim");
    assert!(
        iomem_has("zxvmo:edu-claim"),
        "claim missing from /proc/iomem"
    );
    let vmo = Vmo::create_physical(&res, base, PAGE as usize).unwrap();
    let map = vmo.map(0, PAGE as usize, RW).unwrap();
    drop(res);
    assert!(iomem_has("zxvmo:edu-claim"), "released while a VMO lives");
    drop(vmo);
    assert!(
        iomem_has("zxvmo:edu-claim"),
        "released while a mapping lives"
    );
    assert_eq!(
        map.read32(0).unwrap(),
        0x0100_00ed,
        "the mapping still works"
    );
    drop(map);
    assert!(
        !iomem_has("zxvmo:edu-claim"),
        "claim outlived everything made from it"
    );
}

#[test]
fn exclusive_claims_exclude_others_and_vmos_recheck_iomem() {
    require_vm();
    let bar = edu_bar0();
    let root = root();
    let mk = |flags, name: &str| {
        Resource::create(&root, ResourceKind::Mmio, flags, bar.base, bar.size, name)
    };
    // Shared resources may overlap; while one lives, no exclusive one can
    // take the range (Zircon: NOT_FOUND).
    let early = mk(ResourceFlags::empty(), "early").unwrap();
    let early2 = mk(ResourceFlags::empty(), "early-2").unwrap();
    assert_eq!(
        mk(ResourceFlags::EXCLUSIVE, "too-soon").unwrap_err(),
        Status::ACCESS_DENIED
    );
    drop((early, early2));
    let owner = mk(ResourceFlags::EXCLUSIVE, "edu-owner").unwrap();
    assert_eq!(
        mk(ResourceFlags::EXCLUSIVE, "second").unwrap_err(),
        Status::ACCESS_DENIED
    );
    assert_eq!(
        mk(ResourceFlags::empty(), "plain").unwrap_err(),
        Status::ACCESS_DENIED
    );
    // The root resource does not reach a range claimed exclusively.
    assert_eq!(
        Vmo::create_physical(&root, bar.base, PAGE as usize).unwrap_err(),
        Status::ACCESS_DENIED
    );
    // The owner, and resources it delegates, still do.
    assert!(Vmo::create_physical(&owner, bar.base, PAGE as usize).is_ok());
    let sub = Resource::create(
        &owner,
        ResourceKind::Mmio,
        ResourceFlags::empty(),
        bar.base,
        PAGE,
        "sub",
    )
    .unwrap();
    assert!(Vmo::create_physical(&sub, bar.base, PAGE as usize).is_ok());
    let subsub = Resource::create(
        &sub,
        ResourceKind::Mmio,
        ResourceFlags::empty(),
        bar.base,
        PAGE,
        "subsub",
    )
    .unwrap();
    assert!(Vmo::create_physical(&subsub, bar.base, PAGE as usize).is_ok());
    assert_eq!(
        Resource::create(
            &sub,
            ResourceKind::Mmio,
            ResourceFlags::empty(),
            bar.base,
            2 * PAGE,
            "wider"
        )
        .unwrap_err(),
        Status::ACCESS_DENIED,
        "a child cannot be wider than its parent"
    );
    drop((owner, sub, subsub));
    let late = mk(ResourceFlags::empty(), "late").expect("claim released");
    assert!(Vmo::create_physical(&late, bar.base, PAGE as usize).is_ok());
}

#[test]
fn mapping_needs_the_rights_for_each_protection() {
    let (res, base) = edu_resource(ResourceFlags::empty(), "edu-test");
    let vmo = Vmo::create_physical(&res, base, PAGE as usize).unwrap();
    let len = PAGE as usize;
    let ro = vmo.duplicate_handle(Rights::READ | Rights::MAP).unwrap();
    assert_eq!(ro.rights().unwrap(), Rights::READ | Rights::MAP);
    assert_eq!(ro.map(0, len, RW).unwrap_err(), Status::ACCESS_DENIED);
    assert_eq!(
        ro.map(0, len, VmarFlags::PERM_READ | VmarFlags::PERM_EXECUTE)
            .unwrap_err(),
        Status::ACCESS_DENIED
    );
    let m = ro.map(0, len, VmarFlags::PERM_READ).unwrap();
    assert_eq!(m.read32(0).unwrap(), 0x0100_00ed);
    // mprotect cannot add what the handle lacks.
    // SAFETY: `m` owns this live mapping; the call changes only protections.
    let r = unsafe { libc::mprotect(m.as_ptr().cast(), len, libc::PROT_READ | libc::PROT_WRITE) };
    assert_eq!(r, -1);
    assert_eq!(
        std::io::Error::last_os_error().raw_os_error(),
        Some(libc::EACCES)
    );

    let wo = vmo.duplicate_handle(Rights::WRITE | Rights::MAP).unwrap();
    assert_eq!(
        wo.map(0, len, VmarFlags::PERM_READ).unwrap_err(),
        Status::ACCESS_DENIED
    );
    let nomap = vmo.duplicate_handle(Rights::READ | Rights::WRITE).unwrap();
    assert_eq!(
        nomap.map(0, len, VmarFlags::PERM_READ).unwrap_err(),
        Status::ACCESS_DENIED
    );
    // Default rights include EXECUTE, as the seeds say, and the module
    // maps with it; since 7.0 Linux refuses PROT_EXEC of any file on a
    // pseudo filesystem (SB_I_NOEXEC) before the module is asked.
    assert!(vmo.rights().unwrap().contains(Rights::EXECUTE));
    match vmo.map(0, len, VmarFlags::PERM_READ | VmarFlags::PERM_EXECUTE) {
        Ok(_) => {}
        Err(Status::ACCESS_DENIED) if kernel_at_least(7, 0) => {}
        Err(e) => panic!("an executable mapping with EXECUTE: {e}"),
    }
}

#[test]
fn mapping_is_shared_only_and_bounded_by_the_vmo() {
    let (res, base) = edu_resource(ResourceFlags::empty(), "edu-test");
    let vmo = Vmo::create_physical(&res, base, 2 * PAGE as usize).unwrap();
    // SAFETY: A fresh private mapping request; on success it is unmapped.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            PAGE as usize,
            libc::PROT_READ,
            libc::MAP_PRIVATE,
            vmo.as_raw_fd(),
            0,
        )
    };
    assert_eq!(p, libc::MAP_FAILED, "a private mapping must be refused");
    assert_eq!(
        std::io::Error::last_os_error().raw_os_error(),
        Some(libc::EINVAL)
    );
    let r = VmarFlags::PERM_READ;
    assert_eq!(
        vmo.map(2 * PAGE, PAGE as usize, r).unwrap_err(),
        Status::OUT_OF_RANGE
    );
    assert_eq!(
        vmo.map(PAGE, 2 * PAGE as usize, r).unwrap_err(),
        Status::OUT_OF_RANGE
    );
    assert_eq!(
        vmo.map(0, 3 * PAGE as usize, r).unwrap_err(),
        Status::OUT_OF_RANGE
    );
    assert_eq!(
        vmo.map(100, PAGE as usize, r).unwrap_err(),
        Status::INVALID_ARGS
    );
    assert_eq!(vmo.map(0, 0, r).unwrap_err(), Status::INVALID_ARGS);
    assert!(vmo.map(PAGE, PAGE as usize, r).is_ok());
    assert_eq!(
        vmo.basic_info().unwrap().num_mappings,
        0,
        "dropped mappings are uncounted"
    );
}

#[test]
fn cache_policy_changes_only_while_unmapped() {
    let (res, base) = edu_resource(ResourceFlags::empty(), "edu-test");
    let vmo = Vmo::create_physical(&res, base, PAGE as usize).unwrap();
    let m = vmo.map(0, PAGE as usize, RW).unwrap();
    assert_eq!(
        vmo.set_cache_policy(CachePolicy::WriteCombining),
        Err(Status::BAD_STATE)
    );
    // A fork's copy of the mapping counts too.
    drop(m);
    for p in [
        CachePolicy::Cached,
        CachePolicy::UncachedDevice,
        CachePolicy::WriteCombining,
        CachePolicy::Uncached,
    ] {
        vmo.set_cache_policy(p).unwrap();
        assert_eq!(vmo.basic_info().unwrap().cache_policy, p as u32);
        let m = vmo.map(0, PAGE as usize, RW).unwrap();
        assert_eq!(m.read32(0).unwrap(), 0x0100_00ed, "{p:?}");
    }
    let mut bad = 4u32;
    let r = raw_ioctl(
        vmo.as_fd(),
        sys::ZXVMO_IOC_VMO_SET_CACHE_POLICY,
        &mut bad as *mut u32 as usize,
    );
    assert_eq!(r.map_err(Status::from_errno), Err(Status::INVALID_ARGS));
    let nomap = vmo.duplicate_handle(Rights::READ | Rights::WRITE).unwrap();
    assert_eq!(
        nomap.set_cache_policy(CachePolicy::Cached),
        Err(Status::ACCESS_DENIED)
    );
}

#[test]
fn duplicate_and_replace_follow_the_subset_rule() {
    let (res, base) = edu_resource(ResourceFlags::empty(), "edu-test");
    let vmo = Vmo::create_physical(&res, base, PAGE as usize).unwrap();
    let same = vmo.duplicate_handle(Rights::SAME_RIGHTS).unwrap();
    assert_eq!(same.rights().unwrap(), Rights::VMO_DEFAULT);
    assert_eq!(
        same.basic_info().unwrap().koid,
        vmo.basic_info().unwrap().koid
    );
    let small = vmo.duplicate_handle(Rights::READ | Rights::MAP).unwrap();
    assert_eq!(
        small.duplicate_handle(Rights::READ).unwrap_err(),
        Status::ACCESS_DENIED,
        "no DUPLICATE right"
    );
    let dupable = vmo
        .duplicate_handle(Rights::DUPLICATE | Rights::READ)
        .unwrap();
    assert_eq!(
        dupable
            .duplicate_handle(Rights::READ | Rights::WRITE)
            .unwrap_err(),
        Status::INVALID_ARGS,
        "rights beyond the handle's"
    );
    assert_eq!(
        vmo.duplicate_handle(Rights::from_bits_retain(1 << 30))
            .unwrap_err(),
        Status::INVALID_ARGS
    );

    // Replace: the original open file is dead afterwards, even on failure.
    // dup(2) shares the open file, so the alias sees what replace does to it.
    let alias = Vmo::from(Handle::from(same.as_fd().try_clone_to_owned().unwrap()));
    let replaced = same.replace_handle(Rights::READ | Rights::MAP).unwrap();
    assert_eq!(replaced.rights().unwrap(), Rights::READ | Rights::MAP);
    assert_eq!(
        alias.get_size().unwrap_err(),
        Status::BAD_HANDLE,
        "replaced handle still works"
    );
    assert_eq!(
        alias
            .map(0, PAGE as usize, VmarFlags::PERM_READ)
            .unwrap_err(),
        Status::BAD_HANDLE
    );

    let victim = vmo.duplicate_handle(Rights::READ).unwrap();
    let victim_alias = Vmo::from(Handle::from(victim.as_fd().try_clone_to_owned().unwrap()));
    assert_eq!(
        victim
            .replace_handle(Rights::READ | Rights::WRITE)
            .unwrap_err(),
        Status::INVALID_ARGS
    );
    assert_eq!(victim_alias.get_size().unwrap_err(), Status::BAD_HANDLE);
    // Replacing needs no DUPLICATE right.
    let nodup = vmo.duplicate_handle(Rights::READ | Rights::MAP).unwrap();
    assert!(nodup.replace_handle(Rights::READ).is_ok());
}

/// Host-side file behind ivshmem, read in the guest through the shared
/// directory, bypassing the guest's page cache.
fn host_file_read(offset: u64, len: usize) -> Vec<u8> {
    use std::os::unix::fs::FileExt;
    let path = std::env::var("ZXVMO_IVSHMEM_FILE").expect("ZXVMO_IVSHMEM_FILE");
    let f = std::fs::File::open(&path).unwrap();
    // SAFETY: Advice only; drops cached pages so the read reaches the host.
    unsafe { libc::posix_fadvise(f.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
    let mut buf = vec![0u8; len];
    f.read_exact_at(&mut buf, offset).unwrap();
    buf
}

fn host_file_write(offset: u64, data: &[u8]) {
    use std::os::unix::fs::FileExt;
    let path = std::env::var("ZXVMO_IVSHMEM_FILE").expect("ZXVMO_IVSHMEM_FILE");
    let f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    f.write_all_at(data, offset).unwrap();
    f.sync_all().unwrap();
}

fn pattern(seed: u8, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

#[test]
fn ivshmem_bar2_matches_the_host_file_both_ways_under_every_policy() {
    require_vm();
    let bar = ivshmem_bar2();
    assert_eq!(bar.size, 4 << 20, "ivshmem BAR2 is the 4 MiB host file");
    let res = Resource::create(
        &root(),
        ResourceKind::Mmio,
        ResourceFlags::EXCLUSIVE,
        bar.base,
        bar.size,
        "ivshmem",
    )
    .unwrap();
    // The host filled the last page before boot (scripts/vm-run.sh).
    let vmo = Vmo::create_physical(&res, bar.base, bar.size as usize).unwrap();
    {
        let m = vmo.map(0, bar.size as usize, VmarFlags::PERM_READ).unwrap();
        let mut last = vec![0u8; PAGE as usize];
        m.read_bytes((bar.size - PAGE) as usize, &mut last).unwrap();
        let expected: Vec<u8> = (0..PAGE as usize).map(|i| (i * 7 + 3) as u8).collect();
        assert_eq!(last, expected, "the host's pattern, read through BAR2");
    }
    let len = 64 * 1024;
    for (i, policy) in [
        CachePolicy::Uncached,
        CachePolicy::WriteCombining,
        CachePolicy::Cached,
        CachePolicy::UncachedDevice,
    ]
    .into_iter()
    .enumerate()
    {
        vmo.set_cache_policy(policy).unwrap();
        let m = vmo.map(0, (bar.size - PAGE) as usize, RW).unwrap();
        // Guest → host.
        let out_off = (i * 2 * len) as u64;
        let pat = pattern(i as u8 + 1, len);
        m.write_bytes(out_off as usize, &pat).unwrap();
        std::sync::atomic::fence(std::sync::atomic::Ordering::SeqCst);
        assert!(
            host_file_read(out_off, len) == pat,
            "{policy:?}: guest write not in the host file"
        );
        // Host → guest.
        let in_off = out_off + len as u64;
        let pat = pattern(i as u8 + 101, len);
        host_file_write(in_off, &pat);
        let mut back = vec![0u8; len];
        m.read_bytes(in_off as usize, &mut back).unwrap();
        assert!(
            back == pat,
            "{policy:?}: host write not seen through the mapping"
        );
    }
    // A last pattern for the host to check after the VM exits.
    let m = vmo.map(0, bar.size as usize, RW).unwrap();
    m.write_bytes(3 << 20, &pattern(0x5a, len)).unwrap();
}

#[test]
fn delegated_resource_works_in_an_unprivileged_process_and_nothing_more() {
    let (res, base) = edu_resource(ResourceFlags::EXCLUSIVE, "edu-delegated");
    let ram = system_ram_page();
    let mut socks = [0; 2];
    assert_eq!(
        // SAFETY: `socks` has room for the two descriptors.
        unsafe { libc::socketpair(libc::AF_UNIX, libc::SOCK_STREAM, 0, socks.as_mut_ptr()) },
        0
    );
    // SAFETY: Fresh descriptors from socketpair, owned here.
    let (parent_sock, child_sock): (OwnedFd, OwnedFd) = unsafe {
        (
            std::os::fd::FromRawFd::from_raw_fd(socks[0]),
            std::os::fd::FromRawFd::from_raw_fd(socks[1]),
        )
    };
    // The descriptor waits in the socket for the child to take it.
    send_fd(parent_sock.as_fd(), res.as_fd());
    drop(res);
    let code = as_nobody(move || {
        // Every capability is gone after the uid change.
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        if !status.lines().any(|l| l == "CapEff:\t0000000000000000") {
            return 10;
        }
        let Some(fd) = recv_fd(child_sock.as_fd()) else {
            return 11;
        };
        let res = Resource::from(Handle::from(fd));
        // Works inside the range.
        let Ok(vmo) = Vmo::create_physical(&res, base, PAGE as usize) else {
            return 12;
        };
        let Ok(m) = vmo.map(0, PAGE as usize, RW) else {
            return 13;
        };
        if m.read32(0) != Ok(0x0100_00ed) {
            return 14;
        }
        m.write32(0x04, 0x55).unwrap();
        if m.read32(0x04) != Ok(!0x55) {
            return 15;
        }
        // Refused everything outside it.
        if Resource::root().err() != Some(Status::ACCESS_DENIED) {
            return 20;
        }
        if Vmo::create_physical(&res, base + (1 << 20), PAGE as usize).err()
            != Some(Status::ACCESS_DENIED)
        {
            return 21;
        }
        if Vmo::create_physical(&res, ram, PAGE as usize).err() != Some(Status::ACCESS_DENIED) {
            return 22;
        }
        let wide = Resource::create(
            &res,
            ResourceKind::Mmio,
            ResourceFlags::empty(),
            ram,
            PAGE,
            "ram",
        );
        if wide.err() != Some(Status::ACCESS_DENIED) {
            return 23;
        }
        if std::fs::File::open("/dev/mem").is_ok() {
            return 24;
        }
        // A narrower delegation works (sub-delegation).
        let sub = Resource::create(
            &res,
            ResourceKind::Mmio,
            ResourceFlags::empty(),
            base,
            PAGE,
            "sub",
        );
        if sub.is_err() {
            return 25;
        }
        0
    });
    assert_eq!(code, 0, "see the child's exit codes in the test");
}

#[test]
fn module_stays_while_a_vmo_fd_or_mapping_lives() {
    let (res, base) = edu_resource(ResourceFlags::empty(), "edu-test");
    let vmo = Vmo::create_physical(&res, base, PAGE as usize).unwrap();
    drop(res);
    let held = module_refcnt();
    assert!(held >= 1);
    let rmmod = || {
        std::process::Command::new("rmmod")
            .arg("zxvmo")
            .output()
            .unwrap()
    };
    let out = rmmod();
    assert!(!out.status.success(), "rmmod succeeded with a VMO fd open");
    let map = vmo.map(0, PAGE as usize, VmarFlags::PERM_READ).unwrap();
    drop(vmo);
    assert_eq!(module_refcnt(), held, "the mapping holds the VMO's file");
    assert!(
        !rmmod().status.success(),
        "rmmod succeeded with a mapping alive"
    );
    assert_eq!(map.read32(0).unwrap(), 0x0100_00ed);
    drop(map);
    assert_eq!(module_refcnt(), held - 1, "unmapping released the module");
}
