#!/usr/bin/env python3
"""Every object of the add-on manifests exists exactly once in the apiserver's store.

    addons-once.py ADDONS_DIR < KEYS      KEYS: etcd keys under /registry/ (etcdctl get --prefix --keys-only)

The fixture apiserver stores objects under /registry/<group>/<resource>/[<namespace>/]<name>. Each document of
ADDONS_DIR/*.yaml must be there once, and no other object of the same resources may exist (a second copy under
another name or namespace, as a non-idempotent apply by several nodes would leave). The one object the installer
adds itself, its record of what it applied (RECORD, lib/services.sh's ADDONS_RECORD), must exist once too.
"""
import glob
import sys

import yaml

RECORD = "/registry/core/configmaps/kube-system/kube-airgap-addons"


def plural(kind):
    k = kind.lower()
    if k.endswith("y"):
        return k[:-1] + "ies"
    if k.endswith("s"):
        return k + "es"
    return k + "s"


def main():
    keys = [k.strip() for k in sys.stdin if k.strip().startswith("/registry/")]
    want, resources = [], set()
    files = sorted(glob.glob(sys.argv[1] + "/*.yaml"))
    for f in files:
        with open(f) as fh:
            for d in yaml.safe_load_all(fh):
                if not d:
                    continue
                api = d["apiVersion"]
                group = api.split("/")[0] if "/" in api else "core"
                resource = plural(d["kind"])
                ns = d["metadata"].get("namespace", "")
                resources.add(resource)
                want.append("/registry/%s/%s/%s%s" % (group, resource, ns + "/" if ns else "", d["metadata"]["name"]))
    bad = 0
    if not want:
        print("no add-on documents in %s" % sys.argv[1])
        return 1
    for w in sorted(set(want)):
        count = keys.count(w)
        if count != 1:
            print("%s: %d times" % (w, count))
            bad = 1
    if keys.count(RECORD) != 1:
        print("%s (the installer's record of what it applied): %d times" % (RECORD, keys.count(RECORD)))
        bad = 1
    for k in keys:
        parts = k.split("/")
        if len(parts) > 3 and parts[3] in resources and k not in want and k != RECORD:
            print("not in the add-ons: %s" % k)
            bad = 1
    print("%d files, %d add-on objects, %d keys in the store" % (len(files), len(set(want)), len(keys)))
    return bad


if __name__ == "__main__":
    sys.exit(main())
