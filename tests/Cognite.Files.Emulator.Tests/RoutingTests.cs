using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Cognite.Files.Emulator.Tests.Support;
using Cognite.Files.Models;
using Newtonsoft.Json.Linq;

namespace Cognite.Files.Emulator.Tests;

/// <summary>
/// Endpoint routing: one mapped endpoint per operation of the document (a trailing slash accepted on each, as the JS SDK
/// sends it), a handler for every operation id, and CDF-shaped 404s for paths the document does not have.
/// </summary>
public sealed partial class RoutingTests
{
    private EmulatorHarness _h = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _h = await EmulatorHarness.StartAsync();

    [OneTimeTearDown]
    public async Task StopAsync() => await _h.DisposeAsync();

    [Test]
    public async Task Every_operation_of_the_document_has_a_handler_and_no_handler_is_left_over()
    {
        var schemas = await RequestSchemas.GetAsync();

        Assert.That(ApiHandler.Handlers.Keys, Is.EquivalentTo(schemas.Operations.Select(o => o.OperationId)));
    }

    [Test]
    public async Task Every_operation_of_the_document_is_an_endpoint_with_or_without_a_trailing_slash()
    {
        var schemas = await RequestSchemas.GetAsync();
        var file = await _h.Api.CreateFileAsync(new FileCreate { Name = "routed.txt" });
        var id = file.Id.ToString(CultureInfo.InvariantCulture);

        using (Assert.EnterMultipleScope())
        {
            foreach (var (method, template, operationId) in schemas.Operations)
            {
                foreach (var slash in new[] { "", "/" })
                {
                    var path = PathParameter().Replace(template, id).TrimStart('/') + slash;
                    using var request = new HttpRequestMessage(new HttpMethod(method), path);
                    if (method != "GET")
                    {
                        request.Content = new StringContent("{}", Encoding.UTF8, "application/json"); // may be refused (400), but by the operation
                    }

                    using var response = await _h.Http.SendAsync(request);
                    var body = await response.Content.ReadAsStringAsync();
                    Assert.That((int)response.StatusCode, Is.Not.EqualTo(404).And.Not.EqualTo(405), $"{operationId}: {method} {path} -> {body}");
                }
            }
        }
    }

    [TestCase("POST", "files/frobnicate")]
    [TestCase("GET", "files/not-an-id")]
    [TestCase("GET", "files/1/extra")]
    [TestCase("POST", "files/list/more")]
    [TestCase("GET", "assets")]
    [TestCase("GET", "")]
    public async Task A_path_the_document_does_not_have_is_a_CDF_shaped_404(string method, string path)
    {
        using var response = await _h.Http.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));

        await AssertCdfErrorAsync(response, 404);
    }

    [TestCase("DELETE", "files/list")]
    [TestCase("PUT", "files")]
    [TestCase("POST", "files/123")]
    [TestCase("DELETE", "files/123/")]
    public async Task A_path_of_the_document_with_another_method_is_a_CDF_shaped_405(string method, string path)
    {
        using var response = await _h.Http.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));

        await AssertCdfErrorAsync(response, 405);
    }

    private static async Task AssertCdfErrorAsync(HttpResponseMessage response, int status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.That((int)response.StatusCode, Is.EqualTo(status), text);
        Assert.That((int?)JObject.Parse(text)["error"]?["code"], Is.EqualTo(status), "CDF's error format");
    }

    [GeneratedRegex(@"\{\w+\}")]
    private static partial Regex PathParameter();
}
