# shellcheck shell=bash
# The AWS SAM CLI and a local Lambda base image, for `sam build` and
# `sam local invoke` (scripts/sam-local). Source this file.
#
#   ensure_sam             aws-sam-cli (PyPI, pinned) in a virtualenv of its own,
#                          ${SMSBOT_CACHE}/sam-venv, its bin/ first on PATH. (Its
#                          own: its pins of boto3 and friends differ from moto's.)
#   ensure_lambda_image    a Docker image to run `provided.al2023` functions in,
#                          tagged $SMSBOT_LAMBDA_IMAGE. No registry is needed:
#                          Debian's debootstrap builds a minimal root file system with a CA bundle
#                          (about a minute) that `docker import` turns into an
#                          image; SAM adds the runtime interface emulator, which
#                          ships inside aws-sam-cli. Sets LAMBDA_IMAGE_UNAVAILABLE
#                          and returns 1 when it cannot.

# shellcheck source=scripts/lib/docker.sh
source "$(dirname "${BASH_SOURCE[0]}")/docker.sh"

# Pinned: 1.170.0 is the first release whose rust-cargolambda builder finds a
# workspace's shared target directory (and so honours CARGO_TARGET_DIR).
SMSBOT_SAM_VERSION="${SMSBOT_SAM_VERSION:-1.170.0}"
SMSBOT_SAM_VENV="$SMSBOT_CACHE/sam-venv"
# The tag names the recipe below: change it when the recipe changes.
SMSBOT_LAMBDA_IMAGE="${SMSBOT_LAMBDA_IMAGE:-smsbot-lambda-base:bookworm-ca}"
LAMBDA_IMAGE_UNAVAILABLE=

# SAM asks before it sends usage data to AWS; the answer here is no.
export SAM_CLI_TELEMETRY=0

_smsbot_sam_ok() {
    local out
    out="$("$SMSBOT_SAM_VENV/bin/sam" --version 2>/dev/null)" || return 1
    [[ "$out" == *"$SMSBOT_SAM_VERSION"* ]]
}

ensure_sam() {
    if ! _smsbot_sam_ok; then
        local py
        for py in python3 python; do smsbot_have "$py" && break; done
        smsbot_have "$py" || {
            smsbot_die "sam: no python3 found (aws-sam-cli is a Python package)"
            return 1
        }
        (
            if smsbot_have flock; then
                mkdir -p "$SMSBOT_CACHE"
                exec 9>"$SMSBOT_CACHE/sam-venv.lock"
                flock 9
            fi
            _smsbot_sam_ok && exit 0
            smsbot_log "sam: installing aws-sam-cli==$SMSBOT_SAM_VERSION into $SMSBOT_SAM_VENV"
            rm -rf -- "$SMSBOT_SAM_VENV"
            "$py" -m venv "$SMSBOT_SAM_VENV" &&
                "$SMSBOT_SAM_VENV/bin/python" -m pip install --disable-pip-version-check \
                    --no-input -q "aws-sam-cli==$SMSBOT_SAM_VERSION" </dev/null >&2
        ) || {
            smsbot_die "sam: pip install of aws-sam-cli==$SMSBOT_SAM_VERSION failed"
            return 1
        }
    fi
    case ":$PATH:" in
    *":$SMSBOT_SAM_VENV/bin:"*) ;;
    *) export PATH="$SMSBOT_SAM_VENV/bin:$PATH" ;;
    esac
}

ensure_lambda_image() {
    LAMBDA_IMAGE_UNAVAILABLE=
    if docker image inspect "$SMSBOT_LAMBDA_IMAGE" >/dev/null 2>&1; then
        return 0
    fi
    if ! smsbot_have debootstrap; then
        _smsbot_apt_install debootstrap || true
    fi
    if ! smsbot_have debootstrap; then
        LAMBDA_IMAGE_UNAVAILABLE="no image $SMSBOT_LAMBDA_IMAGE and no debootstrap to build it (install Debian's debootstrap)"
        return 1
    fi
    if [[ $EUID -ne 0 ]]; then
        LAMBDA_IMAGE_UNAVAILABLE="no image $SMSBOT_LAMBDA_IMAGE, and debootstrap needs root to build it"
        return 1
    fi
    local root
    root="$(mktemp -d "${TMPDIR:-/tmp}/smsbot-lambda-root.XXXXXX")"
    smsbot_push_cleanup rm -rf -- "$root"
    smsbot_log "sam: building $SMSBOT_LAMBDA_IMAGE with debootstrap (minbase bookworm, about a minute)"
    # ca-certificates: Lambda's own images carry a CA bundle, and TLS clients that
    # load the system roots refuse to start without one.
    if ! debootstrap --variant=minbase --include=ca-certificates bookworm "$root" >"$root.log" 2>&1; then
        LAMBDA_IMAGE_UNAVAILABLE="debootstrap failed (see $root.log)"
        return 1
    fi
    rm -f -- "$root.log"
    if ! tar -C "$root" -c . | docker import - "$SMSBOT_LAMBDA_IMAGE" >/dev/null; then
        LAMBDA_IMAGE_UNAVAILABLE="docker import of the debootstrap tree failed"
        return 1
    fi
    rm -rf -- "$root"
    # `sam local` layers the emulator onto the image as <repo>:rapid-<arch> and
    # reuses that layer as long as it exists, even over a new base: drop it.
    local stale
    stale="$(docker images --format '{{.Repository}}:{{.Tag}}' "${SMSBOT_LAMBDA_IMAGE%%:*}" | grep ':rapid-' || true)"
    if [[ -n "$stale" ]]; then
        # shellcheck disable=SC2086 # one image name per word
        docker rmi $stale >/dev/null 2>&1 || true
    fi
}
