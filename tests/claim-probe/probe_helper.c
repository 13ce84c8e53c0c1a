// SPDX-License-Identifier: GPL-2.0
/*
 * module_param() and request_mem_region() are macros: the Rust crate reads
 * the parameters and claims through these.
 */
#include <linux/errno.h>
#include <linux/ioport.h>
#include <linux/moduleparam.h>

static unsigned long long base;
static unsigned long long size;
module_param(base, ullong, 0444);
MODULE_PARM_DESC(base, "first physical address to claim");
module_param(size, ullong, 0444);
MODULE_PARM_DESC(size, "bytes to claim");

int zxvmo_claim_probe(void);
int zxvmo_claim_probe(void)
{
	if (!size)
		return -EINVAL;
	if (!request_mem_region(base, size, "zxvmo-claim-probe"))
		return -EBUSY;
	release_mem_region(base, size);
	return 0;
}
