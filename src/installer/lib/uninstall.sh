# shellcheck shell=bash
# uninstall: resets the node (lib/reset.sh: kubelet, pods, mounts, containerd and its shims, CNI and network
# rules), stops the units, removes the files install created, restores the files it replaced (the oldest backup
# of each, i.e. what was there before kube-airgap), removes the directories it created when they are empty. Data
# directories (etcd, containerd, kubelet), even empty ones, stay unless --purge, and --purge deletes only those
# that install created (dirs.list, or kept by an earlier uninstall of this node: lib/kept-data.sh), once nothing
# is mounted below them.

confirm() {
    [ "${YES}" = 0 ] || return 0
    [ "${DRY_RUN}" = 0 ] || return 0
    if [ ! -t 0 ]; then
        fatal "$1: pass --yes to confirm (no terminal to ask on)" 2
    fi
    local answer
    read -r -p "$1 [y/N] " answer
    case "${answer}" in y | Y | yes) ;; *) fatal "cancelled" 1 ;; esac
}

# reverse_lines FILE: the lines of FILE, last first (tac is in coreutils).
reverse_lines() {
    [ -f "$1" ] && tac "$1"
    return 0
}

stop_units() {
    can_start "stopping units" || return 0
    local unit units=()
    for unit in ${KA_UNITS}; do units=("${unit}" "${units[@]+"${units[@]}"}"); done
    for unit in ${KA_TIMERS:-}; do units=("${unit}.timer" "${units[@]+"${units[@]}"}"); done
    for unit in "${units[@]}"; do
        if systemctl is-active -q "${unit}" || systemctl is-enabled -q "${unit}" 2>/dev/null; then
            act "stop and disable ${unit}" systemctl disable --now -q "${unit}"
        fi
    done
}

remove_installed() {
    local path
    while IFS= read -r path; do
        [ -n "${path}" ] || continue
        if [ -e "$(target "${path}")" ]; then
            act "remove ${path}" rm -f "$(target "${path}")"
        fi
    done < <(reverse_lines "$(state_file installed.list)")
}

restore_backups() {
    local stamp path seen=" "
    while read -r stamp path; do
        [ -n "${path}" ] || continue
        case "${seen}" in *" ${path} "*) continue ;; esac
        seen="${seen}${path} "
        if grep -qxF "${path}" "$(state_file installed.list)" 2>/dev/null; then
            continue
        fi
        act "restore ${path} from ${KA_BACKUP_DIR}/${stamp}" cp -p "$(target "${KA_BACKUP_DIR}")/${stamp}${path}" "$(target "${path}")"
    done < <([ -f "$(state_file backups.list)" ] && cat "$(state_file backups.list)")
}

restore_current() {
    local link previous
    link=$(target "${KA_PREFIX}/current")
    if [ -f "$(state_file previous-version)" ]; then
        previous=$(head -n1 "$(state_file previous-version)")
        act "point ${KA_PREFIX}/current back to ${previous}" ln -sfn "${previous}" "${link}"
    elif [ -L "${link}" ]; then
        act "remove ${KA_PREFIX}/current" rm -f "${link}"
    fi
}

purge_data() {
    local d
    for d in ${KA_DATA_DIRS}; do
        [ -e "$(target "${d}")" ] || continue
        if [ "${PURGE}" = 0 ]; then
            info "keeping data directory ${d} (use --purge to delete it)"
        elif ! created_by_install "${d}" && ! kept_for_this_node "${d}"; then
            info "keeping data directory ${d}: install did not create it (it is not in ${KA_STATE_DIR}/dirs.list)"
        elif [ -n "$(mounts_under "${d}")" ]; then
            warn "not deleting ${d}: still mounted below it: $(mounts_under "${d}" | tr '\n' ' ')"
            return 1
        else
            act "delete data directory ${d} (--purge)" rm -rf --one-file-system -- "$(target "${d}")"
        fi
    done
}

remove_dirs() {
    local dirs=() d
    mapfile -t dirs < <(reverse_lines "$(state_file dirs.list)")
    act "remove ${KA_STATE_DIR} (install records and backups)" rm -rf "$(target "${KA_STATE_DIR}")"
    for d in "${dirs[@]+"${dirs[@]}"}"; do
        [ -d "$(target "${d}")" ] || continue
        case " ${KA_DATA_DIRS} " in
            *" ${d} "*) [ "${PURGE}" = 1 ] || continue ;;
        esac
        if [ -n "$(ls -A "$(target "${d}")")" ]; then
            info "keeping ${d} (not empty)"
        elif [ "${DRY_RUN}" = 1 ]; then
            info "[dry-run] would remove directory ${d}"
        else
            rmdir "$(target "${d}")"
            info "removed directory ${d}"
        fi
    done
}

run_uninstall() {
    require_root
    local kept=()
    if [ ! -d "$(target "${KA_STATE_DIR}")" ]; then
        if [ "${PURGE}" = 1 ] && kept_data_lines | grep -q " $(kept_owner)\$"; then
            confirm "DELETE the data directories the last uninstall of $(kept_owner) kept (etcd!), listed in ${KA_KEPT_DATA_LIST}?"
            purge_kept_data || fatal "uninstall --purge of ${KA_CLUSTER}/${KA_NODE} incomplete: see the messages above, fix, and run it again" 7
            info "purged the kept data directories of $(kept_owner) from ${ROOT:-/}"
            return 0
        fi
        info "nothing to uninstall: ${KA_STATE_DIR} does not exist under ${ROOT:-/}"
        return 0
    fi
    confirm "Uninstall ${KA_CLUSTER}/${KA_NODE} from ${ROOT:-/}$([ "${PURGE}" = 0 ] || echo ' and DELETE its data (etcd!)')?"
    # the data directories install created that stay (no --purge), with the directories it created above them:
    # listed once the records are gone
    if [ "${PURGE}" = 0 ]; then
        mapfile -t kept < <(dirs_to_keep)
    fi
    reset_node
    reset_step "stop and disable the units" stop_units
    reset_step "delete data directories (--purge)" purge_data
    reset_step "remove installed files" remove_installed
    reset_step "restore backed-up files" restore_backups
    reset_step "restore ${KA_PREFIX}/current" restore_current
    if [ "${#RESET_FAILED[@]}" -eq 0 ]; then
        reset_step "remove directories" remove_dirs
        reset_step "record the kept data directories" record_kept_data "${kept[@]+"${kept[@]}"}"
    else
        warn "keeping ${KA_STATE_DIR}: a step failed, and uninstall needs its records to run again"
    fi
    if [ -z "${ROOT}" ] && have_systemd; then
        reset_step "reload systemd" act "reload systemd" systemctl daemon-reload
    fi
    if [ "${#RESET_FAILED[@]}" -gt 0 ]; then
        fatal "uninstall of ${KA_CLUSTER}/${KA_NODE} incomplete: ${#RESET_FAILED[@]} step(s) failed: $(printf '%s; ' "${RESET_FAILED[@]}")see the messages above, fix, and run uninstall again" 7
    fi
    if [ "${DRY_RUN}" = 1 ]; then
        info "dry run: nothing was changed"
    else
        info "uninstalled ${KA_CLUSTER}/${KA_NODE} from ${ROOT:-/}"
    fi
}
