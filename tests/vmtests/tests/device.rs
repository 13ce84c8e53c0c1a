//! `/dev/zxvmo` itself: the node, the version ioctl, unknown ioctls.

use std::os::fd::AsFd;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};

use zxvmo::{sys, Device, OpenError, Status};
use zxvmo_vmtests::{as_nobody, raw_ioctl, require_vm};

#[test]
fn node_is_a_char_device_with_mode_0600_owned_by_root() {
    require_vm();
    let md = std::fs::metadata("/dev/zxvmo").unwrap();
    assert!(md.file_type().is_char_device());
    assert_eq!(md.permissions().mode() & 0o7777, 0o600);
    assert_eq!((md.uid(), md.gid()), (0, 0));
}

#[test]
fn version_ioctl_through_the_crate() {
    require_vm();
    let dev = Device::open().expect("open /dev/zxvmo");
    assert_eq!(dev.version(), (sys::ZXVMO_ABI_MAJOR, sys::ZXVMO_ABI_MINOR));
    // The global device opens once and reports the same.
    assert_eq!(Device::global().unwrap().version(), dev.version());
}

#[test]
fn version_ioctl_raw_writes_exactly_the_struct() {
    require_vm();
    let dev = Device::open().unwrap();
    let mut buf = [0xa5u8; 16];
    raw_ioctl(
        dev.as_fd(),
        sys::ZXVMO_IOC_VERSION,
        buf.as_mut_ptr() as usize,
    )
    .unwrap();
    assert_eq!(&buf[0..4], &sys::ZXVMO_ABI_MAJOR.to_ne_bytes());
    assert_eq!(&buf[4..8], &sys::ZXVMO_ABI_MINOR.to_ne_bytes());
    assert_eq!(&buf[8..], &[0xa5; 8], "the kernel wrote past the struct");
}

#[test]
fn version_ioctl_to_a_bad_pointer_is_efault() {
    require_vm();
    let dev = Device::open().unwrap();
    assert_eq!(
        raw_ioctl(dev.as_fd(), sys::ZXVMO_IOC_VERSION, 0),
        Err(libc::EFAULT)
    );
    assert_eq!(
        raw_ioctl(dev.as_fd(), sys::ZXVMO_IOC_VERSION, 16),
        Err(libc::EFAULT)
    );
    assert_eq!(Status::from_errno(libc::EFAULT), Status::INVALID_ARGS);
}

#[test]
fn unknown_ioctls_are_enotty() {
    require_vm();
    let dev = Device::open().unwrap();
    let fd = dev.as_fd();
    let unknown = [
        sys::ioc(0, sys::ZXVMO_IOC_MAGIC, 0x7f, 0),
        sys::ioc(2, sys::ZXVMO_IOC_MAGIC, 0x40, 4), // VERSION's number, wrong size
        sys::ioc(1, sys::ZXVMO_IOC_MAGIC, 0x40, 8), // VERSION's number, wrong direction
        libc::TCGETS as u32,
        libc::FIONREAD as u32,
        0,
        u32::MAX,
    ];
    for cmd in unknown {
        assert_eq!(raw_ioctl(fd, cmd, 0), Err(libc::ENOTTY), "cmd {cmd:#x}");
    }
}

#[test]
fn an_unprivileged_user_cannot_open_the_node_and_is_told_why() {
    require_vm();
    let code = as_nobody(|| match Device::open() {
        Err(OpenError::Permission(_)) => {
            let msg = Device::open().unwrap_err().to_string();
            if msg.contains("mode") {
                0
            } else {
                2
            }
        }
        Ok(_) => 3,
        Err(_) => 4,
    });
    assert_eq!(code, 0);
}
