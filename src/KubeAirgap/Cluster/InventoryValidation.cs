using KubeAirgap.Diagnostics;
using KubeAirgap.Pins;

namespace KubeAirgap.Cluster;

/// <summary>Loads the inventory and the pins and runs every rule over both; nothing stops at the first problem.</summary>
public static class InventoryValidation
{
    public sealed record Result(ClusterSpec? Cluster, PinsFile? Pins, DiagnosticBag Diagnostics);

    /// <param name="clusterShown">the inventory path as the user gave it, for diagnostics (default: its file name)</param>
    /// <param name="pinsShown">the pins path as the user gave it, for diagnostics (default: its file name)</param>
    public static Result Run(string clusterPath, string pinsPath, string? clusterShown = null, string? pinsShown = null)
    {
        var diagnostics = new DiagnosticBag();
        var pins = PinsLoader.Load(pinsPath, diagnostics, pinsShown);
        var cluster = ClusterLoader.Load(clusterPath, diagnostics, clusterShown);
        if (cluster is not null)
        {
            diagnostics.AddRange(ClusterValidator.Validate(cluster, pins));
        }

        return new Result(cluster, pins, diagnostics);
    }
}
