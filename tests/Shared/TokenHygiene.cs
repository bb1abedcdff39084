using System.Reflection;
using Cognite.Files.Emulator;
using NUnit.Framework.Interfaces;

// Token hygiene across the whole suite: every test assembly that runs an emulator compiles this file (linked from
// tests/Shared) and gets the assembly-wide action below. After each test it checks the emulator's process-wide
// totals: a request to a pre-signed upload/download URL that carried an Authorization header fails the test that
// made it, unless the test is marked [ProbesAuthorizationOnSignedUrls] (it sends the header on purpose to check the
// refusal). Tests of one assembly run one at a time (no [Parallelizable] in this repository), so the delta of one
// test is that test's own. At the end of the assembly the totals are printed to the CI log.
[assembly: Cognite.Files.Testing.NoAuthorizationOnSignedUrls]

namespace Cognite.Files.Testing
{
    /// <summary>Marks a test (or fixture) that sends Authorization to a pre-signed URL on purpose, to test the refusal.</summary>
    [AttributeUsage(AttributeTargets.Method | AttributeTargets.Class)]
    public sealed class ProbesAuthorizationOnSignedUrlsAttribute : Attribute
    {
    }

    /// <summary>Fails a test during which a pre-signed URL request carried Authorization (unless it probes that on purpose).</summary>
    [AttributeUsage(AttributeTargets.Assembly)]
    public sealed class NoAuthorizationOnSignedUrlsAttribute : Attribute, ITestAction
    {
        private static long _before;
        private static long _probes;
        private static long _checkedTests;

        public ActionTargets Targets => ActionTargets.Test;

        public static long DeliberateProbes => Interlocked.Read(ref _probes);

        public static long CheckedTests => Interlocked.Read(ref _checkedTests);

        public void BeforeTest(ITest test) => Interlocked.Exchange(ref _before, EmulatorProcessTotals.AuthorizationHeaderOnSignedUrl);

        public void AfterTest(ITest test)
        {
            var delta = EmulatorProcessTotals.AuthorizationHeaderOnSignedUrl - Interlocked.Read(ref _before);
            Interlocked.Increment(ref _checkedTests);
            if (delta == 0)
            {
                return;
            }

            if (IsProbe(test))
            {
                Interlocked.Add(ref _probes, delta);
                return;
            }

            Assert.Fail($"Token hygiene: {delta} request(s) to pre-signed upload/download URLs carried an Authorization header during this test.");
        }

        private static bool IsProbe(ITest test) =>
            test.Method?.MethodInfo.GetCustomAttribute<ProbesAuthorizationOnSignedUrlsAttribute>() is not null
            || test.TypeInfo?.Type.GetCustomAttribute<ProbesAuthorizationOnSignedUrlsAttribute>() is not null;
    }
}

/// <summary>Prints the assembly's token-hygiene figures once all its tests ran (global namespace: assembly-wide).</summary>
[SetUpFixture]
#pragma warning disable CA1050 // an assembly-wide SetUpFixture must be outside any namespace
public sealed class TokenHygieneReport
{
    [OneTimeTearDown]
    public void Report()
    {
        var probes = Cognite.Files.Testing.NoAuthorizationOnSignedUrlsAttribute.DeliberateProbes;
        TestContext.Progress.WriteLine(
            $"Token hygiene ({Assembly.GetExecutingAssembly().GetName().Name}): {Cognite.Files.Emulator.EmulatorProcessTotals.SignedUrlRequests} requests to pre-signed URLs, " +
            $"{EmulatorProcessTotals.AuthorizationHeaderOnSignedUrl - probes} with an Authorization header outside deliberate probes " +
            $"({probes} deliberate), checked after each of {Cognite.Files.Testing.NoAuthorizationOnSignedUrlsAttribute.CheckedTests} tests.");
    }
}
