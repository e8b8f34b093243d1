# shellcheck shell=bash
# Trust kept on the node: the pinned signing key (TRUSTED_KEY, from install.sh), the cluster's identity in the
# installer state (identity.env: CA and signing key fingerprints), the installer copy that uninstalls without the
# tarball, and the retirement of super-admin.conf.

# The admin group's binding that the add-ons create (PkiIdentities.ClusterAdminsGroup, kubeadm's name).
ADMIN_GROUP_BINDING=kubeadm:cluster-admins

identity_value() {
    sed -n "s/^$1='\(.*\)'\$/\1/p" "$(state_file identity.env)" 2>/dev/null | head -n1
}

# The bundle's cluster CA, by which a cluster is known (a new CA is a new cluster).
bundle_ca_sha() {
    if [ -f "${BUNDLE_DIR}/pki/ca.crt" ]; then
        file_sha "${BUNDLE_DIR}/pki/ca.crt"
    else
        printf 'none'
    fi
}

# Refuses a bundle whose cluster CA is not the one recorded by an earlier install, unless --replace-cluster.
check_cluster_identity() {
    local recorded ca
    [ -f "$(state_file identity.env)" ] || return 0
    recorded=$(identity_value KA_CLUSTER_CA_SHA256)
    ca=$(bundle_ca_sha)
    [ "${recorded}" != "${ca}" ] || return 0
    if [ "${REPLACE_CLUSTER}" = 1 ]; then
        warn "--replace-cluster: this node belonged to cluster $(identity_value KA_CLUSTER) (CA sha256 ${recorded}); installing ${KA_CLUSTER} (CA sha256 ${ca}) over it"
        return 0
    fi
    fatal "this node belongs to cluster $(identity_value KA_CLUSTER) (CA sha256 ${recorded}, recorded in ${KA_STATE_DIR}/identity.env); this bundle is of ${KA_CLUSTER} with another CA (sha256 ${ca}). A bundle of another cluster is refused: uninstall first, or pass --replace-cluster" 4
}

# After a successful install: pin the signing key (first install, or --replace-cluster), record the cluster's
# identity, and keep the installer on the node.
trust_after_install() {
    [ "${DRY_RUN}" = 0 ] || return 0
    local key_sha=none
    if [ -n "${KEY_FILE}" ]; then
        put_file "${KEY_FILE}" 0644 "$(file_sha "${KEY_FILE}")" "${TRUSTED_KEY}"
        [ "${PUT_CHANGED}" = 0 ] || info "pinned the bundle signing key as ${TRUSTED_KEY}: later bundles must be signed by it"
        key_sha=$(key_fingerprint "${KEY_FILE}")
    fi
    write_state identity.env "$(printf "KA_CLUSTER='%s'\nKA_CLUSTER_CA_SHA256='%s'\nKA_SIGNING_KEY_SHA256='%s'\n" \
        "${KA_CLUSTER}" "$(bundle_ca_sha)" "${key_sha}")"
    install_node_installer
}

# <prefix>/installer: install.sh, lib/ and SHA256SUMS(.sig) from the verified bundle (not the payload), and
# <prefix>/uninstall.sh that runs it; uninstall then needs no tarball. The copy is verified like a bundle.
install_node_installer() {
    local dir=${KA_PREFIX}/installer line path mode insecure=
    while IFS= read -r line; do
        path=${line#*  }
        case "${path}" in
            install.sh) mode=0755 ;;
            lib/*) mode=0644 ;;
            *) continue ;;
        esac
        put_file "${BUNDLE_DIR}/${path}" "${mode}" "${line%%  *}" "${dir}/${path}"
    done <"${BUNDLE_DIR}/SHA256SUMS"
    for path in SHA256SUMS SHA256SUMS.sig; do
        [ -f "${BUNDLE_DIR}/${path}" ] || continue
        put_file "${BUNDLE_DIR}/${path}" 0644 "$(file_sha "${BUNDLE_DIR}/${path}")" "${dir}/${path}"
    done
    [ -n "${KEY_FILE}" ] || insecure=' --insecure-unsigned'
    put_content "${KA_PREFIX}/uninstall.sh" 0755 "#!/usr/bin/env bash
# Uninstalls ${KA_CLUSTER}/${KA_NODE} with the installer that install kept here; no tarball needed.
# Usage: sudo ${KA_PREFIX}/uninstall.sh [--yes] [--purge] [--dry-run] (see installer/install.sh --help)
set -euo pipefail
exec bash \"\$(cd \"\$(dirname \"\${BASH_SOURCE[0]}\")\" && pwd -P)/installer/install.sh\" uninstall${insecure} \"\$@\"
"
}

# retire_super_admin: once admin.conf's group has its binding (ADMIN_GROUP_BINDING, created by the add-ons with
# super-admin.conf), super-admin.conf is overwritten, deleted, and never installed again on this node (recorded
# in retired.list). Call it after a successful add-on apply; it does nothing while admin.conf cannot read the
# binding, and a later run retries.
retire_super_admin() {
    local path=${KA_SUPER_ADMIN_KUBECONFIG} file
    file=$(target "${path}")
    [ -f "${file}" ] || return 0
    if [ "${DRY_RUN}" = 1 ]; then
        info "[dry-run] would overwrite and delete ${path} once admin.conf's binding ${ADMIN_GROUP_BINDING} exists"
        return 0
    fi
    if ! "${KA_BIN_DIR}/kubectl" --kubeconfig "$(target "${KA_ADMIN_KUBECONFIG}")" --request-timeout=10s \
        get clusterrolebinding "${ADMIN_GROUP_BINDING}" -o name </dev/null >/dev/null 2>&1; then
        warn "keeping ${path}: admin.conf cannot read the binding ${ADMIN_GROUP_BINDING} yet (a later run retires it)"
        return 0
    fi
    retired "${path}" || record retired.list "${path}"
    act "overwrite and delete ${path} (admin.conf's group has its binding ${ADMIN_GROUP_BINDING})" shred --zero --remove "${file}"
}
