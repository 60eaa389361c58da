#!/usr/bin/env bash
# Fetches the real Claude Code CLI for the real-client tests and benchmark, and prints its path.
#
#   scripts/fetch-claude-cli.sh [DEST_DIR]     (default .build/peers/claude-code-<version>)
#
# The CLI comes from PyPI: the claude-agent-sdk wheel bundles it as claude_agent_sdk/_bundled/claude.
# The wheel is downloaded with pip (no dependencies, no install), checked against the SHA-256
# pinned below for this platform, and only the CLI is extracted to DEST_DIR/claude. A second run
# finds the CLI there, checks it against the hash recorded at extraction, and downloads nothing.
# The only line on stdout is the path; progress and errors go to stderr; exit status 1 on failure.
#
# Moving to a newer Claude Code: change SDK_VERSION, CLAUDE_CODE_VERSION and every hash below in
# one commit (pip download --no-deps --only-binary=:all: --platform TAG claude-agent-sdk==V, then
# sha256sum the wheel).
set -euo pipefail
cd "$(dirname "$0")/.."

SDK_VERSION=0.2.187
CLAUDE_CODE_VERSION=2.1.330
case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) platform=manylinux_2_17_x86_64
        wheel_sha256=693132296d1ffca857b5d393e449fd138a89bd08024d9a3e519615ba4040d9c3 ;;
    Linux-aarch64 | Linux-arm64) platform=manylinux_2_17_aarch64
        wheel_sha256=3f9f9de8676779af46a0ae49a9dafb9934ea8bd9526a0cd60cc86cde787eee41 ;;
    Darwin-arm64) platform=macosx_11_0_arm64
        wheel_sha256=83e3a0471f116e08f31dd2c60d5002ff3ea34943fb4cd72a0f57147d93cb97c2 ;;
    Darwin-x86_64) platform=macosx_11_0_x86_64
        wheel_sha256=dbae79ea1fc4d1ff83f7f5c9bd13ed4674b26ec60aa6ddb2bfc215887425a739 ;;
    *) echo "fetch-claude-cli: no pinned claude-agent-sdk wheel for $(uname -s) $(uname -m)" >&2; exit 1 ;;
esac

dest=${1:-.build/peers/claude-code-$CLAUDE_CODE_VERSION}
mkdir -p "$dest"
dest=$(cd "$dest" && pwd)
cli=$dest/claude
marker=$dest/claude.sha256

sha256() {
    if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1"; else shasum -a 256 "$1"; fi | cut -d' ' -f1
}

# Already there and unchanged since it was extracted from the verified wheel: done.
if [ -x "$cli" ] && [ -f "$marker" ] && [ "$(sha256 "$cli")" = "$(cat "$marker")" ]; then
    echo "$cli"
    exit 0
fi

work=$(mktemp -d "$dest/.fetch.XXXXXX")
trap 'rm -rf "$work"' EXIT
echo "fetch-claude-cli: downloading claude-agent-sdk $SDK_VERSION ($platform) from PyPI" >&2
if ! python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
    --platform "$platform" "claude-agent-sdk==$SDK_VERSION" -d "$work" >&2; then
    echo "fetch-claude-cli: pip download of claude-agent-sdk==$SDK_VERSION failed" >&2
    exit 1
fi
wheel=$(ls "$work"/claude_agent_sdk-"$SDK_VERSION"-*.whl 2>/dev/null | head -n 1)
[ -n "$wheel" ] || { echo "fetch-claude-cli: pip left no claude_agent_sdk wheel" >&2; exit 1; }
actual=$(sha256 "$wheel")
if [ "$actual" != "$wheel_sha256" ]; then
    echo "fetch-claude-cli: $(basename "$wheel") has SHA-256 $actual, expected $wheel_sha256; refusing it" >&2
    exit 1
fi

# Extract the one member with Python's zipfile (no unzip needed), then move it into place
# atomically so a concurrent reader never sees half a file.
python3 - "$wheel" "$work/claude" <<'PY'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as wheel, wheel.open("claude_agent_sdk/_bundled/claude") as src, \
        open(sys.argv[2], "wb") as dst:
    shutil.copyfileobj(src, dst, 1 << 20)
PY
chmod 0755 "$work/claude"
version=$("$work/claude" --version 2>/dev/null || true)
case "$version" in
    "$CLAUDE_CODE_VERSION "*) ;;
    *) echo "fetch-claude-cli: the bundled CLI says '$version', expected $CLAUDE_CODE_VERSION" >&2; exit 1 ;;
esac
sha256 "$work/claude" > "$work/claude.sha256"
mv -f "$work/claude" "$cli"
mv -f "$work/claude.sha256" "$marker"
echo "fetch-claude-cli: Claude Code $CLAUDE_CODE_VERSION at $cli" >&2
echo "$cli"
