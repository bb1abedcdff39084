using System.Reflection;
using Cognite.Files.Api;
using Cognite.Files.Tests.TestSupport;
using NSwag;
using Refit;

namespace Cognite.Files.Tests.Contract;

/// <summary>
/// The generated Refit interface matches the OpenAPI document operation by operation, so a spec change that
/// codegen missed (or a stale generated file) cannot pass.
/// </summary>
public class GeneratedApiCoverageTests
{
    private static IEnumerable<TestCaseData> Operations() =>
        OpenApiContract.Get().Operations.Select(o => new TestCaseData(o.OperationId).SetArgDisplayNames(o.OperationId));

    private static MethodInfo? MethodFor(string operationId) => typeof(ICogniteFilesApi).GetMethod(operationId + "Async");

    [TestCaseSource(nameof(Operations))]
    public void Operation_has_a_generated_method_with_the_documented_method_and_path(string operationId)
    {
        var op = OpenApiContract.Get().Operation(operationId);
        var method = MethodFor(operationId);

        Assert.That(method, Is.Not.Null, $"ICogniteFilesApi has no {operationId}Async");
        var http = method!.GetCustomAttribute<HttpMethodAttribute>();
        Assert.That(http, Is.Not.Null, "no Refit HTTP method attribute");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(http!.Method.Method, Is.EqualTo(op.Method));
            Assert.That(http.Path, Is.EqualTo(op.Path));
        }
    }

    [TestCaseSource(nameof(Operations))]
    public void Operation_parameters_appear_on_the_generated_method_with_their_wire_names(string operationId)
    {
        var op = OpenApiContract.Get().Operation(operationId);
        var parameters = MethodFor(operationId)!.GetParameters();

        using (Assert.EnterMultipleScope())
        {
            foreach (var documented in op.Parameters)
            {
                var match = parameters.SingleOrDefault(p => WireName(p) == documented.Name);
                Assert.That(match, Is.Not.Null, $"no parameter sent as '{documented.Name}'");
                if (match is null)
                {
                    continue;
                }

                if (documented.Kind == OpenApiParameterKind.Query)
                {
                    Assert.That(match.GetCustomAttribute<QueryAttribute>(), Is.Not.Null, $"'{documented.Name}' is not a [Query] parameter");
                    Assert.That(match.GetCustomAttribute<AliasAsAttribute>()?.Name, Is.EqualTo(documented.Name), $"'{documented.Name}' has no matching [AliasAs]");
                }
                else
                {
                    Assert.That(op.Path, Does.Contain("{" + match.Name + "}"), $"path parameter '{documented.Name}' is not bound to the template");
                }

                Assert.That(match.HasDefaultValue, Is.EqualTo(!documented.IsRequired), $"'{documented.Name}' optional in the method but required={documented.IsRequired} in the document");
            }

            var wireParameters = parameters.Where(p => p.ParameterType != typeof(CancellationToken) && p.GetCustomAttribute<BodyAttribute>() is null);
            Assert.That(wireParameters.Select(WireName), Is.EquivalentTo(op.Parameters.Select(p => p.Name)), "the method has parameters the document does not");
        }
    }

    [TestCaseSource(nameof(Operations))]
    public void Operation_body_and_response_types_are_the_documented_schemas(string operationId)
    {
        var contract = OpenApiContract.Get();
        var method = MethodFor(operationId)!;
        var requestSchema = contract.RequestSchema(operationId);
        var body = method.GetParameters().SingleOrDefault(p => p.GetCustomAttribute<BodyAttribute>() is not null);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(body?.ParameterType.Name, Is.EqualTo(requestSchema is null ? null : contract.ComponentName(requestSchema)), "request body type");
            Assert.That(method.ReturnType.IsGenericType && method.ReturnType.GetGenericTypeDefinition() == typeof(Task<>), Is.True, "returns Task<T>");
            if (contract.HasBinaryResponse(operationId))
            {
                // A binary body (GET /files/icon's image/jpeg) is handed over as the response stream, not deserialized.
                Assert.That(method.ReturnType.GetGenericArguments().Single(), Is.EqualTo(typeof(Stream)), "a binary response is a Stream");
            }
            else
            {
                Assert.That(method.ReturnType.GetGenericArguments().Single().Name, Is.EqualTo(contract.ComponentName(contract.ResponseSchema(operationId))), "response type");
            }

            Assert.That(method.GetParameters().Last().ParameterType, Is.EqualTo(typeof(CancellationToken)), "last parameter is a CancellationToken");
        }
    }

    [Test]
    public void Every_generated_method_is_an_operation_of_the_document()
    {
        var documented = OpenApiContract.Get().Operations.Select(o => o.OperationId + "Async");

        Assert.That(typeof(ICogniteFilesApi).GetMethods().Select(m => m.Name), Is.EquivalentTo(documented));
    }

    [Test]
    public void Every_operation_has_a_wire_contract_test()
    {
        var covered = typeof(GeneratedApiCoverageTests).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods())
            .SelectMany(m => m.GetCustomAttributes<ContractForAttribute>())
            .Select(a => a.OperationId)
            .ToHashSet();

        Assert.That(OpenApiContract.Get().Operations.Select(o => o.OperationId).Where(id => !covered.Contains(id)), Is.Empty,
            "operations without a [ContractFor] test");
    }

    private static string WireName(ParameterInfo parameter) => parameter.GetCustomAttribute<AliasAsAttribute>()?.Name ?? parameter.Name!;
}
