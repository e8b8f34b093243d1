using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using KubeAirgap.Cluster;
using KubeAirgap.Pki;
using KubeAirgap.Roles;
using KubeAirgap.Tests.Pki.Fixtures;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Pki;

/// <summary>Which node gets which file, with which mode; CA-key hygiene; the encryption configuration.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed partial class NodeFilesTests
{
    public sealed class TheNodeFileSets
    {
        [Fact]
        public void Should_Give_Each_Role_Its_Files_And_Never_Ship_The_Etcd_Or_Front_Proxy_CA_Keys()
        {
            // Given: an all-roles node, an etcd-only node and a worker-only node
            using var f = new PkiFixture();
            f.Spec = f.Spec with
            {
                Nodes =
                [
                    PkiFixture.Node("k8s-01", "127.0.1.1"),
                    PkiFixture.Node("etcd-02", "127.0.1.2", NodeRole.Etcd),
                    PkiFixture.Node("work-03", "127.0.1.3", NodeRole.Worker),
                ],
            };

            // When
            var result = f.Run();

            // Then
            string[] everyone = ["pki/ca.crt"];
            string[] worker = ["etc/kubernetes/kube-proxy.conf", "etc/kubernetes/kubelet.conf", "pki/kubelet.crt", "pki/kubelet.key"];
            string[] etcd = ["pki/etcd/ca.crt", "pki/etcd/healthcheck-client.crt", "pki/etcd/healthcheck-client.key", "pki/etcd/peer.crt", "pki/etcd/peer.key", "pki/etcd/server.crt", "pki/etcd/server.key"];
            string[] controlPlane =
            [
                "etc/kubernetes/admin.conf", "etc/kubernetes/controller-manager.conf", "etc/kubernetes/encryption-config.yaml", "etc/kubernetes/scheduler.conf",
                "pki/apiserver-etcd-client.crt", "pki/apiserver-etcd-client.key", "pki/apiserver-kubelet-client.crt", "pki/apiserver-kubelet-client.key",
                "pki/apiserver.crt", "pki/apiserver.key", "pki/ca.key", "pki/etcd/ca.crt", "pki/front-proxy-ca.crt", "pki/front-proxy-client.crt",
                "pki/front-proxy-client.key", "pki/sa.key", "pki/sa.pub",
            ];
            Assert.Equal(everyone.Concat(worker).Concat(etcd).Concat(controlPlane).Append("etc/kubernetes/super-admin.conf").Distinct().Order(StringComparer.Ordinal), Files(f, "k8s-01"));
            Assert.Equal(everyone.Concat(etcd).Order(StringComparer.Ordinal), Files(f, "etcd-02"));
            Assert.Equal(everyone.Concat(worker).Order(StringComparer.Ordinal), Files(f, "work-03"));
            Assert.Equal(Files(f, "k8s-01"), result.Files["k8s-01"].Select(x => x.BundlePath));
        }

        [Fact]
        public void Should_Write_Secrets_0600_And_Everything_Else_0644_As_The_Manifest_Says()
        {
            // Given
            using var f = new PkiFixture();

            // When
            var result = f.Run();
            var written = File.ReadAllText(Path.Combine(f.ArtifactsDir, PkiBuild.ManifestName));
            var manifest = JsonDocument.Parse(written);

            // Then: the build wrote its own manifest (what Bundle and Certs read), world-readable like the other public files
            Assert.Equal(PkiBuild.Manifest(f.Spec, result), written);
            Assert.Equal(KubeAirgap.Pki.State.SecureFile.Public, File.GetUnixFileMode(Path.Combine(f.ArtifactsDir, PkiBuild.ManifestName)));

            // and on disk, in the node trees and in state/
            foreach (var node in f.Spec.Nodes)
            {
                foreach (var entry in manifest.RootElement.GetProperty("nodes").GetProperty(node.Name).EnumerateArray())
                {
                    var path = Path.Combine(f.NodeTree(node.Name), entry.GetProperty("path").GetString()!);
                    var mode = File.GetUnixFileMode(path);
                    var secret = entry.GetProperty("secret").GetBoolean();
                    Assert.Equal(secret ? "0600" : "0644", entry.GetProperty("mode").GetString());
                    Assert.Equal(secret ? UnixFileMode.UserRead | UnixFileMode.UserWrite : UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead, mode);
                    var text = File.ReadAllText(path);
                    Assert.Equal(text.Contains("PRIVATE KEY", StringComparison.Ordinal) || text.Contains("client-key-data", StringComparison.Ordinal) || text.Contains("secretbox", StringComparison.Ordinal), secret);
                }
            }

            foreach (var key in Directory.EnumerateFiles(f.StateDir, "*.key", SearchOption.AllDirectories).Append(Path.Combine(f.StateDir, "secrets/encryption-key")))
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(key));
            }

            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(f.StateDir));
            Assert.True(manifest.RootElement.GetProperty("caKeyOnNodes").GetBoolean());
            Assert.Empty(Directory.EnumerateFiles(f.Root, "*.tmp-*", SearchOption.AllDirectories));
        }

        [Fact]
        public void Should_Keep_Every_CA_Private_Key_Off_The_Nodes_When_CaKeyOnNodes_Is_False()
        {
            // Given
            using var f = new PkiFixture();
            f.Spec = f.Spec with { Pki = f.Spec.Pki with { CaKeyOnNodes = false } };

            // When
            var material = f.Run().Material;

            // Then: no file of any node (nor a key embedded in a kubeconfig) holds any CA's private key
            var caKeys = material.Certificates.Where(c => c.Spec.IsCa).Select(c => PemBody(c.KeyPem)).ToList();
            Assert.Equal(3, caKeys.Count);
            var texts = f.Spec.Nodes.SelectMany(n => Directory.EnumerateFiles(f.NodeTree(n.Name), "*", SearchOption.AllDirectories)).SelectMany(Expand).ToList();
            Assert.NotEmpty(texts);
            Assert.All(caKeys, key => Assert.DoesNotContain(texts, t => t.Contains(key, StringComparison.Ordinal)));
            Assert.All(f.Spec.Nodes, n => Assert.False(File.Exists(Path.Combine(f.NodeTree(n.Name), "pki/ca.key"))));

            // while with the default, the cluster CA key (and only that CA key) reaches the control-plane nodes
            f.Spec = f.Spec with { Pki = f.Spec.Pki with { CaKeyOnNodes = true } };
            var again = f.Run();
            Assert.Equal(PemBody(material.ClusterCa.KeyPem), PemBody(File.ReadAllText(Path.Combine(f.NodeTree("k8s-01"), "pki/ca.key"))));
            var all = f.Spec.Nodes.SelectMany(n => Directory.EnumerateFiles(f.NodeTree(n.Name), "*", SearchOption.AllDirectories)).SelectMany(Expand).ToList();
            Assert.All(caKeys.Skip(1), key => Assert.DoesNotContain(all, t => t.Contains(key, StringComparison.Ordinal)));
            Assert.Equal("front-proxy-ca", material.Certificates[1].Spec.Name);
            Assert.True(again.Changes > 0);
        }

        [Fact]
        public void Should_Remove_Files_A_Node_No_Longer_Gets()
        {
            // Given
            using var f = new PkiFixture();
            f.Run();
            Assert.True(File.Exists(Path.Combine(f.NodeTree("k8s-03"), "pki/apiserver.key")));

            // When: k8s-03 becomes a worker only
            f.Spec = f.Spec with { Nodes = [.. f.Spec.Nodes.Take(2), PkiFixture.Node("k8s-03", "127.0.1.3", NodeRole.Worker)] };
            f.Run();

            // Then
            Assert.False(File.Exists(Path.Combine(f.NodeTree("k8s-03"), "pki/apiserver.key")));
            Assert.False(File.Exists(Path.Combine(f.NodeTree("k8s-03"), "etc/kubernetes/admin.conf")));
            Assert.True(File.Exists(Path.Combine(f.NodeTree("k8s-03"), "etc/kubernetes/kubelet.conf")));
        }
    }

    public sealed class TheEncryptionConfiguration
    {
        [Fact]
        public void Should_Hold_The_32_Byte_Key_From_State_With_Identity_Last_On_Every_Control_Plane_Node()
        {
            // Given
            using var f = new PkiFixture();

            // When
            f.Run();

            // Then
            var stateKey = Convert.FromBase64String(File.ReadAllText(Path.Combine(f.StateDir, "secrets/encryption-key")).Trim());
            Assert.Equal(32, stateKey.Length);
            foreach (var node in f.Spec.Nodes)
            {
                var yaml = File.ReadAllText(Path.Combine(f.NodeTree(node.Name), "etc/kubernetes/encryption-config.yaml"));
                var doc = new YamlDotNet.RepresentationModel.YamlStream();
                doc.Load(new StringReader(yaml));
                var root = (YamlDotNet.RepresentationModel.YamlMappingNode)doc.Documents[0].RootNode;
                Assert.Equal("apiserver.config.k8s.io/v1", root["apiVersion"].ToString());
                Assert.Equal("EncryptionConfiguration", root["kind"].ToString());
                var resource = (YamlDotNet.RepresentationModel.YamlMappingNode)((YamlDotNet.RepresentationModel.YamlSequenceNode)root["resources"])[0];
                Assert.Equal("secrets", ((YamlDotNet.RepresentationModel.YamlSequenceNode)resource["resources"])[0].ToString());
                var providers = (YamlDotNet.RepresentationModel.YamlSequenceNode)resource["providers"];
                var secretbox = (YamlDotNet.RepresentationModel.YamlMappingNode)((YamlDotNet.RepresentationModel.YamlMappingNode)providers[0])["secretbox"];
                var key = (YamlDotNet.RepresentationModel.YamlMappingNode)((YamlDotNet.RepresentationModel.YamlSequenceNode)secretbox["keys"])[0];
                Assert.Equal(stateKey, Convert.FromBase64String(key["secret"].ToString()));
                Assert.True(((YamlDotNet.RepresentationModel.YamlMappingNode)providers[1]).Children.ContainsKey("identity"));
            }
        }
    }

    public sealed class ThePkiTask
    {
        [Fact]
        public void Should_Build_The_Example_Cluster_Twice_Without_Logging_Any_Secret()
        {
            // Given: the repository's cluster.yaml, state and artifacts in a temp directory
            using var dir = new TempDirectory("kag-pki-task");
            string[] args =
            [
                "--target=Pki", "--verbosity=diagnostic", $"--working={Repo.Root}", $"--cluster={Repo.File("cluster.yaml")}", $"--pins={Repo.File("pins.yaml")}",
                $"--paths_state={dir.Combine("state")}", $"--paths_artifacts={dir.Combine("artifacts")}",
            ];
            var host = Path.Combine(AppContext.BaseDirectory, "Build");
            var env = new Dictionary<string, string> { ["NO_COLOR"] = "1" };

            // When
            var first = Cmd.Run(host, args, Repo.Root, env).EnsureSuccess("Pki task");
            var second = Cmd.Run(host, args, Repo.Root, env).EnsureSuccess("Pki task, again");

            // Then
            Assert.Contains("PKI of demo: 25 certificate(s) (25 created", first.Stdout, StringComparison.Ordinal);
            Assert.Contains("(0 created, 0 re-issued, 0 imported, 25 reused)", second.Stdout, StringComparison.Ordinal);
            Assert.Contains("0 node file(s) changed", second.Stdout, StringComparison.Ordinal);
            Assert.Contains("apiserver: created", first.Stdout, StringComparison.Ordinal);
            var secrets = Directory.EnumerateFiles(dir.Combine("state"), "*", SearchOption.AllDirectories)
                .Where(p => File.GetUnixFileMode(p) == (UnixFileMode.UserRead | UnixFileMode.UserWrite))
                .SelectMany(p => SecretFragments(File.ReadAllText(p)))
                .ToList();
            Assert.True(secrets.Count > 25, $"found only {secrets.Count} secret fragments");
            var log = first.Output + second.Output;
            Assert.DoesNotContain("PRIVATE KEY", log, StringComparison.Ordinal);
            Assert.All(secrets, s => Assert.DoesNotContain(s, log, StringComparison.Ordinal));
            Assert.True(File.Exists(dir.Combine("artifacts", "demo", PkiBuild.ManifestName)));
        }
    }

    private static List<string> Files(PkiFixture f, string node)
    {
        var root = f.NodeTree(node);
        return Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Select(p => Path.GetRelativePath(root, p)).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>The base64 body of a PEM block, on one line.</summary>
    private static string PemBody(string pem) =>
        string.Concat(pem.Split('\n').Where(l => l.Length > 0 && !l.StartsWith("-----", StringComparison.Ordinal)));

    /// <summary>A file's text, plus its PEM bodies on one line, plus whatever a kubeconfig's *-data fields decode to.</summary>
    private static IEnumerable<string> Expand(string path)
    {
        var text = File.ReadAllText(path);
        yield return PemBody(text);
        foreach (Match m in DataField().Matches(text))
        {
            yield return PemBody(Encoding.ASCII.GetString(Convert.FromBase64String(m.Groups[1].Value)));
        }
    }

    /// <summary>Substrings of a secret file that must never appear in a log: 40-character slices of each base64 line.</summary>
    private static IEnumerable<string> SecretFragments(string text) =>
        text.Split('\n').Where(l => l.Length >= 40 && !l.StartsWith("-----", StringComparison.Ordinal) && !l.Contains(':', StringComparison.Ordinal)).Select(l => l[..40])
            .Concat(DataField().Matches(text).Select(m => m.Groups[1].Value[..40]));

    [GeneratedRegex(@"-data: ([A-Za-z0-9+/=]+)")]
    private static partial Regex DataField();
}
