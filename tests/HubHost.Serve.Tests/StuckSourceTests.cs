using System.Net;
using HubHost.Tests.Sources.Git;
using HubHost.Tests.Infrastructure;

namespace HubHost.Serve.Tests;

/// <summary>
/// Issue 21, item 5 in <c>serve</c>: one source that hangs (a NuGet feed that accepts the connection and never answers)
/// must not hold back the other refs. Before, a refresh joined the refresh still running, so the hung one swallowed
/// every later refresh of every repo. The hung feed's timeout is set far beyond the test, so what is shown is that the
/// refs are independent, not that the timeout fired.
/// </summary>
public sealed class StuckSourceTests
{
    [Fact]
    public async Task A_hung_feed_does_not_hold_back_a_refresh_of_the_other_repos()
    {
        using var home = new TempDirectory("hubhost-stuck");
        using var silent = new SilentServer();
        var config = silent.WriteNuGetConfig(home.Combine("cfg"));
        var local = home.Combine("local");
        VersionsRepo.WriteTiny(local, extra: false);
        var hub = new HubClient(new HubOptions { HubDirectory = home.Combine("hub"), NuGetConfigFile = config, NuGetTimeout = TimeSpan.FromMinutes(30) });
        await hub.TrustAsync("nuget:Hub.Stuck");
        await using var host = ServeHost.Create(hub, new ServeOptions { Repos = [local, "nuget:Hub.Stuck"], Urls = ["http://127.0.0.1:0"], RefreshInterval = null });
        await host.StartAsync();
        var baseUrl = host.Addresses.Single().TrimEnd('/');
        var localRepo = host.Catalog.Repos.Single(r => r.IsLocal);
        var stuckRepo = host.Catalog.Repos.Single(r => !r.IsLocal);

        await Eventually.UntilAsync(() => localRepo.Ref(0).Status == RefStatus.Ready, "the local repo opened");
        Assert.Equal(RefStatus.Loading, stuckRepo.Ref(0).Status);
        await silent.Connected.WaitAsync(TimeSpan.FromMinutes(2)); // the feed was asked, and hangs

        // The repo changes and the user presses Refresh while the feed still hangs.
        VersionsRepo.WriteTiny(local, extra: true);
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, baseUrl + "/api/refresh");
        request.Headers.Add(ServeHost.RefreshHeader, "1");
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        await Eventually.UntilAsync(() => localRepo.Ref(0).Find("added") is not null, "the refresh reached the local repo");
        Assert.Equal(RefStatus.Loading, stuckRepo.Ref(0).Status);
        Assert.True(host.Catalog.IsRefreshing, "the hung ref is still being opened");
    }
}
