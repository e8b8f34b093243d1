using System.Reflection;
using Cake.Core.IO;

namespace Cake.Frosting;

public static class CakeHostExtensions
{
    public static CakeHost UseContext<TContext>(this CakeHost host)
        where TContext : IFrostingContext
    {
        host.Options.ContextType = typeof(TContext);
        return host;
    }

    public static CakeHost UseLifetime<TLifetime>(this CakeHost host)
        where TLifetime : IFrostingLifetime
    {
        host.Options.LifetimeType = typeof(TLifetime);
        return host;
    }

    public static CakeHost UseTaskLifetime<TLifetime>(this CakeHost host)
        where TLifetime : IFrostingTaskLifetime
    {
        host.Options.TaskLifetimeType = typeof(TLifetime);
        return host;
    }

    public static CakeHost UseWorkingDirectory(this CakeHost host, DirectoryPath path)
    {
        host.Options.WorkingDirectory = path;
        return host;
    }

    public static CakeHost UseCakeSetting(this CakeHost host, string key, string value)
    {
        host.Options.Settings[key] = value;
        return host;
    }

    /// <summary>Discovers tasks in <paramref name="assembly"/> as well as in the entry assembly.</summary>
    public static CakeHost AddAssembly(this CakeHost host, Assembly assembly)
    {
        host.Options.Assemblies.Add(assembly);
        return host;
    }
}
