using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Bounds that come from configuration (a cap an operator may raise), written into the OpenAPI document as the running
/// service enforces them. Fixed bounds are <c>[Range]</c> attributes, which the document shows by itself.
/// </summary>
public static class OpenApiBounds
{
    /// <summary>Documents the range of query or route parameter <paramref name="parameter"/> of this route.</summary>
    public static RouteHandlerBuilder WithParameterRange(this RouteHandlerBuilder route, string parameter, Func<IServiceProvider, (long Min, long Max)> range) =>
        route.AddOpenApiOperationTransformer((operation, context, _) =>
        {
            var (min, max) = range(context.ApplicationServices);
            foreach (var p in operation.Parameters ?? [])
                if (p.Name == parameter && p.Schema is OpenApiSchema schema) SetRange(schema, min, max);
            return Task.CompletedTask;
        });

    /// <summary>Documents the range of property <paramref name="property"/> (its JSON name) of body type <typeparamref name="T"/>.</summary>
    public static OpenApiOptions AddPropertyRange<T>(this OpenApiOptions options, string property, Func<IServiceProvider, (long Min, long Max)> range) =>
        options.AddSchemaTransformer((schema, context, _) =>
        {
            if (context.JsonTypeInfo.Type == typeof(T) && schema.Properties?.TryGetValue(property, out var p) == true && p is OpenApiSchema target)
            {
                var (min, max) = range(context.ApplicationServices);
                SetRange(target, min, max);
            }
            return Task.CompletedTask;
        });

    private static void SetRange(OpenApiSchema schema, long min, long max)
    {
        schema.Minimum = min.ToString(CultureInfo.InvariantCulture);
        schema.Maximum = max.ToString(CultureInfo.InvariantCulture);
    }
}
