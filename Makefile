# SPDX-License-Identifier: GPL-2.0
# zxvmo: `make` builds zxvmo.ko against KDIR (default: the cached test kernel
# that scripts/setup.sh builds). Any Rust-enabled kernel build tree works,
# with the rustc that built it.

SHELL := /bin/bash
ZXVMO_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/zxvmo
KDIR ?= $(ZXVMO_CACHE)/kernel-current
# The kernel and the module need Debian's rustc (it ships the library source);
# rustup's may come first in PATH.
KERNEL_RUSTC ?= /usr/bin/rustc
KMAKE = $(MAKE) -C $(KDIR) M=$(CURDIR) LLVM=1 RUSTC=$(KERNEL_RUSTC) HOSTRUSTC=$(KERNEL_RUSTC)

.PHONY: all modules setup test demo hostile hostile-short bench clean distclean check-kdir fmt

all: modules

check-kdir:
	@test -f $(KDIR)/Makefile || { echo "zxvmo: no kernel build tree at KDIR=$(KDIR); run scripts/setup.sh or pass KDIR=<your Rust-enabled kernel tree>" >&2; exit 1; }
	@grep -qx CONFIG_RUST=y $(KDIR)/.config || { echo "zxvmo: $(KDIR) is not built with CONFIG_RUST=y" >&2; exit 1; }

modules: check-kdir
	$(KMAKE) modules

setup:
	scripts/setup.sh

test:
	scripts/test.sh

demo:
	scripts/demo.sh

hostile:
	scripts/hostile.sh

hostile-short:
	scripts/hostile.sh --short

bench:
	scripts/bench.sh

fmt:
	rustfmt --edition 2021 --config-path $(KDIR)/.rustfmt.toml rust/zxvmo_main.rs
	cd userspace && cargo fmt

# Removes what scripts/setup.sh installed (packages it added, bindgen-cli,
# virtme-ng) and the cache of test kernels, after `make clean`.
distclean: clean
	scripts/uninstall.sh

clean:
	@if test -f $(KDIR)/Makefile; then $(KMAKE) clean; fi
	rm -f rust/bindings_ext.rs rust/.bindings_ext.rs.cmd
	cd userspace && cargo clean
