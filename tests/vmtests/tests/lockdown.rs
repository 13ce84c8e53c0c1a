//! Under kernel lockdown even root cannot take the root resource. Runs only
//! in the test VM after tests/vm/lockdown.sh has locked the kernel down
//! (`integrity`, through securityfs: it can be raised while running, never
//! lowered).

use zxvmo::{Reason, Refusal, Resource, Status};
use zxvmo_vmtests::require_vm;

#[test]
fn root_resource_is_refused_under_lockdown_even_to_root() {
    require_vm();
    let level = std::fs::read_to_string("/sys/kernel/security/lockdown").unwrap();
    assert!(
        level.contains("[integrity]") || level.contains("[confidentiality]"),
        "this test needs a locked-down kernel (tests/vm/lockdown.sh): {level}"
    );
    assert_eq!(
        // SAFETY: geteuid has no preconditions.
        unsafe { libc::geteuid() },
        0,
        "runs as root, with CAP_SYS_RAWIO"
    );
    let status = Resource::root().unwrap_err();
    assert_eq!(status, Status::ACCESS_DENIED);
    // ... and says why: lockdown, not a missing capability.
    let refusal = Refusal::of(status);
    assert_eq!(refusal.reason(), Reason::LOCKDOWN, "{refusal}");
    assert!(refusal.to_string().contains("locked down"), "{refusal}");
    // The kernel itself agrees: /dev/mem is locked down too.
    assert!(std::fs::File::open("/dev/mem").is_err());
}
