using Build.Settings;
using Cake.Common;
using KubeAirgap.Cluster;
using KubeAirgap.Pins;

namespace Build;

/// <summary>
/// What every task needs: the command-line choices (<c>--cluster</c>, <c>--pins</c>, <c>--offline</c>,
/// <c>--allow_unpinned_images</c>), the settings from cake.config, one class per section, each parsed once
/// (overridable by CAKE_SECTION_KEY and --section_key=value), and the paths.
/// The inventory and pins are loaded once, by Validate, and reused.
/// </summary>
public sealed class BuildContext : FrostingContext
{
    public BuildContext(ICakeContext context)
        : base(context)
    {
        Root = context.Environment.WorkingDirectory.FullPath;
        ClusterFileAsGiven = context.Argument("cluster", "cluster.yaml");
        PinsPathAsGiven = context.Argument("pins", "pins.yaml");
        ClusterFile = System.IO.Path.GetFullPath(ClusterFileAsGiven, Root);
        PinsPath = System.IO.Path.GetFullPath(PinsPathAsGiven, Root);
        Offline = Switch(context, "offline");
        AllowUnpinnedImages = Switch(context, "allow_unpinned_images");
        Settings = new BuildSettings(context.Configuration, Root);
        Paths = new Paths(Root, Settings.Paths);
    }

    /// <summary>The repository root (the working directory of build.sh).</summary>
    public string Root { get; }

    public string ClusterFile { get; }

    public string PinsPath { get; }

    /// <summary>--cluster and --pins as the user wrote them: diagnostics name the files that way.</summary>
    public string ClusterFileAsGiven { get; }

    public string PinsPathAsGiven { get; }

    /// <summary>--offline: use the cache alone; never touch the network.</summary>
    public bool Offline { get; }

    /// <summary>--allow_unpinned_images: build with images that have no digest (the bundle says so).</summary>
    public bool AllowUnpinnedImages { get; }

    /// <summary>cake.config, one settings class per section.</summary>
    public BuildSettings Settings { get; }

    public Paths Paths { get; }

    /// <summary>The validated inventory: set by Validate, or loaded (and validated) on first use when a task runs alone (--exclusive).</summary>
    public ClusterSpec Cluster
    {
        get => _cluster ?? LoadValidated().Cluster;
        set => _cluster = value;
    }

    /// <summary>The pins file: set by Validate, or loaded with the inventory on first use.</summary>
    public PinsFile Pins
    {
        get => _pins ?? LoadValidated().Pins;
        set => _pins = value;
    }

    public ClusterTopology Topology => new(Cluster);

    private ClusterSpec? _cluster;
    private PinsFile? _pins;

    private (ClusterSpec Cluster, PinsFile Pins) LoadValidated()
    {
        var result = InventoryValidation.Run(ClusterFile, PinsPath, ClusterFileAsGiven, PinsPathAsGiven);
        result.Diagnostics.ThrowIfErrors("Validation failed");
        _cluster = result.Cluster!;
        _pins = result.Pins!;
        return (_cluster, _pins);
    }

    /// <summary>A project switch: <c>--name</c> alone or <c>--name=true</c> is on, <c>--name=false</c> off.</summary>
    private static bool Switch(ICakeContext context, string name) =>
        context.HasArgument(name) && !string.Equals(context.Argument(name, "true"), "false", StringComparison.OrdinalIgnoreCase);
}
