using Cake.Core.Configuration;

namespace Build.Settings;

/// <summary>
/// Every cake.config section, each parsed once, on first use (a bad value in a section a target does not use does not
/// stop it). Defaults live in the section's settings class; cake.config documents them.
/// </summary>
public sealed class BuildSettings(ICakeConfiguration configuration, string root)
{
    private readonly Lazy<PathsSettings> _paths = new(() => PathsSettings.From(new Section(configuration, "Paths")));
    private readonly Lazy<FetchSettings> _fetch = new(() => FetchSettings.From(new Section(configuration, "Fetch")));
    private readonly Lazy<MirrorsSettings> _mirrors = new(() => MirrorsSettings.From(new Section(configuration, "Mirrors")));
    private readonly Lazy<NginxSettings> _nginx = new(() => NginxSettings.From(new Section(configuration, "Nginx"), root));
    private readonly Lazy<RegistriesSettings> _registries = new(() => RegistriesSettings.From(new Section(configuration, "Registries")));
    private readonly Lazy<PkiSettings> _pki = new(() => PkiSettings.From(new Section(configuration, "Pki"), root));
    private readonly Lazy<BundleSettings> _bundle = new(() => BundleSettings.From(new Section(configuration, "Bundle"), root));
    private readonly Lazy<LockSettings> _lock = new(() => LockSettings.From(new Section(configuration, "Lock")));
    private readonly Lazy<E2ESettings> _e2e = new(() => E2ESettings.From(new Section(configuration, "E2E")));
    private readonly Lazy<TestSettings> _test = new(() => TestSettings.From(new Section(configuration, "Test")));
    private readonly Lazy<BenchSettings> _bench = new(() => BenchSettings.From(new Section(configuration, "Bench"), new Section(configuration, "BenchmarkImages")));

    public PathsSettings Paths => _paths.Value;

    public FetchSettings Fetch => _fetch.Value;

    public MirrorsSettings Mirrors => _mirrors.Value;

    public NginxSettings Nginx => _nginx.Value;

    public RegistriesSettings Registries => _registries.Value;

    public PkiSettings Pki => _pki.Value;

    public BundleSettings Bundle => _bundle.Value;

    public LockSettings Lock => _lock.Value;

    public E2ESettings E2E => _e2e.Value;

    public TestSettings Test => _test.Value;

    public BenchSettings Bench => _bench.Value;
}
