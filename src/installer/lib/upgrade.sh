# shellcheck shell=bash
# Upgrade and rollback (docs/day2.md "Upgrade and roll back"). A bundle whose version directory (KA_VERSION_DIR:
# Kubernetes version + hash of the binaries) differs from the installed one is an upgrade. Before anything changes,
# the installer enforces upstream's version-skew policy (kubernetes.io/releases/version-skew-policy):
#   - one minor at a time, never a downgrade (rollback goes back);
#   - HA kube-apiservers within one minor of each other;
#   - kube-controller-manager, kube-scheduler, kubelet and kube-proxy never newer than an apiserver they reach (all
#     of them, through kube-nginx): on a control-plane node they are held at the running version until every
#     other apiserver runs the new minor (exit 10: run install again then); a worker is refused (exit 9).
# Then it takes an etcd snapshot (an etcd member; the apiservers' storage migration writes to etcd) and copies
# every file it will replace, the node's installer copy and installed.env into KA_STATE_DIR/backups/<old version
# dir>/. `rollback` restores them, switches <prefix>/current back and restarts the units whose inputs differ; it
# refuses an etcd minor downgrade (etcd will not run an older minor on data a newer one wrote) and names the
# snapshot to restore instead.

# Exit codes (documented in install.sh).
readonly EXIT_SKEW=9
readonly EXIT_HELD=10
# Components that must not be newer than any kube-apiserver they talk to (they reach all through kube-nginx).
readonly UPGRADE_HOLDABLE="kube-controller-manager kube-scheduler kubelet kube-proxy"

UPGRADE_FROM=  # the installed version directory this run upgrades from ("" when it is no upgrade)
UPGRADE_HELD=  # units services.sh does not (re)start in this run: held at the running version

# --- versions ---
# version_parts VERSION: "MAJOR MINOR PATCH" of x.y.z (a leading v is allowed); fatal on anything else.
version_parts() {
    local v=${1#v} major minor patch
    IFS=. read -r major minor patch <<<"${v%%[-+]*}"
    case "${major}:${minor}:${patch:-0}" in
        *[!0-9:]* | :* | *::*) fatal "not a version x.y.z: '$1'" ;;
    esac
    printf '%s %s %s' "${major}" "${minor}" "${patch:-0}"
}

minor_of() {
    local parts
    parts=$(version_parts "$1")
    read -r _ parts _ <<<"${parts}"
    printf '%s' "${parts}"
}

# compare_versions A B: prints -1, 0 or 1 (A older, equal, newer than B).
compare_versions() {
    local a b i
    read -r -a a <<<"$(version_parts "$1")"
    read -r -a b <<<"$(version_parts "$2")"
    for i in 0 1 2; do
        if [ "${a[i]}" -lt "${b[i]}" ]; then printf -- -1; return 0; fi
        if [ "${a[i]}" -gt "${b[i]}" ]; then printf 1; return 0; fi
    done
    printf 0
}

# env_value FILE KEY: KEY='value' from a state file written by put_content/write_state ("" when absent).
env_value() {
    [ -f "$1" ] || return 0
    sed -n "s/^$2='\(.*\)'\$/\1/p" "$1" | tail -n1
}

installed_value() {
    env_value "$(state_file installed.env)" "$1"
}

version_record() {
    state_file "versions/$1.env"
}

# manifest_version COMPONENT: the version of COMPONENT in the bundle's manifest.json ("" when it has none).
manifest_version() {
    [ -f "${BUNDLE_DIR}/manifest.json" ] || return 0
    awk -v want="\"$1\"" '
        /"versions"[[:space:]]*:[[:space:]]*\{/ { inside = 1; next }
        inside && /\}/ { inside = 0 }
        inside { split($0, kv, ":"); key = kv[1]; gsub(/[[:space:]]/, "", key)
                 if (key == want) { v = kv[2]; gsub(/[[:space:]",]/, "", v); print v; exit } }' "${BUNDLE_DIR}/manifest.json"
}

has_role() {
    case " ${KA_ROLES} " in
        *" $1 "*) return 0 ;;
        *) return 1 ;;
    esac
}

# --- the live apiservers ---
# apiserver_version ADDRESS: the gitVersion (without v) kube-apiserver at https://ADDRESS reports on /version, asked
# with this node's kubelet (else admin) kubeconfig and its installed kubectl; prints "unreachable: <why>" otherwise.
apiserver_version() {
    local addr=$1 kubectl kubeconfig out version
    kubectl=$(target "${KA_BIN_DIR}")/kubectl
    kubeconfig=$(target "${KA_KUBELET_KUBECONFIG}")
    [ -f "${kubeconfig}" ] || kubeconfig=$(target "${KA_ADMIN_KUBECONFIG}")
    if [ ! -x "${kubectl}" ]; then
        printf 'unreachable: no kubectl at %s' "${KA_BIN_DIR}/kubectl"
        return 0
    fi
    out=$("${kubectl}" --kubeconfig "${kubeconfig}" --server "https://${addr}" --request-timeout=5s get --raw /version </dev/null 2>&1) || {
        printf 'unreachable: %s' "$(printf '%s' "${out}" | tr '\n' ' ' | cut -c1-200)"
        return 0
    }
    version=$(printf '%s' "${out}" | tr -d '\n' | sed -n 's/.*"gitVersion"[[:space:]]*:[[:space:]]*"v\{0,1\}\([0-9][0-9.]*\)[^"]*".*/\1/p')
    if [ -z "${version}" ]; then
        printf 'unreachable: /version gave no gitVersion: %s' "$(printf '%s' "${out}" | tr '\n' ' ' | cut -c1-200)"
        return 0
    fi
    printf '%s' "${version}"
}

# other_apiservers: "name address version-or-unreachable" of every kube-apiserver but this node's own, one a line.
other_apiservers() {
    local entry name addr
    for entry in ${KA_APISERVERS}; do
        name=${entry%%=*}
        addr=${entry#*=}
        [ "${name}" != "${KA_NODE}" ] || continue
        printf '%s %s %s\n' "${name}" "${addr}" "$(apiserver_version "${addr}")"
    done
}

# --- the checks ---
# check_version_step FROM TO: one minor at a time, same major, no downgrade.
check_version_step() {
    local from=$1 to=$2 fm tm
    fm=$(version_parts "${from}")
    tm=$(version_parts "${to}")
    if [ "${fm%% *}" != "${tm%% *}" ]; then
        fatal "Kubernetes ${from} -> ${to}: a major version change is not an upgrade this installer makes" "${EXIT_SKEW}"
    fi
    if [ "$(compare_versions "${to}" "${from}")" = -1 ]; then
        fatal "Kubernetes ${from} is installed and this bundle is ${to}: installing an older version is a downgrade, which upstream does not support; \`install.sh rollback\` goes back to the version this node ran before the upgrade (its configs and binaries are kept)" "${EXIT_SKEW}"
    fi
    if [ $(($(minor_of "${to}") - $(minor_of "${from}"))) -gt 1 ]; then
        fatal "Kubernetes ${from} -> ${to} skips minor ${fm%% *}.$(($(minor_of "${from}") + 1)): the version-skew policy allows one minor at a time; install ${fm%% *}.$(($(minor_of "${from}") + 1)) bundles on every node first (etcd members, then control-plane nodes one at a time, then workers), then ${to}" "${EXIT_SKEW}"
    fi
}

# check_live_skew: the new version against the apiservers that run now. Sets UPGRADE_HELD.
check_live_skew() {
    local to=${KA_KUBERNETES_VERSION} to_minor name addr version older=() unknown=() too_old=() unit
    if ! has_role control-plane && ! has_role worker; then
        info "version skew: ${KA_NODE} runs no kubelet and no apiserver (roles: ${KA_ROLES}); the apiserver version check is skipped"
        return 0
    fi
    to_minor=$(minor_of "${to}")
    while read -r name addr version; do
        [ -n "${name}" ] || continue
        case "${version}" in
            unreachable:*)
                unknown+=("${name} (${addr}): ${version#unreachable: }")
                continue
                ;;
        esac
        info "version skew: kube-apiserver on ${name} (${addr}) runs ${version}"
        if [ "$(minor_of "${version}")" -lt "${to_minor}" ]; then
            older+=("kube-apiserver ${version} on ${name} (${addr})")
            [ "$(minor_of "${version}")" -ge $((to_minor - 1)) ] || too_old+=("kube-apiserver ${version} on ${name} (${addr})")
        fi
    done < <(other_apiservers)

    if has_role control-plane; then
        if [ "${#too_old[@]}" -gt 0 ]; then
            fatal "kube-apiserver ${to} here and ${too_old[*]} would be more than one minor apart (the version-skew policy keeps HA apiservers within one minor): upgrade that node one minor first" "${EXIT_SKEW}"
        fi
        [ "${#unknown[@]}" -eq 0 ] || warn "version skew: could not ask ${unknown[*]}"
        if [ "${#older[@]}" -gt 0 ] || [ "${#unknown[@]}" -gt 0 ]; then
            for unit in ${UPGRADE_HOLDABLE}; do
                if has_unit "${unit}"; then UPGRADE_HELD="${UPGRADE_HELD:+${UPGRADE_HELD} }${unit}"; fi
            done
            warn "version skew: ${UPGRADE_HELD} ${to} would be newer than ${older[*]:-an apiserver that did not answer}; they keep running their current version until every kube-apiserver runs ${to%.*} (then run install.sh again here)"
            write_state upgrade-held "${UPGRADE_HELD}"
        elif [ -f "$(state_file upgrade-held)" ]; then
            info "version skew: every kube-apiserver runs ${to%.*} or newer: releasing $(read_state upgrade-held)"
            [ "${DRY_RUN}" = 1 ] || rm -f -- "$(state_file upgrade-held)"
        fi
        return 0
    fi
    if [ "${#older[@]}" -gt 0 ]; then
        fatal "kubelet ${to} would be newer than ${older[*]}: the version-skew policy forbids a kubelet newer than an apiserver it talks to; upgrade the control-plane nodes to ${to%.*} first (order: etcd members, control-plane nodes one at a time, workers), then this node" "${EXIT_SKEW}"
    fi
    if [ "${#unknown[@]}" -gt 0 ]; then
        fatal "kubelet ${to}: could not ask ${unknown[*]} for its version, so a kubelet newer than that apiserver cannot be ruled out; bring it up (or fix this node's access to it), then run install.sh again" "${EXIT_SKEW}"
    fi
}

# --- before the upgrade changes anything: etcd snapshot and the configs it will replace ---
backup_root() {
    printf '%s/backups/%s' "${KA_STATE_DIR}" "$1"
}

# upgrade_paths: every node path of the new and the installed files.tsv, outside the versioned prefix (binaries
# there stay where they are) and but the image archive (containerd keeps the old images, pinned).
upgrade_paths() {
    local tables=("${BUNDLE_DIR}/lib/files.tsv") old
    old=$(target "${KA_PREFIX}/installer/lib/files.tsv")
    [ ! -f "${old}" ] || tables+=("${old}")
    cat "${tables[@]}" |
        awk -F'\t' -v prefix="${KA_PREFIX}/" -v images="${KA_IMAGES_ARCHIVE}" \
            '$5 != "" && index($5, prefix) != 1 && $5 != images { print $5 }' | LC_ALL=C sort -u
}

# upgrade_etcd_snapshot DIR: an etcd snapshot of this member into DIR/etcd-snapshot.db, checked before it counts.
# etcdctl gets a dial timeout (a member that does not answer fails in seconds, not at the command timeout) and a
# command timeout long enough for etcd's largest database (8 GiB) on a slow disk.
upgrade_etcd_snapshot() {
    local dir=$1 endpoint
    has_unit etcd || return 0
    if [ -n "${ROOT}" ]; then
        info "etcd snapshot before the upgrade: skipped under --root (no live etcd)"
        return 0
    fi
    endpoint=$(members_etcd_endpoints "${KA_NODE}")
    [ -n "${endpoint}" ] || fatal "etcd: ${KA_NODE} is not in this bundle's etcd client list (KA_ETCD_CLIENTS='${KA_ETCD_CLIENTS}') in lib/layout.env"
    check_health "$(health_of etcd)" || fatal "etcd on ${KA_NODE} is not healthy: an upgrade of an etcd member takes a snapshot first; start etcd (systemctl start etcd), check it (etcdctl endpoint health), then run install.sh again"
    members_etcdctl_argv "${endpoint}" 1800s
    act "take an etcd snapshot of ${KA_NODE} (${endpoint}) before the upgrade (${dir}/etcd-snapshot.db)" \
        env ETCDCTL_API=3 "${MEMBERS_ETCDCTL[@]}" --dial-timeout=10s snapshot save "$(target "${dir}")/etcd-snapshot.db.part" ||
        fatal "etcd snapshot of ${KA_NODE} at ${endpoint} failed (etcdctl's error above): the upgrade changed nothing; check etcd (etcdctl endpoint health), then run install.sh again"
    etcd_snapshot status "$(target "${dir}")/etcd-snapshot.db.part" --write-out=table
    chmod 0600 "$(target "${dir}")/etcd-snapshot.db.part"
    mv -f -- "$(target "${dir}")/etcd-snapshot.db.part" "$(target "${dir}")/etcd-snapshot.db"
}

# upgrade_backup FROM: KA_STATE_DIR/backups/FROM/ with files/<node path> (modes kept), configs.list (what was
# there), absent.list (what the new version adds), installer/ (the node's installer copy: layout.env and
# files.tsv of FROM), installed.env and etcd-snapshot.db. Built under .partial and renamed when complete, so an
# interrupted run makes it again; a complete one is kept (a second run must not back up the new files).
upgrade_backup() {
    local from=$1 final partial path
    final=$(backup_root "${from}")
    partial="${final}.partial"
    if [ -f "$(target "${final}")/complete" ]; then
        info "backup of ${from} exists: ${final} (kept from an earlier run)"
        return 0
    fi
    if [ "${DRY_RUN}" = 1 ]; then
        info "[dry-run] would back up the files this upgrade replaces to ${final}$(has_unit etcd && printf ', with an etcd snapshot')"
        return 0
    fi
    ensure_dir "${KA_STATE_DIR}/backups" 0700
    rm -rf -- "$(target "${partial}")"
    mkdir -m 0700 "$(target "${partial}")" "$(target "${partial}")/files"
    : >"$(target "${partial}")/configs.list"
    : >"$(target "${partial}")/absent.list"
    while IFS= read -r path; do
        if [ -f "$(target "${path}")" ]; then
            (umask 077 && mkdir -p "$(target "${partial}")/files$(dirname "${path}")")
            cp -p -- "$(target "${path}")" "$(target "${partial}")/files${path}"
            printf '%s\n' "${path}" >>"$(target "${partial}")/configs.list"
        else
            printf '%s\n' "${path}" >>"$(target "${partial}")/absent.list"
        fi
    done < <(upgrade_paths)
    if [ -d "$(target "${KA_PREFIX}/installer")" ]; then
        cp -a -- "$(target "${KA_PREFIX}/installer")" "$(target "${partial}")/installer"
    fi
    cp -p -- "$(state_file installed.env)" "$(target "${partial}")/installed.env"
    upgrade_etcd_snapshot "${partial}"
    date -u +%Y-%m-%dT%H:%M:%SZ >"$(target "${partial}")/complete"
    mv -- "$(target "${partial}")" "$(target "${final}")"
    info "backed up $(wc -l <"$(target "${final}")/configs.list") file(s) this upgrade replaces, and the installer of ${from}, to ${final}"
}

# upgrade_check: before install changes anything. An upgrade (or a run with units still held) is checked against
# the skew policy; an upgrade is then backed up.
upgrade_check() {
    local from_dir from_version
    from_dir=$(installed_value KA_VERSION_DIR)
    [ -n "${from_dir}" ] || return 0
    from_version=$(installed_value KA_KUBERNETES_VERSION)
    if [ "${from_dir}" != "${KA_VERSION_DIR}" ]; then
        UPGRADE_FROM=${from_dir}
        info "upgrade of ${KA_NODE}: Kubernetes ${from_version} (${from_dir}) -> ${KA_KUBERNETES_VERSION} (${KA_VERSION_DIR})"
        check_version_step "${from_version}" "${KA_KUBERNETES_VERSION}"
    elif [ ! -f "$(state_file upgrade-held)" ]; then
        return 0
    fi
    check_live_skew
    if [ -n "${UPGRADE_FROM}" ]; then
        upgrade_backup "${UPGRADE_FROM}"
    fi
}

# upgrade_record: after a successful install, what this version is (versions/<dir>.env: Kubernetes and etcd
# version, the version it upgraded from); then exit 10 when units were held.
upgrade_record() {
    local file previous=
    [ "${DRY_RUN}" = 0 ] || return 0
    file=$(version_record "${KA_VERSION_DIR}")
    previous=$(env_value "${file}" KA_UPGRADED_FROM)
    [ -z "${UPGRADE_FROM}" ] || previous=${UPGRADE_FROM}
    ensure_dir "${KA_STATE_DIR}/versions" 0700
    write_state "versions/${KA_VERSION_DIR}.env" "$(printf "KA_KUBERNETES_VERSION='%s'\nKA_ETCD_VERSION='%s'\nKA_UPGRADED_FROM='%s'\n" \
        "${KA_KUBERNETES_VERSION}" "$(manifest_version etcd)" "${previous}")"
    if [ -n "${UPGRADE_HELD}" ]; then
        warn "upgrade of ${KA_NODE} to ${KA_KUBERNETES_VERSION} is not finished: ${UPGRADE_HELD} keep their running version until every kube-apiserver runs ${KA_KUBERNETES_VERSION%.*}; upgrade the other control-plane nodes, then run install.sh again here"
        exit "${EXIT_HELD}"
    fi
}

# --- rollback ---
# rollback_etcd_allowed FROM_DIR TO_DIR BACKUP: refuses an etcd minor downgrade (etcd 3.6 will not start an older
# minor on data it wrote; upstream's way back is its cluster-wide downgrade or a restore).
rollback_etcd_allowed() {
    local from to snapshot
    has_role etcd || return 0
    from=$(env_value "$(version_record "$1")" KA_ETCD_VERSION)
    to=$(env_value "$(version_record "$2")" KA_ETCD_VERSION)
    if [ -z "${from}" ] || [ -z "${to}" ]; then
        warn "etcd version of ${1} or ${2} not recorded; not checking for an etcd downgrade"
        return 0
    fi
    [ "$(minor_of "${to}")" -lt "$(minor_of "${from}")" ] || [ "${to%%.*}" -lt "${from%%.*}" ] || return 0
    snapshot="$3/etcd-snapshot.db"
    [ -f "$(target "${snapshot}")" ] || snapshot="the snapshot taken before the upgrade (etcd-backup's directory)"
    fatal "rollback of ${KA_NODE} would take etcd from ${from} back to ${to}: etcd does not run an older minor on data a newer one wrote (etcd.io/docs/v3.6/downgrades/downgrade_3_6: a cluster-wide downgrade, not a binary swap). Restore instead, on every etcd member: install.sh etcd-restore ${snapshot} --yes (docs/day2.md)" "${EXIT_SKEW}"
}

# rollback_restore_files BACKUP: every backed-up file back in place (put_file: temp name, checked, renamed); the
# files the newer version added are removed.
rollback_restore_files() {
    local backup=$1 path src
    while IFS= read -r path; do
        [ -n "${path}" ] || continue
        src="$(target "${backup}")/files${path}"
        put_file "${src}" "0$(file_mode "${src}")" "$(file_sha "${src}")" "${path}"
        if [ "${PUT_CHANGED}" = 1 ]; then CHANGED_PATHS+=("${path#/}"); fi
    done <"$(target "${backup}")/configs.list"
    while IFS= read -r path; do
        [ -n "${path}" ] || continue
        [ -f "$(target "${path}")" ] || continue
        backup "${path}"
        act "remove ${path} (added by the version rolled back)" rm -f -- "$(target "${path}")"
        CHANGED_PATHS+=("${path#/}")
    done <"$(target "${backup}")/absent.list"
    if [ -d "$(target "${backup}")/installer" ]; then
        while IFS= read -r src; do
            path="${KA_PREFIX}/installer/${src#"$(target "${backup}")/installer/"}"
            put_file "${src}" "0$(file_mode "${src}")" "$(file_sha "${src}")" "${path}"
        done < <(find "$(target "${backup}")/installer" -type f | LC_ALL=C sort)
    fi
    src="$(target "${backup}")/installed.env"
    put_file "${src}" 0644 "$(file_sha "${src}")" "${KA_STATE_DIR}/installed.env"
}

run_rollback() {
    local from to backup link
    require_root
    from=$(installed_value KA_VERSION_DIR)
    [ -n "${from}" ] || fatal "nothing installed under ${ROOT:-/}: nothing to roll back"
    to=$(env_value "$(version_record "${from}")" KA_UPGRADED_FROM)
    [ -n "${to}" ] || fatal "nothing to roll back to: ${from} was not installed as an upgrade by kube-airgap (no KA_UPGRADED_FROM in ${KA_STATE_DIR}/versions/${from}.env)"
    backup=$(backup_root "${to}")
    [ -f "$(target "${backup}")/complete" ] || fatal "cannot roll back to ${to}: its backup ${backup} is missing or incomplete"
    [ -d "$(target "${KA_PREFIX}/${to}/bin")" ] || fatal "cannot roll back to ${to}: ${KA_PREFIX}/${to}/bin is gone"
    info "rollback of ${KA_NODE}: ${from} -> ${to} (configs from ${backup})"
    rollback_etcd_allowed "${from}" "${to}" "${backup}"
    warn "rolling back kube-apiserver across a minor is not covered by upstream's skew policy: roll back workers before the control plane, and only versions this cluster ran"
    rollback_restore_files "${backup}"
    link=$(target "${KA_PREFIX}/current")
    act "switch ${KA_PREFIX}/current back to ${to}" ln -sfn "${to}" "${link}"
    CHANGED_PATHS+=("bin/current")
    [ "${DRY_RUN}" = 1 ] || rm -f -- "$(state_file upgrade-held)"
    # the per-unit restart rule against the restored version's own files.tsv and layout
    if [ -f "$(target "${backup}")/installer/lib/layout.env" ] && [ "${DRY_RUN}" = 0 ]; then
        BUNDLE_DIR=$(target "${backup}")/installer
        # shellcheck source=/dev/null
        . "${BUNDLE_DIR}/lib/layout.env"
    fi
    start_services
    info "rolled back ${KA_NODE} to ${to}: $(target "${KA_PREFIX}/current") -> $(readlink "${link}" || echo none)"
}
