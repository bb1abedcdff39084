using System.Net;
using Cognite.Files.Api;
using Cognite.Files.Http;
using Cognite.Files.Models;
using Cognite.Files.Tests.Client;
using Refit;
using RichardSzalay.MockHttp;

namespace Cognite.Files.Tests.Http;

/// <summary>
/// Retry classification comes from the table the codegen emits from the OpenAPI <c>x-cognite-retry</c> extension
/// (<see cref="CogniteFilesApiOperations.All"/>): by the Refit method's name, else by method and path template.
/// </summary>
public class ApiRetryRulesTests
{
    private const string ProjectBase = "https://api.example.com/api/v1/projects/proj";

    private static IEnumerable<TestCaseData> Operations() =>
        CogniteFilesApiOperations.All.Select(o => new TestCaseData(o.OperationId, o.Method, o.Path, o.Retry).SetName($"{o.Method} {o.Path} is {o.Retry}"));

    [Test]
    public void The_table_holds_only_known_retry_classes_and_one_entry_per_api_method()
    {
        Assert.That(CogniteFilesApiOperations.All.Select(o => o.Retry), Is.All.AnyOf("safe", "rate-limit-only"));
        var methods = typeof(ICogniteFilesApi).GetMethods().Select(m => m.Name).Order(StringComparer.Ordinal);
        Assert.That(CogniteFilesApiOperations.All.Select(o => o.OperationId + "Async").Order(StringComparer.Ordinal), Is.EqualTo(methods));
    }

    [TestCaseSource(nameof(Operations))]
    public void A_request_to_the_operations_path_is_classified_as_the_table_says(string operationId, string method, string path, string retry)
    {
        var concrete = path.Replace("{id}", "123", StringComparison.Ordinal);
        using var request = new HttpRequestMessage(new HttpMethod(method.ToUpperInvariant()), ProjectBase + concrete + "?overwrite=true&parts=3");

        var expected = retry == "safe" ? ApiRetryRules.RetryClass.SafeToRepeat : ApiRetryRules.RetryClass.RateLimitOnly;
        Assert.That(ApiRetryRules.Classify(request), Is.EqualTo(expected), operationId);
    }

    [Test]
    public void Get_files_icon_is_GetIcon_not_GetFileById_with_id_icon()
    {
        using var icon = new HttpRequestMessage(HttpMethod.Get, ProjectBase + "/files/icon?externalId=a");
        using var byId = new HttpRequestMessage(HttpMethod.Get, ProjectBase + "/files/123");

        Assert.That(ApiRetryRules.Find(icon)?.OperationId, Is.EqualTo("GetIcon"));
        Assert.That(ApiRetryRules.Find(byId)?.OperationId, Is.EqualTo("GetFileById"));
    }

    [Test]
    public void An_unknown_request_is_not_repeated()
    {
        using var future = new HttpRequestMessage(HttpMethod.Post, ProjectBase + "/files/some-future-operation");
        using var put = new HttpRequestMessage(HttpMethod.Put, ProjectBase + "/files/123");
        Assert.That(ApiRetryRules.Classify(future), Is.EqualTo(ApiRetryRules.RetryClass.RateLimitOnly));
        Assert.That(ApiRetryRules.Classify(put), Is.EqualTo(ApiRetryRules.RetryClass.RateLimitOnly));
        Assert.That(ApiRetryRules.Classify(null), Is.EqualTo(ApiRetryRules.RetryClass.RateLimitOnly));
    }

    /// <summary>Sends one CreateFile and one GetFileById through the generated client; classifies each in flight, as sent and re-pointed to <paramref name="elsewhere"/>.</summary>
    private static async Task<List<(ApiRetryRules.RetryClass AsSent, ApiRetryRules.RetryClass Elsewhere)>> ClassifyGeneratedRequestsAsync(Func<HttpMethod, string> elsewhere)
    {
        using var mock = new MockHttpMessageHandler();
        var seen = new List<(ApiRetryRules.RetryClass, ApiRetryRules.RetryClass)>();
        mock.Fallback.Respond(req =>
        {
            var asSent = ApiRetryRules.Classify(req);
            req.RequestUri = new Uri(ProjectBase + elsewhere(req.Method));
            seen.Add((asSent, ApiRetryRules.Classify(req)));
            return ClientFixture.Json(HttpStatusCode.OK, ClientFixture.FileJson(1, extra: ",\"uploadUrl\":\"https://u/x\""));
        });
        using var http = new HttpClient(mock) { BaseAddress = new Uri(ProjectBase + "/") };
        var api = RestService.For<ICogniteFilesApi>(http, CogniteRefitSettings.Create(TimeProvider.System));

        await api.CreateFileAsync(new FileCreate { Name = "a" });
        await api.GetFileByIdAsync(1);
        return seen;
    }

    [Test]
    public async Task Requests_made_by_the_generated_client_are_classified_as_the_table_says()
    {
        var seen = await ClassifyGeneratedRequestsAsync(m => m == HttpMethod.Get ? "/files/77" : "/files");

        Assert.That(seen.Select(s => s.AsSent), Is.EqualTo(new[] { ApiRetryRules.RetryClass.RateLimitOnly, ApiRetryRules.RetryClass.SafeToRepeat }));
    }

    [Test]
    public async Task The_refit_method_name_wins_over_the_path()
    {
        // The same request re-pointed at another operation's path keeps the class of the method that made it.
        var seen = await ClassifyGeneratedRequestsAsync(m => m == HttpMethod.Get ? "/files/delete" : "/files/list");

        Assert.That(seen.Select(s => s.Elsewhere), Is.EqualTo(new[] { ApiRetryRules.RetryClass.RateLimitOnly, ApiRetryRules.RetryClass.SafeToRepeat }));
    }

    [TestCase(true, HttpStatusCode.ServiceUnavailable, true)]
    [TestCase(true, HttpStatusCode.RequestTimeout, true)]
    [TestCase(true, HttpStatusCode.NotImplemented, false)]
    [TestCase(true, HttpStatusCode.BadRequest, false)]
    [TestCase(false, HttpStatusCode.TooManyRequests, true)]
    [TestCase(false, HttpStatusCode.ServiceUnavailable, false)]
    public void Which_statuses_are_retried(bool safeToRepeat, HttpStatusCode status, bool retried) =>
        Assert.That(ApiRetryRules.ShouldRetry(safeToRepeat ? ApiRetryRules.RetryClass.SafeToRepeat : ApiRetryRules.RetryClass.RateLimitOnly, status), Is.EqualTo(retried));
}
