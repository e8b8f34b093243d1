using KubeAirgap.Diagnostics;
using Scriban;
using Scriban.Runtime;
using Scriban.Parsing;
using Scriban.Syntax;

namespace KubeAirgap.Render;

/// <summary>
/// Scriban in strict mode: an unknown variable or member is an error that names the template file and line.
/// Model members are exposed in snake_case (<c>Paths.BinDir</c> → <c>paths.bin_dir</c>).
/// </summary>
public sealed class TemplateEngine(string templatesDir)
{
    private readonly Dictionary<string, Template> _cache = new(StringComparer.Ordinal);

    public string TemplatesDir { get; } = templatesDir;

    public string Render(string relativePath, object model)
    {
        var template = Load(relativePath);
        var globals = new ScriptObject();
        globals.Import(model, renamer: StandardMemberRenamer.Default);
        var context = new TemplateContext
        {
            StrictVariables = true,
            EnableRelaxedMemberAccess = false,
            MemberRenamer = StandardMemberRenamer.Default,
            LoopLimit = 10_000,
        };
        context.PushGlobal(globals);
        try
        {
            return template.Render(context);
        }
        catch (ScriptRuntimeException e)
        {
            throw new InputException($"template {Where(relativePath, e.Span)}: {e.OriginalMessage}", e);
        }
    }

    private Template Load(string relativePath)
    {
        if (_cache.TryGetValue(relativePath, out var cached))
        {
            return cached;
        }

        var full = Path.Combine(TemplatesDir, relativePath);
        if (!File.Exists(full))
        {
            throw new InputException($"template {full} does not exist");
        }

        var template = Template.Parse(File.ReadAllText(full), full);
        if (template.HasErrors)
        {
            throw new InputException($"template {full} does not parse:" + Environment.NewLine
                + string.Join(Environment.NewLine, template.Messages.Select(m => "  " + m)));
        }

        _cache[relativePath] = template;
        return template;
    }

    private string Where(string relativePath, SourceSpan span) =>
        $"{Path.Combine(TemplatesDir, relativePath)}:{span.Start.Line + 1}:{span.Start.Column + 1}";
}
