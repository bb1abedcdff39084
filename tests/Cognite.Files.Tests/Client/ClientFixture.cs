using System.Net;
using System.Text;
using Cognite.Files.Auth;
using Microsoft.Extensions.Time.Testing;
using Microsoft.Kiota.Abstractions.Authentication;
using RichardSzalay.MockHttp;

namespace Cognite.Files.Tests.Client;

internal static class ClientFixture
{
    public const string Root = "https://api.example.com";
    public const string ApiBase = Root + "/api/v1/projects/proj";
    public const string Token = "secret-token-123";

    public static CogniteFilesClientOptions Options(Action<CogniteFilesClientOptions>? configure = null)
    {
        var o = new CogniteFilesClientOptions { BaseUrl = new Uri(Root), Project = "proj", AppName = "tests" };
        configure?.Invoke(o);
        return o;
    }

    public static CogniteFilesClient Client(
        MockHttpMessageHandler api,
        MockHttpMessageHandler? presigned = null,
        FakeTimeProvider? time = null,
        Action<CogniteFilesClientOptions>? configure = null,
        IAccessTokenProvider? tokenProvider = null) =>
        new(Options(configure), tokenProvider ?? new StaticAccessTokenProvider(Token), null, time ?? new FakeTimeProvider(), api, presigned ?? new MockHttpMessageHandler());

    public static HttpResponseMessage Json(HttpStatusCode status, string json, string? requestId = "rid-1")
    {
        var r = new HttpResponseMessage(status) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (requestId is not null)
        {
            r.Headers.Add("x-request-id", requestId);
        }

        return r;
    }

    public static string FileJson(long id, string name = "a.txt", string? extra = null, bool uploaded = false) =>
        $$"""{"id":{{id}},"name":"{{name}}","uploaded":{{(uploaded ? "true" : "false")}},"createdTime":1,"lastUpdatedTime":1{{extra}}}""";

    /// <summary>Advances fake time in small steps, yielding for real between them, until <paramref name="task"/> ends.</summary>
    public static async Task<T> RunWithFakeTime<T>(FakeTimeProvider time, Task<T> task, TimeSpan? step = null, int maxSteps = 10_000)
    {
        for (var i = 0; i < maxSteps && !task.IsCompleted; i++)
        {
            time.Advance(step ?? TimeSpan.FromMilliseconds(100));
            await Task.Delay(1);
        }

        return await task;
    }

    public static async Task RunWithFakeTime(FakeTimeProvider time, Task task, TimeSpan? step = null, int maxSteps = 10_000)
    {
        await RunWithFakeTime(time, task.ContinueWith(t => { t.GetAwaiter().GetResult(); return true; }, TaskScheduler.Default), step, maxSteps);
    }
}

/// <summary>A handler whose behaviour (with the cancellation token) is a lambda.</summary>
internal sealed class LambdaHandler(Func<HttpRequestMessage, CancellationToken, Task<HttpResponseMessage>> send) : HttpMessageHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) => send(request, cancellationToken);
}
