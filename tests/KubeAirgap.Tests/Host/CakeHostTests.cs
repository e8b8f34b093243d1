using Cake.Frosting;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Host;

[Collection(nameof(HostCollection))]
public sealed class CakeHostTests
{
    [Collection(nameof(HostCollection))]
    public sealed class TheRunMethod
    {
        [Fact]
        public void Should_Run_Dependencies_In_Order()
        {
            // Given
            var fixture = new CakeHostFixture();

            // When
            var exitCode = fixture.Run("--target=C");

            // Then
            Assert.True(exitCode == 0, fixture.Console.All);
            Assert.Equal(["A", "B", "C"], fixture.Journal);
            Assert.Contains("Total:", fixture.Console.Output, StringComparison.Ordinal);
        }

        [Fact]
        public void Should_Match_Target_Case_Insensitively_And_Accept_Short_Form()
        {
            var fixture = new CakeHostFixture();

            var exitCode = fixture.Run("-t", "b");

            Assert.True(exitCode == 0, fixture.Console.All);
            Assert.Equal(["A", "B"], fixture.Journal);
        }

        [Fact]
        public void Should_Take_A_Task_Name_After_A_Valueless_Option_As_The_Target_Not_As_Its_Value()
        {
            // Given: an application switch the host knows nothing about, then a bare target (issue 19: the host used
            // to list the project's own --offline switch to make this work)
            var fixture = new CakeHostFixture();

            // When
            var exitCode = fixture.Run("--some_switch", "b");

            // Then
            Assert.True(exitCode == 0, fixture.Console.All);
            Assert.Equal(["A", "B"], fixture.Journal);
        }

        [Fact]
        public void Should_Still_Take_A_Word_That_Names_No_Task_As_The_Options_Value()
        {
            var fixture = new CakeHostFixture();

            var exitCode = fixture.Run("--hosttest_value", "spaced", "--target=ReadSetting");

            Assert.True(exitCode == 0, fixture.Console.All);
            Assert.Equal(["setting=spaced"], fixture.Journal);
        }

        [Fact]
        public void Should_Run_Only_The_Target_When_Exclusive()
        {
            var fixture = new CakeHostFixture();

            var exitCode = fixture.Run("--target=C", "--exclusive");

            Assert.True(exitCode == 0, fixture.Console.All);
            Assert.Equal(["C"], fixture.Journal);
        }

        [Fact]
        public void Should_Skip_A_Task_Whose_ShouldRun_Is_False_And_Run_Its_Dependents()
        {
            var fixture = new CakeHostFixture();

            var exitCode = fixture.Run("--target=AfterSkipped");

            Assert.True(exitCode == 0, fixture.Console.All);
            Assert.Equal(["AfterSkipped"], fixture.Journal);
            Assert.Contains("Skipped", fixture.Console.Output, StringComparison.Ordinal);
        }

        [Fact]
        public void Should_Call_OnError_And_Finally_And_Treat_The_Error_As_Handled()
        {
            // Cake's semantics: a task with an OnError handler has handled its error; the run goes on.
            var fixture = new CakeHostFixture();

            var exitCode = fixture.Run("--target=AfterFailing");

            Assert.True(exitCode == 0, fixture.Console.All);
            Assert.Equal(["OnError:boom in Failing", "Finally", "AfterFailing"], fixture.Journal);
        }

        [Fact]
        public void Should_Stop_With_NonZero_Exit_When_A_Task_Fails_Unhandled()
        {
            var fixture = new CakeHostFixture();

            var exitCode = fixture.Run("--target=AfterUnhandled");

            Assert.NotEqual(0, exitCode);
            Assert.Equal(["Finally:Unhandled"], fixture.Journal);
            Assert.Contains("boom in Unhandled", fixture.Console.All, StringComparison.Ordinal);
        }

        [Fact]
        public void Should_Run_Lifetime_Setup_And_Teardown_Around_Tasks()
        {
            var fixture = new CakeHostFixture();
            fixture.Host.UseLifetime<RecordingLifetime>();

            fixture.Run("--target=A");

            Assert.Equal(["Setup", "A", "Teardown"], fixture.Journal);
        }

        [Fact]
        public void Should_Make_Cake_Common_Aliases_Work_On_The_Context()
        {
            using var temp = new TempDirectory();
            var dir = temp.Combine("out");
            temp.Write("out/stale.txt", "old");
            var fixture = new CakeHostFixture();

            var exitCode = fixture.Run("--target=Clean", $"--dir={dir}");

            Assert.True(exitCode == 0, fixture.Console.All);
            Assert.Equal(["cleaned"], fixture.Journal);
            Assert.True(Directory.Exists(dir));
            Assert.Empty(Directory.GetFileSystemEntries(dir));
        }
    }

    [Collection(nameof(HostCollection))]
    public sealed class TheArguments
    {
        [Fact]
        public void Should_Print_Tasks_In_Order_And_Run_None_On_Dryrun()
        {
            var fixture = new CakeHostFixture();

            var exitCode = fixture.Run("--target=C", "--dryrun");

            Assert.True(exitCode == 0, fixture.Console.All);
            Assert.Empty(fixture.Journal);
            var output = fixture.Console.Output;
            var a = output.IndexOf("1. A", StringComparison.Ordinal);
            var b = output.IndexOf("2. B", StringComparison.Ordinal);
            var c = output.IndexOf("3. C", StringComparison.Ordinal);
            Assert.True(a >= 0 && a < b && b < c, output);
        }

        [Fact]
        public void Should_List_Every_Task_With_Description_And_Dependencies()
        {
            var fixture = new CakeHostFixture();

            var exitCode = fixture.Run("--description");

            Assert.True(exitCode == 0, fixture.Console.All);
            Assert.Empty(fixture.Journal);
            var lines = fixture.Console.Output.Split('\n');
            Assert.Contains(lines, l => l.StartsWith("B ", StringComparison.Ordinal) && l.Contains("second", StringComparison.Ordinal) && l.Contains("after: A", StringComparison.Ordinal));
            Assert.Contains(lines, l => l.StartsWith("C ", StringComparison.Ordinal) && l.Contains("third, async", StringComparison.Ordinal));
        }

        [Fact]
        public void Should_Fail_On_Unknown_Target_Listing_The_Valid_Ones()
        {
            var fixture = new CakeHostFixture();

            var exitCode = fixture.Run("--target=Nope");

            Assert.NotEqual(0, exitCode);
            Assert.Empty(fixture.Journal);
            Assert.Contains("The target 'Nope' was not found", fixture.Console.All, StringComparison.Ordinal);
            Assert.Contains("Valid targets: A, AfterFailing, AfterSkipped, AfterUnhandled, B, C, Clean, Failing, ReadSetting, Skipped, Unhandled", fixture.Console.All, StringComparison.Ordinal);
        }

        [Fact]
        public void Should_Reject_An_Unknown_Verbosity()
        {
            var fixture = new CakeHostFixture();

            var exitCode = fixture.Run("--target=A", "--verbosity=loud");

            Assert.NotEqual(0, exitCode);
            Assert.Contains("--verbosity: 'loud'", fixture.Console.All, StringComparison.Ordinal);
        }
    }

    [Collection(nameof(HostCollection))]
    public sealed class TheConfiguration
    {
        // One variable name per test: the environment is process-wide.
        private const string EnvName = "CAKE_HOSTTEST_VALUE";

        [Fact]
        public void Should_Prefer_Argument_Over_Environment_Over_Cake_Config()
        {
            using var temp = new TempDirectory();
            temp.Write("cake.config", "[Hosttest]\nValue=from-file\n");
            var results = new List<string>();
            try
            {
                foreach (var (env, arg) in new (string?, string?)[] { (null, null), ("from-env", null), ("from-env", "from-arg") })
                {
                    Environment.SetEnvironmentVariable(EnvName, env);
                    var fixture = new CakeHostFixture();
                    var args = new List<string> { "--target=ReadSetting", $"--working={temp.Path}" };
                    if (arg is not null)
                    {
                        args.Add($"--hosttest_value={arg}");
                    }

                    Assert.Equal(0, fixture.Run([.. args]));
                    results.Add(fixture.Journal.Single());
                }
            }
            finally
            {
                Environment.SetEnvironmentVariable(EnvName, null);
            }

            Assert.Equal(["setting=from-file", "setting=from-env", "setting=from-arg"], results);
        }
    }
}
