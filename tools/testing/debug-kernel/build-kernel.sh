#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build-kernel.sh - build, once, the heca debug kernel (KASAN, lockdep,
# kmemleak, debugobjects, KFENCE, fault injection, ...) from Debian's
# linux-source-6.1 tarball into a cache outside the repository, with its
# modules installed and its build tree kept for out-of-tree module builds.
#
#   tools/testing/debug-kernel/build-kernel.sh            build if needed, print paths
#   tools/testing/debug-kernel/build-kernel.sh --print    print paths; exit 1 if not built
#   tools/testing/debug-kernel/build-kernel.sh --config   only make and check the .config
#   tools/testing/debug-kernel/build-kernel.sh --rebuild  build again, replace the cache
#
# stdout is only KEY=VALUE lines (eval-able), progress goes to stderr:
#   HECA_DEBUG_KVER      kernel release (uname -r in the VM)
#   HECA_DEBUG_BZIMAGE   kernel image for qemu -kernel
#   HECA_DEBUG_MODROOT   INSTALL_MOD_PATH: modprobe -d $MODROOT -S $KVER ...
#   HECA_DEBUG_MODDIR    $MODROOT/lib/modules/$KVER
#   HECA_DEBUG_KDIR      build tree: make -C $KDIR M=$PWD/kernel modules
#
# Environment:
#   HECA_DEBUG_CACHE    cache root (default /var/cache/heca/debug-kernel)
#   HECA_DEBUG_TARBALL  kernel source (default /usr/src/linux-source-6.1.tar.xz)
#   HECA_DEBUG_BASE     tinyconfig (default) or x86_64_defconfig
#   HECA_DEBUG_JOBS     make -j (default: nproc)
#   HECA_DEBUG_NICE     nice level of the compile (default 19)
#
# Patches in tools/testing/debug-kernel/patches/*.patch (fixes for known 6.1 bugs that
# would fire a checker on every run) are applied to the source, in name order.
#
# The cache entry is <root>/<key>, key = source package version + base config
# + a hash of debug.config, the patches, the compiler version and this
# script's recipe version.  It is built in <root>/.tmp.* and renamed into
# place when complete, so an interrupted build never leaves a half cache (the
# next run sweeps the leftovers).  A flock on <root>/.lock serialises
# concurrent builders.

set -euo pipefail

# Bump when the build steps change in a way that changes the result.
RECIPE=1

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
fragment=$here/debug.config
root=${HECA_DEBUG_CACHE:-/var/cache/heca/debug-kernel}
tarball=${HECA_DEBUG_TARBALL:-/usr/src/linux-source-6.1.tar.xz}
base=${HECA_DEBUG_BASE:-tinyconfig}
jobs=${HECA_DEBUG_JOBS:-$(nproc)}
nicelvl=${HECA_DEBUG_NICE:-19}

mode=build
for arg in "$@"; do
	case $arg in
	--print) mode=print ;;
	--config) mode=config ;;
	--rebuild) mode=rebuild ;;
	-h | --help)
		sed -n '4,/^$/s/^# \{0,1\}//p' "$0" >&2
		exit 0
		;;
	*)
		echo "build-kernel.sh: unknown argument '$arg' (try --help)" >&2
		exit 2
		;;
	esac
done

msg() { echo "build-kernel: $*" >&2; }
die() {
	msg "error: $*"
	exit 1
}

case $base in
tinyconfig | x86_64_defconfig) ;;
*) die "HECA_DEBUG_BASE must be tinyconfig or x86_64_defconfig, not '$base'" ;;
esac
[ -r "$fragment" ] || die "no config fragment $fragment"
[ -r "$tarball" ] || die "no kernel source $tarball (apt-get install linux-source-6.1)"

# --- cache key
srcver=
if pkg=$(dpkg-query -S "$tarball" 2>/dev/null | cut -d: -f1) && [ -n "$pkg" ]; then
	srcver=$(dpkg-query -W -f='${Version}' "$pkg" 2>/dev/null || true)
fi
if [ -z "$srcver" ]; then
	srcver=$(basename "$tarball" .tar.xz)-$(stat -L -c '%s %Y' "$tarball" | sha256sum | cut -c1-8)
fi
patches=()
for p in "$here"/patches/*.patch; do
	[ -e "$p" ] && patches+=("$p")
done
cfghash=$({
	echo "recipe $RECIPE base $base"
	cat "$fragment"
	gcc --version | head -n1
	# Without patches the key is what it was before patches/ existed.
	[ ${#patches[@]} -eq 0 ] || cat "${patches[@]}"
} | sha256sum | cut -c1-12)
key=$(echo "$srcver-$base-$cfghash" | tr -c 'A-Za-z0-9.+_\n-' '_')
dir=$root/$key
envfile=$dir/heca-debug.env

# A cache entry is valid when its env file exists and every path it names does.
cache_valid() {
	local k v
	[ -r "$envfile" ] || return 1
	while IFS='=' read -r k v; do
		case $k in
		HECA_DEBUG_BZIMAGE | HECA_DEBUG_MODDIR | HECA_DEBUG_KDIR) [ -e "$v" ] || return 1 ;;
		esac
	done <"$envfile"
	[ -r "$dir/build/Module.symvers" ] && [ -r "$dir/build/.config" ]
}

print_paths() {
	cat "$envfile"
	# shellcheck disable=SC1090
	. "$envfile"
	msg "cache $dir"
	msg "  kernel image  $HECA_DEBUG_BZIMAGE"
	msg "  modules       $HECA_DEBUG_MODDIR"
	msg "  build (KDIR)  $HECA_DEBUG_KDIR"
	msg "  built in      ${HECA_DEBUG_BUILD_SECONDS}s wall (${HECA_DEBUG_JOBS} jobs)"
}

if [ "$mode" = print ]; then
	cache_valid || {
		msg "no debug kernel in $dir (run $0 to build it)"
		exit 1
	}
	print_paths
	exit 0
fi
if [ "$mode" = build ] && cache_valid; then
	print_paths
	exit 0
fi

# --- tools
for t in gcc make flex bison bc perl tar xz lz4 patch depmod modinfo; do
	command -v "$t" >/dev/null || die "'$t' not found (apt-get install build-essential flex bison bc kmod xz-utils lz4 patch)"
done
[ -r /usr/include/libelf.h ] || [ -r /usr/include/elfutils/libelf.h ] ||
	die "libelf headers missing, objtool needs them (apt-get install libelf-dev)"

mkdir -p "$root"
exec 9>"$root/.lock"
if ! flock -n 9; then
	msg "another build holds $root/.lock, waiting"
	flock 9
fi
# Someone else may have built it while we waited.
if [ "$mode" = build ] && cache_valid; then
	print_paths
	exit 0
fi
# Leftovers of stopped builds: nobody else is building (we hold the lock).
for old in "$root"/.tmp.* "$root"/.old.*; do
	[ -e "$old" ] || continue
	msg "removing leftover $old"
	rm -rf "$old"
done

tmp=$(mktemp -d "$root/.tmp.XXXXXX")
chmod 755 "$tmp"
log=$root/$key.log
child=
cleanup() {
	local rc=$?
	if [ -n "$child" ]; then
		kill -TERM "$child" 2>/dev/null || true
		wait "$child" 2>/dev/null || true
	fi
	[ -n "$tmp" ] && rm -rf "$tmp"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Run a long step in the background so INT/TERM stop it promptly; output to
# the log.  On failure show the log's tail.
step() {
	local what=$1 rc=0
	shift
	msg "$what"
	echo "== $what: $*" >>"$log"
	"$@" >>"$log" 2>&1 &
	child=$!
	wait "$child" || rc=$?
	child=
	if [ "$rc" -ne 0 ]; then
		tail -n 40 "$log" >&2
		die "$what failed (exit $rc), full log: $log"
	fi
}

# Every CONFIG_X=v line of the fragment must be in the final .config as is,
# every "# CONFIG_X is not set" must not be =y/=m.  Kconfig drops an option
# whose dependencies are off without a word: fail on it.  The checkers (after
# the "checkers" marker) are listed.
check_config() {
	local cfg=$1 line sym bad=0 checkers=0 got
	while IFS= read -r line; do
		case $line in
		*"--- checkers ---"*)
			checkers=1
			msg "checker config:"
			continue
			;;
		CONFIG_*=*)
			sym=${line%%=*}
			if grep -qxF -- "$line" "$cfg"; then
				[ $checkers -eq 0 ] || msg "  ok       $line"
			elif [ "$sym" = CONFIG_ENABLE_DEFAULT_TRACERS ]; then
				# Only a way to select TRACING on tinyconfig; a base with
				# a function tracer selects it and hides this option.
				# TRACING and EVENT_TRACING themselves are checked.
				msg "  n/a      $line (TRACING selected otherwise)"
			else
				got=$(grep -E "^$sym=|^# $sym is not set" "$cfg" || echo "absent")
				msg "  MISSING  $line (got: $got)"
				bad=1
			fi
			;;
		"# CONFIG_"*" is not set")
			sym=${line#\# }
			sym=${sym%% *}
			if grep -qE "^$sym=[ym]$" "$cfg"; then
				msg "  SET      $sym (wanted off)"
				bad=1
			else
				[ $checkers -eq 0 ] || msg "  ok       $line"
			fi
			;;
		esac
	done <"$fragment"
	[ $bad -eq 0 ] || die "the final .config lacks options of $fragment (see MISSING/SET above)"
	msg "all $(grep -cE '^CONFIG_|^# CONFIG_.* is not set' "$fragment") options of debug.config are in .config"
}

mk() { nice -n "$nicelvl" make -C "$tmp/build" "$@"; }

start=$(date +%s)
: >"$log"
msg "building debug kernel $key (log: $log)"
step "extracting $(basename "$tarball")" tar --no-same-owner -xf "$tarball" -C "$tmp"
src=$(find "$tmp" -mindepth 1 -maxdepth 1 -type d | head -n1)
[ -r "$src/Makefile" ] || die "no kernel Makefile in $tarball"
mv "$src" "$tmp/build"
for p in "${patches[@]}"; do
	step "applying patches/$(basename "$p")" patch -d "$tmp/build" -p1 --forward --batch -i "$p"
done

step "make $base" mk "$base"
step "merging debug.config" "$tmp/build/scripts/kconfig/merge_config.sh" -m -O "$tmp/build" \
	"$tmp/build/.config" "$fragment"
step "make olddefconfig" mk olddefconfig
check_config "$tmp/build/.config"
if [ "$mode" = config ]; then
	cp "$tmp/build/.config" "$root/$key.config"
	msg "config checked: $root/$key.config"
	exit 0
fi

cstart=$(date +%s)
step "compiling with -j$jobs (nice $nicelvl)" mk -j"$jobs" all
cend=$(date +%s)
kver=$(make -s --no-print-directory -C "$tmp/build" kernelrelease)
step "installing modules" mk INSTALL_MOD_PATH="$tmp/modroot" modules_install
moddir=$tmp/modroot/lib/modules/$kver
[ -r "$moddir/modules.dep" ] || die "modules_install made no $moddir/modules.dep"
# modules_install points build/source at the temporary tree: make them relative.
for l in build source; do
	if [ -L "$moddir/$l" ]; then
		rm -f "$moddir/$l"
		ln -s ../../../../build "$moddir/$l"
	fi
done

# The build tree must build an out-of-tree module whose vermagic matches.
mkdir -p "$tmp/modtest"
cat >"$tmp/modtest/hello.c" <<'EOF'
// SPDX-License-Identifier: GPL-2.0
#include <linux/module.h>
static int __init hello_init(void) { return 0; }
static void __exit hello_exit(void) { }
module_init(hello_init);
module_exit(hello_exit);
MODULE_LICENSE("GPL");
EOF
echo 'obj-m := hello.o' >"$tmp/modtest/Kbuild"
step "checking an out-of-tree module build" mk M="$tmp/modtest" modules
vm=$(modinfo -F vermagic "$tmp/modtest/hello.ko")
case $vm in
"$kver "*) ;;
*) die "test module vermagic '$vm' does not start with '$kver'" ;;
esac
rm -rf "$tmp/modtest"

cp "$tmp/build/arch/x86/boot/bzImage" "$tmp/bzImage"
cp "$tmp/build/System.map" "$tmp/System.map"
cp "$tmp/build/.config" "$tmp/config"
end=$(date +%s)
cat >"$tmp/heca-debug.env" <<EOF
HECA_DEBUG_DIR=$dir
HECA_DEBUG_KVER=$kver
HECA_DEBUG_BZIMAGE=$dir/bzImage
HECA_DEBUG_MODROOT=$dir/modroot
HECA_DEBUG_MODDIR=$dir/modroot/lib/modules/$kver
HECA_DEBUG_KDIR=$dir/build
HECA_DEBUG_BUILD_SECONDS=$((end - start))
HECA_DEBUG_COMPILE_SECONDS=$((cend - cstart))
HECA_DEBUG_JOBS=$jobs
EOF
cp "$log" "$tmp/build.log"

# Publish: rename into place (replace an old entry for --rebuild).
if [ -e "$dir" ]; then
	mv -T "$dir" "$(mktemp -u "$root/.old.XXXXXX")"
fi
mv -T "$tmp" "$dir"
tmp=
rm -rf "$root"/.old.*
rm -f "$log"
msg "done in $((end - start))s (compile $((cend - cstart))s)"
print_paths
