# shellcheck shell=bash
# Shared helpers for the scripts in scripts/. Source it; don't execute it.
#
#   smsbot_log / smsbot_warn / smsbot_die   messages on stderr
#   smsbot_push_cleanup CMD...              run CMD at exit (LIFO; several compose)
#   smsbot_run_cleanups                     run (and forget) the pending cleanups now
#   smsbot_run CMD...                       run CMD so that a TERM/INT sent to this
#                                           script stops CMD too, then the cleanups
#   free_port                               print a free TCP port on 127.0.0.1
#   smsbot_have CMD                         is CMD on PATH?
#
# Exports SMSBOT_ROOT (repo root), SMSBOT_CACHE (default ~/.cache/smsbot) and
# CARGO_TARGET_DIR (default $SMSBOT_CACHE/target: outside the clone, a cache only).
#
# The library never changes shell options (no set -e here), so it can be sourced
# into an interactive shell. Functions report failure by return status.

if [[ -n "${_SMSBOT_COMMON_LOADED:-}" ]]; then
    return 0
fi
_SMSBOT_COMMON_LOADED=1

SMSBOT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
export SMSBOT_ROOT
export SMSBOT_CACHE="${SMSBOT_CACHE:-${HOME:-/tmp}/.cache/smsbot}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$SMSBOT_CACHE/target}"

smsbot_log() { printf '[smsbot] %s\n' "$*" >&2; }
smsbot_warn() { printf '[smsbot] warning: %s\n' "$*" >&2; }
smsbot_die() {
    printf '[smsbot] error: %s\n' "$*" >&2
    return 1
}
smsbot_have() { command -v "$1" >/dev/null 2>&1; }

# ---------------------------------------------------------------------------
# Cleanup stack. Each entry is one shell-quoted command line; they run in
# reverse order of registration, once, on EXIT (and on INT/TERM/HUP when the
# shell is not interactive, so a long-running script that gets Ctrl-C or a
# kill still tears down what it started).
# ---------------------------------------------------------------------------
_SMSBOT_CLEANUPS=()
_SMSBOT_TRAPS_SET=
_SMSBOT_PREV_EXIT_TRAP=

smsbot_push_cleanup() {
    local cmd
    cmd="$(printf '%q ' "$@")"
    _SMSBOT_CLEANUPS+=("$cmd")
    _smsbot_install_traps
}

smsbot_run_cleanups() {
    local i n=${#_SMSBOT_CLEANUPS[@]}
    local -a todo=("${_SMSBOT_CLEANUPS[@]}")
    _SMSBOT_CLEANUPS=()
    for ((i = n - 1; i >= 0; i--)); do
        eval "${todo[i]}" || true
    done
}

_smsbot_on_exit() {
    local rc=$?
    smsbot_run_cleanups
    if [[ -n "$_SMSBOT_PREV_EXIT_TRAP" ]]; then
        eval "$_SMSBOT_PREV_EXIT_TRAP" || true
    fi
    return "$rc"
}

_SMSBOT_CHILD=

# Is PID alive? (A zombie, dead but not yet reaped, counts as dead.)
_smsbot_alive() {
    local stat
    if [[ -r /proc/$1/stat ]]; then
        stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
        stat="${stat##*) }"
        [[ "${stat:0:1}" != Z ]]
    else
        kill -0 "$1" 2>/dev/null
    fi
}

_smsbot_on_signal() {
    local sig=$1 i
    smsbot_log "caught SIG$sig, cleaning up"
    if [[ -n "$_SMSBOT_CHILD" ]] && _smsbot_alive "$_SMSBOT_CHILD"; then
        # CMD leads its own process group (see smsbot_run): stop all of it.
        kill -s TERM -- "-$_SMSBOT_CHILD" 2>/dev/null || kill -s TERM "$_SMSBOT_CHILD" 2>/dev/null || true
        for ((i = 0; i < 50; i++)); do
            _smsbot_alive "$_SMSBOT_CHILD" || break
            sleep 0.2
        done
        kill -s KILL -- "-$_SMSBOT_CHILD" 2>/dev/null || true
    fi
    smsbot_run_cleanups
    trap - "$sig" EXIT
    kill -s "$sig" "$$"
    # Still here (the signal was ignored when this shell started): exit anyway.
    case $sig in
    HUP) exit 129 ;;
    INT) exit 130 ;;
    *) exit 143 ;;
    esac
}

_smsbot_install_traps() {
    [[ -n "$_SMSBOT_TRAPS_SET" ]] && return 0
    _SMSBOT_TRAPS_SET=1
    # Keep an EXIT trap someone installed before us, and run it after ours.
    local prev
    prev="$(trap -p EXIT)"
    if [[ -n "$prev" ]]; then
        # prev reads: trap -- 'CMD' EXIT
        local -a parts
        eval "parts=($prev)"
        _SMSBOT_PREV_EXIT_TRAP="${parts[2]:-}"
    fi
    trap _smsbot_on_exit EXIT
    if [[ $- != *i* ]]; then
        local s
        for s in INT TERM HUP; do
            # shellcheck disable=SC2064  # expand $s now, on purpose
            trap "_smsbot_on_signal $s" "$s"
        done
    fi
}

# Run CMD... and return its status, so that a signal sent to this script also
# stops CMD and everything CMD started.
#  - On a terminal, CMD runs in the foreground: Ctrl-C reaches the whole
#    foreground process group (CMD and its children) and then our trap runs.
#  - Otherwise (CI), bash would run a TERM trap only after a foreground CMD
#    ended, i.e. after the whole test run. So CMD runs in its own process group
#    (setsid) in the background, with this shell's stdin, and the shell waits
#    for it: the trap runs at once and sends TERM to CMD's whole group.
smsbot_run() {
    if [[ -t 0 || -t 1 || -t 2 ]] || ! smsbot_have setsid; then
        "$@"
        return
    fi
    local rc=0
    setsid "$@" 0<&0 &
    _SMSBOT_CHILD=$!
    wait "$_SMSBOT_CHILD" || rc=$?
    _SMSBOT_CHILD=
    return "$rc"
}

# ---------------------------------------------------------------------------
# Ports
# ---------------------------------------------------------------------------
_smsbot_port_in_use() {
    # true when something accepts connections on 127.0.0.1:$1
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

free_port() {
    local py port i
    for py in python3 python; do
        if smsbot_have "$py"; then
            port="$("$py" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()' 2>/dev/null)" && [[ -n "$port" ]] && {
                printf '%s\n' "$port"
                return 0
            }
        fi
    done
    # No python: try random high ports until one is not answering.
    for ((i = 0; i < 50; i++)); do
        port=$((20000 + RANDOM % 40000))
        if ! _smsbot_port_in_use "$port"; then
            printf '%s\n' "$port"
            return 0
        fi
    done
    smsbot_die "could not find a free TCP port on 127.0.0.1"
}

# Wait until CMD... succeeds, at most $1 seconds (polls every 0.2 s).
smsbot_wait_for() {
    local timeout=$1 deadline
    shift
    deadline=$((SECONDS + timeout))
    until "$@" >/dev/null 2>&1; do
        if ((SECONDS >= deadline)); then
            return 1
        fi
        sleep 0.2
    done
}
