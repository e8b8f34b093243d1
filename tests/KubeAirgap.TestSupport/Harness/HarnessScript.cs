using System.Diagnostics;

namespace KubeAirgap.TestSupport.Harness;

/// <summary>
/// Runs one of the bash harness scripts under tests/e2e (run.sh, demo.sh) with bash, streaming every output line
/// to <paramref name="output"/> as it comes, and returns the script's exit code. With <paramref name="runAs"/>
/// (e.g. <c>sudo</c>), bash is started through that command.
/// </summary>
public sealed class HarnessScript(string scriptPath, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string> environment, string? runAs = null)
{
    public string ScriptPath { get; } = scriptPath;

    public int Run(Action<string> output)
    {
        if (!File.Exists(ScriptPath))
        {
            throw new FileNotFoundException($"harness script {ScriptPath} not found", ScriptPath);
        }

        var info = new ProcessStartInfo(runAs ?? "bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(ScriptPath)!,
        };
        if (runAs is not null)
        {
            info.ArgumentList.Add("bash");
        }

        info.ArgumentList.Add(ScriptPath);
        foreach (var a in arguments)
        {
            info.ArgumentList.Add(a);
        }

        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start bash {ScriptPath}");
        var gate = new object();
        process.OutputDataReceived += (_, e) => Emit(e.Data);
        process.ErrorDataReceived += (_, e) => Emit(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.WaitForExit();
        return process.ExitCode;

        void Emit(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (gate)
            {
                output(line);
            }
        }
    }
}
