# SPDX-License-Identifier: GPL-2.0
#
# heca: top-level build.
#
#   make            build kernel/heca.ko, tools/lib/heca/libheca.a,
#                   tools/hecactl/hecactl and the selftests
#   make check      install what is missing (apt), build, lint, run every test in the lab
#   make check-debug the same tests on a debug kernel (KASAN, lockdep, kmemleak,
#                   fault injection, ...), built once into a cache (tools/testing/debug-kernel/)
#   make demo       install what is missing, build, run the demo in the lab
#   make deps       install the Debian packages the build and the lab need
#   make install    heca.ko and heca_rdma.ko into /lib/modules/<v>/extra (then
#                   depmod: "modprobe heca" works, and heca_rdma loads on the
#                   first RDMA session), hecactl into $(PREFIX)/sbin;
#                   DESTDIR=DIR installs under DIR instead (no depmod)
#   make uninstall  remove what make install put there
#
# KDIR=/lib/modules/<v>/build overrides the kernel to build against; by default
# the newest version that has both /boot/vmlinuz-<v> and /lib/modules/<v>/build.

SHELL := /bin/bash
TOP := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))

KVER ?= $(shell for d in $$(ls -d /lib/modules/*/build 2>/dev/null | sort -V -r); do \
		v=$$(basename $$(dirname $$d)); \
		[ -e /boot/vmlinuz-$$v ] && { echo $$v; break; }; done)
KDIR ?= /lib/modules/$(KVER)/build
export KVER KDIR

# Everything the build, the lint and the lab use, from Debian.
DEPS := build-essential gcc-multilib sparse kmod cpio busybox-static \
	linux-image-amd64 linux-headers-amd64 linux-source-6.1 \
	qemu-system-x86 rdma-core ibverbs-utils rdmacm-utils perftest qperf iproute2 \
	libibverbs-dev librdmacm-dev \
	libjson-c-dev pkg-config gnuplot-nox socat jq python3-sphinx
# What building the debug kernel needs on top (tools/testing/debug-kernel/build-kernel.sh).
DEBUG_DEPS := flex bison bc libelf-dev lz4 xz-utils patch

.PHONY: all module tools selftests install uninstall kver check check-debug demo bench deps deps-debug \
	lint checkpatch sparse layers clean

all: module tools selftests

module:
	@test -d "$(KDIR)" || { echo "make: no kernel build tree at KDIR=$(KDIR) (run 'make deps')" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(TOP)/kernel W=1 modules

tools:
	$(MAKE) -C tools/lib/heca
	$(MAKE) -C tools/hecactl

selftests: tools
	$(MAKE) -C selftests

PREFIX ?= /usr/local
# Signing needs the distribution's key, which a build host does not have.
install: module tools
	$(MAKE) -C $(KDIR) M=$(TOP)/kernel INSTALL_MOD_PATH=$(DESTDIR) \
		INSTALL_MOD_DIR=extra CONFIG_MODULE_SIG_ALL= modules_install
	install -D -m 0755 tools/hecactl/hecactl $(DESTDIR)$(PREFIX)/sbin/hecactl
	$(if $(DESTDIR),,depmod -a $(KVER))

# The kernel the module is built for (for scripts run outside make).
kver:
	@echo $(KVER)

uninstall:
	rm -f $(DESTDIR)/lib/modules/$(KVER)/extra/heca.ko \
		$(DESTDIR)/lib/modules/$(KVER)/extra/heca_rdma.ko \
		$(DESTDIR)$(PREFIX)/sbin/hecactl
	$(if $(DESTDIR),,depmod -a $(KVER))

# $(call install,PACKAGES): apt-get install those not installed yet.
define install
	@missing=$$(for p in $(1); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
		grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "deps: installing$$(echo ' '$$missing)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi
endef

deps:
	$(call install,$(DEPS))

deps-debug: deps
	$(call install,$(DEBUG_DEPS))

checkpatch:
	tools/testing/lint.sh checkpatch

sparse:
	@test -d "$(KDIR)" || { echo "make: no kernel build tree at KDIR=$(KDIR)" >&2; exit 1; }
	@mkdir -p build
	$(MAKE) -C $(KDIR) M=$(TOP)/kernel W=1 C=2 modules 2>&1 | tee build/sparse.log
	@! grep -E 'warning:|error:' build/sparse.log
	@echo "sparse: clean"

# After sparse, which builds the objects it reads.
layers:
	kernel/check-layers.sh

lint: checkpatch sparse layers
	Documentation/lint.sh

check: deps
	$(MAKE) all
	$(MAKE) lint
	tools/testing/check.sh

# The debug-kernel lane: the kernel is built once (14-36 min on two cores)
# into a cache outside the repository, heca.ko against it in build/debug/tree,
# then the lab's suites run on it; results in build/check-debug.  Not part
# of "make check" (see Documentation/testing.rst).
check-debug: deps-debug
	$(MAKE) tools selftests
	tools/testing/debug-kernel/check.sh

demo: deps
	$(MAKE) all
	tools/testing/demo.sh

bench: deps
	$(MAKE) all
	bench/run.sh

clean:
	-$(MAKE) -C $(KDIR) M=$(TOP)/kernel clean
	-$(MAKE) -C tools/hecactl clean
	-$(MAKE) -C tools/lib/heca clean
	-$(MAKE) -C selftests clean
	rm -rf build
