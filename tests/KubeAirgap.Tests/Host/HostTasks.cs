using System.Collections.Concurrent;
using Cake.Common.IO;
using Cake.Core;
using Cake.Frosting;

namespace KubeAirgap.Tests.Host;

/// <summary>What the test tasks did, in order (the host tests run one at a time: see <see cref="HostCollection"/>).</summary>
public static class Journal
{
    public static ConcurrentQueue<string> Entries { get; } = new();

    public static void Clear() => Entries.Clear();

    public static void Add(string entry) => Entries.Enqueue(entry);
}

[CollectionDefinition(nameof(HostCollection), DisableParallelization = true)]
public sealed class HostCollection;

public sealed class TestContext(ICakeContext context) : FrostingContext(context)
{
    public string Setting(string key) => Configuration.GetValue(key) ?? "<none>";
}

[TaskName("A")]
[TaskDescription("first")]
public sealed class TaskA : FrostingTask<TestContext>
{
    public override void Run(TestContext context) => Journal.Add("A");
}

[TaskName("B")]
[TaskDescription("second")]
[IsDependentOn(typeof(TaskA))]
public sealed class TaskB : FrostingTask<TestContext>
{
    public override void Run(TestContext context) => Journal.Add("B");
}

[TaskName("C")]
[TaskDescription("third, async")]
[IsDependentOn(typeof(TaskB))]
public sealed class TaskC : AsyncFrostingTask<TestContext>
{
    public override async Task RunAsync(TestContext context)
    {
        await Task.Yield();
        Journal.Add("C");
    }
}

[TaskName("Skipped")]
public sealed class SkippedTask : FrostingTask<TestContext>
{
    public override bool ShouldRun(TestContext context) => false;

    public override void Run(TestContext context) => Journal.Add("Skipped");
}

[TaskName("AfterSkipped")]
[IsDependentOn(typeof(SkippedTask))]
public sealed class AfterSkippedTask : FrostingTask<TestContext>
{
    public override void Run(TestContext context) => Journal.Add("AfterSkipped");
}

[TaskName("Failing")]
public sealed class FailingTask : FrostingTask<TestContext>
{
    public override void Run(TestContext context) => throw new InvalidOperationException("boom in Failing");

    public override void OnError(Exception exception, TestContext context) => Journal.Add("OnError:" + exception.Message);

    public override void Finally(TestContext context) => Journal.Add("Finally");
}

[TaskName("AfterFailing")]
[IsDependentOn(typeof(FailingTask))]
public sealed class AfterFailingTask : FrostingTask<TestContext>
{
    public override void Run(TestContext context) => Journal.Add("AfterFailing");
}

[TaskName("Unhandled")]
public sealed class UnhandledTask : FrostingTask<TestContext>
{
    public override void Run(TestContext context) => throw new InvalidOperationException("boom in Unhandled");

    public override void Finally(TestContext context) => Journal.Add("Finally:Unhandled");
}

[TaskName("AfterUnhandled")]
[IsDependentOn(typeof(UnhandledTask))]
public sealed class AfterUnhandledTask : FrostingTask<TestContext>
{
    public override void Run(TestContext context) => Journal.Add("AfterUnhandled");
}

[TaskName("ReadSetting")]
public sealed class ReadSettingTask : FrostingTask<TestContext>
{
    public override void Run(TestContext context) => Journal.Add("setting=" + context.Setting("Hosttest_Value"));
}

[TaskName("Clean")]
public sealed class CleanTask : FrostingTask<TestContext>
{
    public override void Run(TestContext context)
    {
        // a Cake.Common alias, on the Frosting context
        var dir = context.Arguments.GetArgument("dir");
        context.CleanDirectory(dir);
        Journal.Add("cleaned");
    }
}

public sealed class RecordingLifetime : FrostingLifetime<TestContext>
{
    public override void Setup(TestContext context, ISetupContext info) => Journal.Add("Setup");

    public override void Teardown(TestContext context, ITeardownContext info) => Journal.Add("Teardown");
}
