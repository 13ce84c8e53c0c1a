//! Zircon-shaped virtual memory objects on Linux.
//!
//! This crate wraps the ioctls of the `zxvmo` kernel module (`/dev/zxvmo`)
//! in an API shaped like Fuchsia's `zx` crate. Every object is a file
//! descriptor; a handle's rights live with its open file, and every call
//! checks them. Errors are [`Status`] values with Zircon's codes;
//! [`Refusal::of`] adds the kernel's reason for one (which check refused:
//! a missing right, System RAM, a busy range, lockdown, ...):
//!
//! ```no_run
//! # use zxvmo::{Refusal, Resource, ResourceFlags, ResourceKind};
//! # let root = Resource::root()?;
//! if let Err(status) = Resource::create(&root, ResourceKind::Mmio, ResourceFlags::EXCLUSIVE,
//!                                       0x10_0000, 0x1000, "ram") {
//!     // "ZX_ERR_ACCESS_DENIED (-30): access denied: the range touches System RAM"
//!     eprintln!("refused: {}", Refusal::of(status));
//! }
//! # Ok::<(), zxvmo::Status>(())
//! ```
//!
//! ```no_run
//! use zxvmo::{Resource, ResourceFlags, ResourceKind, Vmo, VmarFlags};
//!
//! // A privileged process carves one device's registers out of the root
//! // resource (CAP_SYS_RAWIO needed) ...
//! let root = Resource::root()?;
//! let bar0 = Resource::create(&root, ResourceKind::Mmio, ResourceFlags::EXCLUSIVE,
//!                             0xfea0_0000, 0x10_0000, "edu-bar0")?;
//! // ... and whoever holds `bar0` (passed over a unix socket, say) maps it.
//! let vmo = Vmo::create_physical(&bar0, 0xfea0_0000, 0x1000)?;
//! let regs = vmo.map(0, 0x1000, VmarFlags::PERM_READ | VmarFlags::PERM_WRITE)?;
//! assert_eq!(regs.read32(0x00)?, 0x010000ed);
//! # Ok::<(), zxvmo::Status>(())
//! ```

#![deny(unsafe_op_in_unsafe_fn)]

mod device;
mod handle;
mod ioctl;
mod mapping;
pub mod pci;
mod refusal;
mod resource;
mod rights;
mod status;
mod vmo;

pub use device::{Device, OpenError, DEVICE_PATH};
pub use handle::{Handle, HandleBased, Info};
pub use mapping::{Mapping, VmarFlags};
pub use refusal::{Reason, Refusal};
pub use resource::{Resource, ResourceFlags, ResourceKind};
pub use rights::Rights;
pub use status::Status;
pub use vmo::{CachePolicy, Deadline, Signals, Vmo, VmoChildOptions, VmoOp, VmoOptions};
/// The raw ABI: ioctl numbers, argument structs and Zircon constants.
pub use zxvmo_abi as sys;
