# Sourced by domu-run, create-many, grant-run and io-run: one toolstack's commands behind
# the same names, so the scripts are the same for Xen (xl) and Mica (mica). Needs $tool (xl
# or mica). ts_create [-p] CFG, ts_create_retry NAME CFG (below), ts_exists NAME,
# ts_domid NAME, ts_destroy NAME, ts_free_mib, ts_console_log NAME, ts_daemons (the dom0
# processes the toolstack keeps per guest).
case "$tool" in
xl)
	ts_create() { xl create -q "$@"; }
	ts_exists() { xl domid "$1" >/dev/null 2>&1; }
	ts_domid() { xl domid "$1"; }
	ts_destroy() { xl destroy "$1"; }
	ts_free_mib() { xl info | sed -n 's/^free_memory *: //p'; }
	ts_console_log() { echo "/var/log/xen/console/guest-$1.log"; }
	ts_daemons="xenstored xenconsoled xl"
	;;
mica)
	ts_create() { mica create -q "$@"; }
	ts_exists() { mica list "$1" >/dev/null 2>&1; }
	ts_domid() { mica list "$1" | awk -v n="$1" '$1 == n { print $2 }'; }
	ts_destroy() { mica destroy "$1" >/dev/null; }
	ts_free_mib() { mica info | sed -n 's/^free_memory *: //p'; }
	ts_console_log() { echo "/var/log/mica/console/$1.log"; }
	ts_daemons="mica-store mica-consoled mica"
	;;
*)
	echo "toolstack.sh: \$tool must be xl or mica, not '$tool'"
	exit 2
	;;
esac

# The KiB of memory (VmRSS) of every process whose name is in $ts_daemons.
ts_daemons_kib() {
	for status in /proc/[0-9]*/status; do
		awk -v names=" $ts_daemons " '/^Name:/ { n = $2 } /^VmRSS:/ { r = $2 }
			END { if (index(names, " " n " ")) print r + 0 }' "$status" 2>/dev/null
	done | awk '{ t += $1 } END { print t + 0 }'
}

# ts_create_retry NAME CFG: ts_create, and once more (saying so) if the command died of a
# signal: Xen's xl has crashed in libgcc_s's unwinder under TCG, once in a few creates
# (docs/benchmarks.md). Only for workloads that time the domU's work, not its creation.
ts_create_retry() {
	ts_create "$2"
	rc=$?
	[ $rc -gt 128 ] || return $rc
	echo "$tool create $2 died of signal $((rc - 128)): destroying $1, creating it once more"
	ts_destroy "$1" >/dev/null 2>&1
	ts_create "$2"
}
