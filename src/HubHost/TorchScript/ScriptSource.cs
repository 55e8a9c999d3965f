using System.Text;
using System.Text.RegularExpressions;

namespace HubHost.TorchScript;

/// <summary>A class or function one code/ file of a TorchScript archive defines.</summary>
internal sealed class ScriptDefinition(string qualifiedName, bool isClass, string? bases, string member, int line)
{
    /// <summary><c>__torch__.&lt;path&gt;.&lt;Name&gt;</c>, as the pickles and other code files refer to it.</summary>
    public string QualifiedName { get; } = qualifiedName;

    public bool IsClass { get; } = isClass;

    /// <summary>What is in the parentheses after the class name (Module, NamedTuple, Enum, Interface...), or null.</summary>
    public string? Bases { get; } = bases;

    /// <summary>The archive member and line that define it (for messages).</summary>
    public string Where { get; } = $"{member}, line {line}";

    /// <summary>The attributes the class declares (<c>name : Type</c> or <c>__annotations__["name"] = Type</c>), which libtorch looks up in the object's state.</summary>
    public HashSet<string> Attributes { get; } = new(StringComparer.Ordinal);

    /// <summary>False when an attribute name could not be read (an escape the check does not decode).</summary>
    public bool AttributesKnown { get; set; } = true;

    /// <summary>Whether the class defines __setstate__ (libtorch then hands it the state instead of reading attributes).</summary>
    public bool HasSetState { get; set; }

    /// <summary>The <c>__torch__.*</c> names the definition's lines mention.</summary>
    public HashSet<string> References { get; } = new(StringComparer.Ordinal);
}

/// <summary>
/// What the hub checks in a code/ file before libtorch compiles it. The file is TorchScript source that
/// torch.jit.save printed (python_print.cpp) and libtorch parses and compiles with recursive descent, so the check
/// bounds what would make that recursion overflow the stack: brackets nested, operators chained in one expression,
/// blocks nested (<see cref="ArchiveLimits"/>). It also reads which classes and functions the file defines, the
/// attributes each class declares and the <c>__torch__</c> names it refers to. It does not parse the language:
/// whether the code compiles, what it does when it runs (TorchScript can read and write files through torch.ops)
/// and how long it runs are libtorch's and the archive's author's business, which is why an archive is code and is
/// loaded only from a trusted repo or a hash-checked URL.
/// </summary>
internal static partial class ScriptSource
{
    /// <summary>
    /// Checks the UTF-8 source of <paramref name="member"/> (module <paramref name="qualifier"/>, e.g.
    /// <c>__torch__.torch.nn.modules.linear</c>) and returns what it defines.
    /// </summary>
    public static List<ScriptDefinition> Read(string member, string qualifier, byte[] bytes, Func<string, Exception> error)
    {
        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw error($"code member '{member}' is not valid UTF-8 text");
        }
        if (text.Contains('\0')) throw error($"code member '{member}' contains a NUL character, which TorchScript source never does");
        var lexer = new Lexer(text, member, error);
        var lines = lexer.Run();
        return Declarations(lines, member, qualifier, error);
    }

    /// <summary>One logical line (a statement, possibly over several physical lines): its block level, text and references.</summary>
    private sealed record LogicalLine(int Level, int Number, string Text, List<string> References);

    private static List<ScriptDefinition> Declarations(List<LogicalLine> lines, string member, string qualifier, Func<string, Exception> error)
    {
        var result = new List<ScriptDefinition>();
        ScriptDefinition? current = null;
        foreach (var line in lines)
        {
            if (line.Level == 0)
            {
                current = null;
                if (ClassLine().Match(line.Text) is { Success: true } c)
                    current = new ScriptDefinition($"{qualifier}.{c.Groups[1].Value}", isClass: true, c.Groups[3].Success ? c.Groups[3].Value.Trim() : null, member, line.Number);
                else if (DefLine().Match(line.Text) is { Success: true } d)
                    current = new ScriptDefinition($"{qualifier}.{d.Groups[1].Value}", isClass: false, null, member, line.Number);
                if (current is not null)
                {
                    if (result.Any(r => r.QualifiedName == current.QualifiedName))
                        throw error($"code member '{member}' defines {current.QualifiedName} twice (line {line.Number})");
                    result.Add(current);
                }
            }
            else if (line.Level == 1 && current is { IsClass: true })
            {
                if (SetStateLine().IsMatch(line.Text)) current.HasSetState = true;
                else if (AnnotationsLine().Match(line.Text) is { Success: true } a)
                {
                    if (Unquote(a.Groups[1].Value) is { } name) current.Attributes.Add(name);
                    else current.AttributesKnown = false;
                }
                else if (AttributeLine().Match(line.Text) is { Success: true } attr && !attr.Groups[2].Value.Contains('='))
                    current.Attributes.Add(attr.Groups[1].Value);
            }
            if (current is not null)
                foreach (var r in line.References) current.References.Add(r);
        }
        return result;
    }

    /// <summary>The content of a Python string literal as python_print writes attribute names, or null for an escape it does not decode.</summary>
    private static string? Unquote(string literal)
    {
        var body = literal[1..^1];
        if (!body.Contains('\\')) return body;
        var sb = new StringBuilder();
        for (int i = 0; i < body.Length; i++)
        {
            if (body[i] != '\\') { sb.Append(body[i]); continue; }
            if (++i >= body.Length) return null;
            switch (body[i])
            {
                case '\\' or '"' or '\'': sb.Append(body[i]); break;
                case 'n': sb.Append('\n'); break;
                case 't': sb.Append('\t'); break;
                case 'r': sb.Append('\r'); break;
                default: return null;
            }
        }
        return sb.ToString();
    }

    /// <summary>Splits source into logical lines while enforcing the nesting bounds; never recursive.</summary>
    private sealed class Lexer(string text, string member, Func<string, Exception> error)
    {
        private static readonly HashSet<string> OperatorWords = new(StringComparer.Ordinal) { "and", "or", "not", "if", "else", "is", "in", "lambda", "await" };

        private readonly List<LogicalLine> _lines = [];
        private readonly List<int> _indents = [0];
        private readonly Stack<Level> _levels = new();
        private List<string> _references = [];
        private int _line = 1;
        private int _lineStart = -1;
        private int _lineNumber;
        private bool _operand;

        /// <summary>One bracket level of the statement: operators chained in the current comma-separated element,
        /// the deepest bracketed part in it, and the deepest element so far.</summary>
        private sealed class Level
        {
            public int Chain;
            public int Sub;
            public int Best;

            public int Depth => Math.Max(Best, Chain + Sub);
        }

        public List<LogicalLine> Run()
        {
            _levels.Push(new Level());
            int i = 0;
            bool lineStart = true;
            while (i < text.Length)
            {
                if (lineStart)
                {
                    lineStart = false;
                    int column = 0, j = i;
                    while (j < text.Length && text[j] is ' ' or '\t' or '\f')
                    {
                        column = text[j] == '\t' ? (column / 8 + 1) * 8 : column + 1;
                        j++;
                    }
                    if (j >= text.Length || text[j] is '\n' or '\r' or '#')
                    {
                        // A blank or comment-only line: no statement, no indentation.
                        i = SkipToEndOfLine(j);
                        if (i < text.Length) { i++; _line++; }
                        lineStart = true;
                        continue;
                    }
                    Indent(column);
                    i = j;
                    _lineStart = i;
                    _lineNumber = _line;
                }
                char c = text[i];
                switch (c)
                {
                    case '#':
                        i = SkipToEndOfLine(i);
                        break;
                    case '\\' when i + 1 < text.Length && (text[i + 1] == '\n' || (text[i + 1] == '\r' && i + 2 < text.Length && text[i + 2] == '\n')):
                        i += text[i + 1] == '\n' ? 2 : 3;
                        _line++;
                        break;
                    case '\n':
                        _line++;
                        i++;
                        if (_levels.Count == 1)
                        {
                            EndStatement(i - 1);
                            lineStart = true;
                        }
                        break;
                    case ' ' or '\t' or '\r' or '\f':
                        i++;
                        break;
                    case '"' or '\'':
                        i = SkipString(i);
                        _operand = true;
                        break;
                    case '(' or '[' or '{':
                        if (_operand && c != '{') _levels.Peek().Chain++;
                        if (_levels.Count > ArchiveLimits.MaxBracketDepth)
                            throw error($"code member '{member}' nests brackets more than {ArchiveLimits.MaxBracketDepth} deep at line {_line}, which would overflow libtorch's parser");
                        _levels.Push(new Level());
                        _operand = false;
                        i++;
                        break;
                    case ')' or ']' or '}':
                        if (_levels.Count == 1) throw error($"code member '{member}' closes a bracket it never opened at line {_line}");
                        var closed = _levels.Pop();
                        var parent = _levels.Peek();
                        parent.Sub = Math.Max(parent.Sub, closed.Depth + 1);
                        _operand = true;
                        i++;
                        break;
                    case ',' or ':':
                    {
                        var level = _levels.Peek();
                        level.Best = level.Depth;
                        level.Chain = 0;
                        level.Sub = 0;
                        _operand = false;
                        i++;
                        break;
                    }
                    case ';':
                        if (_levels.Count == 1) Check(_levels.Peek().Depth);
                        _levels.Peek().Best = 0;
                        _levels.Peek().Chain = 0;
                        _levels.Peek().Sub = 0;
                        _operand = false;
                        i++;
                        break;
                    case '.' when i + 1 < text.Length && char.IsAsciiDigit(text[i + 1]):
                        i = SkipNumber(i);
                        break;
                    case '.':
                        _levels.Peek().Chain++;
                        _operand = false;
                        i++;
                        break;
                    default:
                        if (char.IsAsciiDigit(c))
                        {
                            i = SkipNumber(i);
                        }
                        else if (char.IsAsciiLetter(c) || c == '_' || c >= 0x80)
                        {
                            int start = i;
                            while (i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] == '_' || text[i] >= 0x80)) i++;
                            string word = text[start..i];
                            if (OperatorWords.Contains(word))
                            {
                                _levels.Peek().Chain++;
                                _operand = false;
                            }
                            else
                            {
                                if (word == "__torch__") i = ReadReference(start, i);
                                _operand = true;
                            }
                        }
                        else
                        {
                            // An operator (+, -, **, <=, ==, ->, ...): one link of the chain.
                            int from = i;
                            while (i < text.Length && "+-*/%@&|^~<>=!".Contains(text[i])) i++;
                            if (i == from) i++;
                            _levels.Peek().Chain++;
                            _operand = false;
                        }
                        break;
                }
            }
            if (_levels.Count > 1) throw error($"code member '{member}' ends inside an open bracket");
            EndStatement(text.Length);
            return _lines;
        }

        private void Indent(int column)
        {
            while (column < _indents[^1]) _indents.RemoveAt(_indents.Count - 1);
            if (column > _indents[^1])
            {
                _indents.Add(column);
                if (_indents.Count - 1 > ArchiveLimits.MaxBlockDepth)
                    throw error($"code member '{member}' nests blocks more than {ArchiveLimits.MaxBlockDepth} deep at line {_line}, which would overflow libtorch's parser");
            }
        }

        private void EndStatement(int end)
        {
            if (_lineStart < 0) return;
            Check(_levels.Peek().Depth);
            _lines.Add(new LogicalLine(_indents.Count - 1, _lineNumber, text[_lineStart..end].TrimEnd(), _references));
            _references = [];
            _levels.Clear();
            _levels.Push(new Level());
            _lineStart = -1;
            _operand = false;
        }

        private void Check(int depth)
        {
            if (depth > ArchiveLimits.MaxExpressionDepth)
                throw error($"code member '{member}' chains more than {ArchiveLimits.MaxExpressionDepth} operators, calls or attribute accesses in the statement at line {_lineNumber}, which would overflow libtorch's parser");
        }

        /// <summary>Reads <c>__torch__.a.b.C</c> (the word __torch__ ends at <paramref name="end"/>); each dot is a link of the chain.</summary>
        private int ReadReference(int start, int end)
        {
            int i = end;
            while (i + 1 < text.Length && text[i] == '.' && (char.IsAsciiLetter(text[i + 1]) || text[i + 1] == '_'))
            {
                i++;
                while (i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] == '_')) i++;
                _levels.Peek().Chain++;
            }
            _references.Add(text[start..i]);
            return i;
        }

        private int SkipToEndOfLine(int i)
        {
            while (i < text.Length && text[i] != '\n') i++;
            return i;
        }

        private int SkipNumber(int i)
        {
            while (i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] is '_' or '.')) i++;
            return i;
        }

        private int SkipString(int i)
        {
            char quote = text[i];
            bool triple = i + 2 < text.Length && text[i + 1] == quote && text[i + 2] == quote;
            int startLine = _line;
            i += triple ? 3 : 1;
            while (i < text.Length)
            {
                char c = text[i];
                if (c == '\\')
                {
                    if (i + 1 < text.Length && text[i + 1] == '\n') _line++;
                    i += 2;
                    continue;
                }
                if (c == '\n')
                {
                    if (!triple) throw error($"code member '{member}' has a string that does not end on its line ({startLine})");
                    _line++;
                }
                if (c == quote && (!triple || (i + 2 < text.Length && text[i + 1] == quote && text[i + 2] == quote)))
                    return i + (triple ? 3 : 1);
                i++;
            }
            throw error($"code member '{member}' has a string starting at line {startLine} that never ends");
        }
    }

    [GeneratedRegex(@"^class\s+([A-Za-z_][A-Za-z0-9_]*)\s*(\((.*)\))?\s*:")]
    private static partial Regex ClassLine();

    [GeneratedRegex(@"^def\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(")]
    private static partial Regex DefLine();

    [GeneratedRegex(@"^def\s+__setstate__\s*\(")]
    private static partial Regex SetStateLine();

    [GeneratedRegex(@"^__annotations__\[(""(?:[^""\\]|\\.)*""|'(?:[^'\\]|\\.)*')\]\s*=")]
    private static partial Regex AnnotationsLine();

    [GeneratedRegex(@"^([A-Za-z_][A-Za-z0-9_]*)\s*:(.*)$", RegexOptions.Singleline)]
    private static partial Regex AttributeLine();
}
