using System.Diagnostics;
using System.Globalization;
using KubeAirgap.Bundle.Manifests;
using KubeAirgap.Bundle.Tar;
using KubeAirgap.Bundle;
using KubeAirgap.Content;
using KubeAirgap.TestSupport.Synthetic;

namespace KubeAirgap.Bench.Bundle;

/// <summary>
/// What users live with when bundling (issue 17): the self-contained layout at a small and a large node count against
/// the naive way (one <c>tar czf</c> per node of the same files), the fleet layout at growing node counts (time and
/// bytes to carry), the payload member's compression against <c>gzip -6</c> and <c>sha256sum</c> over the same bytes,
/// a no-op rebuild (time and bytes written), and the peak RSS of a Bundle process (a child, so the figure is Bundle's
/// alone) for a small and a large payload. Every ratio is printed with its target, met or not. The rows are measured
/// side by side in one run; <see cref="Options.Rows"/> picks which (the heavy ones take minutes each on two cores).
/// </summary>
public static class BundleBenchmark
{
    /// <summary>The rows <see cref="Options.Rows"/> can name.</summary>
    public static readonly IReadOnlyList<string> AllRows = [SelfContainedRow, FleetRow, CompressionRow, NoOpRow, RssRow];

    public const string SelfContainedRow = "self-contained";
    public const string FleetRow = "fleet";
    public const string CompressionRow = "compression";
    public const string NoOpRow = "noop";
    public const string RssRow = "rss";

    /// <param name="PayloadMiB">synthetic payload per payload key: 1/3 binary-like, 2/3 image layers (gzip, incompressible).</param>
    /// <param name="NodeCounts">self-contained layout node counts (the first also gives the no-op and compression rows).</param>
    /// <param name="RssPayloadsMiB">payload sizes whose Bundle peak RSS is measured in a child process.</param>
    /// <param name="RunChild">starts a Bundle child process on a prepared directory (arguments: dir, node count, level, parallelism) and returns its stdout.</param>
    /// <param name="FleetNodeCounts">fleet layout node counts (one node with every role, the rest workers: the same two payload keys at every count).</param>
    /// <param name="Rows">which rows to measure (<see cref="AllRows"/>); null: all.</param>
    public sealed record Options(
        int PayloadMiB, IReadOnlyList<int> NodeCounts, IReadOnlyList<int> RssPayloadsMiB, int Level, int Parallelism,
        Func<string, int, int, int, string> RunChild, IReadOnlyList<int>? FleetNodeCounts = null, IReadOnlyCollection<string>? Rows = null)
    {
        public IReadOnlyList<int> Fleet => FleetNodeCounts ?? [3, 50, 200];

        public bool Measures(string row) => Rows is null || Rows.Contains(row, StringComparer.OrdinalIgnoreCase);

        /// <summary>Throws, naming it, on a row name that is not one of <see cref="AllRows"/>.</summary>
        public Options Checked()
        {
            var unknown = (Rows ?? []).Where(r => !AllRows.Contains(r, StringComparer.OrdinalIgnoreCase)).ToList();
            return unknown.Count == 0 ? this : throw new ArgumentException($"benchmark rows {string.Join(", ", unknown)}: not among {string.Join(", ", AllRows)}");
        }
    }

    public sealed record LayoutRow(int Nodes, double BundleSeconds, long BundleBytes, double NaiveSeconds, long NaiveBytes, int NaiveNodesTimed)
    {
        public double Speedup => NaiveSeconds / Math.Max(BundleSeconds, 1e-6);
    }

    /// <param name="CarryBytes">what crosses the gap: every payload tarball once plus every node tarball.</param>
    public sealed record FleetLayoutRow(int Nodes, int PayloadKeys, double BundleSeconds, long PayloadBytes, long CarryBytes, long LargestNodeTarball);

    /// <param name="Seconds">each no-op rebuild's time (the median is reported).</param>
    /// <param name="FilesRead">files the no-op rebuilds read to hash them (the rest the digest cache answered).</param>
    public sealed record NoOpMeasure(IReadOnlyList<double> Seconds, double ColdSeconds, long BytesWritten, int FilesRead, int FilesReused)
    {
        public double Median => Seconds.Order().ElementAt(Seconds.Count / 2);
    }

    public sealed record CompressionMeasure(double MemberSeconds, long MemberBytes, long RawBytes, double GzipSeconds, long GzipBytes, double Sha256Seconds);

    public sealed record Report(
        long PayloadBytes, IReadOnlyList<LayoutRow> Layout, IReadOnlyList<FleetLayoutRow> Fleet, NoOpMeasure? NoOp, CompressionMeasure? Compression,
        IReadOnlyList<(int PayloadMiB, long PeakRssKiB)> PeakRss);

    public static Report Run(string installerDir, Pins.PinsFile pins, Options options, Action<string> log)
    {
        options = options.Checked();
        var work = Directory.CreateTempSubdirectory("kag-bench-bundle-");
        try
        {
            var rows = new List<LayoutRow>();
            NoOpMeasure? noOp = null;
            CompressionMeasure? compression = null;
            long payloadBytes = 0;
            var layout = options.Measures(SelfContainedRow);
            IEnumerable<int> counts = layout ? options.NodeCounts : options.Measures(NoOpRow) || options.Measures(CompressionRow) ? options.NodeCounts.Take(1) : Array.Empty<int>();
            foreach (var count in counts)
            {
                var dir = Path.Combine(work.FullName, $"n{count}");
                var request = Prepare(dir, installerDir, pins, count, options.PayloadMiB, options.Level, options.Parallelism);
                payloadBytes = Math.Max(payloadBytes, PayloadKeyBytes(dir));
                var (seconds, result) = Timed(() => BundleBuilder.Build(request));
                var written = result.BytesWritten + DirectoryBytes(request.PayloadCacheDir);
                log($"{count} nodes: Bundle {seconds:0.00} s from cold, {result.PayloadsCompressed} payload member(s) compressed, {Size(written)} written, {result.Reads.FilesRead} files read ({Size(result.Reads.BytesRead)}) to hash them; payload member {NodeTarball.DescribePayloadCopies(result.Tarballs)}");
                if (count == options.NodeCounts[0] && options.Measures(NoOpRow))
                {
                    noOp = NoOp(dir, request, seconds, log);
                }

                if (count == options.NodeCounts[0] && options.Measures(CompressionRow))
                {
                    compression = Compression(dir, request, options, log);
                }

                if (layout)
                {
                    var (naive, naiveBytes, timed) = Naive(dir, request, options.Level);
                    log($"{count} nodes: naive tar czf {naive:0.00} s ({timed} of {count} nodes timed, the rest the same per payload key)");
                    rows.Add(new LayoutRow(count, seconds, written, naive, naiveBytes, timed));
                }

                Directory.Delete(dir, recursive: true);
            }

            IReadOnlyList<FleetLayoutRow> fleet = options.Measures(FleetRow) ? Fleet(Path.Combine(work.FullName, "fleet"), installerDir, pins, options, log) : Array.Empty<FleetLayoutRow>();
            var rss = new List<(int, long)>();
            foreach (var mib in options.Measures(RssRow) ? options.RssPayloadsMiB : Array.Empty<int>())
            {
                var dir = Path.Combine(work.FullName, $"rss{mib}");
                Prepare(dir, installerDir, pins, 3, mib, options.Level, options.Parallelism);
                var output = options.RunChild(dir, 3, options.Level, options.Parallelism);
                var line = output.Split('\n').LastOrDefault(l => l.Contains(PeakRssMarker, StringComparison.Ordinal))
                    ?? throw new InvalidOperationException($"the Bundle child printed no {PeakRssMarker} line:\n{output}");
                var kib = long.Parse(line[(line.IndexOf(PeakRssMarker, StringComparison.Ordinal) + PeakRssMarker.Length)..].Trim(), CultureInfo.InvariantCulture);
                log($"{mib} MiB payload: Bundle child peak RSS {kib / 1024} MiB ({output.Split('\n').FirstOrDefault(l => l.StartsWith("managed heap", StringComparison.Ordinal))?.Trim()})");
                rss.Add((mib, kib));
                Directory.Delete(dir, recursive: true);
            }

            return new Report(payloadBytes, rows, fleet, noOp, compression, rss);
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    /// <summary>The same build again, three times, nothing changed: median time against cold, and what any of them wrote
    /// (files new or replaced, or with other bytes or mtime, under the output, the inputs, the payload store and state/).</summary>
    private static NoOpMeasure NoOp(string dir, BundleRequest request, double cold, Action<string> log)
    {
        var before = Files(dir);
        var times = new List<double>();
        BundleBuilder.Result? last = null;
        for (var i = 0; i < 3; i++)
        {
            (var seconds, last) = Timed(() => BundleBuilder.Build(request));
            times.Add(seconds);
        }

        var written = Files(dir).Where(f => !before.Contains(f)).ToList();
        var bytes = written.Sum(f => f.Length);
        foreach (var f in written.Take(10))
        {
            log(string.Create(CultureInfo.InvariantCulture, $"no-op rebuild wrote {Path.GetRelativePath(dir, f.Path)} ({f.Length} bytes)"));
        }

        var row = new NoOpMeasure(times, cold, bytes, last!.Reads.FilesRead, last.Reads.FilesReused);
        log(string.Create(CultureInfo.InvariantCulture,
            $"no-op rebuild: {string.Join(", ", times.Select(t => t.ToString("0.000", CultureInfo.InvariantCulture)))} s, {bytes} bytes written, {row.FilesRead} files read to hash them, {row.FilesReused} answered by the digest cache"));
        return row;
    }

    /// <summary>
    /// The fleet layout from cold at each node count: one node with every role and the rest workers, so every count
    /// has the same two payload keys (the payload files are written once and shared; each count has its own node trees,
    /// output, payload member store and digest cache).
    /// </summary>
    private static IReadOnlyList<FleetLayoutRow> Fleet(string dir, string installerDir, Pins.PinsFile pins, Options options, Action<string> log)
    {
        string PayloadDir(string key) => Path.Combine(dir, "payload", key);
        var total = (long)options.PayloadMiB << 20;
        var shape = SyntheticInputs.Cluster("bench", 2, pins.Releases[0].Kubernetes, fullNodes: 1);
        var sealedPins = SyntheticInputs.WritePayloads(shape, pins, PayloadDir, total / 3 * 19 / 11, total - (total / 3));
        var rows = new List<FleetLayoutRow>();
        foreach (var count in options.Fleet)
        {
            var run = Path.Combine(dir, $"n{count}");
            var spec = SyntheticInputs.Cluster("bench", count, pins.Releases[0].Kubernetes, fullNodes: 1);
            foreach (var node in spec.Nodes)
            {
                SyntheticInputs.WriteNodeTree(spec, node, Path.Combine(run, "nodes", node.Name));
            }

            Thread.Sleep(FileDigestCache.RacyWindow);
            var request = new BundleRequest(spec, sealedPins, PayloadDir, node => Path.Combine(run, "nodes", node), installerDir, Path.Combine(run, "out"),
                Path.Combine(run, "payload-members"), 1700000000, options.Level, options.Parallelism, BundleSigner.Generate())
            {
                Layout = BundleLayout.Fleet,
                DigestCacheFile = Path.Combine(run, "state", "bundle-digests.tsv"),
            };
            var (seconds, result) = Timed(() => BundleBuilder.Build(request));
            var payload = result.Payloads.Sum(p => p.Size);
            var row = new FleetLayoutRow(count, result.Payloads.Count, seconds, payload, payload + result.Tarballs.Sum(t => t.Size), result.Tarballs.Max(t => t.Size));
            log($"fleet, {count} nodes: Bundle {seconds:0.00} s from cold, {row.PayloadKeys} payload tarball(s) {Size(payload)}, {Size(row.CarryBytes)} to carry, largest node tarball {Size(row.LargestNodeTarball)}");
            rows.Add(row);
            Directory.Delete(run, recursive: true);
        }

        return rows;
    }

    /// <summary>What the child prints last: its own VmHWM (peak resident set) in KiB.</summary>
    public const string PeakRssMarker = "bundle-peak-rss-kib=";

    /// <summary>The child's side: Bundle on the directory <see cref="Run"/> prepared, then its VmHWM.</summary>
    public static string RunChild(string dir, string installerDir, Pins.PinsFile pins, int nodes, int level, int parallelism)
    {
        var spec = SyntheticInputs.Cluster("bench", nodes, pins.Releases[0].Kubernetes);
        var sealedPins = SyntheticInputs.Seal(spec, pins, key => Path.Combine(dir, "payload", key));
        var result = BundleBuilder.Build(Request(dir, installerDir, spec, sealedPins, level, parallelism));
        var hwm = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        var kib = hwm["VmHWM:".Length..].Trim().Split(' ')[0];
        // where the memory is: the managed heap at its largest GC, everything allocated, how often each generation ran
        var gc = GC.GetGCMemoryInfo(GCKind.Any);
        var heap = string.Create(CultureInfo.InvariantCulture,
            $"managed heap {gc.HeapSizeBytes / (1 << 20)} MiB at the last GC, committed {gc.TotalCommittedBytes / (1 << 20)} MiB, {GC.GetTotalAllocatedBytes() / (1 << 20)} MiB allocated, GCs gen0/1/2 {GC.CollectionCount(0)}/{GC.CollectionCount(1)}/{GC.CollectionCount(2)}");
        var status = File.ReadLines("/proc/self/status").Where(l => l.StartsWith("RssAnon:", StringComparison.Ordinal) || l.StartsWith("RssFile:", StringComparison.Ordinal) || l.StartsWith("Threads:", StringComparison.Ordinal))
            .Select(l => string.Join(' ', l.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries)));
        heap += $"; at exit {string.Join(", ", status)}";
        return $"{result.Tarballs.Count} tarballs, {result.PayloadsCompressed} payload member(s) compressed\n{heap}\n{PeakRssMarker}{kib}";
    }

    public static IEnumerable<string> Render(Report r, Options options)
    {
        yield return string.Create(CultureInfo.InvariantCulture, $"synthetic payload: {Size(r.PayloadBytes)} per payload key (1/3 binary-like, 2/3 gzip'd image layers), gzip level {options.Level}, {options.Parallelism} worker(s), {Environment.ProcessorCount} core(s)");
        if (r.Layout.Count > 0)
        {
            yield return $"{"layout",-15} {"nodes",5}  {"Bundle",9}  {"written",10}  {"naive tar czf",13}  {"written",10}  {"speed-up",8}";
        }

        foreach (var row in r.Layout)
        {
            var naive = row.NaiveNodesTimed < row.Nodes ? $"{row.NaiveSeconds,11:0.0}s*" : $"{row.NaiveSeconds,12:0.0}s";
            yield return string.Create(CultureInfo.InvariantCulture,
                $"{"self-contained",-15} {row.Nodes,5}  {row.BundleSeconds,8:0.00}s  {Size(row.BundleBytes),10}  {naive}  {Size(row.NaiveBytes),10}  {row.Speedup,7:0.0}x");
        }

        if (r.Layout.Any(row => row.NaiveNodesTimed < row.Nodes))
        {
            yield return "  * naive: one node per payload key timed, times the nodes of that key (each node's tar czf is the same work)";
        }

        if (r.Fleet.Count > 0)
        {
            yield return $"{"layout",-15} {"nodes",5}  {"Bundle",9}  {"payloads",10}  {"to carry",10}  {"largest node tarball",20}";
        }

        foreach (var row in r.Fleet)
        {
            yield return string.Create(CultureInfo.InvariantCulture,
                $"{"fleet",-15} {row.Nodes,5}  {row.BundleSeconds,8:0.00}s  {Size(row.PayloadBytes),10}  {Size(row.CarryBytes),10}  {Size(row.LargestNodeTarball),20}");
        }

        if (r.Fleet.Count > 0)
        {
            yield return $"  fleet: one node with every role, the rest workers ({r.Fleet[0].PayloadKeys} payload keys at every count), each count from cold";
        }

        yield return string.Empty;
        if (r.Layout.Count >= 2)
        {
            var (small, large) = (r.Layout[0], r.Layout[^1]);
            yield return Target($"self-contained: {large.Nodes} nodes vs naive per-node tar czf", $"{large.Speedup:0.0}x faster", "≥ 20x", large.Speedup >= 20);
            yield return string.Create(CultureInfo.InvariantCulture, $"self-contained: {small.Nodes} nodes vs naive per-node tar czf: {small.Speedup:0.0}x faster (no target at this count)");
        }

        if (r.Fleet.Count >= 2)
        {
            var (small, large) = (r.Fleet[0], r.Fleet[^1]);
            var ratio = large.BundleSeconds / Math.Max(small.BundleSeconds, 1e-6);
            yield return Target($"fleet: time for {large.Nodes} nodes / {small.Nodes} nodes", string.Create(CultureInfo.InvariantCulture, $"{ratio:0.00}"), "≤ 1.3", ratio <= 1.3);
        }

        foreach (var row in r.Fleet)
        {
            yield return Target($"fleet: bytes to carry for {row.Nodes} nodes", $"{Size(row.PayloadBytes)} payload once + {row.Nodes} node tarballs = {Size(row.CarryBytes)}, largest node tarball {Size(row.LargestNodeTarball)}",
                "node tarball ≤ 1 MiB", row.LargestNodeTarball <= 1 << 20);
        }

        if (r.Compression is { } c)
        {
            var vsGzip = c.GzipSeconds / Math.Max(c.MemberSeconds, 1e-6);
            var sizeVsGzip = (double)c.MemberBytes / Math.Max(1, c.GzipBytes);
            yield return string.Create(CultureInfo.InvariantCulture,
                $"payload compression over {Size(c.RawBytes)}: Bundle {Mbps(c.RawBytes, c.MemberSeconds)} MiB/s ({Size(c.MemberBytes)}), gzip -6 {Mbps(c.RawBytes, c.GzipSeconds)} MiB/s ({Size(c.GzipBytes)}), sha256sum {Mbps(c.RawBytes, c.Sha256Seconds)} MiB/s");
            yield return Target("payload compression throughput vs gzip -6", $"{vsGzip:0.0}x", "≥ 3x", vsGzip >= 3);
            yield return Target("payload compressed size vs gzip -6", $"{(sizeVsGzip - 1) * 100:+0.0;-0.0}%", "within 3%", Math.Abs(sizeVsGzip - 1) <= 0.03);
        }

        foreach (var (mib, kib) in r.PeakRss)
        {
            yield return string.Create(CultureInfo.InvariantCulture, $"peak RSS of Bundle (child process, VmHWM), {mib} MiB payload, 3 nodes: {kib / 1024.0:0} MiB");
        }

        if (r.PeakRss.Count >= 1)
        {
            var peak = r.PeakRss.Max(p => p.PeakRssKiB);
            yield return Target("peak RSS while bundling", $"{peak / 1024.0:0} MiB", "≤ 300 MiB", peak <= 300 * 1024);
        }

        if (r.PeakRss.Count >= 2)
        {
            var growth = (double)r.PeakRss[^1].PeakRssKiB / Math.Max(1, r.PeakRss[0].PeakRssKiB);
            yield return Target($"peak RSS {r.PeakRss[^1].PayloadMiB} MiB payload vs {r.PeakRss[0].PayloadMiB} MiB", $"{(growth - 1) * 100:+0;-0}%", "within 10%", growth <= 1.10);
        }

        if (r.NoOp is { } n)
        {
            var ratio = n.Median / Math.Max(n.ColdSeconds, 1e-6);
            yield return Target("no-op rebuild time / cold", string.Create(CultureInfo.InvariantCulture, $"{ratio * 100:0.0}% (median {n.Median:0.000} s of {n.Seconds.Count} / {n.ColdSeconds:0.00} s; {n.FilesRead} files read, {n.FilesReused} from the digest cache)"), "≤ 5%", ratio <= 0.05);
            yield return Target("no-op rebuild bytes written (files new or rewritten under the bench's artifacts, inputs, state and payload store)", $"{n.BytesWritten}", "0", n.BytesWritten == 0);
        }

        var skipped = AllRows.Where(row => !options.Measures(row)).ToList();
        if (skipped.Count > 0)
        {
            yield return $"not measured in this run (not selected): {string.Join(", ", skipped)}";
        }
    }

    private static string Target(string what, string value, string target, bool met) => $"{what}: {value} (target {target}): {(met ? "met" : "NOT met")}";

    private static string Mbps(long bytes, double seconds) => (bytes / 1048576.0 / Math.Max(seconds, 1e-6)).ToString("0", CultureInfo.InvariantCulture);

    private static string Size(long bytes) => BundlePlan.Size(bytes);

    private static BundleRequest Prepare(string dir, string installerDir, Pins.PinsFile pins, int count, int payloadMiB, int level, int parallelism)
    {
        var spec = SyntheticInputs.Cluster("bench", count, pins.Releases[0].Kubernetes);
        // a worker key carries 11 of the 19 binary shares (9 binaries, 4 half-size CNI plugins): size the shares so
        // that every key gets at least a third of payloadMiB in binaries
        var total = (long)payloadMiB << 20;
        var synthetic = SyntheticInputs.WritePayloads(spec, pins, key => Path.Combine(dir, "payload", key), total / 3 * 19 / 11, total - (total / 3));
        foreach (var node in spec.Nodes)
        {
            SyntheticInputs.WriteNodeTree(spec, node, Path.Combine(dir, "nodes", node.Name));
        }

        // the inputs are staged by earlier tasks, not in the moment before Bundle: wait out the window in which the
        // digest cache reads a file again every time (FileDigestCache.RacyWindow)
        Thread.Sleep(FileDigestCache.RacyWindow);
        return Request(dir, installerDir, spec, synthetic, level, parallelism);
    }

    private static BundleRequest Request(string dir, string installerDir, Cluster.ClusterSpec spec, Pins.PinsFile pins, int level, int parallelism) =>
        new(spec, pins, key => Path.Combine(dir, "payload", key), node => Path.Combine(dir, "nodes", node), installerDir, Path.Combine(dir, "out"), Path.Combine(dir, "payload-members"),
            1700000000, level, parallelism, BundleSigner.Generate())
        {
            DigestCacheFile = Path.Combine(dir, "state", "bundle-digests.tsv"),
        };

    /// <summary>The payload member alone, from cold (Bundle's compression), against gzip -6 and sha256sum over its uncompressed bytes.</summary>
    private static CompressionMeasure Compression(string dir, BundleRequest request, Options options, Action<string> log)
    {
        var key = Layout.PayloadKey.AllOf(request.Spec).First();
        var payload = BundleBuilder.Payload.Load(request.PayloadDir(key.Name), key);
        var members = new PayloadMembers(Path.Combine(dir, "compression"), options.Level, request.SourceDateEpoch, Math.Max(1, options.Parallelism));
        var (seconds, member) = Timed(() => members.MemberFor(BundleRequest.PayloadTopDir(request.Spec, key), payload.Entries));
        var raw = Path.Combine(dir, "raw.tar");
        Shell($"gzip -dc '{member}' > '{raw}'");
        var (gzip, _) = Timed(() => Shell($"gzip -6 -c '{raw}' > '{raw}.gz'"));
        var (sha, _) = Timed(() => Shell($"sha256sum '{raw}' > /dev/null"));
        var result = new CompressionMeasure(seconds, new FileInfo(member).Length, new FileInfo(raw).Length, gzip, new FileInfo(raw + ".gz").Length, sha);
        log(string.Create(CultureInfo.InvariantCulture, $"payload member: {seconds:0.00} s; gzip -6: {gzip:0.00} s; sha256sum: {sha:0.00} s"));
        return result;
    }

    /// <summary>One <c>tar czf</c> per node, sequential; for many nodes one node per payload key is timed and counted for all of that key.</summary>
    private static (double Seconds, long Bytes, int Timed) Naive(string dir, BundleRequest request, int level)
    {
        var naiveDir = Directory.CreateDirectory(Path.Combine(dir, "naive")).FullName;
        var sample = request.Spec.Nodes.Count <= 3;
        double seconds = 0;
        long bytes = 0;
        var timed = 0;
        foreach (var group in request.Spec.Nodes.GroupBy(n => Layout.PayloadKey.Of(n).Name))
        {
            foreach (var node in sample ? group : group.Take(1))
            {
                var output = Path.Combine(naiveDir, $"{node.Name}.tar.gz");
                var payload = request.PayloadDir(group.Key);
                var tree = request.NodeTreeDir(node.Name);
                var args = new List<string>
                {
                    "-c", "-I", $"gzip -{level.ToString(CultureInfo.InvariantCulture)}", "-f", output, "--sort=name", "--owner=0", "--group=0", "--numeric-owner", $"--transform=s,^,bench-{node.Name}/,",
                    "-C", payload, "bin",
                };
                if (Directory.Exists(Path.Combine(payload, "images")))
                {
                    args.Add("images");
                }

                args.AddRange(["-C", tree, .. BundleBuilder.NodeTreeDirs.Where(d => Directory.Exists(Path.Combine(tree, d)))]);
                args.AddRange(["-C", request.InstallerDir, "install.sh", "lib"]);
                var (s, _) = Timed(() => Run("tar", args));
                var scale = sample ? 1 : group.Count();
                seconds += s * scale;
                bytes += new FileInfo(output).Length * scale;
                timed++;
                File.Delete(output);
            }
        }

        return (seconds, bytes, timed);
    }

    /// <summary>Times <paramref name="action"/> from a clean page cache state: <c>sync</c> first (untimed), so dirty pages
    /// another step left behind (the synthetic payload just written, the previous row's output) are not written back
    /// on the measured side's clock. Both sides of every ratio are timed this way.</summary>
    private static (double Seconds, T Value) Timed<T>(Func<T> action)
    {
        Run("sync", []);
        var watch = Stopwatch.StartNew();
        var value = action();
        return (watch.Elapsed.TotalSeconds, value);
    }

    /// <summary>Every file under <paramref name="dir"/> with its inode, size and mtime: a file written since (even with the
    /// same bytes, as a rename of a new file over it) is not in an earlier set.</summary>
    private static HashSet<(string Path, ulong Inode, long Length, long MtimeNs)> Files(string dir) =>
        Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories)
            .Select(f => (f, Id: FileIdentity.Of(f) ?? throw new InvalidOperationException($"{f}: no regular file")))
            .Select(x => (Path: x.f, x.Id.Inode, Length: x.Id.Size, x.Id.MtimeNs))
            .ToHashSet();

    private static long PayloadKeyBytes(string dir) =>
        Directory.EnumerateDirectories(Path.Combine(dir, "payload"))
            .Select(k => new[] { "bin", "images" }.Select(s => Path.Combine(k, s)).Where(Directory.Exists).Sum(DirectoryBytes))
            .DefaultIfEmpty(0).Min();

    private static long DirectoryBytes(string dir) =>
        Directory.Exists(dir) ? Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length) : 0;

    private static bool Shell(string script) => Run("bash", ["-c", "set -euo pipefail; " + script]);

    private static bool Run(string file, IEnumerable<string> args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {file}");
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0 ? true : throw new InvalidOperationException($"{file} exited {process.ExitCode}: {error}");
    }
}
