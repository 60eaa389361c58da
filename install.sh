#!/usr/bin/env bash
# HookKit installer: puts send-event in a project's .claude/hooks/ (or ~/.claude/hooks/ with
# --user) and adds the hook entries to .claude/settings.json, keeping every existing key and hook
# (with a backup of the original). Run it again to upgrade; --uninstall removes what it added.
set -euo pipefail

# Set by a hub that serves this script (hook-hub --downloads DIR): where its release archives
# are, and the hub itself. Empty in the repository's copy.
HOOKKIT_DEFAULT_DOWNLOAD_URL=''
HOOKKIT_DEFAULT_HUB=''

usage() {
    cat <<'EOF'
usage: install.sh [PROJECT_DIR | --user] [--hub URL] [--uninstall]

  curl -fsSL http://HUB:4000/install.sh | bash -s -- [PROJECT_DIR]   from a hub (hook-hub --downloads)
  ./install.sh [PROJECT_DIR]            from a checkout: builds send-event (swift on PATH)
  ./install.sh --user                   for every project: ~/.claude/settings.json, ~/.claude/hooks/
  ./install.sh --hub URL [PROJECT_DIR]  also set CLAUDE_OBSERVABILITY_HUB=URL in the settings' env
  ./install.sh --uninstall [PROJECT_DIR | --user]   remove exactly what was added

PROJECT_DIR defaults to the current folder. send-event comes from, in order: HOOKKIT_BINARY, a
build from the checkout this script sits in (when swift is on PATH), or a download of
hookkit-<os>-<arch>.tar.gz from HOOKKIT_DOWNLOAD_URL, checked against its SHA256SUMS.

Environment:
  CLAUDE_OBSERVABILITY_SECRET   the hub's secret: written into .claude/settings.local.json (mode
                                0600, git-ignored), never into settings.json nor onto a command line
  HOOKKIT_BINARY                a prebuilt send-event (a hookkit-tls next to it comes along)
  HOOKKIT_DOWNLOAD_URL          where the release archives and SHA256SUMS are (a hub-served
                                install.sh has its own as the default)
  HOOKKIT_BUILD_CONFIGURATION   release (default) or debug, for a build from the checkout
EOF
}

say() { printf '%s\n' "$*"; }
fail() { printf 'install.sh: %s\n' "$*" >&2; exit 1; }
# Control characters (a pasted newline, an escape sequence) make a path name another folder once
# a shell strips them, or garble messages: refused outright.
has_control() { case $1 in *[[:cntrl:]]*) return 0 ;; esac; return 1; }
# One line of $1 for a message: its last non-empty line, control characters dropped.
last_line() { [ -f "$1" ] && sed -e '/^[[:space:]]*$/d' "$1" | sed -n '$p' | tr -d '\000-\037' || true; }

# Everything below runs from main, called on the script's last line: piped into bash, the whole
# script is read before any of it runs, so a download cut short runs nothing, and curl is never
# left writing into a shell that has already exited.
main() {
user=""
uninstall=""
project=""
hub=""
hub_given=""
while [ $# -gt 0 ]; do
    case "$1" in
        --uninstall) uninstall=1 ;;
        --user) user=1 ;;
        --hub) [ $# -ge 2 ] || fail "--hub needs a URL"
               hub=$2; hub_given=1; shift ;;
        --hub=*) hub=${1#--hub=}; hub_given=1 ;;
        -h|--help) usage; exit 0 ;;
        -*) fail "unknown option '$1' (usage: install.sh [PROJECT_DIR | --user] [--hub URL] [--uninstall])" ;;
        *) [ -z "$project" ] || fail "one PROJECT_DIR only (usage: install.sh [PROJECT_DIR | --user] [--hub URL] [--uninstall])"
           project=$1 ;;
    esac
    shift
done
[ -n "$hub_given" ] || hub=$HOOKKIT_DEFAULT_HUB
if [ -n "$hub" ]; then
    has_control "$hub" && fail "the hub URL contains a control character; nothing installed"
    case "$hub" in
        *[[:space:]\"\'\\\`]*) fail "the hub URL '$hub' contains a space, a quote or a backslash; nothing installed" ;;
        http://?*|https://?*) ;;
        *) fail "the hub URL '$hub' is not http://HOST[:PORT] or https://HOST[:PORT]; nothing installed" ;;
    esac
fi

# Where: the project, or the user's home (every project).
if [ -n "$user" ]; then
    [ -z "$project" ] || fail "--user installs for every project and takes no PROJECT_DIR"
    base=${HOME:-}
    case "$base" in /*) ;; *) fail "--user needs HOME set to an absolute path; nothing installed" ;; esac
    has_control "$base" && fail "HOME contains a control character; nothing installed"
    [ -d "$base" ] || fail "HOME=$base is not a folder; nothing installed"
    target_args=(--user)
    where="for every project of $(id -un 2>/dev/null || echo this user) (~/.claude/settings.json)"
else
    project=${project:-$PWD}
    has_control "$project" && fail "the project path contains a control character (a pasted newline?); nothing installed"
    [ -d "$project" ] || fail "$project is not a folder; nothing installed"
    project=$(cd "$project" && pwd)
    if [ -n "${HOME:-}" ] && [ -d "$HOME" ] && [ "$project" -ef "$HOME" ]; then
        fail "$project is your home folder: its .claude/settings.json is the user settings; use --user to report every project; nothing installed"
    fi
    base=$project
    target_args=("$project")
    where="in $project"
fi
hooks="$base/.claude/hooks"
installed="$hooks/send-event"

if [ -n "$uninstall" ]; then
    [ -z "$hub_given" ] || fail "--uninstall takes no --hub (it removes what the install added)"
    tool="$installed"
    [ -x "$tool" ] || tool=${HOOKKIT_BINARY:-}
    [ -n "$tool" ] && [ -x "$tool" ] \
        || fail "no send-event in $hooks to remove the hook entries with (set HOOKKIT_BINARY to one)"
    "$tool" install --uninstall "${target_args[@]}" </dev/null
    rm -f "$installed" "$hooks/hookkit-tls"
    rmdir "$hooks" 2>/dev/null || true
    say "HookKit removed $where"
    exit 0
fi

# Everything temporary lives in one folder, removed on exit whatever happens. Binaries this run
# placed are taken out again (or the previous ones put back) unless the run completed: never a
# binary without its settings entries.
work=$(mktemp -d "${TMPDIR:-/tmp}/hookkit-install.XXXXXX") || fail "cannot make a temporary folder"
committed=""
placed=()
had_hooks=""; [ -d "$hooks" ] && had_hooks=1
had_claude=""; [ -d "$base/.claude" ] && had_claude=1
cleanup() {
    local file
    rm -rf "$work"
    for file in ${placed[@]+"${placed[@]}"}; do
        rm -f "$file.tmp.$$"
        if [ -z "$committed" ]; then
            if [ -e "$file.previous.$$" ]; then mv -f "$file.previous.$$" "$file"; else rm -f "$file"; fi
        fi
        rm -f "$file.previous.$$"
    done
    if [ -z "$committed" ]; then
        [ -n "$had_hooks" ] || rmdir "$hooks" 2>/dev/null || true
        [ -n "$had_claude" ] || rmdir "$base/.claude" 2>/dev/null || true
    fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The checkout this script sits in, if it is a file in one (not when piped into bash).
checkout=""
script=${BASH_SOURCE[0]:-}
if [ -n "$script" ] && [ -f "$script" ]; then
    dir=$(cd "$(dirname "$script")" && pwd)
    [ -f "$dir/Package.swift" ] && [ -d "$dir/Sources/send-event" ] && checkout=$dir
fi
download_url=${HOOKKIT_DOWNLOAD_URL:-$HOOKKIT_DEFAULT_DOWNLOAD_URL}

# Downloads $1 into the file $2 with curl or wget; one line and exit 1 when it fails.
fetch() {
    if [ "$fetcher" = curl ]; then
        curl -fsSL --proto '=http,https' --connect-timeout 10 -o "$2" "$1" 2>"$work/fetch.err" \
            || fail "cannot download $1 ($(last_line "$work/fetch.err")); nothing installed"
    else
        wget -nv -O "$2" "$1" 2>"$work/fetch.err" \
            || fail "cannot download $1 ($(last_line "$work/fetch.err" | sed 's/^.*ERROR/ERROR/')); nothing installed"
    fi
}

# Lowercase hex SHA-256 of the file $1.
sha256_of() {
    if [ "$hasher" = sha256sum ]; then sha256sum "$1"; else shasum -a 256 "$1"; fi | awk '{ print tolower($1) }'
}

# Downloads hookkit-<os>-<arch>.tar.gz and SHA256SUMS from $download_url, checks the archive
# against its line (a missing line or another checksum refuses the install), unpacks it and
# makes sure its send-event runs here. Sets binary and tls.
download() {
    local os arch archive from expected actual size unpacked hint version
    case "$(uname -s)" in
        Linux) os=linux ;;
        Darwin) os=macos ;;
        *) fail "no HookKit archive for $(uname -s): archives exist for linux and macos on x86_64 and aarch64; build from a checkout instead" ;;
    esac
    case "$(uname -m)" in
        x86_64|amd64) arch=x86_64 ;;
        aarch64|arm64) arch=aarch64 ;;
        *) fail "no HookKit archive for $(uname -m): archives exist for linux and macos on x86_64 and aarch64; build from a checkout instead" ;;
    esac
    if command -v curl >/dev/null 2>&1; then fetcher=curl
    elif command -v wget >/dev/null 2>&1; then fetcher=wget
    else fail "neither curl nor wget is installed: install one of them, or set HOOKKIT_BINARY to a send-event; nothing installed"
    fi
    if command -v sha256sum >/dev/null 2>&1; then hasher=sha256sum
    elif command -v shasum >/dev/null 2>&1; then hasher=shasum
    else fail "neither sha256sum nor shasum is installed, so the download cannot be checked; nothing installed"
    fi
    command -v tar >/dev/null 2>&1 || fail "tar is not installed; nothing installed"
    archive="hookkit-$os-$arch.tar.gz"
    from=${download_url%/}
    say "==> downloading $archive from $from"
    fetch "$from/SHA256SUMS" "$work/SHA256SUMS"
    expected=$(awk -v name="$archive" '($2 == name || $2 == "*" name) { print tolower($1); exit }' "$work/SHA256SUMS" 2>/dev/null || true)
    case "$expected" in
        "") fail "$from/SHA256SUMS has no line for $archive: refusing to install (does that release include $os-$arch?)" ;;
        *[!0-9a-f]*) fail "$from/SHA256SUMS has a malformed line for $archive: refusing to install" ;;
    esac
    [ ${#expected} -eq 64 ] || fail "$from/SHA256SUMS has a malformed line for $archive: refusing to install"
    fetch "$from/$archive" "$work/$archive"
    actual=$(sha256_of "$work/$archive")
    if [ "$actual" != "$expected" ]; then
        size=$(wc -c <"$work/$archive" | tr -d ' ')
        hint=""
        if head -c 512 "$work/$archive" | grep -qi '<html\|<!doctype'; then hint=", an HTML page, not an archive"; fi
        fail "checksum mismatch for $archive from $from (expected $expected, got $actual: $size bytes$hint): refusing to install; nothing installed"
    fi
    unpacked="$work/unpacked"
    mkdir "$unpacked"
    tar -xzf "$work/$archive" -C "$unpacked" 2>"$work/tar.err" \
        || fail "cannot unpack $archive ($(last_line "$work/tar.err")); nothing installed"
    binary="$unpacked/hookkit-$os-$arch/send-event"
    [ -f "$binary" ] && [ -x "$binary" ] || fail "$archive has no hookkit-$os-$arch/send-event; nothing installed"
    version=$("$binary" --version 2>/dev/null </dev/null || true)
    case "$version" in
        "send-event "*) ;;
        *) fail "the downloaded send-event does not run on this machine ($(uname -s) $(uname -m)); nothing installed" ;;
    esac
    say "==> verified $archive ($version, sha256 $actual)"
    [ -x "$unpacked/hookkit-$os-$arch/hookkit-tls" ] && tls="$unpacked/hookkit-$os-$arch/hookkit-tls"
    return 0
}

tls=""
fetcher=""
hasher=""
if [ -n "${HOOKKIT_BINARY:-}" ]; then
    [ -f "$HOOKKIT_BINARY" ] && [ -x "$HOOKKIT_BINARY" ] || fail "HOOKKIT_BINARY=$HOOKKIT_BINARY is not an executable file"
    binary=$HOOKKIT_BINARY
    candidate="$(dirname "$binary")/hookkit-tls"
    [ -x "$candidate" ] && tls=$candidate
elif [ -n "$checkout" ] && command -v swift >/dev/null 2>&1; then
    configuration=${HOOKKIT_BUILD_CONFIGURATION:-release}
    case "$configuration" in release|debug) ;; *) fail "HOOKKIT_BUILD_CONFIGURATION must be release or debug" ;; esac
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
elif [ -n "$download_url" ]; then
    download
elif [ -n "$checkout" ]; then
    fail "swift is not on PATH: install a Swift 6 toolchain, set HOOKKIT_DOWNLOAD_URL to a folder of HookKit release archives, or set HOOKKIT_BINARY"
else
    fail "no send-event to install: use the install line of a hub that serves HookKit (curl -fsSL http://HUB:PORT/install.sh | bash), set HOOKKIT_DOWNLOAD_URL to a folder of release archives, run install.sh from a HookKit checkout (it builds one), or set HOOKKIT_BINARY to a prebuilt send-event"
fi

# Copies $1 to $2 atomically (a running hook or flusher keeps the old file), keeping the
# previous file until the run completes.
place() {
    placed+=("$2")
    if [ -e "$2" ]; then ln -f "$2" "$2.previous.$$" 2>/dev/null || cp -p "$2" "$2.previous.$$"; fi
    cp "$1" "$2.tmp.$$"
    chmod 0755 "$2.tmp.$$"
    mv -f "$2.tmp.$$" "$2"
}
mkdir -p "$hooks"
place "$binary" "$installed"
[ -n "$tls" ] && place "$tls" "$hooks/hookkit-tls"

# The settings (send-event install): hook entries, the hub URL, the secret from the environment.
# When it fails (invalid JSON, the other kind of install present, ...) it has changed nothing,
# and the exit trap takes the binaries out again: the project is left as it was.
settings_args=(install)
[ -n "$hub" ] && settings_args+=(--hub "$hub")
"$installed" "${settings_args[@]}" "${target_args[@]}" </dev/null || exit 1
committed=1
say "==> installed $installed"

if [ -n "$hub" ]; then
    say ""
    say "Events from Claude Code $where now go to $hub."
    say "Check the setup (hooks, hub, secret, queue): \"$installed\" doctor${project:+ \"$project\"}"
else
    cat <<EOF

Next steps:
  1. Run a hub; to try it, HookKit's own (from a checkout):
       swift run -c release hook-hub --port 4000 --store ./events.jsonl
  2. Point the hooks at it: run this installer again with --hub http://HOST:4000 (it goes into
     the settings' env), or export CLAUDE_OBSERVABILITY_HUB where Claude Code starts
     (CLAUDE_OBSERVABILITY_SECRET too when the hub checks signatures).
  3. Check: "$installed" doctor${project:+ "$project"}
To remove it: install.sh --uninstall ${project:+"$project"}${user:+--user}
EOF
fi
}

main "$@"
