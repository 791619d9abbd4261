#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check-layers.sh [DIR]: heca's kernel files call one way, down the layers
# below, and neither calls nor includes go in a circle.  Run on a built tree
# (the *.o of heca.ko and heca_rdma.ko in DIR, default: this directory):
#   - every symbol a file uses that another heca file defines (nm: U against
#     T/D/B/R) is defined in the same layer or a lower one;
#   - the graph of those uses between files has no cycle (tsort);
#   - the graph of '#include "..."' between heca's own files has no cycle.
# Prints the edges that break a rule and exits 1, else "layers: clean".
set -euo pipefail
dir=${1:-$(dirname "$0")}
cd "$dir"

# Layers, top first; a file calls only files of its layer or below.
layers=(
	"main"
	"region_dev"
	"session handshake"
	"source source_dirty dest_role dest_pull dest_fault dest dest_prefetch"
	"rdma_main rdma_cm rdma_conn rdma_src rdma_dst rdma_dev rdma_chan rdma transport_tcp transport proto"
	"state stats region region_mm trace"
)
declare -A level
for i in "${!layers[@]}"; do
	for f in ${layers[i]}; do level[$f]=$i; done
done

objs=()
for f in "${!level[@]}"; do
	[ -f "$f.o" ] || { echo "layers: $dir/$f.o missing (build the module first)" >&2; exit 2; }
	objs+=("$f")
done
for o in *.o; do
	case $o in *.mod.o | heca.o | heca_rdma.o) continue ;; esac
	[ -f "${o%.o}.c" ] || continue		# left from a file that is gone
	[ -n "${level[${o%.o}]:-}" ] || { echo "layers: $o is in no layer: add it to $0" >&2; exit 2; }
done

declare -A owner
for f in "${objs[@]}"; do
	while read -r _ _ sym; do owner[$sym]=$f; done < <(nm --defined-only "$f.o" | awk '$2 ~ /^[TDBR]$/')
done

bad=0
edges=$(mktemp)
trap 'rm -f "$edges" "$edges.err"' EXIT

# acyclic WHAT: the edges in $edges ("from to" lines) have no cycle.
acyclic() {
	if ! sort -u "$edges" | tsort >/dev/null 2>"$edges.err"; then
		echo "layers: $1 go in a circle:"
		cat "$edges.err"
		bad=1
	fi
}

for f in "${objs[@]}"; do
	while read -r sym; do
		t=${owner[$sym]:-}
		[ -n "$t" ] && [ "$t" != "$f" ] || continue
		echo "$f $t" >>"$edges"
		if [ "${level[$t]}" -lt "${level[$f]}" ]; then
			echo "layers: $f.c calls up into $t.c ($sym)"
			bad=1
		fi
	done < <(nm --undefined-only "$f.o" | awk '{ print $2 }')
done
acyclic calls

: >"$edges"
for f in *.c *.h; do
	sed -n 's/^#include "\([^"]*\)"/\1/p' "$f" | while read -r h; do
		[ -f "$h" ] && echo "$f $h" >>"$edges"
	done
done
acyclic includes

[ $bad = 0 ] && echo "layers: clean"
exit $bad
