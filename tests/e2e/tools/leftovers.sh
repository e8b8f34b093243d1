#!/bin/bash
# What a node must not keep after uninstall (as after kubeadm reset): prints each leftover, exit 1 if any.
#   leftovers.sh CONTAINERD_ROOT
# containers and shims, mounts under kubelet's or containerd's directories, Calico's interfaces and CNI config,
# kube-proxy's and Calico's nftables tables and iptables chains.
set -uo pipefail
root="${1:-/data/k8s/containerd}"
found=0
leftover() { echo "left: $*"; found=1; }
while read -r pid cmd; do leftover "process $pid $cmd"; done < <(pgrep -a -f 'containerd-shim|^/bin/busybox sleep 3600|^sleep 3600')
while read -r _ mnt _; do
  case "$mnt" in /var/lib/kubelet* | /run/containerd* | "$root"*) leftover "mount $mnt" ;; esac
done </proc/self/mounts
while read -r name; do leftover "interface $name"; done < <(ip -o link | awk -F': ' '{print $2}' | sed 's/@.*//' | grep -E '^(cali|tunl0$|vxlan\.calico$|vxlan-v6\.calico$)')
while read -r t; do leftover "nftables $t"; done < <(nft list tables 2>/dev/null | grep -E ' (kube-proxy|calico)$')
while read -r c; do leftover "iptables chain $c"; done < <(iptables-save 2>/dev/null | grep -E '^:(KUBE-|cali-)' | cut -d' ' -f1)
for f in /etc/cni/net.d/10-calico.conflist /etc/cni/net.d/calico-kubeconfig; do [ ! -e "$f" ] || leftover "file $f"; done
[ "$found" = 0 ] && echo "nothing left"
exit "$found"
