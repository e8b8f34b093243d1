# shellcheck shell=bash
# Actions that change the node: each is logged, skipped under --dry-run, and recorded so that uninstall can
# undo it. State (under KA_STATE_DIR): installed.list (files install created), dirs.list (directories it
# created), backups.list (<stamp> <path> of every file it replaced, backed up under KA_BACKUP_DIR/<stamp>/).

CHANGES=0
BACKUP_STAMP=${KA_BACKUP_STAMP:-$(date -u +%Y%m%dT%H%M%SZ)}
NEW_DIRS=()

# act DESCRIPTION COMMAND...: run COMMAND (or only say it, under --dry-run); counts as a change.
act() {
    local what=$1
    shift
    CHANGES=$((CHANGES + 1))
    if [ "${DRY_RUN}" = 1 ]; then
        info "[dry-run] would ${what}"
        return 0
    fi
    info "${what}"
    "$@"
}

# On the target: the node path under --root.
target() {
    printf '%s%s' "${ROOT}" "$1"
}

state_file() {
    target "${KA_STATE_DIR}/$1"
}

# record LIST LINE: append LINE to a state list (not under --dry-run).
record() {
    [ "${DRY_RUN}" = 0 ] || return 0
    ensure_dir "${KA_STATE_DIR}" 0700
    printf '%s\n' "$2" >>"$(state_file "$1")"
}

# ensure_dir NODE_DIR [MODE]: create the directory and each missing parent, remembering which were new.
ensure_dir() {
    local dir=$1 mode=${2:-0755} missing=() d
    d=${dir}
    while [ -n "${d}" ] && [ "${d}" != / ] && [ ! -d "$(target "${d}")" ]; do
        missing=("${d}" "${missing[@]+"${missing[@]}"}")
        d=$(dirname "${d}")
    done
    [ "${#missing[@]}" -gt 0 ] || return 0
    for d in "${missing[@]}"; do
        if [ "${DRY_RUN}" = 1 ]; then
            info "[dry-run] would create directory ${d}"
            continue
        fi
        mkdir -m "${mode}" "$(target "${d}")"
        chown 0:0 "$(target "${d}")"
        NEW_DIRS+=("${d}")
    done
    # The state directory may have just been created: write what is pending.
    if [ "${DRY_RUN}" = 0 ] && [ -d "$(target "${KA_STATE_DIR}")" ]; then
        for d in "${NEW_DIRS[@]}"; do
            printf '%s\n' "${d}" >>"$(state_file dirs.list)"
        done
        NEW_DIRS=()
    fi
}

file_sha() {
    local sum
    sum=$(sha256sum <"$1")
    printf '%s' "${sum%% *}"
}

file_mode() {
    stat -c '%a' "$1"
}

# backup NODE_PATH: keep a copy of a file about to be replaced or removed.
backup() {
    local path=$1 dest
    dest="$(target "${KA_BACKUP_DIR}")/${BACKUP_STAMP}${path}"
    if [ "${DRY_RUN}" = 1 ]; then
        info "[dry-run] would back up ${path} to ${KA_BACKUP_DIR}/${BACKUP_STAMP}${path}"
        return 0
    fi
    ensure_dir "${KA_BACKUP_DIR}/${BACKUP_STAMP}$(dirname "${path}")" 0700
    cp -p "$(target "${path}")" "${dest}"
    record backups.list "${BACKUP_STAMP} ${path}"
    info "backed up ${path} to ${KA_BACKUP_DIR}/${BACKUP_STAMP}${path}"
}

# put_file SOURCE MODE SHA256 NODE_PATH: install a file unless it is there already, identical; sets PUT_CHANGED=1
# when it changed something, PUT_CHANGED=0 when it did not. Secrets are created 0600 before they are filled.
PUT_CHANGED=0
put_file() {
    local src=$1 mode=$2 sha=$3 path=$4 dest tmp
    PUT_CHANGED=1
    dest=$(target "${path}")
    if [ -f "${dest}" ] && [ ! -L "${dest}" ]; then
        if [ "$(file_sha "${dest}")" = "${sha}" ]; then
            if [ "$(file_mode "${dest}")" != "${mode#0}" ]; then
                act "set mode ${mode} on ${path}" chmod "${mode}" "${dest}"
                return 0
            fi
            # shellcheck disable=SC2034 # read by the callers
            PUT_CHANGED=0
            return 0
        fi
        backup "${path}"
    elif [ -e "${dest}" ] || [ -L "${dest}" ]; then
        fatal "${path}: exists and is not a regular file; remove it or move it away first"
    else
        [ "${DRY_RUN}" = 1 ] || ensure_dir "$(dirname "${path}")"
        record installed.list "${path}"
    fi
    if [ "${DRY_RUN}" = 1 ]; then
        CHANGES=$((CHANGES + 1))
        info "[dry-run] would install ${path} (mode ${mode})"
        return 0
    fi
    tmp="${dest}.kube-airgap.tmp"
    (umask 077 && cp "${src}" "${tmp}")
    chown 0:0 "${tmp}"
    chmod "${mode}" "${tmp}"
    mv -f "${tmp}" "${dest}"
    CHANGES=$((CHANGES + 1))
    info "installed ${path} (mode ${mode})"
    return 0
}

# put_content NODE_PATH MODE CONTENT: like put_file for generated content.
put_content() {
    local path=$1 mode=$2 content=$3 tmpsrc sha
    tmpsrc=$(mktemp)
    printf '%s' "${content}" >"${tmpsrc}"
    sha=$(file_sha "${tmpsrc}")
    put_file "${tmpsrc}" "${mode}" "${sha}" "${path}"
    rm -f "${tmpsrc}"
}
