namespace HubHost.Storage;

/// <summary>
/// Errors about a file named as the person reading them wrote it: a repo's <c>LoadScript("model.pt")</c> fails
/// naming <c>model.pt</c>, not only the hub cache's copy of it; a downloaded file naming its URL.
/// </summary>
internal static class PathMessages
{
    /// <summary>
    /// Runs <paramref name="load"/>; a <see cref="HubException"/> naming <paramref name="path"/> is thrown again naming it
    /// <paramref name="shownAs"/>, with <paramref name="where"/> (a sentence saying where that file is) after it.
    /// </summary>
    public static T Named<T>(Func<T> load, string path, string shownAs, string where)
    {
        try
        {
            return load();
        }
        catch (HubException e) when (e.Message.Contains(path, StringComparison.Ordinal))
        {
            throw new HubException((e.Message.Replace(path, shownAs, StringComparison.Ordinal).TrimEnd() + " " + where).TrimEnd(), e);
        }
    }
}
