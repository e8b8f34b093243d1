using System.Formats.Tar;
using System.Text;
using KubeAirgap.Bundle.Tar;
using KubeAirgap.Bundle;
using KubeAirgap.Cluster;
using KubeAirgap.Content;
using KubeAirgap.Layout;
using KubeAirgap.Roles;

namespace KubeAirgap.TestSupport.Synthetic;

/// <summary>
/// Payload and node trees of the same shape Fetch, Images, Pki and Render produce, with generated content of a
/// chosen size: what the BenchmarkBundle task and the tests bundle. Binaries are pseudo-random (they compress
/// as little as real ones); units name their binaries in ExecStart like the rendered ones.
/// </summary>
public static class SyntheticInputs
{
    public static readonly IReadOnlyList<string> Binaries =
    [
        "containerd", "containerd-shim-runc-v2", "crictl", "ctr", "etcd", "etcdctl", "etcdutl", "kube-apiserver",
        "kube-controller-manager", "kube-nginx", "kube-proxy", "kube-scheduler", "kubectl", "kubelet", "runc",
    ];

    public static readonly IReadOnlyList<string> CniPlugins = ["bridge", "host-local", "loopback", "portmap"];

    /// <summary>Nodes n01, n02, ...: the first <paramref name="fullNodes"/> etcd + control plane + worker, the rest workers.</summary>
    public static ClusterSpec Cluster(string name, int nodes, string kubernetesVersion, string ipBase = "127.0.1.", string arch = "amd64", int fullNodes = 3)
    {
        var all = new HashSet<NodeRole> { NodeRole.Etcd, NodeRole.ControlPlane, NodeRole.Worker };
        return new ClusterSpec
        {
            Name = name,
            KubernetesVersion = kubernetesVersion,
            Nodes = Enumerable.Range(1, nodes)
                .Select(i => new NodeSpec($"n{i:D2}", $"{ipBase}{i}", arch, i <= fullNodes ? all : new HashSet<NodeRole> { NodeRole.Worker }))
                .ToList(),
        };
    }

    /// <summary>Writes bin/, images/, addons/, meta/ for every payload key of <paramref name="spec"/>: each key gets the
    /// binaries its roles need, and a binary's content depends on its name only (like the real ones). The ledger
    /// (<see cref="PayloadLedger"/>) records them as staged from <paramref name="pins"/>' artifacts; the returned pins are
    /// <paramref name="pins"/> with each plain-file artifact's sha256 set to the synthetic file's, so Bundle's checks hold.</summary>
    public static Pins.PinsFile WritePayloads(ClusterSpec spec, Pins.PinsFile pins, Func<string, string> payloadDir, long binaryBytes, long imageBytes)
    {
        var each = Math.Max(1024, binaryBytes / (Binaries.Count + CniPlugins.Count));
        foreach (var key in PayloadKey.AllOf(spec))
        {
            var dir = payloadDir(key.Name);
            foreach (var (bin, i) in Binaries.Select((b, i) => (b, i)).Where(b => Needed(b.b, key.Roles)))
            {
                Write(Path.Combine(dir, "bin", bin), Noise(each, i), 0x1ED);
            }

            if (key.Roles.Contains(NodeRole.Worker))
            {
                foreach (var (plugin, i) in CniPlugins.Select((b, i) => (b, i)))
                {
                    Write(Path.Combine(dir, "bin", "cni", plugin), Noise(each / 2, 100 + i), 0x1ED);
                }

                WriteOciArchive(Path.Combine(dir, "images", "images.oci.tar"), imageBytes, 1000, key.Arch);
            }

            Write(Path.Combine(dir, "addons", "calico.yaml"), Encoding.UTF8.GetBytes("# raw calico manifest (render patches it)\n"), 0x1A4);
            Write(Path.Combine(dir, "meta", "kube-nginx.json"),
                Encoding.UTF8.GetBytes("{\"version\":\"1.30.4\",\"glibc\":\"2.17\",\"sha256\":\"" + Sha256Hex.OfFile(Path.Combine(dir, "bin", "kube-nginx")) + "\"}\n"), 0x1A4);
        }

        return Seal(spec, pins, payloadDir);
    }

    /// <summary>
    /// Records every payload's staged files in its ledger as if Fetch had staged them from <paramref name="pins"/>,
    /// and returns <paramref name="pins"/> with each plain-file artifact's sha256 set to the synthetic file's (what a
    /// test calls again after changing a payload on purpose).
    /// </summary>
    public static Pins.PinsFile Seal(ClusterSpec spec, Pins.PinsFile pins, Func<string, string> payloadDir)
    {
        var synthetic = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var key in PayloadKey.AllOf(spec))
        {
            var dir = payloadDir(key.Name);
            foreach (var file in Directory.EnumerateFiles(Path.Combine(dir, "bin"), "*", SearchOption.AllDirectories))
            {
                synthetic[Path.GetRelativePath(dir, file).Replace('\\', '/')] = Sha256Hex.OfFile(file);
            }
        }

        var matching = pins with
        {
            Components = pins.Components
                .Select(c => c.Layout.Type != "file" || c.Layout.Files.FirstOrDefault(f => synthetic.ContainsKey(f.Path)) is not { } file
                    ? c
                    : c with { Artifacts = c.Artifacts.ToDictionary(a => a.Key, a => a.Value with { Sha256 = synthetic[file.Path], Sha512 = null }) })
                .ToList(),
        };
        foreach (var key in PayloadKey.AllOf(spec))
        {
            var dir = payloadDir(key.Name);
            PayloadLedger.Record(dir, PayloadLedger.Expected(matching, spec.KubernetesVersion, key).Values
                .Where(e => File.Exists(Path.Combine(dir, e.Row.Path)))
                .Select(e => (e.Row.Path, e.Row.Component, e.Row.Version, e.Row.Arch, e.Row.Digest)));
        }

        return matching;
    }

    private static bool Needed(string binary, IReadOnlyList<NodeRole> roles) => binary switch
    {
        "etcd" or "etcdctl" or "etcdutl" => roles.Contains(NodeRole.Etcd),
        "kube-apiserver" or "kube-controller-manager" or "kube-scheduler" => roles.Contains(NodeRole.ControlPlane),
        "containerd" or "containerd-shim-runc-v2" or "ctr" or "crictl" or "runc" or "kubelet" or "kube-proxy" => roles.Contains(NodeRole.Worker),
        _ => true,
    };

    /// <summary>The rendered tree of one node: units, configs naming its IP, certificates and keys (0600), add-ons.</summary>
    public static void WriteNodeTree(ClusterSpec spec, NodeSpec node, string tree)
    {
        var layout = new NodeLayout(spec);
        foreach (var unit in NodeRequirements.Units.Where(u => u.Role is null || node.Has(u.Role.Value)))
        {
            Write(Path.Combine(tree, "etc/systemd/system", unit.Name + ".service"), Encoding.UTF8.GetBytes(
                $"[Unit]\nDescription={unit.Name}\n\n[Service]\nExecStart={layout.Bin(unit.Binary)} --node-ip={node.Ip}\nRestart=always\n\n[Install]\nWantedBy=multi-user.target\n"), 0x1A4);
        }

        Write(Path.Combine(tree, NodeLayout.TreePathOf(NodeLayout.SysctlFile)), Encoding.UTF8.GetBytes("net.ipv4.ip_forward = 1\nnet.bridge.bridge-nf-call-iptables = 1\n"), 0x1A4);
        Write(Path.Combine(tree, NodeLayout.TreePathOf(NodeLayout.ModulesLoadFile)), Encoding.UTF8.GetBytes("overlay\nbr_netfilter\n"), 0x1A4);
        Write(Path.Combine(tree, NodeLayout.TreePathOf(NodeLayout.KubeletConfig)), Encoding.UTF8.GetBytes($"address: {node.Ip}\n"), 0x1A4);
        Write(Path.Combine(tree, NodeLayout.TreePathOf(NodeLayout.KubeletKubeconfig)), Encoding.UTF8.GetBytes($"# kubeconfig of {node.Name}\n"), 0x180);
        Write(Path.Combine(tree, "pki/ca.crt"), Encoding.UTF8.GetBytes("-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n"), 0x1A4);
        Write(Path.Combine(tree, "pki/etcd/ca.crt"), Encoding.UTF8.GetBytes("etcd ca\n"), 0x1A4);
        Write(Path.Combine(tree, "pki/kubelet.key"), Encoding.UTF8.GetBytes($"key of {node.Name} {node.Ip}\n"), 0x180);
        if (node.Has(NodeRole.ControlPlane))
        {
            Write(Path.Combine(tree, NodeLayout.TreePathOf(NodeLayout.AdminKubeconfig)), Encoding.UTF8.GetBytes("# admin\n"), 0x180);
            Write(Path.Combine(tree, "pki/apiserver.key"), Encoding.UTF8.GetBytes($"apiserver key {node.Ip}\n"), 0x180);
            Write(Path.Combine(tree, "pki/ca.key"), Encoding.UTF8.GetBytes("ca key\n"), 0x180);
            Write(Path.Combine(tree, "addons/coredns.yaml"), Encoding.UTF8.GetBytes("kind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n      - name: coredns\n        image: registry.k8s.io/coredns/coredns:v1.14.2\n"), 0x1A4);
        }
    }

    /// <summary>
    /// An OCI image layout holding three real images for <paramref name="arch"/> (manifest, config and one shared
    /// layer of about <paramref name="bytes"/>), each named by its tag, so the completeness check finds them whole.
    /// </summary>
    private static void WriteOciArchive(string path, long bytes, int seed, string arch) =>
        WriteImageArchive(path, ["registry.k8s.io/pause:3.10.2", "docker.io/calico/node:v3.31.7", "registry.k8s.io/coredns/coredns:v1.14.2"], bytes, seed, arch);

    /// <summary>An OCI image layout holding a real image (manifest, config, a shared layer) for each of <paramref name="names"/> (tagged names).</summary>
    public static void WriteImageArchive(string path, IReadOnlyList<string> names, long bytes, int seed, string arch)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var file = File.Create(path);
        using var tar = new TarWriter(file, TarEntryFormat.Ustar);
        // layers of at most 32 MiB, like real images (and so a 1 GiB payload is never one array in memory)
        const long MaxLayer = 32L << 20;
        var layerCount = Math.Max(1, (int)((bytes + MaxLayer - 1) / MaxLayer));
        var blobs = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        var layerDescriptors = new List<string>();
        for (var i = 0; i < layerCount; i++)
        {
            var layer = Compressed(Math.Min(bytes - (i * MaxLayer), MaxLayer), seed + 1000 + i);
            var layerDigest = KubeAirgap.Content.Digest.Of(layer).ToString();
            blobs[layerDigest] = layer;
            layerDescriptors.Add($"{{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"{layerDigest}\",\"size\":{layer.Length}}}");
        }

        var manifests = new List<string>();
        foreach (var name in names)
        {
            var config = Encoding.UTF8.GetBytes($"{{\"architecture\":\"{arch}\",\"os\":\"linux\",\"config\":{{\"Labels\":{{\"name\":\"{name}\"}}}},\"rootfs\":{{\"type\":\"layers\",\"diff_ids\":[]}}}}");
            var configDigest = KubeAirgap.Content.Digest.Of(config).ToString();
            var manifest = Encoding.UTF8.GetBytes(
                $"{{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"{configDigest}\",\"size\":{config.Length}}},"
                + $"\"layers\":[{string.Join(",", layerDescriptors)}]}}");
            var manifestDigest = KubeAirgap.Content.Digest.Of(manifest).ToString();
            blobs[configDigest] = config;
            blobs[manifestDigest] = manifest;
            manifests.Add($"{{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"{manifestDigest}\",\"size\":{manifest.Length},\"annotations\":{{\"io.containerd.image.name\":\"{name}\",\"org.opencontainers.image.ref.name\":\"{name}\"}}}}");
        }

        Add(tar, "oci-layout", Encoding.UTF8.GetBytes("{\"imageLayoutVersion\":\"1.0.0\"}"));
        Add(tar, "index.json", Encoding.UTF8.GetBytes($"{{\"schemaVersion\":2,\"manifests\":[{string.Join(",", manifests)}]}}"));
        foreach (var (digest, blob) in blobs)
        {
            Add(tar, "blobs/sha256/" + KubeAirgap.Content.Digest.HexOf(digest), blob);
        }
    }

    private static void Add(TarWriter tar, string name, byte[] data)
    {
        var entry = new UstarTarEntry(TarEntryType.RegularFile, name)
        {
            DataStream = new MemoryStream(data),
            ModificationTime = DateTimeOffset.FromUnixTimeSeconds(0),
            Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
        };
        tar.WriteEntry(entry);
    }

    /// <summary>
    /// Bytes shaped like machine code: tokens drawn (skewed towards a few) from a vocabulary of short random byte
    /// strings, mixed with random 4-byte "addresses"; gzip -6 shrinks them to about 40-50%, like real binaries.
    /// </summary>
    private static byte[] Noise(long size, int seed)
    {
        var random = new Random(seed);
        var vocabulary = Enumerable.Range(0, 1024).Select(_ =>
        {
            var token = new byte[random.Next(2, 9)];
            random.NextBytes(token);
            return token;
        }).ToArray();
        var data = new byte[size];
        var i = 0;
        while (i < data.Length)
        {
            if (random.Next(10) == 0)
            {
                var address = Math.Min(4, data.Length - i);
                random.NextBytes(data.AsSpan(i, address));
                i += address;
                continue;
            }

            var r = random.NextDouble();
            var token = vocabulary[(int)(r * r * r * vocabulary.Length)];
            var n = Math.Min(token.Length, data.Length - i);
            token.AsSpan(0, n).CopyTo(data.AsSpan(i));
            i += n;
        }

        return data;
    }

    /// <summary>Image layers are gzip blobs already: random bytes in a gzip member of stored blocks (gzip magic, and they do not compress either).</summary>
    private static byte[] Compressed(long size, int seed)
    {
        var data = new byte[Math.Max(0, size - 64)];
        new Random(seed).NextBytes(data);
        return GzipMember.Compress(data, 0);
    }

    private static void Write(string path, byte[] content, int mode)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, content);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, (UnixFileMode)mode);
        }
    }
}
