using System.ComponentModel;
using System.Globalization;
using System.Numerics;
using System.Reflection;

namespace HubHost.Entrypoints;

/// <summary>Converts an argument value to a parameter's type: strings parsed with the invariant culture, numbers widened or checked.</summary>
internal static class ValueConverter
{
    /// <summary>Tries to convert; on failure <paramref name="problem"/> says why.</summary>
    public static bool TryConvert(object? value, Type target, out object? result, out string? problem)
    {
        result = null;
        problem = null;
        var underlying = Nullable.GetUnderlyingType(target);
        if (value is null)
        {
            if (!target.IsValueType || underlying is not null) return true;
            problem = "null is not allowed";
            return false;
        }
        if (target.IsInstanceOfType(value))
        {
            result = value;
            return true;
        }
        target = underlying ?? target;
        try
        {
            if (value is string text) return TryParse(text, target, out result, out problem);
            if (target.IsEnum && IsInteger(value.GetType()))
            {
                result = Enum.ToObject(target, value);
                return true;
            }
            if (IsNumeric(value.GetType()) && IsNumeric(target))
            {
                if (IsInteger(target) && !IsInteger(value.GetType()))
                {
                    var d = Convert.ToDouble(value, CultureInfo.InvariantCulture);
                    if (Math.Floor(d) != d)
                    {
                        problem = $"{CSharpNames.Value(value)} is not a whole number";
                        return false;
                    }
                }
                result = Convert.ChangeType(value, target, CultureInfo.InvariantCulture);
                return true;
            }
            if (target.IsArray && value is System.Collections.IEnumerable items and not string)
            {
                var element = target.GetElementType()!;
                var list = new List<object?>();
                foreach (var item in items)
                {
                    if (!TryConvert(item, element, out var converted, out problem)) return false;
                    list.Add(converted);
                }
                var array = Array.CreateInstance(element, list.Count);
                for (int i = 0; i < list.Count; i++) array.SetValue(list[i], i);
                result = array;
                return true;
            }
        }
        catch (Exception e) when (e is OverflowException or InvalidCastException or FormatException)
        {
            problem = e is OverflowException ? $"{CSharpNames.Value(value)} is out of range" : e.Message;
            return false;
        }
        problem = $"a {CSharpNames.Type(value.GetType())} cannot be converted";
        return false;
    }

    private static bool TryParse(string text, Type target, out object? result, out string? problem)
    {
        result = null;
        problem = null;
        var s = text.Trim();
        if (target == typeof(string) || target == typeof(object)) { result = text; return true; }
        if (target == typeof(bool))
        {
            switch (s.ToLowerInvariant())
            {
                case "true" or "1" or "yes" or "on": result = true; return true;
                case "false" or "0" or "no" or "off": result = false; return true;
            }
            problem = $"'{text}' is not true or false";
            return false;
        }
        if (target.IsEnum)
        {
            if (Enum.TryParse(target, s, ignoreCase: true, out result) && (long.TryParse(s, out _) ? Enum.IsDefined(target, result!) : true)) return true;
            problem = $"'{text}' is not one of {string.Join(", ", Enum.GetNames(target))}";
            return false;
        }
        if (target.IsArray)
        {
            var element = target.GetElementType()!;
            var parts = s.Length == 0 ? [] : s.Split(',');
            var array = Array.CreateInstance(element, parts.Length);
            for (int i = 0; i < parts.Length; i++)
            {
                if (!TryParse(parts[i], element, out var item, out problem)) return false;
                array.SetValue(item, i);
            }
            result = array;
            return true;
        }
        if (target == typeof(FileInfo)) { result = new FileInfo(s); return true; }
        if (target == typeof(DirectoryInfo)) { result = new DirectoryInfo(s); return true; }
        if (target == typeof(Uri))
        {
            if (Uri.TryCreate(s, UriKind.RelativeOrAbsolute, out var uri)) { result = uri; return true; }
            problem = $"'{text}' is not a URI";
            return false;
        }
        if (IsNumeric(target))
        {
            var style = IsInteger(target) ? NumberStyles.Integer : NumberStyles.Float | NumberStyles.AllowThousands;
            var parse = target.GetMethod("TryParse", [typeof(string), typeof(NumberStyles), typeof(IFormatProvider), target.MakeByRefType()]);
            var args = new object?[] { s, style, CultureInfo.InvariantCulture, null };
            if (parse is not null && (bool)parse.Invoke(null, args)!)
            {
                result = args[3];
                return true;
            }
            problem = $"'{text}' is not a valid {CSharpNames.Type(target)}";
            return false;
        }
        // A repo's own type (its assembly is collectible) never goes through TypeDescriptor: its caches are static
        // and would keep the repo's load context alive forever (and it cannot resolve a converter type living in
        // that context anyway). Its [TypeConverter] and a static Parse are used directly instead.
        var converter = target.IsCollectible ? RepoConverter(target) : TypeDescriptor.GetConverter(target);
        if (converter is not null && converter.CanConvertFrom(typeof(string)))
        {
            try
            {
                result = converter.ConvertFromInvariantString(s);
                return true;
            }
            catch (Exception e) when (e is FormatException or NotSupportedException or ArgumentException || e.InnerException is FormatException)
            {
                problem = $"'{text}' is not a valid {CSharpNames.Type(target)}";
                return false;
            }
        }
        if (target.IsCollectible && ParseMethod(target) is { } parseMethod)
        {
            try
            {
                result = parseMethod.GetParameters().Length == 2 ? parseMethod.Invoke(null, [s, CultureInfo.InvariantCulture]) : parseMethod.Invoke(null, [s]);
                return true;
            }
            catch (TargetInvocationException e) when (e.InnerException is FormatException or ArgumentException or OverflowException or IndexOutOfRangeException)
            {
                problem = $"'{text}' is not a valid {CSharpNames.Type(target)}: {e.InnerException.Message}";
                return false;
            }
        }
        problem = $"a {CSharpNames.Type(target)} cannot be given as text";
        return false;
    }

    /// <summary>The converter a repo type names with [TypeConverter], made without TypeDescriptor; null when it names none.</summary>
    private static TypeConverter? RepoConverter(Type target)
    {
        var name = target.GetCustomAttribute<TypeConverterAttribute>(inherit: true)?.ConverterTypeName;
        if (string.IsNullOrEmpty(name)) return null;
        Type? type;
        // Resolve the name as the repo would: through its load context, never by loading it into the host's.
        using (System.Runtime.Loader.AssemblyLoadContext.EnterContextualReflection(target.Assembly))
            type = target.Assembly.GetType(name.Split(',')[0].Trim()) ?? Type.GetType(name, throwOnError: false);
        if (type is null || !typeof(TypeConverter).IsAssignableFrom(type)) return null;
        var withType = type.GetConstructor([typeof(Type)]);
        return (TypeConverter?)(withType is not null ? withType.Invoke([target]) : Activator.CreateInstance(type));
    }

    /// <summary>A public static <c>Parse(string, IFormatProvider)</c> or <c>Parse(string)</c> returning the type (IParsable and the usual convention).</summary>
    private static MethodInfo? ParseMethod(Type target)
    {
        const BindingFlags flags = BindingFlags.Public | BindingFlags.Static;
        var parse = target.GetMethod("Parse", flags, [typeof(string), typeof(IFormatProvider)]) ?? target.GetMethod("Parse", flags, [typeof(string)]);
        return parse is not null && parse.ReturnType == target ? parse : null;
    }

    private static bool IsInteger(Type t) => t == typeof(int) || t == typeof(long) || t == typeof(short) || t == typeof(byte)
                                             || t == typeof(sbyte) || t == typeof(ushort) || t == typeof(uint) || t == typeof(ulong) || t == typeof(BigInteger);

    private static bool IsNumeric(Type t) => IsInteger(t) || t == typeof(float) || t == typeof(double) || t == typeof(decimal) || t == typeof(Half);
}
