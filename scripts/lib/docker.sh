# shellcheck shell=bash
# ensure_docker: a Docker engine the `docker` client can talk to, or a return
# status of 1 with the reason in DOCKER_UNAVAILABLE (callers skip with it).
# Source this file.
#
# Uses a running engine when `docker info` answers. Otherwise, as root with
# Debian's docker.io installed (SMSBOT_AUTO_INSTALL=1, or CI=true, installs it),
# starts `dockerd --storage-driver=vfs --iptables=false` (vfs: no overlay
# filesystem needed; no iptables: it never touches the machine's firewall) and
# stops it again on exit. Images stay in dockerd's data root between runs.

# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

DOCKER_UNAVAILABLE=

_smsbot_docker_answers() { docker info >/dev/null 2>&1; }

_smsbot_apt_install() {
    local auto=${SMSBOT_AUTO_INSTALL:-}
    if [[ -z "$auto" && "${CI:-}" == true ]]; then auto=1; fi
    [[ "$auto" == 1 && $EUID -eq 0 ]] && smsbot_have apt-get || return 1
    smsbot_log "installing Debian's $* (apt-get)"
    {
        DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
    } </dev/null >&2
}

_smsbot_dockerd_stop() {
    local pid=$1
    smsbot_log "docker: stopping the dockerd this run started (pid $pid)"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.2
    done
    kill -9 "$pid" 2>/dev/null || true
}

ensure_docker() {
    DOCKER_UNAVAILABLE=
    if ! smsbot_have docker || { ! smsbot_have dockerd && ! _smsbot_docker_answers; }; then
        _smsbot_apt_install docker.io || true
    fi
    if ! smsbot_have docker; then
        DOCKER_UNAVAILABLE="no docker client on PATH (install Docker, or Debian's docker.io)"
        return 1
    fi
    _smsbot_docker_answers && return 0
    if [[ $EUID -ne 0 ]] || ! smsbot_have dockerd; then
        DOCKER_UNAVAILABLE="no Docker engine answers 'docker info', and this user cannot start one"
        return 1
    fi
    local log="$SMSBOT_CACHE/dockerd.log" pid
    mkdir -p "$SMSBOT_CACHE"
    smsbot_log "docker: starting dockerd (vfs storage, no iptables); log in $log"
    dockerd --storage-driver=vfs --iptables=false >"$log" 2>&1 &
    pid=$!
    smsbot_push_cleanup _smsbot_dockerd_stop "$pid"
    if ! smsbot_wait_for 60 _smsbot_docker_answers; then
        DOCKER_UNAVAILABLE="dockerd did not come up within 60 s (see $log)"
        return 1
    fi
}

# The address containers on the default bridge reach this machine at (the
# bridge's gateway), e.g. 172.17.0.1.
docker_host_gateway() {
    local gateway
    gateway="$(docker network inspect bridge --format '{{range .IPAM.Config}}{{.Gateway}}{{end}}' 2>/dev/null)"
    # Older engines leave the default bridge's gateway out of its IPAM config: it
    # is the address of the bridge's interface on this machine.
    if [[ -z "$gateway" ]] && smsbot_have ip; then
        gateway="$(ip -4 -o addr show docker0 2>/dev/null | awk '{print $4}' | cut -d/ -f1 | head -n1)"
    fi
    printf '%s\n' "$gateway"
}
