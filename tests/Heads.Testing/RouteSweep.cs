using System.Text.Json;

namespace Heads.Testing;

/// <summary>One request of a sweep and what it may be answered with: exactly <see cref="Expected"/>, or (when that is
/// empty) anything below 500, with a ProblemDetails body whenever it is an error. <see cref="RefusedByKestrel"/>: a request
/// that Kestrel itself refuses before any application code runs (a NUL in the decoded path), answered with a bodyless 400
/// that no middleware can shape (aspnet/KestrelHttpServer#2947).</summary>
public sealed record SweepCase(HostileCase Request, int[] Expected, bool RefusedByKestrel = false);

/// <summary>
/// Malformed requests for every route, parameter and body a service's own OpenAPI document lists, so that a route added
/// later is swept without anyone writing its cases: typed parameters get values that do not parse or overflow, string
/// parameters hostile text (which must not reach a 5xx, whatever the route makes of it), bodies that are broken or of the
/// wrong type, and each path a method it does not have.
/// </summary>
public static class RouteSweep
{
    private static readonly string[] BadIntegers = ["abc", "1.5", "99999999999999999999", "-99999999999999999999", "0x10", "1e3", "NaN", "%00", "%20", "1%2C2"];
    private static readonly string[] BadNumbers = ["abc", "1e999", "--1", "0x10", "1,5", "%00", "Infinity"];
    private static readonly string[] BadBooleans = ["maybe", "2", "yes!"];
    private static readonly string[] HostileStrings =
        ["..%2F..%2F..%2Fetc%2Fpasswd", "%00", "%E2%80%AE", "%3Cscript%3E", "%27%3B--", new string('a', 5000), "%FF%FE", "CON", "-", "%2E%2E"];

    public static async Task<IReadOnlyList<SweepCase>> CasesAsync(HttpClient http, CancellationToken ct)
    {
        using var document = JsonDocument.Parse(await http.GetStringAsync("/openapi/v1.json", ct));
        var root = document.RootElement;
        var cases = new List<SweepCase>();
        foreach (var path in root.GetProperty("paths").EnumerateObject())
        {
            var methods = path.Value.EnumerateObject().Where(o => o.Name is "get" or "post" or "put" or "delete" or "patch").ToList();
            var declared = methods.Select(m => m.Name.ToUpperInvariant()).ToHashSet();
            foreach (var operation in methods)
                cases.AddRange(OperationCases(root, path.Name, operation.Name.ToUpperInvariant(), operation.Value));
            // A method the path does not have: 405 (the route exists), never a 5xx or an empty body.
            var missing = new[] { "PATCH", "PUT", "DELETE" }.FirstOrDefault(m => !declared.Contains(m));
            if (missing is not null)
                cases.Add(new SweepCase(new HostileCase($"{missing} {path.Name}", missing, Fill(path.Name, _ => "x"), 0), [404, 405]));
        }
        return cases;
    }

    /// <summary>Every numeric parameter and body property in the document that does not state both its bounds.</summary>
    public static async Task<IReadOnlyList<string>> UnboundedNumbersAsync(HttpClient http, CancellationToken ct)
    {
        using var document = JsonDocument.Parse(await http.GetStringAsync("/openapi/v1.json", ct));
        var root = document.RootElement;
        var unbounded = new List<string>();
        static bool Bounded(JsonElement s) =>
            (s.TryGetProperty("minimum", out _) || s.TryGetProperty("exclusiveMinimum", out _)) && (s.TryGetProperty("maximum", out _) || s.TryGetProperty("exclusiveMaximum", out _));
        foreach (var path in root.GetProperty("paths").EnumerateObject())
            foreach (var operation in path.Value.EnumerateObject().Where(o => o.Value.ValueKind == JsonValueKind.Object))
            {
                if (operation.Value.TryGetProperty("parameters", out var parameters))
                    foreach (var p in parameters.EnumerateArray())
                        if (p.TryGetProperty("schema", out var schema) && TypeOf(Resolve(root, schema)) is "integer" or "number" && !Bounded(Resolve(root, schema)))
                            unbounded.Add($"{operation.Name.ToUpperInvariant()} {path.Name} parameter {p.GetProperty("name").GetString()}");
                if (operation.Value.TryGetProperty("requestBody", out var body) && body.TryGetProperty("content", out var content)
                    && content.TryGetProperty("application/json", out var json) && json.TryGetProperty("schema", out var bodySchema)
                    && Resolve(root, bodySchema).TryGetProperty("properties", out var properties))
                    foreach (var property in properties.EnumerateObject())
                        if (TypeOf(Resolve(root, property.Value)) is "integer" or "number" && !Bounded(Resolve(root, property.Value)))
                            unbounded.Add($"{operation.Name.ToUpperInvariant()} {path.Name} body property {property.Name}");
            }
        return unbounded;
    }

    /// <summary>Operations without a summary, and operations that take input but document no 4xx (ProblemDetails) answer.</summary>
    public static async Task<IReadOnlyList<string>> UndocumentedOperationsAsync(HttpClient http, CancellationToken ct)
    {
        using var document = JsonDocument.Parse(await http.GetStringAsync("/openapi/v1.json", ct));
        var missing = new List<string>();
        foreach (var path in document.RootElement.GetProperty("paths").EnumerateObject())
            foreach (var operation in path.Value.EnumerateObject().Where(o => o.Value.ValueKind == JsonValueKind.Object && o.Value.TryGetProperty("responses", out _)))
            {
                string name = $"{operation.Name.ToUpperInvariant()} {path.Name}";
                if (!operation.Value.TryGetProperty("summary", out var summary) || summary.GetString() is not { Length: > 0 }) missing.Add(name + ": no summary");
                bool takesInput = operation.Value.TryGetProperty("requestBody", out _) ||
                    (operation.Value.TryGetProperty("parameters", out var parameters) && parameters.GetArrayLength() > 0);
                bool documentsErrors = operation.Value.GetProperty("responses").EnumerateObject().Any(r => r.Name.StartsWith('4'));
                if (takesInput && !documentsErrors) missing.Add(name + ": no 4xx answer documented");
            }
        return missing;
    }

    /// <summary>The documented minimum and maximum of a parameter, or else of a JSON body property, of one operation.</summary>
    public static async Task<(string? Min, string? Max)> BoundsAsync(HttpClient http, string method, string path, string name, CancellationToken ct)
    {
        using var document = JsonDocument.Parse(await http.GetStringAsync("/openapi/v1.json", ct));
        var root = document.RootElement;
        var operation = root.GetProperty("paths").GetProperty(path).GetProperty(method.ToLowerInvariant());
        JsonElement? schema = null;
        if (operation.TryGetProperty("parameters", out var parameters))
            foreach (var p in parameters.EnumerateArray())
                if (p.GetProperty("name").GetString() == name) schema = Resolve(root, p.GetProperty("schema"));
        if (schema is null && operation.TryGetProperty("requestBody", out var body))
            schema = Resolve(root, Resolve(root, body.GetProperty("content").GetProperty("application/json").GetProperty("schema")).GetProperty("properties").GetProperty(name));
        if (schema is not { } s) throw new KeyNotFoundException($"{method} {path} has no parameter or property '{name}'.");
        static string? Read(JsonElement s, string key) => s.TryGetProperty(key, out var v) ? v.ToString() : null;
        return (Read(s, "minimum"), Read(s, "maximum"));
    }

    private static IEnumerable<SweepCase> OperationCases(JsonElement root, string template, string method, JsonElement operation)
    {
        var parameters = operation.TryGetProperty("parameters", out var list) ? list.EnumerateArray().ToList() : [];
        var pathParameters = parameters.Where(p => p.GetProperty("in").GetString() == "path").Select(p => p.GetProperty("name").GetString()!).ToList();
        // Path values that are well-formed for their type (so the query and body cases reach the handler), but name nothing.
        string Plausible(string name) => SchemaType(root, parameters.First(p => p.GetProperty("name").GetString() == name)) switch
        {
            "integer" or "number" => "0",
            "boolean" => "false",
            _ when Format(root, parameters.First(p => p.GetProperty("name").GetString() == name)) == "uuid" => Guid.Empty.ToString(),
            _ => "sweep-none",
        };
        string basePath = Fill(template, Plausible);
        string name = $"{method} {template}";

        foreach (var parameter in parameters)
        {
            var where = parameter.GetProperty("in").GetString();
            if (where is not ("path" or "query")) continue;
            var parameterName = parameter.GetProperty("name").GetString()!;
            var type = SchemaType(root, parameter);
            var (values, expected) = type switch
            {
                "integer" => (BadIntegers, where == "path" ? new[] { 400, 404 } : [400]),
                "number" => (BadNumbers, where == "path" ? new[] { 400, 404 } : [400]),
                "boolean" => (BadBooleans, where == "path" ? new[] { 400, 404 } : [400]),
                _ => (HostileStrings, []),
            };
            foreach (var value in values)
            {
                string path = where == "path"
                    ? Fill(template, n => n == parameterName ? value : Plausible(n))
                    : basePath + "?" + parameterName + "=" + value;
                bool kestrel = where == "path" && value == "%00";
                yield return new SweepCase(new HostileCase($"{name}: {parameterName}={Shorten(value)}", method, path, 0), kestrel ? [400] : expected, kestrel);
            }
            if (where == "query")
                yield return new SweepCase(new HostileCase($"{name}: {parameterName} repeated", method, $"{basePath}?{parameterName}=1&{parameterName}=2", 0), [400]);
        }

        if (!operation.TryGetProperty("requestBody", out var body) || !body.TryGetProperty("content", out var content)) yield break;
        foreach (var media in content.EnumerateObject())
        {
            if (media.Name == "application/json")
            {
                foreach (var (label, text) in BrokenJson(root, media.Value))
                    yield return new SweepCase(new HostileCase($"{name}: {label}", method, basePath, 0, "application/json", text), [400, 404]);
                yield return new SweepCase(new HostileCase($"{name}: JSON sent as text/plain", method, basePath, 0, "text/plain", "{}"), [415]);
            }
            else if (media.Name == "multipart/form-data")
            {
                const string type = "multipart/form-data; boundary=sweep";
                yield return new SweepCase(new HostileCase($"{name}: multipart without its closing boundary", method, basePath, 0, type,
                    "--sweep\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n\r\nabc"), [400]);
                yield return new SweepCase(new HostileCase($"{name}: multipart that is not", method, basePath, 0, type, "not multipart at all"), [400]);
                yield return new SweepCase(new HostileCase($"{name}: multipart without a boundary", method, basePath, 0, "multipart/form-data", "--x\r\n"), [400, 415]);
            }
            else
            {
                yield return new SweepCase(new HostileCase($"{name}: garbage {media.Name}", method, basePath, 0, media.Name, "\u0001garbage"), []);
            }
        }
    }

    private static IEnumerable<(string Label, string Body)> BrokenJson(JsonElement root, JsonElement media)
    {
        yield return ("JSON cut short", "{\"a\":");
        yield return ("empty JSON body", "");
        yield return ("JSON array", "[]");
        yield return ("JSON null", "null");
        yield return ("JSON string", "\"x\"");
        yield return ("JSON nested 3000 deep", new string('[', 3000) + new string(']', 3000));
        yield return ("trailing bytes after the JSON", "{} x");
        if (!media.TryGetProperty("schema", out var schema)) yield break;
        schema = Resolve(root, schema);
        if (!schema.TryGetProperty("properties", out var properties)) yield break;
        foreach (var property in properties.EnumerateObject())
        {
            var type = TypeOf(Resolve(root, property.Value));
            // A value of another JSON type for each property; numbers also overflow their type.
            string wrong = type is "string" ? "{\"x\":1}" : "\"not-a-" + (type ?? "value") + "\"";
            yield return ($"{property.Name} of the wrong type", $"{{\"{property.Name}\":{wrong}}}");
            if (type == "integer") yield return ($"{property.Name} beyond its range", $"{{\"{property.Name}\":1e400}}");
            if (type == "integer") yield return ($"{property.Name} fractional", $"{{\"{property.Name}\":1.5}}");
        }
    }

    private static string Fill(string template, Func<string, string> value)
    {
        var result = new System.Text.StringBuilder();
        for (int i = 0; i < template.Length; i++)
        {
            if (template[i] != '{') { result.Append(template[i]); continue; }
            int end = template.IndexOf('}', i);
            result.Append(value(template[(i + 1)..end]));
            i = end;
        }
        return result.ToString();
    }

    private static string? SchemaType(JsonElement root, JsonElement parameter) =>
        parameter.TryGetProperty("schema", out var schema) ? TypeOf(Resolve(root, schema)) : null;

    private static string? Format(JsonElement root, JsonElement parameter) =>
        parameter.TryGetProperty("schema", out var schema) && Resolve(root, schema).TryGetProperty("format", out var f) ? f.GetString() : null;

    /// <summary>The schema's type without "null" (OpenAPI 3.1 writes nullable types as arrays).</summary>
    private static string? TypeOf(JsonElement schema)
    {
        if (!schema.TryGetProperty("type", out var type)) return null;
        if (type.ValueKind == JsonValueKind.String) return type.GetString();
        return type.EnumerateArray().Select(t => t.GetString()).FirstOrDefault(t => t != "null");
    }

    private static JsonElement Resolve(JsonElement root, JsonElement schema)
    {
        if (schema.TryGetProperty("$ref", out var reference) && reference.GetString() is { } r && r.StartsWith("#/components/schemas/", StringComparison.Ordinal))
            return root.GetProperty("components").GetProperty("schemas").GetProperty(r["#/components/schemas/".Length..]);
        return schema;
    }

    private static string Shorten(string value) => value.Length > 24 ? value[..12] + $"…({value.Length} chars)" : value;
}
