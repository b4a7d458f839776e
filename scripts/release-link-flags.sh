#!/bin/sh
# Prints the `swift build` flags that make the release binaries start faster, when this machine supports them:
# link with the toolchain's lld and pack the relative relocations (-z pack-relative-relocs, DT_RELR). The static
# Swift runtime gives mlgate about 99,000 relative relocations; as a 2.4 MB RELA table the loader spends about a
# millisecond of every start-up on them, as a 19 kB RELR bitmap a fraction of that. DT_RELR needs glibc 2.36 or
# later where the binary runs, so the flags are printed only when this machine's glibc has it (a binary built here
# runs here). Prints nothing otherwise, and the default linker is used. Usage: scripts/release-link-flags.sh [swift]
swift=$(command -v "${1:-swift}" 2>/dev/null) || exit 0
lld="$(dirname "$(realpath "$swift")")/ld.lld"
[ -x "$lld" ] || exit 0
glibc=$(getconf GNU_LIBC_VERSION 2>/dev/null | awk '{print $2}')
major=${glibc%%.*}; minor=${glibc#*.}; minor=${minor%%.*}
[ -n "$major" ] && [ "$major" -eq 2 ] && [ "$minor" -ge 36 ] 2>/dev/null || exit 0
echo "-Xswiftc -Xclang-linker -Xswiftc -fuse-ld=lld -Xlinker -z -Xlinker pack-relative-relocs"
