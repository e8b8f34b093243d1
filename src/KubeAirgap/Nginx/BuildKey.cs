using System.Security.Cryptography;
using System.Text;
using KubeAirgap.Content;

namespace KubeAirgap.Nginx;

/// <summary>
/// What a kube-nginx binary is a function of: the source bytes, the configure arguments, the compiler and the
/// target arch. Its sha256 names the cache entry, so the same inputs never compile twice.
/// </summary>
public sealed record BuildKey(string SourceSha256, IReadOnlyList<string> ConfigureArgs, string CompilerIdentity, string Arch)
{
    /// <summary>Bump when the build recipe itself changes in a way that changes the binary.</summary>
    public const int Recipe = 1;

    public string Hash
    {
        get
        {
            var text = new StringBuilder()
                .Append("kube-nginx recipe ").Append(Recipe).Append('\n')
                .Append("source sha256 ").Append(SourceSha256).Append('\n')
                .Append("arch ").Append(Arch).Append('\n');
            foreach (var arg in ConfigureArgs)
            {
                text.Append("configure ").Append(arg).Append('\n');
            }

            text.Append("compiler\n").Append(CompilerIdentity).Append('\n');
            return Sha256Hex.OfText(text.ToString());
        }
    }
}
