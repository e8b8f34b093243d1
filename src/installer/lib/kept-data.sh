# shellcheck shell=bash
# Data directories across uninstall and install. uninstall without --purge keeps the data directories (etcd!) that
# install created, and then removes its own records (KA_STATE_DIR). So that they still count as kube-airgap's, it
# leaves one list, KA_KEPT_DATA_LIST: "<directory> <cluster>/<node>" a line. A later install of the same node takes
# them over (they go back into dirs.list, and the list is removed), so that its uninstall --purge deletes them as
# the first one's would have; `install.sh uninstall --purge` on a node where only the list is left deletes them.
# A directory that was on the node before kube-airgap is never listed, and --purge never deletes it.

kept_owner() {
    printf '%s/%s' "${KA_CLUSTER}" "${KA_NODE}"
}

# kept_data_lines: "<directory> <owner>" lines of KA_KEPT_DATA_LIST (none when there is no list).
kept_data_lines() {
    local list
    list=$(target "${KA_KEPT_DATA_LIST}")
    [ -f "${list}" ] || return 0
    cat -- "${list}"
}

# this_node_kept_dirs: the directories KA_KEPT_DATA_LIST names for this cluster's node, in its order.
this_node_kept_dirs() {
    local d owner
    while read -r d owner; do
        [ "${owner}" != "$(kept_owner)" ] || printf '%s\n' "${d}"
    done < <(kept_data_lines)
}

# kept_for_this_node DIR: DIR is in KA_KEPT_DATA_LIST, kept by an uninstall of this cluster's node.
kept_for_this_node() {
    this_node_kept_dirs | grep -qxF -- "$1"
}

# write_kept_data LINE...: KA_KEPT_DATA_LIST holds exactly these lines (0600, written under a temp name and
# renamed); no line: the list is removed.
write_kept_data() {
    local list tmp
    list=$(target "${KA_KEPT_DATA_LIST}")
    if [ "$#" -eq 0 ]; then
        if [ -e "${list}" ]; then
            act "remove ${KA_KEPT_DATA_LIST} (no kept data directory left in it)" rm -f -- "${list}"
        fi
        return 0
    fi
    [ "${DRY_RUN}" = 0 ] || { info "[dry-run] would write ${KA_KEPT_DATA_LIST}: $*"; return 0; }
    mkdir -p -- "$(dirname -- "${list}")"
    tmp=$(mktemp "${list}.tmp.XXXXXX")
    printf '%s\n' "$@" >"${tmp}"
    chmod 0600 "${tmp}"
    mv -f -- "${tmp}" "${list}"
}

# record_kept_data DIR...: after uninstall removed its records, list the data directories it kept (those install
# created), beside what other nodes' uninstalls listed.
record_kept_data() {
    [ "$#" -gt 0 ] || return 0
    local lines=() d owner
    while read -r d owner; do
        [ "${owner}" = "$(kept_owner)" ] || lines+=("${d} ${owner}")
    done < <(kept_data_lines)
    for d in "$@"; do
        lines+=("${d} $(kept_owner)")
    done
    write_kept_data "${lines[@]}"
    info "kept data directories, recorded in ${KA_KEPT_DATA_LIST}: $* (a new install of ${KA_NODE} takes them over; install.sh uninstall --purge deletes them)"
}

# adopt_kept_data: at install, the directories an uninstall of this node kept become this install's again.
adopt_kept_data() {
    local rest=() d owner adopted=()
    [ -n "$(kept_data_lines)" ] || return 0
    while read -r d owner; do
        if [ "${owner}" != "$(kept_owner)" ]; then
            rest+=("${d} ${owner}")
            warn "${KA_KEPT_DATA_LIST} lists ${d}, kept by an uninstall of ${owner}, not of $(kept_owner): left as it is"
        elif [ -d "$(target "${d}")" ]; then
            adopted+=("${d}")
            if [ "${DRY_RUN}" = 0 ] && ! created_by_install "${d}"; then
                record dirs.list "${d}"
            fi
        fi
    done < <(kept_data_lines)
    if [ "${#adopted[@]}" -gt 0 ]; then
        info "data directories kept by the last uninstall of $(kept_owner), this install's again: ${adopted[*]}"
    fi
    write_kept_data "${rest[@]+"${rest[@]}"}"
}

# dirs_to_keep: what uninstall without --purge leaves of dirs.list, in its order (parents first): each data directory
# install created (or took over) that is there, and the directories install created above it.
dirs_to_keep() {
    local data=() d x
    for x in ${KA_DATA_DIRS}; do
        if [ -e "$(target "${x}")" ] && { created_by_install "${x}" || kept_for_this_node "${x}"; }; then
            data+=("${x}")
        fi
    done
    [ "${#data[@]}" -gt 0 ] || return 0
    while IFS= read -r d; do
        for x in "${data[@]}"; do
            case "${x}/" in "${d}/"*) printf '%s\n' "${d}"; break ;; esac
        done
    done < <({ [ ! -f "$(state_file dirs.list)" ] || cat -- "$(state_file dirs.list)"; this_node_kept_dirs; } | awk '!seen[$0]++')
}

# purge_kept_data: uninstall --purge where nothing is installed but the list: delete this node's kept data
# directories (once nothing is mounted below them), then the listed directories above them that are empty, deepest
# first; other nodes' lines stay.
purge_kept_data() {
    local rest=() d owner failed=0 line lines=() i
    mapfile -t lines < <(kept_data_lines)
    for ((i = ${#lines[@]} - 1; i >= 0; i--)); do
        line=${lines[i]}
        read -r d owner <<<"${line}"
        if [ "${owner}" != "$(kept_owner)" ]; then
            rest=("${line}" "${rest[@]+"${rest[@]}"}")
            continue
        fi
        [ -e "$(target "${d}")" ] || continue
        case " ${KA_DATA_DIRS} " in
            *" ${d} "*)
                if [ -n "$(mounts_under "${d}")" ]; then
                    warn "not deleting ${d}: still mounted below it: $(mounts_under "${d}" | tr '\n' ' ')"
                    rest=("${line}" "${rest[@]+"${rest[@]}"}")
                    failed=1
                else
                    act "delete data directory ${d} (--purge; kept by the last uninstall of ${owner})" rm -rf --one-file-system -- "$(target "${d}")"
                fi
                ;;
            *)
                if [ -n "$(ls -A "$(target "${d}")")" ]; then
                    info "keeping ${d} (not empty)"
                else
                    act "remove directory ${d}" rmdir -- "$(target "${d}")"
                fi
                ;;
        esac
    done
    write_kept_data "${rest[@]+"${rest[@]}"}"
    return "${failed}"
}
