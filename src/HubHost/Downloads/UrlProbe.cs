using System.Net.Http.Headers;

namespace HubHost.Downloads;

/// <summary>Whether a URL answers, without downloading it: a GET of its first byte (servers that sign their URLs refuse HEAD).</summary>
internal static class UrlProbe
{
    /// <summary>Null when <paramref name="url"/> answers with success; else what went wrong (<c>HTTP 404 Not Found</c>, a connection error).</summary>
    public static async Task<string?> ProblemAsync(string url, TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, UrlText.ParseHttp(url));
        request.Headers.Range = new RangeHeaderValue(0, 0);
        using var deadline = new CancellationTokenSource(timeout, time);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        try
        {
            using var response = await HubHttp.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token).ConfigureAwait(false);
            return response.IsSuccessStatusCode ? null : $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}".TrimEnd();
        }
        catch (HttpRequestException e)
        {
            return e.Message;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return $"no answer within {timeout.TotalSeconds:0} s";
        }
    }
}
