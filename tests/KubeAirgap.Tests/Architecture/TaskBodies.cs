using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace KubeAirgap.Tests.Architecture;

/// <summary>One task class of build/Tasks as the parser sees it: its Run/RunAsync bodies and the names it uses.</summary>
public sealed record TaskBody(string File, string Name, int LogicLines, IReadOnlyList<string> OtherTaskUses);

/// <summary>
/// Reads task classes (classes deriving from FrostingTask&lt;T&gt; or AsyncFrostingTask&lt;T&gt;) from C# source.
/// A line of logic is a line of a Run/RunAsync body that is not blank, not a comment and not only braces and
/// brackets. A use of another task is a member access on another task class's name (<c>FetchTask.Options(..)</c>);
/// <c>typeof(FetchTask)</c> in an attribute is a dependency, not a use.
/// </summary>
public static class TaskBodies
{
    public const int MaxLogicLines = 30;

    private static readonly string[] TaskBases = ["FrostingTask", "AsyncFrostingTask"];

    public static IReadOnlyList<TaskBody> Read(IEnumerable<(string File, string Text)> sources)
    {
        var trees = sources.Select(s => (s.File, Root: CSharpSyntaxTree.ParseText(s.Text).GetCompilationUnitRoot())).ToList();
        var tasks = trees.SelectMany(t => t.Root.DescendantNodes().OfType<ClassDeclarationSyntax>().Where(IsTask).Select(c => (t.File, Class: c))).ToList();
        var names = tasks.Select(t => t.Class.Identifier.Text).ToHashSet(StringComparer.Ordinal);
        return tasks.Select(t => new TaskBody(
            t.File,
            t.Class.Identifier.Text,
            t.Class.Members.OfType<MethodDeclarationSyntax>().Where(m => m.Identifier.Text is "Run" or "RunAsync").Sum(LogicLines),
            t.Class.DescendantNodes().OfType<MemberAccessExpressionSyntax>()
                .Select(m => m.Expression is IdentifierNameSyntax id ? id.Identifier.Text : null)
                .OfType<string>()
                .Where(n => n != t.Class.Identifier.Text && names.Contains(n))
                .Distinct(StringComparer.Ordinal)
                .ToList())).ToList();
    }

    /// <summary>Lines of logic in one method body (an expression body counts its lines the same way).</summary>
    public static int LogicLines(MethodDeclarationSyntax method)
    {
        SyntaxNode? body = (SyntaxNode?)method.Body ?? method.ExpressionBody;
        if (body is null)
        {
            return 0;
        }

        // comments are trivia: drop them, then count what is left line by line
        var withoutComments = body.ReplaceTrivia(
            body.DescendantTrivia(descendIntoTrivia: true).Where(t => t.IsKind(SyntaxKind.SingleLineCommentTrivia) || t.IsKind(SyntaxKind.MultiLineCommentTrivia)),
            (_, _) => SyntaxFactory.Whitespace(string.Empty));
        return withoutComments.ToFullString().Split('\n').Count(IsLogic);
    }

    private static bool IsLogic(string line)
    {
        var trimmed = line.Trim();
        return trimmed.Length > 0 && trimmed.Trim('{', '}', '(', ')', '[', ']', ';', ',').Length > 0;
    }

    private static bool IsTask(ClassDeclarationSyntax c) =>
        c.BaseList?.Types.Any(t => t.Type is GenericNameSyntax g && TaskBases.Contains(g.Identifier.Text)) == true;
}
