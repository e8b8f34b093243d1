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
    printf '%s\n' "$2" >>"${ROOT}${KA_STATE_DIR}/$1"
}

# ensure_dir NODE_DIR [MODE]: create the directory and each missing parent, remembering which were new.
# Called for every file: the common case (it exists) and the walk up use no subshell or process, which on a
# slow host (an emulated VM, a small ARM board) is what a per-file install costs most.
ensure_dir() {
    local dir=$1 mode=${2:-0755} missing=() d
    [ ! -d "${ROOT}${dir}" ] || return 0
    d=${dir}
    while [ -n "${d}" ] && [ "${d}" != / ] && [ ! -d "${ROOT}${d}" ]; do
        missing=("${d}" "${missing[@]+"${missing[@]}"}")
        d=${d%/*}
    done
    [ "${#missing[@]}" -gt 0 ] || return 0
    for d in "${missing[@]}"; do
        if [ "${DRY_RUN}" = 1 ]; then
            info "[dry-run] would create directory ${d}"
            continue
        fi
        # recorded before it is made when the state directory exists: a run killed in between leaves a record
        # of a directory that is not there (uninstall skips it), never a directory nobody knows install made
        if [ -d "$(target "${KA_STATE_DIR}")" ]; then
            printf '%s\n' "${d}" >>"$(state_file dirs.list)"
        else
            NEW_DIRS+=("${d}")
        fi
        mkdir -m "${mode}" "$(target "${d}")"
        chown 0:0 "$(target "${d}")"
    done
    # The state directory may have just been created: write what is pending.
    if [ "${DRY_RUN}" = 0 ] && [ -d "$(target "${KA_STATE_DIR}")" ]; then
        for d in "${NEW_DIRS[@]+"${NEW_DIRS[@]}"}"; do
            printf '%s\n' "${d}" >>"$(state_file dirs.list)"
        done
        NEW_DIRS=()
    fi
}

# created_by_install DIR: install created DIR (it is in dirs.list).
created_by_install() {
    grep -qxF -- "$1" "$(state_file dirs.list)" 2>/dev/null
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

# retired NODE_PATH: whether install removed this bundle file from the node on purpose (super-admin.conf once
# it is no longer needed); such a file is not installed again.
retired() {
    local list="${ROOT}${KA_STATE_DIR}/retired.list"
    [ -f "${list}" ] || return 1
    grep -qxF -- "$1" "${list}"
}

# put_file SOURCE MODE SHA256 NODE_PATH: install a file unless it is there already, identical. Sets PUT_CHANGED=1
# when it changed something, 0 when not; any failure ends the run. The copy is written under a temporary name,
# created 0600 before it is filled, hashed again, and only then renamed into place.
PUT_CHANGED=0
# shellcheck disable=SC2034 # PUT_CHANGED is read by the callers
put_file() {
    local src=$1 mode=$2 sha=$3 path=$4 dest tmp actual
    PUT_CHANGED=0
    if retired "${path}"; then
        info "not installing ${path}: removed from this node on purpose (see ${KA_STATE_DIR}/retired.list)"
        return 0
    fi
    dest="${ROOT}${path}"
    if [ -f "${dest}" ] && [ ! -L "${dest}" ]; then
        if [ "$(file_sha "${dest}")" = "${sha}" ]; then
            if [ "$(file_mode "${dest}")" != "${mode#0}" ]; then
                act "set mode ${mode} on ${path}" chmod "${mode}" "${dest}"
                PUT_CHANGED=1
            fi
            return 0
        fi
        if [ "${path}" = "${KA_IMAGES_ARCHIVE:-}" ] && grep -qxF -- "${path}" "${ROOT}${KA_STATE_DIR}/installed.list" 2>/dev/null; then
            # hundreds of MB on a real cluster, each update: its images stay in containerd (pinned), rollback does
            # not need it (lib/upgrade.sh leaves it out too), and a node kept for years would fill its disk
            info "not backing up ${path}: an image archive install itself placed; its images stay in containerd"
        else
            backup "${path}"
        fi
    elif [ -e "${dest}" ] || [ -L "${dest}" ]; then
        fatal "${path}: exists and is not a regular file; remove it or move it away first"
    else
        [ "${DRY_RUN}" = 1 ] || ensure_dir "${path%/*}"
        # recorded before the file exists: a run killed in between leaves a record uninstall skips, never a
        # file it does not know
        grep -qxF -- "${path}" "${ROOT}${KA_STATE_DIR}/installed.list" 2>/dev/null || record installed.list "${path}"
    fi
    PUT_CHANGED=1
    CHANGES=$((CHANGES + 1))
    if [ "${DRY_RUN}" = 1 ]; then
        info "[dry-run] would install ${path} (mode ${mode})"
        return 0
    fi
    tmp="${dest}.kube-airgap.tmp"
    [ ! -e "${tmp}" ] || rm -f -- "${tmp}"
    (umask 077 && cp -- "${src}" "${tmp}")
    actual=$(file_sha "${tmp}")
    if [ "${actual}" != "${sha}" ]; then
        rm -f -- "${tmp}"
        fatal "${path}: the copy written has sha256 ${actual}, expected ${sha}; not installed"
    fi
    chown 0:0 "${tmp}"
    chmod "${mode}" "${tmp}"
    mv -f -- "${tmp}" "${dest}"
    info "installed ${path} (mode ${mode})"
}

# put_content NODE_PATH MODE CONTENT: like put_file for generated content (a trailing newline is kept as given).
put_content() {
    local path=$1 mode=$2 content=$3 src sha
    src="${RUN_TMP}/content"
    (umask 077 && printf '%s' "${content}" >"${src}")
    sha=$(file_sha "${src}")
    put_file "${src}" "${mode}" "${sha}" "${path}"
    rm -f -- "${src}"
}

# write_state NAME CONTENT: replace a state file atomically (temp name in the same directory, then rename), so
# that a killed run leaves the old or the new content, never a part. Not recorded: the state directory goes as a
# whole on uninstall.
write_state() {
    [ "${DRY_RUN}" = 0 ] || return 0
    local file
    ensure_dir "${KA_STATE_DIR}" 0700
    file=$(state_file "$1")
    (umask 077 && printf '%s' "$2" >"${file}.tmp")
    mv -f -- "${file}.tmp" "${file}"
}
