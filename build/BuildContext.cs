using Cake.Common;
using KubeAirgap.Cluster;
using KubeAirgap.Pins;

namespace Build;

/// <summary>
/// What every task needs: the command-line choices (<c>--cluster</c>, <c>--pins</c>, <c>--offline</c>), the
/// settings from cake.config (overridable by CAKE_SECTION_KEY and --section_key=value), and the paths.
/// The inventory and pins are loaded once, by Validate, and reused.
/// </summary>
public sealed class BuildContext : FrostingContext
{
    public BuildContext(ICakeContext context)
        : base(context)
    {
        Root = context.Environment.WorkingDirectory.FullPath;
        ClusterFile = System.IO.Path.GetFullPath(context.Argument("cluster", "cluster.yaml"), Root);
        PinsPath = System.IO.Path.GetFullPath(context.Argument("pins", "pins.yaml"), Root);
        Offline = context.HasArgument("offline") && context.Argument("offline", "true") != "false";
        Paths = new Paths(this);
    }

    /// <summary>The repository root (the working directory of build.sh).</summary>
    public string Root { get; }

    public string ClusterFile { get; }

    public string PinsPath { get; }

    /// <summary>--offline: use the cache alone; never touch the network.</summary>
    public bool Offline { get; }

    public Paths Paths { get; }

    public ClusterSpec? Cluster { get; set; }

    public PinsFile? Pins { get; set; }

    public ClusterTopology Topology => new(Cluster ?? throw new InvalidOperationException("Validate has not run: no inventory loaded"));

    /// <summary>A setting from cake.config (<c>[Section] Key=value</c>), or <paramref name="fallback"/>.</summary>
    public string Setting(string section, string key, string fallback)
    {
        var value = Configuration.GetValue($"{section}_{key}");
        return string.IsNullOrWhiteSpace(value) ? fallback : value.Trim();
    }

    public int Setting(string section, string key, int fallback) =>
        int.TryParse(Setting(section, key, string.Empty), out var value) ? value : fallback;

    public bool Setting(string section, string key, bool fallback) =>
        Setting(section, key, string.Empty).ToLowerInvariant() switch
        {
            "true" or "yes" or "1" => true,
            "false" or "no" or "0" => false,
            _ => fallback,
        };
}
