using KubeAirgap.Diagnostics;
using KubeAirgap.Pins;

namespace KubeAirgap.Cluster;

/// <summary>Loads the inventory and the pins and runs every rule over both; nothing stops at the first problem.</summary>
public static class InventoryValidation
{
    public sealed record Result(ClusterSpec? Cluster, PinsFile? Pins, DiagnosticBag Diagnostics);

    public static Result Run(string clusterPath, string pinsPath)
    {
        var diagnostics = new DiagnosticBag();
        var pins = PinsLoader.Load(pinsPath, diagnostics);
        var cluster = ClusterLoader.Load(clusterPath, diagnostics);
        if (cluster is not null)
        {
            diagnostics.AddRange(ClusterValidator.Validate(cluster, pins));
        }

        return new Result(cluster, pins, diagnostics);
    }
}
