# shellcheck shell=bash
# ensure_cargo_lambda: make `cargo lambda` (and zig, which `cargo lambda build
# --arm64` cross-compiles with) available. Source this file.
#
# Both come from PyPI (the `cargo-lambda` and `ziglang` packages) and go into the
# same virtualenv as the moto server, ${SMSBOT_CACHE:-~/.cache/smsbot}/venv
# (outside the clone); its bin/ is put first on PATH. A `cargo-lambda` already on
# PATH at the pinned version is used as is. Installing takes about 30 seconds.
#
# Knobs: SMSBOT_CARGO_LAMBDA_VERSION, SMSBOT_ZIG_VERSION (pins below),
# SMSBOT_NO_ZIG=1 (skip zig: enough for `cargo lambda watch/invoke`, which build
# for the host).

# shellcheck source=scripts/lib/moto.sh
source "$(dirname "${BASH_SOURCE[0]}")/moto.sh"

# Pinned: `pip index versions cargo-lambda` showed 1.9.2 as the newest (2026-11).
SMSBOT_CARGO_LAMBDA_VERSION="${SMSBOT_CARGO_LAMBDA_VERSION:-1.9.2}"
# zig 0.13 is the release cargo-zigbuild (inside cargo-lambda) has been tested
# with longest; newer ones work for most crates too.
SMSBOT_ZIG_VERSION="${SMSBOT_ZIG_VERSION:-0.13.0.post1}"

_smsbot_cargo_lambda_ok() {
    local out
    out="$(cargo-lambda lambda --version 2>/dev/null)" || return 1
    [[ "$out" == *"$SMSBOT_CARGO_LAMBDA_VERSION"* ]]
}

_smsbot_zig_ok() {
    [[ "${SMSBOT_NO_ZIG:-}" == 1 ]] && return 0
    # cargo-zigbuild finds zig on PATH, or runs `python -m ziglang`.
    "$SMSBOT_VENV/bin/python" - "$SMSBOT_ZIG_VERSION" <<'EOF' >/dev/null 2>&1
import sys
from importlib.metadata import version
assert version("ziglang") == sys.argv[1]
EOF
}

ensure_cargo_lambda() {
    # The venv (created with moto in it when missing) hosts both tools.
    _smsbot_ensure_venv || return 1
    case ":$PATH:" in
    *":$SMSBOT_VENV/bin:"*) ;;
    *) export PATH="$SMSBOT_VENV/bin:$PATH" ;;
    esac
    if _smsbot_cargo_lambda_ok && _smsbot_zig_ok; then
        return 0
    fi
    local -a pkgs=("cargo-lambda==$SMSBOT_CARGO_LAMBDA_VERSION")
    if [[ "${SMSBOT_NO_ZIG:-}" != 1 ]]; then
        pkgs+=("ziglang==$SMSBOT_ZIG_VERSION")
    fi
    (
        if smsbot_have flock; then
            exec 9>"$SMSBOT_CACHE/venv.lock"
            flock 9
        fi
        _smsbot_cargo_lambda_ok && _smsbot_zig_ok && exit 0
        smsbot_log "cargo-lambda: installing ${pkgs[*]} into $SMSBOT_VENV"
        "$SMSBOT_VENV/bin/python" -m pip install --disable-pip-version-check --no-input -q \
            "${pkgs[@]}" </dev/null >&2 || {
            smsbot_die "cargo-lambda: pip install of ${pkgs[*]} failed"
            exit 1
        }
    ) || return 1
    _smsbot_cargo_lambda_ok || {
        smsbot_die "cargo-lambda: installed, but 'cargo lambda --version' does not report $SMSBOT_CARGO_LAMBDA_VERSION"
        return 1
    }
    # zig from the wheel lives inside the package; give it a name on PATH too, so
    # cargo-zigbuild and people can call `zig` directly.
    if [[ "${SMSBOT_NO_ZIG:-}" != 1 && ! -x "$SMSBOT_VENV/bin/zig" ]]; then
        local zig
        zig="$("$SMSBOT_VENV/bin/python" -c 'import ziglang, os; print(os.path.join(os.path.dirname(ziglang.__file__), "zig"))' 2>/dev/null)" &&
            [[ -x "$zig" ]] && ln -sf "$zig" "$SMSBOT_VENV/bin/zig"
    fi
    smsbot_log "cargo-lambda: $(cargo-lambda lambda --version 2>/dev/null) from $SMSBOT_VENV"
}

# ensure_cfn_lint: cfn-lint (PyPI) in the same venv, on PATH.
SMSBOT_CFN_LINT_VERSION="${SMSBOT_CFN_LINT_VERSION:-1.58.0}"
ensure_cfn_lint() {
    _smsbot_ensure_venv || return 1
    case ":$PATH:" in
    *":$SMSBOT_VENV/bin:"*) ;;
    *) export PATH="$SMSBOT_VENV/bin:$PATH" ;;
    esac
    local have
    have="$("$SMSBOT_VENV/bin/cfn-lint" --version 2>/dev/null)" || have=
    [[ "$have" == *"$SMSBOT_CFN_LINT_VERSION"* ]] && return 0
    (
        if smsbot_have flock; then
            exec 9>"$SMSBOT_CACHE/venv.lock"
            flock 9
        fi
        smsbot_log "cfn-lint: installing cfn-lint==$SMSBOT_CFN_LINT_VERSION into $SMSBOT_VENV"
        "$SMSBOT_VENV/bin/python" -m pip install --disable-pip-version-check --no-input -q \
            "cfn-lint==$SMSBOT_CFN_LINT_VERSION" </dev/null >&2
    ) || {
        smsbot_die "cfn-lint: pip install failed"
        return 1
    }
}
