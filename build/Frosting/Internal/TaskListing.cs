namespace Cake.Frosting.Internal;

/// <summary><c>--description</c> and <c>--tree</c> output.</summary>
internal static class TaskListing
{
    public static void Describe(ICakeEngine engine, IConsole console)
    {
        var tasks = engine.Tasks.OrderBy(t => t.Name, StringComparer.OrdinalIgnoreCase).ToList();
        var width = Math.Max(4, tasks.Max(t => t.Name.Length));
        console.WriteLine("{0}  {1}", "Task".PadRight(width), "Description");
        console.WriteLine(new string('=', width + 40));
        foreach (var task in tasks)
        {
            var dependencies = task.Dependencies.Count == 0
                ? string.Empty
                : $" (after: {string.Join(", ", task.Dependencies.Select(d => d.Name))})";
            console.WriteLine("{0}  {1}{2}", task.Name.PadRight(width), task.Description ?? string.Empty, dependencies);
        }
    }

    public static void Tree(ICakeEngine engine, string target, IConsole console)
    {
        var byName = engine.Tasks.ToDictionary(t => t.Name, StringComparer.OrdinalIgnoreCase);
        Walk(target, 0);

        void Walk(string name, int depth)
        {
            console.WriteLine("{0}{1}", new string(' ', depth * 2), name);
            if (byName.TryGetValue(name, out var task))
            {
                foreach (var dependency in task.Dependencies)
                {
                    Walk(dependency.Name, depth + 1);
                }
            }
        }
    }
}
