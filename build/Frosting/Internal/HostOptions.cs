using System.Reflection;
using Cake.Core.IO;

namespace Cake.Frosting.Internal;

/// <summary>What <see cref="CakeHost"/>'s builder methods collected.</summary>
internal sealed class HostOptions
{
    public Type ContextType { get; set; } = typeof(FrostingContext);

    public Type? LifetimeType { get; set; }

    public Type? TaskLifetimeType { get; set; }

    public DirectoryPath? WorkingDirectory { get; set; }

    public Dictionary<string, string> Settings { get; } = new(StringComparer.OrdinalIgnoreCase);

    public List<Assembly> Assemblies { get; } = [];

    /// <summary>When set, only these task types are registered (tests); otherwise tasks are discovered.</summary>
    public List<Type>? TaskTypes { get; set; }

    /// <summary>Console override (tests capture output through it).</summary>
    public IConsole? Console { get; set; }

    public IEnumerable<Type> DiscoverTasks()
    {
        if (TaskTypes is not null)
        {
            return TaskTypes;
        }

        var assemblies = new List<Assembly>(Assemblies);
        if (Assembly.GetEntryAssembly() is { } entry && !assemblies.Contains(entry))
        {
            assemblies.Insert(0, entry);
        }

        return assemblies
            .SelectMany(a => a.GetExportedTypes())
            .Where(t => t is { IsClass: true, IsAbstract: false } && typeof(IFrostingTask).IsAssignableFrom(t))
            .Distinct();
    }
}
