//! The `/dev/zxvmo` device: opening it and checking the module's ABI version.

use std::fs::OpenOptions;
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::Path;
use std::sync::OnceLock;

use crate::{ioctl, Status};
use zxvmo_abi as sys;

/// The default path of the zxvmo device node.
pub const DEVICE_PATH: &str = "/dev/zxvmo";

/// An open `/dev/zxvmo`, whose module speaks this crate's ABI.
#[derive(Debug)]
pub struct Device {
    fd: OwnedFd,
    version: sys::ZxvmoVersion,
}

/// Why the device could not be opened.
#[derive(Debug)]
pub enum OpenError {
    /// The node does not exist: the module is not loaded.
    NotLoaded(io::Error),
    /// The node exists but this process may not open it.
    Permission(io::Error),
    /// The node could not be opened for another reason.
    Io(io::Error),
    /// The file is not a zxvmo device (it does not answer the version ioctl).
    NotZxvmo(Status),
    /// The module speaks another major version of the ABI.
    VersionMismatch {
        /// The module's version.
        module: (u32, u32),
        /// The version this crate was built for.
        crate_abi: (u32, u32),
    },
}

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OpenError::NotLoaded(e) => write!(
                f,
                "{DEVICE_PATH} not found ({e}): is the zxvmo module loaded? (insmod zxvmo.ko)"
            ),
            OpenError::Permission(e) => write!(
                f,
                "cannot open {DEVICE_PATH} ({e}): the node's mode is set by the module's `mode` parameter"
            ),
            OpenError::Io(e) => write!(f, "cannot open {DEVICE_PATH}: {e}"),
            OpenError::NotZxvmo(s) => {
                write!(f, "{DEVICE_PATH} is not a zxvmo device: version ioctl failed with {s}")
            }
            OpenError::VersionMismatch { module, crate_abi } => write!(
                f,
                "zxvmo module speaks ABI {}.{}, this program was built for {}.{}: rebuild one to match",
                module.0, module.1, crate_abi.0, crate_abi.1
            ),
        }
    }
}

impl std::error::Error for OpenError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            OpenError::NotLoaded(e) | OpenError::Permission(e) | OpenError::Io(e) => Some(e),
            OpenError::NotZxvmo(s) => Some(s),
            OpenError::VersionMismatch { .. } => None,
        }
    }
}

impl Device {
    /// Opens [`DEVICE_PATH`] and checks the module's ABI version.
    ///
    /// # Errors
    ///
    /// An [`OpenError`] that says what is wrong: module missing, no
    /// permission, not a zxvmo device, or another ABI major version.
    pub fn open() -> Result<Device, OpenError> {
        Self::open_path(DEVICE_PATH)
    }

    /// Opens a zxvmo device node at `path` and checks its ABI version.
    ///
    /// # Errors
    ///
    /// As [`Device::open`].
    pub fn open_path(path: impl AsRef<Path>) -> Result<Device, OpenError> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map_err(|e| match e.kind() {
                io::ErrorKind::NotFound => OpenError::NotLoaded(e),
                io::ErrorKind::PermissionDenied => OpenError::Permission(e),
                _ => OpenError::Io(e),
            })?;
        let fd = OwnedFd::from(file);
        let version: sys::ZxvmoVersion =
            ioctl::read(fd.as_fd(), sys::ZXVMO_IOC_VERSION).map_err(OpenError::NotZxvmo)?;
        if version.major != sys::ZXVMO_ABI_MAJOR {
            return Err(OpenError::VersionMismatch {
                module: (version.major, version.minor),
                crate_abi: (sys::ZXVMO_ABI_MAJOR, sys::ZXVMO_ABI_MINOR),
            });
        }
        Ok(Device { fd, version })
    }

    /// The module's ABI version, `(major, minor)`.
    pub fn version(&self) -> (u32, u32) {
        (self.version.major, self.version.minor)
    }

    /// The process-wide device that object-creating calls such as
    /// `Vmo::create` use, opened on first use.
    ///
    /// # Errors
    ///
    /// The [`OpenError`] as a [`Status`]: a missing module is
    /// `NOT_FOUND`, no permission `ACCESS_DENIED`, another ABI major
    /// version `NOT_SUPPORTED`, a file that is not zxvmo the status of its
    /// version call, any other I/O error the status of its errno. Each
    /// call retries until one succeeds.
    pub fn global() -> Result<&'static Device, Status> {
        static DEVICE: OnceLock<Device> = OnceLock::new();
        if let Some(d) = DEVICE.get() {
            return Ok(d);
        }
        match Device::open() {
            Ok(d) => Ok(DEVICE.get_or_init(|| d)),
            Err(OpenError::NotLoaded(_)) => Err(Status::NOT_FOUND),
            Err(OpenError::Permission(_)) => Err(Status::ACCESS_DENIED),
            Err(OpenError::NotZxvmo(s)) => Err(s),
            Err(OpenError::VersionMismatch { .. }) => Err(Status::NOT_SUPPORTED),
            Err(OpenError::Io(e)) => Err(Status::from_io_error(&e)),
        }
    }
}

impl AsFd for Device {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_node_says_the_module_is_not_loaded() {
        let err = Device::open_path("/nonexistent/zxvmo").unwrap_err();
        assert!(matches!(err, OpenError::NotLoaded(_)), "{err:?}");
        assert!(err.to_string().contains("insmod zxvmo.ko"), "{err}");
    }

    #[test]
    fn a_file_that_is_not_zxvmo_is_refused_as_wrong_type() {
        let err = Device::open_path("/dev/null").unwrap_err();
        match err {
            OpenError::NotZxvmo(s) => assert_eq!(s, Status::WRONG_TYPE),
            other => panic!("expected NotZxvmo, got {other:?}"),
        }
    }

    #[test]
    fn version_mismatch_message_names_both_versions() {
        let e = OpenError::VersionMismatch {
            module: (2, 0),
            crate_abi: (1, 0),
        };
        assert_eq!(
            e.to_string(),
            "zxvmo module speaks ABI 2.0, this program was built for 1.0: rebuild one to match"
        );
    }
}
