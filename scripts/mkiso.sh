#!/bin/bash
# Makes a BIOS-bootable GRUB CD image holding the hypervisor and its
# Multiboot modules, from the template scripts/grub.cfg.
#
# usage: scripts/mkiso.sh -o OUT.iso [-c CMDLINE] [-d DEFAULT] [-t TIMEOUT] MICA_ELF [MODULE...]
#   -c  hypervisor command line (both entries)
#   -d  default menu entry: 0 = "Mica" (Multiboot2), 1 = "Mica (Multiboot1)"
#   -t  menu timeout in seconds (0 boots the default at once)
# Each MODULE is copied to /boot/ on the image and loaded, in the order
# given, with `module2` (Multiboot2 entry) or `module` (Multiboot1 entry).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
grub_platform=/usr/lib/grub/i386-pc
out= cmdline= default=0 timeout=0

usage() { echo "usage: $0 -o OUT.iso [-c CMDLINE] [-d 0|1] [-t SECONDS] MICA_ELF [MODULE...]" >&2; exit 2; }

while getopts o:c:d:t: opt; do
	case $opt in
	o) out=$OPTARG ;;
	c) cmdline=$OPTARG ;;
	d) default=$OPTARG ;;
	t) timeout=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ -n "$out" ] && [ $# -ge 1 ] || usage
elf=$1
shift
[ -d "$grub_platform" ] || { echo "$0: $grub_platform missing: run make setup (grub-pc-bin)" >&2; exit 1; }

mkdir -p "$(dirname "$out")"
stage=$(mktemp -d "$out.stage.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/boot/grub"
cp "$elf" "$stage/boot/mica.elf"

module2= module1=
for m in "$@"; do
	name=$(basename "$m")
	[ ! -e "$stage/boot/$name" ] || { echo "$0: two files named $name" >&2; exit 1; }
	cp "$m" "$stage/boot/$name"
	module2+="	module2 /boot/$name"$'\n'
	module1+="	module /boot/$name"$'\n'
done

# Literal substitution (no regex or escape processing of the values).
CMDLINE=$cmdline DEFAULT=$default TIMEOUT=$timeout \
MODULE2_LINES=${module2%$'\n'} MODULE1_LINES=${module1%$'\n'} awk '
function subst(s, field, value,    i) {
	while ((i = index(s, "@" field "@")) > 0)
		s = substr(s, 1, i - 1) value substr(s, i + length(field) + 2)
	return s
}
{
	line = $0
	if (line ~ /^@MODULE[12]_LINES@$/ && ENVIRON[substr(line, 2, 13)] == "")
		next
	line = subst(line, "CMDLINE", ENVIRON["CMDLINE"])
	line = subst(line, "DEFAULT", ENVIRON["DEFAULT"])
	line = subst(line, "TIMEOUT", ENVIRON["TIMEOUT"])
	line = subst(line, "MODULE2_LINES", ENVIRON["MODULE2_LINES"])
	line = subst(line, "MODULE1_LINES", ENVIRON["MODULE1_LINES"])
	print line
}' "$here/grub.cfg" >"$stage/boot/grub/grub.cfg"

if ! grub-mkrescue -d "$grub_platform" -o "$out.tmp" "$stage" >"$stage.log" 2>&1; then
	cat "$stage.log" >&2
	rm -f "$stage.log" "$out.tmp"
	echo "$0: grub-mkrescue failed" >&2
	exit 1
fi
rm -f "$stage.log"
mv "$out.tmp" "$out"
