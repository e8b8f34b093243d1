using System.Reflection;

namespace Cake.Frosting.Internal;

/// <summary>Registers Frosting tasks with Cake.Core's engine the way Cake.Frosting's FrostingEngine does.</summary>
internal static class TaskRegistrar
{
    public static string NameOf(Type taskType) =>
        taskType.GetCustomAttribute<TaskNameAttribute>()?.Name ?? taskType.Name;

    public static void Register(ICakeEngine engine, IEnumerable<Type> taskTypes, ICakeContext context)
    {
        foreach (var type in taskTypes.OrderBy(NameOf, StringComparer.OrdinalIgnoreCase))
        {
            var task = (IFrostingTask)(Activator.CreateInstance(type)
                ?? throw new FrostingException($"Could not create task {type.FullName}"));
            var builder = engine.RegisterTask(NameOf(type));

            if (type.GetCustomAttribute<TaskDescriptionAttribute>() is { } description)
            {
                builder.Description(description.Description);
            }

            if (Overrides(type, nameof(FrostingTask<ICakeContext>.Run)) || Overrides(type, "RunAsync"))
            {
                builder.Does(async ctx => await task.RunAsync(context).ConfigureAwait(false));
            }

            if (Overrides(type, "ShouldRun"))
            {
                builder.WithCriteria(_ => task.ShouldRun(context), task.SkippedMessage);
            }

            if (type.GetCustomAttribute<ContinueOnErrorAttribute>() is not null)
            {
                builder.ContinueOnError();
            }

            if (Overrides(type, "OnError"))
            {
                builder.OnError(exception => task.OnError(exception, context));
            }

            if (Overrides(type, "Finally"))
            {
                builder.Finally(() => task.Finally(context));
            }

            foreach (var dependency in type.GetCustomAttributes<IsDependentOnAttribute>())
            {
                builder.IsDependentOn(NameOf(dependency.Task));
            }

            foreach (var dependee in type.GetCustomAttributes<IsDependeeOfAttribute>())
            {
                builder.IsDependeeOf(NameOf(dependee.Task));
            }
        }
    }

    /// <summary>True when the task type provides its own implementation of a base-class virtual.</summary>
    private static bool Overrides(Type type, string method)
    {
        if (!typeof(IFrostingTask).IsAssignableFrom(type))
        {
            return false;
        }

        var candidates = type.GetMethods(BindingFlags.Public | BindingFlags.Instance)
            .Where(m => m.Name == method && m.GetParameters().Length > 0);
        foreach (var candidate in candidates)
        {
            var declaring = candidate.DeclaringType;
            if (declaring is null)
            {
                continue;
            }

            var generic = declaring.IsGenericType ? declaring.GetGenericTypeDefinition() : declaring;
            if (generic != typeof(FrostingTask<>) && generic != typeof(AsyncFrostingTask<>))
            {
                return true;
            }
        }

        return false;
    }
}
