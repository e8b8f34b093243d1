# shellcheck shell=bash
# The fleet layout's payload tarball (issue 17): a node bundle of the fleet layout carries only its own files; its
# bin and images link to ../<KA_PAYLOAD_DIR>/, which the payload tarball KA_PAYLOAD_TARBALL holds. lib/layout.env
# pins that tarball (KA_PAYLOAD_TARBALL, KA_PAYLOAD_SIZE, KA_PAYLOAD_SHA256) and is itself covered by the signed
# SHA256SUMS. install.sh sources this file from its verified copy, after the signature and layout.env checks.
# Uses from install.sh: SOURCE_DIR, PAYLOAD_FILE, RUN_TMP, info, warn, fatal, payload_dir; sets its PAYLOAD_TOP.

# payload_tarball: the payload tarball to use: --payload FILE, else the pinned name beside the extracted bundle.
payload_tarball() {
    if [ -n "${PAYLOAD_FILE}" ]; then
        printf '%s' "${PAYLOAD_FILE}"
    else
        printf '%s/%s' "$(dirname "${SOURCE_DIR}")" "${KA_PAYLOAD_TARBALL}"
    fi
}

# check_payload_links: bin and images must link to ../<KA_PAYLOAD_DIR>/ (the directory the pinned tarball holds).
check_payload_links() {
    local linked
    linked=$(payload_dir) || exit 4
    [ -n "${linked}" ] || fatal "this bundle pins the payload tarball ${KA_PAYLOAD_TARBALL}, but its bin and images are not links to ../${KA_PAYLOAD_DIR}/" 4
    [ "$(basename "${linked}")" = "${KA_PAYLOAD_DIR}" ] ||
        fatal "bin and images link to ../$(basename "${linked}")/, but the pinned payload tarball ${KA_PAYLOAD_TARBALL} holds ${KA_PAYLOAD_DIR}/" 4
}

# copy_payload FILE: copies FILE into this run's private directory, hashing it on the way; prints the sha256 of
# the copy (what is extracted afterwards is exactly what was hashed).
copy_payload() {
    local sum
    sum=$(tee "${RUN_TMP}/payload.tar.gz" <"$1" | sha256sum) ||
        fatal "copying the payload tarball $1 into ${RUN_TMP} failed (disk full? KA_TMPDIR picks another place)" 4
    printf '%s' "${sum%% *}"
}

# stage_payload: in the fleet layout, takes the payload tarball, checks its sha256 against the signed pin BEFORE
# anything is extracted from it, then extracts only <KA_PAYLOAD_DIR>/ into this run's private directory and sets
# PAYLOAD_TOP. A missing or different tarball stops the run (exit 4) with nothing changed.
stage_payload() {
    local file actual size
    if [ -z "${KA_PAYLOAD_TARBALL:-}" ]; then
        if [ -n "${PAYLOAD_FILE}" ]; then
            warn "--payload ${PAYLOAD_FILE}: ignored, this bundle carries its payload (self-contained layout)"
        fi
        return 0
    fi
    check_payload_links
    file=$(payload_tarball)
    if [ ! -f "${file}" ]; then
        fatal "payload tarball ${file} not found: this bundle (fleet layout) needs ${KA_PAYLOAD_TARBALL} (sha256 ${KA_PAYLOAD_SHA256}) beside $(basename "${SOURCE_DIR}")/, or --payload FILE; nothing was changed" 4
    fi
    info "payload tarball ${file}: checking it against the pin in the signed lib/layout.env"
    size=$(stat -c %s -- "${file}")
    actual=$(copy_payload "${file}")
    if [ "${actual}" != "${KA_PAYLOAD_SHA256}" ] || [ "${size}" != "${KA_PAYLOAD_SIZE}" ]; then
        fatal "payload tarball ${file}: sha256 ${actual} (${size} bytes), expected ${KA_PAYLOAD_SHA256} (${KA_PAYLOAD_SIZE} bytes, ${KA_PAYLOAD_TARBALL}) as the signed bundle pins it; refusing it before extracting anything, nothing was changed" 4
    fi
    info "payload tarball ${file}: sha256 ${actual} matches the signed pin"
    mkdir -m 0700 "${RUN_TMP}/payload"
    tar -xzf "${RUN_TMP}/payload.tar.gz" -C "${RUN_TMP}/payload" --no-same-owner -- "${KA_PAYLOAD_DIR}" ||
        fatal "extracting ${KA_PAYLOAD_DIR}/ from ${file} failed (disk full? KA_TMPDIR picks another place)" 4
    rm -f -- "${RUN_TMP}/payload.tar.gz"
    # shellcheck disable=SC2034 # read by install.sh (check_source_links, stage_bundle)
    PAYLOAD_TOP=${RUN_TMP}/payload/${KA_PAYLOAD_DIR}
    info "payload ${KA_PAYLOAD_DIR}/ extracted into ${RUN_TMP}; its files are checked against SHA256SUMS with the others"
}

# is_payload_path PATH: PATH is under one of the links into the payload (bin/, images/).
is_payload_path() {
    [ -L "${SOURCE_DIR}/${1%%/*}" ]
}
