using KubeAirgap.Cluster;
using KubeAirgap.Diagnostics;

namespace KubeAirgap.TestSupport.Harness;

/// <summary>
/// What the Demo and the Mirror target do for one inventory: the mirror content for every node arch it names, the
/// Kubernetes version whose fixtures the mirror serves, and the node the Demo installs into a --root tree.
/// </summary>
public sealed record DemoPlan(string InventoryPath, string ClusterName, string KubernetesVersion, IReadOnlyList<string> Arches, NodeSpec Node, int NodeCount)
{
    /// <summary>The arches as mirror.sh takes them: comma-separated, in a stable order.</summary>
    public string ArchList => string.Join(",", Arches);

    /// <summary>
    /// The plan for <paramref name="spec"/> (loaded from <paramref name="inventoryPath"/>): installs
    /// <paramref name="nodeName"/>, or by default the first node. An unknown node name is an error naming the nodes.
    /// </summary>
    public static DemoPlan For(ClusterSpec spec, string inventoryPath, string? nodeName)
    {
        if (spec.Nodes.Count == 0)
        {
            throw new InputException($"{inventoryPath}: the inventory has no nodes to install");
        }

        var node = nodeName is null ? spec.Nodes[0] : spec.Nodes.FirstOrDefault(n => n.Name == nodeName)
            ?? throw new InputException(
                $"--node={nodeName}: no such node in {inventoryPath} (nodes: {string.Join(", ", spec.Nodes.Select(n => n.Name))})"
                + Suggestion.DidYouMean(nodeName, spec.Nodes.Select(n => n.Name)));
        var arches = spec.Nodes.Select(n => n.Arch).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        return new DemoPlan(inventoryPath, spec.Name, spec.KubernetesVersion, arches, node, spec.Nodes.Count);
    }

    /// <summary>Loads and checks the inventory (structure and rules; the pins come from the mirror) and plans it.</summary>
    public static DemoPlan Load(string inventoryPath, string inventoryShown, string? nodeName)
    {
        var diagnostics = new DiagnosticBag();
        var spec = ClusterLoader.Load(inventoryPath, diagnostics, inventoryShown);
        if (spec is not null)
        {
            diagnostics.AddRange(ClusterValidator.Validate(spec));
        }

        diagnostics.ThrowIfErrors($"{inventoryShown} (the Demo's inventory)");
        return For(spec!, inventoryPath, nodeName);
    }
}
