// SPDX-License-Identifier: GPL-2.0

//! Zircon statuses as kernel errors.
//!
//! Every failing path returns a [`kernel::error::Error`] whose errno is the
//! one the ABI table pairs with the Zircon status, so the trampolines return
//! plain negative errnos and the userspace crate recovers the exact status.

use crate::abi;
use kernel::error::Error;

/// The kernel error that carries Zircon status `status` to userspace.
pub(crate) fn zx(status: abi::ZxStatus) -> Error {
    Error::from_errno(-abi::status_to_errno(status))
}

/// `ZX_ERR_WRONG_TYPE`: the command does not apply to this kind of object.
pub(crate) fn wrong_type() -> Error {
    zx(abi::ZX_ERR_WRONG_TYPE)
}
