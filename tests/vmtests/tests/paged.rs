//! Paged VMOs (seed 004), children and `ZX_VMO_ZERO_CHILDREN`, on the real
//! module.

use std::os::fd::{AsFd, AsRawFd};
use std::time::Duration;

use zxvmo::{
    sys, CachePolicy, Deadline, HandleBased, Resource, ResourceFlags, ResourceKind, Rights,
    Signals, Status, VmarFlags, Vmo, VmoChildOptions, VmoOptions,
};
use zxvmo_vmtests::*;

const PAGE: u64 = 4096;
const RW: VmarFlags = VmarFlags::PERM_READ.union(VmarFlags::PERM_WRITE);
const SHORT: Duration = Duration::from_millis(50);

fn vmo(size: u64) -> Vmo {
    require_vm();
    Vmo::create(size).expect("create a paged VMO")
}

fn zero_children(v: &Vmo) -> bool {
    v.wait_one(Signals::VMO_ZERO_CHILDREN, Deadline::PAST)
        .is_ok()
}

#[test]
fn seed_size_is_rounded_up_to_the_page_and_content_size_is_not() {
    for (asked, size) in [
        (0, 0),
        (1, PAGE),
        (PAGE, PAGE),
        (PAGE + 1, 2 * PAGE),
        (100_000, 25 * PAGE),
    ] {
        let v = vmo(asked);
        assert_eq!(
            v.get_size().unwrap(),
            size,
            "size of a VMO asked for {asked}"
        );
        assert_eq!(
            v.get_content_size().unwrap(),
            asked,
            "content size of {asked}"
        );
    }
}

#[test]
fn seed_default_rights_and_a_new_vmo_has_zero_children() {
    let v = vmo(PAGE);
    let info = v.basic_info().unwrap();
    assert_eq!(info.rights, Rights::VMO_DEFAULT);
    assert_eq!(info.obj_type, sys::ZX_OBJ_TYPE_VMO);
    assert_ne!(info.flags & sys::ZX_INFO_VMO_TYPE_PAGED, 0);
    assert_ne!(
        info.flags & sys::ZX_INFO_VMO_RESIZABLE,
        0,
        "options 0 is resizable"
    );
    assert_eq!(info.cache_policy, sys::ZX_CACHE_POLICY_CACHED);
    assert_eq!(
        v.wait_one(Signals::VMO_ZERO_CHILDREN, Deadline::PAST)
            .unwrap(),
        Signals::VMO_ZERO_CHILDREN
    );
}

#[test]
fn seed_options_other_than_0_or_non_resizable_are_invalid_args() {
    require_vm();
    let dev = zxvmo::Device::global().unwrap();
    for options in [2u32, 4, 0x8000_0000, sys::ZX_VMO_NON_RESIZABLE | 2] {
        let mut args = sys::ZxvmoVmoCreate {
            size: PAGE,
            options,
            reserved: 0,
        };
        let r = raw_ioctl(
            dev.as_fd(),
            sys::ZXVMO_IOC_VMO_CREATE,
            &mut args as *mut _ as usize,
        );
        assert_eq!(
            r.map_err(Status::from_errno),
            Err(Status::INVALID_ARGS),
            "options {options:#x}"
        );
    }
    let v = Vmo::create_with_opts(VmoOptions::NON_RESIZABLE, PAGE).unwrap();
    assert_eq!(
        v.basic_info().unwrap().flags & sys::ZX_INFO_VMO_RESIZABLE,
        0
    );
    assert_eq!(v.set_size(2 * PAGE), Err(Status::UNAVAILABLE));
    assert_eq!(v.get_size().unwrap(), PAGE);
}

#[test]
fn seed_clones_of_a_non_resizable_vmo_can_be_resized() {
    let v = Vmo::create_with_opts(VmoOptions::NON_RESIZABLE, PAGE).unwrap();
    v.write(b"parent", 0).unwrap();
    let c = v
        .create_child(
            VmoChildOptions::SNAPSHOT | VmoChildOptions::RESIZABLE,
            0,
            PAGE,
        )
        .unwrap();
    c.set_size(3 * PAGE).unwrap();
    assert_eq!(c.get_size().unwrap(), 3 * PAGE);
    let mut buf = [0u8; 6];
    c.read(&mut buf, 0).unwrap();
    assert_eq!(&buf, b"parent");
}

#[test]
fn seed_too_large_is_out_of_range_never_a_warning() {
    require_vm();
    for size in [u64::MAX, u64::MAX - PAGE + 2, 1 << 63] {
        assert_eq!(
            Vmo::create(size).unwrap_err(),
            Status::OUT_OF_RANGE,
            "size {size:#x}"
        );
    }
    let v = vmo(PAGE);
    assert_eq!(v.set_size(u64::MAX), Err(Status::OUT_OF_RANGE));
    assert_eq!(v.get_size().unwrap(), PAGE);
}

#[test]
fn seed_no_memory_on_allocation_failure_and_nothing_half_made() {
    require_vm();
    let _ = zxvmo::Device::global().unwrap();
    let injected = fail_each_allocation(|| Vmo::create(PAGE));
    assert!(injected > 0, "no allocation failure was injected");
}

#[test]
fn read_and_write_at_offsets_with_bounds() {
    let v = vmo(2 * PAGE);
    v.write(b"hello", 10).unwrap();
    v.write(b"edge", 2 * PAGE - 4).unwrap();
    let mut buf = [0u8; 5];
    v.read(&mut buf, 10).unwrap();
    assert_eq!(&buf, b"hello");
    let mut e = [0u8; 4];
    v.read(&mut e, 2 * PAGE - 4).unwrap();
    assert_eq!(&e, b"edge");
    // Out of range: refused whole, nothing written.
    assert_eq!(
        v.write(b"XXXXXXXX", 2 * PAGE - 4),
        Err(Status::OUT_OF_RANGE)
    );
    assert_eq!(v.write(b"X", 2 * PAGE), Err(Status::OUT_OF_RANGE));
    assert_eq!(v.write(b"X", u64::MAX), Err(Status::OUT_OF_RANGE));
    v.read(&mut e, 2 * PAGE - 4).unwrap();
    assert_eq!(&e, b"edge", "a refused write changed the VMO");
    assert_eq!(
        v.read(&mut [0u8; 8], 2 * PAGE - 4),
        Err(Status::OUT_OF_RANGE)
    );
    // Zero-length at the end is fine; a bad buffer is INVALID_ARGS.
    v.write(b"", 2 * PAGE).unwrap();
    let mut rw = sys::ZxvmoVmoRw {
        offset: 0,
        buffer: 8,
        len: 4,
    };
    let r = raw_ioctl(
        v.as_fd(),
        sys::ZXVMO_IOC_VMO_WRITE,
        &mut rw as *mut _ as usize,
    );
    assert_eq!(r.map_err(Status::from_errno), Err(Status::INVALID_ARGS));
    // Rights: READ for read, WRITE for write.
    let ro = v.duplicate_handle(Rights::READ).unwrap();
    assert_eq!(ro.write(b"x", 0), Err(Status::ACCESS_DENIED));
    ro.read(&mut buf, 10).unwrap();
    let wo = v.duplicate_handle(Rights::WRITE).unwrap();
    assert_eq!(wo.read(&mut buf, 0), Err(Status::ACCESS_DENIED));
}

/// A large read clears the user's bytes of a 64 KiB piece the VMO holds no
/// data for, instead of copying zeros (the module's read moves 64 KiB at a
/// time). Every piece must still read exactly as the VMO holds it: data,
/// never-written memory, decommitted memory, at offsets aligned to nothing,
/// into a buffer full of 0xff; and a buffer that ends in unmapped memory
/// is refused there, in a hole as in data.
#[test]
fn large_reads_see_data_and_zeros_exactly_wherever_they_lie() {
    const CHUNK: u64 = 64 << 10;
    let size = 16 * CHUNK;
    require_vm();
    let v = Vmo::create_with_opts(VmoOptions::NON_RESIZABLE, size).unwrap();
    let mut model = vec![0u8; size as usize];
    let mut put = |v: &Vmo, data: &[u8], at: u64| {
        v.write(data, at).unwrap();
        model[at as usize..at as usize + data.len()].copy_from_slice(data);
    };
    put(&v, b"first", 0);
    put(&v, b"one past a piece", CHUNK + 5);
    put(&v, b"ends a piece", 5 * CHUNK - 12);
    put(&v, &[0x5a; 3 * PAGE as usize], 10 * CHUNK - PAGE);
    put(&v, b"last", size - 4);
    let check = |v: &Vmo, model: &[u8], what: &str| {
        let size = model.len() as u64;
        for (at, len) in [
            (0, size),
            (3, size - 3),
            (PAGE + 7, size - 2 * PAGE),
            (2 * CHUNK, 3 * CHUNK),
        ] {
            let mut buf = vec![0xffu8; len as usize];
            v.read(&mut buf, at).unwrap();
            let want = &model[at as usize..(at + len) as usize];
            if let Some(i) = (0..buf.len()).find(|&i| buf[i] != want[i]) {
                panic!(
                    "{what}: a read of {len} bytes at {at}: byte {} is {:#x}, the VMO holds {:#x}",
                    at as usize + i,
                    buf[i],
                    want[i]
                );
            }
        }
    };
    check(&v, &model, "written");
    // Decommitted memory reads as zeros again, in a hole as in data.
    v.op_range(zxvmo::VmoOp::DECOMMIT, CHUNK, 4 * CHUNK)
        .unwrap();
    model[CHUNK as usize..5 * CHUNK as usize].fill(0);
    check(&v, &model, "decommitted");
    // A slice starts inside its parent's file: its pieces are not the
    // parent's.
    let s = v
        .create_child(VmoChildOptions::SLICE, 9 * CHUNK, 7 * CHUNK)
        .unwrap();
    check(&s, &model[9 * CHUNK as usize..], "a slice");

    // A buffer whose last page is unmapped: refused (INVALID_ARGS, as for
    // any bad buffer) whether that piece is a hole or data.
    let len = 2 * CHUNK as usize;
    let buf = anon_mapping(len);
    let last = buf as usize + len - PAGE as usize;
    // SAFETY: The last page of the mapping made above.
    let unmapped = unsafe { libc::munmap(last as *mut _, PAGE as usize) };
    assert_eq!(unmapped, 0);
    for (at, what) in [(6 * CHUNK, "a hole"), (9 * CHUNK, "data")] {
        let mut rw = sys::ZxvmoVmoRw {
            offset: at,
            buffer: buf as u64,
            len: len as u64,
        };
        let r = raw_ioctl(
            v.as_fd(),
            sys::ZXVMO_IOC_VMO_READ,
            &mut rw as *mut _ as usize,
        );
        assert_eq!(
            r.map_err(Status::from_errno),
            Err(Status::INVALID_ARGS),
            "a read of {what} into a buffer that ends unmapped"
        );
    }
    // SAFETY: The rest of the mapping made above.
    unsafe { libc::munmap(buf, len - PAGE as usize) };
    // Seven pages written, two of them decommitted: reads commit nothing.
    assert_eq!(v.basic_info().unwrap().committed_bytes, 5 * PAGE);
}

#[test]
fn set_size_grows_and_shrinks_keeping_data_below_and_zeroing_beyond() {
    let v = vmo(3 * PAGE);
    let data: Vec<u8> = (0..3 * PAGE).map(|i| (i % 251) as u8 + 1).collect();
    v.write(&data, 0).unwrap();
    v.set_size(PAGE + 100).unwrap();
    assert_eq!(v.get_size().unwrap(), 2 * PAGE);
    assert_eq!(
        v.get_content_size().unwrap(),
        PAGE + 100,
        "content size follows"
    );
    let mut kept = vec![0u8; 2 * PAGE as usize];
    v.read(&mut kept, 0).unwrap();
    assert_eq!(
        kept,
        data[..2 * PAGE as usize],
        "data below the new size preserved"
    );
    assert_eq!(v.read(&mut [0u8; 1], 2 * PAGE), Err(Status::OUT_OF_RANGE));
    v.set_size(4 * PAGE).unwrap();
    let mut grown = vec![0xffu8; 2 * PAGE as usize];
    v.read(&mut grown, 2 * PAGE).unwrap();
    assert!(
        grown.iter().all(|&b| b == 0),
        "memory beyond the old size reads as zero"
    );
    v.set_size(0).unwrap();
    assert_eq!(v.get_size().unwrap(), 0);
    let ro = v.duplicate_handle(Rights::READ).unwrap();
    assert_eq!(ro.set_size(PAGE), Err(Status::ACCESS_DENIED));
}

#[test]
fn a_mapping_beyond_a_shrunk_size_gets_sigbus_never_stale_memory() {
    let v = vmo(4 * PAGE);
    v.write(&[0x5a; 4 * PAGE as usize], 0).unwrap();
    // SAFETY: The child only touches its own mapping and exits.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        let m = v.map(0, 4 * PAGE as usize, RW).unwrap();
        let ok = m.read8(3 * PAGE as usize) == Ok(0x5a);
        v.set_size(PAGE).unwrap();
        let below = m.read8(100) == Ok(0x5a);
        if !(ok && below) {
            // SAFETY: Exits the child.
            unsafe { libc::_exit(3) };
        }
        // Must die here with SIGBUS.
        let stale = m.read8(3 * PAGE as usize);
        // SAFETY: Exits the child; reaching this is the failure.
        unsafe { libc::_exit(if stale == Ok(0x5a) { 4 } else { 5 }) };
    }
    let mut status = 0;
    // SAFETY: Waits for the child just forked.
    unsafe { libc::waitpid(pid, &mut status, 0) };
    assert!(
        libc::WIFSIGNALED(status) && libc::WTERMSIG(status) == libc::SIGBUS,
        "child status {status:#x}: expected death by SIGBUS"
    );
}

#[test]
fn mapping_shares_memory_with_read_and_write_and_checks_rights() {
    let v = vmo(2 * PAGE);
    let m = v.map(0, 2 * PAGE as usize, RW).unwrap();
    m.write_bytes(PAGE as usize, b"through the mapping")
        .unwrap();
    let mut buf = [0u8; 19];
    v.read(&mut buf, PAGE).unwrap();
    assert_eq!(&buf, b"through the mapping");
    v.write(b"through write", 8).unwrap();
    let mut back = [0u8; 13];
    m.read_bytes(8, &mut back).unwrap();
    assert_eq!(&back, b"through write");
    let m2 = v.map(PAGE, PAGE as usize, VmarFlags::PERM_READ).unwrap();
    assert_eq!(m2.read8(0).unwrap(), b't', "offset mappings");
    assert_eq!(v.basic_info().unwrap().num_mappings, 2);
    let ro = v.duplicate_handle(Rights::READ | Rights::MAP).unwrap();
    assert_eq!(
        ro.map(0, PAGE as usize, RW).unwrap_err(),
        Status::ACCESS_DENIED
    );
    assert_eq!(
        v.map(PAGE, 2 * PAGE as usize, RW).unwrap_err(),
        Status::OUT_OF_RANGE
    );
    assert_eq!(
        v.set_cache_policy(CachePolicy::Uncached),
        Err(Status::NOT_SUPPORTED)
    );
    assert_eq!(
        v.set_cache_policy(CachePolicy::Cached),
        Err(Status::BAD_STATE),
        "mapped"
    );
}

#[test]
fn memory_is_lazy_and_charged_to_the_callers_cgroup() {
    require_vm();
    let dir = memory_cgroup("zxvmo-lazy");
    let code = {
        // SAFETY: The child runs the measurement and exits.
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            let current = || -> u64 {
                std::fs::read_to_string(format!("{dir}/memory.current"))
                    .unwrap()
                    .trim()
                    .parse()
                    .unwrap()
            };
            std::fs::write(format!("{dir}/cgroup.procs"), "0").unwrap();
            let v = Vmo::create(1 << 30).unwrap();
            let m = v.map(0, 1 << 30, RW).unwrap();
            // memory.current moves in per-CPU batches of up to 64 pages, so
            // one page shows only as "far less than a GiB"; 1024 pages show
            // that touching is what gets charged.
            let before = current();
            m.write8(512 << 20, 1).unwrap();
            let one = current().saturating_sub(before);
            let committed_one = v.basic_info().unwrap().committed_bytes;
            for i in 0..1024usize {
                m.write8((600 << 20) + i * PAGE as usize, 1).unwrap();
            }
            let many = current().saturating_sub(before);
            let committed_many = v.basic_info().unwrap().committed_bytes;
            println!(
                "1 GiB VMO: one page touched: cgroup +{one} B, committed {committed_one} B; \
                 1025 pages: cgroup +{many} B, committed {committed_many} B"
            );
            let code = if committed_one != PAGE || committed_many != 1025 * PAGE {
                2
            } else if many < 3 << 20 {
                3
            } else if one > 1 << 20 || many > 8 << 20 {
                4
            } else {
                0
            };
            // SAFETY: Exits the child.
            unsafe { libc::_exit(code) };
        }
        let mut status = 0;
        // SAFETY: Waits for the child just forked.
        unsafe { libc::waitpid(pid, &mut status, 0) };
        libc::WEXITSTATUS(status)
    };
    let _ = std::fs::remove_dir(&dir);
    assert_eq!(
        code, 0,
        "2: committed != one page, 3: not charged, 4: charged far more"
    );
}

#[test]
fn snapshots_are_isolated_both_ways() {
    let v = vmo(2 * PAGE);
    v.write(b"before", 0).unwrap();
    v.write(b"second page", PAGE).unwrap();
    let s = v
        .create_child(VmoChildOptions::SNAPSHOT, 0, 2 * PAGE)
        .unwrap();
    let info = s.basic_info().unwrap();
    assert_eq!(info.parent_koid, v.basic_info().unwrap().koid);
    assert_ne!(info.flags & sys::ZX_INFO_VMO_IS_COW_CLONE, 0);
    v.write(b"AFTER!", 0).unwrap();
    let mut buf = [0u8; 6];
    s.read(&mut buf, 0).unwrap();
    assert_eq!(&buf, b"before", "the snapshot saw a later parent write");
    s.write(b"child!", 0).unwrap();
    v.read(&mut buf, 0).unwrap();
    assert_eq!(&buf, b"AFTER!", "the parent saw a snapshot write");
    let mut p2 = [0u8; 11];
    s.read(&mut p2, PAGE).unwrap();
    assert_eq!(&p2, b"second page");
    // A snapshot at an offset, and one larger than the parent (zeros beyond).
    let off = v
        .create_child(VmoChildOptions::SNAPSHOT, PAGE, 3 * PAGE)
        .unwrap();
    off.read(&mut p2, 0).unwrap();
    assert_eq!(&p2, b"second page");
    let mut z = [0xffu8; 16];
    off.read(&mut z, 2 * PAGE).unwrap();
    assert_eq!(z, [0; 16]);
    // Regression (found by the fuzzer): a snapshot of a slice at an offset
    // far past its end once overflowed `slice start + offset` in the
    // kernel (a Rust overflow panic, so a BUG). Past the end is all zeros.
    let base = Vmo::create_with_opts(VmoOptions::NON_RESIZABLE, 4 * PAGE).unwrap();
    let slice = base
        .create_child(VmoChildOptions::SLICE, 2 * PAGE, PAGE)
        .unwrap();
    let far = slice
        .create_child(VmoChildOptions::SNAPSHOT, 0xffff_ffff_ffff_e000, PAGE)
        .unwrap();
    z = [0xff; 16];
    far.read(&mut z, 0).unwrap();
    assert_eq!(z, [0; 16]);
    // NO_WRITE takes the right away.
    let nw = v
        .create_child(
            VmoChildOptions::SNAPSHOT | VmoChildOptions::NO_WRITE,
            0,
            PAGE,
        )
        .unwrap();
    assert_eq!(nw.write(b"x", 0), Err(Status::ACCESS_DENIED));
}

#[test]
fn slices_share_memory_both_ways_and_are_bounded() {
    require_vm();
    // Regression: a slice's view file once dropped a module reference it
    // never took; the count must come back to where it was.
    let refcnt = module_refcnt();
    let v = Vmo::create_with_opts(VmoOptions::NON_RESIZABLE, 4 * PAGE).unwrap();
    let s = v
        .create_child(VmoChildOptions::SLICE, PAGE, 2 * PAGE)
        .unwrap();
    assert_ne!(s.basic_info().unwrap().flags & sys::ZX_INFO_VMO_IS_SLICE, 0);
    v.write(b"from parent", PAGE + 5).unwrap();
    let mut buf = [0u8; 11];
    s.read(&mut buf, 5).unwrap();
    assert_eq!(&buf, b"from parent");
    s.write(b"from slice!", 100).unwrap();
    v.read(&mut buf, PAGE + 100).unwrap();
    assert_eq!(&buf, b"from slice!");
    // Through mappings too.
    let sm = s.map(0, 2 * PAGE as usize, RW).unwrap();
    sm.write_bytes(PAGE as usize, b"mapped").unwrap();
    let mut m6 = [0u8; 6];
    v.read(&mut m6, 2 * PAGE).unwrap();
    assert_eq!(&m6, b"mapped");
    // The mapping cannot be stretched or moved outside the slice: not by
    // mremap, nor by remap_file_pages to another offset of the memory.
    // SAFETY: Asks to grow the live mapping `sm` in place; refused.
    let grown =
        unsafe { libc::mremap(sm.as_ptr().cast(), 2 * PAGE as usize, 3 * PAGE as usize, 0) };
    assert_eq!(grown, libc::MAP_FAILED, "mremap grew a slice mapping");
    // SAFETY: Asks to remap `sm`'s first page to page 3 of the parent's
    // memory (outside the slice); refused. The kernel leaves a gap where a
    // refused MAP_FIXED remap was, so `sm` is not touched again.
    let r = unsafe { libc::syscall(libc::SYS_remap_file_pages, sm.as_ptr(), PAGE, 0, 3, 0) };
    assert_eq!(
        r, -1,
        "remap_file_pages moved a slice mapping outside the slice"
    );
    drop(sm);
    // Bounds and kinds.
    assert_eq!(s.write(b"x", 2 * PAGE), Err(Status::OUT_OF_RANGE));
    assert_eq!(
        v.create_child(VmoChildOptions::SLICE, 3 * PAGE, 2 * PAGE)
            .unwrap_err(),
        Status::INVALID_ARGS,
        "a slice that is not inside its parent (Zircon's status)"
    );
    assert_eq!(
        v.create_child(VmoChildOptions::SLICE, 100, PAGE)
            .unwrap_err(),
        Status::INVALID_ARGS
    );
    assert_eq!(
        v.create_child(VmoChildOptions::SLICE | VmoChildOptions::SNAPSHOT, 0, PAGE)
            .unwrap_err(),
        Status::INVALID_ARGS
    );
    assert_eq!(
        v.create_child(VmoChildOptions::empty(), 0, PAGE)
            .unwrap_err(),
        Status::INVALID_ARGS
    );
    assert_eq!(
        vmo(PAGE)
            .create_child(VmoChildOptions::SLICE, 0, PAGE)
            .unwrap_err(),
        Status::NOT_SUPPORTED,
        "a slice of a resizable VMO"
    );
    assert_eq!(
        s.set_size(PAGE),
        Err(Status::UNAVAILABLE),
        "slices are not resizable"
    );
    let nodup = v.duplicate_handle(Rights::READ).unwrap();
    assert_eq!(
        nodup
            .create_child(VmoChildOptions::SLICE, 0, PAGE)
            .unwrap_err(),
        Status::ACCESS_DENIED
    );
    drop((s, v, nodup));
    // Files are released asynchronously (task work): give them a moment.
    for _ in 0..100 {
        if module_refcnt() == refcnt {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(
        module_refcnt(),
        refcnt,
        "slices leaked or dropped module references"
    );
}

#[test]
fn physical_slices_inherit_the_cache_policy_and_snapshots_are_refused() {
    require_vm();
    let bar = edu_bar0();
    let res = Resource::create(
        &Resource::root().unwrap(),
        ResourceKind::Mmio,
        ResourceFlags::empty(),
        bar.base,
        bar.size,
        "edu-slices",
    )
    .unwrap();
    let p = Vmo::create_physical(&res, bar.base, 2 * PAGE as usize).unwrap();
    p.set_cache_policy(CachePolicy::UncachedDevice).unwrap();
    assert_eq!(
        p.create_child(VmoChildOptions::SNAPSHOT, 0, PAGE)
            .unwrap_err(),
        Status::NOT_SUPPORTED
    );
    let s = p.create_child(VmoChildOptions::SLICE, 0, PAGE).unwrap();
    assert_eq!(
        s.basic_info().unwrap().cache_policy,
        CachePolicy::UncachedDevice as u32
    );
    let m = s.map(0, PAGE as usize, VmarFlags::PERM_READ).unwrap();
    assert_eq!(
        m.read32(0).unwrap(),
        0x0100_00ed,
        "the slice maps the parent's memory"
    );
    assert_eq!(
        p.set_cache_policy(CachePolicy::Uncached),
        Err(Status::BAD_STATE),
        "has a child"
    );
    assert_eq!(
        p.create_child(VmoChildOptions::SLICE, PAGE, 2 * PAGE)
            .unwrap_err(),
        Status::INVALID_ARGS
    );
    drop((m, s));
    p.set_cache_policy(CachePolicy::Uncached).unwrap();
}

#[test]
fn zero_children_clears_on_a_child_and_returns_when_it_is_gone() {
    let v = vmo(PAGE);
    assert!(zero_children(&v), "active on a new VMO");
    let c = v.create_child(VmoChildOptions::SNAPSHOT, 0, PAGE).unwrap();
    assert!(!zero_children(&v), "inactive while a child exists");
    assert_eq!(
        v.wait_one(Signals::VMO_ZERO_CHILDREN, Deadline::after(SHORT)),
        Err(Status::TIMED_OUT)
    );
    let dup = c.duplicate_handle(Rights::SAME_RIGHTS).unwrap();
    drop(c);
    assert!(!zero_children(&v), "a duplicate handle keeps the child");
    let m = dup.map(0, PAGE as usize, VmarFlags::PERM_READ).unwrap();
    drop(dup);
    assert!(!zero_children(&v), "a mapping keeps the child");
    drop(m);
    assert_eq!(
        v.wait_one(Signals::VMO_ZERO_CHILDREN, Deadline::INFINITE)
            .unwrap(),
        Signals::VMO_ZERO_CHILDREN
    );
    assert_eq!(v.basic_info().unwrap().num_children, 0);
}

fn poll_readable(fd: std::os::fd::BorrowedFd<'_>, timeout_ms: i32) -> bool {
    let mut p = libc::pollfd {
        fd: fd.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: One valid pollfd.
    let n = unsafe { libc::poll(&mut p, 1, timeout_ms) };
    n == 1 && p.revents & libc::POLLIN != 0
}

#[test]
fn a_child_mapped_in_another_process_keeps_the_signal_until_it_unmaps() {
    let v = vmo(PAGE);
    let c = v.create_child(VmoChildOptions::SNAPSHOT, 0, PAGE).unwrap();
    let mut go = [0; 2];
    let mut ready = [0; 2];
    // SAFETY: Two arrays with room for two descriptors each.
    unsafe {
        assert_eq!(libc::pipe(go.as_mut_ptr()), 0);
        assert_eq!(libc::pipe(ready.as_mut_ptr()), 0);
    }
    // SAFETY: The child only makes raw syscalls on inherited descriptors
    // and exits.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        // SAFETY: Plain syscalls; every path ends in `_exit`.
        unsafe {
            let p = libc::mmap(
                std::ptr::null_mut(),
                PAGE as usize,
                libc::PROT_READ,
                libc::MAP_SHARED,
                c.as_raw_fd(),
                0,
            );
            if p == libc::MAP_FAILED {
                libc::_exit(2);
            }
            // Only the mapping remains in this process.
            libc::close(c.as_raw_fd());
            libc::write(ready[1], b"r".as_ptr().cast(), 1);
            let mut b = 0u8;
            libc::read(go[0], (&mut b as *mut u8).cast(), 1);
            libc::munmap(p, PAGE as usize);
            libc::_exit(0);
        }
    }
    let mut b = 0u8;
    // SAFETY: Reads one byte from our pipe.
    let n = unsafe { libc::read(ready[0], (&mut b as *mut u8).cast(), 1) };
    assert_eq!(n, 1);
    drop(c);
    assert!(
        !zero_children(&v),
        "the other process's mapping keeps the child"
    );
    assert!(
        !poll_readable(v.as_fd(), 100),
        "poll reported the signal too early"
    );
    let waiter = {
        let dup = v.duplicate_handle(Rights::SAME_RIGHTS).unwrap();
        std::thread::spawn(move || poll_readable(dup.as_fd(), 20_000))
    };
    std::thread::sleep(SHORT);
    // SAFETY: Writes one byte to the child's pipe.
    assert_eq!(unsafe { libc::write(go[1], b"g".as_ptr().cast(), 1) }, 1);
    assert!(
        waiter.join().unwrap(),
        "poll did not wake when the last mapping went"
    );
    assert!(zero_children(&v));
    let mut status = 0;
    // SAFETY: Waits for the child just forked.
    unsafe { libc::waitpid(pid, &mut status, 0) };
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "{status:#x}"
    );
    for fd in go.into_iter().chain(ready) {
        // SAFETY: Our pipe ends, closed once.
        unsafe { libc::close(fd) };
    }
}
