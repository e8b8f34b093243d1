# shellcheck shell=bash
# status and verify: read-only views of what is installed.

# drift: print every installed file that differs from the bundle; returns the count.
drift() {
    local mode sha secret bpath npath dest n=0
    while IFS=$'\t' read -r mode sha secret bpath npath; do
        [ -n "${bpath}" ] || continue
        : "${secret}"
        retired "${npath}" && continue
        dest=$(target "${npath}")
        if [ ! -f "${dest}" ]; then
            echo "  missing   ${npath}"
            n=$((n + 1))
        elif [ "$(file_sha "${dest}")" != "${sha}" ]; then
            echo "  changed   ${npath}"
            n=$((n + 1))
        elif [ "$(file_mode "${dest}")" != "${mode#0}" ]; then
            echo "  mode      ${npath} ($(file_mode "${dest}"), expected ${mode#0})"
            n=$((n + 1))
        fi
    done <"${BUNDLE_DIR}/lib/files.tsv"
    return "${n}"
}

run_verify() {
    local n=0
    if [ ! -f "$(state_file installed.env)" ]; then
        info "not installed under ${ROOT:-/}; the bundle itself is good"
        return 0
    fi
    drift || n=$?
    if [ "${n}" -gt 0 ]; then
        fatal "${n} installed file(s) differ from the bundle" 6
    fi
    info "installed files match the bundle"
}

run_status() {
    local unit n=0
    info "bundle: ${KA_CLUSTER}/${KA_NODE} (${KA_ROLES}), ${KA_VERSION_DIR}"
    if [ ! -f "$(state_file installed.env)" ]; then
        info "installed: nothing under ${ROOT:-/}"
        return 0
    fi
    info "installed: $(sed -n "s/^KA_VERSION_DIR='\(.*\)'$/\1/p" "$(state_file installed.env)"); current -> $(readlink "$(target "${KA_PREFIX}/current")" || echo none)"
    drift || n=$?
    info "files differing from this bundle: ${n}"
    if [ -z "${ROOT}" ] && command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
        for unit in ${KA_UNITS}; do
            info "$(printf '%-24s %s' "${unit}" "$(systemctl is-active "${unit}" 2>/dev/null || true)")"
        done
    fi
}
