using Microsoft.Playwright;

namespace HubHost.Serve.Tests;

/// <summary>
/// Debian's Chromium (<c>apt-get install chromium</c>) driven by Playwright's bundled driver; no browser is ever
/// downloaded. Started by the test that needs it and closed after it.
/// </summary>
public sealed class Browser : IAsyncDisposable
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private readonly IPlaywright _playwright;

    private Browser(IPlaywright playwright, IBrowser browser, IBrowserContext context, IPage page)
    {
        _playwright = playwright;
        Chromium = browser;
        Context = context;
        Page = page;
    }

    public IBrowser Chromium { get; }

    public IBrowserContext Context { get; }

    public IPage Page { get; }

    /// <summary>Script errors and CSP violations the page reported.</summary>
    public List<string> Console { get; } = [];

    public static async Task<Browser> StartAsync(string baseUrl)
    {
        var playwright = await Playwright.CreateAsync();
        try
        {
            var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = ChromiumPath,
                Headless = true,
                Args = ["--no-sandbox", "--disable-dev-shm-usage"],
            });
            var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = baseUrl, ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
            await context.GrantPermissionsAsync(["clipboard-read", "clipboard-write"], new BrowserContextGrantPermissionsOptions { Origin = baseUrl });
            var page = await context.NewPageAsync();
            var result = new Browser(playwright, browser, context, page);
            page.Console += (_, m) => { if (m.Type is "error" or "warning") result.Console.Add($"{m.Text} ({m.Location})"); };
            page.PageError += (_, e) => result.Console.Add("page error: " + e);
            return result;
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }

    /// <summary>Writes a screenshot of the page into the test run's output folder; returns its path.</summary>
    public async Task<string> ScreenshotAsync(string name)
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "screenshots");
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, name + ".png");
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        return path;
    }

    public async ValueTask DisposeAsync()
    {
        await Context.CloseAsync();
        await Chromium.CloseAsync();
        _playwright.Dispose();
    }
}

/// <summary>A test that drives the browser: skipped, saying why, when Debian's Chromium is not installed.</summary>
public sealed class BrowserFactAttribute : FactAttribute
{
    public BrowserFactAttribute()
    {
        if (!File.Exists(Browser.ChromiumPath))
            Skip = $"{Browser.ChromiumPath} is not installed (apt-get install chromium; .ci/run installs it). Playwright never downloads a browser here.";
    }
}
