#!/bin/bash
# Installs the Debian packages that Mica's build, `make run` and `make test` need.
#
# Idempotent: when everything is installed it prints nothing and only asks
# dpkg. apt-get runs (through sudo when not root) only for what is missing.
#
# QEMU must be 8.0 or later: QEMU 7.2 (Debian 12's own) pushes a wrong #GP
# error code for `int $N` in 64-bit mode (QEMU issue 1382, fixed in 8.0), and
# PV guest kernels depend on that error code. On Debian 12 the newer QEMU
# comes from bookworm-backports, which this script adds if no source has it,
# using the Debian archive the machine is already configured with.
#
# usage: scripts/setup.sh                          install what is missing
#        scripts/setup.sh --backports-source [DIR] print the bookworm-backports
#            source that would be written, derived from the apt configuration
#            in DIR (default /etc/apt); used by the tests
set -euo pipefail

# Build the hypervisor, boot it under QEMU, make the GRUB CD image.
CORE_PACKAGES=(
	clang lld make python3 gcc libclang-rt-14-dev
	qemu-system-x86
	grub-pc-bin grub-common xorriso mtools
)

# Needed by later parts of the project. Extend these lists, one purpose per line.
EXTRA_PACKAGES=(
	linux-source-6.1 bc bison flex libelf-dev cpio xz-utils lz4	# Linux 6.1 dom0/domU kernels
	newlib-source						# C library for libpv guests
	busybox-static libc6-dev				# dom0 initramfs (busybox, the static workout)
	xenstore-utils						# Debian's xenstore clients against mica-store
	e2fsprogs						# mke2fs and e2fsck copied into the PV block test guest
	mount							# util-linux's losetup (--sector-size) copied into the PV block test's dom0
)

QEMU_PACKAGE=qemu-system-x86
QEMU_MIN_MAJOR=8
BACKPORTS_FILE=/etc/apt/sources.list.d/mica-backports.sources

say() { printf 'setup: %s\n' "$*" >&2; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

# --- apt source configuration -------------------------------------------

# Prints the apt source files under DIR, deb822 ones first.
deb822_files() {
	local f
	for f in "$1"/sources.list.d/*.sources; do
		[ -f "$f" ] && printf '%s\n' "$f"
	done
	return 0
}

classic_files() {
	local f
	[ -f "$1/sources.list" ] && printf '%s\n' "$1/sources.list"
	for f in "$1"/sources.list.d/*.list; do
		[ -f "$f" ] && printf '%s\n' "$f"
	done
	return 0
}

# Runs an awk program over a list of files read from stdin; no files, no match.
awk_files() {
	local files=()
	mapfile -t files
	[ ${#files[@]} -gt 0 ] || return 1
	awk "$@" "${files[@]}"
}

# Shared by both parsers. A source is taken as the Debian archive if it has
# suite "bookworm" with component "main" and is not signed by a third party's
# keyring (other vendors reuse the suite name but ship their own key file).
AWK_COMMON='
function has_word(list, w,    n, a, i) {
	n = split(list, a, /[ \t\n]+/)
	for (i = 1; i <= n; i++)
		if (a[i] == w)
			return 1
	return 0
}
function first_uri(list,    n, a, i) {
	n = split(list, a, /[ \t\n]+/)
	for (i = 1; i <= n; i++)
		if (a[i] != "" && a[i] !~ /^cdrom:/)
			return a[i]
	return ""
}
function third_party_key(signed_by) {
	return signed_by != "" && signed_by !~ /^\n/ && tolower(signed_by) !~ /debian/
}
function header(uri) {
	print "Types: deb"
	print "URIs: " uri
	print "Suites: bookworm-backports"
	print "Components: main"
}
'

# deb822 stanzas (paragraphs). mode=derive prints a backports stanza for the
# first Debian bookworm source, copying its other fields (Signed-By, ...);
# mode=has succeeds if some enabled stanza already has bookworm-backports.
AWK_DEB822='
BEGIN { RS = ""; FS = "\n" }
{
	n = 0
	split("", key); split("", val); split("", f)
	for (i = 1; i <= NF; i++) {
		line = $i
		if (line ~ /^#/)
			continue
		if (line ~ /^[ \t]/) {
			if (n)
				val[n] = val[n] "\n" line
			continue
		}
		c = index(line, ":")
		if (!c)
			continue
		n++
		key[n] = substr(line, 1, c - 1)
		v = substr(line, c + 1)
		sub(/^[ \t]+/, "", v)
		sub(/[ \t]+$/, "", v)
		val[n] = v
		f[tolower(key[n])] = v
	}
	if (tolower(f["enabled"]) == "no" || !has_word(f["types"], "deb"))
		next
	if (mode == "has") {
		if (has_word(f["suites"], "bookworm-backports"))
			found = 1
		if (found)
			exit
		next
	}
	if (!has_word(f["suites"], "bookworm") || !has_word(f["components"], "main"))
		next
	if (third_party_key(f["signed-by"]))
		next
	uri = first_uri(f["uris"])
	if (uri == "")
		next
	header(uri)
	for (i = 1; i <= n; i++) {
		k = tolower(key[i])
		if (k == "types" || k == "uris" || k == "suites" || k == "components" || k == "enabled")
			continue
		print key[i] (substr(val[i], 1, 1) == "\n" ? ":" : ": ") val[i]
	}
	found = 1
	exit
}
END { exit found ? 0 : 1 }
'

# One-line "deb [options] URI SUITE COMPONENT..." entries, same modes.
AWK_CLASSIC='
function field_name(opt) {
	if (opt == "arch")
		return "Architectures"
	if (opt == "lang")
		return "Languages"
	n = split(opt, w, "-")
	s = ""
	for (j = 1; j <= n; j++)
		s = s (j > 1 ? "-" : "") toupper(substr(w[j], 1, 1)) substr(w[j], 2)
	return s
}
{
	sub(/#.*/, "")
	if ($1 != "deb")
		next
	opts = ""
	i = 2
	if ($2 ~ /^\[/) {
		for (; i <= NF; i++) {
			opts = opts " " $i
			if ($i ~ /\]$/) {
				i++
				break
			}
		}
		gsub(/[\[\]]/, " ", opts)
	}
	uri = $i
	suite = $(i + 1)
	comps = ""
	for (j = i + 2; j <= NF; j++)
		comps = comps " " $j
	if (mode == "has") {
		if (suite == "bookworm-backports") {
			found = 1
			exit
		}
		next
	}
	if (suite != "bookworm" || !has_word(comps, "main") || uri ~ /^cdrom:/)
		next
	nopt = split(opts, o, /[ \t]+/)
	signed_by = ""
	extra = ""
	for (j = 1; j <= nopt; j++) {
		c = index(o[j], "=")
		if (!c)
			continue
		name = substr(o[j], 1, c - 1)
		if (name ~ /[+-]$/)
			continue
		value = substr(o[j], c + 1)
		if (name == "signed-by")
			signed_by = value
		extra = extra field_name(name) ": " value "\n"
	}
	if (third_party_key(signed_by))
		next
	header(uri)
	printf "%s", extra
	found = 1
	exit
}
END { exit found ? 0 : 1 }
'

# Prints the bookworm-backports source for the apt configuration in DIR.
backports_source() {
	deb822_files "$1" | awk_files -v mode=derive "$AWK_COMMON$AWK_DEB822" && return 0
	classic_files "$1" | awk_files -v mode=derive "$AWK_COMMON$AWK_CLASSIC" && return 0
	return 1
}

# Succeeds if some source in DIR already provides bookworm-backports.
backports_configured() {
	deb822_files "$1" | awk_files -v mode=has "$AWK_COMMON$AWK_DEB822" && return 0
	classic_files "$1" | awk_files -v mode=has "$AWK_COMMON$AWK_CLASSIC" && return 0
	return 1
}

# --- packages --------------------------------------------------------------

# Prints the packages among the arguments that are not fully installed.
missing_packages() {
	dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "$@" 2>/dev/null |
		awk -v want="$*" '
			$2 == "ii" { ok[$1] = 1 }
			END {
				n = split(want, w, " ")
				for (i = 1; i <= n; i++)
					if (!ok[w[i]])
						print w[i]
			}'
}

# Succeeds if Debian version string $1 has upstream major version >= $2.
version_at_least() {
	local v=${1#*:}
	[ -n "$1" ] && dpkg --compare-versions "$v" ge "$2~"
}

installed_version() {
	dpkg-query -W -f='${db:Status-Abbrev} ${Version}\n' "$1" 2>/dev/null |
		awk '$1 == "ii" { print $2 }'
}

candidate_version() {
	apt-cache policy "$1" 2>/dev/null | awk '$1 == "Candidate:" && $2 != "(none)" { print $2 }'
}

LOG=
apt_get() {
	[ -n "$LOG" ] || LOG=$(mktemp /tmp/mica-setup.XXXXXX.log)
	if ! $SUDO env DEBIAN_FRONTEND=noninteractive apt-get -y -q -o Dpkg::Use-Pty=0 \
			--no-install-recommends "$@" >>"$LOG" 2>&1; then
		tail -n 25 "$LOG" >&2
		die "'apt-get $*' failed; the full output is in $LOG"
	fi
}

check_qemu_binary() {
	local line major
	command -v qemu-system-x86_64 >/dev/null ||
		die "qemu-system-x86_64 is not on PATH after installing $QEMU_PACKAGE"
	line=$(qemu-system-x86_64 --version | head -n 1)
	major=$(printf '%s\n' "$line" | sed -n 's/^QEMU emulator version \([0-9][0-9]*\)\..*/\1/p')
	if [ -z "$major" ] || [ "$major" -lt "$QEMU_MIN_MAJOR" ]; then
		die "$(command -v qemu-system-x86_64) is '$line'; Mica needs QEMU $QEMU_MIN_MAJOR.0" \
		    "or later (QEMU 7.2 gives PV guests a wrong #GP error code, QEMU issue 1382)." \
		    "On Debian 12 install it with: apt-get install -t bookworm-backports $QEMU_PACKAGE"
	fi
}

install_qemu() {
	local candidate
	candidate=$(candidate_version "$QEMU_PACKAGE")
	if version_at_least "$candidate" "$QEMU_MIN_MAJOR"; then
		say "installing $QEMU_PACKAGE $candidate"
		apt_get install "$QEMU_PACKAGE"
	elif backports_configured /etc/apt; then
		say "installing $QEMU_PACKAGE from bookworm-backports (${candidate:-none} is older than $QEMU_MIN_MAJOR.0)"
		apt_get install -t bookworm-backports "$QEMU_PACKAGE"
	else
		die "no QEMU $QEMU_MIN_MAJOR.0 or later is available (candidate: ${candidate:-none});" \
		    "add an apt source that has one (on Debian 12: bookworm-backports) and run make setup again"
	fi
}

main() {
	local missing=() need_qemu=false p src codename=
	case "${1:-}" in
	--backports-source)
		backports_source "${2:-/etc/apt}" ||
			die "no Debian archive source for suite bookworm under ${2:-/etc/apt}"
		return 0
		;;
	"") ;;
	*)
		die "usage: scripts/setup.sh [--backports-source [APT_DIR]]"
		;;
	esac

	command -v dpkg-query >/dev/null || die "this script supports Debian (12 or later) only"
	for p in $(missing_packages "${CORE_PACKAGES[@]}" "${EXTRA_PACKAGES[@]}"); do
		[ "$p" = "$QEMU_PACKAGE" ] || missing+=("$p")
	done
	version_at_least "$(installed_version "$QEMU_PACKAGE")" "$QEMU_MIN_MAJOR" || need_qemu=true
	if [ ${#missing[@]} -eq 0 ] && ! $need_qemu; then
		check_qemu_binary
		return 0
	fi

	SUDO=
	if [ "$(id -u)" != 0 ]; then
		command -v sudo >/dev/null || die "missing packages (${missing[*]} $QEMU_PACKAGE); run this as root or install sudo"
		SUDO=sudo
	fi

	# shellcheck disable=SC1091
	[ -r /etc/os-release ] && codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
	if $need_qemu && [ "$codename" = bookworm ] && ! backports_configured /etc/apt; then
		src=$(backports_source /etc/apt) ||
			die "QEMU $QEMU_MIN_MAJOR.0+ needs bookworm-backports, but no Debian archive source for" \
			    "suite bookworm was found in /etc/apt to derive it from; add one and run make setup again"
		say "adding bookworm-backports for QEMU $QEMU_MIN_MAJOR.0+: $BACKPORTS_FILE"
		printf '%s\n' "$src" | $SUDO tee "$BACKPORTS_FILE" >/dev/null
	fi

	say "updating the package lists"
	apt_get update
	if [ ${#missing[@]} -gt 0 ]; then
		say "installing ${missing[*]}"
		apt_get install "${missing[@]}"
	fi
	$need_qemu && install_qemu
	check_qemu_binary
	rm -f "$LOG"
	say "done"
}

main "$@"
