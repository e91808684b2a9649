# shellcheck shell=bash
# ensure_postgres: make sure a PostgreSQL server is reachable on which the tests
# may CREATE DATABASE, and export DATABASE_URL pointing at it. Source this file.
#
# Order of choice:
#   1. DATABASE_URL, when already set (it must answer; no fallback if it doesn't)
#   2. a server on 127.0.0.1:${SMSBOT_PG_PORT:-5432}, as user postgres (or the
#      current OS user), trust/PGPASSWORD auth, with superuser or CREATEDB
#   3. a throwaway cluster: initdb into a temp dir, started on a free loopback
#      port, stopped and removed when the calling shell exits (EXIT/INT/TERM)
#
# Exports: DATABASE_URL, SMSBOT_PG_SOURCE (env|local|throwaway), and for the
# throwaway cluster SMSBOT_PG_DIR (its temp dir, also its unix socket dir).
#
# Knobs: SMSBOT_PG_PORT (port probed in step 2), SMSBOT_PG_OS_USER (OS user
# that owns the throwaway cluster when running as root; default postgres),
# SMSBOT_PG_NO_LOCAL=1 (skip step 2), SMSBOT_AUTO_INSTALL=1 (apt-get install
# postgresql when no initdb can be found; on by default when CI=true and root).

# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# Print the path of a PostgreSQL program: PATH first, then the usual places
# of server binaries (which Debian keeps off PATH), newest version first.
smsbot_pg_bin() {
    local name=$1 d
    if smsbot_have "$name"; then
        command -v "$name"
        return 0
    fi
    local -a dirs=(/usr/local/bin /usr/local/pgsql/bin)
    # newest major version first
    local v
    while IFS= read -r v; do
        dirs+=("$v")
    done < <(
        shopt -s nullglob
        for d in /usr/lib/postgresql/*/bin /usr/pgsql-*/bin /opt/homebrew/opt/postgresql*/bin \
            /usr/local/opt/postgresql*/bin /opt/homebrew/bin; do
            printf '%s\n' "$d"
        done | sort -rV
    )
    for d in "${dirs[@]}"; do
        if [[ -x "$d/$name" ]]; then
            printf '%s\n' "$d/$name"
            return 0
        fi
    done
    return 1
}

# Does the server behind URL answer, and may we create databases there?
# Returns 0 = yes, 1 = no answer / login refused, 2 = answers but no CREATEDB.
_smsbot_pg_url_usable() {
    local url=$1 psql out
    if ! psql="$(smsbot_pg_bin psql)"; then
        local isready
        isready="$(smsbot_pg_bin pg_isready)" || return 1
        PGCONNECT_TIMEOUT=5 "$isready" -q -d "$url" </dev/null
        return $?
    fi
    out="$(PGCONNECT_TIMEOUT=5 "$psql" -X -w -A -t -q -d "$url" \
        -c 'select rolsuper or rolcreatedb from pg_roles where rolname = current_user' \
        </dev/null 2>/dev/null)" || return 1
    [[ "$out" == t ]] || return 2
}

# Hide a password in a URL for messages.
_smsbot_pg_redact() {
    sed -E 's#(://[^:/@]+):[^@]*@#\1:***@#' <<<"$1"
}

# Run a command as the OS user that owns the throwaway cluster.
_smsbot_pg_as_owner() {
    if [[ $EUID -ne 0 ]]; then
        "$@"
    elif smsbot_have runuser; then
        runuser -u "$_SMSBOT_PG_OWNER" -- "$@"
    elif smsbot_have setpriv; then
        local uid gid
        uid="$(id -u "$_SMSBOT_PG_OWNER")" && gid="$(id -g "$_SMSBOT_PG_OWNER")" || return 1
        setpriv --reuid="$uid" --regid="$gid" --clear-groups -- "$@"
    elif smsbot_have su; then
        su -s /bin/sh "$_SMSBOT_PG_OWNER" -c "$(printf '%q ' "$@")"
    elif smsbot_have sudo; then
        sudo -n -u "$_SMSBOT_PG_OWNER" -- "$@"
    else
        smsbot_die "running as root and found none of runuser/setpriv/su/sudo to drop to $_SMSBOT_PG_OWNER"
    fi
}

_smsbot_pg_try_install() {
    local auto=${SMSBOT_AUTO_INSTALL:-}
    if [[ -z "$auto" && "${CI:-}" == true ]]; then auto=1; fi
    [[ "$auto" == 1 && $EUID -eq 0 ]] && smsbot_have apt-get || return 1
    smsbot_log "postgres: no initdb found; installing Debian's postgresql (apt-get)"
    {
        DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql
    } </dev/null >&2
}

_smsbot_pg_stop_throwaway() {
    local dir=$1 pg_ctl=$2
    smsbot_log "postgres: stopping throwaway cluster in $dir"
    (cd / && _smsbot_pg_as_owner "$pg_ctl" -D "$dir/data" -m immediate -w -t 30 stop) >/dev/null 2>&1 || true
    rm -rf -- "$dir"
}

_smsbot_pg_start_throwaway() {
    local initdb pg_ctl
    if ! initdb="$(smsbot_pg_bin initdb)" || ! pg_ctl="$(smsbot_pg_bin pg_ctl)"; then
        _smsbot_pg_try_install || true
        if ! initdb="$(smsbot_pg_bin initdb)" || ! pg_ctl="$(smsbot_pg_bin pg_ctl)"; then
            smsbot_die "postgres: no server found and no initdb/pg_ctl to start one." \
                "Install PostgreSQL (Debian: apt-get install postgresql) or set DATABASE_URL."
            return 1
        fi
    fi

    _SMSBOT_PG_OWNER="${SMSBOT_PG_OS_USER:-postgres}"
    if [[ $EUID -eq 0 ]]; then
        if ! id -u "$_SMSBOT_PG_OWNER" >/dev/null 2>&1; then
            smsbot_warn "postgres: OS user '$_SMSBOT_PG_OWNER' does not exist; using 'nobody' to own the throwaway cluster"
            _SMSBOT_PG_OWNER=nobody
        fi
    else
        _SMSBOT_PG_OWNER="$(id -un)"
    fi

    # The owner must be able to reach the dir, so keep it under /tmp by default.
    local base="${SMSBOT_PG_TMPDIR:-/tmp}" dir
    dir="$(mktemp -d "$base/smsbot-pg.XXXXXX")" || return 1
    smsbot_push_cleanup _smsbot_pg_stop_throwaway "$dir" "$pg_ctl"
    if [[ $EUID -eq 0 ]]; then
        chown "$_SMSBOT_PG_OWNER" "$dir" || return 1
    fi
    chmod 700 "$dir"

    smsbot_log "postgres: initdb ($initdb) into $dir/data as $_SMSBOT_PG_OWNER"
    if ! (cd "$dir" && _smsbot_pg_as_owner "$initdb" -D "$dir/data" -U postgres \
        --auth=trust -E UTF8 --no-locale --no-sync) >"$dir/initdb.log" 2>&1 </dev/null; then
        cat "$dir/initdb.log" >&2
        smsbot_die "postgres: initdb failed"
        return 1
    fi

    local attempt port
    for attempt in 1 2 3; do
        port="$(free_port)" || return 1
        # Settings go in the config file, so no quoting through pg_ctl -o
        # (a later line wins, so a retry's port overrides the earlier one).
        # shellcheck disable=SC2016  # $1 is for the inner sh
        (cd "$dir" && _smsbot_pg_as_owner sh -c 'cat >>"$1"' sh "$dir/data/postgresql.conf") <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
        if (cd "$dir" && _smsbot_pg_as_owner "$pg_ctl" -D "$dir/data" -l "$dir/postgres.log" \
            -w -t 60 start) >/dev/null 2>&1 </dev/null; then
            break
        fi
        smsbot_warn "postgres: start on port $port failed (attempt $attempt); log:"
        tail -n 20 "$dir/postgres.log" >&2 2>/dev/null || true
        port=
    done
    [[ -n "$port" ]] || {
        smsbot_die "postgres: could not start the throwaway cluster"
        return 1
    }

    local url="postgres://postgres@127.0.0.1:$port/postgres"
    if ! smsbot_wait_for 30 _smsbot_pg_url_usable "$url"; then
        tail -n 20 "$dir/postgres.log" >&2 2>/dev/null || true
        smsbot_die "postgres: throwaway cluster on port $port does not answer"
        return 1
    fi
    export DATABASE_URL="$url"
    export SMSBOT_PG_SOURCE=throwaway
    export SMSBOT_PG_DIR="$dir"
    smsbot_log "postgres: using throwaway cluster at $DATABASE_URL (removed on exit)"
}

ensure_postgres() {
    # 1. an explicit DATABASE_URL
    if [[ -n "${DATABASE_URL:-}" ]]; then
        local shown rc=0
        shown="$(_smsbot_pg_redact "$DATABASE_URL")"
        _smsbot_pg_url_usable "$DATABASE_URL" || rc=$?
        case $rc in
        0) smsbot_log "postgres: using DATABASE_URL from the environment ($shown)" ;;
        2) smsbot_warn "postgres: DATABASE_URL ($shown) answers, but its role may not CREATE DATABASE; tests that need that will fail" ;;
        *)
            smsbot_die "postgres: DATABASE_URL is set ($shown) but does not answer. Fix it, or unset it to let the script find or start a server."
            return 1
            ;;
        esac
        export SMSBOT_PG_SOURCE="${SMSBOT_PG_SOURCE:-env}"
        return 0
    fi

    # 2. a server already running on the loopback
    local port="${SMSBOT_PG_PORT:-5432}"
    if [[ "${SMSBOT_PG_NO_LOCAL:-}" != 1 ]]; then
        local isready answered=
        if isready="$(smsbot_pg_bin pg_isready)"; then
            "$isready" -q -h 127.0.0.1 -p "$port" -t 3 </dev/null && answered=1
        else
            _smsbot_port_in_use "$port" && answered=1
        fi
        if [[ -n "$answered" ]]; then
            local user url rc
            local -a users=(postgres)
            local me
            me="$(id -un 2>/dev/null)" && [[ "$me" != postgres ]] && users+=("$me")
            for user in "${users[@]}"; do
                url="postgres://$user@127.0.0.1:$port/postgres"
                rc=0
                _smsbot_pg_url_usable "$url" || rc=$?
                if ((rc == 0)); then
                    export DATABASE_URL="$url"
                    export SMSBOT_PG_SOURCE=local
                    smsbot_log "postgres: using the server on 127.0.0.1:$port ($DATABASE_URL)"
                    return 0
                fi
                smsbot_log "postgres: 127.0.0.1:$port answers but user '$user' cannot log in or may not create databases"
            done
        else
            smsbot_log "postgres: nothing answers on 127.0.0.1:$port"
        fi
    fi

    # 3. a throwaway cluster
    smsbot_log "postgres: starting a throwaway cluster"
    _smsbot_pg_start_throwaway
}
