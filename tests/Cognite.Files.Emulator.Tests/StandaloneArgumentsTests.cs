using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Cognite.Files.Emulator.Tests.Support;
using Newtonsoft.Json.Linq;

namespace Cognite.Files.Emulator.Tests;

/// <summary>
/// The standalone emulator's command line (<c>Program</c>), run as users run it, in a process of its own: <c>--project</c>
/// is repeatable, the first one is the project of the printed base URL, and any other project gets CDF's 403.
/// </summary>
public sealed class StandaloneArgumentsTests
{
    private static async Task<HttpResponseMessage> ListAsync(HttpClient http, Uri api, string project, CancellationToken cancellationToken)
    {
        var url = new Uri(api, $"/api/v1/projects/{project}/files/list");
        return await http.PostAsync(url, new StringContent("{}", Encoding.UTF8, "application/json"), cancellationToken);
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task Repeated_project_options_allow_each_of_them_print_the_first_and_refuse_others_with_403(CancellationToken cancellationToken)
    {
        await using var emulator = await StandaloneEmulator.StartAsync(cancellationToken, "--project", "alpha", "--project", "beta");
        using var http = new HttpClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "t");

        Assert.That(emulator.Printed, Has.Some.Match("^api: http://127\\.0\\.0\\.1:[0-9]+/api/v1/projects/alpha$"), string.Join("\n", emulator.Printed));
        Assert.That(emulator.Api.AbsolutePath, Is.EqualTo("/api/v1/projects/alpha/"));
        foreach (var project in new[] { "alpha", "beta" })
        {
            using var allowed = await ListAsync(http, emulator.Api, project, cancellationToken);
            Assert.That(allowed.StatusCode, Is.EqualTo(HttpStatusCode.OK), project);
        }

        using var other = await ListAsync(http, emulator.Api, "gamma", cancellationToken);
        Assert.That(other.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        var error = JObject.Parse(await other.Content.ReadAsStringAsync(cancellationToken))["error"]!;
        Assert.That((int)error["code"]!, Is.EqualTo(403), "CDF's error format");
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task Without_a_project_option_any_project_works_and_the_printed_one_is_emulator(CancellationToken cancellationToken)
    {
        await using var emulator = await StandaloneEmulator.StartAsync(cancellationToken);
        using var http = new HttpClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "t");

        Assert.That(emulator.Api.AbsolutePath, Is.EqualTo("/api/v1/projects/emulator/"));
        using var any = await ListAsync(http, emulator.Api, "some-real-project", cancellationToken);
        Assert.That(any.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task A_project_option_without_a_name_is_a_usage_error(CancellationToken cancellationToken)
    {
        var (exitCode, _, error) = await StandaloneEmulator.RunAsync(cancellationToken, "--port", "0", "--upload-port", "0", "--project");

        Assert.That(exitCode, Is.EqualTo(2));
        Assert.That(error.Trim(), Is.EqualTo("error: --project needs a value."));
    }
}
