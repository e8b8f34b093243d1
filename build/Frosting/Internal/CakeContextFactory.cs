using Cake.Core.Configuration;
using Cake.Core.Diagnostics;
using Cake.Core.IO;
using Cake.Core.Tooling;

namespace Cake.Frosting.Internal;

/// <summary>Builds the real Cake.Core context: file system, environment, configuration (cake.config &lt; CAKE_* env &lt; --section_key), tools.</summary>
internal static class CakeContextFactory
{
    public static (ICakeContext Context, ICakeDataService Data) Create(
        HostOptions options, CommandLine commandLine, IConsole console, ICakeLog log)
    {
        var fileSystem = new FileSystem();
        var environment = new CakeEnvironment(new CakePlatform(), new CakeRuntime());
        var working = commandLine.Last("working") is { } w
            ? new DirectoryPath(w)
            : options.WorkingDirectory;
        if (working is not null)
        {
            environment.WorkingDirectory = working.MakeAbsolute(environment);
        }

        var configuration = new CakeConfigurationProvider(fileSystem, environment)
            .CreateConfiguration(environment.WorkingDirectory, options.Settings, Overrides(environment, commandLine));
        var globber = new Globber(fileSystem, environment);
        var repository = new ToolRepository(environment);
        var resolution = new ToolResolutionStrategy(fileSystem, environment, globber, configuration, log);
        var tools = new ToolLocator(environment, repository, resolution);
        var processRunner = new ProcessRunner(fileSystem, environment, log, tools, configuration);
        var data = new CakeDataService();
        var installer = new ToolInstaller(environment, tools, configuration, log, []);
        var arguments = new CakeArguments(commandLine.ToLookup());
        var context = new CakeContext(
            fileSystem, environment, globber, log, arguments, processRunner, new WindowsRegistry(),
            tools, data, configuration, installer, new EmptyServiceProvider());
        _ = console;
        return (context, data);
    }

    /// <summary>
    /// Precedence: cake.config &lt; CAKE_SECTION_KEY environment variables &lt; --section_key arguments. Cake.Core ranks
    /// its file above the environment, so the environment's CAKE_* values are handed to the provider as
    /// arguments, and the command line's arguments are laid over them.
    /// </summary>
    private static Dictionary<string, string> Overrides(ICakeEnvironment environment, CommandLine commandLine)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in environment.GetEnvironmentVariables())
        {
            if (name.StartsWith("CAKE_", StringComparison.OrdinalIgnoreCase) && name.Length > 5)
            {
                result[name[5..]] = value;
            }
        }

        foreach (var (name, value) in commandLine.ToConfigurationArguments())
        {
            result[name] = value;
        }

        return result;
    }

    private sealed class EmptyServiceProvider : IServiceProvider
    {
        public object? GetService(Type serviceType) => null;
    }
}
