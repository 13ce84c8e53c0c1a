// SPDX-License-Identifier: GPL-2.0

//! Harness self-test: a module whose `init` triggers a kernel WARN.
//!
//! `scripts/test.sh` loads it inside the VM and expects `scripts/vm-run.sh`
//! to fail the run and quote the warning. If the harness ever stops seeing
//! kernel reports, this is the test that notices.

use kernel::prelude::*;

module! {
    type: SelftestWarn,
    name: "zxvmo_selftest_warn",
    description: "zxvmo VM-harness self-test: triggers a WARN on load (never load outside the test VM)",
    license: "GPL",
}

extern "C" {
    /// `WARN(1, …)` from `warn_helper.c` (`WARN` is a C macro).
    fn zxvmo_selftest_warn();
}

struct SelftestWarn;

impl kernel::Module for SelftestWarn {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        // SAFETY: The helper takes no arguments and only emits a warning.
        unsafe { zxvmo_selftest_warn() };
        Ok(SelftestWarn)
    }
}
