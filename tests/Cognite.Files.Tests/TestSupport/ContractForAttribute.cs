namespace Cognite.Files.Tests.TestSupport;

/// <summary>
/// Marks a test as a wire-contract test of one operation of the OpenAPI document (NUnit property
/// <c>Operation</c>). <c>GeneratedApiCoverageTests</c> fails when an operation has no such test.
/// </summary>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class ContractForAttribute : PropertyAttribute
{
    /// <summary>Marks the test as covering <paramref name="operationId"/>.</summary>
    public ContractForAttribute(string operationId)
        : base("Operation", operationId)
    {
        OperationId = operationId;
    }

    /// <summary>The operationId covered.</summary>
    public string OperationId { get; }
}
