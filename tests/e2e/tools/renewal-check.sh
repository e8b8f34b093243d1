#!/bin/bash
# After a renewal bundle: this node's kube-apiserver and etcd serve the certificates now installed under
# /etc/kubernetes/pki, whose serials differ from the first bundle's, and that verify against CAs that are
# byte-identical to the first bundle's. Reads the node's facts (KA_PKI_DIR, KA_NODE_IP, KA_APISERVER_ADDRESS) from the
# renewal bundle's lib/layout.env itself: a caller's sourced variables are not exported to this process.
#   renewal-check.sh LAYOUT_ENV FIRST_BUNDLE_DIR
set -euo pipefail
if [ "$#" -ne 2 ]; then
  echo "usage: renewal-check.sh LAYOUT_ENV FIRST_BUNDLE_DIR" >&2
  exit 2
fi
# shellcheck source=/dev/null  # the node's lib/layout.env
. "$1"
first=$2
pki=$KA_PKI_DIR

serial() {
  openssl x509 -noout -serial -in "$1"
}

# served HOST:PORT CA CERT KEY: the serial of the certificate the server presents, verified against CA
served() {
  local out
  out=$(openssl s_client -connect "$1" -CAfile "$2" -cert "$3" -key "$4" -verify_return_error </dev/null 2>&1) || true
  if ! grep -q 'Verify return code: 0 (ok)' <<<"$out"; then
    echo "$1: the served certificate does not verify against $2" >&2
    grep -i 'verify' <<<"$out" >&2 || true
    return 1
  fi
  openssl x509 -noout -serial <<<"$out"
}

# check_served NAME HOST:PORT CA CERT KEY FILE: FILE renewed (serial changed), served, and verified by CA
check_served() {
  local name=$1 addr=$2 ca=$pki/$3 cert=$pki/$4 key=$pki/$5 file=$6 before want got
  before=$(serial "$first/pki/$file")
  want=$(serial "$pki/$file")
  got=$(served "$addr" "$ca" "$cert" "$key")
  echo "$name: first bundle $before, installed $want, served $got"
  if [ "$want" = "$before" ]; then
    echo "$name: $file was not renewed" >&2
    return 1
  fi
  if [ "$got" != "$want" ]; then
    echo "$name serves $got, not the installed $want (not restarted?)" >&2
    return 1
  fi
  openssl verify -CAfile "$ca" "$pki/$file"
}

for ca in ca.crt etcd/ca.crt front-proxy-ca.crt; do
  if ! cmp -s "$pki/$ca" "$first/pki/$ca"; then
    echo "$pki/$ca differs from the first bundle's: the CA changed" >&2
    exit 1
  fi
  echo "$ca: unchanged ($(sha256sum <"$pki/$ca" | cut -c1-16))"
done
check_served kube-apiserver "$KA_APISERVER_ADDRESS" ca.crt apiserver-kubelet-client.crt apiserver-kubelet-client.key apiserver.crt
check_served etcd "$KA_NODE_IP:2379" etcd/ca.crt etcd/healthcheck-client.crt etcd/healthcheck-client.key etcd/server.crt
