using KubeAirgap.Bundle.Manifests;
using KubeAirgap.Bundle;
using KubeAirgap.Content;
using KubeAirgap.Pki;
using KubeAirgap.Tests.Bundle;
using KubeAirgap.Tests.Installer;
using KubeAirgap.Tests.Pki.Fixtures;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Day2;

/// <summary>
/// Issue 16 item 4, README "Day 2" / Renew certificates: a cluster built and installed, then rebuilt with the renewal
/// window's clock moved forward (<c>--pki_asof</c>). Only the leaves within the window are re-issued (openssl: new
/// serials, the same CA, <c>openssl verify</c> against it); the renewal bundle installed over the first install
/// (<c>--root</c>) restarts only the units whose inputs it changed; a real etcd started from the installed files serves
/// the new serial once restarted, with its data intact.
/// </summary>
public sealed class RenewalTests
{
    private static readonly string[] Restarted = ["etcd", "kube-apiserver", "kube-controller-manager", "kubelet"];
    private static readonly string[] Unchanged = ["containerd", "kube-nginx", "kube-scheduler", "kube-proxy"];

    [Fact]
    public void Should_renew_only_leaves_within_the_window_with_the_same_ca_and_restart_only_their_units()
    {
        // Given: the PKI built 100 days ago; 50 days ago kube-proxy.conf and scheduler.conf renewed on demand
        using var bundle = new SyntheticBundle();
        using var keys = new TempDirectory("kag-renewal-keys");
        using var root = new TargetRoot();
        var (signingKey, pub) = ExtractedBundles.NewKey(keys, "signing");
        var signer = BundleSigner.Load(signingKey);
        var state = bundle.Dir.Combine("state", bundle.Spec.Name);
        var now = DateTimeOffset.UtcNow;
        var clock = new TestClock(now.AddDays(-100));
        PkiResult Pki(RenewalPolicy renewal) => PkiBuild.Run(new PkiEngine(bundle.Spec, state, clock) { Renewal = renewal }, bundle.Spec, bundle.NodeTree, bundle.Dir.Combine("inputs"));

        Pki(RenewalPolicy.None);
        clock.Now = now.AddDays(-50);
        var forced = Pki(RenewalPolicy.Parse(string.Empty, "kube-proxy.conf,scheduler.conf"));
        Assert.Equal(["kubeconfig-kube-proxy", "kubeconfig-scheduler"], forced.Reissued.Select(c => c.Label).Order(StringComparer.Ordinal));

        // and: n01 installed from its bundle
        var v1 = Install(bundle, signer, pub, root, "v1", null);
        Assert.True(v1.ExitCode == 0, v1.Output);
        Assert.All(Restarted.Concat(Unchanged), u => Assert.Contains($"unit {u}: start (no inputs recorded yet)", v1.Stdout, StringComparison.Ordinal));
        var installed = root.Combine("etc", "kubernetes", "pki");
        var before = Snapshot(root);

        // When: today, a build renews what will be due in 250 days (the first leaves expire in 265, the renewed ones in 315)
        clock.Now = now;
        var asOf = now.AddDays(250);
        var renewal = Pki(new RenewalPolicy(asOf, []));
        var v2 = Install(bundle, signer, pub, root, "v2", PkiBuild.Renewal(bundle.Spec, renewal));

        // Then: every leaf re-issued except the two renewed on demand; CAs and the service-account key unchanged
        var leaves = renewal.Material.Certificates.Where(c => !c.Spec.IsCa).ToList();
        Assert.Equal(
            leaves.Select(c => c.Label).Where(l => l is not "kubeconfig-kube-proxy" and not "kubeconfig-scheduler").Order(StringComparer.Ordinal),
            renewal.Reissued.Select(c => c.Label).Order(StringComparer.Ordinal));
        Assert.All(renewal.Material.Certificates.Where(c => c.Spec.IsCa), c => Assert.Equal(PkiAction.Reused, c.Action));

        // openssl: new serials for the renewed files, the old ones for the rest, CA files and sa.key byte-identical
        var after = Snapshot(root);
        foreach (var file in new[] { "apiserver.crt", "apiserver-etcd-client.crt", "front-proxy-client.crt", "etcd/server.crt", "etcd/peer.crt", "kubelet.crt" })
        {
            Assert.NotEqual(before[file], after[file]);
            Assert.Equal(Serial(Path.Combine(installed, file)), after[file]);
        }

        Assert.Equal(before["kube-proxy.conf"], after["kube-proxy.conf"]);
        Assert.Equal(before["scheduler.conf"], after["scheduler.conf"]);
        Assert.NotEqual(before["admin.conf"], after["admin.conf"]);
        foreach (var ca in new[] { "ca.crt", "etcd/ca.crt", "front-proxy-ca.crt", "sa.key", "sa.pub", "ca.key" })
        {
            Assert.Equal(before["sha256:" + ca], after["sha256:" + ca]);
        }

        Verify("ca.crt", Path.Combine(installed, "apiserver.crt"), installed);
        Verify("ca.crt", Path.Combine(installed, "kubelet.crt"), installed);
        Verify("etcd/ca.crt", Path.Combine(installed, "etcd", "server.crt"), installed);
        Verify("etcd/ca.crt", Path.Combine(installed, "apiserver-etcd-client.crt"), installed);
        Verify("front-proxy-ca.crt", Path.Combine(installed, "front-proxy-client.crt"), installed);
        Verify("ca.crt", KubeconfigCert(root.Combine("etc", "kubernetes", "admin.conf"), keys.Combine("admin.crt")), installed);

        // the installer: only the units whose inputs the renewal changed restart, naming the files
        Assert.True(v2.ExitCode == 0, v2.Output);
        Assert.All(Restarted, u => Assert.Contains($"unit {u}: restart (its inputs changed: ", v2.Stdout, StringComparison.Ordinal));
        Assert.All(Unchanged, u => Assert.Contains($"unit {u}: unchanged, no restart", v2.Stdout, StringComparison.Ordinal));
        Assert.Contains("unit etcd: restart (its inputs changed: pki/etcd/peer.crt pki/etcd/server.crt)", v2.Stdout, StringComparison.Ordinal);
        Assert.Contains("unit etcd: restart", File.ReadAllText(root.Log), StringComparison.Ordinal);

        // and the renewal bundle records how it came about
        var manifest = JsonFile.Read<BundleSetManifest>(bundle.Dir.Combine("v2", BundleRequest.ManifestName));
        Assert.Equal(asOf.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture), manifest.Pki!.AsOf);
        Assert.Equal(renewal.Reissued.Count, manifest.Pki.Reissued.Count);

        // a second install of the same bundle restarts nothing
        var again = Install(bundle, signer, pub, root, "v2", PkiBuild.Renewal(bundle.Spec, renewal));
        Assert.True(again.ExitCode == 0, again.Output);
        Assert.DoesNotContain(": restart", again.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_serve_the_new_etcd_serial_after_the_restart_the_renewal_bundle_asks_for()
    {
        // Given: n01's PKI files installed and a real etcd started from them on loopback, one key written
        using var bundle = new SyntheticBundle(nodes: 1);
        using var keys = new TempDirectory("kag-renewal-keys");
        using var root = new TargetRoot();
        var (signingKey, pub) = ExtractedBundles.NewKey(keys, "signing");
        var signer = BundleSigner.Load(signingKey);
        var state = bundle.Dir.Combine("state", bundle.Spec.Name);
        var now = DateTimeOffset.UtcNow;
        var clock = new TestClock(now.AddDays(-100));
        PkiResult Pki(RenewalPolicy renewal) => PkiBuild.Run(new PkiEngine(bundle.Spec, state, clock) { Renewal = renewal }, bundle.Spec, bundle.NodeTree, bundle.Dir.Combine("inputs"));
        Pki(RenewalPolicy.None);
        Assert.Equal(0, Install(bundle, signer, pub, root, "v1", null).ExitCode);
        var pki = root.Combine("etc", "kubernetes", "pki");
        var ip = bundle.Spec.Nodes[0].Ip;
        var (client, peer) = (Ports.Free(ip), Ports.Free(ip));
        var data = keys.Combine("etcd-data");
        BackgroundProcess? etcd = null;
        try
        {
            etcd = StartEtcd(pki, ip, client, peer, data);
            Etcdctl(pki, ip, client, "put", "/registry/before-renewal", "kept").EnsureSuccess("etcdctl put");
            var oldSerial = Serial(Path.Combine(pki, "etcd", "server.crt"));
            Assert.Equal(oldSerial, ServedSerial(pki, ip, client));

            // When: the renewal bundle (window as of 250 days from now) is installed, and etcd restarted as it says
            clock.Now = now;
            Pki(new RenewalPolicy(now.AddDays(250), []));
            var v2 = Install(bundle, signer, pub, root, "v2", null);
            Assert.Contains("unit etcd: restart (its inputs changed: pki/etcd/peer.crt pki/etcd/server.crt)", v2.Stdout, StringComparison.Ordinal);
            etcd.Dispose();
            etcd = StartEtcd(pki, ip, client, peer, data);

            // Then: etcd serves the new serial, verified against the unchanged etcd CA, and still has its data
            var newSerial = Serial(Path.Combine(pki, "etcd", "server.crt"));
            Assert.NotEqual(oldSerial, newSerial);
            Assert.Equal(newSerial, ServedSerial(pki, ip, client));
            Assert.Contains("kept", Etcdctl(pki, ip, client, "get", "/registry/before-renewal").EnsureSuccess("etcdctl get").Stdout, StringComparison.Ordinal);
        }
        finally
        {
            etcd?.Dispose();
        }
    }

    /// <summary>Builds the bundle set into <paramref name="output"/>, extracts n01's tarball and installs it into <paramref name="root"/>.</summary>
    private static Cmd.Result Install(SyntheticBundle bundle, BundleSigner signer, string pub, TargetRoot root, string output, PkiRenewalRecord? record)
    {
        var result = BundleBuilder.Build(bundle.Request(output, signer) with { PkiRenewal = record });
        var extracted = bundle.Dir.Combine(output + "-extracted");
        Directory.CreateDirectory(extracted);
        Cmd.Run("tar", "-xzf", bundle.Tarball(result, "n01"), "-C", extracted).EnsureSuccess("tar xzf");
        var dir = Path.Combine(extracted, $"{bundle.Spec.Name}-n01");
        File.Copy(pub, ExtractedBundles.PubKeyBeside(dir), overwrite: true);
        return ExtractedBundles.Install(dir, root, "install");
    }

    /// <summary>Serials (openssl) of the installed certificates and kubeconfig client certificates, and sha256 of CA and key files.</summary>
    private static Dictionary<string, string> Snapshot(TargetRoot root)
    {
        var pki = root.Combine("etc", "kubernetes", "pki");
        var snapshot = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(pki, "*.crt", SearchOption.AllDirectories))
        {
            snapshot[Path.GetRelativePath(pki, file)] = Serial(file);
        }

        foreach (var conf in new[] { "admin.conf", "kube-proxy.conf", "scheduler.conf", "controller-manager.conf", "kubelet.conf" })
        {
            using var temp = new TempDirectory("kag-kubeconfig");
            snapshot[conf] = Serial(KubeconfigCert(root.Combine("etc", "kubernetes", conf), temp.Combine("client.crt")));
        }

        foreach (var file in new[] { "ca.crt", "etcd/ca.crt", "front-proxy-ca.crt", "sa.key", "sa.pub", "ca.key" })
        {
            snapshot["sha256:" + file] = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(Path.Combine(pki, file))));
        }

        return snapshot;
    }

    private static string Serial(string certFile) =>
        Cmd.Run("openssl", "x509", "-in", certFile, "-noout", "-serial").EnsureSuccess("openssl x509 -serial " + certFile).Stdout.Trim();

    private static void Verify(string ca, string cert, string pki)
    {
        var verify = Cmd.Run("openssl", "verify", "-CAfile", Path.Combine(pki, ca), cert);
        Assert.True(verify.ExitCode == 0 && verify.Stdout.Contains(": OK", StringComparison.Ordinal), $"openssl verify {cert} against {ca}: {verify.Output}");
    }

    /// <summary>Writes the client certificate a kubeconfig embeds to <paramref name="output"/> (PEM) and returns that path.</summary>
    private static string KubeconfigCert(string kubeconfig, string output)
    {
        var line = File.ReadAllLines(kubeconfig).Single(l => l.TrimStart().StartsWith("client-certificate-data:", StringComparison.Ordinal));
        File.WriteAllBytes(output, Convert.FromBase64String(line.Split(':', 2)[1].Trim()));
        return output;
    }

    private static BackgroundProcess StartEtcd(string pki, string ip, int client, int peer, string data)
    {
        var etcd = new BackgroundProcess("/usr/bin/etcd",
        [
            "--name", "n01", "--logger=zap", "--data-dir", data,
            "--listen-peer-urls", $"https://{ip}:{peer}", "--initial-advertise-peer-urls", $"https://{ip}:{peer}",
            "--listen-client-urls", $"https://{ip}:{client}", "--advertise-client-urls", $"https://{ip}:{client}",
            "--initial-cluster", $"n01=https://{ip}:{peer}", "--initial-cluster-state", "new", "--initial-cluster-token", "renewal-test",
            "--cert-file", $"{pki}/etcd/server.crt", "--key-file", $"{pki}/etcd/server.key",
            "--trusted-ca-file", $"{pki}/etcd/ca.crt", "--client-cert-auth",
            "--peer-cert-file", $"{pki}/etcd/peer.crt", "--peer-key-file", $"{pki}/etcd/peer.key",
            "--peer-trusted-ca-file", $"{pki}/etcd/ca.crt", "--peer-client-cert-auth",
        ]);
        etcd.WaitUntil(() => Etcdctl(pki, ip, client, "endpoint", "health").ExitCode == 0, TimeSpan.FromSeconds(60), "etcd endpoint health");
        return etcd;
    }

    private static Cmd.Result Etcdctl(string pki, string ip, int client, params string[] args) =>
        Cmd.Run("/usr/bin/etcdctl",
            [
                "--endpoints", $"https://{ip}:{client}", "--cacert", $"{pki}/etcd/ca.crt", "--cert", $"{pki}/etcd/healthcheck-client.crt",
                "--key", $"{pki}/etcd/healthcheck-client.key", "--dial-timeout=3s", "--command-timeout=5s", .. args,
            ],
            environment: new Dictionary<string, string> { ["ETCDCTL_API"] = "3" });

    /// <summary>The serial of the certificate etcd presents (openssl s_client, verified against the installed etcd CA).</summary>
    private static string ServedSerial(string pki, string ip, int client)
    {
        var handshake = Cmd.Bash(
            $"openssl s_client -connect {ip}:{client} -CAfile '{pki}/etcd/ca.crt' -cert '{pki}/etcd/healthcheck-client.crt' " +
            $"-key '{pki}/etcd/healthcheck-client.key' -verify_return_error </dev/null 2>&1 | tee /dev/stderr | openssl x509 -noout -serial");
        Assert.True(handshake.ExitCode == 0, handshake.Output);
        Assert.Contains("Verify return code: 0 (ok)", handshake.Stderr, StringComparison.Ordinal);
        return handshake.Stdout.Trim();
    }
}
