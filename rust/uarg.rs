// SPDX-License-Identifier: GPL-2.0

//! Typed copies of ioctl arguments to and from user memory.
//!
//! Each argument is read once, into a kernel copy that is then validated, so
//! userspace cannot change it between check and use.

use crate::abi;
use kernel::prelude::*;
#[cfg(zxvmo_transmute)]
use kernel::transmute::{AsBytes, FromBytes};
#[cfg(not(zxvmo_transmute))]
use kernel::types::{AsBytes, FromBytes};
use kernel::uaccess::UserSlice;

/// The `len` bytes of user memory at address `addr` (since 6.17 the
/// kernel crate takes the address as a `UserPtr`).
pub(crate) fn user_slice(addr: usize, len: usize) -> UserSlice {
    #[cfg(zxvmo_user_ptr)]
    let addr = kernel::uaccess::UserPtr::from_addr(addr);
    UserSlice::new(addr, len)
}

/// Sets the `len` bytes of user memory at address `addr` to zero.
///
/// # Errors
///
/// `EFAULT` when any of them cannot be written (those before it may be).
pub(crate) fn clear(addr: usize, len: usize) -> Result {
    // SAFETY: `clear_user` checks that the range is user memory
    // (`access_ok`) and handles faults; any address is safe to pass.
    let left = unsafe { crate::ffi_ext::zxvmo_clear_user(addr as *mut _, len as _) };
    if left == 0 {
        Ok(())
    } else {
        Err(EFAULT)
    }
}

/// Reads the `T` that userspace passed at `arg`.
pub(crate) fn read<T: FromBytes>(arg: usize) -> Result<T> {
    user_slice(arg, core::mem::size_of::<T>()).reader().read()
}

/// Writes `value` to the `T` at userspace address `arg`.
pub(crate) fn write<T: AsBytes>(arg: usize, value: &T) -> Result {
    user_slice(arg, core::mem::size_of::<T>())
        .writer()
        .write(value)
}

macro_rules! plain_abi_structs {
    ($($t:ty),* $(,)?) => {$(
        // SAFETY: The ABI structs are `#[repr(C)]`, made only of integers and
        // integer arrays with no implicit padding (the ABI file asserts their
        // sizes), so every bit pattern is valid and every byte initialised.
        unsafe impl FromBytes for $t {}
        // SAFETY: As above.
        unsafe impl AsBytes for $t {}
    )*};
}

plain_abi_structs!(
    abi::ZxvmoVersion,
    abi::ZxvmoResourceCreate,
    abi::ZxvmoVmoCreate,
    abi::ZxvmoVmoCreatePhysical,
    abi::ZxvmoVmoRw,
    abi::ZxvmoProperty,
    abi::ZxvmoVmoCreateChild,
    abi::ZxvmoWaitOne,
    abi::ZxvmoVmoOpRange,
    abi::ZxvmoInfo,
    abi::ZxvmoRefusal,
);
