using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using KubeAirgap.Fetch;
using KubeAirgap.ImageRefs;
using KubeAirgap.Images.Archive;
using KubeAirgap.Images.Oci;
using KubeAirgap.Images.Pull;
using KubeAirgap.Images.Registry;
using KubeAirgap.TestSupport.Registry;
using KubeAirgap.Content;

namespace KubeAirgap.Bench.Images;

/// <summary>What one benchmark run measured.</summary>
public sealed record ImageBenchmarkResult(
    int Images,
    long SumOfImageSizes,
    long BytesDownloaded,
    long ArchiveBytes,
    TimeSpan PullTime,
    TimeSpan SkopeoTime,
    long SkopeoBytes)
{
    public double DownloadRatio => (double)BytesDownloaded / SumOfImageSizes;

    public double SpeedUp => SkopeoTime / PullTime;
}

/// <summary>
/// Pulls a set of images that share a layer from a local docker-registry (started here on a free loopback port,
/// stopped by PID) into one archive, then copies the same images with <c>skopeo copy</c> one after another to
/// oci-archives, the naive baseline, in the same run.
/// </summary>
public static class ImageBenchmark
{
    public const string RegistryBinary = "/usr/bin/docker-registry";

    public static async Task<ImageBenchmarkResult> RunAsync(string workDir, int images, int sharedBytes, int uniqueBytes, Action<string>? log = null, CancellationToken cancellationToken = default)
    {
        foreach (var tool in new[] { RegistryBinary, "/usr/bin/skopeo" })
        {
            if (!File.Exists(tool))
            {
                throw new FileNotFoundException($"{tool} is needed by the images benchmark (Debian packages docker-registry and skopeo; see tests/install-test-deps.sh)", tool);
            }
        }

        Directory.CreateDirectory(workDir);
        var port = FreePort();
        var config = Path.Combine(workDir, "registry.yml");
        await File.WriteAllTextAsync(config,
            "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n" +
            $"storage:\n  filesystem:\n    rootdirectory: {Path.Combine(workDir, "registry")}\n" +
            $"http:\n  addr: 127.0.0.1:{port}\n  secret: kube-airgap-benchmark\n", cancellationToken).ConfigureAwait(false);
        using var registry = Process.Start(new ProcessStartInfo(RegistryBinary) { ArgumentList = { "serve", config }, RedirectStandardOutput = true, RedirectStandardError = true })
            ?? throw new InvalidOperationException($"could not start {RegistryBinary}");
        try
        {
            var host = $"127.0.0.1:{port}";
            await WaitForPortAsync(registry, port, cancellationToken).ConfigureAwait(false);
            var set = new SyntheticImages(images, sharedBytes, uniqueBytes);
            using (var http = new HttpClient())
            {
                await set.PushAsync(new RegistryPusher(http, new Uri($"http://{host}")), cancellationToken).ConfigureAwait(false);
            }

            log?.Invoke($"seeded {images} images ({set.SumOfImageSizes} bytes in all) into docker-registry on {host}");
            var references = set.Repositories.Select(r => ImageReference.Parse($"{host}/{r}:{SyntheticImages.Tag}")).ToList();

            // ours: parallel, shared blob cache, one archive
            var watch = Stopwatch.StartNew();
            using var client = new RegistryClient(new RegistryOptions(), new ArtifactCache(Path.Combine(workDir, "cache")));
            var pulled = await new ImagePuller(client).PullAllAsync(references, "amd64", cancellationToken).ConfigureAwait(false);
            var archive = Path.Combine(workDir, "images.oci.tar");
            await OciArchive.WriteAsync(archive, pulled, client.Cache, DateTimeOffset.UnixEpoch, cancellationToken).ConfigureAwait(false);
            var pullTime = watch.Elapsed;

            // baseline: skopeo copy, one image after another, each to its own oci-archive
            watch.Restart();
            long skopeoBytes = 0;
            foreach (var reference in references)
            {
                var target = Path.Combine(workDir, "skopeo", reference.Repository.Replace('/', '_') + ".tar");
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                await RunAsync("skopeo", ["copy", "--quiet", "--src-tls-verify=false", $"docker://{reference.NameWithTag}", $"oci-archive:{target}:{reference.NameWithTag}"], cancellationToken).ConfigureAwait(false);
                skopeoBytes += new FileInfo(target).Length;
            }

            var skopeoTime = watch.Elapsed;
            return new ImageBenchmarkResult(images, set.SumOfImageSizes, client.BytesDownloaded, new FileInfo(archive).Length, pullTime, skopeoTime, skopeoBytes);
        }
        finally
        {
            StopByPid(registry);
        }
    }

    private static void StopByPid(Process process)
    {
        if (process.HasExited)
        {
            return;
        }

        process.Kill();
        process.WaitForExit(5000);
    }

    private static async Task RunAsync(string file, IEnumerable<string> args, CancellationToken ct)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {file}");
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.StandardOutput.ReadToEndAsync(ct).ConfigureAwait(false);
        await process.WaitForExitAsync(ct).ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {process.ExitCode}: {await stderr.ConfigureAwait(false)}");
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task WaitForPortAsync(Process process, int port, CancellationToken ct)
    {
        for (var i = 0; i < 200; i++)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"docker-registry exited ({process.ExitCode}): {await process.StandardError.ReadToEndAsync(ct).ConfigureAwait(false)}");
            }

            try
            {
                using var tcp = new TcpClient();
                await tcp.ConnectAsync(IPAddress.Loopback, port, ct).ConfigureAwait(false);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(50, ct).ConfigureAwait(false);
            }
        }

        throw new TimeoutException($"docker-registry did not listen on 127.0.0.1:{port} within 10 s");
    }
}
