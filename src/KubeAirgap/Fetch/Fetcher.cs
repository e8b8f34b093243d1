using KubeAirgap.Content.Download;
using KubeAirgap.Fetch.Pgp;
using KubeAirgap.Content;

namespace KubeAirgap.Fetch;

/// <summary>
/// Fetches the artifacts of a <see cref="FetchPlan"/> into the cache, in parallel (bounded), through the mirrors, and
/// checks the OpenPGP signature of signed artifacts (the nginx source) against the keys named in pins.yaml.
/// Offline, it only looks in the cache and lists every missing artifact at once.
/// </summary>
public sealed class Fetcher(VerifiedDownloader downloader, MirrorMap mirrors, int parallelism, string pinsDirectory)
{
    public const string SignatureSuffix = "asc";

    public async Task<FetchResult> FetchAsync(FetchPlan plan, bool offline, IDownloadProgress? progress = null, CancellationToken cancellationToken = default)
    {
        progress ??= NullProgress.Instance;
        return offline ? FromCache(plan) : await DownloadAllAsync(plan, progress, cancellationToken).ConfigureAwait(false);
    }

    private FetchResult FromCache(FetchPlan plan)
    {
        var cache = downloader.Cache;
        var missing = new List<string>();
        var found = new List<FetchedArtifact>();
        foreach (var item in plan.Artifacts)
        {
            if (!cache.TryGet(item.Digest, out var path))
            {
                missing.Add($"{item.Component.Name} {item.Component.Version} {item.Arch}: {item.Artifact.Url} ({item.Digest})");
                continue;
            }

            var fetched = new FetchedArtifact(item, path, new FileInfo(path).Length, null);
            if (item.Artifact.Signature is not null)
            {
                var signature = cache.CompanionPathOf(item.Digest, SignatureSuffix);
                if (!File.Exists(signature))
                {
                    missing.Add($"{item.Component.Name} {item.Component.Version} {item.Arch}: signature {item.Artifact.Signature.Url}");
                    continue;
                }

                fetched = fetched with { SignaturePath = signature, Signer = VerifySignature(item, path, signature) };
            }

            found.Add(fetched);
        }

        return missing.Count > 0 ? throw new OfflineMissingException(missing) : new FetchResult(found);
    }

    private async Task<FetchResult> DownloadAllAsync(FetchPlan plan, IDownloadProgress progress, CancellationToken cancellationToken)
    {
        var results = new FetchedArtifact?[plan.Artifacts.Count];
        var failures = new List<Exception>();
        await Parallel.ForEachAsync(
            Enumerable.Range(0, plan.Artifacts.Count),
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, parallelism), CancellationToken = cancellationToken },
            async (i, ct) =>
            {
                try
                {
                    results[i] = await FetchOneAsync(plan.Artifacts[i], progress, ct).ConfigureAwait(false);
                }
                catch (Exception e) when (e is DownloadException or SignatureException or IOException)
                {
                    lock (failures)
                    {
                        failures.Add(e);
                    }
                }
            }).ConfigureAwait(false);

        if (failures.Count > 0 && downloader.Hosts.Unresolvable.Count > 0)
        {
            throw new NetworkUnavailableException(downloader.Hosts.Unresolvable, failures.Count, downloader.Cache.Root);
        }

        return failures.Count switch
        {
            0 => new FetchResult([.. results.Select(r => r!)]),
            1 => throw failures[0],
            _ => throw new FetchFailedException(failures),
        };
    }

    private async Task<FetchedArtifact> FetchOneAsync(FetchItem item, IDownloadProgress progress, CancellationToken cancellationToken)
    {
        var request = new DownloadRequest(item.Name, Candidates(item.Name, item.Artifact.Url), item.Digest);
        var result = await downloader.DownloadAsync(request, progress, cancellationToken).ConfigureAwait(false);
        var fetched = new FetchedArtifact(item, result.Path, result.Size, result.Source);
        if (item.Artifact.Signature is not { } signature)
        {
            return fetched;
        }

        var cache = downloader.Cache;
        var kept = cache.CompanionPathOf(item.Digest, SignatureSuffix);
        SignatureException? cachedRefused = null;
        if (File.Exists(kept))
        {
            try
            {
                return fetched with { SignaturePath = kept, Signer = VerifySignature(item, result.Path, kept) };
            }
            catch (SignatureException e)
            {
                // a kept signature is cache, not trust: the trusted keys may have changed since (a rotated key, a new
                // pins file). It is fetched again and must verify on its own; a refused one is never used.
                cachedRefused = e;
            }
        }

        // the signature's own digest is unknown: it is verified against the artifact before it is kept
        byte[] bytes;
        try
        {
            (bytes, _) = await downloader.GetSmallAsync($"{item.Name} signature", Candidates(item.Name, signature.Url), 64 * 1024,
                cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (DownloadException e) when (cachedRefused is not null)
        {
            throw new SignatureException($"{cachedRefused.Message}; fetching it again failed: {e.Message}", e);
        }

        var temp = Path.Combine(cache.EnsureDirectory(Path.Combine(cache.Root, "tmp")), $"sig-{Guid.NewGuid():N}.asc");
        try
        {
            await File.WriteAllBytesAsync(temp, bytes, cancellationToken).ConfigureAwait(false);
            var signer = VerifySignature(item, result.Path, temp);
            return fetched with { SignaturePath = cache.WriteCompanion(item.Digest, SignatureSuffix, bytes), Signer = signer };
        }
        finally
        {
            File.Delete(temp);
        }
    }

    private IReadOnlyList<Uri> Candidates(string name, string url)
    {
        var candidates = mirrors.Candidates(url);
        return candidates.Count > 0
            ? candidates
            : throw new DownloadException($"{name}: no [Mirrors] Map rule matches {url} and [Mirrors] Upstream=false forbids contacting it");
    }

    private PgpKeyInfo VerifySignature(FetchItem item, string path, string signature)
    {
        var keys = item.Artifact.Signature!.Keys.Select(k => Path.GetFullPath(k, pinsDirectory)).ToList();
        try
        {
            return PgpVerifier.Verify(path, signature, keys);
        }
        catch (SignatureException e)
        {
            throw new SignatureException($"{item.Name} from {item.Artifact.Url}: {e.Message}", e);
        }
    }
}
