using KubeAirgap.Cluster;
using KubeAirgap.Layout;
using KubeAirgap.Pins;

namespace KubeAirgap.Render;

/// <summary>One node's rendered files, not yet written.</summary>
public sealed record RenderedNode(NodeSpec Node, IReadOnlyList<RenderedFile> Files);

/// <summary>One node's tree after writing: how many files it has and how many were created or changed.</summary>
public sealed record WrittenNode(NodeSpec Node, string Tree, IReadOnlyList<RenderedFile> Files, int Changed);

/// <summary>
/// The Render stage for a whole cluster: every node is rendered first (each control-plane node patches the Calico
/// manifest its payload staged), and only then written, so a template error leaves no node tree half-updated.
/// </summary>
public sealed class ClusterRenderer(ClusterSpec spec, PinsFile pins, RenderOptions options, Func<PayloadKey, string> payloadDir)
{
    public RenderedCluster Render() =>
        new(spec.Nodes.Select(node => new RenderedNode(node, new NodeRenderer(spec, pins, OptionsFor(node)).Render(node))).ToList());

    private RenderOptions OptionsFor(NodeSpec node) =>
        options with { CalicoManifest = Path.Combine(payloadDir(PayloadKey.Of(node)), FileCatalog.CalicoOutput) };
}

/// <summary>Every node of the cluster rendered; <see cref="Write"/> puts them into their trees.</summary>
public sealed record RenderedCluster(IReadOnlyList<RenderedNode> Nodes)
{
    public IReadOnlyList<WrittenNode> Write(Func<string, string> nodeTree) =>
        Nodes.Select(n =>
        {
            var tree = nodeTree(n.Node.Name);
            return new WrittenNode(n.Node, tree, n.Files, TreeWriter.Write(tree, n.Files));
        }).ToList();
}
