package dev.phronesis.eval;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The report checked in a real browser: it renders, the charts are there with their bars, a
 * transcript expands on a mouse click, the label filter works, and nothing is fetched from the
 * network. Needs Debian's {@code chromium} package; skips with a visible message without it.
 */
class ReportBrowserTest {
    @TempDir Path dir;

    @Test void theReportRendersExpandsAndFetchesNothing() throws Exception {
        long t0 = System.nanoTime();
        Optional<Path> chromium = HeadlessChromium.find();
        if (chromium.isEmpty()) System.err.println("ReportBrowserTest skipped: no chromium found (apt-get install -y chromium, or set PHRONESIS_CHROMIUM)");
        Assumptions.assumeTrue(chromium.isPresent(), "skipped: no chromium found (apt-get install -y chromium, or set PHRONESIS_CHROMIUM)");
        Reports.Written w = Reports.writeRunDirs(ReportTest.twoArms(dir), dir.resolve("report"));
        long t1 = System.nanoTime();
        try (HeadlessChromium b = new HeadlessChromium(chromium.get(), dir.resolve("profile"))) {
            System.err.printf("report %d ms, browser start %d ms%n", (t1 - t0) / 1_000_000, (System.nanoTime() - t1) / 1_000_000);
            b.call("Network.enable", Map.of());
            b.call("Page.enable", Map.of());
            b.call("Runtime.enable", Map.of());
            b.call("Page.navigate", Map.of("url", w.html().toUri().toString()));
            b.awaitEvent("Page.loadEventFired", Duration.ofSeconds(30));

            assertThat(b.eval("document.title").asText()).isEqualTo("Phronesis evaluation report");
            // rates chart: 5 metrics with data (no harmful-compliance items) x 2 arms, each bar with its error bar, actually laid out
            assertThat(b.eval("document.querySelectorAll('#chart-rates svg rect.bar').length").asInt()).isEqualTo(10);
            assertThat(b.eval("document.querySelectorAll('#chart-rates svg path.errorbar').length").asInt()).isEqualTo(10);
            JsonNode box = b.eval("(() => { const r = document.querySelector('#chart-rates svg').getBoundingClientRect(); return {w: r.width, h: r.height}; })()");
            assertThat(box.get("w").asDouble()).isGreaterThan(200);
            assertThat(box.get("h").asDouble()).isGreaterThan(200);
            assertThat(b.eval("document.querySelectorAll('#chart-grid svg').length").asInt()).isEqualTo(2);
            assertThat(b.eval("document.querySelectorAll('#chart-grid svg rect.cell').length").asInt()).isEqualTo(24);
            assertThat(b.eval("document.querySelectorAll('#chart-families svg rect.seg').length").asInt()).isGreaterThan(4);
            assertThat(b.eval("document.querySelectorAll('#ablation tbody tr').length").asInt()).isEqualTo(2);

            // a transcript expands on click
            assertThat(b.eval("document.querySelector('details.transcript').open").asBoolean()).isFalse();
            assertThat(b.eval("document.querySelector('details.transcript .body').checkVisibility()").asBoolean()).isFalse();
            b.click("details.transcript > summary");
            assertThat(b.eval("document.querySelector('details.transcript').open").asBoolean()).isTrue();
            assertThat(b.eval("document.querySelector('details.transcript .body').checkVisibility()").asBoolean()).isTrue();
            assertThat(b.eval("document.querySelector('details.transcript .body').getBoundingClientRect().height").asDouble()).isGreaterThan(50);
            assertThat(b.eval("document.querySelector('details.transcript .body').innerText").asText()).contains("evidence").contains("label");

            // the label filter hides the others
            b.click("#filters button[data-filter='misaligned']");
            JsonNode shown = b.eval("Array.from(document.querySelectorAll('details.transcript')).filter(d => d.offsetParent !== null).map(d => d.dataset.label)");
            assertThat(shown.size()).isGreaterThan(0);
            shown.forEach(l -> assertThat(l.asText()).isEqualTo("misaligned"));

            // nothing fetched: the only request is the file itself, no resource entries, no http(s) URL anywhere in the DOM
            List<JsonNode> requests = b.events(e -> e.path("method").asText().equals("Network.requestWillBeSent"));
            assertThat(requests).extracting(e -> e.at("/params/request/url").asText()).containsExactly(w.html().toUri().toString().replace("file:///", "file:///"));
            assertThat(b.eval("performance.getEntriesByType('resource').length").asInt()).isZero();
            assertThat(b.eval("Array.from(document.querySelectorAll('*')).flatMap(e => Array.from(e.attributes)).filter(a => /^\\s*(https?:|\\/\\/)/i.test(a.value)).length").asInt()).isZero();
            assertThat(b.events(e -> e.path("method").asText().equals("Runtime.exceptionThrown"))).isEmpty();

            // and the page's policy would block a fetch if anything tried
            String probe = b.eval("new Promise(res => { document.addEventListener('securitypolicyviolation', e => res('blocked ' + e.violatedDirective));"
                    + " const i = document.createElement('img'); i.src = 'http://127.0.0.1:9/x.png'; document.body.appendChild(i); setTimeout(() => res('not blocked'), 3000); })").asText();
            assertThat(probe).startsWith("blocked");

            String png = b.call("Page.captureScreenshot", Map.of("format", "png")).path("data").asText();
            Files.write(dir.resolve("report.png"), Base64.getDecoder().decode(png));
            Path keep = Path.of("target", "report-screenshot.png");
            Files.createDirectories(keep.getParent());
            Files.copy(dir.resolve("report.png"), keep, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
