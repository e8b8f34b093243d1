using Cake.Core.Diagnostics;

namespace Cake.Frosting.Internal;

/// <summary>Parses the command line, builds the context and engine, and runs the chosen mode.</summary>
internal sealed class FrostingRunner(HostOptions options)
{
    public int Run(string[] args)
    {
        // Cake's environment changes the process's working directory (--working); give it back afterwards.
        var originalDirectory = Directory.GetCurrentDirectory();
        try
        {
            return RunCore(args);
        }
        finally
        {
            Directory.SetCurrentDirectory(originalDirectory);
        }
    }

    private int RunCore(string[] args)
    {
        IConsole? console = options.Console;
        ICakeLog? log = null;
        try
        {
            var commandLine = CommandLine.Parse(args, [.. options.DiscoverTasks().Select(TaskRegistrar.NameOf)]);
            PlainOutput.WhenNotATerminal();
            console ??= new CakeConsole(new CakeEnvironment(new CakePlatform(), new CakeRuntime()));
            log = new CakeBuildLog(console, commandLine.Verbosity);

            if (commandLine.Has("version"))
            {
                console.WriteLine(typeof(ICakeContext).Assembly.GetName().Version?.ToString() ?? "unknown");
                return 0;
            }

            var (cakeContext, data) = CakeContextFactory.Create(options, commandLine, console, log);
            if (commandLine.Has("info"))
            {
                console.WriteLine("Cake.Core {0} (Frosting layer over the Cake.Tool engine)", typeof(ICakeContext).Assembly.GetName().Version?.ToString() ?? "?");
                return 0;
            }

            var context = (ICakeContext)(Activator.CreateInstance(options.ContextType, cakeContext)
                ?? throw new FrostingException($"Could not create context {options.ContextType.FullName}"));
            var engine = new CakeEngine(data, log);
            TaskRegistrar.Register(engine, options.DiscoverTasks(), context);
            RegisterLifetimes(engine, context);

            if (commandLine.Has("description"))
            {
                TaskListing.Describe(engine, console);
                return 0;
            }

            var target = Resolve(engine, commandLine.Target);
            if (commandLine.Has("tree"))
            {
                TaskListing.Tree(engine, target, console);
                return 0;
            }

            var settings = new ExecutionSettings().SetTarget(target);
            if (commandLine.Has("exclusive"))
            {
                settings = settings.UseExclusiveTarget();
            }

            if (commandLine.Has("dryrun"))
            {
                log.Information("Performing dry run of target {0}; no task runs.", target);
                engine.RunTargetAsync(context, new DryRunExecutionStrategy(log), settings).GetAwaiter().GetResult();
                return 0;
            }

            var printer = new CakeReportPrinter(console, context);
            var report = engine.RunTargetAsync(context, new DefaultExecutionStrategy(log, printer), settings)
                .GetAwaiter().GetResult();
            if (report is not null && !report.IsEmpty)
            {
                printer.Write(report);
            }

            return 0;
        }
        catch (Exception ex)
        {
            Report(ex, console, log);
            return ExitCodeOf(ex);
        }
    }

    private static string Resolve(ICakeEngine engine, string target)
    {
        var match = engine.Tasks.FirstOrDefault(t => string.Equals(t.Name, target, StringComparison.OrdinalIgnoreCase));
        if (match is not null)
        {
            return match.Name;
        }

        var valid = string.Join(", ", engine.Tasks.Select(t => t.Name).Order(StringComparer.OrdinalIgnoreCase));
        throw new FrostingException($"The target '{target}' was not found. Valid targets: {valid}");
    }

    private void RegisterLifetimes(CakeEngine engine, ICakeContext context)
    {
        if (options.LifetimeType is { } lifetimeType)
        {
            var lifetime = (IFrostingLifetime)Activator.CreateInstance(lifetimeType)!;
            engine.RegisterSetupAction(info => lifetime.Setup(context, info));
            engine.RegisterTeardownAction(info => lifetime.Teardown(context, info));
        }

        if (options.TaskLifetimeType is { } taskLifetimeType)
        {
            var lifetime = (IFrostingTaskLifetime)Activator.CreateInstance(taskLifetimeType)!;
            engine.RegisterTaskSetupAction(info => lifetime.Setup(context, info));
            engine.RegisterTaskTeardownAction(info => lifetime.Teardown(context, info));
        }
    }

    /// <summary>
    /// A task that means a particular exit code (e.g. 2: the user must act first) throws CakeException(code, ...); the
    /// engine wraps it in a CakeReportException. Any other failure: -1.
    /// </summary>
    private static int ExitCodeOf(Exception ex)
    {
        for (Exception? e = ex; e is not null; e = e.InnerException)
        {
            if (e is CakeException { ExitCode: > 0 } chosen)
            {
                return chosen.ExitCode;
            }
        }

        return -1;
    }

    /// <summary>Logs the failure's root cause and returns it.</summary>
    private static Exception Report(Exception ex, IConsole? console, ICakeLog? log)
    {
        var root = ex;
        while (root is AggregateException { InnerExceptions.Count: 1 } agg)
        {
            root = agg.InnerExceptions[0];
        }

        if (root is System.Reflection.TargetInvocationException { InnerException: { } inner })
        {
            root = inner;
        }

        if (log is null)
        {
            console?.WriteErrorLine("Error: {0}", root.Message);
            return root;
        }

        if (log.Verbosity == Verbosity.Diagnostic)
        {
            log.Error("Error: {0}", root);
        }
        else
        {
            log.Error("Error: {0}", root.Message);
        }

        return root;
    }
}
