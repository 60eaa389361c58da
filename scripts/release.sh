#!/usr/bin/env bash
# Release archives for machines without Swift. Builds release send-event (fully static on Linux)
# and hookkit-tls, strips them, and writes into OUTDIR (default dist/):
#
#   hookkit-<os>-<arch>.tar.gz   hookkit-<os>-<arch>/{README.txt,hookkit-tls,send-event}
#                                (<os>: linux or macos; <arch>: x86_64 or aarch64)
#   SHA256SUMS                   sha256sum format; lines of other archives already in OUTDIR stay
#   install.sh                   a copy: `hook-hub --downloads OUTDIR` serves all three
#
# The packing is reproducible: fixed file order, owner (0:0), modes and mtimes, gzip without name
# or time, so the same binaries always give the same archive checksum. Each machine builds its
# own platform: run this on a Mac for macos-<arch>, into the same OUTDIR (or copy the archive
# over and run it again with HOOKKIT_RELEASE_BINARIES), and SHA256SUMS lists both.
#
#   scripts/release.sh [OUTDIR]
#   HOOKKIT_RELEASE_BINARIES=DIR scripts/release.sh [OUTDIR]   pack DIR/send-event and
#                                                              DIR/hookkit-tls instead of building
set -euo pipefail
cd "$(dirname "$0")/.."
checkout=$PWD
fail() { printf 'release.sh: %s\n' "$*" >&2; exit 1; }

outdir=${1:-dist}
[ $# -le 1 ] || fail "usage: scripts/release.sh [OUTDIR]"
case "$(uname -s)" in
    Linux) os=linux ;;
    Darwin) os=macos ;;
    *) fail "unsupported system $(uname -s): releases are made for linux and macos" ;;
esac
case "$(uname -m)" in
    x86_64|amd64) arch=x86_64 ;;
    aarch64|arm64) arch=aarch64 ;;
    *) fail "unsupported machine $(uname -m): releases are made for x86_64 and aarch64" ;;
esac
name="hookkit-$os-$arch"
archive="$name.tar.gz"

# The binaries: built here, or given.
if [ -n "${HOOKKIT_RELEASE_BINARIES:-}" ]; then
    bin=$HOOKKIT_RELEASE_BINARIES
    echo "==> packing prebuilt binaries from $bin"
else
    command -v swift >/dev/null || fail "swift is not on PATH (or set HOOKKIT_RELEASE_BINARIES)"
    # As install.sh builds them: on Linux send-event is a fully static executable (Package.swift)
    # and both builds take --static-swift-stdlib, so hookkit-tls needs no Swift runtime either
    # and the second build reuses the first's HookKit.
    flags=(-c release)
    [ "$os" = linux ] && flags+=(--static-swift-stdlib)
    echo "==> building send-event and hookkit-tls (release)"
    swift build "${flags[@]}" --product send-event >&2
    swift build "${flags[@]}" --product hookkit-tls >&2
    bin=$(swift build "${flags[@]}" --show-bin-path)
fi
for tool in send-event hookkit-tls; do
    [ -f "$bin/$tool" ] && [ -x "$bin/$tool" ] || fail "$bin/$tool is missing"
done
version=$("$bin/send-event" --version) || fail "$bin/send-event does not run"

stage=$(mktemp -d "${TMPDIR:-/tmp}/hookkit-release.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir "$stage/$name"
cp "$bin/send-event" "$bin/hookkit-tls" "$stage/$name/"
if command -v strip >/dev/null; then
    # Linux release builds are stripped at link time already; this is for macOS (and harmless).
    if [ "$os" = macos ]; then strip -x "$stage/$name/send-event" "$stage/$name/hookkit-tls"
    else strip --strip-all "$stage/$name/send-event" "$stage/$name/hookkit-tls"; fi
fi
cat >"$stage/$name/README.txt" <<EOF
HookKit: observability for Claude Code hooks. $version for $os-$arch.

  send-event    the hook command Claude Code runs for every event$([ "$os" = linux ] && printf ' (a fully static executable)')
  hookkit-tls   its TLS helper for https:// hubs$([ "$os" = linux ] && printf ' (loads OpenSSL 3 or 1.1 at run time)')

Install into a project (adds the hook entries to PROJECT/.claude/settings.json):
  curl -fsSL http://HUB:4000/install.sh | bash -s -- PROJECT_DIR      from a hub serving this release
  HOOKKIT_BINARY=./send-event bash install.sh PROJECT_DIR             with this folder and install.sh

Then: .claude/hooks/send-event doctor PROJECT_DIR checks the installation and the hub.
Source, documentation and licence: the HookKit repository.
EOF
[ -f "$checkout/LICENSE" ] && cp "$checkout/LICENSE" "$stage/$name/LICENSE"

# Reproducible packing: fixed modes and mtimes (1970-01-01 UTC), entries listed in a fixed order
# without recursion, owner 0:0 by number, ustar format, gzip -n.
chmod 0755 "$stage/$name" "$stage/$name/send-event" "$stage/$name/hookkit-tls"
chmod 0644 "$stage/$name/README.txt"
[ -f "$stage/$name/LICENSE" ] && chmod 0644 "$stage/$name/LICENSE"
entries=("$name")
while IFS= read -r file; do entries+=("$name/$file"); done < <(cd "$stage/$name" && LC_ALL=C ls -A | LC_ALL=C sort)
for entry in "${entries[@]}"; do TZ=UTC touch -h -t 197001010000.00 "$stage/$entry"; done
if tar --version 2>/dev/null | grep -q 'GNU tar'; then
    tar_flags=(--format=ustar --no-recursion --owner=0 --group=0 --numeric-owner --mtime=@0)
else
    tar_flags=(--format ustar -n --uid 0 --gid 0 --numeric-owner --no-xattrs --no-mac-metadata)
fi
mkdir -p "$outdir"
tmp="$outdir/.$archive.tmp.$$"
(cd "$stage" && tar "${tar_flags[@]}" -cf - "${entries[@]}") | gzip -n -9 >"$tmp"
mv -f "$tmp" "$outdir/$archive"

# SHA256SUMS: this archive's line replaced, the others kept while their file is still there.
if command -v sha256sum >/dev/null; then sum=$(cd "$outdir" && sha256sum "$archive"); else sum=$(cd "$outdir" && shasum -a 256 "$archive"); fi
sum=${sum%% *}
sums="$outdir/SHA256SUMS"
{
    if [ -f "$sums" ]; then
        while read -r hash file; do
            file=${file#\*}
            [ "$file" != "$archive" ] && [ -f "$outdir/$file" ] && printf '%s  %s\n' "$hash" "$file"
        done <"$sums" || true
    fi
    printf '%s  %s\n' "$sum" "$archive"
} | LC_ALL=C sort -k2 >"$sums.tmp.$$"
mv -f "$sums.tmp.$$" "$sums"
cp "$checkout/install.sh" "$outdir/install.sh.tmp.$$"
chmod 0644 "$outdir/install.sh.tmp.$$"
mv -f "$outdir/install.sh.tmp.$$" "$outdir/install.sh"

size=$(wc -c <"$outdir/$archive" | tr -d ' ')
echo "==> $outdir/$archive: $size bytes, sha256 $sum ($version)"
echo "==> $outdir/SHA256SUMS, $outdir/install.sh"
echo "Serve them: hook-hub --downloads $outdir (then: curl -fsSL http://HUB:4000/install.sh | bash -s -- PROJECT_DIR)"
