# shellcheck shell=bash
# ensure_moto: start a local moto server (fake SQS, DynamoDB, Secrets Manager)
# and point every AWS SDK at it. Source this file.
#
# The moto server runs from a virtualenv at ${SMSBOT_CACHE:-~/.cache/smsbot}/venv
# (outside the clone). It is created, or repaired, on demand, so the cache never
# has to exist beforehand. The server listens on a free 127.0.0.1 port and is
# killed when the calling shell exits (EXIT/INT/TERM).
#
# Exports: AWS_ENDPOINT_URL=http://127.0.0.1:PORT (also SMSBOT_MOTO_URL),
# AWS_ACCESS_KEY_ID=test, AWS_SECRET_ACCESS_KEY=test, AWS_REGION=us-east-1,
# AWS_DEFAULT_REGION=us-east-1, AWS_EC2_METADATA_DISABLED=true, SMSBOT_VENV
# (the venv, whose python has boto3); unsets AWS_PROFILE, AWS_SESSION_TOKEN,
# AWS_SECURITY_TOKEN, AWS_DEFAULT_PROFILE, so nothing reaches a real account.
#
# Knobs: SMSBOT_PYTHON (interpreter that creates the venv; default python3),
# SMSBOT_MOTO_LOG (server log file; default a temp file, removed on exit).

# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# Pinned: `pip index versions moto` showed 5.2.5 as the newest (2026-11).
SMSBOT_MOTO_VERSION=5.2.5
SMSBOT_VENV="$SMSBOT_CACHE/venv"

_smsbot_venv_ok() {
    "$SMSBOT_VENV/bin/python" - "$SMSBOT_MOTO_VERSION" <<'EOF' >/dev/null 2>&1
import sys
from importlib.metadata import version
assert version("moto") == sys.argv[1]
import moto.server, flask, flask_cors, boto3  # noqa: F401  (the [server] extra)
EOF
}

_smsbot_ensure_venv() {
    if _smsbot_venv_ok; then
        return 0
    fi
    local py="${SMSBOT_PYTHON:-}"
    if [[ -z "$py" ]]; then
        for py in python3 python; do smsbot_have "$py" && break; done
    fi
    smsbot_have "$py" || {
        smsbot_die "moto: no python3 found (needed for the moto server). Install Python 3.9+."
        return 1
    }
    "$py" -c 'import sys; sys.exit(sys.version_info < (3, 9))' || {
        smsbot_die "moto: $py is older than Python 3.9, which moto $SMSBOT_MOTO_VERSION needs"
        return 1
    }
    mkdir -p "$SMSBOT_CACHE" || return 1

    (
        # One installer at a time (two checkouts may share the cache).
        if smsbot_have flock; then
            exec 9>"$SMSBOT_CACHE/venv.lock"
            flock 9
        fi
        _smsbot_venv_ok && exit 0
        # A venv whose python is gone (interpreter upgraded or moved) is rebuilt.
        if [[ -d "$SMSBOT_VENV" ]] && ! "$SMSBOT_VENV/bin/python" -c '' >/dev/null 2>&1; then
            smsbot_log "moto: the venv at $SMSBOT_VENV is broken; recreating it"
            rm -rf -- "$SMSBOT_VENV"
        fi
        if [[ ! -x "$SMSBOT_VENV/bin/python" ]]; then
            smsbot_log "moto: creating virtualenv $SMSBOT_VENV ($("$py" --version 2>&1))"
            "$py" -m venv "$SMSBOT_VENV" >&2 || {
                rm -rf -- "$SMSBOT_VENV"
                smsbot_die "moto: '$py -m venv' failed (Debian: apt-get install python3-venv)"
                exit 1
            }
        fi
        smsbot_log "moto: installing moto[server]==$SMSBOT_MOTO_VERSION into $SMSBOT_VENV (takes about a minute)"
        "$SMSBOT_VENV/bin/python" -m pip install --disable-pip-version-check --no-input -q \
            "moto[server]==$SMSBOT_MOTO_VERSION" </dev/null >&2 || {
            smsbot_die "moto: pip install of moto[server]==$SMSBOT_MOTO_VERSION failed"
            exit 1
        }
        _smsbot_venv_ok || {
            smsbot_die "moto: installed, but 'import moto.server' still fails in $SMSBOT_VENV"
            exit 1
        }
    )
}

# Any HTTP answer means the server is up.
_smsbot_moto_answers() {
    local url=$1
    if smsbot_have curl; then
        local code
        code="$(curl -s -o /dev/null -m 2 -w '%{http_code}' "$url/moto-api/" 2>/dev/null)"
        [[ -n "$code" && "$code" != 000 ]]
    else
        "$SMSBOT_VENV/bin/python" - "$url/moto-api/" <<'EOF' >/dev/null 2>&1
import sys, urllib.request, urllib.error
try:
    urllib.request.urlopen(sys.argv[1], timeout=2)
except urllib.error.HTTPError:
    pass
EOF
    fi
}

_smsbot_moto_stop() {
    local pid=$1 log=$2 remove_log=$3
    if kill -0 "$pid" 2>/dev/null; then
        smsbot_log "moto: stopping server (pid $pid)"
        kill "$pid" 2>/dev/null || true
        local i
        for ((i = 0; i < 25; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.2
        done
        kill -9 "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
    if [[ "$remove_log" == 1 ]]; then
        rm -f -- "$log"
    fi
}

ensure_moto() {
    _smsbot_ensure_venv || return 1

    local log remove_log=0
    if [[ -n "${SMSBOT_MOTO_LOG:-}" ]]; then
        log="$SMSBOT_MOTO_LOG"
    else
        log="$(mktemp "${TMPDIR:-/tmp}/smsbot-moto.XXXXXX")" || return 1
        remove_log=1
    fi

    local attempt port pid url
    for attempt in 1 2 3; do
        port="$(free_port)" || return 1
        url="http://127.0.0.1:$port"
        "$SMSBOT_VENV/bin/python" -m moto.server -H 127.0.0.1 -p "$port" </dev/null >>"$log" 2>&1 &
        pid=$!
        smsbot_push_cleanup _smsbot_moto_stop "$pid" "$log" "$remove_log"
        # wait until it answers, or dies
        local deadline=$((SECONDS + 60))
        while kill -0 "$pid" 2>/dev/null && ! _smsbot_moto_answers "$url"; do
            if ((SECONDS >= deadline)); then
                kill "$pid" 2>/dev/null || true
                break
            fi
            sleep 0.2
        done
        if kill -0 "$pid" 2>/dev/null && _smsbot_moto_answers "$url"; then
            break
        fi
        smsbot_warn "moto: server on port $port did not come up (attempt $attempt); log:"
        tail -n 20 "$log" >&2 || true
        pid=
    done
    [[ -n "$pid" ]] || {
        smsbot_die "moto: could not start the moto server"
        return 1
    }

    unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_SECURITY_TOKEN
    export AWS_ENDPOINT_URL="$url"
    export SMSBOT_MOTO_URL="$url"
    export AWS_ACCESS_KEY_ID=test
    export AWS_SECRET_ACCESS_KEY=test
    export AWS_REGION=us-east-1
    export AWS_DEFAULT_REGION=us-east-1
    export AWS_EC2_METADATA_DISABLED=true
    export SMSBOT_VENV
    smsbot_log "moto: moto $SMSBOT_MOTO_VERSION server at $AWS_ENDPOINT_URL (pid $pid, log $log)"
}
