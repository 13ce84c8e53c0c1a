// SPDX-License-Identifier: GPL-2.0

//! Zircon statuses as kernel errors, and the reasons for refusals.
//!
//! Every failing path returns a [`kernel::error::Error`] whose errno is the
//! one the ABI table pairs with the Zircon status, so the trampolines return
//! plain negative errnos and the userspace crate recovers the exact status.
//!
//! A refusal with a reason ([`refuse`], [`refuse_right`]) travels inside
//! the module as a private errno, as the kernel's own `-ERESTARTSYS` or
//! `-EPROBE_DEFER` do: [`REFUSAL_BASE`] plus the reason and, for a missing
//! right, its number. [`Refusal::leave`] turns it into its status's errno
//! where a call leaves the module (the ioctl and mmap trampolines), and
//! the handle keeps the reason for `ZXVMO_IOC_LAST_REFUSAL`. No private
//! errno ever reaches userspace.

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

/// First private errno: above every errno Linux defines or uses inside
/// (those end below 600), below `MAX_ERRNO` (4095).
const REFUSAL_BASE: i32 = 3072;
/// Private errnos per reason: one per right number (rights are `u32`).
const RIGHT_NUMBERS: i32 = 32;

/// A refusal for `reason` (a `ZXVMO_REASON_*` other than `RIGHTS`), with
/// the status the ABI pairs with it.
pub(crate) fn refuse(reason: abi::ZxvmoReason) -> Error {
    debug_assert!(reason != abi::ZXVMO_REASON_RIGHTS && abi::reason_status(reason) != abi::ZX_OK);
    Error::from_errno(-(REFUSAL_BASE + reason as i32 * RIGHT_NUMBERS))
}

/// `ZX_ERR_ACCESS_DENIED` for a handle that lacks `missing` (non-empty
/// rights); the refusal names the lowest-numbered of them.
pub(crate) fn refuse_right(missing: abi::ZxRights) -> Error {
    let right = missing.trailing_zeros().min(RIGHT_NUMBERS as u32 - 1) as i32;
    Error::from_errno(-(REFUSAL_BASE + abi::ZXVMO_REASON_RIGHTS as i32 * RIGHT_NUMBERS + right))
}

/// What a failed call reports: its errno for userspace and the refusal
/// that `ZXVMO_IOC_LAST_REFUSAL` returns.
pub(crate) struct Refusal {
    /// The negative errno the call returns.
    pub(crate) errno: i32,
    /// The refusal, as the ABI has it.
    pub(crate) record: abi::ZxvmoRefusal,
}

impl Refusal {
    /// The refusal `err` carries, as the call leaves the module.
    pub(crate) fn leave(err: Error) -> Self {
        let errno = -err.to_errno();
        let code = errno - REFUSAL_BASE;
        let reason = (code / RIGHT_NUMBERS) as abi::ZxvmoReason;
        if code >= 0 && reason < abi::ZXVMO_REASON_COUNT && reason != abi::ZXVMO_REASON_NONE {
            let status = abi::reason_status(reason);
            let right = if reason == abi::ZXVMO_REASON_RIGHTS {
                1 << (code % RIGHT_NUMBERS)
            } else {
                0
            };
            return Refusal {
                errno: -abi::status_to_errno(status),
                record: abi::ZxvmoRefusal {
                    status,
                    reason,
                    right,
                    reserved: 0,
                },
            };
        }
        // No private errno leaves the module, even one no reason matches.
        let errno = if errno >= REFUSAL_BASE {
            abi::status_to_errno(abi::ZX_ERR_INTERNAL)
        } else {
            errno
        };
        Refusal {
            errno: -errno,
            record: abi::ZxvmoRefusal {
                status: abi::errno_to_status(errno),
                ..Default::default()
            },
        }
    }

    /// The record packed into one word, for a handle's atomic slot.
    pub(crate) fn packed(&self) -> u64 {
        let r = &self.record;
        u64::from(r.status as u32)
            | u64::from(r.reason & 0xff) << 32
            | u64::from(r.right.trailing_zeros() & 0xff) << 40
            | u64::from(r.right != 0) << 48
    }

    /// [`Refusal::packed`] unpacked.
    pub(crate) fn unpack(word: u64) -> abi::ZxvmoRefusal {
        abi::ZxvmoRefusal {
            status: word as u32 as i32,
            reason: (word >> 32) as u32 & 0xff,
            right: if word >> 48 & 1 != 0 {
                1 << ((word >> 40) & 0x1f)
            } else {
                0
            },
            reserved: 0,
        }
    }
}
