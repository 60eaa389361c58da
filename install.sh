#!/usr/bin/env bash
# HookKit installer: puts send-event in a project's .claude/hooks/ and adds the hook entries to
# its .claude/settings.json (keeping every existing key and hook, with a backup of the original).
#
#   ./install.sh [PROJECT_DIR]                 from a checkout: builds send-event (release)
#   ./install.sh --uninstall [PROJECT_DIR]     removes exactly what it added
#   HOOKKIT_BINARY=/path/to/send-event bash install.sh [PROJECT_DIR]   a prebuilt binary
#   curl -sL <url>/install.sh | HOOKKIT_BINARY=/path/to/send-event bash -s -- [PROJECT_DIR]
#
# PROJECT_DIR defaults to the current folder. Environment:
#   HOOKKIT_BINARY                 a prebuilt send-event to install instead of building one (wins
#                                  over the checkout); a hookkit-tls next to it is installed too
#   HOOKKIT_BUILD_CONFIGURATION    release (default) or debug, for a build from the checkout
set -euo pipefail

say() { printf '%s\n' "$*"; }
fail() { printf 'install.sh: %s\n' "$*" >&2; exit 1; }

uninstall=""
project=""
for argument in "$@"; do
    case "$argument" in
        --uninstall) uninstall=1 ;;
        -h|--help) sed -n '2,13p' "${BASH_SOURCE[0]:-/dev/null}" 2>/dev/null | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) fail "unknown option '$argument' (usage: install.sh [--uninstall] [PROJECT_DIR])" ;;
        *) [ -z "$project" ] || fail "one PROJECT_DIR only (usage: install.sh [--uninstall] [PROJECT_DIR])"
           project=$argument ;;
    esac
done
project=${project:-$PWD}
case "$project" in *[[:cntrl:]]*) fail "the project path contains control characters (a newline?); nothing changed" ;; esac
[ -d "$project" ] || fail "$project is not a folder"
project=$(cd "$project" && pwd)
hooks="$project/.claude/hooks"
installed="$hooks/send-event"

if [ -n "$uninstall" ]; then
    tool="$installed"
    [ -x "$tool" ] || tool=${HOOKKIT_BINARY:-}
    [ -n "$tool" ] && [ -x "$tool" ] \
        || fail "no send-event in $hooks to remove the hook entries with (set HOOKKIT_BINARY to one)"
    "$tool" install --uninstall "$project"
    rm -f "$installed" "$hooks/hookkit-tls"
    rmdir "$hooks" 2>/dev/null || true
    say "HookKit removed from $project"
    exit 0
fi

# The checkout this script sits in, if it is a file in one (not when piped into bash).
checkout=""
script=${BASH_SOURCE[0]:-}
if [ -n "$script" ] && [ -f "$script" ]; then
    dir=$(cd "$(dirname "$script")" && pwd)
    [ -f "$dir/Package.swift" ] && [ -d "$dir/Sources/send-event" ] && checkout=$dir
fi

tls=""
if [ -n "${HOOKKIT_BINARY:-}" ]; then
    [ -f "$HOOKKIT_BINARY" ] && [ -x "$HOOKKIT_BINARY" ] || fail "HOOKKIT_BINARY=$HOOKKIT_BINARY is not an executable file"
    binary=$HOOKKIT_BINARY
    candidate="$(dirname "$binary")/hookkit-tls"
    [ -x "$candidate" ] && tls=$candidate
elif [ -n "$checkout" ]; then
    configuration=${HOOKKIT_BUILD_CONFIGURATION:-release}
    case "$configuration" in release|debug) ;; *) fail "HOOKKIT_BUILD_CONFIGURATION must be release or debug" ;; esac
    command -v swift >/dev/null || fail "swift is not on PATH: install a Swift 6 toolchain, or set HOOKKIT_BINARY"
    # On Linux the package links send-event as a fully static executable, and hookkit-tls gets
    # the Swift runtime linked in with --static-swift-stdlib. Both builds take that flag, so that
    # the second reuses the first's HookKit instead of compiling it again with other flags (macOS
    # has the Swift runtime in the OS).
    flags=(-c "$configuration")
    [ "$(uname -s)" = Linux ] && flags+=(--static-swift-stdlib)
    say "==> building send-event ($configuration) in $checkout"
    (cd "$checkout" && swift build "${flags[@]}" --product send-event) >&2 </dev/null \
        || fail "swift build failed (output above)"
    bin=$(cd "$checkout" && swift build "${flags[@]}" --show-bin-path </dev/null)
    binary="$bin/send-event"
    # The TLS helper for https:// hubs, when this version of the package has it.
    if grep -q '"hookkit-tls"' "$checkout/Package.swift"; then
        say "==> building hookkit-tls ($configuration)"
        (cd "$checkout" && swift build "${flags[@]}" --product hookkit-tls) >&2 </dev/null \
            || fail "swift build of hookkit-tls failed (output above)"
        tls="$bin/hookkit-tls"
    fi
else
    fail "no send-event to install: run install.sh from a HookKit checkout (it builds one), or set HOOKKIT_BINARY to a prebuilt send-event"
fi

# Copies $1 to $2 atomically (a running hook or flusher keeps the old file).
place() {
    cp "$1" "$2.tmp.$$"
    chmod 0755 "$2.tmp.$$"
    mv -f "$2.tmp.$$" "$2"
}
had_hooks=""; [ -d "$hooks" ] && had_hooks=1
had_binary=""; [ -e "$installed" ] && had_binary=1
mkdir -p "$hooks"
trap 'rm -f "$installed.tmp.$$" "$hooks/hookkit-tls.tmp.$$"' EXIT
place "$binary" "$installed"
[ -n "$tls" ] && place "$tls" "$hooks/hookkit-tls"

# The settings merge (send-event install). When it fails (invalid JSON, ...) it has changed
# nothing, and a binary this run put there goes again: the project is left as it was.
if ! "$installed" install "$project" </dev/null; then
    if [ -z "$had_binary" ]; then
        rm -f "$installed" "$hooks/hookkit-tls"
        [ -n "$had_hooks" ] || rmdir "$hooks" 2>/dev/null || true
    fi
    exit 1
fi
say "==> installed $installed"

cat <<EOF

Next steps:
  1. Run a hub; to try it, HookKit's own (from the checkout):
       swift run -c release hook-hub --port 4000 --store ./events.jsonl
  2. Where Claude Code starts, point the hook at the hub (default http://localhost:4000):
       export CLAUDE_OBSERVABILITY_HUB=http://127.0.0.1:4000
     (and CLAUDE_OBSERVABILITY_SECRET=... when the hub checks signatures)
  3. Use Claude Code in $project, then check delivery:
       "$installed" status
To remove it: install.sh --uninstall "$project"
EOF
