namespace KubeAirgap.Pki.Table;

/// <summary>
/// The table ordered for issuing: every CA, then every leaf, each leaf's CA resolved (kubeadm's GetCertsByCA /
/// CreateTree). Errors on a duplicate name, an unknown CA, or a CA signed by another CA.
/// </summary>
public sealed class CertTree
{
    private CertTree(IReadOnlyList<CertSpec> cas, IReadOnlyList<CertSpec> leaves)
    {
        Cas = cas;
        Leaves = leaves;
    }

    public IReadOnlyList<CertSpec> Cas { get; }

    public IReadOnlyList<CertSpec> Leaves { get; }

    /// <summary>CAs first, then leaves grouped by CA in table order.</summary>
    public IEnumerable<CertSpec> InIssueOrder => Cas.Concat(Cas.SelectMany(ca => Leaves.Where(l => l.CaName == ca.Name)));

    public IEnumerable<CertSpec> LeavesOf(string caName) => Leaves.Where(l => l.CaName == caName);

    public static CertTree Build(IEnumerable<CertSpec> rows)
    {
        var all = rows.ToList();
        var duplicate = all.GroupBy(r => r.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new InvalidOperationException($"certificate table: '{duplicate.Key}' appears {duplicate.Count()} times");
        }

        var duplicateFile = all.GroupBy(r => r.BaseName, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicateFile is not null)
        {
            throw new InvalidOperationException($"certificate table: file '{duplicateFile.Key}' is used by {string.Join(", ", duplicateFile.Select(r => r.Name))}");
        }

        var cas = all.Where(r => r.IsCa).ToList();
        var leaves = all.Where(r => !r.IsCa).ToList();
        foreach (var leaf in leaves)
        {
            var ca = all.FirstOrDefault(r => r.Name == leaf.CaName)
                ?? throw new InvalidOperationException($"certificate table: '{leaf.Name}' names unknown CA '{leaf.CaName}'");
            if (!ca.IsCa)
            {
                throw new InvalidOperationException($"certificate table: '{leaf.Name}' is signed by '{ca.Name}', which is not a CA (intermediate CAs are not supported)");
            }

            if (leaf.Usages.Count == 0)
            {
                throw new InvalidOperationException($"certificate table: leaf '{leaf.Name}' has no extended key usage");
            }

            if (leaf.PerNode ? leaf.NodeCommonName is null : string.IsNullOrEmpty(leaf.CommonName))
            {
                throw new InvalidOperationException($"certificate table: '{leaf.Name}' has no common name");
            }
        }

        return new CertTree(cas, leaves);
    }
}
