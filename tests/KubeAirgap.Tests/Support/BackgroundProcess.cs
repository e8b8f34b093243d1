using System.Diagnostics;
using System.Text;

namespace KubeAirgap.Tests.Support;

/// <summary>
/// A server the test starts (etcd, containerd, nginx, docker-registry...). Output is captured for failure
/// messages; <see cref="Dispose"/> stops it by PID (SIGTERM, then SIGKILL) even when the test failed.
/// </summary>
public sealed class BackgroundProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    public BackgroundProcess(string file, IEnumerable<string> args, string? workingDirectory = null, IDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
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

        _process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {file}");
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        Name = System.IO.Path.GetFileName(file);
    }

    public string Name { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Polls <paramref name="ready"/> until it returns true; fails with the process output if it exits or times out.</summary>
    public void WaitUntil(Func<bool> ready, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{Name} exited ({_process.ExitCode}) before {what}:\n{Output}");
            }

            try
            {
                if (ready())
                {
                    return;
                }
            }
            catch (Exception) when (DateTime.UtcNow < deadline)
            {
                // not ready yet
            }

            Thread.Sleep(100);
        }

        throw new TimeoutException($"{Name} did not reach '{what}' within {timeout}:\n{Output}");
    }

    public void Stop()
    {
        if (_process.HasExited)
        {
            return;
        }

        Cmd.Run("kill", "-TERM", Pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (!_process.WaitForExit(5000))
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }
    }

    public void Dispose()
    {
        try
        {
            Stop();
        }
        finally
        {
            _process.Dispose();
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}
