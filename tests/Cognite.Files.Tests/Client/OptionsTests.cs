namespace Cognite.Files.Tests.Client;

public class OptionsTests
{
    private static string MessageOf(Action<CogniteFilesClientOptions> configure)
    {
        var o = ClientFixture.Options(configure);
        var ex = Assert.Catch<ArgumentException>(o.Validate);
        return ex!.Message;
    }

    [Test]
    public void Valid_options_build_the_api_base_url()
    {
        var o = ClientFixture.Options();
        o.Validate();
        Assert.That(o.GetApiBaseUri().ToString(), Is.EqualTo("https://api.example.com/api/v1/projects/proj/"));
    }

    [Test]
    public void Cluster_builds_the_cognitedata_host()
    {
        var o = ClientFixture.Options(o => { o.BaseUrl = null; o.Cluster = "westeurope-1"; });
        o.Validate();
        Assert.That(o.GetApiBaseUri().ToString(), Is.EqualTo("https://westeurope-1.cognitedata.com/api/v1/projects/proj/"));
    }

    [Test]
    public void Loopback_http_is_allowed_for_emulators()
    {
        var o = ClientFixture.Options(o => o.BaseUrl = new Uri("http://127.0.0.1:5000"));
        Assert.DoesNotThrow(o.Validate);
    }

    [Test]
    public void Messages_name_the_problem()
    {
        Assert.Multiple(() =>
        {
            Assert.That(MessageOf(o => o.BaseUrl = null), Does.Contain("Set BaseUrl").And.Contain("Cluster"));
            Assert.That(MessageOf(o => o.Cluster = "x"), Does.Contain("not both"));
            Assert.That(MessageOf(o => { o.BaseUrl = null; o.Cluster = "west europe"; }), Does.Contain("Cluster must be"));
            Assert.That(MessageOf(o => o.BaseUrl = new Uri("http://api.example.com")), Does.Contain("https"));
            Assert.That(MessageOf(o => o.BaseUrl = new Uri("https://api.example.com/api/v1/projects/proj")), Does.Contain("without \"/api/v1/projects/"));
            Assert.That(MessageOf(o => o.BaseUrl = new Uri("https://api.example.com/?x=1")), Does.Contain("query"));
            Assert.That(MessageOf(o => o.Project = ""), Does.Contain("Project is required"));
            Assert.That(MessageOf(o => o.Project = "a/b"), Does.Contain("not a valid CDF project"));
            Assert.That(MessageOf(o => o.AppName = " "), Does.Contain("AppName is required").And.Contain("x-cdp-app"));
            Assert.That(MessageOf(o => o.RequestTimeout = TimeSpan.Zero), Does.Contain("RequestTimeout must be positive"));
            Assert.That(MessageOf(o => o.MaxRetries = -1), Does.Contain("MaxRetries must be between 0 and 20"));
            Assert.That(MessageOf(o => o.MaxRetryDelay = TimeSpan.FromMilliseconds(1)), Does.Contain("RetryBaseDelay"));
            Assert.That(MessageOf(o => o.Transfer.MaxConcurrency = 0), Does.Contain("MaxConcurrency"));
        });
    }

    [Test]
    public void Constructor_validates_up_front()
    {
        var o = ClientFixture.Options(o => o.Project = "");
        Assert.Throws<ArgumentException>(() => new CogniteFilesClient(o, new Cognite.Files.Auth.StaticAccessTokenProvider("t")));
    }
}
