using Build;
using Build.Settings;
using Build.Tasks;
using Cake.Core.Configuration;
using Cake.Core.IO;
using Cake.Frosting;
using KubeAirgap.Bundle;
using KubeAirgap.Diagnostics;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Host;

/// <summary>
/// build/Settings: one class per cake.config section, defaults in one place, and a bad value is an error naming the
/// section, the key and the value (it used to fall back to the default without a word).
/// </summary>
public sealed class BuildSettingsTests
{
    private static BuildSettings Settings(params (string Key, string Value)[] values) =>
        new(new Configuration(values.ToDictionary(v => v.Key, v => v.Value, StringComparer.OrdinalIgnoreCase)), "/work");

    /// <summary>Settings as Cake's configuration hands them over: <c>Section_Key</c>, any case.</summary>
    private sealed class Configuration(IReadOnlyDictionary<string, string> values) : ICakeConfiguration
    {
        public string? GetValue(string key) => values.GetValueOrDefault(key);
    }

    /// <summary>The repository's cake.config as Cake reads it (the INI provider of the host).</summary>
    private static ICakeConfiguration ShippedCakeConfig()
    {
        var environment = new Cake.Core.CakeEnvironment(new Cake.Core.CakePlatform(), new Cake.Core.CakeRuntime());
        return new CakeConfigurationProvider(new FileSystem(), environment)
            .CreateConfiguration(new DirectoryPath(Repo.Root), new Dictionary<string, string>(), new Dictionary<string, string>());
    }

    public sealed class TheDefaults
    {
        [Fact]
        public void Should_Be_What_The_Shipped_Cake_Config_Documents()
        {
            // Given: no settings at all, and the shipped cake.config
            var defaults = Settings();
            var shipped = new BuildSettings(ShippedCakeConfig(), "/work");

            // Then: every value the file sets is the default the settings class has (one place, documented)
            Assert.Equal(defaults.Paths, shipped.Paths);
            Assert.Equal(defaults.Fetch, shipped.Fetch);
            Assert.Equal(defaults.Mirrors, shipped.Mirrors);
            Assert.Equal(defaults.Registries, shipped.Registries);
            Assert.Equal(defaults.E2E, shipped.E2E);
            Assert.Equal(
                (defaults.Nginx.Static, defaults.Nginx.Strip, defaults.Nginx.Cc, defaults.Nginx.MakeJobs, defaults.Nginx.Source, defaults.Nginx.Prebuilt.Count),
                (shipped.Nginx.Static, shipped.Nginx.Strip, shipped.Nginx.Cc, shipped.Nginx.MakeJobs, shipped.Nginx.Source, shipped.Nginx.Prebuilt.Count));
            Assert.Equal(
                (defaults.Bundle.CompressionLevel, defaults.Bundle.SourceDateEpoch, defaults.Bundle.SigningKey, defaults.Bundle.Parallelism, defaults.Bundle.Layout, defaults.Bundle.BenchmarkPayloadMB),
                (shipped.Bundle.CompressionLevel, shipped.Bundle.SourceDateEpoch, shipped.Bundle.SigningKey, shipped.Bundle.Parallelism, shipped.Bundle.Layout, shipped.Bundle.BenchmarkPayloadMB));
            Assert.Equal(defaults.Bundle.BenchmarkNodes, shipped.Bundle.BenchmarkNodes);
            Assert.Equal(defaults.Bundle.BenchmarkRssMB, shipped.Bundle.BenchmarkRssMB);
        }
    }

    public sealed class TheValues
    {
        [Fact]
        public void Should_Read_Each_Key_Of_Its_Section_And_Resolve_Paths_From_The_Working_Directory()
        {
            // Given
            var settings = Settings(
                ("Fetch_Retries", "7"), ("Fetch_Progress", "PLAIN"), ("Nginx_Static", "yes"), ("Nginx_Prebuilt_arm64", "bin/kube-nginx"),
                ("Nginx_PrebuiltSha256_arm64", "abc"), ("Bundle_Layout", "fleet"), ("Bundle_CompressionLevel", "0"), ("Pki_Import", "kubeadm/pki"),
                ("Bundle_BenchmarkNodes", "5, 7"), ("Test_RelaxSupportedVersions", "true"));

            // Then
            Assert.Equal(7, settings.Fetch.Retries);
            Assert.Equal(FetchProgress.Plain, settings.Fetch.Progress);
            Assert.False(settings.Fetch.Interactive);
            Assert.True(settings.Nginx.Static);
            var prebuilt = Assert.Single(settings.Nginx.Prebuilt);
            Assert.Equal(("arm64", "/work/bin/kube-nginx", "abc"), (prebuilt.Key, prebuilt.Value.Path, prebuilt.Value.Sha256));
            Assert.Equal(BundleLayout.Fleet, settings.Bundle.Layout);
            Assert.Equal(0, settings.Bundle.CompressionLevel);
            Assert.Equal([5, 7], settings.Bundle.BenchmarkNodes);
            Assert.Equal("/work/kubeadm/pki", settings.Pki.Import);
            Assert.True(settings.Test.RelaxSupportedVersions);
        }

        [Fact]
        public void Should_Parse_A_Section_Once_And_Only_When_A_Task_Uses_It()
        {
            // Given: a bad value in a section the target does not read
            var settings = Settings(("E2E_KeepWork", "perhaps"), ("Fetch_Retries", "2"));

            // Then: the other sections read fine, each parsed once
            Assert.Equal(2, settings.Fetch.Retries);
            Assert.Same(settings.Fetch, settings.Fetch);
            Assert.Throws<InputException>(() => settings.E2E);
        }
    }

    public sealed class ABadValue
    {
        [Theory]
        [InlineData("Fetch_Retries", "many", "[Fetch] Retries", "--fetch_retries", "a whole number >= 0")]
        [InlineData("Fetch_Parallelism", "0", "[Fetch] Parallelism", "CAKE_FETCH_PARALLELISM", "a whole number >= 1")]
        [InlineData("Fetch_Progress", "fancy", "[Fetch] Progress", "--fetch_progress", "one of auto, bars, plain")]
        [InlineData("Nginx_Strip", "maybe", "[Nginx] Strip", "--nginx_strip", "true or false")]
        [InlineData("Bundle_CompressionLevel", "12", "[Bundle] CompressionLevel", "--bundle_compressionlevel", "from 0 to 9")]
        [InlineData("Bundle_BenchmarkNodes", "3,x", "[Bundle] BenchmarkNodes", "--bundle_benchmarknodes", "comma-separated list")]
        [InlineData("Registries_FallBackToUpstream", "nope", "[Registries] FallBackToUpstream", "--registries_fallbacktoupstream", "true or false")]
        [InlineData("E2E_InstallTimeoutSeconds", "-5", "[E2E] InstallTimeoutSeconds", "CAKE_E2E_INSTALLTIMEOUTSECONDS", ">= 1")]
        public void Should_Name_The_Section_The_Key_And_The_Value(string key, string value, string named, string flag, string expected)
        {
            // Given
            var settings = Settings((key, value));
            var section = key[..key.IndexOf('_', StringComparison.Ordinal)];

            // When
            var e = Assert.Throws<InputException>(() => section switch
            {
                "Fetch" => (object)settings.Fetch,
                "Nginx" => settings.Nginx,
                "Bundle" => settings.Bundle,
                "Registries" => settings.Registries,
                _ => settings.E2E,
            });

            // Then
            Assert.Contains(named, e.Message, StringComparison.Ordinal);
            Assert.Contains($"'{value}'", e.Message, StringComparison.Ordinal);
            Assert.Contains(flag, e.Message, StringComparison.Ordinal);
            Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        }
    }

    [Collection(nameof(HostCollection))]
    public sealed class ThroughTheHost
    {
        [Fact]
        public void Should_Stop_The_Task_That_Reads_The_Bad_Value_With_Its_Name()
        {
            // Given: the shipped inventory, and a retry count that is no number on the command line
            var console = new FakeConsole();
            var host = new CakeHost().UseContext<BuildContext>();
            host.Options.TaskTypes = [typeof(ValidateTask), typeof(FetchTask)];
            host.Options.Console = console;

            // When
            var exitCode = host.Run(["--target=Fetch", "--fetch_retries=many", $"--working={Repo.Root}"]);

            // Then: Validate ran, Fetch stopped before any download with the key and the value
            Assert.NotEqual(0, exitCode);
            Assert.Contains("Cluster demo:", console.All, StringComparison.Ordinal);
            Assert.Contains("[Fetch] Retries (cake.config, CAKE_FETCH_RETRIES, --fetch_retries): 'many' is not valid", console.All, StringComparison.Ordinal);
        }
    }
}
