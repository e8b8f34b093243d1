using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using KubeAirgap.Fetch;
using KubeAirgap.Content.Download;
using KubeAirgap.Content;

namespace KubeAirgap.Bench.Fetch;

/// <summary>
/// Fetch throughput against a naive baseline, measured in the same run: N synthetic files served by nginx on loopback,
/// fetched (1) one after the other with <c>curl -o</c> then <c>sha256sum</c>, and (2) by <see cref="VerifiedDownloader"/>
/// in parallel into a fresh cache (hash while streaming, no second read). Also samples the process working set during
/// (2) for two file sizes, to show memory does not grow with file size.
/// </summary>
public sealed class FetchBenchmark(int files, int sizeMb, int parallelism, Action<string> log)
{
    public sealed record Result(double BaselineSeconds, double OursSeconds, long Bytes, long PeakDeltaLarge, long PeakDeltaSmall, int SmallSizeMb)
    {
        public double Ratio => BaselineSeconds / OursSeconds;
    }

    public async Task<Result> RunAsync(CancellationToken cancellationToken = default)
    {
        var root = Directory.CreateTempSubdirectory("kag-bench-").FullName;
        try
        {
            var smallMb = Math.Max(1, sizeMb / 10);
            var large = Generate(Path.Combine(root, "www", "large"), files, sizeMb);
            var small = Generate(Path.Combine(root, "www", "small"), files, smallMb);
            var port = FreePort();
            using var nginx = StartNginx(root, port);
            var baseUri = new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}/");

            log($"baseline: {files} x {sizeMb} MiB, sequential curl -o + sha256sum");
            var baseline = Stopwatch.StartNew();
            foreach (var (name, digest) in large)
            {
                var output = Path.Combine(root, "curl.out");
                Run("curl", "-sSf", "-o", output, new Uri(baseUri, "large/" + name).ToString());
                var sum = Run("sha256sum", output).Split(' ')[0];
                if (sum != digest.Hex)
                {
                    throw new InvalidDataException($"baseline: {name} has sha256 {sum}, expected {digest.Hex}");
                }

                File.Delete(output);
            }

            baseline.Stop();

            // the small pass runs first: it also warms up the JIT, thread pool and connection pool, so the two peaks compare
            log($"kube-airgap: {files} x {smallMb} MiB (memory comparison and warm-up)");
            var (_, peakSmall) = await FetchAllAsync(Path.Combine(root, "cache-small"), baseUri, "small", small, cancellationToken).ConfigureAwait(false);
            log($"kube-airgap: {files} x {sizeMb} MiB, {parallelism} in parallel, verified into a fresh cache");
            var (ours, peakLarge) = await FetchAllAsync(Path.Combine(root, "cache-large"), baseUri, "large", large, cancellationToken).ConfigureAwait(false);
            return new Result(baseline.Elapsed.TotalSeconds, ours.TotalSeconds, (long)files * sizeMb << 20, peakLarge, peakSmall, smallMb);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private async Task<(TimeSpan Elapsed, long PeakDelta)> FetchAllAsync(string cacheRoot, Uri baseUri, string folder,
        IReadOnlyList<(string Name, Digest Digest)> items, CancellationToken cancellationToken)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        using var self = Process.GetCurrentProcess();
        self.Refresh();
        var before = self.WorkingSet64;
        long peak = before;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                self.Refresh();
                peak = Math.Max(peak, self.WorkingSet64);
                await Task.Delay(20, CancellationToken.None).ConfigureAwait(false);
            }
        }, CancellationToken.None);

        var cache = new ArtifactCache(cacheRoot);
        using var downloader = new VerifiedDownloader(cache);
        var watch = Stopwatch.StartNew();
        await Parallel.ForEachAsync(items, new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken },
            async (item, ct) => await downloader.DownloadAsync(new DownloadRequest(item.Name, [new Uri(baseUri, folder + "/" + item.Name)], item.Digest), cancellationToken: ct).ConfigureAwait(false)).ConfigureAwait(false);
        watch.Stop();
        await sampling.CancelAsync().ConfigureAwait(false);
        await sampler.ConfigureAwait(false);
        return (watch.Elapsed, peak - before);
    }

    /// <summary>Writes <paramref name="count"/> files of <paramref name="mb"/> MiB of random-looking bytes; returns names and digests.</summary>
    private static List<(string Name, Digest Digest)> Generate(string directory, int count, int mb)
    {
        Directory.CreateDirectory(directory);
        var block = new byte[1 << 20];
        new Random(42).NextBytes(block);
        var result = new List<(string, Digest)>();
        for (var i = 0; i < count; i++)
        {
            var name = $"artifact-{i:D2}.bin";
            using var hasher = Digest.NewHasher("sha256");
            using (var file = File.Create(Path.Combine(directory, name)))
            {
                for (var b = 0; b < mb; b++)
                {
                    BitConverter.TryWriteBytes(block, (i * 100_000) + b);
                    file.Write(block);
                    hasher.AppendData(block);
                }
            }

            result.Add((name, Digest.Sha256(Convert.ToHexStringLower(hasher.GetHashAndReset()))));
        }

        return result;
    }

    private static NginxProcess StartNginx(string root, int port)
    {
        var conf = Path.Combine(root, "nginx.conf");
        File.WriteAllText(conf, $$"""
            daemon off;
            master_process off;
            worker_processes 1;
            error_log {{root}}/error.log;
            pid {{root}}/nginx.pid;
            events { worker_connections 256; }
            http {
                access_log off;
                sendfile on;
                client_body_temp_path {{root}}/tmp;
                proxy_temp_path {{root}}/tmp;
                fastcgi_temp_path {{root}}/tmp;
                uwsgi_temp_path {{root}}/tmp;
                scgi_temp_path {{root}}/tmp;
                server {
                    listen 127.0.0.1:{{port}};
                    root {{root}}/www;
                }
            }
            """);
        Directory.CreateDirectory(Path.Combine(root, "tmp"));
        var nginx = new NginxProcess(Process.Start(new ProcessStartInfo("nginx", ["-c", conf, "-p", root]) { UseShellExecute = false, RedirectStandardError = true })
            ?? throw new InvalidOperationException("could not start nginx"));
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var client = new TcpClient();
                client.Connect("127.0.0.1", port);
                return nginx;
            }
            catch (SocketException)
            {
                Thread.Sleep(100);
            }
        }

        nginx.Dispose();
        throw new InvalidOperationException($"nginx did not listen on 127.0.0.1:{port}: {File.ReadAllText(Path.Combine(root, "error.log"))}");
    }

    private static int FreePort()
    {
        var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private static string Run(string file, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(file, args) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true })
            ?? throw new InvalidOperationException($"could not start {file}");
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0 ? output : throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {process.ExitCode}: {error}");
    }

    /// <summary>The nginx we started, stopped by its PID.</summary>
    private sealed class NginxProcess(Process process) : IDisposable
    {
        public void Dispose()
        {
            if (!process.HasExited)
            {
                process.Kill();
                process.WaitForExit(5000);
            }

            process.Dispose();
        }
    }
}
