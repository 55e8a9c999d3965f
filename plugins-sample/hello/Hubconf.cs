namespace Hello;

/// <summary>The entrypoints of the hello hub repo.</summary>
public static class Hubconf
{
    /// <summary>Greets someone.</summary>
    /// <param name="name">Who to greet.</param>
    /// <param name="times">How many times to say hello.</param>
    /// <param name="excited">End with an exclamation mark.</param>
    /// <returns>The greeting.</returns>
    /// <example>
    /// <code>
    /// hubhost load ./plugins-sample/hello greet --arg name=Ada --arg times=2
    /// </code>
    /// </example>
    public static string greet(string name = "world", int times = 1, bool excited = false)
        => string.Join(" ", Enumerable.Repeat("hello", times)) + ", " + name + (excited ? "!" : ".");

    /// <summary>Adds two numbers (a required-argument example).</summary>
    /// <param name="a">The first number.</param>
    /// <param name="b">The second number.</param>
    public static double add(double a, double b) => a + b;

    /// <summary>Waits, then answers: an asynchronous entrypoint.</summary>
    /// <param name="milliseconds">How long to wait.</param>
    /// <param name="cancellationToken">Given by the hub.</param>
    public static async Task<string> slow_answer(int milliseconds = 10, CancellationToken cancellationToken = default)
    {
        await Task.Delay(milliseconds, cancellationToken);
        return "42";
    }

    private static string NotAnEntrypoint() => "helpers are not listed";

    internal static string AlsoNotAnEntrypoint() => NotAnEntrypoint();
}
