using System.Globalization;
using KubeAirgap.Cluster;
using KubeAirgap.Diagnostics;
using KubeAirgap.Pki.Kubeconfig;
using KubeAirgap.Pki.Table;

namespace KubeAirgap.Pki;

/// <summary>
/// When the engine re-issues a leaf although it still matches its row: it expires within <c>pki.renewBeforeDays</c> of
/// <see cref="AsOf"/> (default: now), or the operator names it (<see cref="Forced"/>, kubeadm's <c>certs renew</c>).
/// <para>
/// <see cref="AsOf"/> is a clock override for the renewal decision only (<c>--pki_asof=2027-12-01</c>): "renew what
/// will be due by then", for a site that will be out of reach until that date, and how the tests move the clock.
/// New certificates are still issued now, so they are valid at once; the date is recorded in pki-files.json and
/// bundle-manifest.json. It may not be in the past (that would renew less than now does) nor later than a fresh
/// leaf covers (now + leafValidityDays - renewBeforeDays: every build would re-issue everything again).
/// </para>
/// </summary>
public sealed record RenewalPolicy(DateTimeOffset? AsOf, IReadOnlyList<string> Forced)
{
    public const string AllLeaves = "all";

    public static RenewalPolicy None { get; } = new(null, []);

    /// <summary>Reads <c>--pki_asof</c> (YYYY-MM-DD, or an ISO 8601 time; UTC unless an offset is given) and
    /// <c>--pki_renew</c> (<c>all</c> or comma-separated names); empty strings mean not set.</summary>
    public static RenewalPolicy Parse(string asOf, string renew)
    {
        DateTimeOffset? at = null;
        if (asOf.Trim().Length > 0)
        {
            if (!DateTimeOffset.TryParse(asOf.Trim(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
            {
                throw new InputException($"--pki_asof={asOf}: not a date (expected YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ, UTC)");
            }

            at = parsed;
        }

        var forced = renew.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct(StringComparer.Ordinal).ToList();
        return new RenewalPolicy(at, forced);
    }

    /// <summary>The time the renewal window is measured from.</summary>
    public DateTimeOffset WindowFrom(DateTimeOffset now) => AsOf ?? now;

    public bool ForcesAll => Forced.Contains(AllLeaves, StringComparer.Ordinal);

    /// <summary>Throws when <see cref="AsOf"/> is out of range or a forced name is no leaf of the table.</summary>
    public void Check(PkiSpec pki, CertTree tree, IReadOnlyList<NodeSpec> nodes, DateTimeOffset now)
    {
        if (AsOf is { } at)
        {
            var latest = now.AddDays(pki.LeafValidityDays - pki.RenewBeforeDays);
            if (at < now.AddMinutes(-1))
            {
                throw new InputException(string.Create(CultureInfo.InvariantCulture,
                    $"--pki_asof={at:yyyy-MM-dd HH:mm} UTC: is in the past (now {now:yyyy-MM-dd HH:mm} UTC); the renewal window is measured from now or a later date"));
            }

            if (at > latest)
            {
                throw new InputException(string.Create(CultureInfo.InvariantCulture,
                    $"--pki_asof={at:yyyy-MM-dd}: a leaf issued now ({pki.LeafValidityDays} days, pki.leafValidityDays) is itself within pki.renewBeforeDays ({pki.RenewBeforeDays}) " +
                    $"on that date, so every build would re-issue it again; the latest date is {latest:yyyy-MM-dd}"));
            }
        }

        var leaves = tree.Cas.SelectMany(ca => tree.LeavesOf(ca.Name)).ToList();
        foreach (var name in Forced.Where(n => n != AllLeaves))
        {
            var (row, node) = SplitLabel(name);
            if (tree.Cas.Any(c => c.Name == row))
            {
                throw new InputException($"--pki_renew={name}: '{row}' is a CA; CAs are not renewed (CA rotation: see docs/pki.md)");
            }

            var spec = leaves.FirstOrDefault(l => l.Name == RowOf(row));
            if (spec is null)
            {
                throw new InputException(
                    $"--pki_renew={name}: no such certificate; expected '{AllLeaves}' or one of: " +
                    string.Join(", ", leaves.Select(l => l.Name).Concat(KubeconfigTable.All().Select(k => k.FileName))) +
                    " (a per-node one also as name[node], e.g. etcd-server[" + (nodes.FirstOrDefault()?.Name ?? "node") + "])");
            }

            if (node is not null && (!spec.PerNode || nodes.All(n => n.Name != node)))
            {
                throw new InputException(spec.PerNode
                    ? $"--pki_renew={name}: no node '{node}' in the inventory"
                    : $"--pki_renew={name}: '{spec.Name}' is one certificate for the cluster, not per node; name it without [{node}]");
            }
        }
    }

    /// <summary>Whether the operator asked to renew this leaf (for this node).</summary>
    public bool Forces(CertSpec spec, NodeSpec? node) =>
        !spec.IsCa && (ForcesAll || Forced.Any(name =>
        {
            var (row, forNode) = SplitLabel(name);
            return RowOf(row) == spec.Name && (forNode is null || forNode == node?.Name);
        }));

    /// <summary>A kubeconfig's file name (admin.conf, as kubeadm names it) stands for its client certificate's row.</summary>
    private static string RowOf(string name) =>
        KubeconfigTable.All().FirstOrDefault(k => k.FileName == name) is { } k ? k.CertName : name;

    private static (string Row, string? Node) SplitLabel(string name)
    {
        var open = name.IndexOf('[', StringComparison.Ordinal);
        return open > 0 && name.EndsWith(']') ? (name[..open], name[(open + 1)..^1]) : (name, null);
    }
}
