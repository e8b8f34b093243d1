namespace KubeAirgap.Nginx;

/// <summary>nginx's ./configure arguments for kube-nginx: the guide's stream-only build, plus prefix, compiler and linker options (static, strip).</summary>
public static class ConfigureFlags
{
    /// <summary>The guide's flags: the stream (L4) module only, no HTTP, so the binary needs neither PCRE, zlib nor OpenSSL.</summary>
    public static readonly IReadOnlyList<string> Guide =
    [
        "--with-stream",
        "--without-http",
        "--without-http_uwsgi_module",
        "--without-http_scgi_module",
        "--without-http_fastcgi_module",
    ];

    public static IReadOnlyList<string> For(NginxBuildOptions options, Toolchain toolchain)
    {
        var args = new List<string> { $"--prefix={options.Prefix}" };
        args.AddRange(Guide);
        if (toolchain.Compiler != "cc")
        {
            args.Add($"--with-cc={toolchain.Compiler}");
        }

        if (toolchain.Cross)
        {
            args.Add($"--crossbuild={toolchain.Target.NginxPlatform}");
        }

        var linkerOptions = new[] { options.Static ? "-static" : null, options.Strip ? "-s" : null }.OfType<string>().ToList();
        if (linkerOptions.Count > 0)
        {
            args.Add($"--with-ld-opt={string.Join(' ', linkerOptions)}");
        }

        return args;
    }
}
