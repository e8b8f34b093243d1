using KubeAirgap.Layout;
using KubeAirgap.Pki;
using KubeAirgap.Pki.Kubeconfig;
using KubeAirgap.Pki.Nodes;
using KubeAirgap.Pki.Table;

namespace KubeAirgap.Tests.Pki;

public sealed class CertTableTests
{
    public sealed class TheTables
    {
        [Fact]
        public void Should_List_Every_CA_Before_Any_Leaf()
        {
            // Given
            var rows = CertTable.All();

            // When
            var firstLeaf = rows.ToList().FindIndex(r => !r.IsCa);
            var lastCa = rows.ToList().FindLastIndex(r => r.IsCa);

            // Then
            Assert.Equal(3, rows.Count(r => r.IsCa));
            Assert.True(lastCa < firstLeaf, $"CA at {lastCa} after leaf at {firstLeaf}");
            var ordered = PkiEngine.Tree().InIssueOrder.ToList();
            Assert.All(ordered.Where(r => !r.IsCa), leaf =>
                Assert.True(ordered.FindIndex(r => r.Name == leaf.CaName) < ordered.IndexOf(leaf), $"{leaf.Name} precedes its CA"));
        }

        [Fact]
        public void Should_Resolve_Every_CaName_To_A_CA()
        {
            // Given
            var tree = PkiEngine.Tree();

            // Then
            Assert.All(tree.Leaves, leaf => Assert.Contains(tree.Cas, ca => ca.Name == leaf.CaName));
            Assert.Equal(tree.Leaves.Count, tree.Cas.Sum(ca => tree.LeavesOf(ca.Name).Count()));
        }

        [Fact]
        public void Should_Reject_A_Leaf_Naming_An_Unknown_CA()
        {
            // Given
            var rows = CertTable.All().Append(CertTable.ApiServer() with { Name = "stray", BaseName = "stray", CaName = "no-such-ca" });

            // When
            var e = Assert.Throws<InvalidOperationException>(() => CertTree.Build(rows));

            // Then
            Assert.Contains("'stray' names unknown CA 'no-such-ca'", e.Message, StringComparison.Ordinal);
        }

        [Fact]
        public void Should_Reject_Duplicate_Names_And_Files()
        {
            Assert.Contains("appears 2 times", Assert.Throws<InvalidOperationException>(() => CertTree.Build(CertTable.All().Append(CertTable.ApiServer()))).Message, StringComparison.Ordinal);
            Assert.Contains("file 'apiserver'", Assert.Throws<InvalidOperationException>(() =>
                CertTree.Build(CertTable.All().Append(CertTable.ApiServer() with { Name = "other" }))).Message, StringComparison.Ordinal);
        }

        [Fact]
        public void Should_Return_Fresh_Records()
        {
            Assert.NotSame(CertTable.RootCa(), CertTable.RootCa());
            Assert.Equal(CertTable.RootCa(), CertTable.RootCa());
        }

        [Fact]
        public void Should_Give_Every_Leaf_Travelling_To_Nodes_A_Node_Path_From_NodeLayout()
        {
            var layout = typeof(NodeLayout).GetFields().Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!).ToHashSet();
            foreach (var row in CertTable.All())
            {
                Assert.Contains(row.NodeCertPath!, layout);
                Assert.Contains(row.NodeKeyPath!, layout);
            }

            Assert.All(KubeconfigTable.All(), k => Assert.Contains(k.NodePath, layout));
        }

        [Fact]
        public void Should_Map_Bundle_Paths_Back_To_The_Node_Paths()
        {
            var layout = new NodeLayout(new KubeAirgap.Cluster.ClusterSpec { Name = "x", KubernetesVersion = "1.36.3" });
            foreach (var path in new[] { NodeLayout.CaCert, NodeLayout.EtcdServerKey, NodeLayout.AdminKubeconfig, NodeLayout.EncryptionConfig })
            {
                var bundle = NodeFile.BundlePathOf(path);
                Assert.Equal(path, layout.NodePathOf(bundle));
            }

            Assert.Equal("pki/etcd/ca.crt", NodeFile.BundlePathOf(NodeLayout.EtcdCaCert));
            Assert.Equal("etc/kubernetes/kubelet.conf", NodeFile.BundlePathOf(NodeLayout.KubeletKubeconfig));
        }
    }
}
