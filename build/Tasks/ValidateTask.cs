using KubeAirgap.Cluster;
using KubeAirgap.Diagnostics;

namespace Build.Tasks;

[TaskName("Validate")]
[TaskDescription("Checks cluster.yaml and pins.yaml; reports every problem with file:line:column")]
public sealed class ValidateTask : FrostingTask<BuildContext>
{
    public override void Run(BuildContext context)
    {
        var result = InventoryValidation.Run(context.ClusterFile, context.PinsPath, context.ClusterFileAsGiven, context.PinsPathAsGiven);
        foreach (var warning in result.Diagnostics.Warnings)
        {
            context.Warning("{0}", warning);
        }

        foreach (var error in result.Diagnostics.Errors)
        {
            context.Error("{0}", error);
        }

        var errors = result.Diagnostics.Errors.Count();
        if (errors > 0)
        {
            throw new InputException($"Validation failed: {errors} error(s) in {context.ClusterFile} / {context.PinsPath} (listed above)");
        }

        context.Cluster = result.Cluster!;
        context.Pins = result.Pins!;
        var topology = context.Topology;
        context.Information(
            "Cluster {0}: Kubernetes {1}, {2} node(s) ({3} etcd, {4} control-plane, {5} worker), arch {6}",
            result.Cluster!.Name, result.Cluster.KubernetesVersion, result.Cluster.Nodes.Count,
            topology.EtcdNodes.Count, topology.ControlPlaneNodes.Count, topology.WorkerNodes.Count,
            string.Join("+", topology.Arches));
    }
}
