# SPDX-License-Identifier: GPL-2.0-or-later
# Sourced by fetch-kernel.sh and fetch-unicorn.sh: apt with a PRIVATE state directory.
#
#   private_apt_init <tool-name> <state-dir> <suite>...
#
# Takes the Debian archive URI from the system's sources (deb822 debian.sources, then
# sources.list; only read, never written), writes <state-dir>/sources.list for the suites, sets
# the array APT_OPTS for apt-get/apt-cache, and runs `apt-get update` into <state-dir>. Returns
# 0; 3 when the archive cannot be reached; 1 for anything else (a message on stderr each time).
# Sets APT_MIRROR.
private_apt_init() {
    local tool=$1 d=$2
    shift 2
    APT_MIRROR=""
    if [ -r /etc/apt/sources.list.d/debian.sources ]; then
        APT_MIRROR=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i ~ /\/debian\/?$/) { print $i; exit } }' \
                         /etc/apt/sources.list.d/debian.sources)
    fi
    if [ -z "$APT_MIRROR" ] && [ -r /etc/apt/sources.list ]; then
        APT_MIRROR=$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\/.*\/debian\/?$/) { print $i; exit } }' \
                         /etc/apt/sources.list)
    fi
    if [ -z "$APT_MIRROR" ]; then
        echo "$tool: no Debian archive URI in /etc/apt/sources.list.d/debian.sources or" \
             "/etc/apt/sources.list" >&2
        return 1
    fi
    APT_MIRROR=${APT_MIRROR%/}
    mkdir -p "$d/lists/partial" "$d/cache/archives/partial"
    : >"$d/sources.list"
    local s
    for s in "$@"; do
        echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $APT_MIRROR $s main" \
            >>"$d/sources.list"
    done
    APT_OPTS=(-o "Dir::Etc::sourcelist=$d/sources.list" -o "Dir::Etc::sourceparts=-"
              -o "Dir::State::Lists=$d/lists" -o "Dir::Cache=$d/cache"
              -o "APT::Sandbox::User=$(id -un)")
    if ! apt-get "${APT_OPTS[@]}" -q update >"$d/update.log" 2>&1 ||
       grep -qE '^(Err|W: Failed to fetch|E: Failed to fetch)' "$d/update.log"; then
        echo "$tool: cannot reach Debian's archive at $APT_MIRROR (no network?); see $d/update.log" >&2
        return 3
    fi
    return 0
}

# private_apt_download <tool-name> <state-dir> <work-dir> <package>...: 0, 3 (unreachable) or 1
private_apt_download() {
    local tool=$1 d=$2 work=$3
    shift 3
    if ! (cd "$work" && apt-get "${APT_OPTS[@]}" -q download "$@" >"$d/download.log" 2>&1); then
        if grep -qE 'Could not resolve|Failed to fetch|Connection failed|Temporary failure' \
                "$d/download.log"; then
            echo "$tool: cannot download $* from $APT_MIRROR (no network?); see $d/download.log" >&2
            return 3
        fi
        echo "$tool: apt-get download $* failed; see $d/download.log" >&2
        return 1
    fi
    return 0
}
