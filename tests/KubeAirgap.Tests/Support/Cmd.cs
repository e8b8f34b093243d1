using System.Diagnostics;

namespace KubeAirgap.Tests.Support;

/// <summary>Runs a command to completion and captures its output (tests use real tools: openssl, etcdctl, shellcheck...).</summary>
public static class Cmd
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public string Output => Stdout + Stderr;

        public Result EnsureSuccess(string what)
        {
            if (ExitCode != 0)
            {
                throw new InvalidOperationException($"{what} exited {ExitCode}:\n{Stdout}\n{Stderr}");
            }

            return this;
        }
    }

    public static Result Run(string file, IEnumerable<string> args, string? workingDirectory = null,
        IDictionary<string, string>? environment = null, string? stdin = null, TimeSpan? timeout = null)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        if (environment is not null)
        {
            foreach (var (k, v) in environment)
            {
                info.Environment[k] = v;
            }
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            process.StandardInput.Write(stdin);
        }

        process.StandardInput.Close();
        if (!process.WaitForExit(timeout ?? TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in time");
        }

        return new Result(process.ExitCode, stdout.Result, stderr.Result);
    }

    public static Result Run(string file, params string[] args) => Run(file, (IEnumerable<string>)args);

    /// <summary>Runs a bash snippet.</summary>
    public static Result Bash(string script, string? workingDirectory = null, IDictionary<string, string>? environment = null) =>
        Run("bash", ["-c", script], workingDirectory, environment);
}
