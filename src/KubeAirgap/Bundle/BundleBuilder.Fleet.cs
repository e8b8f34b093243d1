using KubeAirgap.Bundle.Tar;
using KubeAirgap.Layout;

namespace KubeAirgap.Bundle;

public static partial class BundleBuilder
{
    /// <summary>The fleet layout's payload tarballs by payload key, and how many bytes writing them took (0 when all were current).</summary>
    private sealed record Fleet(IReadOnlyDictionary<string, PayloadArchive> Archives, long BytesWritten);

    /// <summary>
    /// Writes one payload tarball per key from its compressed member (<see cref="PayloadTarball"/>), before any node
    /// bundle: their sha256 is what each node's lib/layout.env and manifest.json pin. A payload tarball name that
    /// is also a node tarball's name is refused.
    /// </summary>
    private static Fleet FleetPayloads(BundleRequest request, IEnumerable<PayloadKey> keys, IReadOnlyDictionary<string, string> memberOf, PayloadMembers members, Content.FileDigestCache digests)
    {
        var spec = request.Spec;
        var nodeTarballs = spec.Nodes.ToDictionary(n => BundleRequest.TarballName(spec, n), n => n.Name, StringComparer.Ordinal);
        var archives = new System.Collections.Concurrent.ConcurrentDictionary<string, PayloadArchive>(StringComparer.Ordinal);
        long written = 0;
        var list = keys.ToList();
        foreach (var key in list)
        {
            var name = BundleRequest.PayloadTarballName(spec, key);
            if (nodeTarballs.TryGetValue(name, out var node))
            {
                throw new InvalidDataException($"node {node}: its tarball {name} has the name of the payload tarball of {key.Name}; rename the node in the inventory");
            }
        }

        Unwrapped(() => Parallel.ForEach(list, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, request.Parallelism) }, key =>
        {
            var output = Path.Combine(request.OutputDir, BundleRequest.PayloadTarballName(spec, key));
            var result = PayloadTarball.Write(output, key, BundleRequest.PayloadTopDir(spec, key), memberOf[key.Name], request.CompressionLevel, digests, members.Made(memberOf[key.Name]));
            archives[key.Name] = result.Archive;
            if (result.Written)
            {
                Interlocked.Add(ref written, result.Archive.Size);
            }
        }));

        return new Fleet(archives, written);
    }
}
