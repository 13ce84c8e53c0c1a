// SPDX-License-Identifier: GPL-2.0

//! Test stand-in for a kernel driver: `insmod zxvmo_claim_probe.ko base=…
//! size=…` claims the range with `request_mem_region`, as a driver's probe
//! does, releases it at once, and loads; when the claim fails, loading
//! fails with `EBUSY`. The VM tests load it over ranges that live zxvmo
//! resources cover, which no driver may claim behind them.

use kernel::prelude::*;

module! {
    type: ClaimProbe,
    name: "zxvmo_claim_probe",
    description: "zxvmo test: claims an iomem range like a driver would (never load outside the test VM)",
    license: "GPL",
}

extern "C" {
    /// Claims and releases the range of the module parameters
    /// (`probe_helper.c`); 0, `-EBUSY` or `-EINVAL`.
    fn zxvmo_claim_probe() -> kernel::ffi::c_int;
}

struct ClaimProbe;

impl kernel::Module for ClaimProbe {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        // SAFETY: The helper reads this module's parameters, which the
        // loader set before `init`, and claims and releases a range.
        kernel::error::to_result(unsafe { zxvmo_claim_probe() })?;
        Ok(ClaimProbe)
    }
}
