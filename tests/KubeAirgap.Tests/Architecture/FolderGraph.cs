using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace KubeAirgap.Tests.Architecture;

/// <summary>
/// One use of a folder by another: the type of <see cref="To"/> that is named (its top-level type, or
/// <c>namespace</c> for a using directive or a qualifier), and the first place it was seen (file:line, the name).
/// </summary>
public sealed record FolderUse(string From, string To, string Type, string Where, string Name)
{
    public const string Namespace = "namespace";

    public string Edge => $"{From} -> {To}";

    public override string ToString() => $"{Edge} ({Type}; {Where}: {Name})";
}

/// <summary>
/// Which top-level folder of src/KubeAirgap uses which, as the C# compiler binds it: every name in every file
/// (types, members, extension methods, namespaces in using directives and in qualified names such as
/// <c>Pins.PinsFile</c>) is resolved with a semantic model, and a name declared in another folder's file is an
/// edge. A property that happens to share a folder's name is not, since the compiler binds it to the property.
/// </summary>
public static class FolderGraph
{
    /// <summary>The global usings the SDK generates for ImplicitUsings (Microsoft.NET.Sdk).</summary>
    private const string ImplicitUsings = """
        global using System;
        global using System.Collections.Generic;
        global using System.IO;
        global using System.Linq;
        global using System.Net.Http;
        global using System.Threading;
        global using System.Threading.Tasks;
        """;

    private const string RootNamespace = "KubeAirgap";

    /// <summary>Every use between the folders of <paramref name="sourceRoot"/> (src/KubeAirgap), one per (from, to, type).</summary>
    public static IReadOnlyList<FolderUse> Build(string sourceRoot) => Build(sourceRoot, [], walkOnlyExtra: false);

    /// <summary>
    /// The uses made by <paramref name="planted"/>: files bound together with <paramref name="sourceRoot"/> as if they
    /// stood at the given paths (relative to it), for tests that plant an edge.
    /// </summary>
    public static IReadOnlyList<FolderUse> Plant(string sourceRoot, params (string RelativePath, string Text)[] planted) =>
        Build(sourceRoot, planted, walkOnlyExtra: true);

    private static IReadOnlyList<FolderUse> Build(string sourceRoot, IReadOnlyList<(string RelativePath, string Text)> extra, bool walkOnlyExtra)
    {
        var files = Directory.EnumerateFiles(sourceRoot, "*.cs", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(sourceRoot, f).Replace('\\', '/'))
            .Where(f => !f.StartsWith("bin/", StringComparison.Ordinal) && !f.StartsWith("obj/", StringComparison.Ordinal))
            .Select(f => (RelativePath: f, Text: File.ReadAllText(Path.Combine(sourceRoot, f))))
            .ToList();
        var walked = walkOnlyExtra ? extra.Select(e => e.RelativePath).ToHashSet(StringComparer.Ordinal) : null;
        files.AddRange(extra);
        var options = new CSharpParseOptions(LanguageVersion.Latest);
        var trees = files.Select(f => CSharpSyntaxTree.ParseText(f.Text, options, f.RelativePath)).ToList();
        var compilation = CSharpCompilation.Create(
            "KubeAirgap.ArchitectureProbe",
            [.. trees, CSharpSyntaxTree.ParseText(ImplicitUsings, options, "(implicit usings)")],
            References(),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

        var ours = DeclaredNames(trees);
        var uses = new Dictionary<(string, string, string), FolderUse>();
        foreach (var tree in trees.Where(t => walked is null || walked.Contains(t.FilePath)))
        {
            var from = FolderOf(tree.FilePath);
            var model = compilation.GetSemanticModel(tree);
            foreach (var name in tree.GetRoot().DescendantNodes().OfType<SimpleNameSyntax>().Where(n => ours.Contains(n.Identifier.ValueText)))
            {
                var symbol = Bind(model, name);
                var to = FolderOf(symbol);
                if (to is null || to == from)
                {
                    continue;
                }

                var type = TypeOf(symbol!);
                uses.TryAdd((from, to, type), new FolderUse(from, to, type, $"{tree.FilePath}:{name.GetLocation().GetLineSpan().StartLinePosition.Line + 1}", name.Identifier.ValueText));
            }
        }

        return [.. uses.Values.OrderBy(u => u.Edge, StringComparer.Ordinal).ThenBy(u => u.Type, StringComparer.Ordinal)];
    }

    /// <summary>
    /// Every name declared in <paramref name="trees"/> (types, members, parameters, variables, namespace parts) and
    /// <c>var</c>: a name outside this set cannot bind to our code, so it is not bound at all (binding is the cost).
    /// </summary>
    private static HashSet<string> DeclaredNames(IEnumerable<SyntaxTree> trees)
    {
        var names = new HashSet<string>(StringComparer.Ordinal) { "var" };
        foreach (var node in trees.SelectMany(t => t.GetRoot().DescendantNodes()))
        {
            switch (node)
            {
                case BaseTypeDeclarationSyntax type:
                    names.Add(type.Identifier.ValueText);
                    break;
                case DelegateDeclarationSyntax d:
                    names.Add(d.Identifier.ValueText);
                    break;
                case MethodDeclarationSyntax m:
                    names.Add(m.Identifier.ValueText);
                    break;
                case PropertyDeclarationSyntax p:
                    names.Add(p.Identifier.ValueText);
                    break;
                case EventDeclarationSyntax e:
                    names.Add(e.Identifier.ValueText);
                    break;
                case EnumMemberDeclarationSyntax member:
                    names.Add(member.Identifier.ValueText);
                    break;
                case VariableDeclaratorSyntax v:
                    names.Add(v.Identifier.ValueText);
                    break;
                case ParameterSyntax p:
                    names.Add(p.Identifier.ValueText);
                    break;
                case BaseNamespaceDeclarationSyntax ns:
                    names.UnionWith(ns.Name.ToString().Split('.'));
                    break;
            }
        }

        return names;
    }

    /// <summary>The top-level type that declares <paramref name="symbol"/> (the type itself for a type).</summary>
    private static string TypeOf(ISymbol symbol)
    {
        if (symbol is INamespaceSymbol)
        {
            return FolderUse.Namespace;
        }

        var type = symbol as INamedTypeSymbol ?? symbol.ContainingType;
        while (type?.ContainingType is { } outer)
        {
            type = outer;
        }

        return type?.Name ?? symbol.Name;
    }

    /// <summary>The top-level folder of a file path relative to src/KubeAirgap ("(root)" for a file directly in it).</summary>
    public static string FolderOf(string relativePath)
    {
        var slash = relativePath.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? "(root)" : relativePath[..slash];
    }

    private static ISymbol? Bind(SemanticModel model, SimpleNameSyntax name)
    {
        var info = model.GetSymbolInfo(name);
        return info.Symbol ?? (info.CandidateSymbols.Length > 0 ? info.CandidateSymbols[0] : null);
    }

    /// <summary>The folder that declares <paramref name="symbol"/>, or null when it is not ours (BCL, packages, locals).</summary>
    private static string? FolderOf(ISymbol? symbol)
    {
        switch (symbol)
        {
            case null or ILocalSymbol or IParameterSymbol or ITypeParameterSymbol or ILabelSymbol or IRangeVariableSymbol:
                return null;
            case INamespaceSymbol ns:
                // using KubeAirgap.Bundle; or the Pins in Pins.PinsFile: the namespace's second part names the folder
                var parts = ns.ToDisplayString().Split('.');
                return parts.Length >= 2 && parts[0] == RootNamespace ? parts[1] : null;
            case IMethodSymbol { ReducedFrom: { } extension }:
                return FolderOf(extension);
        }

        var declared = symbol.OriginalDefinition.Locations.FirstOrDefault(l => l.IsInSource);
        return declared?.SourceTree is { } tree && tree.FilePath != "(implicit usings)" ? FolderOf(tree.FilePath) : null;
    }

    /// <summary>The assemblies this test process runs on, less our own (src/KubeAirgap is compiled from source here).</summary>
    private static ImmutableArray<MetadataReference> References()
    {
        var trusted = ((string?)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        return [.. trusted
            .Where(p => !Path.GetFileName(p).StartsWith(RootNamespace, StringComparison.Ordinal) && Path.GetFileName(p) != "Build.dll")
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))];
    }
}
