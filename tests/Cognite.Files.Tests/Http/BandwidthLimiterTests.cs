using System.Net;
using Cognite.Files.Auth;
using Cognite.Files.Http;
using Cognite.Files.Tests.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.Time.Testing;
using RichardSzalay.MockHttp;

namespace Cognite.Files.Tests.Http;

/// <summary>The client-wide cap on pre-signed URL traffic (<see cref="CogniteFilesClientOptions.MaxTransferBytesPerSecond"/>), on fake time.</summary>
public class BandwidthLimiterTests
{
    private const int Rate = 64 * 1024;

    private FakeTimeProvider _time = null!;

    [SetUp]
    public void SetUp() => _time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero));

    private static byte[] Content(int length)
    {
        var bytes = new byte[length];
        new Random(length).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Advances fake time in <paramref name="step"/>s, yielding for real between them, until <paramref name="done"/>; returns the fake time it took.</summary>
    private async Task<TimeSpan> AdvanceUntilAsync(Func<bool> done, TimeSpan step)
    {
        var advanced = TimeSpan.Zero;
        for (var i = 0; !done(); i++)
        {
            Assert.That(i, Is.LessThan(20_000), "not done within the fake time budget");
            _time.Advance(step);
            advanced += step;
            await Task.Delay(1);
        }

        return advanced;
    }

    [Test]
    public void A_burst_goes_at_once_then_every_grant_waits_for_its_share_of_the_rate()
    {
        var limiter = new BandwidthLimiter(100_000, _time);

        Assert.That(limiter.WaitAsync(10_000, default).IsCompleted, Is.True, "100 ms of the rate: within the burst");
        var next = limiter.WaitAsync(10_000, default);
        var after = limiter.WaitAsync(5_000, default);
        _time.Advance(TimeSpan.FromMilliseconds(99));
        Assert.That(next.IsCompleted, Is.False);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.That(next.IsCompleted, Is.True, "the second 100 ms of bytes, 100 ms later");
        Assert.That(after.IsCompleted, Is.False, "grants keep the order they were asked in");
        _time.Advance(TimeSpan.FromMilliseconds(50));
        Assert.That(after.IsCompleted, Is.True);
    }

    [Test]
    public void The_synchronous_wait_follows_the_same_clock()
    {
        var limiter = new BandwidthLimiter(100_000, _time);
        limiter.Wait(10_000);

        var waiting = Task.Run(() => limiter.Wait(10_000));
        Assert.That(waiting.Wait(TimeSpan.FromMilliseconds(50)), Is.False, "held until fake time moves");
        _time.Advance(TimeSpan.FromMilliseconds(100));
        Assert.That(waiting.Wait(TimeSpan.FromSeconds(10)), Is.True);
    }

    [Test]
    public void Chunks_are_50_ms_of_the_rate_between_1_and_64_KiB()
    {
        Assert.That(new BandwidthLimiter(100_000, _time).ChunkBytes, Is.EqualTo(5_000));
        Assert.That(new BandwidthLimiter(1024, _time).ChunkBytes, Is.EqualTo(1024));
        Assert.That(new BandwidthLimiter(1L << 40, _time).ChunkBytes, Is.EqualTo(64 * 1024));
    }

    [Test]
    public async Task Uploads_and_downloads_of_one_client_share_one_cap()
    {
        // Two PUT bodies of 128 KiB and one GET body of 128 KiB at once, capped together at 64 KiB/s: 384 KiB take
        // 6 s (less the 100 ms burst), whatever the number of connections.
        var received = 0L;
        using var primary = new MockHttpMessageHandler();
        primary.When(HttpMethod.Put, "*").Respond(async req =>
        {
            var sink = new CountingSink(n => Interlocked.Add(ref received, n));
            await req.Content!.CopyToAsync(sink);
            return new HttpResponseMessage(HttpStatusCode.OK);
        });
        var download = Content(128 * 1024);
        primary.When(HttpMethod.Get, "*").Respond(_ => new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(download) { Headers = { ContentType = new("application/octet-stream") } } });
        using var client = new CogniteFilesClient(ClientFixture.Options(o => o.MaxTransferBytesPerSecond = Rate), new StaticAccessTokenProvider(ClientFixture.Token), null, _time, new MockHttpMessageHandler(), primary);

        var puts = Enumerable.Range(0, 2).Select(i =>
        {
            var content = new ByteArrayContent(Content(128 * 1024));
            content.Headers.ContentLength = 128 * 1024;
            return client.PresignedUrls.PutAsync(new Uri($"https://storage.example/p{i}?sig=s"), content, default);
        }).ToList();
        var get = ReadAllAsync(client.PresignedUrls.GetAsync(new Uri("https://storage.example/d?sig=s"), default));
        var all = Task.WhenAll(puts.Append(get.Task));

        var atThreeSeconds = -1L;
        var elapsed = await AdvanceUntilAsync(
            () =>
            {
                if (atThreeSeconds < 0 && _time.GetUtcNow() >= new DateTimeOffset(2026, 11, 1, 0, 0, 3, TimeSpan.Zero))
                {
                    atThreeSeconds = Interlocked.Read(ref received) + get.GetBytesSoFar();
                }

                return all.IsCompleted;
            },
            TimeSpan.FromMilliseconds(50));
        await all;

        Assert.That(Interlocked.Read(ref received), Is.EqualTo(256 * 1024));
        Assert.That(get.Result, Is.EqualTo(download));
        Assert.That(elapsed, Is.InRange(TimeSpan.FromSeconds(5.85), TimeSpan.FromSeconds(6.1)), "384 KiB at 64 KiB/s");
        Assert.That(atThreeSeconds, Is.InRange(3 * Rate - 8 * 1024, (3 * Rate) + 8 * 1024), "the three transfers together went at the cap");
    }

    [Test]
    public async Task A_capped_response_keeps_its_headers()
    {
        using var primary = new MockHttpMessageHandler();
        primary.Fallback.Respond(_ => new HttpResponseMessage(HttpStatusCode.PartialContent)
        {
            Content = new ByteArrayContent(new byte[10]) { Headers = { ContentType = new("text/plain"), ContentRange = new(0, 9, 100) } },
        });
        using var client = new CogniteFilesClient(ClientFixture.Options(o => o.MaxTransferBytesPerSecond = Rate), new StaticAccessTokenProvider(ClientFixture.Token), null, _time, new MockHttpMessageHandler(), primary);

        using var response = await client.PresignedUrls.GetAsync(new Uri("https://storage.example/d?sig=s"), default);

        Assert.That(response.Content.Headers.ContentLength, Is.EqualTo(10));
        Assert.That(response.Content.Headers.ContentType!.MediaType, Is.EqualTo("text/plain"));
        Assert.That(response.Content.Headers.ContentRange!.Length, Is.EqualTo(100));
        Assert.That(await response.Content.ReadAsByteArrayAsync(), Has.Length.EqualTo(10));
    }

    [Test]
    public async Task A_client_from_dependency_injection_is_capped_too()
    {
        using var primary = new MockHttpMessageHandler();
        primary.Fallback.Respond(async req =>
        {
            await req.Content!.CopyToAsync(Stream.Null);
            return new HttpResponseMessage(HttpStatusCode.OK);
        });
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(_time);
        services.AddCogniteFiles(o => { o.BaseUrl = new Uri(ClientFixture.Root); o.Project = "proj"; o.AppName = "di"; o.MaxTransferBytesPerSecond = Rate; }, _ => new StaticAccessTokenProvider("t"));
        services.ConfigureAll<HttpClientFactoryOptions>(o => o.HttpMessageHandlerBuilderActions.Add(b => b.PrimaryHandler = primary));
        await using var sp = services.BuildServiceProvider();
        var client = sp.GetRequiredService<CogniteFilesClient>();
        using var content = new ByteArrayContent(Content(2 * Rate));
        content.Headers.ContentLength = 2 * Rate;

        var put = client.PresignedUrls.PutAsync(new Uri("https://storage.example/p?sig=s"), content, default);
        var elapsed = await AdvanceUntilAsync(() => put.IsCompleted, TimeSpan.FromMilliseconds(50));
        await put;

        Assert.That(elapsed, Is.InRange(TimeSpan.FromSeconds(1.85), TimeSpan.FromSeconds(2.1)));
    }

    [Test]
    public void The_cap_must_be_at_least_1_KiB_per_second()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => ClientFixture.Options(o => o.MaxTransferBytesPerSecond = 1000).Validate());

        Assert.That(ex!.ParamName, Is.EqualTo("MaxTransferBytesPerSecond"));
        Assert.DoesNotThrow(() => ClientFixture.Options(o => o.MaxTransferBytesPerSecond = null).Validate());
    }

    private static ReadingTask ReadAllAsync(Task<HttpResponseMessage> response) => new(response);

    /// <summary>Reads a response body to its end, counting the bytes as they arrive.</summary>
    private sealed class ReadingTask
    {
        private long _bytes;

        public ReadingTask(Task<HttpResponseMessage> response) => Task = ReadAsync(response);

        public Task<byte[]> Task { get; }

        public byte[] Result => Task.Result;

        public long GetBytesSoFar() => Interlocked.Read(ref _bytes);

        private async Task<byte[]> ReadAsync(Task<HttpResponseMessage> pending)
        {
            using var response = await pending;
            var body = await response.Content.ReadAsStreamAsync();
            var copy = new MemoryStream();
            var buffer = new byte[1024 * 1024];
            int n;
            while ((n = await body.ReadAsync(buffer)) > 0)
            {
                copy.Write(buffer, 0, n);
                Interlocked.Add(ref _bytes, n);
            }

            return copy.ToArray();
        }
    }

    private sealed class CountingSink(Action<int> written) : Transfer.WriteOnlyTestStream
    {
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            written(buffer.Length);
            return ValueTask.CompletedTask;
        }

        public override void Write(byte[] buffer, int offset, int count) => written(count);
    }
}
