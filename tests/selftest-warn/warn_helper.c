// SPDX-License-Identifier: GPL-2.0
/* WARN() is a macro: the Rust crate calls it through this function. */
#include <linux/bug.h>

void zxvmo_selftest_warn(void);
void zxvmo_selftest_warn(void)
{
	WARN(1, "zxvmo harness self-test: this warning must fail the run\n");
}
