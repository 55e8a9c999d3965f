namespace HubHost;

/// <summary>
/// Raised for every failure a user can act on (bad repo, failed build, unknown entrypoint, bad argument,
/// failed download...). <see cref="Exception.Message"/> is one complete sentence: what was wrong and what to do.
/// </summary>
public class HubException : Exception
{
    /// <summary>Creates the exception with a message that says what was wrong and what to do.</summary>
    public HubException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    public HubException(string message, Exception? innerException) : base(message, innerException) { }
}
