namespace Cognite.Files.Auth;

/// <summary>A fixed access token, e.g. from a CLI login or a test. It is never refreshed.</summary>
public sealed class StaticAccessTokenProvider : AccessTokenProviderBase
{
    private readonly string _token;

    /// <summary>Creates a provider of <paramref name="token"/> for <paramref name="allowedHosts"/> (default: the client's API host).</summary>
    public StaticAccessTokenProvider(string token, IEnumerable<string>? allowedHosts = null)
        : base(allowedHosts)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(token);
        _token = token;
    }

    /// <inheritdoc />
    protected override Task<string> GetTokenAsync(CancellationToken cancellationToken) => Task.FromResult(_token);

    /// <inheritdoc />
    public override string ToString() => "StaticAccessTokenProvider (token hidden)";
}
