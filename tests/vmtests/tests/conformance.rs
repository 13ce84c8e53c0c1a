//! Zircon's own core tests, ported: the cases of
//! `zircon/system/utest/core/vmo/` (vmo-slice.cc, vmo.cc, vmo-clone2.cc)
//! that apply to zxvmo, each named after the Zircon test it follows, run
//! against the crate on the real module. What differs from Zircon, and why,
//! is in README.md's table of deviations.

use zxvmo::{HandleBased, Rights, Signals, Status, VmarFlags, Vmo, VmoChildOptions, VmoOp};
use zxvmo_vmtests::*;

const PAGE: u64 = 4096;

fn vmo(size: u64) -> Vmo {
    require_vm();
    Vmo::create(size).unwrap()
}

fn non_resizable(size: u64) -> Vmo {
    require_vm();
    Vmo::create_with_opts(zxvmo::VmoOptions::NON_RESIZABLE, size).unwrap()
}

fn read_u32(v: &Vmo, offset: u64) -> u32 {
    let mut b = [0u8; 4];
    v.read(&mut b, offset).unwrap();
    u32::from_ne_bytes(b)
}

fn write_u32(v: &Vmo, offset: u64, value: u32) {
    v.write(&value.to_ne_bytes(), offset).unwrap();
}

/// VmoSliceTestCase.WriteThrough
#[test]
fn slice_write_through() {
    let v = non_resizable(4 * PAGE);
    write_u32(&v, 0, 42);
    write_u32(&v, PAGE, 42);
    let s = v
        .create_child(VmoChildOptions::SLICE, PAGE, 2 * PAGE)
        .unwrap();
    assert_eq!(read_u32(&s, 0), 42);
    write_u32(&s, 0, 84);
    write_u32(&s, PAGE, 84);
    assert_eq!(read_u32(&v, 0), 42);
    assert_eq!(read_u32(&v, PAGE), 84);
    assert_eq!(read_u32(&v, 2 * PAGE), 84);
    assert_eq!(read_u32(&v, 3 * PAGE), 0);
}

/// VmoSliceTestCase.DecommitParent
#[test]
fn slice_decommit_parent() {
    let v = non_resizable(PAGE);
    v.write(&[42], 0).unwrap();
    let s = v.create_child(VmoChildOptions::SLICE, 0, PAGE).unwrap();
    let mut b = [0u8];
    s.read(&mut b, 0).unwrap();
    assert_eq!(b, [42]);
    v.op_range(VmoOp::DECOMMIT, 0, PAGE).unwrap();
    s.read(&mut b, 0).unwrap();
    assert_eq!(b, [0], "the slice sees fresh zero pages");
}

/// VmoSliceTestCase.Nested
#[test]
fn slice_nested() {
    let v = non_resizable(2 * PAGE);
    write_u32(&v, 0, 42);
    let s = v.create_child(VmoChildOptions::SLICE, 0, 2 * PAGE).unwrap();
    let ss = s.create_child(VmoChildOptions::SLICE, 0, 2 * PAGE).unwrap();
    assert_eq!(read_u32(&ss, 0), 42);
    write_u32(&ss, 0, 84);
    write_u32(&ss, PAGE, 84);
    assert_eq!(read_u32(&v, 0), 84);
    assert_eq!(read_u32(&v, PAGE), 84);
}

/// VmoSliceTestCase.NonSlice
#[test]
fn slice_not_inside_the_parent() {
    let v = non_resizable(2 * PAGE);
    let slice = |offset, size| v.create_child(VmoChildOptions::SLICE, offset, size);
    assert_eq!(slice(0, 3 * PAGE).unwrap_err(), Status::INVALID_ARGS);
    assert_eq!(slice(PAGE, 2 * PAGE).unwrap_err(), Status::INVALID_ARGS);
    assert_eq!(slice(2 * PAGE, PAGE).unwrap_err(), Status::INVALID_ARGS);
    assert_eq!(slice(0, u64::MAX).unwrap_err(), Status::OUT_OF_RANGE);
    let nearly_int_max = u64::MAX - PAGE + 1;
    assert_eq!(slice(0, nearly_int_max).unwrap_err(), Status::OUT_OF_RANGE);
    assert_eq!(
        slice(nearly_int_max, PAGE).unwrap_err(),
        Status::INVALID_ARGS
    );
    assert_eq!(
        slice(nearly_int_max, nearly_int_max).unwrap_err(),
        Status::OUT_OF_RANGE
    );
    assert_eq!(
        slice(nearly_int_max, u64::MAX).unwrap_err(),
        Status::OUT_OF_RANGE
    );
}

/// VmoSliceTestCase.NonResizable
#[test]
fn slice_of_a_resizable_vmo_or_a_resizable_slice() {
    let v = vmo(PAGE);
    assert_eq!(
        v.create_child(VmoChildOptions::SLICE, 0, PAGE).unwrap_err(),
        Status::NOT_SUPPORTED
    );
    assert_eq!(
        v.create_child(VmoChildOptions::SLICE | VmoChildOptions::RESIZABLE, 0, PAGE)
            .unwrap_err(),
        Status::INVALID_ARGS
    );
    let v = non_resizable(PAGE);
    assert_eq!(
        v.create_child(VmoChildOptions::SLICE | VmoChildOptions::RESIZABLE, 0, PAGE)
            .unwrap_err(),
        Status::INVALID_ARGS
    );
}

/// VmoSliceTestCase.CommitChild
#[test]
fn slice_commit_child() {
    let v = non_resizable(PAGE);
    let s = v.create_child(VmoChildOptions::SLICE, 0, PAGE).unwrap();
    s.op_range(VmoOp::COMMIT, 0, PAGE).unwrap();
    assert_eq!(v.basic_info().unwrap().committed_bytes, PAGE);
    s.write(&[42], 0).unwrap();
    let mut b = [0u8];
    v.read(&mut b, 0).unwrap();
    assert_eq!(b, [42]);
}

/// VmoSliceTestCase.DecommitChild
#[test]
fn slice_decommit_child() {
    let v = non_resizable(PAGE);
    v.write(&[42], 0).unwrap();
    let s = v.create_child(VmoChildOptions::SLICE, 0, PAGE).unwrap();
    s.op_range(VmoOp::DECOMMIT, 0, PAGE).unwrap();
    let mut b = [1u8];
    v.read(&mut b, 0).unwrap();
    assert_eq!(b, [0]);
    assert_eq!(v.basic_info().unwrap().committed_bytes, 0);
}

/// VmoSliceTestCase.ZeroSized
#[test]
fn slice_zero_sized() {
    let v = non_resizable(PAGE);
    let s1 = v.create_child(VmoChildOptions::SLICE, 0, 0).unwrap();
    let s2 = v.create_child(VmoChildOptions::SLICE, PAGE, 0).unwrap();
    let mut b = [42u8];
    for s in [&s1, &s2] {
        assert_eq!(s.read(&mut b, 0), Err(Status::OUT_OF_RANGE));
        assert_eq!(s.write(&b, 0), Err(Status::OUT_OF_RANGE));
    }
}

/// VmoSliceTestCase.ZeroChildren and ZeroChildrenGrandchildClosedLast
#[test]
fn slice_zero_children_with_a_grandchild_closed_last() {
    let v = non_resizable(PAGE);
    let zero = Signals::VMO_ZERO_CHILDREN;
    assert!(v.wait_one(zero, zxvmo::Deadline::INFINITE).is_ok());
    let child = v.create_child(VmoChildOptions::SLICE, 0, PAGE).unwrap();
    assert_eq!(
        v.wait_one(zero, zxvmo::Deadline::PAST),
        Err(Status::TIMED_OUT)
    );
    let grandchild = child.create_child(VmoChildOptions::SLICE, 0, PAGE).unwrap();
    drop(child);
    assert_eq!(
        v.wait_one(zero, zxvmo::Deadline::PAST),
        Err(Status::TIMED_OUT),
        "a grandchild still counts"
    );
    drop(grandchild);
    assert!(v.wait_one(zero, zxvmo::Deadline::INFINITE).is_ok());
}

/// VmoTestCase.ContentSize (content size never resizes) and the content
/// size rules: setting it needs WRITE, and bytes beyond it read as zeros.
#[test]
fn content_size_needs_write_and_zeroes_what_it_cuts() {
    let len = 4 * PAGE;
    let v = vmo(len);
    assert_eq!(v.get_content_size().unwrap(), len);
    v.write(&[7u8; 200], len / 3 - 100).unwrap();
    v.set_content_size(len / 3).unwrap();
    assert_eq!(v.get_content_size().unwrap(), len / 3);
    assert_eq!(v.get_size().unwrap(), len, "content size does not resize");
    let mut b = [9u8; 200];
    v.read(&mut b, len / 3 - 100).unwrap();
    assert_eq!(&b[..100], &[7u8; 100], "content stays");
    assert_eq!(&b[100..], &[0u8; 100], "what the content size cut is zero");
    v.set_content_size(len).unwrap();
    v.read(&mut b, len / 3 - 100).unwrap();
    assert_eq!(&b[100..], &[0u8; 100], "and stays zero when it grows back");
    let no_write = v
        .duplicate_handle(Rights::READ | Rights::GET_PROPERTY | Rights::SET_PROPERTY)
        .unwrap();
    assert_eq!(
        no_write.set_content_size(PAGE),
        Err(Status::ACCESS_DENIED),
        "setting the content size needs WRITE"
    );
    assert_eq!(no_write.get_content_size().unwrap(), len);
}

/// VmoTestCase.Commit / Decommit / ZeroRange, through op_range.
#[test]
fn op_range_commit_decommit_zero_and_the_rest() {
    let v = vmo(4 * PAGE);
    v.op_range(VmoOp::COMMIT, 0, 4 * PAGE).unwrap();
    assert_eq!(v.basic_info().unwrap().committed_bytes, 4 * PAGE);
    v.op_range(VmoOp::DECOMMIT, PAGE, 2 * PAGE).unwrap();
    assert_eq!(v.basic_info().unwrap().committed_bytes, 2 * PAGE);
    // ZERO clears bytes, even inside a page; whole pages are freed.
    v.write(&[0xffu8; 4 * PAGE as usize], 0).unwrap();
    v.op_range(VmoOp::ZERO, 10, PAGE + 20).unwrap();
    let mut b = [0u8; 4 * PAGE as usize];
    v.read(&mut b, 0).unwrap();
    assert!(b[..10].iter().all(|&x| x == 0xff));
    assert!(b[10..PAGE as usize + 30].iter().all(|&x| x == 0));
    assert!(b[PAGE as usize + 30..].iter().all(|&x| x == 0xff));
    // A mapping sees what the operations did.
    let m = v.map(0, 4 * PAGE as usize, VmarFlags::PERM_READ).unwrap();
    v.op_range(VmoOp::DECOMMIT, 3 * PAGE, PAGE).unwrap();
    assert_eq!(m.read8(3 * PAGE as usize).unwrap(), 0);
    // Range checks, unknown and unsupported ops, rights.
    assert_eq!(
        v.op_range(VmoOp::COMMIT, 0, 5 * PAGE),
        Err(Status::OUT_OF_RANGE)
    );
    assert_eq!(
        v.op_range(VmoOp::COMMIT, u64::MAX, 2),
        Err(Status::OUT_OF_RANGE)
    );
    assert_eq!(
        v.op_range(VmoOp::from_raw(5), 0, PAGE),
        Err(Status::INVALID_ARGS)
    );
    assert_eq!(
        v.op_range(VmoOp::from_raw(99), 0, PAGE),
        Err(Status::INVALID_ARGS)
    );
    for op in [VmoOp::LOCK, VmoOp::UNLOCK, VmoOp::TRY_LOCK] {
        assert_eq!(
            v.op_range(op, 0, PAGE),
            Err(Status::NOT_SUPPORTED),
            "{op:?}"
        );
    }
    for op in [
        VmoOp::CACHE_SYNC,
        VmoOp::CACHE_INVALIDATE,
        VmoOp::CACHE_CLEAN,
        VmoOp::CACHE_CLEAN_INVALIDATE,
        VmoOp::DONT_NEED,
        VmoOp::ALWAYS_NEED,
        VmoOp::PREFETCH,
    ] {
        v.op_range(op, 0, 4 * PAGE).unwrap();
    }
    let ro = v
        .duplicate_handle(Rights::READ | Rights::GET_PROPERTY)
        .unwrap();
    for op in [
        VmoOp::COMMIT,
        VmoOp::DECOMMIT,
        VmoOp::ZERO,
        VmoOp::CACHE_INVALIDATE,
    ] {
        assert_eq!(
            ro.op_range(op, 0, PAGE),
            Err(Status::ACCESS_DENIED),
            "{op:?} needs WRITE"
        );
    }
    ro.op_range(VmoOp::CACHE_CLEAN, 0, PAGE).unwrap();
    let wo = v.duplicate_handle(Rights::WRITE).unwrap();
    assert_eq!(
        wo.op_range(VmoOp::CACHE_CLEAN, 0, PAGE),
        Err(Status::ACCESS_DENIED),
        "cleaning needs READ"
    );
    let none = v.duplicate_handle(Rights::GET_PROPERTY).unwrap();
    assert_eq!(
        none.op_range(VmoOp::DONT_NEED, 0, PAGE),
        Err(Status::ACCESS_DENIED),
        "hints need READ or WRITE"
    );
}

/// op_range on a physical VMO: cache operations apply, committing does not.
#[test]
fn op_range_on_a_physical_vmo() {
    require_vm();
    let bar = edu_bar0();
    let r = bar_resource(&bar, zxvmo::ResourceFlags::empty(), "op-range");
    let v = Vmo::create_physical(&r, bar.base, PAGE as usize).unwrap();
    for op in [VmoOp::COMMIT, VmoOp::DECOMMIT, VmoOp::ZERO] {
        assert_eq!(
            v.op_range(op, 0, PAGE),
            Err(Status::NOT_SUPPORTED),
            "{op:?}"
        );
    }
    v.op_range(VmoOp::CACHE_CLEAN_INVALIDATE, 0, PAGE).unwrap();
    assert_eq!(
        v.op_range(VmoOp::CACHE_CLEAN, 0, 2 * PAGE),
        Err(Status::OUT_OF_RANGE)
    );
}

/// sys_vmo_create_child's rights rule: the parent handle's rights plus
/// GET/SET_PROPERTY; a snapshot gains WRITE and loses EXECUTE unless
/// NO_WRITE.
#[test]
fn child_rights_follow_zircons_rule() {
    let v = non_resizable(PAGE);
    let base = Rights::DUPLICATE | Rights::READ | Rights::EXECUTE | Rights::MAP;
    let h = v.duplicate_handle(base).unwrap();
    let props = Rights::GET_PROPERTY | Rights::SET_PROPERTY;
    let slice = h.create_child(VmoChildOptions::SLICE, 0, PAGE).unwrap();
    assert_eq!(slice.rights().unwrap(), base | props);
    let snap = h.create_child(VmoChildOptions::SNAPSHOT, 0, PAGE).unwrap();
    assert_eq!(
        snap.rights().unwrap(),
        (base | props | Rights::WRITE) - Rights::EXECUTE
    );
    let snap_ro = h
        .create_child(
            VmoChildOptions::SNAPSHOT | VmoChildOptions::NO_WRITE,
            0,
            PAGE,
        )
        .unwrap();
    assert_eq!(snap_ro.rights().unwrap(), base | props);
    assert_eq!(
        v.duplicate_handle(Rights::READ | Rights::MAP)
            .unwrap()
            .create_child(VmoChildOptions::SLICE, 0, PAGE)
            .unwrap_err(),
        Status::ACCESS_DENIED,
        "children need DUPLICATE and READ"
    );
}

/// Slice sizes are rounded up to whole pages (as every VMO size is).
#[test]
fn slice_sizes_round_up_to_pages() {
    let v = non_resizable(2 * PAGE);
    let s = v.create_child(VmoChildOptions::SLICE, 0, 100).unwrap();
    assert_eq!(s.get_size().unwrap(), PAGE);
    assert_eq!(s.get_content_size().unwrap(), 100);
    assert_eq!(
        v.create_child(VmoChildOptions::SLICE, PAGE, PAGE + 1)
            .unwrap_err(),
        Status::INVALID_ARGS,
        "rounded up, it leaves the parent"
    );
}

/// ResourceTest.BasicActions: a resource's info is what created it, and a
/// child made from it too.
#[test]
fn resource_basic_actions() {
    require_vm();
    let bar = edu_bar0();
    let r = zxvmo::Resource::create(
        &root(),
        zxvmo::ResourceKind::Mmio,
        zxvmo::ResourceFlags::empty(),
        bar.base,
        4 * PAGE,
        "resource",
    )
    .unwrap();
    let info = r.basic_info().unwrap();
    assert_eq!(info.obj_type, zxvmo::sys::ZX_OBJ_TYPE_RESOURCE);
    assert_eq!(
        info.flags,
        zxvmo::sys::ZX_RSRC_KIND_MMIO,
        "kind MMIO, no flags"
    );
    assert_eq!((info.content_size, info.size), (bar.base, 4 * PAGE));
    assert_eq!(info.name, "resource");
    let child = zxvmo::Resource::create(
        &r,
        zxvmo::ResourceKind::Mmio,
        zxvmo::ResourceFlags::empty(),
        bar.base,
        4 * PAGE,
        "test_resource_name",
    )
    .unwrap();
    let info = child.basic_info().unwrap();
    assert_eq!((info.content_size, info.size), (bar.base, 4 * PAGE));
    assert_eq!(info.name, "test_resource_name");
    drop((child, r));
    let x = zxvmo::Resource::create(
        &root(),
        zxvmo::ResourceKind::Mmio,
        zxvmo::ResourceFlags::EXCLUSIVE,
        bar.base,
        PAGE,
        "exclusive",
    )
    .unwrap();
    assert_eq!(
        x.basic_info().unwrap().flags,
        zxvmo::sys::ZX_RSRC_KIND_MMIO | zxvmo::sys::ZX_RSRC_FLAG_EXCLUSIVE
    );
}

/// ResourceTest.InvalidArgs and CreateResourceSlice: kinds, ranges and a
/// child outside its parent.
#[test]
fn resource_invalid_args_and_children_outside_the_parent() {
    require_vm();
    let bar = edu_bar0();
    let create = |parent: &zxvmo::Resource, kind: u32, base: u64, size: u64| {
        let mut args = zxvmo::sys::ZxvmoResourceCreate {
            kind,
            flags: 0,
            base,
            size,
            name: [0; zxvmo::sys::ZX_MAX_NAME_LEN],
        };
        use std::os::fd::AsFd;
        raw_ioctl(
            parent.as_fd(),
            zxvmo::sys::ZXVMO_IOC_RESOURCE_CREATE,
            &mut args as *mut _ as usize,
        )
        .map(|fd| {
            // SAFETY: A new descriptor the call returned; closed here.
            unsafe { libc::close(fd) };
        })
        .map_err(|e| Status::from_raw(zxvmo::sys::errno_to_status(e)))
    };
    let root = root();
    let mmio = zxvmo::sys::ZX_RSRC_KIND_MMIO;
    assert_eq!(
        create(&root, zxvmo::sys::ZX_RSRC_KIND_ROOT, bar.base, PAGE),
        Err(Status::INVALID_ARGS),
        "the root kind"
    );
    assert_eq!(create(&root, 99, bar.base, PAGE), Err(Status::INVALID_ARGS));
    assert_eq!(
        create(&root, mmio | 0xff_0000, bar.base, PAGE),
        Err(Status::INVALID_ARGS)
    );
    assert_eq!(
        create(&root, mmio, u64::MAX, 1024),
        Err(Status::INVALID_ARGS)
    );
    assert_eq!(
        create(&root, mmio, 1024, u64::MAX),
        Err(Status::INVALID_ARGS)
    );
    let r = zxvmo::Resource::create(
        &root,
        zxvmo::ResourceKind::Mmio,
        zxvmo::ResourceFlags::empty(),
        bar.base,
        PAGE,
        "slice-parent",
    )
    .unwrap();
    assert_eq!(
        create(&r, mmio, bar.base + PAGE, PAGE),
        Err(Status::ACCESS_DENIED),
        "another base"
    );
    assert_eq!(
        create(&r, mmio, bar.base, 2 * PAGE),
        Err(Status::ACCESS_DENIED),
        "a larger size"
    );
    assert_eq!(create(&r, mmio, bar.base, PAGE), Ok(()), "the same range");
}
