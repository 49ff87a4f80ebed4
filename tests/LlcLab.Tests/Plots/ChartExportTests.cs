using System.Text.RegularExpressions;
using LlcLab.Plots;
using Xunit;

namespace LlcLab.Tests.Plots;

public class ChartExportTests
{
    private static readonly double[][] Trace = { new[] { 1.25, 1.5, 1.75 }, new[] { 2.125, 2.375, 2.625 } };

    [Fact]
    public void SaveHtml_IsStandaloneOfflineAndContainsTheData()
    {
        var chart = SamplerCharts.LlcTrajectories(Trace, title: "trajectory-title-xyz");
        var dir = Directory.CreateTempSubdirectory("llclab-plots-");
        try
        {
            var path = ChartExport.SaveHtml(chart, Path.Combine(dir.FullName, "sub", "chart.html"));
            var html = File.ReadAllText(path);
            Assert.Contains("plotly.js v2", html);               // the library itself is inlined
            Assert.True(html.Length > 1_000_000, $"expected plotly.js (~3.5 MB) inline, got {html.Length} chars");
            Assert.DoesNotMatch(new Regex("<script[^>]*\\bsrc\\s*=", RegexOptions.IgnoreCase), html);
            Assert.Contains("trajectory-title-xyz", html);
            Assert.Contains("2.375", html);
            Assert.Contains("chain 1", html);
            Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(path)!, "*.tmp"));  // atomic write left no temp file
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void SavePng_RendersWithChromium_OrExplainsHowToInstallIt()
    {
        var chart = SamplerCharts.LossTraces(Trace, initLoss: 1.0);
        var dir = Directory.CreateTempSubdirectory("llclab-png-test-");
        try
        {
            var path = Path.Combine(dir.FullName, "c.png");
            if (ChartExport.CanSavePng)
            {
                ChartExport.SavePng(chart, path, 400, 300);
                var bytes = File.ReadAllBytes(path);
                Assert.True(bytes.Length > 1000);
                Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, bytes[..4]);
            }
            else
            {
                var ex = Assert.Throws<InvalidOperationException>(() => ChartExport.SavePng(chart, path));
                Assert.Contains("apt-get install chromium", ex.Message);
                Assert.Contains("SaveHtml", ex.Message);
                Assert.False(File.Exists(path));
            }
        }
        finally { dir.Delete(true); }
    }
}
