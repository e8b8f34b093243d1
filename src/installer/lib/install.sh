# shellcheck shell=bash
# The install command: files, the current symlink, data directories, system preparation, units, images,
# add-ons. Every step compares what is there with the bundle first, so a second run changes nothing.

CHANGED_PATHS=()

require_root() {
    if [ "$(id -u)" != 0 ]; then
        fatal "run as root (sudo $0 ...)"
    fi
}

changed() {
    local want=$1 p
    for p in "${CHANGED_PATHS[@]+"${CHANGED_PATHS[@]}"}"; do
        # shellcheck disable=SC2254 # the pattern is a glob on purpose (etc/*)
        case "${p}" in
            ${want}) return 0 ;;
        esac
    done
    return 1
}

# --- files from the bundle ---
install_files() {
    local mode sha secret bpath npath count=0
    while IFS=$'\t' read -r mode sha secret bpath npath; do
        [ -n "${bpath}" ] || continue
        count=$((count + 1))
        put_file "${BUNDLE_DIR}/${bpath}" "${mode}" "${sha}" "${npath}"
        if [ "${PUT_CHANGED}" = 1 ]; then
            CHANGED_PATHS+=("${bpath}")
        fi
        : "${secret}"
    done <"${BUNDLE_DIR}/lib/files.tsv"
    info "files: ${count} in the bundle, ${#CHANGED_PATHS[@]} installed or updated"
}

# --- versioned binaries: <prefix>/<version>/bin, reached through <prefix>/current ---
switch_current() {
    local link current
    link=$(target "${KA_PREFIX}/current")
    if [ -L "${link}" ]; then
        current=$(readlink "${link}")
        [ "${current}" != "${KA_VERSION_DIR}" ] || return 0
        if [ ! -f "$(state_file previous-version)" ]; then
            record previous-version "${current}"
        fi
    elif [ -e "${link}" ]; then
        fatal "${KA_PREFIX}/current exists and is not a symlink; move it away first"
    fi
    act "switch ${KA_PREFIX}/current to ${KA_VERSION_DIR}" ln -sfn "${KA_VERSION_DIR}" "${link}"
    CHANGED_PATHS+=("bin/current")
}

# --- data directories: created when missing, never emptied or deleted by install ---
prepare_data_dirs() {
    case " ${KA_ROLES} " in
        *" etcd "*) ;;
        *) return 0 ;;
    esac
    local d
    for d in "${KA_ETCD_DATA_DIR}" "${KA_ETCD_WAL_DIR}"; do
        if [ -d "$(target "${d}")" ]; then
            info "keeping existing etcd directory ${d}"
        else
            CHANGES=$((CHANGES + 1))
            ensure_dir "${d}" 0700
            [ "${DRY_RUN}" = 1 ] || info "created etcd directory ${d} (0700)"
        fi
    done
}

record_installed() {
    put_content "${KA_STATE_DIR}/installed.env" 0644 "$(printf "KA_CLUSTER='%s'\nKA_NODE='%s'\nKA_KUBERNETES_VERSION='%s'\nKA_VERSION_DIR='%s'\n" \
        "${KA_CLUSTER}" "${KA_NODE}" "${KA_KUBERNETES_VERSION}" "${KA_VERSION_DIR}")"
}

# --- system preparation: swap off, sysctl, kernel modules ---
swap_off() {
    local fstab
    fstab=$(target /etc/fstab)
    if [ -f "${fstab}" ] && grep -Eq '^[^#]\S*\s+\S+\s+swap\s' "${fstab}"; then
        backup /etc/fstab
        act "comment out swap in /etc/fstab" sed -i -E 's/^([^#]\S*\s+\S+\s+swap\s)/# kube-airgap: \1/' "${fstab}"
    fi
    if [ -n "${ROOT}" ]; then
        return 0
    fi
    if [ "$(wc -l <"${KA_PROC:-/proc}/swaps")" -gt 1 ]; then
        act "turn swap off" swapoff -a
    fi
}

apply_sysctl() {
    if [ -n "${ROOT}" ]; then
        info "sysctl: skipped under --root (${KA_SYSCTL_FILE} is installed; applied at boot)"
        return 0
    fi
    local file sha marker
    file=$(target "${KA_SYSCTL_FILE}")
    [ -f "${file}" ] || return 0
    sha=$(file_sha "${file}")
    marker=$(state_file sysctl.applied)
    if [ -f "${marker}" ] && [ "$(cat "${marker}")" = "${sha}" ]; then
        return 0
    fi
    act "apply ${KA_SYSCTL_FILE}" sysctl -q -p "${file}"
    put_content "${KA_STATE_DIR}/sysctl.applied" 0644 "${sha}"
}

load_modules() {
    if [ -n "${ROOT}" ]; then
        [ -z "${KA_MODULES}" ] || info "kernel modules: skipped under --root (${KA_MODULES_LOAD_FILE} is installed)"
        return 0
    fi
    local m
    for m in ${KA_MODULES}; do
        if [ -d "${KA_SYS:-/sys}/module/${m}" ]; then
            continue
        fi
        if command -v modprobe >/dev/null 2>&1; then
            act "load kernel module ${m}" modprobe "${m}"
        else
            warn "kernel module ${m}: not loaded and no modprobe (built in? preflight checks it)"
        fi
    done
}

# --- the command ---
run_install() {
    require_root
    if [ -z "${ROOT}" ] && [ "${DRY_RUN}" = 0 ]; then
        if ! preflight_checks; then
            [ "${YES}" = 1 ] || fatal "preflight failed (see above); fix it, or pass --yes to install anyway" 3
            warn "preflight failed; going on because of --yes"
        fi
    fi
    info "installing ${KA_CLUSTER}/${KA_NODE} (${KA_ROLES}), Kubernetes ${KA_KUBERNETES_VERSION}, into ${ROOT:-/}"
    [ "${DRY_RUN}" = 1 ] || ensure_dir "${KA_STATE_DIR}" 0700
    install_files
    switch_current
    prepare_data_dirs
    record_installed
    swap_off
    load_modules
    apply_sysctl
    start_units
    import_images
    apply_addons
    if [ "${DRY_RUN}" = 1 ]; then
        info "dry run: ${CHANGES} action(s) would be taken; nothing was changed"
    elif [ "${CHANGES}" -eq 0 ]; then
        info "no changes: ${KA_NODE} is already installed from this bundle"
    else
        info "done: ${CHANGES} change(s); log: ${LOG_FILE}"
    fi
}
