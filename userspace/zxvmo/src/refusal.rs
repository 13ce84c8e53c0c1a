//! `Refusal`: a failed call's status with the kernel's reason for it.
//!
//! A status alone often leaves a person guessing: `ZX_ERR_ACCESS_DENIED`
//! from [`Resource::create`](crate::Resource::create) may mean System RAM,
//! a range a kernel driver holds, lockdown, or a missing right. The module
//! records, per handle, which check refused its last failed call
//! (`ZXVMO_IOC_LAST_REFUSAL`); when a call through this crate fails in the
//! kernel, the crate asks right away and keeps the answer for the calling
//! thread, as `errno` is kept. [`Refusal::of`] pairs it with the status the
//! call returned, and its `Display` prints both:
//!
//! ```text
//! ZX_ERR_ACCESS_DENIED (-30): access denied: the range touches System RAM
//! ```

use core::fmt;
use std::cell::Cell;
use std::os::fd::{AsRawFd, BorrowedFd};

use crate::{Rights, Status};
use zxvmo_abi as sys;

/// Which check refused a call (`ZXVMO_REASON_*`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[repr(transparent)]
pub struct Reason(sys::ZxvmoReason);

impl Reason {
    /// No reason beyond the status (a bad argument, no memory, ...).
    pub const NONE: Reason = Reason(sys::ZXVMO_REASON_NONE);
    /// The handle lacks a right the call needs ([`Refusal::right`]).
    pub const RIGHTS: Reason = Reason(sys::ZXVMO_REASON_RIGHTS);
    /// The root resource needs `CAP_SYS_RAWIO`.
    pub const NO_CAPABILITY: Reason = Reason(sys::ZXVMO_REASON_NO_CAPABILITY);
    /// The kernel is locked down.
    pub const LOCKDOWN: Reason = Reason(sys::ZXVMO_REASON_LOCKDOWN);
    /// The range touches System RAM.
    pub const SYSTEM_RAM: Reason = Reason(sys::ZXVMO_REASON_SYSTEM_RAM);
    /// A kernel driver or an exclusive resource holds part of the range.
    pub const BUSY: Reason = Reason(sys::ZXVMO_REASON_BUSY);
    /// The range is not inside the resource.
    pub const OUTSIDE_RESOURCE: Reason = Reason(sys::ZXVMO_REASON_OUTSIDE_RESOURCE);
    /// The resource it came from was revoked.
    pub const REVOKED: Reason = Reason(sys::ZXVMO_REASON_REVOKED);
    /// The handle was replaced.
    pub const REPLACED: Reason = Reason(sys::ZXVMO_REASON_REPLACED);
    /// The VMO is mapped or has children.
    pub const IN_USE: Reason = Reason(sys::ZXVMO_REASON_IN_USE);
    /// Another mapping of the range uses another cache policy.
    pub const MEMTYPE_CONFLICT: Reason = Reason(sys::ZXVMO_REASON_MEMTYPE_CONFLICT);
    /// The VMO is not resizable.
    pub const NOT_RESIZABLE: Reason = Reason(sys::ZXVMO_REASON_NOT_RESIZABLE);

    /// The reason with ABI value `raw`.
    pub const fn from_raw(raw: sys::ZxvmoReason) -> Self {
        Reason(raw)
    }

    /// The ABI value.
    pub const fn into_raw(self) -> sys::ZxvmoReason {
        self.0
    }

    /// What it means, as a phrase ("the range touches System RAM"); empty
    /// for [`Reason::NONE`] and values this crate does not know.
    pub fn description(self) -> &'static str {
        sys::reason_text(self.0)
    }
}

/// A failed call's status, with the reason the kernel gave.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Refusal {
    status: Status,
    reason: Reason,
    right: Rights,
}

thread_local! {
    static LAST: Cell<Option<Refusal>> = const { Cell::new(None) };
}

impl Refusal {
    /// A refusal with no reason beyond `status`.
    pub const fn status_only(status: Status) -> Self {
        Refusal {
            status,
            reason: Reason::NONE,
            right: Rights::empty(),
        }
    }

    /// The refusal of this thread's most recent zxvmo call that failed in
    /// the kernel, if the kernel could say why.
    pub fn last() -> Option<Refusal> {
        LAST.with(Cell::get)
    }

    /// `status` (just returned by a call on this thread) with the
    /// kernel's reason for it: [`Refusal::last`] when it is for the same
    /// status, else `status` alone.
    pub fn of(status: Status) -> Refusal {
        match Refusal::last() {
            Some(r) if r.status == status => r,
            _ => Refusal::status_only(status),
        }
    }

    /// The status the call returned.
    pub fn status(&self) -> Status {
        self.status
    }

    /// Which check refused it.
    pub fn reason(&self) -> Reason {
        self.reason
    }

    /// For [`Reason::RIGHTS`], a right the call needs that the handle
    /// lacks; otherwise empty.
    pub fn right(&self) -> Rights {
        self.right
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.status)?;
        let text = self.reason.description();
        if !text.is_empty() {
            write!(f, ": {text}")?;
        }
        for (name, _) in self.right.iter_names() {
            write!(f, " (ZX_RIGHT_{name})")?;
        }
        Ok(())
    }
}

impl std::error::Error for Refusal {}

/// Records why the call that just failed on `fd` with `status` failed:
/// asks the kernel (`ZXVMO_IOC_LAST_REFUSAL`), and keeps its answer for
/// this thread when it is about `status`.
pub(crate) fn record(fd: BorrowedFd<'_>, status: Status) {
    let mut out = sys::ZxvmoRefusal::default();
    // SAFETY: `out` is a plain ABI struct of `_IOC_SIZE` bytes the kernel
    // writes; the call has no other effect, and fails harmlessly on a file
    // that is not zxvmo's (or a module older than ABI 1.3).
    let ret = unsafe {
        libc::ioctl(
            fd.as_raw_fd(),
            sys::ZXVMO_IOC_LAST_REFUSAL as libc::c_ulong,
            &mut out as *mut sys::ZxvmoRefusal,
        )
    };
    let refusal = if ret == 0 && out.status == status.into_raw() {
        Refusal {
            status,
            reason: Reason(out.reason),
            right: Rights::from_bits_retain(out.right),
        }
    } else {
        Refusal::status_only(status)
    };
    LAST.with(|l| l.set(Some(refusal)));
}

/// Records a failure the kernel's zxvmo code did not see (refused by the
/// crate itself or by Linux before the module ran): `status` alone.
pub(crate) fn record_status_only(status: Status) {
    LAST.with(|l| l.set(Some(Refusal::status_only(status))));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_reads_as_a_phrase_and_has_its_status() {
        for raw in 1..sys::ZXVMO_REASON_COUNT {
            assert!(!Reason::from_raw(raw).description().is_empty(), "{raw}");
            assert_ne!(sys::reason_status(raw), sys::ZX_OK, "{raw}");
        }
        assert_eq!(Reason::NONE.description(), "");
        assert_eq!(sys::reason_status(sys::ZXVMO_REASON_COUNT), sys::ZX_OK);
    }

    #[test]
    fn display_names_status_reason_and_right() {
        let r = Refusal {
            status: Status::ACCESS_DENIED,
            reason: Reason::RIGHTS,
            right: Rights::WRITE,
        };
        assert_eq!(
            r.to_string(),
            format!(
                "{}: the handle lacks a right the call needs (ZX_RIGHT_WRITE)",
                Status::ACCESS_DENIED
            )
        );
        let ram = Refusal {
            status: Status::ACCESS_DENIED,
            reason: Reason::SYSTEM_RAM,
            right: Rights::empty(),
        };
        assert!(ram.to_string().ends_with(": the range touches System RAM"));
        assert_eq!(
            Refusal::status_only(Status::NO_MEMORY).to_string(),
            Status::NO_MEMORY.to_string()
        );
    }

    #[test]
    fn of_pairs_only_the_same_status() {
        LAST.with(|l| {
            l.set(Some(Refusal {
                status: Status::ACCESS_DENIED,
                reason: Reason::BUSY,
                right: Rights::empty(),
            }))
        });
        assert_eq!(Refusal::of(Status::ACCESS_DENIED).reason(), Reason::BUSY);
        assert_eq!(Refusal::of(Status::BAD_STATE).reason(), Reason::NONE);
    }
}
