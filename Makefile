# SPDX-License-Identifier: GPL-2.0
# zxvmo: `make` builds zxvmo.ko against KDIR (default: the cached test kernel
# that scripts/setup.sh builds). Any Rust-enabled kernel build tree works,
# with the rustc that built it.

SHELL := /bin/bash
# Each recipe runs in one shell, which stops at the first failing command:
# a line is not a shell (and an exec) of its own. (In the test VM an exec
# costs 0.2-0.45 s; `make install` ran 40.)
.ONESHELL:
.SHELLFLAGS := -ec
ZXVMO_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/zxvmo
KDIR ?= $(ZXVMO_CACHE)/kernel-current
# The kernel and the module need Debian's rustc (it ships the library source);
# rustup's may come first in PATH.
KERNEL_RUSTC ?= /usr/bin/rustc
# The project's test kernels record how they were built (LLVM=1, or
# LLVM=-19 for clang-19); any other tree builds with LLVM=1. bindgen must
# parse with the libclang of that clang: it otherwise takes the newest one
# installed, which may reject the older clang's flags.
-include $(KDIR)/zxvmo-toolchain.mk
LLVM ?= 1
# (Derived for each KDIR: an inherited environment value, such as the one a
# make for another kernel exported, must not win; `make LIBCLANG_PATH=`
# does. Asked of llvm-config once, and only by a recipe that builds against
# the kernel, which gets it in its environment: `make install` needs none.)
ifneq ($(origin LIBCLANG_PATH),command line)
LIBCLANG_PATH = $(eval LIBCLANG_PATH := $(shell llvm-config$(filter -%,$(LLVM)) --libdir 2>/dev/null))$(LIBCLANG_PATH)
unexport LIBCLANG_PATH
endif
# M= builds another module of this repo with the same toolchain (the
# tests' helper modules).
M ?= $(CURDIR)
KMAKE = $(if $(LIBCLANG_PATH),LIBCLANG_PATH=$(LIBCLANG_PATH)) $(MAKE) -C $(KDIR) M=$(M) LLVM=$(LLVM) \
	RUSTC=$(KERNEL_RUSTC) HOSTRUSTC=$(KERNEL_RUSTC)

.PHONY: all modules lib setup test check demo hostile hostile-short bench clean distclean check-kdir fmt install uninstall

all: modules

check-kdir:
	@test -f $(KDIR)/Makefile || { echo "zxvmo: no kernel build tree at KDIR=$(KDIR); run scripts/setup.sh or pass KDIR=<your Rust-enabled kernel tree>" >&2; exit 1; }
	@grep -qx CONFIG_RUST=y $(KDIR)/.config || { echo "zxvmo: $(KDIR) is not built with CONFIG_RUST=y; zxvmo is a Rust module and needs a kernel built with it (see \"Which kernels\" in README.md)" >&2; exit 1; }

modules: check-kdir
	$(KMAKE) modules

setup:
	scripts/setup.sh

# Zircon's C API: libzxvmo_zircon.so and .a (userspace/zxvmo-c), built with
# cargo from the zxvmo crate.
CARGO ?= cargo
LIBBUILD = $(or $(CARGO_TARGET_DIR),userspace/target)/release
lib:
	cd userspace && $(CARGO) build -q --release -p zxvmo-c

# `make install` puts zxvmo.ko under /lib/modules/<kernel>/updates/, a udev
# rule that gives /dev/zxvmo to group zxvmo with mode 0660, the group's
# sysusers.d entry, the C headers (<zxvmo.h>, <zxvmo/zircon.h>) and
# Zircon's C API library with its pkg-config file (zxvmo-zircon); without
# DESTDIR it also runs depmod, creates the group (systemd-sysusers, else
# groupadd), reloads udev and, when it is needed, ldconfig (below). `make
# uninstall` removes what install put there. DESTDIR=<dir> stages the tree
# for a package instead. (`make -o modules -o lib install` installs what
# is already built.) Each names what it installs or removes.
KVER ?= $(strip $(file <$(KDIR)/include/config/kernel.release))
PREFIX ?= /usr
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MODDIR = $(DESTDIR)/lib/modules/$(KVER)/updates
UDEVDIR = $(DESTDIR)/lib/udev/rules.d
SYSUSERSDIR = $(DESTDIR)/usr/lib/sysusers.d
INSTALLED = $(MODDIR)/zxvmo.ko $(UDEVDIR)/99-zxvmo.rules $(SYSUSERSDIR)/zxvmo.conf \
	$(DESTDIR)$(INCLUDEDIR)/zxvmo.h $(DESTDIR)$(INCLUDEDIR)/zxvmo/zircon.h \
	$(DESTDIR)$(LIBDIR)/libzxvmo_zircon.so $(DESTDIR)$(LIBDIR)/libzxvmo_zircon.a \
	$(DESTDIR)$(LIBDIR)/pkgconfig/zxvmo-zircon.pc

# ldconfig rebuilds the whole cache by reading every library on the system
# (35 s in the test VM), and the cache changes what ld.so finds in two
# cases only: when it lists libzxvmo_zircon.so (an entry to refresh after
# an install, or to drop after an uninstall), and when the library goes to
# a directory ld.so does not search by itself. So ldconfig runs in those
# cases, and whenever ld.so cannot list its system directories.
# $(call ldconfig_if_needed,install) or $(call ldconfig_if_needed,uninstall)
ldconfig_if_needed = \
	if ldconfig -p 2>/dev/null | grep -q '/libzxvmo_zircon\.so$$' || \
		{ [ $(1) = install ] && ! ld.so --list-diagnostics 2>/dev/null | \
			sed -n 's/^path\.system_dirs\[[^]]*\]="\(.*\)\/"$$/\1/p' | \
			grep -qxF '$(patsubst %/,%,$(LIBDIR))'; }; then \
		ldconfig; \
	fi

install: modules lib
	@test -n "$(KVER)" || { echo "zxvmo: no kernel release in $(KDIR)/include/config/kernel.release" >&2; exit 1; }
	install -D -m 0644 zxvmo.ko $(MODDIR)/zxvmo.ko
	install -D -m 0644 packaging/99-zxvmo.rules $(UDEVDIR)/99-zxvmo.rules
	install -D -m 0644 packaging/zxvmo.sysusers $(SYSUSERSDIR)/zxvmo.conf
	install -D -m 0644 userspace/zxvmo-abi/include/zxvmo.h $(DESTDIR)$(INCLUDEDIR)/zxvmo.h
	install -D -m 0644 userspace/zxvmo-c/include/zxvmo/zircon.h $(DESTDIR)$(INCLUDEDIR)/zxvmo/zircon.h
	install -D -m 0755 $(LIBBUILD)/libzxvmo_zircon.so $(DESTDIR)$(LIBDIR)/libzxvmo_zircon.so
	install -D -m 0644 $(LIBBUILD)/libzxvmo_zircon.a $(DESTDIR)$(LIBDIR)/libzxvmo_zircon.a
	mkdir -p $(DESTDIR)$(LIBDIR)/pkgconfig
	version=$$(sed -n 's/^version = "\(.*\)"/\1/p' userspace/Cargo.toml)
	sed -e 's|@PREFIX@|$(PREFIX)|; s|@LIBDIR@|$(LIBDIR)|; s|@INCLUDEDIR@|$(INCLUDEDIR)|; s|@VERSION@|'"$$version"'|' \
		packaging/zxvmo-zircon.pc.in >$(DESTDIR)$(LIBDIR)/pkgconfig/zxvmo-zircon.pc
	chmod 0644 $(DESTDIR)$(LIBDIR)/pkgconfig/zxvmo-zircon.pc
	for f in $(INSTALLED); do echo "installed $$f"; done
	if [ -z "$(DESTDIR)" ]; then \
		depmod -a $(KVER); \
		$(call ldconfig_if_needed,install); \
		systemd-sysusers $(SYSUSERSDIR)/zxvmo.conf 2>/dev/null || getent group zxvmo >/dev/null || groupadd -r zxvmo; \
		udevadm control --reload-rules 2>/dev/null || true; \
	fi

uninstall:
	@test -n "$(KVER)" || { echo "zxvmo: set KVER=<kernel release> or KDIR" >&2; exit 1; }
	rm -f $(INSTALLED)
	for f in $(INSTALLED); do echo "removed $$f"; done
	rmdir $(DESTDIR)$(INCLUDEDIR)/zxvmo 2>/dev/null || true
	if [ -z "$(DESTDIR)" ]; then \
		depmod -a $(KVER); \
		$(call ldconfig_if_needed,uninstall); \
		udevadm control --reload-rules 2>/dev/null || true; \
		! getent group zxvmo >/dev/null || groupdel zxvmo; \
	fi

# KERNELS="6.12 7.3" (the default), 6.12 or 7.3.
KERNELS ?=
export KERNELS
test:
	scripts/test.sh

check:
	scripts/check.sh

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
