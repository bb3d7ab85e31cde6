#!/usr/bin/env bash
# Builds tunprobe's Debian package with Debian's own tooling (debhelper's
# meson build system, dpkg-buildpackage). The packaging files live in
# scripts/debian/ (the top level of the tree is fixed); this script copies
# the tree (tracked and untracked files git does not ignore) into a scratch
# directory, puts them in debian/ there, writes debian/changelog for the
# project's version and builds the binary package.
#
#   scripts/build-deb.sh [OUTDIR]     default OUTDIR: ./build-deb
#
# Needs the Build-Depends of scripts/debian/control (scripts/setup.sh
# installs them, debhelper included). Prints the .deb's path as its last
# line.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(realpath -m "${1:-build-deb}")
version=$(sed -n "s/^ *version : '\([^']*\)'.*/\1/p" meson.build | head -1)
[ -n "$version" ] || { echo "build-deb.sh: no version in meson.build" >&2; exit 1; }
command -v dpkg-buildpackage >/dev/null || { echo "build-deb.sh: dpkg-buildpackage missing (apt-get install dpkg-dev debhelper)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
src="$work/tunprobe-$version"
mkdir -p "$src"
git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
  [ -e "$f" ] && cp --parents -P "$f" "$src/"
done
cp -r scripts/debian "$src/debian"
# The changelog's date: the last commit's, so that the same tree builds the
# same package.
when=$(git log -1 --format=%cD 2>/dev/null || date -R)
cat > "$src/debian/changelog" <<CHANGELOG
tunprobe ($version) unstable; urgency=medium

  * Built from the tunprobe source tree by scripts/build-deb.sh.

 -- tunprobe developers <tunprobe@lists.example.org>  $when
CHANGELOG
export SOURCE_DATE_EPOCH=$(git log -1 --format=%ct 2>/dev/null || date +%s)
(cd "$src" && dpkg-buildpackage -b -us -uc -j"$(nproc)")
mkdir -p "$out"
cp "$work"/tunprobe_"$version"_*.deb "$work"/tunprobe_"$version"_*.buildinfo "$work"/tunprobe_"$version"_*.changes "$out/"
ls "$out"/tunprobe_"$version"_*.deb | grep -v dbgsym
