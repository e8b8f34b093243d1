using KubeAirgap.Fetch.Extract;
using KubeAirgap.Layout;
using KubeAirgap.Content;

namespace KubeAirgap.Fetch;

/// <summary>
/// Puts the fetched artifacts into each payload directory per their layout (<c>bin/etcd</c>, <c>bin/cni/bridge</c>,
/// <c>addons/calico.yaml</c>...); source artifacts get a <see cref="StagedSource"/> record instead. A payload whose
/// staged digests are unchanged (stamp file) is left alone, once every staged file is checked against the ledger
/// (<see cref="PayloadLedger"/>) written when it was staged: a changed or unaccounted file is refused.
/// </summary>
public static class Stager
{
    public const string StampFile = ".fetch-stamp";

    /// <returns>The payload keys that were (re)staged.</returns>
    public static IReadOnlyList<PayloadKey> Stage(FetchPlan plan, FetchResult result, Func<PayloadKey, string> payloadDirectory)
    {
        var staged = new List<PayloadKey>();
        foreach (var (key, items) in plan.ByPayload)
        {
            var directory = payloadDirectory(key);
            var stamp = string.Join('\n', items.Select(i => $"{i.Name} {i.Digest} {string.Join(';', i.Component.Layout.Files.Select(f => $"{f.MemberFor(i.Arch)}={f.Path}:{f.Mode}"))}").Order(StringComparer.Ordinal));
            var stampPath = Path.Combine(directory, StampFile);
            if (File.Exists(stampPath) && File.ReadAllText(stampPath) == stamp && AllPresent(items, directory) && File.Exists(PayloadLedger.FileOf(directory)))
            {
                PayloadLedger.Refuse(directory, Staged(items), key.Arch);
                continue;
            }

            Directory.CreateDirectory(directory);
            foreach (var item in items)
            {
                var fetched = result.Of(item);
                if (item.IsSource)
                {
                    StagedSource.From(fetched).Write(directory);
                }
                else
                {
                    ArchiveExtractor.Extract(fetched.Path, item.Component.Layout, item.Arch == Pins.PinsFile.NoArch ? key.Arch : item.Arch, directory, item.Name);
                }
            }

            PayloadLedger.Record(directory, Staged(items), key.Arch);
            AtomicFile.WriteIfChanged(stampPath, stamp);
            staged.Add(key);
        }

        return staged;
    }

    /// <summary>The artifacts whose files are staged (a source artifact gets a <see cref="StagedSource"/> record instead).</summary>
    private static IEnumerable<(Pins.Component Component, string Arch, Pins.Artifact Artifact)> Staged(IEnumerable<FetchItem> items) =>
        items.Where(i => !i.IsSource).Select(i => (i.Component, i.Arch, i.Artifact));

    private static bool AllPresent(IEnumerable<FetchItem> items, string directory) =>
        items.All(i => i.IsSource
            ? File.Exists(StagedSource.FileOf(directory, i.Component.Name))
            : i.Component.Layout.Files.All(f => File.Exists(Path.Combine(directory, f.Path))));
}
