/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What zxvmo needs from C that 6.12's `kernel::bindings` does not carry:
 * exported functions and types of these headers, plus rust/helpers.c.
 * Kbuild runs bindgen over this file with an explicit allowlist.
 */
#include <linux/anon_inodes.h>
#include <linux/miscdevice.h>
#include <linux/pseudo_fs.h>
#include <linux/security.h>
#include <linux/shmem_fs.h>

#include "helpers.h"
