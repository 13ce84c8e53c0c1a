//! `Rights`: what a handle may do with its object.

use zxvmo_abi as sys;

bitflags::bitflags! {
    /// Handle rights (`zx_rights_t`), in Zircon's bit order.
    #[repr(transparent)]
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct Rights: u32 {
        /// `ZX_RIGHT_DUPLICATE`: the handle may be duplicated.
        const DUPLICATE = sys::ZX_RIGHT_DUPLICATE;
        /// `ZX_RIGHT_TRANSFER`: the handle may be transferred to another
        /// process. Linux cannot enforce this across SCM_RIGHTS.
        const TRANSFER = sys::ZX_RIGHT_TRANSFER;
        /// `ZX_RIGHT_READ`: may be read from or mapped readable.
        const READ = sys::ZX_RIGHT_READ;
        /// `ZX_RIGHT_WRITE`: may be written to or mapped writable.
        const WRITE = sys::ZX_RIGHT_WRITE;
        /// `ZX_RIGHT_EXECUTE`: may be mapped executable.
        const EXECUTE = sys::ZX_RIGHT_EXECUTE;
        /// `ZX_RIGHT_MAP`: may be mapped.
        const MAP = sys::ZX_RIGHT_MAP;
        /// `ZX_RIGHT_GET_PROPERTY`: may read properties.
        const GET_PROPERTY = sys::ZX_RIGHT_GET_PROPERTY;
        /// `ZX_RIGHT_SET_PROPERTY`: may set properties.
        const SET_PROPERTY = sys::ZX_RIGHT_SET_PROPERTY;
        /// `ZX_RIGHT_DESTROY`: on a resource, may revoke it
        /// ([`Resource::revoke`](crate::Resource::revoke)).
        const DESTROY = sys::ZX_RIGHT_DESTROY;
        /// `ZX_RIGHT_WAIT`: never granted here; waiting needs no right.
        const WAIT = sys::ZX_RIGHT_WAIT;
        /// `ZX_RIGHT_INSPECT`.
        const INSPECT = sys::ZX_RIGHT_INSPECT;
        /// `ZX_RIGHT_SAME_RIGHTS`: in duplicate/replace, keep the rights.
        const SAME_RIGHTS = sys::ZX_RIGHT_SAME_RIGHTS;
    }
}

impl Rights {
    /// The rights of a new VMO handle, exactly as the seed pages list them.
    pub const VMO_DEFAULT: Rights = Rights::from_bits_retain(sys::ZX_DEFAULT_VMO_RIGHTS);
    /// The rights of a new resource handle.
    pub const RESOURCE_DEFAULT: Rights = Rights::from_bits_retain(sys::ZX_DEFAULT_RESOURCE_RIGHTS);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vmo_default_is_the_seed_list() {
        assert_eq!(
            Rights::VMO_DEFAULT,
            Rights::DUPLICATE
                | Rights::TRANSFER
                | Rights::READ
                | Rights::WRITE
                | Rights::EXECUTE
                | Rights::MAP
                | Rights::GET_PROPERTY
                | Rights::SET_PROPERTY
        );
        assert!(!Rights::VMO_DEFAULT.intersects(Rights::WAIT | Rights::INSPECT));
    }
}
