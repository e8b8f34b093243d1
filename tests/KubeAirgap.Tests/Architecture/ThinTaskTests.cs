using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Architecture;

/// <summary>
/// build/Tasks is thin (issue 19 item 4): every task body reads settings and calls src/ in at most
/// <see cref="TaskBodies.MaxLogicLines"/> lines of logic, and no task uses another task's members (shared inputs live
/// in StageInputs, settings in build/Settings).
/// </summary>
public sealed partial class ThinTaskTests
{
    private static IReadOnlyList<TaskBody> Tasks() =>
        TaskBodies.Read(Directory.GetFiles(Repo.File("build", "Tasks"), "*.cs", SearchOption.AllDirectories)
            .Select(f => (Path.GetRelativePath(Repo.Root, f), File.ReadAllText(f))));

    public sealed class TheTasksOfBuild
    {
        [Fact]
        public void Should_each_have_at_most_30_lines_of_logic()
        {
            // Given
            var tasks = Tasks();

            // When
            var fat = tasks.Where(t => t.LogicLines > TaskBodies.MaxLogicLines).Select(t => $"{t.File}: {t.Name} has {t.LogicLines} lines of logic").ToList();

            // Then: the parser found the tasks, and none is over the limit
            Assert.Contains(tasks, t => t.Name == "ImagesTask" && t.LogicLines > 0);
            Assert.True(fat.Count == 0, $"move the logic into a src stage (at most {TaskBodies.MaxLogicLines} lines per task body):\n" + string.Join('\n', fat));
        }

        [Fact]
        public void Should_not_use_another_tasks_members()
        {
            var uses = Tasks().Where(t => t.OtherTaskUses.Count > 0).Select(t => $"{t.File}: {t.Name} uses {string.Join(", ", t.OtherTaskUses)}").ToList();

            Assert.True(uses.Count == 0, "tasks share inputs through StageInputs or build/Settings, never each other:\n" + string.Join('\n', uses));
        }
    }

    public sealed partial class TheFrostingLayer
    {
        [Fact]
        public void Should_name_none_of_the_arguments_the_project_reads()
        {
            // Given: every argument name build/ outside the Frosting layer reads (HasArgument("x"), Argument("x", ..), BuildContext's Switch(context, "x"))
            var project = Directory.GetFiles(Repo.File("build"), "*.cs", SearchOption.AllDirectories)
                .Where(f => !new[] { "/Frosting/", "/obj/", "/bin/" }.Any(d => f.Contains(d, StringComparison.Ordinal)));
            var names = project.SelectMany(f => ArgumentName().Matches(File.ReadAllText(f)).Select(m => m.Groups[1].Value))
                .ToHashSet(StringComparer.OrdinalIgnoreCase);

            // When: the Frosting layer's sources are searched for them as string literals
            var frosting = Directory.GetFiles(Repo.File("build", "Frosting"), "*.cs", SearchOption.AllDirectories);
            var named = frosting.SelectMany(f => names.Where(n => File.ReadAllText(f).Contains($"\"{n}\"", StringComparison.OrdinalIgnoreCase))
                .Select(n => $"{Path.GetFileName(f)} names --{n}")).ToList();

            // Then
            Assert.Contains("offline", names);
            Assert.True(named.Count == 0, "the Frosting layer mirrors Cake and knows no project switch:\n" + string.Join('\n', named));
        }

        [System.Text.RegularExpressions.GeneratedRegex(@"(?:HasArgument|Argument(?:<\w+>)?|Switch)\((?:context, )?""([A-Za-z_-]+)""")]
        private static partial System.Text.RegularExpressions.Regex ArgumentName();
    }

    public sealed class TheChecker
    {
        private const string Fat = """
            namespace Build.Tasks;

            [TaskName("Fat")]
            [IsDependentOn(typeof(LeanTask))]
            public sealed class FatTask : FrostingTask<BuildContext>
            {
                public override void Run(BuildContext context)
                {
                    // a comment is no logic
                    var options = LeanTask.OptionsOf(context);

                    /* nor is
                       a block comment */
                    if (options.Count > 0)
                    {
                        context.Information("{0}", options);
                    }
                }
            }

            public sealed class LeanTask : AsyncFrostingTask<BuildContext>
            {
                internal static List<string> OptionsOf(BuildContext context) => [];

                public override Task RunAsync(BuildContext context) => Task.CompletedTask;
            }

            internal static class Shared
            {
                public static void Run(BuildContext context)
                {
                    var a = 1;
                }
            }
            """;

        [Fact]
        public void Should_count_only_logic_lines_and_find_a_use_of_another_task()
        {
            // When
            var tasks = TaskBodies.Read([("Fat.cs", Fat)]);

            // Then: two tasks (the helper class is none); 3 logic lines in FatTask, the use of LeanTask found, not the typeof
            Assert.Equal(["FatTask", "LeanTask"], tasks.Select(t => t.Name).Order(StringComparer.Ordinal));
            var fat = tasks.Single(t => t.Name == "FatTask");
            Assert.Equal(3, fat.LogicLines);
            Assert.Equal(["LeanTask"], fat.OtherTaskUses);
            var lean = tasks.Single(t => t.Name == "LeanTask");
            Assert.Equal(1, lean.LogicLines);
            Assert.Empty(lean.OtherTaskUses);
        }

        [Fact]
        public void Should_report_a_body_over_the_limit()
        {
            // Given: a task whose body has one line more than allowed
            var body = string.Concat(Enumerable.Range(0, TaskBodies.MaxLogicLines + 1).Select(i => $"        context.Information(\"{i}\");\n"));
            var source = $"public sealed class LongTask : FrostingTask<BuildContext>\n{{\n    public override void Run(BuildContext context)\n    {{\n{body}    }}\n}}\n";

            // When
            var task = Assert.Single(TaskBodies.Read([("Long.cs", source)]));

            // Then
            Assert.Equal(TaskBodies.MaxLogicLines + 1, task.LogicLines);
        }
    }
}
