// SPDX-License-Identifier: GPL-2.0 OR MIT

//! The `/dev/zxvmo` ioctl ABI: the one source of its numbers and structs.
//!
//! `no_std` and dependency-free: the kernel module includes `abi.rs` by path,
//! and the `zxvmo` crate uses it through this crate. See [`abi`](self) items
//! for the conventions.

#![no_std]

mod abi;
pub use abi::*;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errnos_are_linux_values() {
        assert_eq!(errno::EPERM, libc::EPERM);
        assert_eq!(errno::ENOENT, libc::ENOENT);
        assert_eq!(errno::EIO, libc::EIO);
        assert_eq!(errno::EBADF, libc::EBADF);
        assert_eq!(errno::ENOMEM, libc::ENOMEM);
        assert_eq!(errno::EACCES, libc::EACCES);
        assert_eq!(errno::EFAULT, libc::EFAULT);
        assert_eq!(errno::EBUSY, libc::EBUSY);
        assert_eq!(errno::EINVAL, libc::EINVAL);
        assert_eq!(errno::ENOTTY, libc::ENOTTY);
        assert_eq!(errno::ERANGE, libc::ERANGE);
        assert_eq!(errno::EOPNOTSUPP, libc::EOPNOTSUPP);
        assert_eq!(errno::ENOBUFS, libc::ENOBUFS);
        assert_eq!(errno::ETIMEDOUT, libc::ETIMEDOUT);
    }

    #[test]
    fn every_status_round_trips_through_its_errno() {
        // All but the last row, which is EFAULT's one-way entry.
        let rows = &STATUS_ERRNO[..STATUS_ERRNO.len() - 1];
        for &(status, errno) in rows {
            assert_eq!(status_to_errno(status), errno, "status {status}");
            assert_eq!(errno_to_status(errno), status, "errno {errno}");
        }
        for (i, a) in rows.iter().enumerate() {
            for b in &rows[i + 1..] {
                assert_ne!(a.0, b.0, "status {} listed twice", a.0);
                assert_ne!(a.1, b.1, "errno {} listed twice", a.1);
            }
        }
        assert_eq!(errno_to_status(errno::EFAULT), ZX_ERR_INVALID_ARGS);
        assert_eq!(status_to_errno(ZX_ERR_INVALID_ARGS), errno::EINVAL);
        assert_eq!(errno_to_status(libc::EXDEV), ZX_ERR_INTERNAL);
    }

    #[test]
    fn statuses_are_zircons() {
        assert_eq!(
            [
                ZX_OK,
                ZX_ERR_NOT_SUPPORTED,
                ZX_ERR_NO_MEMORY,
                ZX_ERR_INVALID_ARGS,
                ZX_ERR_BAD_HANDLE,
                ZX_ERR_WRONG_TYPE,
                ZX_ERR_OUT_OF_RANGE,
                ZX_ERR_BUFFER_TOO_SMALL,
                ZX_ERR_BAD_STATE,
                ZX_ERR_TIMED_OUT,
                ZX_ERR_NOT_FOUND,
                ZX_ERR_UNAVAILABLE,
                ZX_ERR_ACCESS_DENIED,
            ],
            [0, -2, -4, -10, -11, -12, -14, -15, -20, -21, -25, -28, -30]
        );
    }

    #[test]
    fn rights_are_zircons() {
        assert_eq!(ZX_RIGHT_DUPLICATE, 1);
        assert_eq!(ZX_RIGHT_TRANSFER, 2);
        assert_eq!(ZX_RIGHT_READ, 4);
        assert_eq!(ZX_RIGHT_WRITE, 8);
        assert_eq!(ZX_RIGHT_EXECUTE, 0x10);
        assert_eq!(ZX_RIGHT_MAP, 0x20);
        assert_eq!(ZX_RIGHT_GET_PROPERTY, 0x40);
        assert_eq!(ZX_RIGHT_SET_PROPERTY, 0x80);
        assert_eq!(ZX_RIGHT_DESTROY, 0x200);
        assert_eq!(ZX_RIGHT_WAIT, 0x4000);
        assert_eq!(ZX_RIGHT_INSPECT, 0x8000);
        assert_eq!(ZX_DEFAULT_VMO_RIGHTS, 0xff);
        // Zircon's ZX_DEFAULT_RESOURCE_RIGHTS (TRANSFER, DUPLICATE, WRITE,
        // INSPECT), plus DESTROY: zxvmo's revoke right.
        assert_eq!(ZX_DEFAULT_RESOURCE_RIGHTS, 0x800b | ZX_RIGHT_DESTROY);
        assert_eq!(
            ZX_DEFAULT_VMO_RIGHTS & (ZX_RIGHT_WAIT | ZX_RIGHT_INSPECT),
            0
        );
    }

    #[test]
    fn ioctl_numbers_match_linux_ioc_encoding() {
        // Values computed by hand from <asm-generic/ioctl.h>:
        // dir<<30 | size<<16 | 'Z'<<8 | nr.
        assert_eq!(ZXVMO_IOC_VERSION, 0x8008_5a40);
        assert_eq!(ZXVMO_IOC_ROOT_RESOURCE, 0x0000_5a41);
        assert_eq!(ZXVMO_IOC_RESOURCE_CREATE, 0x4038_5a42);
        assert_eq!(ZXVMO_IOC_WAIT_ONE, 0xc010_5a50);
        assert_eq!(ZXVMO_IOC_GET_INFO, 0x8068_5a4f);
        assert_eq!(ZXVMO_IOC_VMO_OP_RANGE, 0x4018_5a51);
        let all = [
            ZXVMO_IOC_VERSION,
            ZXVMO_IOC_ROOT_RESOURCE,
            ZXVMO_IOC_RESOURCE_CREATE,
            ZXVMO_IOC_VMO_CREATE,
            ZXVMO_IOC_VMO_CREATE_PHYSICAL,
            ZXVMO_IOC_VMO_READ,
            ZXVMO_IOC_VMO_WRITE,
            ZXVMO_IOC_VMO_GET_SIZE,
            ZXVMO_IOC_VMO_SET_SIZE,
            ZXVMO_IOC_GET_PROPERTY,
            ZXVMO_IOC_SET_PROPERTY,
            ZXVMO_IOC_VMO_SET_CACHE_POLICY,
            ZXVMO_IOC_VMO_CREATE_CHILD,
            ZXVMO_IOC_HANDLE_DUPLICATE,
            ZXVMO_IOC_HANDLE_REPLACE,
            ZXVMO_IOC_GET_INFO,
            ZXVMO_IOC_WAIT_ONE,
            ZXVMO_IOC_VMO_OP_RANGE,
        ];
        for (i, a) in all.iter().enumerate() {
            assert_eq!((a >> 8) & 0xff, ZXVMO_IOC_MAGIC);
            assert!((0x40..0x80).contains(&(a & 0xff)));
            for b in &all[i + 1..] {
                assert_ne!(a & 0xff, b & 0xff, "two commands share a number");
            }
        }
    }

    #[test]
    fn struct_layouts_have_no_hidden_padding() {
        use core::mem::{offset_of, size_of};
        assert_eq!(offset_of!(ZxvmoResourceCreate, base), 8);
        assert_eq!(offset_of!(ZxvmoResourceCreate, name), 24);
        assert_eq!(offset_of!(ZxvmoWaitOne, deadline), 8);
        assert_eq!(offset_of!(ZxvmoInfo, size), 24);
        assert_eq!(offset_of!(ZxvmoInfo, flags), 64);
        assert_eq!(offset_of!(ZxvmoInfo, name), 72);
        assert_eq!(size_of::<ZxvmoInfo>(), 104);
    }
}
