using System.Globalization;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using LlcLab.Notebooks.Format;
using Microsoft.DotNet.Interactive.Documents;

namespace LlcLab.Notebooks.Execution;

/// <summary>A variable declared in the notebook's <c>parameters</c> cell.</summary>
/// <param name="Name">Variable name.</param>
/// <param name="Type">C# keyword: bool, int, long, double, float, decimal or string.</param>
/// <param name="DefaultText">The initializer as written.</param>
public sealed record NotebookParameter(string Name, string Type, string DefaultText);

/// <summary>
/// Papermill-style parameters: the code cell tagged <c>parameters</c> declares defaults
/// (<c>bool quick = false;</c>, <c>var seed = 1;</c>); values given on the command line
/// (<c>-p quick=true</c>) are injected as a new cell right after it (tagged
/// <c>injected-parameters</c>) that re-declares each variable with a C# literal of the declared
/// type, so later cells see the override.
/// </summary>
public static class NotebookParameters
{
    public const string ParametersTag = "parameters";
    public const string InjectedTag = "injected-parameters";

    static readonly string[] Supported = ["bool", "int", "long", "double", "float", "decimal", "string"];

    /// <summary>Index (0-based, among all cells) of the first cell tagged <c>parameters</c>, or -1.</summary>
    public static int FindParametersCell(InteractiveDocument nb)
    {
        for (int i = 0; i < nb.Elements.Count; i++)
            if (nb.Elements[i].IsCode() && nb.Elements[i].Tags().Contains(ParametersTag)) return i;
        return -1;
    }

    /// <summary>The parameters the notebook declares (empty when it has no <c>parameters</c> cell).</summary>
    public static IReadOnlyList<NotebookParameter> Declared(InteractiveDocument nb)
    {
        int i = FindParametersCell(nb);
        return i < 0 ? [] : Parse(nb.Elements[i].Contents);
    }

    /// <summary>Top-level variable declarations of a cell, with their types (explicit, or inferred from a literal for <c>var</c>).</summary>
    public static IReadOnlyList<NotebookParameter> Parse(string code)
    {
        var tree = CSharpSyntaxTree.ParseText(code, CSharpParseOptions.Default.WithKind(SourceCodeKind.Script));
        var result = new List<NotebookParameter>();
        foreach (var decl in tree.GetRoot().DescendantNodes().OfType<VariableDeclarationSyntax>())
        {
            bool topLevel = decl.Parent is FieldDeclarationSyntax { Parent: CompilationUnitSyntax }
                || decl.Parent is LocalDeclarationStatementSyntax { Parent: GlobalStatementSyntax };
            if (!topLevel) continue;
            foreach (var v in decl.Variables)
            {
                string? type = decl.Type.IsVar ? InferType(v.Initializer?.Value) : Normalize(decl.Type.ToString());
                result.Add(new NotebookParameter(v.Identifier.Text, type ?? "?", v.Initializer?.Value.ToString() ?? ""));
            }
        }
        return result;
    }

    /// <summary>
    /// A copy of the notebook with an injected cell after the <c>parameters</c> cell, or the notebook
    /// unchanged when <paramref name="values"/> is empty. The returned index is the injected cell's
    /// position (0-based) or -1.
    /// </summary>
    /// <exception cref="ArgumentException">No parameters cell, an unknown name (lists the available ones), or a value that does not parse as the declared type.</exception>
    public static (InteractiveDocument Notebook, int InjectedIndex) Inject(InteractiveDocument nb, IReadOnlyDictionary<string, string> values, string notebookName)
    {
        if (values.Count == 0) return (nb, -1);
        int index = FindParametersCell(nb);
        if (index < 0)
            throw new ArgumentException(
                $"{notebookName} has no code cell tagged \"{ParametersTag}\", so -p {string.Join(", ", values.Keys)} cannot be applied. " +
                "Tag the cell declaring the defaults with \"parameters\" (cell metadata.tags).");
        var declared = Parse(nb.Elements[index].Contents).GroupBy(p => p.Name).ToDictionary(g => g.Key, g => g.Last());
        var lines = new List<string> { "// Parameters injected by llclab notebooks run (-p)." };
        foreach (var (name, raw) in values)
        {
            if (!declared.TryGetValue(name, out var p))
                throw new ArgumentException(
                    $"{notebookName}: unknown parameter '{name}'. Available parameters (cell {index + 1}): " +
                    (declared.Count == 0 ? "none" : string.Join(", ", declared.Values.Select(d => $"{d.Type} {d.Name} = {d.DefaultText}"))) + ".");
            lines.Add($"{p.Type} {name} = {Literal(p, raw, notebookName)};");
        }
        var copy = NotebookDocument.Clone(nb);
        copy.Elements.Insert(index + 1, NotebookDocument.CodeCell(string.Join("\n", lines), InjectedTag));
        return (copy, index + 1);
    }

    /// <summary>The C# literal for <paramref name="raw"/> as the parameter's type.</summary>
    public static string Literal(NotebookParameter p, string raw, string notebookName = "notebook")
    {
        var inv = CultureInfo.InvariantCulture;
        string Bad(string what) => throw new ArgumentException($"{notebookName}: parameter {p.Name} is {p.Type}; '{raw}' is not {what}.");
        switch (p.Type)
        {
            case "bool":
                if (bool.TryParse(raw, out var b)) return b ? "true" : "false";
                if (raw == "1") return "true";
                if (raw == "0") return "false";
                return Bad("true or false");
            case "int":
                return int.TryParse(raw, NumberStyles.Integer, inv, out var i) ? i.ToString(inv) : Bad("an int");
            case "long":
                return long.TryParse(raw, NumberStyles.Integer, inv, out var l) ? l.ToString(inv) + "L" : Bad("a long");
            case "double":
                if (!double.TryParse(raw, NumberStyles.Float, inv, out var d)) return Bad("a number");
                return double.IsNaN(d) ? "double.NaN" : double.IsPositiveInfinity(d) ? "double.PositiveInfinity"
                    : double.IsNegativeInfinity(d) ? "double.NegativeInfinity" : d.ToString("R", inv) + "d";
            case "float":
                if (!float.TryParse(raw, NumberStyles.Float, inv, out var f) || !float.IsFinite(f)) return Bad("a finite float");
                return f.ToString("R", inv) + "f";
            case "decimal":
                return decimal.TryParse(raw, NumberStyles.Float, inv, out var m) ? m.ToString(inv) + "m" : Bad("a decimal");
            case "string":
                return SymbolDisplay.FormatLiteral(raw, quote: true);
            case "?":
                throw new ArgumentException(
                    $"{notebookName}: cannot tell the type of parameter {p.Name} (var with a non-literal initializer '{p.DefaultText}'). " +
                    $"Declare it with an explicit type: one of {string.Join(", ", Supported)}.");
            default:
                throw new ArgumentException(
                    $"{notebookName}: parameter {p.Name} has type '{p.Type}', which -p cannot set. " +
                    $"Declare it with one of {string.Join(", ", Supported)} (or var with a literal of those types).");
        }
    }

    static string? InferType(ExpressionSyntax? e)
    {
        if (e is PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.UnaryMinusExpression } neg) e = neg.Operand;
        if (e is not LiteralExpressionSyntax lit) return null;
        return lit.Kind() switch
        {
            SyntaxKind.TrueLiteralExpression or SyntaxKind.FalseLiteralExpression => "bool",
            SyntaxKind.StringLiteralExpression => "string",
            SyntaxKind.NumericLiteralExpression => lit.Token.Value switch
            {
                int => "int", long => "long", double => "double", float => "float", decimal => "decimal", _ => null,
            },
            _ => null,
        };
    }

    static string Normalize(string type) => type switch
    {
        "Boolean" or "System.Boolean" => "bool",
        "Int32" or "System.Int32" => "int",
        "Int64" or "System.Int64" => "long",
        "Double" or "System.Double" => "double",
        "Single" or "System.Single" => "float",
        "Decimal" or "System.Decimal" => "decimal",
        "String" or "System.String" or "string?" => "string",
        _ => type,
    };
}
