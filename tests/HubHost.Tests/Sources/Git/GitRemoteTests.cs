using HubHost.Sources;
using HubHost.Sources.Git;

namespace HubHost.Tests.Sources.Git;

/// <summary>Parsing of git sources: every accepted form, and one clear message for each malformed one.</summary>
public sealed class GitRemoteTests
{
    [Theory]
    [InlineData("owner/", "the repo name is empty")]
    [InlineData("a/b/c", "more than one '/'")]
    [InlineData("owner/name:", "the ref after ':' or '#' is empty")]
    [InlineData("own er/name", "contains a space")]
    [InlineData("owner/name:feature x", "contains a space")]
    [InlineData("noslash", "is not owner/name")]
    [InlineData("ow@ner/name", "not a valid owner or repo name")]
    [InlineData("owner/name:bad..ref", "not a valid git ref")]
    [InlineData("owner/name:-x", "not a valid git ref")]
    [InlineData("https://example.com/x.git#", "the ref after ':' or '#' is empty")]
    [InlineData("https://example.com/", "no repo path")]
    [InlineData("ftp://example.com/x.git", "URL scheme")]
    public void Malformed_strings_name_the_string_and_the_accepted_forms(string text, string why)
    {
        var e = Assert.Throws<HubException>(() => HubPipeline.Parse(text, GitUrls.DefaultBaseUrl));
        Assert.Contains($"'{text.Trim()}'", e.Message);
        Assert.Contains(why, e.Message);
        Assert.Contains("owner/name:REF", e.Message);
    }

    [Fact]
    public void Owner_name_uses_the_configured_base_url_and_github_by_default()
    {
        var github = GitRemote.Parse("pytorch/vision:v0.10.0", GitUrls.DefaultBaseUrl);
        Assert.Equal("https://github.com/pytorch/vision.git", github.Url);
        Assert.Equal("v0.10.0", github.Ref);
        Assert.Equal("pytorch/vision", github.TrustKey);

        var local = GitRemote.Parse("hubs/demo:feature/x", GitUrls.CheckBaseUrl("git://127.0.0.1:9418", "HubOptions.GitBaseUrl"));
        Assert.Equal("git://127.0.0.1:9418/hubs/demo.git", local.Url);
        Assert.Equal("feature/x", local.Ref);
        Assert.Equal("git://127.0.0.1:9418/hubs/demo", local.TrustKey); // not GitHub: trusted by URL
    }

    [Theory]
    [InlineData("https://host.example/x/y.git#v2", "https://host.example/x/y.git", "v2")]
    [InlineData("file:///srv/x.git#main", "file:///srv/x.git", "main")]
    [InlineData("git://127.0.0.1:9418/hubs/demo.git", "git://127.0.0.1:9418/hubs/demo.git", null)]
    [InlineData("ssh://git@host.example/x.git#feature/a-b", "ssh://git@host.example/x.git", "feature/a-b")]
    public void Urls_take_the_ref_after_the_hash(string text, string url, string? reference)
    {
        var remote = GitRemote.Parse(text, GitUrls.DefaultBaseUrl);
        Assert.Equal(url, remote.Url);
        Assert.Equal(reference, remote.Ref);
        Assert.Equal(reference ?? "HEAD", remote.RefLabel);
    }

    [Fact]
    public void A_url_with_a_password_is_refused_without_repeating_it()
    {
        var e = Assert.Throws<HubException>(() => GitRemote.Parse("https://user:s3cr3t-token@example.com/x.git", GitUrls.DefaultBaseUrl));
        Assert.DoesNotContain("s3cr3t-token", e.Message);
        Assert.Contains("GITHUB_TOKEN", e.Message);
    }

    [Fact]
    public void Mirrors_are_per_url_and_records_per_ref()
    {
        var a = GitRemote.Parse("https://a.example/team/hub.git", GitUrls.DefaultBaseUrl);
        var b = GitRemote.Parse("https://b.example/team/hub.git", GitUrls.DefaultBaseUrl);
        Assert.NotEqual(a.MirrorName, b.MirrorName);
        Assert.StartsWith("team_hub-", a.MirrorName);
        Assert.Equal(a.MirrorName, GitRemote.Parse("https://a.example/team/hub.git#v2", GitUrls.DefaultBaseUrl).MirrorName);
        Assert.NotEqual(GitRemote.Parse("o/n:feature/x", GitUrls.DefaultBaseUrl).RecordFileName, GitRemote.Parse("o/n:feature_x", GitUrls.DefaultBaseUrl).RecordFileName);
        Assert.Equal("https://a.example/team/hub", GitUrls.NormalizeUrl("HTTPS://A.example/team/hub.git/"));
    }

    [Fact]
    public void Ls_remote_output_resolves_branches_before_tags_and_peels_annotated_tags()
    {
        var refs = RemoteRefs.Parse(
            "ref: refs/heads/main\tHEAD\n" +
            "1111111111111111111111111111111111111111\tHEAD\n" +
            "1111111111111111111111111111111111111111\trefs/heads/main\n" +
            "2222222222222222222222222222222222222222\trefs/heads/same\n" +
            "3333333333333333333333333333333333333333\trefs/tags/same\n" +
            "4444444444444444444444444444444444444444\trefs/tags/v1\n" +
            "5555555555555555555555555555555555555555\trefs/tags/v1^{}\n");
        Assert.Equal(new string('1', 40), refs.Head);
        Assert.Equal(new string('2', 40), refs.Find("same"));
        Assert.Equal(new string('5', 40), refs.Find("v1"));
        Assert.Null(refs.Find("nope"));
        Assert.Contains("main, same", refs.Sample());
    }
}
