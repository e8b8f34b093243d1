using KubeAirgap.Pki;

namespace Build.Settings;

/// <summary>[Pki]: a kubeadm pki directory to adopt, the renewal clock override and forced names, a new-cluster override.</summary>
public sealed record PkiSettings(string Import, RenewalPolicy Renewal, bool NewCluster)
{
    /// <param name="root">The working directory: a relative Import path is taken from it.</param>
    public static PkiSettings From(Section s, string root) => new(
        s.Raw("Import") is { } import ? Path.GetFullPath(import, root) : string.Empty,
        // --pki_asof=DATE, --pki_renew=all|NAME,... (kubeadm's certs renew): the policy's errors name the flag and value
        RenewalPolicy.Parse(s.String("AsOf", string.Empty), s.String("Renew", string.Empty)),
        s.Bool("NewCluster", false));
}
