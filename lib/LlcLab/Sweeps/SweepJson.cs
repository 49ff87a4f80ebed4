using System.Text.Json;
using System.Text.Json.Serialization;

namespace LlcLab.Sweeps;

/// <summary>
/// The one JSON convention of sweeps: snake_case keys, enums as strings, nulls written, computed (get-only) properties
/// left out, unknown keys rejected (a typo in a config must not silently fall back to a default). <see cref="Canonical"/>
/// is the compact form that cell identities hash; property order is the declaration order of the record, so the same
/// input always gives the same bytes for a given build (and the build is part of the hash, see <see cref="CellId"/>).
/// </summary>
public static class SweepJson
{
    /// <summary>Options for files people read and edit (indented).</summary>
    public static JsonSerializerOptions Indented { get; } = Make(indented: true);

    /// <summary>Options for the canonical, hashed form (compact).</summary>
    public static JsonSerializerOptions Compact { get; } = Make(indented: false);

    static JsonSerializerOptions Make(bool indented)
    {
        var o = new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            WriteIndented = indented,
            IgnoreReadOnlyProperties = true,
            DefaultIgnoreCondition = JsonIgnoreCondition.Never,
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
            NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
            // Readable files (no \u002B for '+'); the canonical form only needs to be deterministic, which both are.
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        };
        o.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
        o.MakeReadOnly(populateMissingResolver: true);
        return o;
    }

    /// <summary>The canonical compact JSON of <paramref name="value"/> as its runtime type.</summary>
    public static string Canonical<T>(T value) => JsonSerializer.Serialize(value, Compact);

    /// <summary>Parses <paramref name="json"/> as <typeparamref name="T"/>; <paramref name="what"/> names the source in errors.</summary>
    public static T Parse<T>(string json, string what)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(json, Compact) ?? throw new InvalidDataException($"{what}: expected a JSON object, got null.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{what}: {e.Message}", e);
        }
    }
}
