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
                Assert.Equal((800, 600), ChartExport.PngSize(bytes));   // default scale 2
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

    [Fact]
    public void Save_WritesHtmlPngAndSvg_AtTheStatedSize()
    {
        var chart = EffectCharts.Lines(new[] { new Series("s", new[] { 0.0, 1.0 }, new[] { 1.0, -2.0 }, Valid: new[] { true, false }) }, "export-title-xyz", "x", "y");
        var dir = Directory.CreateTempSubdirectory("llclab-save-test-");
        try
        {
            var stem = Path.Combine(dir.FullName, "fig");
            if (!ChartExport.CanSavePng)
            {
                var ex = Assert.Throws<InvalidOperationException>(() => ChartExport.Save(chart, stem));
                Assert.Contains("apt-get install chromium", ex.Message);
                Assert.True(File.Exists(stem + ".html"));                      // the HTML needs no browser
                return;
            }
            var f = ChartExport.Save(chart, stem);
            Assert.Contains("export-title-xyz", File.ReadAllText(f.Html));
            Assert.Equal((ChartStyle.ExportWidth * ChartStyle.ExportScale, ChartStyle.ExportHeight * ChartStyle.ExportScale),
                ChartExport.PngSize(File.ReadAllBytes(f.Png)));             // 1920 × 1200: laid out at 960 × 600 CSS px, scale 2
            var svg = File.ReadAllText(f.Svg);
            Assert.StartsWith("<svg", svg.TrimStart());
            Assert.Contains($"width=\"{ChartStyle.ExportWidth}\"", svg);
            Assert.Contains($"height=\"{ChartStyle.ExportHeight}\"", svg);
            Assert.Contains("export-title-xyz", svg);                           // the text is text, not pixels
            Assert.Contains("failed validity", svg);
            Assert.Empty(Directory.GetFiles(dir.FullName, "*.tmp"));
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void PngSize_ReadsTheHeader_AndRejectsOtherFiles()
    {
        var header = new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 13, 10, 26, 10, 0, 0, 0, 13, (byte)'I', (byte)'H', (byte)'D', (byte)'R', 0, 0, 7, 128, 0, 0, 4, 176 };
        Assert.Equal((1920, 1200), ChartExport.PngSize(header));
        Assert.Throws<ArgumentException>(() => ChartExport.PngSize(new byte[30]));
    }
}
