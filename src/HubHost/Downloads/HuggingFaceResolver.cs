using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.Logging;

namespace HubHost.Downloads;

/// <summary>What the hub's resolve endpoint said of a file: the commit its revision points to, and the file's SHA-256 and size when it is an LFS file.</summary>
/// <param name="Commit">The full commit SHA (<c>X-Repo-Commit</c>).</param>
/// <param name="Sha256">The file's SHA-256 from the LFS ETag (<c>X-Linked-Etag</c>), or null for a file kept in git itself.</param>
/// <param name="Size">The file's size (<c>X-Linked-Size</c> or Content-Length), when given.</param>
/// <param name="Url">The resolve URL at that commit: what is downloaded.</param>
internal sealed record HfResolution(string Commit, string? Sha256, long? Size, Uri Url);

/// <summary>
/// Resolves <c>hf://</c> files the way huggingface_hub does: a HEAD request to <c>{endpoint}/owner/repo/resolve/{revision}/{path}</c>
/// that does not follow the redirect to the CDN, reading <c>X-Repo-Commit</c> and the LFS ETag. The token goes only to the
/// endpoint's host (<see cref="AuthorizationFor"/>), and .NET drops the Authorization header on every redirect, so the CDN never sees it.
/// </summary>
internal sealed class HuggingFaceResolver(string endpoint, string? token, DownloadSettings settings, ILogger logger, TimeProvider time)
{
    private readonly Uri _endpoint = new(endpoint + "/");

    /// <summary>Relative redirects followed (a renamed repo); a redirect to another host is the CDN and ends the walk.</summary>
    private const int MaxHops = 5;

    /// <summary>The bearer token for a request to <paramref name="url"/>: only to the endpoint's scheme, host and port.</summary>
    public AuthenticationHeaderValue? AuthorizationFor(Uri url)
        => token is not null && SameOrigin(url, _endpoint) ? new AuthenticationHeaderValue("Bearer", token) : null;

    private static bool SameOrigin(Uri a, Uri b)
        => a.Scheme == b.Scheme && string.Equals(a.Host, b.Host, StringComparison.OrdinalIgnoreCase) && a.Port == b.Port;

    /// <summary>The commit-pinned URL of a file at a known commit (nothing asked).</summary>
    public Uri PinnedUrl(HfLocation location, string commit) => location.ResolveUrl(endpoint, commit);

    public async Task<HfResolution> ResolveAsync(HfLocation location, CancellationToken cancellationToken)
    {
        var url = location.ResolveUrl(endpoint, location.Revision);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await AskAsync(location, url, cancellationToken).ConfigureAwait(false);
            }
            catch (TransientDownloadException e) when (attempt < 3)
            {
                var delay = settings.InitialBackoff * attempt;
                logger.LogWarning("Resolving {Url}: {Reason}; retrying in {Delay:0.0} s", location.Text, e.Reason, delay.TotalSeconds);
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            }
            catch (TransientDownloadException e)
            {
                throw new HubException($"Could not resolve {location.Text} on {endpoint}: {e.Reason}. Check your network (HF_ENDPOINT sets the hub's address) and try again.", e);
            }
        }
    }

    private async Task<HfResolution> AskAsync(HfLocation location, Uri url, CancellationToken cancellationToken)
    {
        for (var hop = 0; ; hop++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Head, url);
            request.Headers.Authorization = AuthorizationFor(url);
            using var deadline = new CancellationTokenSource(settings.ReadTimeout, time);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
            HttpResponseMessage response;
            try
            {
                response = await HubHttp.NoRedirectClient.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TransientDownloadException($"no answer within {settings.ReadTimeout.TotalSeconds:0} s", inner: e);
            }
            catch (HttpRequestException e)
            {
                throw new TransientDownloadException(FileDownloader.Describe(e), inner: e);
            }
            using (response)
            {
                var code = (int)response.StatusCode;
                var commit = Header(response, "X-Repo-Commit");
                if (code is >= 300 and < 400 && response.Headers.Location is { } location3xx)
                {
                    var target = location3xx.IsAbsoluteUri ? location3xx : new Uri(url, location3xx);
                    // The CDN (another host) serves the bytes; the resolve answer already said what they are.
                    if (commit is not null && !SameOrigin(target, _endpoint)) return Resolution(location, response, commit);
                    if (hop >= MaxHops)
                        throw new HubException($"Could not resolve {location.Text}: {endpoint} redirected more than {MaxHops} times. Check HF_ENDPOINT.");
                    url = target;
                    continue;
                }
                if (response.IsSuccessStatusCode)
                {
                    if (commit is null)
                        throw new HubException($"{endpoint} answered for {location.Text} without an X-Repo-Commit header, so it is not a Hugging Face hub resolve endpoint; check HF_ENDPOINT.");
                    return Resolution(location, response, commit);
                }
                if (code is 408 or 429 || code >= 500)
                    throw new TransientDownloadException($"the hub answered HTTP {code}");
                throw Refused(location, response, code);
            }
        }
    }

    private HfResolution Resolution(HfLocation location, HttpResponseMessage response, string commit)
    {
        commit = commit.Trim().ToLowerInvariant();
        if (commit.Length != 40 || !commit.All(char.IsAsciiHexDigitLower))
            throw new HubException($"{endpoint} answered for {location.Text} with a malformed X-Repo-Commit; check HF_ENDPOINT.");
        var etag = Header(response, "X-Linked-Etag") ?? response.Headers.ETag?.Tag;
        var sha256 = etag?.Replace("W/", "", StringComparison.Ordinal).Trim('"').ToLowerInvariant();
        if (sha256 is not { Length: 64 } || !sha256.All(char.IsAsciiHexDigitLower)) sha256 = null; // a git blob's ETag is its SHA-1: not a content hash we check
        long? size = long.TryParse(Header(response, "X-Linked-Size"), out var linked) ? linked : response.Content.Headers.ContentLength;
        logger.LogDebug("{Url} is at commit {Commit}{Hash}", location.Text, commit[..12], sha256 is null ? "" : $", SHA-256 {sha256}");
        return new HfResolution(commit, sha256, size, location.ResolveUrl(endpoint, commit));
    }

    private HubException Refused(HfLocation location, HttpResponseMessage response, int code)
    {
        var error = Header(response, "X-Error-Code");
        var sent = token is not null ? "HF_TOKEN was sent; check that it grants access to this repo." : "For a gated or private repo set HF_TOKEN (sent only to the hub's host).";
        return error switch
        {
            "RepoNotFound" => new HubException($"The Hugging Face repo {location.RepoKind}{location.RepoId} does not exist (or is private): {location.Text}. Check the name. {sent}"),
            "RevisionNotFound" => new HubException($"The Hugging Face repo {location.RepoId} has no revision '{location.Revision}' ({location.Text}). Give a branch, tag or commit it has."),
            "EntryNotFound" => new HubException($"The Hugging Face repo {location.RepoId} has no file '{location.FilePath}' at '{location.Revision}' ({location.Text}). Check the path."),
            "GatedRepo" => new HubException($"The Hugging Face repo {location.RepoId} is gated: accept its terms on the hub, then set HF_TOKEN. ({location.Text})"),
            _ when code is 401 or 403 => new HubException($"The Hugging Face hub refused {location.Text} (HTTP {code}). {sent}"),
            _ when code == (int)HttpStatusCode.NotFound => new HubException($"The Hugging Face hub has no {location.Text} (HTTP 404). Check the repo, revision and path. {sent}"),
            _ => new HubException($"The Hugging Face hub answered HTTP {code} for {location.Text}. Check the URL."),
        };
    }

    private static string? Header(HttpResponseMessage response, string name)
        => response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;
}
