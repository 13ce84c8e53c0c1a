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

.PHONY: all modules setup test demo hostile hostile-short bench clean distclean check-kdir fmt install uninstall

all: modules

check-kdir:
	@test -f $(KDIR)/Makefile || { echo "zxvmo: no kernel build tree at KDIR=$(KDIR); run scripts/setup.sh or pass KDIR=<your Rust-enabled kernel tree>" >&2; exit 1; }
	@grep -qx CONFIG_RUST=y $(KDIR)/.config || { echo "zxvmo: $(KDIR) is not built with CONFIG_RUST=y; zxvmo is a Rust module and needs a kernel built with it (see \"Which kernels\" in README.md)" >&2; exit 1; }

modules: check-kdir
	$(KMAKE) modules

setup:
	scripts/setup.sh

# `make install` puts zxvmo.ko under /lib/modules/<kernel>/updates/, a udev
# rule that gives /dev/zxvmo to group zxvmo with mode 0660, the group's
# sysusers.d entry and the C header; without DESTDIR it also runs depmod,
# creates the group (systemd-sysusers, else groupadd) and reloads udev.
# `make uninstall` removes what install put there. DESTDIR=<dir> stages
# the tree for a package instead.
KVER ?= $(shell cat $(KDIR)/include/config/kernel.release 2>/dev/null)
MODDIR = $(DESTDIR)/lib/modules/$(KVER)/updates
UDEVDIR = $(DESTDIR)/lib/udev/rules.d
SYSUSERSDIR = $(DESTDIR)/usr/lib/sysusers.d
INCLUDEDIR = $(DESTDIR)/usr/include

install: modules
	@test -n "$(KVER)" || { echo "zxvmo: no kernel release in $(KDIR)/include/config/kernel.release" >&2; exit 1; }
	install -D -m 0644 zxvmo.ko $(MODDIR)/zxvmo.ko
	install -D -m 0644 packaging/99-zxvmo.rules $(UDEVDIR)/99-zxvmo.rules
	install -D -m 0644 packaging/zxvmo.sysusers $(SYSUSERSDIR)/zxvmo.conf
	install -D -m 0644 userspace/zxvmo-abi/include/zxvmo.h $(INCLUDEDIR)/zxvmo.h
	@if [ -z "$(DESTDIR)" ]; then \
		depmod -a $(KVER); \
		systemd-sysusers $(SYSUSERSDIR)/zxvmo.conf 2>/dev/null || getent group zxvmo >/dev/null || groupadd -r zxvmo; \
		udevadm control --reload-rules 2>/dev/null || true; \
	fi

uninstall:
	@test -n "$(KVER)" || { echo "zxvmo: set KVER=<kernel release> or KDIR" >&2; exit 1; }
	rm -f $(MODDIR)/zxvmo.ko $(UDEVDIR)/99-zxvmo.rules $(SYSUSERSDIR)/zxvmo.conf $(INCLUDEDIR)/zxvmo.h
	@if [ -z "$(DESTDIR)" ]; then \
		depmod -a $(KVER); \
		udevadm control --reload-rules 2>/dev/null || true; \
		! getent group zxvmo >/dev/null || groupdel zxvmo; \
	fi

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
