using Azure.Core;
using Microsoft.Extensions.Time.Testing;

namespace Cognite.Files.Azure.Tests;

public class TokenCredentialAccessTokenProviderTests
{
    private static readonly Uri Api = new("https://api.example.com/api/v1/projects/p/files");

    [Test]
    public async Task Token_credential_bridge_caches_and_refreshes_with_time()
    {
        var time = new FakeTimeProvider();
        var credential = new FakeCredential(time);
        using var provider = new TokenCredentialAccessTokenProvider(credential, ["https://api.example.com/.default"], ["api.example.com"], time);

        Assert.That(await provider.GetAuthorizationTokenAsync(Api), Is.EqualTo("azure-1"));
        Assert.That(await provider.GetAuthorizationTokenAsync(Api), Is.EqualTo("azure-1"));
        time.Advance(TimeSpan.FromMinutes(56));
        Assert.That(await provider.GetAuthorizationTokenAsync(Api), Is.EqualTo("azure-2"));
        Assert.That(credential.Scopes, Is.EqualTo(new[] { "https://api.example.com/.default" }));

        credential.Fail = true;
        time.Advance(TimeSpan.FromHours(2));
        var ex = await Assert.ThrowsAsync<CogniteAuthenticationException>(() => provider.GetAuthorizationTokenAsync(Api));
        Assert.That(ex!.InnerException, Is.InstanceOf<InvalidOperationException>());
    }

    private sealed class FakeCredential(TimeProvider time) : TokenCredential
    {
        private int _n;

        public bool Fail { get; set; }

        public string[] Scopes { get; private set; } = [];

        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            GetTokenAsync(requestContext, cancellationToken).AsTask().GetAwaiter().GetResult();

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken)
        {
            if (Fail)
            {
                throw new InvalidOperationException("no credential");
            }

            Scopes = requestContext.Scopes;
            return ValueTask.FromResult(new AccessToken("azure-" + ++_n, time.GetUtcNow().AddHours(1)));
        }
    }

    [Test]
    public async Task Invalidating_drops_the_cached_token_so_the_next_request_gets_a_new_one()
    {
        var time = new FakeTimeProvider();
        var credential = new FakeCredential(time);
        using var provider = new TokenCredentialAccessTokenProvider(credential, ["https://api.example.com/.default"], timeProvider: time);

        Assert.That(await provider.GetAuthorizationTokenAsync(Api), Is.EqualTo("azure-1"));
        Assert.That(provider.InvalidateCachedToken(), Is.True);
        Assert.That(await provider.GetAuthorizationTokenAsync(Api), Is.EqualTo("azure-2"));
    }
}
