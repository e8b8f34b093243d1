using Cake.Frosting.Internal;

namespace Cake.Frosting;

/// <summary>
/// Entry point of a Frosting build: <c>new CakeHost().UseContext&lt;BuildContext&gt;().Run(args)</c>.
/// Mirrors Cake.Frosting's public surface over the real Cake.Core engine.
/// </summary>
public sealed class CakeHost
{
    internal HostOptions Options { get; } = new();

    /// <summary>Runs the target named on the command line; returns 0, or -1 after logging the failure.</summary>
    public int Run(IEnumerable<string> args) => new FrostingRunner(Options).Run(args.ToArray());
}
