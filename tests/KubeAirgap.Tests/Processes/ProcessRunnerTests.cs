using KubeAirgap.Processes;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Processes;

/// <summary>The one process runner of src (CliWrap underneath): what a failure says, where output goes, cancelling.</summary>
public sealed class ProcessRunnerTests
{
    private static ProcessCommand Sh(string what, string script) => new(what, "/bin/sh", ["-c", script]);

    [Fact]
    public void Should_name_the_command_its_exit_code_and_the_tail_of_its_output_when_it_fails()
    {
        // Given: a step that prints 50 lines and exits 3
        var command = Sh("the counting step", "i=1; while [ $i -le 50 ]; do echo \"line $i\"; i=$((i+1)); done; exit 3");

        // When
        var e = Assert.Throws<ProcessFailedException>(() => ProcessRunner.Run(command, _ => { }, TestContext.Current.CancellationToken));

        // Then: the last 40 lines (11 to 50), the exit code and the command line
        Assert.Equal(3, e.ExitCode);
        Assert.Equal(Enumerable.Range(11, ProcessRunner.TailLines).Select(i => $"line {i}"), e.Tail);
        Assert.Contains("the counting step failed", e.Message, StringComparison.Ordinal);
        Assert.Contains("'/bin/sh -c i=1;", e.Message, StringComparison.Ordinal);
        Assert.Contains("exit code 3", e.Message, StringComparison.Ordinal);
        Assert.Contains("line 50", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain($"line 10{Environment.NewLine}", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_hand_every_line_of_stdout_and_stderr_to_the_log()
    {
        // Given
        var lines = new List<string>();
        var command = Sh("two streams", "echo to-stdout; echo to-stderr >&2; echo \"$KA_RUNNER_PROBE in $(pwd)\"") with
        {
            Environment = new Dictionary<string, string> { ["KA_RUNNER_PROBE"] = "from-env" },
            WorkingDirectory = "/tmp",
        };

        // When
        ProcessRunner.Run(command, lines.Add, TestContext.Current.CancellationToken);

        // Then
        Assert.Equal(["from-env in /tmp", "to-stderr", "to-stdout"], lines.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Should_say_which_program_could_not_be_started()
    {
        using var dir = new TempDirectory("kag-runner");
        var missing = dir.Combine("no-such-program");

        var e = Assert.Throws<ProcessStartException>(() => ProcessRunner.Run(new ProcessCommand("the missing step", missing, ["--flag"]), _ => { }, TestContext.Current.CancellationToken));

        Assert.Contains($"could not start the missing step ('{missing} --flag')", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_return_a_probes_stdout_only_when_it_succeeds()
    {
        Assert.Equal("probe-out\n", ProcessRunner.Probe(Sh("probe", "echo probe-out; echo noise >&2"), TestContext.Current.CancellationToken));
        Assert.Null(ProcessRunner.Probe(Sh("probe", "echo probe-out; exit 1"), TestContext.Current.CancellationToken));
    }

    [Fact]
    public void Should_kill_the_program_when_cancelled()
    {
        // Given: a program that prints its PID, then sleeps for a long time
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var pid = 0;
        var command = Sh("a long sleep", "echo $$; exec sleep 300");

        try
        {
            // When: cancelled as soon as it has started
            Assert.ThrowsAny<OperationCanceledException>(() => ProcessRunner.Run(command, line =>
            {
                pid = int.Parse(line, System.Globalization.CultureInfo.InvariantCulture);
                cancel.Cancel();
            }, cancel.Token));

            // Then: the sleep is gone (killed, and reaped by the runtime)
            Assert.True(pid > 0);
            Assert.True(SpinWait.SpinUntil(() => !Directory.Exists($"/proc/{pid}"), TimeSpan.FromSeconds(10)), $"process {pid} still runs after the cancel");
        }
        finally
        {
            if (pid > 0 && Directory.Exists($"/proc/{pid}"))
            {
                try
                {
                    System.Diagnostics.Process.GetProcessById(pid).Kill();
                }
                catch (ArgumentException)
                {
                    // gone meanwhile
                }
            }
        }
    }
}
