//! The one place the crate calls `ioctl(2)` on zxvmo file descriptors.

use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

use crate::Status;
use zxvmo_abi as sys;

/// Argument structs the kernel only copies in or out, holding no pointers.
///
/// # Safety
///
/// Implementors must be `#[repr(C)]` ABI structs (or integers) with no
/// pointers or user addresses inside, valid for every bit pattern, so the
/// kernel writing any bytes into one is sound.
pub(crate) unsafe trait PlainArg: Copy + Default {}

// SAFETY: `u32` and `u64` are integers, valid for every bit pattern.
unsafe impl PlainArg for u32 {}
// SAFETY: As above.
unsafe impl PlainArg for u64 {}
// SAFETY: The ABI structs below are `#[repr(C)]`, made only of integers
// (none of them a user address), with no padding.
unsafe impl PlainArg for sys::ZxvmoVersion {}
// SAFETY: As above.
unsafe impl PlainArg for sys::ZxvmoResourceCreate {}
// SAFETY: As above.
unsafe impl PlainArg for sys::ZxvmoVmoCreate {}
// SAFETY: As above.
unsafe impl PlainArg for sys::ZxvmoVmoCreatePhysical {}
// SAFETY: As above.
unsafe impl PlainArg for sys::ZxvmoVmoCreateChild {}
// SAFETY: As above.
unsafe impl PlainArg for sys::ZxvmoWaitOne {}
// SAFETY: As above.
unsafe impl PlainArg for sys::ZxvmoVmoOpRange {}
// SAFETY: As above.
unsafe impl PlainArg for sys::ZxvmoInfo {}

/// The argument size an ioctl number encodes (`_IOC_SIZE`).
const fn ioc_size(cmd: u32) -> usize {
    ((cmd >> 16) & 0x3fff) as usize
}

/// Calls `ioctl(fd, cmd, arg)` and maps a failure to its [`Status`].
///
/// # Safety
///
/// `arg` must be what the zxvmo command `cmd` expects: null for commands
/// without an argument, else valid for reads and writes of `_IOC_SIZE(cmd)`
/// bytes, and every user address inside it valid for what the command does
/// with it.
pub(crate) unsafe fn raw(
    fd: BorrowedFd<'_>,
    cmd: u32,
    arg: *mut core::ffi::c_void,
) -> Result<i32, Status> {
    // SAFETY: The caller guarantees `arg` matches `cmd`; `fd` is open for the
    // duration of the borrow.
    let ret = unsafe { libc::ioctl(fd.as_raw_fd(), cmd as libc::c_ulong, arg) };
    if ret < 0 {
        let status = Status::from_io_error(&std::io::Error::last_os_error());
        crate::refusal::record(fd, status);
        Err(status)
    } else {
        Ok(ret)
    }
}

/// Runs a command that reads a `T` from the kernel.
pub(crate) fn read<T: PlainArg>(fd: BorrowedFd<'_>, cmd: u32) -> Result<T, Status> {
    assert_eq!(ioc_size(cmd), core::mem::size_of::<T>(), "ABI mismatch");
    let mut out = T::default();
    // SAFETY: `out` is a `PlainArg` of exactly `_IOC_SIZE(cmd)` bytes.
    unsafe { raw(fd, cmd, (&mut out as *mut T).cast()) }?;
    Ok(out)
}

/// Runs a command that passes `arg` to the kernel (and may read it back
/// updated); returns the ioctl's non-negative result.
pub(crate) fn write<T: PlainArg>(fd: BorrowedFd<'_>, cmd: u32, arg: &mut T) -> Result<i32, Status> {
    assert_eq!(ioc_size(cmd), core::mem::size_of::<T>(), "ABI mismatch");
    // SAFETY: `arg` is a `PlainArg` of exactly `_IOC_SIZE(cmd)` bytes.
    unsafe { raw(fd, cmd, (arg as *mut T).cast()) }
}

/// Runs a command without an argument; returns its non-negative result.
pub(crate) fn none(fd: BorrowedFd<'_>, cmd: u32) -> Result<i32, Status> {
    assert_eq!(ioc_size(cmd), 0, "ABI mismatch");
    // SAFETY: The command takes no argument, so a null pointer is what it expects.
    unsafe { raw(fd, cmd, core::ptr::null_mut()) }
}

/// Takes ownership of a file descriptor an object-creating ioctl returned.
pub(crate) fn owned_fd(fd: i32) -> OwnedFd {
    // SAFETY: zxvmo's creating ioctls return a new descriptor that nothing
    // else owns.
    unsafe { OwnedFd::from_raw_fd(fd) }
}
