#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# install_test.sh: "make install" into a scratch root, on the build host
# (no module is loaded): the modules land in lib/modules/<v>/extra and
# hecactl in usr/local/sbin; with the kernel's own modules beside them and
# depmod run, modprobe resolves "heca" to heca.ko alone (no RDMA stack) and
# the alias a session asks for, "heca-transport-2", to heca_rdma.ko after
# heca.ko, ib_core and rdma_cm; "make uninstall" removes both modules and
# the tool.  KTAP on stdout; exit status non-zero if a check failed.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tools/lab/lib.sh"
kver=${KVER:-$(make -s --no-print-directory -C "$top" kver)}
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mods=$root/lib/modules/$kver

tap_begin "$root/install.tap" 7
make -s -C "$top" install DESTDIR="$root" >"$root.log" 2>&1 ||
	{ sed 's/^/# /' "$root.log"; }
tap_check installed_modules test -f "$mods/extra/heca.ko" -a -f "$mods/extra/heca_rdma.ko"
tap_check installed_hecactl test -x "$root/usr/local/sbin/hecactl"

# The kernel's modules as modprobe would see them on this host.
ln -s "/lib/modules/$kver/kernel" "$mods/kernel"
cp /lib/modules/"$kver"/modules.order /lib/modules/"$kver"/modules.builtin* "$mods/"
depmod -b "$root" "$kver"
heca=$(modprobe -d "$root" -S "$kver" --show-depends heca 2>&1)
tap_check modprobe_heca_alone test "$heca" = "insmod $mods/extra/heca.ko "
rdma=$(modprobe -d "$root" -S "$kver" --show-depends heca-transport-2 2>&1)
tap_check modprobe_alias_rdma test "$(tail -n 1 <<<"$rdma")" = "insmod $mods/extra/heca_rdma.ko "
tap_check modprobe_rdma_needs grep -q "ib_core.ko.*rdma_cm.ko.*extra/heca.ko" <<<"$(tr '\n' ' ' <<<"$rdma")"
# TCP is part of heca.ko: no module answers for it.
tap_check modprobe_no_tcp_alias \
	bash -c "! modprobe -d '$root' -S '$kver' --show-depends heca-transport-1 >/dev/null 2>&1"

make -s -C "$top" uninstall DESTDIR="$root" >>"$root.log" 2>&1
tap_check uninstalled test ! -e "$mods/extra/heca.ko" -a ! -e "$mods/extra/heca_rdma.ko" \
	-a ! -e "$root/usr/local/sbin/hecactl"
rm -f "$root.log"
fails=$(grep -c '^not ok' "$root/install.tap")
echo "install_test: $((TAP_N - fails)) passed, $fails failed"
[ "$fails" = 0 ]
