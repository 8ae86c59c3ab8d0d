#!/usr/bin/env bash
# Builds the kernel-image fuzz targets (libFuzzer + ASan + UBSan) and runs each for a fixed time.
#
# usage: tests/fuzz/run.sh [-t SECONDS] [-b] [TARGET...]
#   -t SECONDS  time per target (default 20: a smoke test; use 300+ for a real session)
#   -b          build only
#   TARGET      elf_xen gunzip xz lz4 bzimage (default: all)
#
# The targets compile the real hypervisor sources (hypervisor/common/kernel_image/ and
# common/lib/) and dom0's gzip decoder (dom0-tools/kernel_image/) for the host, with the library names that clash with libc renamed as the unit
# tests do. Binaries: build/fuzz/fuzz_TARGET. Corpora grow in build/fuzz/corpus/TARGET/ and
# start from seeds made by tests/fuzz/make_seeds.py (build/fuzz/seeds/). A crash, leak,
# sanitizer report or timeout leaves its input in build/fuzz/artifacts/; reproduce it with
#   build/fuzz/fuzz_TARGET build/fuzz/artifacts/TARGET-crash-...
# One PASS/FAIL line per target, then "N passed, N failed"; exit status 1 if any failed.
set -u
cd "$(dirname "$0")/../.."

SECONDS_EACH=20
BUILD_ONLY=0
while getopts "t:b" opt; do
	case $opt in
	t) SECONDS_EACH=$OPTARG ;;
	b) BUILD_ONLY=1 ;;
	*) sed -n '2,16p' "$0"; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
ALL="elf_xen gunzip xz lz4 bzimage"
TARGETS=${*:-$ALL}

CC=${CC_FUZZ:-clang}
OUT=build/fuzz
RENAMED="memset memcpy memmove memcmp strlen strnlen strcmp strncmp strchr strlcpy vsnprintf snprintf"
SAN="-fsanitize=address,undefined -fno-sanitize-recover=all"
CFLAGS="-std=gnu11 -g -O1 -fno-omit-frame-pointer -Wall -Wextra -Werror -Wmissing-prototypes
	-Wshadow -Wno-unused-parameter -Ihypervisor/include -Ihypercall/include"
REAL="-fno-builtin"
for n in $RENAMED; do REAL="$REAL -D$n=mica_$n"; done
SRCS="$(ls hypervisor/common/kernel_image/*.c dom0-tools/kernel_image/*.c) hypervisor/common/lib/string.c
	hypervisor/common/lib/vsnprintf.c"

if ! command -v "$CC" >/dev/null; then
	echo "FAIL fuzz: $CC not found (install clang, or set CC_FUZZ)"
	echo "0 passed, 1 failed"
	exit 1
fi

mkdir -p "$OUT/obj" "$OUT/artifacts"
objs=""
for s in $SRCS; do
	o="$OUT/obj/$(basename "$s" .c).o"
	# shellcheck disable=SC2086
	if ! $CC $CFLAGS $REAL $SAN -fsanitize=fuzzer-no-link -c "$s" -o "$o"; then
		echo "FAIL fuzz: $s does not build"
		echo "0 passed, 1 failed"
		exit 1
	fi
	objs="$objs $o"
done

passed=0
failed=0
for t in $TARGETS; do
	if [ ! -f "tests/fuzz/fuzz_$t.c" ]; then
		echo "FAIL $t: no such target (targets: $ALL)"
		failed=$((failed + 1))
		continue
	fi
	# shellcheck disable=SC2086
	if ! $CC $CFLAGS $SAN -fsanitize=fuzzer "tests/fuzz/fuzz_$t.c" $objs -o "$OUT/fuzz_$t"; then
		echo "FAIL $t: does not build"
		failed=$((failed + 1))
	fi
done
[ "$failed" -eq 0 ] || { echo "$passed passed, $failed failed"; exit 1; }
[ "$BUILD_ONLY" -eq 1 ] && { echo "built: $(for t in $TARGETS; do printf '%s ' "$OUT/fuzz_$t"; done)"; exit 0; }

rm -rf "$OUT/seeds"
python3 tests/fuzz/make_seeds.py "$OUT/seeds" || { echo "FAIL fuzz: seeds"; exit 1; }
for t in $TARGETS; do
	mkdir -p "$OUT/corpus/$t"
	log="$OUT/fuzz_$t.log"
	"$OUT/fuzz_$t" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
		-max_len=16384 -print_final_stats=1 -artifact_prefix="$OUT/artifacts/$t-" \
		"$OUT/corpus/$t" "$OUT/seeds/$t" >"$log" 2>&1
	status=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
	if [ "$status" -eq 0 ]; then
		echo "PASS $t: ${runs:-?} runs in ${SECONDS_EACH}s, $cov"
		passed=$((passed + 1))
	else
		echo "FAIL $t: status $status, see $log; input in $OUT/artifacts/"
		grep -m1 -A12 'ERROR\|==ERROR\|runtime error\|deadly signal' "$log" | sed 's/^/  /'
		failed=$((failed + 1))
	fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
