using Cake.Core.Diagnostics;

namespace Cake.Frosting.Internal;

/// <summary>
/// Cake's command line: <c>--target=X</c>, <c>-t X</c>, <c>--verbosity=diagnostic</c>, switches such as
/// <c>--dryrun</c>, and any <c>--name=value</c>, which becomes a Cake argument (and, for
/// <c>--section_key=value</c>, a configuration override). <c>--name value</c> also works, except that a bare word
/// naming a task is the target, so the application's own switches need no list here: <c>--flag Bundle</c> is the
/// switch <c>flag</c> and the target Bundle.
/// </summary>
internal sealed class CommandLine
{
    private static readonly Dictionary<string, string> Aliases = new(StringComparer.OrdinalIgnoreCase)
    {
        ["t"] = "target",
        ["v"] = "verbosity",
        ["e"] = "exclusive",
        ["w"] = "working",
        ["d"] = "description",
        ["dryrun"] = "dryrun",
        ["noop"] = "dryrun",
        ["whatif"] = "dryrun",
        ["showdescription"] = "description",
        ["showtree"] = "tree",
    };

    private static readonly HashSet<string> Switches = new(StringComparer.OrdinalIgnoreCase)
    {
        "description", "tree", "dryrun", "exclusive", "version", "info", "help",
    };

    public Dictionary<string, List<string>> Arguments { get; } = new(StringComparer.OrdinalIgnoreCase);

    public string Target => Last("target") ?? "Default";

    public bool Has(string name) => Arguments.ContainsKey(name) && Last(name) is not ("false" or "False");

    public string? Last(string name) => Arguments.TryGetValue(name, out var values) && values.Count > 0 ? values[^1] : null;

    public Verbosity Verbosity
    {
        get
        {
            var text = Last("verbosity");
            if (text is null)
            {
                return Verbosity.Normal;
            }

            return VerbosityParser.TryParse(text, out var verbosity)
                ? verbosity
                : throw new FrostingException($"--verbosity: '{text}' is not one of quiet, minimal, normal, verbose, diagnostic");
        }
    }

    /// <param name="taskNames">The registered tasks: a bare word naming one is never taken as an option's value.</param>
    public static CommandLine Parse(IReadOnlyList<string> args, IReadOnlyCollection<string>? taskNames = null)
    {
        var tasks = new HashSet<string>(taskNames ?? [], StringComparer.OrdinalIgnoreCase);
        var result = new CommandLine();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith('-'))
            {
                // A bare word is the target, as in `build.sh Bundle`.
                result.Add("target", arg);
                continue;
            }

            var body = arg.TrimStart('-');
            string name;
            string? value = null;
            var eq = body.IndexOf('=', StringComparison.Ordinal);
            if (eq >= 0)
            {
                name = body[..eq];
                value = body[(eq + 1)..].Trim('"');
            }
            else
            {
                name = body;
            }

            name = Aliases.GetValueOrDefault(name, name);
            if (value is null)
            {
                var isSwitch = Switches.Contains(name);
                if (!isSwitch && i + 1 < args.Count && !args[i + 1].StartsWith('-') && !tasks.Contains(args[i + 1]))
                {
                    value = args[++i];
                }
                else
                {
                    value = "true";
                }
            }

            result.Add(name, value);
        }

        return result;
    }

    public IDictionary<string, string> ToConfigurationArguments() =>
        Arguments.ToDictionary(kv => kv.Key, kv => kv.Value[^1], StringComparer.OrdinalIgnoreCase);

    public ILookup<string, string> ToLookup() =>
        Arguments.SelectMany(kv => kv.Value.Select(v => (kv.Key, v)))
            .ToLookup(p => p.Key, p => p.v, StringComparer.OrdinalIgnoreCase);

    private void Add(string name, string value)
    {
        if (!Arguments.TryGetValue(name, out var list))
        {
            Arguments[name] = list = [];
        }

        list.Add(value);
    }
}
