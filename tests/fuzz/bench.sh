#!/usr/bin/env bash
# Times the kernel-image decoders at -O2 (no sanitizers) on real kernels, as the host sees them.
#
# usage: tests/fuzz/bench.sh [FILE...]
#   FILE  bzImages, ELF vmlinux files or bare .gz/.xz/.lz4 streams; default: every
#         ~/.cache/mica/stock-*/vmlinuz and ~/.cache/mica/linux-*/bzImage (MICA_CACHE overrides)
#
# Builds build/fuzz/kimg_tool from tests/fuzz/kimg_tool.c and the real sources, then for each
# file prints the payload, the best CPU time of 3 runs and the Xen notes of the result. The
# hypervisor does the same work for dom0 at boot, where QEMU's software emulation is roughly
# 10-50 times slower than these numbers.
set -eu
cd "$(dirname "$0")/../.."

CC=${CC_BENCH:-clang}
OUT=build/fuzz/bench
RENAMED="memset memcpy memmove memcmp strlen strnlen strcmp strncmp strchr strlcpy vsnprintf snprintf"
CFLAGS="-std=gnu11 -O2 -g -Wall -Wextra -Werror -Wmissing-prototypes -Wshadow
	-Wno-unused-parameter -Ihypervisor/include -Ihypercall/include"
REAL="-fno-builtin"
for n in $RENAMED; do REAL="$REAL -D$n=mica_$n"; done

mkdir -p "$OUT"
objs=""
for s in hypervisor/common/kernel_image/*.c dom0-tools/kernel_image/*.c hypervisor/common/lib/string.c \
	hypervisor/common/lib/vsnprintf.c; do
	o="$OUT/$(basename "$s" .c).o"
	# shellcheck disable=SC2086
	$CC $CFLAGS $REAL -c "$s" -o "$o"
	objs="$objs $o"
done
# shellcheck disable=SC2086
$CC $CFLAGS tests/fuzz/kimg_tool.c $objs -o build/fuzz/kimg_tool

cache=${MICA_CACHE:-$HOME/.cache/mica}
if [ $# -eq 0 ]; then
	set -- $(ls "$cache"/stock-*/vmlinuz "$cache"/linux-*/bzImage 2>/dev/null || true)
	[ $# -gt 0 ] || { echo "no kernels in $cache (run guest-linux-patches/stock.py)"; exit 1; }
fi
for f in "$@"; do
	echo "== $f"
	build/fuzz/kimg_tool -n 3 "$f"
done
