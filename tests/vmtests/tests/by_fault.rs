//! Physical VMOs mapped by fault: huge entries where they fit, the right
//! physical page behind every entry, splits, and revocation.
//!
//! The VM has ivshmem BARs of 4 MiB, 64 MiB and 1 GiB over host files
//! (scripts/vm-run.sh); the module counts the entries its faults insert
//! by size in debugfs. Each test checks the counts exactly, and checks what
//! the guest wrote through the entries against the host file.

use std::os::unix::fs::FileExt;

use zxvmo::{HandleBased, Resource, ResourceFlags, ResourceKind, Rights, Status, VmarFlags, Vmo};
use zxvmo_vmtests::*;

const PAGE: u64 = 4096;
const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;
const RW: VmarFlags = VmarFlags::PERM_READ.union(VmarFlags::PERM_WRITE);

/// Reads `len` bytes at `offset` of the host file `path`, past the guest's
/// page cache.
fn host_read(path: &str, offset: u64, len: usize) -> Vec<u8> {
    use std::os::fd::AsRawFd;
    let f = std::fs::File::open(path).unwrap();
    // SAFETY: Advice only; drops cached pages so the read reaches the host.
    unsafe { libc::posix_fadvise(f.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
    let mut buf = vec![0u8; len];
    f.read_exact_at(&mut buf, offset).unwrap();
    buf
}

/// Reads one byte of every page of `m` from `from` to `to` (offsets).
fn touch(m: &zxvmo::Mapping, from: u64, to: u64) {
    for off in (from..to).step_by(PAGE as usize) {
        m.read8(off as usize).unwrap();
    }
}

/// Writes a tag naming each `stride` of the mapping at its start, then
/// reads the tags back from the host file: every entry maps the page it
/// should.
fn check_tags(m: &zxvmo::Mapping, file: &str, map_offset: u64, stride: u64) {
    let tags: Vec<(u64, u64)> = (0..m.len() as u64)
        .step_by(stride as usize)
        .map(|off| (off, 0x7a78_766d_0000_0000 | (map_offset + off)))
        .collect();
    for &(off, tag) in &tags {
        m.write64(off as usize, tag).unwrap();
    }
    for &(off, tag) in &tags {
        let got = host_read(file, map_offset + off, 8);
        assert_eq!(
            u64::from_le_bytes(got.try_into().unwrap()),
            tag,
            "the host file at {:#x}",
            map_offset + off
        );
    }
}

#[test]
fn a_64_mib_bar_mapped_whole_takes_32_pmd_faults_and_no_pte() {
    require_vm();
    let (bar, file) = ivshmem_bar2_sized(64 * MIB);
    let res = bar_resource(&bar, ResourceFlags::EXCLUSIVE, "huge-64m");
    let vmo = Vmo::create_physical(&res, bar.base, bar.size as usize).unwrap();
    let before = fault_counts();
    let m = vmo.map(0, bar.size as usize, RW).unwrap();
    assert_eq!(
        (m.as_ptr() as u64) % (2 * MIB),
        bar.base % (2 * MIB),
        "get_unmapped_area placed the mapping for PMD entries"
    );
    touch(&m, 0, bar.size);
    assert_eq!(faults_since(before), [0, 32, 0], "[pte, pmd, pud] faults");
    // Touching again faults nothing in.
    touch(&m, 0, bar.size);
    assert_eq!(faults_since(before), [0, 32, 0]);
    check_tags(&m, &file, 0, 2 * MIB);
    // Writes after read faults may upgrade entries, never add small ones.
    assert_eq!(faults_since(before)[0], 0);
}

#[test]
fn a_1_gib_bar_mapped_whole_takes_one_pud_fault() {
    require_vm();
    let (bar, file) = ivshmem_bar2_sized(GIB);
    assert_eq!(bar.base % GIB, 0, "a BAR is aligned to its size");
    let res = bar_resource(&bar, ResourceFlags::EXCLUSIVE, "huge-1g");
    let vmo = Vmo::create_physical(&res, bar.base, bar.size as usize).unwrap();
    let before = fault_counts();
    let m = vmo.map(0, bar.size as usize, RW).unwrap();
    assert_eq!((m.as_ptr() as u64) % GIB, 0, "placed for a PUD entry");
    touch(&m, 0, bar.size);
    assert_eq!(faults_since(before), [0, 0, 1], "[pte, pmd, pud] faults");
    check_tags(&m, &file, 0, 64 * MIB);
}

#[test]
fn entries_are_huge_only_where_both_addresses_align_and_the_vmo_covers_them() {
    require_vm();
    let (bar, file) = ivshmem_bar2_sized(64 * MIB);
    let res = bar_resource(&bar, ResourceFlags::empty(), "huge-edges");
    let vmo = Vmo::create_physical(&res, bar.base, bar.size as usize).unwrap();

    // From 4 KiB in, 4 MiB long: only [2 MiB, 4 MiB) of the BAR is a
    // whole, aligned 2 MiB block inside the mapping.
    let before = fault_counts();
    let m = vmo.map(PAGE, (4 * MIB) as usize, RW).unwrap();
    touch(&m, 0, 4 * MIB);
    assert_eq!(faults_since(before), [512, 1, 0], "511 + 1 PTEs, one PMD");
    check_tags(&m, &file, PAGE, 256 * 1024);
    drop(m);

    // A 2 MiB slice 4 KiB into the BAR holds no whole aligned 2 MiB block
    // of physical memory, wherever the mapping goes.
    let slice = vmo
        .create_child(zxvmo::VmoChildOptions::SLICE, PAGE, 2 * MIB)
        .unwrap();
    let before = fault_counts();
    let m = slice.map(0, (2 * MIB) as usize, RW).unwrap();
    touch(&m, 0, 2 * MIB);
    assert_eq!(faults_since(before), [512, 0, 0]);
    check_tags(&m, &file, PAGE, 256 * 1024);
    drop(m);

    // MAP_FIXED at an address 4 KiB off the 2 MiB grid: all PTEs.
    let hole = vmo
        .map(0, (8 * MIB) as usize, VmarFlags::PERM_READ)
        .unwrap();
    let addr = (hole.as_ptr() as u64).next_multiple_of(2 * MIB) + PAGE;
    drop(hole);
    // SAFETY: Maps over part of the range just unmapped, which nothing uses.
    let p = unsafe {
        libc::mmap(
            addr as *mut _,
            (4 * MIB) as usize,
            libc::PROT_READ,
            libc::MAP_SHARED | libc::MAP_FIXED,
            std::os::fd::AsRawFd::as_raw_fd(&std::os::fd::AsFd::as_fd(&vmo)),
            0,
        )
    };
    assert_eq!(p as u64, addr);
    let before = fault_counts();
    for off in (0..4 * MIB).step_by(PAGE as usize) {
        // SAFETY: Inside the mapping just made.
        unsafe { std::ptr::read_volatile((addr + off) as *const u8) };
    }
    assert_eq!(faults_since(before), [1024, 0, 0]);
    // SAFETY: Unmaps the mapping made above.
    unsafe { libc::munmap(p, (4 * MIB) as usize) };
}

#[test]
fn huge_mappings_split_and_keep_every_page() {
    require_vm();
    let (bar, file) = ivshmem_bar2_sized(64 * MIB);
    let res = bar_resource(&bar, ResourceFlags::empty(), "huge-split");
    let vmo = Vmo::create_physical(&res, bar.base, (8 * MIB) as usize).unwrap();
    let m = vmo.map(0, (8 * MIB) as usize, RW).unwrap();
    let base = m.as_ptr() as usize;
    let before = fault_counts();
    touch(&m, 0, 8 * MIB);
    assert_eq!(faults_since(before), [0, 4, 0]);
    // Cut one page out of the second 2 MiB block, and write-protect the
    // third block's first half: both split the huge entries.
    // SAFETY: Both calls act on parts of our own mapping.
    unsafe {
        assert_eq!(
            libc::munmap((base + 3 * MIB as usize) as *mut _, PAGE as usize),
            0
        );
        assert_eq!(
            libc::mprotect(
                (base + 4 * MIB as usize) as *mut _,
                MIB as usize,
                libc::PROT_READ
            ),
            0
        );
    }
    // The rest still maps the right pages.
    for off in (0..8 * MIB).step_by((256 * 1024) as usize) {
        if off == 3 * MIB || (4 * MIB..5 * MIB).contains(&off) {
            continue;
        }
        let tag = 0x5555_0000_0000_0000 | off;
        // SAFETY: Inside the mapping, outside the cut and read-only parts.
        unsafe { std::ptr::write_volatile((base + off as usize) as *mut u64, tag) };
        let got = host_read(&file, off, 8);
        assert_eq!(
            u64::from_le_bytes(got.try_into().unwrap()),
            tag,
            "at {off:#x}"
        );
    }
    // SAFETY: Reads the read-only part.
    unsafe { std::ptr::read_volatile((base + 4 * MIB as usize) as *const u64) };
    // Unmap the pieces (the gap is already gone).
    // SAFETY: The whole range is ours; munmap skips the hole.
    unsafe { libc::munmap(base as *mut _, (8 * MIB) as usize) };
    std::mem::forget(m);
    assert_eq!(vmo.basic_info().unwrap().rights, Rights::VMO_DEFAULT);
}

/// Forks a child that waits for a byte on a pipe, then reads `addr`; the
/// returned pair is the pipe's write end and the child's pid.
fn reader_child(addr: usize) -> (std::os::fd::OwnedFd, i32) {
    use std::os::fd::FromRawFd;
    let mut fds = [0; 2];
    // SAFETY: Makes a pipe into `fds`.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    // SAFETY: The child only reads the pipe and the mapping, then exits.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        let mut b = 0u8;
        // SAFETY: As above, async-signal-safe calls only.
        unsafe {
            libc::read(fds[0], (&mut b as *mut u8).cast(), 1);
            std::ptr::read_volatile(addr as *const u8);
            libc::_exit(0);
        }
    }
    // SAFETY: Our copies of the pipe's ends; the read end is closed here.
    unsafe {
        libc::close(fds[0]);
        (std::os::fd::OwnedFd::from_raw_fd(fds[1]), pid)
    }
}

/// Lets a [`reader_child`] read, and returns how it ended.
fn release_reader((tx, pid): (std::os::fd::OwnedFd, i32)) -> i32 {
    use std::os::fd::AsRawFd;
    // SAFETY: Writes one byte to our pipe, then waits for the child.
    unsafe {
        libc::write(tx.as_raw_fd(), [1u8].as_ptr().cast(), 1);
        let mut status = 0;
        libc::waitpid(pid, &mut status, 0);
        status
    }
}

#[test]
fn revoking_a_resource_zaps_every_mapping_and_refuses_every_later_use() {
    require_vm();
    let (bar, _) = ivshmem_bar2_sized(64 * MIB);
    let top = bar_resource(&bar, ResourceFlags::EXCLUSIVE, "revoke-me");
    assert!(top.basic_info().unwrap().rights.contains(Rights::DESTROY));
    let child = Resource::create(
        &top,
        ResourceKind::Mmio,
        ResourceFlags::empty(),
        bar.base,
        16 * MIB,
        "revoke-child",
    )
    .unwrap();
    let vmo = Vmo::create_physical(&child, bar.base, (16 * MIB) as usize).unwrap();
    let slice = vmo
        .create_child(zxvmo::VmoChildOptions::SLICE, 2 * MIB, 2 * MIB)
        .unwrap();
    let m = vmo.map(0, (16 * MIB) as usize, RW).unwrap();
    let ms = slice.map(0, (2 * MIB) as usize, RW).unwrap();
    touch(&m, 0, 16 * MIB);
    touch(&ms, 0, 2 * MIB);
    // An unrelated resource, which must keep working.
    let edu = edu_bar0();
    let other = bar_resource(&edu, ResourceFlags::empty(), "bystander");
    let other_vmo = Vmo::create_physical(&other, edu.base, PAGE as usize).unwrap();
    let other_map = other_vmo.map(0, PAGE as usize, RW).unwrap();

    // Children holding the mappings (inherited by fork) and waiting.
    let kids = [
        reader_child(m.as_ptr() as usize + (5 * MIB) as usize),
        reader_child(ms.as_ptr() as usize),
    ];

    // A handle without DESTROY cannot revoke.
    let weak = top
        .duplicate_handle(Rights::DUPLICATE | Rights::WRITE | Rights::INSPECT)
        .unwrap();
    assert_eq!(weak.revoke().unwrap_err(), Status::ACCESS_DENIED);
    assert!(iomem_has("zxvmo:revoke-me"));

    top.revoke().unwrap();
    assert!(
        !iomem_has("zxvmo:revoke-me"),
        "the iomem claim is released at revocation"
    );
    for kid in kids {
        let status = release_reader(kid);
        assert!(
            libc::WIFSIGNALED(status) && libc::WTERMSIG(status) == libc::SIGBUS,
            "a forked holder of the mapping gets SIGBUS (status {status:#x})"
        );
    }
    // This process's own mappings too.
    for addr in [m.as_ptr() as usize, ms.as_ptr() as usize + PAGE as usize] {
        let status = release_reader(reader_child(addr));
        assert!(libc::WIFSIGNALED(status) && libc::WTERMSIG(status) == libc::SIGBUS);
    }
    // Every later use that would reach memory: BAD_STATE.
    let bad = Status::BAD_STATE;
    assert_eq!(vmo.map(0, PAGE as usize, RW).unwrap_err(), bad);
    assert_eq!(slice.map(0, PAGE as usize, RW).unwrap_err(), bad);
    assert_eq!(
        vmo.create_child(zxvmo::VmoChildOptions::SLICE, 0, PAGE)
            .unwrap_err(),
        bad
    );
    assert_eq!(
        Vmo::create_physical(&child, bar.base, PAGE as usize).unwrap_err(),
        bad
    );
    assert_eq!(
        Vmo::create_physical(&top, bar.base, PAGE as usize).unwrap_err(),
        bad
    );
    assert_eq!(
        Resource::create(
            &child,
            ResourceKind::Mmio,
            ResourceFlags::empty(),
            bar.base,
            PAGE,
            "late"
        )
        .unwrap_err(),
        bad
    );
    assert_eq!(
        vmo.set_cache_policy(zxvmo::CachePolicy::Uncached)
            .unwrap_err(),
        bad
    );
    // Handles still inspect, duplicate and close; revoking again is a no-op.
    assert_eq!(vmo.get_size().unwrap(), 16 * MIB);
    assert!(vmo.duplicate_handle(Rights::SAME_RIGHTS).is_ok());
    top.revoke().unwrap();
    // The range is free for a new owner while the old handles live.
    let next = bar_resource(&bar, ResourceFlags::EXCLUSIVE, "next-owner");
    let next_vmo = Vmo::create_physical(&next, bar.base, PAGE as usize).unwrap();
    let nm = next_vmo.map(0, PAGE as usize, RW).unwrap();
    nm.write32(0, 0x1234_5678).unwrap();
    assert_eq!(nm.read32(0).unwrap(), 0x1234_5678);
    // The bystander never noticed.
    other_map.read32(0).unwrap();
    drop((m, ms, nm));
}

#[test]
fn revoking_the_root_resource_revokes_what_was_made_from_it() {
    require_vm();
    let edu = edu_bar0();
    let root = root();
    let direct = Vmo::create_physical(&root, edu.base, PAGE as usize).unwrap();
    let m = direct.map(0, PAGE as usize, RW).unwrap();
    m.read32(0).unwrap();
    let res = Resource::create(
        &root,
        ResourceKind::Mmio,
        ResourceFlags::EXCLUSIVE,
        edu.base,
        edu.size,
        "root-revoke",
    )
    .unwrap();
    root.revoke().unwrap();
    assert!(!iomem_has("zxvmo:root-revoke"));
    let status = release_reader(reader_child(m.as_ptr() as usize));
    assert!(libc::WIFSIGNALED(status) && libc::WTERMSIG(status) == libc::SIGBUS);
    assert_eq!(
        Vmo::create_physical(&res, edu.base, PAGE as usize).unwrap_err(),
        Status::BAD_STATE
    );
    // A new root resource is a new grant.
    let again = zxvmo_vmtests::root();
    assert!(Vmo::create_physical(&again, edu.base, PAGE as usize).is_ok());
    drop(m);
}
