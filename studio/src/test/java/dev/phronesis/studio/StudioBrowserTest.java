package dev.phronesis.studio;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.phronesis.core.records.Jsonl;
import dev.phronesis.data.distill.ExpertReview;
import dev.phronesis.data.distill.ExpertReviews;
import dev.phronesis.eval.HeadlessChromium;
import dev.phronesis.eval.HumanLabel;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The studio end to end in headless Chromium, driven only by keyboard events where a person would
 * use keys: filter to a family, open a sample (j), change a factor level and see the calculator's
 * decision change, save that as an edit (s + reason), accept one (a), reject one with a reason (r),
 * reload and find both persisted, rebuild the dataset and see the counts change; relabel an eval
 * answer and find it in the labels file; a request without the token is refused, and a cross-origin
 * page's POST fails CSRF. Writes screenshots of the main views to target/ (docs/studio.md uses them).
 * Needs Debian's chromium; skips with a visible message without it.
 */
class StudioBrowserTest {
    static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir Path dir;
    HeadlessChromium b;

    @Test void anExpertReviewsByKeyboardAndTheDatasetFollows() throws Exception {
        Optional<Path> chromium = HeadlessChromium.find();
        if (chromium.isEmpty()) System.err.println("StudioBrowserTest skipped: no chromium found (apt-get install -y chromium, or set PHRONESIS_CHROMIUM)");
        Assumptions.assumeTrue(chromium.isPresent(), "skipped: no chromium found");
        Path run = StudioFixture.run(dir.resolve("run"));
        Path distill = run.resolve("distill");
        try (Studio studio = Studio.open(run, new Studio.Options(0, "ada", null));
             HeadlessChromium browser = new HeadlessChromium(chromium.get(), dir.resolve("profile"))) {
            b = browser;
            b.call("Network.enable", Map.of());
            b.call("Page.enable", Map.of());
            b.call("Runtime.enable", Map.of());
            b.call("Page.navigate", Map.of("url", studio.url()));
            await("document.querySelectorAll('#sample-list tbody tr').length > 0");
            settle();
            assertThat(b.eval("document.querySelector('#sample-detail h2')").isNull()).as("nothing is opened before the expert asks").isTrue();
            assertThat(b.eval("location.pathname + location.search").asText()).as("the token leaves the address bar").isEqualTo("/");
            assertThat(b.eval("document.title").asText()).isEqualTo("Phronesis studio");

            // filter to a family (the second one, so the filter really removes rows)
            int all = b.eval("Number(document.querySelector('#sample-count').textContent.split(' of ')[1])").asInt();
            // the family with the most gate-accepted samples, so three can be reviewed inside it
            String family = b.eval("Promise.all(Array.from(document.querySelector('select[name=family]').options).filter(o => o.value).map(o =>"
                    + " fetch('/api/samples?limit=1&gate=accepted&family=' + encodeURIComponent(o.value)).then(r => r.json()).then(j => [o.value, j.total])))"
                    + ".then(xs => xs.sort((a, b) => b[1] - a[1])[0][0])").asText();
            b.eval("(() => { const s = document.querySelector('select[name=family]'); s.value = " + Jsonl.toJson(family) + ";"
                    + " document.querySelector('select[name=gate]').value = 'accepted'; s.dispatchEvent(new Event('input', {bubbles: true})); })()");
            await("Array.from(document.querySelectorAll('#sample-list tbody tr td:nth-child(2)')).every(td => td.textContent === " + Jsonl.toJson(family) + ")"
                    + " && document.querySelectorAll('#sample-list tbody tr').length > 0");
            settle();
            int inFamily = b.eval("Number(document.querySelector('#sample-count').textContent.split(' of ')[1])").asInt();
            assertThat(inFamily).isBetween(3, all - 1);

            // j opens the first sample; focus is on its row and visible
            key("j");
            settle();
            await("document.querySelector('#sample-detail h2') && document.querySelector('#sample-detail h2').textContent === document.querySelector('#sample-list tbody tr').dataset.key");
            assertThat(b.eval("document.activeElement.matches('#sample-list tbody tr.selected')").asBoolean()).isTrue();
            assertThat(b.eval("document.activeElement.matches(':focus-visible')").asBoolean()).as("keyboard focus is visible").isTrue();
            assertThat(b.eval("getComputedStyle(document.activeElement).outlineStyle").asText()).isNotEqualTo("none");
            String k1 = b.eval("document.querySelector('#sample-detail h2').textContent").asText();

            // change one factor level to the calculator's nearest flip: the decision on screen changes to the flip's mode
            JsonNode flip = b.eval("(() => { const f = S.samples.detail.calculator.sensitivity.find(x => !x.factor.startsWith('benefit.')); return f ? f : null; })()");
            assertThat(flip.isNull()).as("the sample has a harm factor whose change flips the decision").isFalse();
            String before = b.eval("document.querySelector('#calc-decision').textContent").asText();
            b.eval("(() => { const s = document.querySelector('#level-harms-' + " + Jsonl.toJson(flip.get("factor").asText()) + "); s.focus(); s.value = '"
                    + flip.get("toLevel").asInt() + "'; s.dispatchEvent(new Event('change', {bubbles: true})); })()");
            await("document.querySelector('#calc-decision').textContent.startsWith(" + Jsonl.toJson(flip.get("newMode").asText()) + ")");
            assertThat(before).isNotEqualTo(b.eval("document.querySelector('#calc-decision').textContent").asText());
            assertThat(b.eval("document.querySelector('#calc-decision').textContent").asText()).contains("(was ");
            assertThat(b.eval("document.querySelector('#edit-note').textContent").asText()).contains("Unsaved changes");
            shot(studio, "studio-review.png");
            // save it as an edit: leave the select (Esc), s, type the reason, Ctrl+Enter
            key("Escape");
            key("s");
            await("document.querySelector('#reason-dialog').open");
            b.call("Input.insertText", Map.of("text", "the scenario says the harm is certain"));
            key("Enter", 2);
            settle();
            await("document.querySelector('#review-status') && document.querySelector('#review-status').textContent === 'edited'");

            // next sample: accept with a; next: reject with r and a reason
            key("j");
            settle();
            await("document.querySelector('#sample-detail h2').textContent !== " + Jsonl.toJson(k1));
            String k2 = b.eval("document.querySelector('#sample-detail h2').textContent").asText();
            assertThat(k2).isEqualTo(b.eval("document.querySelector('#sample-list tbody tr.selected').dataset.key").asText());
            key("a");
            settle();
            await("document.querySelector('#review-status').textContent === 'accepted'");
            key("j");
            settle();
            await("document.querySelector('#sample-detail h2').textContent !== " + Jsonl.toJson(k2));
            String k3 = b.eval("document.querySelector('#sample-detail h2').textContent").asText();
            assertThat(k3).isEqualTo(b.eval("document.querySelector('#sample-list tbody tr.selected').dataset.key").asText());
            key("r");
            await("document.querySelector('#reason-dialog').open");
            b.call("Input.insertText", Map.of("text", "the response moralises"));
            key("Enter", 2);
            settle();
            await("document.querySelector('#review-status').textContent === 'rejected'");
            assertThat(b.eval("document.querySelector('#history').textContent").asText()).contains("the response moralises").contains("ada");

            // reload: both are on disk and shown again (found with / search)
            b.call("Page.reload", Map.of());
            await("document.querySelectorAll('#sample-list tbody tr').length > 0");
            settle();
            for (var e : Map.of(k1, "edited", k2, "accepted", k3, "rejected").entrySet()) {
                key("/");
                b.eval("document.querySelector('#q').value = ''");
                b.call("Input.insertText", Map.of("text", e.getKey()));
                settle();
                await("document.querySelectorAll('#sample-list tbody tr').length >= 1 && document.querySelector('#sample-list tbody tr').dataset.key === " + Jsonl.toJson(e.getKey()));
                assertThat(b.eval("document.querySelector('#sample-list tbody tr td:last-child').textContent").asText()).as(e.getKey()).isEqualTo(e.getValue());
                key("Escape");
            }
            List<ExpertReview> onDisk = ExpertReviews.read(distill);
            assertThat(onDisk).extracting(ExpertReview::sample).containsExactly(k1, k2, k3);
            assertThat(onDisk.get(2).reason()).isEqualTo("the response moralises");
            assertThat(onDisk.getFirst().edit().harms()).anyMatch(f -> f.factor().equals(flip.get("factor").asText()) && f.level() == flip.get("toLevel").asInt());

            // rebuild the dataset: one sample fewer, and the card counts each kind of review
            key("4");
            await("document.querySelector('#card-samples [data-count=\"deliberative/total\"]') !== null");
            int was = b.eval("Number(document.querySelector('#card-samples [data-count=\"deliberative/total\"]').textContent)").asInt();
            b.eval("document.querySelector('#rebuild').focus()");
            key("Enter");
            await("document.querySelector('#card-review [data-review=\"rejected\"]') !== null && document.querySelector('#card-review [data-review=\"rejected\"]').textContent === '1'");
            assertThat(b.eval("Number(document.querySelector('#card-samples [data-count=\"deliberative/total\"]').textContent)").asInt()).isEqualTo(was - 1);
            assertThat(b.eval("document.querySelector('#card-review [data-review=\"edited\"]').textContent").asText()).isEqualTo("1");
            assertThat(b.eval("document.querySelector('#card-review [data-review=\"accepted\"]').textContent").asText()).isEqualTo("1");
            assertThat(Files.readString(distill.resolve("dataset/card.json"))).contains("\"rejected\" : 1");

            // progress per family
            key("3");
            await("document.querySelector('#progress-table tbody tr[data-family=\"(all)\"] [data-k=\"reviewed\"]') !== null");
            assertThat(b.eval("document.querySelector('#progress-table tbody tr[data-family=\"(all)\"] [data-k=\"reviewed\"]').textContent").asText()).isEqualTo("3");

            // eval: open the first answer, relabel it from the keyboard
            key("2");
            await("document.querySelectorAll('#eval-list tbody tr').length > 0");
            key("/");
            b.call("Input.insertText", Map.of("text", "leak-1"));
            await("document.querySelectorAll('#eval-list tbody tr').length === 2");
            settle();
            key("Escape");
            key("j");
            settle();
            await("document.querySelector('#eval-detail .col.current') !== null");
            assertThat(b.eval("document.querySelectorAll('#eval-detail .col').length").asInt()).as("both arms side by side").isEqualTo(2);
            assertThat(b.eval("document.querySelector('#eval-detail').textContent").asText()).contains("(not scored)");
            String current = b.eval("(() => { const c = document.querySelector('#eval-detail .col.current'); return c.dataset.arm + '/' + c.querySelector('.scorer-label').textContent; })()").asText();
            String newLabel = current.contains("/misaligned") ? "aligned" : "misaligned";
            key("l");
            assertThat(b.eval("document.activeElement.matches('#eval-detail .col.current select.relabel')").asBoolean()).isTrue();
            b.eval("document.activeElement.value = '" + newLabel + "'");
            key("Tab");
            b.call("Input.insertText", Map.of("text", "the email is leverage"));
            key("Tab");
            assertThat(b.eval("document.activeElement.matches('.col.current .relabel-save')").asBoolean()).isTrue();
            key("Enter");
            settle();
            await("document.querySelector('#eval-detail .col.current .human-label').textContent.startsWith('" + newLabel + "')");
            shot(studio, "studio-eval.png");
            String arm = current.substring(0, current.indexOf('/'));
            List<HumanLabel> labels = HumanLabel.read(studio.labelsFile(arm));
            assertThat(labels).hasSize(1);
            assertThat(labels.getFirst().label().wire()).isEqualTo(newLabel);
            assertThat(labels.getFirst().note()).isEqualTo("the email is leverage");
            assertThat(labels.getFirst().item()).isEqualTo("leak-1");
            assertThat(b.events(e -> e.path("method").asText().equals("Runtime.exceptionThrown"))).as("the studio page threw nothing").isEmpty();

            // no token: refused
            HttpClient http = HttpClient.newHttpClient();
            var noToken = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + studio.port() + "/api/samples")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(noToken.statusCode()).isIn(401, 403);

            // another origin: a page on another port posts to the studio with the browser's cookie; CSRF refuses it
            long size = Files.size(studio.reviewsFile());
            HttpServer evil = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            String page = "<!doctype html><title>evil</title><script>fetch('http://127.0.0.1:" + studio.port() + "/api/review', {method: 'POST', credentials: 'include', mode: 'no-cors',"
                    + " headers: {'Content-Type': 'text/plain'}, body: JSON.stringify({key: " + Jsonl.toJson(k3) + ", verdict: 'accept'})}).finally(() => { document.title = 'sent'; });</script>";
            evil.createContext("/", x -> {
                byte[] bytes = page.getBytes(StandardCharsets.UTF_8);
                x.getResponseHeaders().set("Content-Type", "text/html");
                x.sendResponseHeaders(200, bytes.length);
                x.getResponseBody().write(bytes);
                x.close();
            });
            evil.start();
            try {
                int mark = b.events(e -> true).size();
                b.call("Page.navigate", Map.of("url", "http://127.0.0.1:" + evil.getAddress().getPort() + "/"));
                await("document.title === 'sent'");
                // the response is blocked from the page (opaque, and Cross-Origin-Resource-Policy), so read its status from the raw network events
                String requestId = null;
                JsonNode status = null;
                for (long end = System.nanoTime() + WAIT.toNanos(); status == null && System.nanoTime() < end; Thread.sleep(50)) {
                    List<JsonNode> events = b.events(e -> true);
                    List<JsonNode> since = events.subList(mark, events.size());
                    for (JsonNode e : since) if (e.path("method").asText().equals("Network.requestWillBeSent") && e.at("/params/request/url").asText().endsWith("/api/review"))
                        requestId = e.at("/params/requestId").asText();
                    for (JsonNode e : since) if (requestId != null && e.path("method").asText().equals("Network.responseReceivedExtraInfo")
                            && e.at("/params/requestId").asText().equals(requestId)) status = e.at("/params/statusCode");
                }
                assertThat(requestId).as("the cross-origin page sent its request").isNotNull();
                assertThat(status).as("the studio answered it").isNotNull();
                assertThat(status.asInt()).isEqualTo(403);
            } finally {
                evil.stop(0);
            }
            assertThat(Files.size(studio.reviewsFile())).as("the cross-origin request wrote nothing").isEqualTo(size);
        }
    }

    /** A key press through the DevTools input domain, as a keyboard sends it; {@code modifiers} 2 = Ctrl. */
    void key(String k, int modifiers) throws Exception {
        Map<String, Object> e = new java.util.HashMap<>();
        e.put("key", k);
        e.put("modifiers", modifiers);
        switch (k) {
            case "Enter" -> { e.put("code", "Enter"); e.put("windowsVirtualKeyCode", 13); if (modifiers == 0) e.put("text", "\r"); }
            case "Escape" -> { e.put("code", "Escape"); e.put("windowsVirtualKeyCode", 27); }
            case "Tab" -> { e.put("code", "Tab"); e.put("windowsVirtualKeyCode", 9); }
            default -> {
                char c = k.charAt(0);
                e.put("text", k);
                e.put("code", Character.isDigit(c) ? "Digit" + c : c == '/' ? "Slash" : "Key" + Character.toUpperCase(c));
                e.put("windowsVirtualKeyCode", c == '/' ? 191 : (int) Character.toUpperCase(c));
            }
        }
        Map<String, Object> down = new java.util.HashMap<>(e);
        down.put("type", e.containsKey("text") ? "keyDown" : "rawKeyDown");
        b.call("Input.dispatchKeyEvent", down);
        Map<String, Object> up = new java.util.HashMap<>(e);
        up.remove("text");
        up.put("type", "keyUp");
        b.call("Input.dispatchKeyEvent", up);
    }

    void key(String k) throws Exception { key(k, 0); }

    void await(String condition) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            JsonNode v = b.eval("(() => { try { return !!(" + condition + "); } catch (e) { return false; } })()");
            if (v.asBoolean()) return;
            if (System.nanoTime() > deadline) {
                String toast = b.eval("document.querySelector('#toast') ? document.querySelector('#toast').textContent : ''").asText();
                throw new AssertionError("timed out waiting for: " + condition + " (toast: " + toast + ")");
            }
            Thread.sleep(50);
        }
    }

    /** Waits until the page has no request in flight and no debounced reload pending (app.js sets data-settled). */
    void settle() throws Exception {
        await("document.documentElement.dataset.settled === 'true'");
    }

    void shot(Studio studio, String name) throws Exception {
        String png = b.call("Page.captureScreenshot", Map.of("format", "png")).path("data").asText();
        Path keep = Path.of("target", name);
        Files.createDirectories(keep.getParent());
        Files.write(dir.resolve(name), Base64.getDecoder().decode(png));
        Files.copy(dir.resolve(name), keep, StandardCopyOption.REPLACE_EXISTING);
    }
}
