using Cake.Frosting;

namespace KubeAirgap.Tests.Host;

/// <summary>A host wired to the test tasks and a capturing console (Cake's CakeHostFixture pattern).</summary>
public sealed class CakeHostFixture
{
    public CakeHostFixture()
    {
        Tests.Host.Journal.Clear();
        Host = new CakeHost().UseContext<TestContext>();
        Host.Options.TaskTypes =
        [
            typeof(TaskA), typeof(TaskB), typeof(TaskC), typeof(SkippedTask), typeof(AfterSkippedTask),
            typeof(FailingTask), typeof(AfterFailingTask), typeof(UnhandledTask), typeof(AfterUnhandledTask), typeof(ReadSettingTask), typeof(CleanTask),
        ];
        Host.Options.Console = Console;
    }

    public CakeHost Host { get; }

    public FakeConsole Console { get; } = new();

    public IReadOnlyList<string> Journal => Tests.Host.Journal.Entries.ToList();

    public int Run(params string[] args) => Host.Run(args);
}
