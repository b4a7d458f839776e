#!/bin/sh
# Installs the Debian packages named as arguments when any is missing: with apt-get when run as root,
# otherwise by printing the exact command to run. Exits 1 when packages are missing and cannot be installed.
set -u
missing=
for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $package"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then
    echo "Installing missing packages:$missing" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq $missing >/dev/null && exit 0
    echo "apt-get could not install:$missing" >&2
    exit 1
fi
echo "Missing system packages. Install them with:" >&2
echo "    sudo apt-get install -y$missing" >&2
exit 1
