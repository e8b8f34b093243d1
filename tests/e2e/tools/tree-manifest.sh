#!/bin/bash
# The installed tree of this node, one line per path: type, mode, owner, sha256 (files) or target (links).
# Covers every place install writes (from lib/layout.env), not data directories, logs, backups or nginx's runtime
# directories. Two installs of the same bundle must print the same text.
#   tree-manifest.sh LAYOUT_ENV
set -euo pipefail
# shellcheck source=/dev/null
. "$1"
for p in /etc/kubernetes /etc/containerd /etc/kube-nginx /etc/kube-airgap /etc/cni /opt/cni /etc/crictl.yaml \
         "$KA_PREFIX" /etc/systemd/system /etc/sysctl.d /etc/modules-load.d /var/lib/kubelet/config.yaml \
         /var/lib/kube-nginx "$KA_STATE_DIR"; do
  [ -e "$p" ] || continue
  find "$p" -xdev \( -path "$KA_BACKUP_DIR" -o -path /var/lib/kube-nginx/logs -o -name '*_temp' \) -prune -o -print
done | sort -u | while IFS= read -r f; do
  if [ -L "$f" ]; then echo "$f link $(readlink "$f")"
  elif [ -d "$f" ]; then echo "$f dir $(stat -c '%a %U:%G' "$f")"
  else echo "$f file $(stat -c '%a %U:%G' "$f") $(sha256sum <"$f" | cut -c1-64)"; fi
done
