//! `Status`: Zircon's status codes, and their errno mapping.

use core::fmt;
use zxvmo_abi as sys;

/// A Zircon status code (`zx_status_t`).
///
/// A transparent struct rather than an enum, as in Fuchsia's `zx` crate, so a
/// code this crate does not name still round-trips.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(transparent)]
pub struct Status(sys::ZxStatus);

macro_rules! assoc_values {
    ($($(#[$doc:meta])* $name:ident = $value:ident;)*) => {
        impl Status {
            $($(#[$doc])* pub const $name: Status = Status(sys::$value);)*

            /// The status's Zircon name, such as `"ZX_ERR_BAD_STATE"`.
            pub fn name(self) -> Option<&'static str> {
                match self {
                    $(Status::$name => Some(stringify!($value)),)*
                    _ => None,
                }
            }

            /// [`Status::name`] as a C string, for Zircon's C API.
            pub fn c_name(self) -> Option<&'static core::ffi::CStr> {
                match self {
                    $(Status::$name => core::ffi::CStr::from_bytes_with_nul(
                        concat!(stringify!($value), "\0").as_bytes()).ok(),)*
                    _ => None,
                }
            }

            fn short_name(self) -> Option<&'static str> {
                match self {
                    $(Status::$name => Some(stringify!($name)),)*
                    _ => None,
                }
            }
        }
    };
}

assoc_values! {
    /// Success (`ZX_OK`).
    OK = ZX_OK;
    /// An internal error, or an errno this crate does not map (`ZX_ERR_INTERNAL`).
    INTERNAL = ZX_ERR_INTERNAL;
    /// The operation is not supported (`ZX_ERR_NOT_SUPPORTED`).
    NOT_SUPPORTED = ZX_ERR_NOT_SUPPORTED;
    /// Not enough memory (`ZX_ERR_NO_MEMORY`).
    NO_MEMORY = ZX_ERR_NO_MEMORY;
    /// An argument is invalid (`ZX_ERR_INVALID_ARGS`).
    INVALID_ARGS = ZX_ERR_INVALID_ARGS;
    /// A handle is not valid (`ZX_ERR_BAD_HANDLE`).
    BAD_HANDLE = ZX_ERR_BAD_HANDLE;
    /// A handle refers to the wrong kind of object (`ZX_ERR_WRONG_TYPE`).
    WRONG_TYPE = ZX_ERR_WRONG_TYPE;
    /// An argument is out of range (`ZX_ERR_OUT_OF_RANGE`).
    OUT_OF_RANGE = ZX_ERR_OUT_OF_RANGE;
    /// A buffer is too small (`ZX_ERR_BUFFER_TOO_SMALL`).
    BUFFER_TOO_SMALL = ZX_ERR_BUFFER_TOO_SMALL;
    /// The object's state forbids the operation (`ZX_ERR_BAD_STATE`).
    BAD_STATE = ZX_ERR_BAD_STATE;
    /// The deadline passed (`ZX_ERR_TIMED_OUT`).
    TIMED_OUT = ZX_ERR_TIMED_OUT;
    /// Not found (`ZX_ERR_NOT_FOUND`).
    NOT_FOUND = ZX_ERR_NOT_FOUND;
    /// Not available for this object (`ZX_ERR_UNAVAILABLE`).
    UNAVAILABLE = ZX_ERR_UNAVAILABLE;
    /// Rights or privilege missing (`ZX_ERR_ACCESS_DENIED`).
    ACCESS_DENIED = ZX_ERR_ACCESS_DENIED;
}

impl Status {
    /// Wraps a raw `zx_status_t`.
    pub const fn from_raw(raw: sys::ZxStatus) -> Self {
        Status(raw)
    }

    /// The raw `zx_status_t`.
    pub const fn into_raw(self) -> sys::ZxStatus {
        self.0
    }

    /// `Ok(())` for [`Status::OK`], else `Err(Status(raw))`.
    ///
    /// # Errors
    ///
    /// The status itself, when it is not `ZX_OK`.
    pub fn ok(raw: sys::ZxStatus) -> Result<(), Status> {
        if raw == sys::ZX_OK {
            Ok(())
        } else {
            Err(Status(raw))
        }
    }

    /// The status a positive errno from `/dev/zxvmo` stands for.
    pub const fn from_errno(errno: i32) -> Self {
        Status(sys::errno_to_status(errno))
    }

    /// The positive errno that carries this status across the ioctl boundary.
    pub const fn into_errno(self) -> i32 {
        sys::status_to_errno(self.0)
    }

    /// The status for an [`std::io::Error`] from a zxvmo call.
    pub fn from_io_error(err: &std::io::Error) -> Self {
        err.raw_os_error()
            .map_or(Status::INTERNAL, Status::from_errno)
    }

    fn description(self) -> &'static str {
        match self {
            Status::OK => "success",
            Status::INTERNAL => "internal error",
            Status::NOT_SUPPORTED => "operation not supported on this object",
            Status::NO_MEMORY => "out of memory",
            Status::INVALID_ARGS => "invalid argument",
            Status::BAD_HANDLE => "not a valid handle",
            Status::WRONG_TYPE => "handle refers to the wrong type of object",
            Status::OUT_OF_RANGE => "argument out of range",
            Status::BUFFER_TOO_SMALL => "buffer too small",
            Status::BAD_STATE => "object is in the wrong state for this operation",
            Status::TIMED_OUT => "deadline passed",
            Status::NOT_FOUND => "not found",
            Status::UNAVAILABLE => "not available for this object",
            Status::ACCESS_DENIED => "access denied",
            _ => "unknown status",
        }
    }
}

impl fmt::Debug for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.short_name() {
            Some(name) => write!(f, "Status({name})"),
            None => write!(f, "Status({})", self.0),
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "{name} ({}): {}", self.0, self.description()),
            None => write!(f, "zx_status_t {}: {}", self.0, self.description()),
        }
    }
}

impl std::error::Error for Status {}

impl From<Status> for std::io::Error {
    fn from(status: Status) -> Self {
        std::io::Error::other(status)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errno_round_trip_is_exact() {
        let all = [
            Status::INTERNAL,
            Status::NOT_SUPPORTED,
            Status::NO_MEMORY,
            Status::INVALID_ARGS,
            Status::BAD_HANDLE,
            Status::WRONG_TYPE,
            Status::OUT_OF_RANGE,
            Status::BUFFER_TOO_SMALL,
            Status::BAD_STATE,
            Status::TIMED_OUT,
            Status::NOT_FOUND,
            Status::UNAVAILABLE,
            Status::ACCESS_DENIED,
        ];
        for s in all {
            assert_eq!(Status::from_errno(s.into_errno()), s, "{s:?}");
        }
        assert_eq!(Status::from_errno(libc::EFAULT), Status::INVALID_ARGS);
        assert_eq!(Status::from_errno(libc::ENOTTY), Status::WRONG_TYPE);
        assert_eq!(Status::from_errno(libc::EBADF), Status::BAD_HANDLE);
        assert_eq!(Status::from_errno(libc::EXDEV), Status::INTERNAL);
    }

    #[test]
    fn ok_and_raw() {
        assert_eq!(Status::ok(0), Ok(()));
        assert_eq!(Status::ok(-30), Err(Status::ACCESS_DENIED));
        assert_eq!(Status::from_raw(-12).into_raw(), -12);
        assert_eq!(Status::from_raw(-999), Status::from_raw(-999));
    }

    #[test]
    fn debug_and_display_name_the_status() {
        assert_eq!(format!("{:?}", Status::BAD_STATE), "Status(BAD_STATE)");
        assert_eq!(format!("{:?}", Status::from_raw(-77)), "Status(-77)");
        assert_eq!(
            Status::ACCESS_DENIED.to_string(),
            "ZX_ERR_ACCESS_DENIED (-30): access denied"
        );
        assert!(Status::from_raw(-77).to_string().contains("-77"));
        let err: Box<dyn std::error::Error> = Box::new(Status::NO_MEMORY);
        assert!(err.to_string().starts_with("ZX_ERR_NO_MEMORY"));
    }
}
