using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Heads.Robustness.Tests;

/// <summary>
/// What the repository itself promises: no secrets but the well-known development ones, every service and tool bound
/// to 127.0.0.1 by default, and the broker's guest account left loopback-only wherever a broker configuration is written.
/// </summary>
public sealed partial class RepositorySecurityTests
{
    /// <summary>Azurite's published development key: it guards only a loopback emulator and is in every Azure SDK sample.</summary>
    private const string AzuriteDevelopmentKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private static readonly string Root = RealInfrastructure.RepositoryRoot();

    private static readonly Lazy<IReadOnlyList<string>> TrackedFiles = new(() =>
    {
        var git = Process.Start(new ProcessStartInfo("git", ["-C", Root, "ls-files", "-z"]) { RedirectStandardOutput = true })!;
        var list = git.StandardOutput.ReadToEnd();
        git.WaitForExit();
        Assert.Equal(0, git.ExitCode);
        return list.Split('\0', StringSplitOptions.RemoveEmptyEntries);
    });

    private static IEnumerable<(string Path, string Text)> TrackedTextFiles()
    {
        foreach (var path in TrackedFiles.Value)
        {
            var full = Path.Combine(Root, path);
            if (!File.Exists(full)) continue; // deleted in the working tree
            var bytes = File.ReadAllBytes(full);
            if (bytes.AsSpan(0, Math.Min(bytes.Length, 8000)).Contains((byte)0)) continue; // binary (images)
            yield return (path, System.Text.Encoding.UTF8.GetString(bytes));
        }
    }

    [GeneratedRegex(@"AccountKey=([A-Za-z0-9+/=]+)")]
    private static partial Regex AccountKey();

    // sha512 integrity hashes in package-lock.json have the same shape and are not secrets.
    [GeneratedRegex(@"(?<![A-Za-z0-9+/])(?<!sha512-)[A-Za-z0-9+/]{86}==")]
    private static partial Regex Base64Key512();

    [GeneratedRegex(@"\b(amqps?|https?|redis|postgres(ql)?|mongodb)://([^:/\s""'@]+):([^@\s""'/]+)@")]
    private static partial Regex UrlCredentials();

    [GeneratedRegex(@"(?i)\b(password|passwd|pwd|secret|api[_-]?key|access[_-]?token)\b\s*[:=]\s*[""']([^""'\s{}]{4,})[""']")]
    private static partial Regex AssignedSecret();

    [GeneratedRegex(@"-----BEGIN [A-Z ]*PRIVATE KEY-----|\bAKIA[0-9A-Z]{16}\b|\bgh[pousr]_[A-Za-z0-9]{36}\b|\bxox[abp]-[A-Za-z0-9-]{10,}")]
    private static partial Regex KnownTokenShapes();

    [Fact]
    public void No_secrets_in_tracked_files_but_the_development_ones()
    {
        var findings = new List<string>();
        int scanned = 0;
        foreach (var (path, text) in TrackedTextFiles())
        {
            scanned++;
            foreach (Match m in AccountKey().Matches(text))
                if (m.Groups[1].Value != AzuriteDevelopmentKey) findings.Add($"{path}: account key {m.Groups[1].Value[..8]}…");
            foreach (Match m in Base64Key512().Matches(text))
                if (m.Value != AzuriteDevelopmentKey) findings.Add($"{path}: 512-bit base64 key {m.Value[..8]}…");
            foreach (Match m in UrlCredentials().Matches(text))
                if (!(m.Groups[3].Value == "guest" && m.Groups[4].Value == "guest") && !m.Groups[4].Value.StartsWith('{'))
                    findings.Add($"{path}: credentials in a URL for user '{m.Groups[3].Value}'");
            foreach (Match m in AssignedSecret().Matches(text))
                if (m.Groups[2].Value != "guest") findings.Add($"{path}: {m.Groups[1].Value} = \"{m.Groups[2].Value[..2]}…\"");
            foreach (Match m in KnownTokenShapes().Matches(text)) findings.Add($"{path}: {m.Value[..Math.Min(12, m.Value.Length)]}…");
        }
        Assert.True(scanned > 200, $"only {scanned} tracked text files were scanned");
        Assert.True(findings.Count == 0, "Possible secrets:\n" + string.Join("\n", findings));
    }

    [Fact]
    public void The_scan_recognises_what_it_looks_for()
    {
        // The patterns must be able to fail: each of these made-up secrets is caught.
        Assert.Matches(AccountKey(), "AccountKey=" + Convert.ToBase64String(new byte[64]));
        Assert.Matches(Base64Key512(), " " + Convert.ToBase64String(Enumerable.Range(1, 64).Select(i => (byte)i).ToArray()));
        Assert.Matches(UrlCredentials(), "amqp://admin:" + "s3cret@broker:5672/");
        Assert.Matches(AssignedSecret(), "Password = \"hunter22\"");
        Assert.Matches(KnownTokenShapes(), "AKIA" + new string('Q', 16));
    }

    [Fact]
    public void Every_launch_profile_binds_loopback_only()
    {
        var profiles = TrackedFiles.Value.Where(p => p.EndsWith("launchSettings.json", StringComparison.Ordinal)).ToList();
        Assert.True(profiles.Count >= 5, string.Join(", ", profiles)); // the AppHost and four services
        foreach (var path in profiles)
        {
            using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(Root, path)));
            foreach (var profile in json.RootElement.GetProperty("profiles").EnumerateObject())
            {
                var urls = new List<string>();
                if (profile.Value.TryGetProperty("applicationUrl", out var url)) urls.AddRange(url.GetString()!.Split(';'));
                if (profile.Value.TryGetProperty("environmentVariables", out var variables))
                    urls.AddRange(variables.EnumerateObject().Where(v => v.Name.EndsWith("_URL", StringComparison.Ordinal) || v.Name.EndsWith("URLS", StringComparison.Ordinal))
                        .SelectMany(v => v.Value.GetString()!.Split(';')));
                Assert.NotEmpty(urls);
                foreach (var u in urls) Assert.True(new Uri(u).Host == "127.0.0.1", $"{path} profile {profile.Name} binds {u}");
            }
        }
    }

    [Fact]
    public void Every_rabbitmq_configuration_keeps_guest_on_loopback()
    {
        // RabbitMQ's default already refuses guest from anywhere but loopback; the configuration files the AppHost and the
        // test infrastructure write must say so explicitly and nothing may switch it off.
        var writers = TrackedTextFiles().Where(f => f.Text.Contains("rabbitmq.conf", StringComparison.Ordinal) && f.Path.EndsWith(".cs", StringComparison.Ordinal)).ToList();
        Assert.Contains(writers, f => f.Path == "Heads.AppHost/Infrastructure.cs");
        Assert.Contains(writers, f => f.Path == "tests/Heads.Testing/RealInfrastructure.cs");
        foreach (var (path, text) in writers.Where(w => w.Text.Contains("File.WriteAllText", StringComparison.Ordinal)))
            Assert.Contains("loopback_users.guest = true", text);
        foreach (var (path, text) in TrackedTextFiles())
        {
            // Spelt in two parts so this file does not match itself.
            Assert.DoesNotContain("loopback_users" + " = none", text);
            Assert.DoesNotContain("loopback_users.guest" + " = false", text);
        }
    }
}
