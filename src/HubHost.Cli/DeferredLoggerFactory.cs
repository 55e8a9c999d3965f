using Microsoft.Extensions.Logging;

namespace HubHost.Cli;

/// <summary>
/// The command line's logger factory, made on the first event that is written: a run that logs nothing (a load of a built
/// repo) never starts Serilog, which cost 40-100 ms of a fresh process (issue 17; docs/design.md, "Start-up").
/// Whether a level is enabled is known without it.
/// </summary>
internal sealed class DeferredLoggerFactory(LogLevel minimum, Func<ILoggerFactory> create) : ILoggerFactory
{
    private readonly Lazy<ILoggerFactory> _factory = new(create);

    /// <summary>The lowest level written.</summary>
    public LogLevel Minimum { get; } = minimum;

    /// <summary>Whether the real factory was made (an event was written, or a provider added).</summary>
    public bool Started => _factory.IsValueCreated;

    public ILogger CreateLogger(string categoryName) => new DeferredLogger(this, categoryName);

    public void AddProvider(ILoggerProvider provider) => _factory.Value.AddProvider(provider);

    public void Dispose()
    {
        if (_factory.IsValueCreated) _factory.Value.Dispose();
    }

    private sealed class DeferredLogger(DeferredLoggerFactory owner, string category) : ILogger
    {
        private ILogger? _logger;

        private ILogger Logger => LazyInitializer.EnsureInitialized(ref _logger, () => owner._factory.Value.CreateLogger(category));

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => Logger.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None && logLevel >= owner.Minimum && (_logger is null || _logger.IsEnabled(logLevel));

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel)) Logger.Log(logLevel, eventId, state, exception, formatter);
        }
    }
}
