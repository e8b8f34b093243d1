using System.Diagnostics;

namespace KubeAirgap.Nginx;

/// <summary>
/// Runs one build step (configure, make) with its stdout and stderr interleaved into a log file; a failure
/// throws with the last <see cref="TailLines"/> lines of that log and its full path.
/// </summary>
public static class BuildStep
{
    public const int TailLines = 40;

    public static void Run(string what, string file, IReadOnlyList<string> args, string workingDirectory, string logPath,
        IReadOnlyDictionary<string, string> environment)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(logPath)!);
        int exitCode;
        using (var log = new StreamWriter(logPath, append: false) { AutoFlush = true })
        {
            log.WriteLine($"$ {file} {string.Join(' ', args)}");
            log.WriteLine($"# in {workingDirectory}");
            using var process = Start(file, args, environment, workingDirectory, what);
            process.StandardInput.Close();
            var gate = new object();
            void Write(string? line)
            {
                if (line is not null)
                {
                    lock (gate)
                    {
                        log.WriteLine(line);
                    }
                }
            }

            process.OutputDataReceived += (_, e) => Write(e.Data);
            process.ErrorDataReceived += (_, e) => Write(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            process.WaitForExit();
            exitCode = process.ExitCode;
            lock (gate)
            {
                log.WriteLine($"# exit code {exitCode}");
            }
        }

        if (exitCode != 0)
        {
            throw new KubeNginxException(
                $"{what} failed (exit code {exitCode}). Last {TailLines} lines of its output:{Environment.NewLine}"
                + Tail(logPath, TailLines) + Environment.NewLine
                + $"Full log: {logPath}",
                logPath);
        }
    }

    /// <summary>Runs a short probe (e.g. <c>cc --version</c>) and returns its stdout, or null if it failed.</summary>
    public static string? Probe(string file, IReadOnlyList<string> args, IReadOnlyDictionary<string, string> environment)
    {
        using var process = Start(file, args, environment, workingDirectory: null, $"{file} {string.Join(' ', args)}");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        _ = stderr.Result;
        return process.ExitCode == 0 ? stdout.Result : null;
    }

    public static string Tail(string path, int lines)
    {
        var all = File.ReadAllLines(path);
        return string.Join(Environment.NewLine, all.Skip(Math.Max(0, all.Length - lines)));
    }

    /// <summary>Starts <paramref name="file"/> with every stream redirected (stdin to be closed by the caller).</summary>
    private static Process Start(string file, IReadOnlyList<string> args, IReadOnlyDictionary<string, string> environment, string? workingDirectory, string what)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        if (workingDirectory is not null)
        {
            info.WorkingDirectory = workingDirectory;
        }

        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        foreach (var (k, v) in environment)
        {
            info.Environment[k] = v;
        }

        try
        {
            return Process.Start(info) ?? throw new KubeNginxException($"could not start {what}");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new KubeNginxException($"could not start {what}: {e.Message}", e);
        }
    }
}
