//! Under kernel lockdown even root cannot take the root resource. Runs only
//! in the VM that scripts/test.sh boots with `lockdown=integrity`.

use zxvmo::{Reason, Refusal, Resource, Status};
use zxvmo_vmtests::require_vm;

#[test]
fn root_resource_is_refused_under_lockdown_even_to_root() {
    require_vm();
    let cmdline = std::fs::read_to_string("/proc/cmdline").unwrap();
    assert!(
        cmdline
            .split_whitespace()
            .any(|w| w == "lockdown=integrity"),
        "this test needs a VM booted with lockdown=integrity: {cmdline}"
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
