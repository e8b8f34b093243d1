namespace Build;

/// <summary>Logs what the run works on; CI output stays plain (NO_COLOR) when stdout is redirected.</summary>
public sealed class BuildLifetime : FrostingLifetime<BuildContext>
{
    public override void Setup(BuildContext context, ISetupContext info)
    {
        context.Verbose("Working directory: {0}", context.Root);
        context.Verbose("Inventory: {0}; pins: {1}", context.ClusterFile, context.PinsPath);
        context.Verbose("Cache: {0}; artifacts: {1}; state: {2}", context.Paths.Cache, context.Paths.Artifacts, context.Paths.StateRoot);
    }

    public override void Teardown(BuildContext context, ITeardownContext info)
    {
        if (!info.Successful)
        {
            context.Verbose("Run failed: {0}", info.ThrownException?.Message ?? "unknown error");
        }
    }
}
