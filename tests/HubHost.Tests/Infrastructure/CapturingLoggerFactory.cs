using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace HubHost.Tests.Infrastructure;

/// <summary>
/// Keeps every formatted log message (thread-safe), and lets a test wait for one: what the hub logs when it starts
/// waiting for a lock or a build is the signal that it does, instead of a sleep.
/// </summary>
internal sealed class CapturingLoggerFactory : ILoggerFactory
{
    private readonly List<(Func<string, bool> Match, TaskCompletionSource<string> Seen)> _waiters = [];

    public ConcurrentQueue<string> Messages { get; } = new();

    /// <summary>
    /// The first message (logged before or after the call) that <paramref name="match"/> accepts; fails the test when
    /// none comes within <paramref name="timeout"/> (default 2 minutes: a liveness bound, not a timing).
    /// </summary>
    public async Task<string> WaitForAsync(Func<string, bool> match, string what, TimeSpan? timeout = null)
    {
        var seen = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_waiters)
        {
            if (Messages.FirstOrDefault(match) is { } earlier) return earlier;
            _waiters.Add((match, seen));
        }
        try
        {
            return await seen.Task.WaitAsync(timeout ?? TimeSpan.FromMinutes(2));
        }
        catch (TimeoutException)
        {
            Assert.Fail($"never logged: {what}. Logged:\n{string.Join("\n", Messages)}");
            throw;
        }
    }

    /// <summary>Waits for a message that contains <paramref name="text"/>.</summary>
    public Task<string> WaitForAsync(string text, TimeSpan? timeout = null)
        => WaitForAsync(m => m.Contains(text, StringComparison.Ordinal), $"a message with \"{text}\"", timeout);

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void AddProvider(ILoggerProvider provider) { }

    public void Dispose() { }

    private void Add(string message)
    {
        lock (_waiters)
        {
            Messages.Enqueue(message);
            foreach (var waiter in _waiters.Where(w => w.Match(message)).ToList())
            {
                waiter.Seen.TrySetResult(message);
                _waiters.Remove(waiter);
            }
        }
    }

    private sealed class Logger(CapturingLoggerFactory owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            => owner.Add(formatter(state, exception));
    }
}
