using System.Security.Cryptography;
using System.Text.Json;
using System.Text;
using KubeAirgap.Bundle.Manifests;
using KubeAirgap.Bundle.Tar;
using KubeAirgap.Cluster;
using KubeAirgap.Content;
using KubeAirgap.Layout;
using KubeAirgap.Pins;
using KubeAirgap.Render.Versions;
using KubeAirgap.Roles;

namespace KubeAirgap.Bundle;

/// <summary>
/// Builds every node's tarball: the shared payload of each <see cref="PayloadKey"/> (bin/, images/) hashed and
/// compressed once into the gzip member every tarball of that key starts with, then per node its own tree, the installer, lib/layout.env, lib/files.tsv, manifest.json and
/// SHA256SUMS (+ its signature); then SHA256SUMS (+ signature), bundle-manifest.json and the SBOM for the set, the
/// public key and verify-bundle.sh beside the tarballs.
/// </summary>
public static partial class BundleBuilder
{
    public sealed record Result(BundleSetManifest Manifest, IReadOnlyList<NodeTarball.Result> Tarballs, int PayloadsCompressed, long BytesWritten, int TarballsKept)
    {
        /// <summary>Which existing nodes need an update bundle and why, against the previous bundle-manifest.json.</summary>
        public Day2.NodeChanges.Report Changes { get; init; } = new([], [], [], []);

        /// <summary>The fleet layout's payload tarballs (empty in the self-contained layout).</summary>
        public IReadOnlyList<PayloadArchive> Payloads { get; init; } = [];

        /// <summary>How many input and output files were read to hash them, and how many the file digest cache answered.</summary>
        public FileReads Reads { get; init; } = new(0, 0, 0);

        /// <summary>What the operator should know but that did not stop the build (e.g. a damaged file digest cache).</summary>
        public IReadOnlyList<string> Warnings { get; init; } = [];
    }

    /// <param name="FilesRead">files read to compute their sha256 (or a fact from their bytes).</param>
    /// <param name="FilesReused">lookups the file digest cache answered: the file is unchanged since a build read it.</param>
    public sealed record FileReads(int FilesRead, long BytesRead, int FilesReused)
    {
        public static FileReads Of(FileDigestCache digests) => new(digests.FilesRead, digests.BytesRead, digests.FilesReused);
    }

    /// <summary>The node tree's top-level folders that are bundled (everything else there is an error).</summary>
    public static readonly IReadOnlyList<string> NodeTreeDirs = ["addons", "etc", "pki", "var"];

    public static Result Build(BundleRequest request)
    {
        var spec = request.Spec;
        var warnings = new List<string>();
        var digests = request.DigestCacheFile is { } cacheFile ? FileDigestCache.Load(cacheFile, warnings.Add) : FileDigestCache.None();
        var payloads = PayloadKey.AllOf(spec).ToDictionary(k => k.Name, k => Payload.Load(request.PayloadDir(k.Name), k, digests), StringComparer.Ordinal);
        var refused = payloads.Values.SelectMany(p => PayloadProblems(request, p).Select(problem => $"payload {p.Key.Name}: {problem}")).ToList();
        if (refused.Count > 0)
        {
            throw new InvalidDataException($"Bundle refuses {refused.Count} staged file(s) that pins.yaml does not vouch for:\n  {string.Join("\n  ", refused)}");
        }

        OutputDirectory.Create(request.OutputDir);
        var clash = spec.Nodes.Select(n => BundleRequest.TopDir(spec, n)).Intersect(payloads.Values.Select(p => BundleRequest.PayloadTopDir(spec, p.Key)), StringComparer.Ordinal).FirstOrDefault();
        if (clash is not null)
        {
            throw new InvalidDataException($"node directory {clash} has the name of a shared payload directory; rename the node in the inventory");
        }

        var payloadMembers = new PayloadMembers(request.PayloadCacheDir, request.CompressionLevel, request.SourceDateEpoch, Math.Max(1, request.Parallelism));
        var memberOf = new System.Collections.Concurrent.ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        Unwrapped(() => Parallel.ForEach(payloads.Values, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, request.Parallelism) },
            p => memberOf[p.Key.Name] = payloadMembers.MemberFor(BundleRequest.PayloadTopDir(spec, p.Key), p.Entries)));
        var installer = InstallerEntries(request.InstallerDir);
        var fleet = request.Layout == BundleLayout.Fleet ? FleetPayloads(request, payloads.Values.Select(p => p.Key), memberOf, payloadMembers, digests) : null;

        // a test bundle when Render recorded a relaxed check, or when the pins are below the supported range (a missing record)
        var stamp = TestBundleStamp.Union(KubeAirgap.Render.RenderRecord.Read(request.OutputDir)?.TestBundle, TestBundleStamp.Of(KubeAirgap.Render.Model.ModelBuilder.Unsupported(spec, request.Pins)));
        var last = PreviousManifest(request);
        var previous = last?.Nodes.Where(n => n.Inputs is not null).ToDictionary(n => n.Bundle, StringComparer.Ordinal) ?? [];
        var members = request.Members ?? Day2.Membership.Next(last?.Members, last?.ToWorld(), spec);
        var changes = Day2.NodeChanges.Of(last?.ToWorld(), Day2.NodeChanges.World.Of(spec, members));
        var kept = 0;
        var results = new NodeTarball.Result[spec.Nodes.Count];
        var nodes = new BundleNode[spec.Nodes.Count];
        Unwrapped(() => Parallel.For(0, spec.Nodes.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, request.Parallelism) }, i =>
        {
            var node = spec.Nodes[i];
            var key = PayloadKey.Of(node);
            var pin = fleet?.Archives[key.Name];
            var content = NodeContent.Collect(request, node, payloads[key.Name], installer, members, pin, stamp, digests);
            var output = Path.Combine(request.OutputDir, BundleRequest.TarballName(spec, node));
            var top = BundleRequest.TopDir(spec, node);
            var payloadTop = BundleRequest.PayloadTopDir(spec, key);
            var inputs = Fingerprint(content.Entries, top, payloadTop, request, fleet is null ? null : pin!.Bundle);
            if (previous.TryGetValue(Path.GetFileName(output), out var old) && old.Inputs == inputs && File.Exists(output) && digests.Sha256(output) == old.Sha256)
            {
                OutputDirectory.SetMode(output, content.Entries.Any(e => e.Secret) ? OutputDirectory.Secret : OutputDirectory.Public);
                results[i] = new NodeTarball.Result(output, new FileInfo(output).Length, old.Sha256, 0, 0);
                Interlocked.Increment(ref kept);
            }
            else
            {
                results[i] = NodeTarball.Write(output, top, payloadTop, fleet is null ? memberOf[key.Name] : null, content.Entries, request.SourceDateEpoch, payloadMembers);
                digests.Record(output, results[i].Sha256);
            }

            nodes[i] = new BundleNode(
                node.Name, node.Ip, node.Arch, content.Manifest.Roles, content.Manifest.PayloadKey,
                Path.GetFileName(output), results[i].Sha256, results[i].Size, content.Manifest.Images,
                content.Manifest.KubeNginx.Glibc, inputs, content.Entries.Select(e => content.Describe(e)).OrderBy(f => f.Path, StringComparer.Ordinal).ToList());
        }));

        var manifest = new BundleSetManifest(
            1, spec.Name, spec.KubernetesVersion, Versions(spec, request.Pins, spec.Nodes.SelectMany(n => n.Roles).Distinct()),
            spec.Pki.CaKeyOnNodes, request.SourceDateEpoch, nodes, CaFingerprint(request), request.PkiRenewal, members,
            request.Layout.Name(), fleet?.Archives.Values.OrderBy(a => a.Bundle, StringComparer.Ordinal).ToList() ?? [], stamp);
        var manifestBytes = JsonFile.Serialize(manifest);
        AtomicFile.WriteIfChanged(Path.Combine(request.OutputDir, BundleRequest.ManifestName), manifestBytes);
        var sbom = Sbom.Render(spec, request.Pins, request.SourceDateEpoch, stamp);
        AtomicFile.WriteIfChanged(Path.Combine(request.OutputDir, BundleRequest.SbomName), sbom);

        var sums = Sha256Sums.Render(
            results.Select(r => (Path.GetFileName(r.Path), r.Sha256))
                .Concat(manifest.Payloads!.Select(a => (a.Bundle, a.Sha256)))
                .Append((BundleRequest.ManifestName, Sha256Hex.Of(manifestBytes)))
                .Append((BundleRequest.SbomName, Sha256Hex.Of(sbom))));
        OutputDirectory.WriteAtomic(Path.Combine(request.OutputDir, BundleRequest.SumsName), sums, OutputDirectory.Public);
        var signer = request.SignerOrThrow;
        OutputDirectory.WriteAtomic(Path.Combine(request.OutputDir, BundleRequest.SumsName + ".sig"), signer.Sign(sums), OutputDirectory.Public);
        OutputDirectory.WriteAtomic(Path.Combine(request.OutputDir, BundleRequest.PublicKeyName(spec)), Encoding.ASCII.GetBytes(signer.PublicKeyPem()), OutputDirectory.Public);
        OutputDirectory.WriteAtomic(Path.Combine(request.OutputDir, BundleRequest.VerifyScriptName), VerifyScript(), OutputDirectory.PublicExecutable);

        RemoveStale(request, results.Select(r => Path.GetFileName(r.Path)).Concat(manifest.Payloads!.Select(a => a.Bundle)));
        var written = results.Where(r => r.NodeMemberLength > 0).Sum(r => r.Size) + (fleet?.BytesWritten ?? 0);
        digests.Save();
        return new Result(manifest, results, payloadMembers.Compressed, written, kept)
        {
            Changes = changes, Payloads = manifest.Payloads!, Reads = FileReads.Of(digests), Warnings = warnings,
        };
    }

    /// <summary>
    /// Every staged file of <paramref name="payload"/> checked against its pin (<see cref="PayloadLedger"/>) and every
    /// ELF binary against the payload's arch: the pins are the only source of truth up to the tarball.
    /// </summary>
    public static IReadOnlyList<string> PayloadProblems(BundleRequest request, Payload payload)
    {
        var files = payload.Entries.ToDictionary(e => e.Path, e => e.Sha256, StringComparer.Ordinal);
        var problems = PayloadLedger.Problems(files, PayloadLedger.Read(payload.Dir), PayloadLedger.Expected(request.Pins, request.Spec.KubernetesVersion, payload.Key), PayloadLedger.KubeNginxSha256(payload.Dir)).ToList();
        problems.AddRange(payload.Entries.Select(e => ElfArch.Mismatch(e.Path, e.Source!, payload.Key.Arch)).OfType<string>());
        return problems;
    }

    /// <summary>Component versions from the pins release, for the given roles (sorted by name).</summary>
    public static IReadOnlyDictionary<string, string> Versions(ClusterSpec spec, PinsFile pins, IEnumerable<NodeRole> roles)
    {
        var release = pins.ReleaseFor(spec.KubernetesVersion)
            ?? throw new InvalidDataException($"pins.yaml has no release for Kubernetes {spec.KubernetesVersion}");
        var versions = new SortedDictionary<string, string>(StringComparer.Ordinal) { ["kubernetes"] = spec.KubernetesVersion };
        foreach (var component in ComponentCatalog.ComponentsFor(roles))
        {
            if (release.VersionOf(component) is { } v)
            {
                versions[component] = v;
            }
        }

        return versions;
    }

    /// <summary>The last bundle-manifest.json in <paramref name="outputDir"/> (null when there is none or it is unreadable).</summary>
    public static BundleSetManifest? PreviousManifest(string outputDir)
    {
        var path = Path.Combine(outputDir, BundleRequest.ManifestName);
        try
        {
            return File.Exists(path) ? JsonFile.Read<BundleSetManifest>(path) : null;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    private static BundleSetManifest? PreviousManifest(BundleRequest request) => PreviousManifest(request.OutputDir);

    /// <summary>sha256 of every entry (path, mode, size, sha256), the node and payload directories, mtime and level: all a tarball's bytes depend on.</summary>
    private static string Fingerprint(IEnumerable<BundleEntry> entries, string top, string payloadTop, BundleRequest request, string? payloadTarball)
    {
        var text = new StringBuilder();
        text.Append("kube-airgap-tar-v3\n");
        if (payloadTarball is not null)
        {
            text.Append("fleet ").Append(payloadTarball).Append('\n');
        }

        text.Append(top).Append('\n').Append(payloadTop).Append('\n').Append(request.SourceDateEpoch).Append('\n').Append(request.CompressionLevel).Append('\n');
        foreach (var e in entries.OrderBy(e => e.Path, StringComparer.Ordinal))
        {
            text.Append(e.Path).Append(' ').Append(e.ModeText).Append(' ').Append(e.Size).Append(' ').Append(e.Sha256).Append(' ').Append(e.Shared ? 's' : 'n').Append('\n');
        }

        return Sha256Hex.OfText(text.ToString());
    }

    /// <summary>Runs a parallel loop and rethrows its first error as itself (the message names the file), not as an AggregateException.</summary>
    private static void Unwrapped(Action action)
    {
        try
        {
            action();
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.Flatten().InnerExceptions[0]).Throw();
        }
    }

    /// <summary>The cluster CA's fingerprint from the nodes' pki/ca.crt (all the same CA); null when none is a certificate.</summary>
    private static string? CaFingerprint(BundleRequest request) =>
        request.Spec.Nodes
            .Select(n => Path.Combine(request.NodeTreeDir(n.Name), "pki", "ca.crt"))
            .Where(File.Exists)
            .Select(p => Pki.ClusterIdentity.Fingerprint(File.ReadAllText(p)))
            .FirstOrDefault(f => f is not null);

    /// <summary>verify-bundle.sh, embedded from src/KubeAirgap/Bundle/Verification/verify-bundle.sh.</summary>
    public static byte[] VerifyScript()
    {
        using var stream = typeof(BundleBuilder).Assembly.GetManifestResourceStream("KubeAirgap.Bundle.verify-bundle.sh")
            ?? throw new InvalidOperationException("verify-bundle.sh is not embedded in the KubeAirgap assembly");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private static IReadOnlyList<BundleEntry> InstallerEntries(string dir)
    {
        var script = Path.Combine(dir, "install.sh");
        if (!File.Exists(script))
        {
            throw new FileNotFoundException($"installer {script} not found", script);
        }

        // The installer's modes are fixed here, not taken from the checkout (git does not keep 0644 vs 0600).
        return BundleEntry.Tree(dir, "lib", shared: false, rel => rel.EndsWith(".sh", StringComparison.Ordinal))
            .Select(e => e with { Mode = 0x1A4 })
            .Append(BundleEntry.FromFile("install.sh", script, shared: false) with { Mode = 0x1ED })
            .ToList();
    }

    private static void RemoveStale(BundleRequest request, IEnumerable<string> tarballs)
    {
        var keep = tarballs.ToHashSet(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(request.OutputDir, $"{request.Spec.Name}-*.tar.gz"))
        {
            if (!keep.Contains(Path.GetFileName(file)))
            {
                File.Delete(file);
            }
        }
    }

    /// <summary>The staged shared payload of one key: bin/ and images/ entries, plus meta/kube-nginx.json.</summary>
    public sealed record Payload(PayloadKey Key, string Dir, IReadOnlyList<BundleEntry> Entries, KubeNginxInfo KubeNginx, IReadOnlyList<string> Images)
    {
        /// <param name="digests">sha256 (and the verified image names) of files unchanged since a build read them; null: read every file.</param>
        public static Payload Load(string dir, PayloadKey key, FileDigestCache? digests = null)
        {
            digests ??= FileDigestCache.None();
            if (!Directory.Exists(Path.Combine(dir, "bin")))
            {
                throw new DirectoryNotFoundException($"payload {key.Name}: {dir}/bin does not exist (run Fetch and Images first)");
            }

            var entries = BundleEntry.Tree(dir, "bin", shared: true, digests: digests).Concat(BundleEntry.Tree(dir, "images", shared: true, digests: digests)).ToList();
            var archive = Path.Combine(dir, "images", "images.oci.tar");
            // the archive is the Images task's, vouched for by no pin: every blob must still hash to its name (a
            // swapped layer after staging is refused here, naming the blob), then its names are read; the cache
            // keeps the names only of an archive that passed, for as long as the file is unchanged
            var images = File.Exists(archive) ? VerifiedImageNames(archive, digests) : [];
            return new Payload(key, dir, entries, ReadKubeNginx(Path.Combine(dir, "meta", "kube-nginx.json")), images);
        }

        /// <summary>The <see cref="FileDigestCache"/> kind of an OCI archive's image names, recorded once every blob hashed to its name.</summary>
        public const string VerifiedImageNamesKind = "oci-verified-image-names";

        private static IReadOnlyList<string> VerifiedImageNames(string archive, FileDigestCache digests) =>
            digests.Value(archive, VerifiedImageNamesKind, stream => string.Join(' ', KubeAirgap.Images.Archive.OciArchiveContents.Read(stream, archive).Names.Keys.Order(StringComparer.Ordinal)))
                .Split(' ', StringSplitOptions.RemoveEmptyEntries);

        private static KubeNginxInfo ReadKubeNginx(string path)
        {
            if (!File.Exists(path))
            {
                return new KubeNginxInfo(null, null, null);
            }

            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            string? Get(string name) => doc.RootElement.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            return new KubeNginxInfo(Get("version"), Get("glibc"), Get("sha256"));
        }
    }

    private static string VersionDir(ClusterSpec spec, IEnumerable<BundleEntry> shared)
    {
        var text = new StringBuilder();
        foreach (var e in shared.Where(e => e.Path.StartsWith("bin/", StringComparison.Ordinal)).OrderBy(e => e.Path, StringComparer.Ordinal))
        {
            text.Append(e.Sha256).Append("  ").Append(e.Path).Append('\n');
        }

        return $"{spec.KubernetesVersion}-{Sha256Hex.OfText(text.ToString())[..12]}";
    }
}
