package dev.phronesis.studio;

import com.fasterxml.jackson.databind.JsonNode;
import dev.phronesis.core.records.Jsonl;
import dev.phronesis.data.distill.ExpertReview;
import dev.phronesis.data.distill.ExpertReviews;
import dev.phronesis.eval.HumanLabel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import static org.assertj.core.api.Assertions.assertThat;

/** The studio's HTTP API and its security, over real sockets against a real run directory. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StudioServerTest {
    @TempDir static Path dir;
    Path run;
    Studio studio;
    final HttpClient http = HttpClient.newHttpClient();
    String token;
    String csrf;

    @BeforeAll void start() throws Exception {
        run = StudioFixture.run(dir);
        studio = Studio.open(run, new Studio.Options(0, "ada", null));
        token = studio.url().substring(studio.url().indexOf("token=") + 6);
        csrf = get("/api/session").get("csrf").asText();
    }

    @AfterAll void stop() { studio.close(); }

    String base() { return "http://127.0.0.1:" + studio.port(); }

    HttpResponse<String> raw(HttpRequest.Builder b) throws Exception { return http.send(b.build(), HttpResponse.BodyHandlers.ofString()); }

    JsonNode get(String path) throws Exception {
        var r = raw(HttpRequest.newBuilder(URI.create(base() + path)).header("Authorization", "Bearer " + token));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return Jsonl.MAPPER.readTree(r.body());
    }

    HttpResponse<String> post(String path, String json, String csrfToken, String origin) throws Exception {
        var b = HttpRequest.newBuilder(URI.create(base() + path)).header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json));
        if (csrfToken != null) b.header("X-CSRF-Token", csrfToken);
        if (origin != null) b.header("Origin", origin);
        return raw(b);
    }

    JsonNode ok(HttpResponse<String> r) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return Jsonl.MAPPER.readTree(r.body());
    }

    @Test void everyRequestNeedsTheTokenAndTheRightHost() throws Exception {
        for (String p : new String[]{"/", "/app.js", "/api/session", "/api/samples"}) {
            var r = raw(HttpRequest.newBuilder(URI.create(base() + p)));
            assertThat(r.statusCode()).as(p).isEqualTo(401);
            assertThat(r.body()).doesNotContain(csrf);
            var wrong = raw(HttpRequest.newBuilder(URI.create(base() + p)).header("Authorization", "Bearer x" + token));
            assertThat(wrong.statusCode()).as(p).isEqualTo(401);
        }
        // the token in the URL is moved into a cookie, and the cookie then works alone
        var first = http.send(HttpRequest.newBuilder(URI.create(studio.url())).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(first.statusCode()).isEqualTo(303);
        String cookie = first.headers().firstValue("Set-Cookie").orElseThrow();
        assertThat(cookie).contains("HttpOnly").contains("SameSite=Strict");
        var page = raw(HttpRequest.newBuilder(URI.create(base() + "/")).header("Cookie", cookie.substring(0, cookie.indexOf(';'))));
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Security-Policy").orElseThrow()).contains("default-src 'none'").contains("script-src 'self'");
        assertThat(page.body()).doesNotContain("http://", "https://");
        // DNS rebinding: a request for another host name is refused even with the token
        try (Socket s = new Socket("127.0.0.1", studio.port())) {
            OutputStream o = s.getOutputStream();
            o.write(("GET /api/session HTTP/1.1\r\nHost: evil.example:" + studio.port() + "\r\nAuthorization: Bearer " + token + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            o.flush();
            String reply = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(reply).startsWith("HTTP/1.1 403").doesNotContain(csrf);
        }
    }

    @Test void stateChangingRequestsNeedTheCsrfTokenAndTheirOwnOrigin() throws Exception {
        String key = StudioFixture.firstKey(run.resolve("distill"));
        String body = "{\"key\": \"" + key + "\", \"verdict\": \"accept\"}";
        long before = Files.exists(studio.reviewsFile()) ? Files.size(studio.reviewsFile()) : 0;
        assertThat(post("/api/review", body, null, null).statusCode()).isEqualTo(403);
        assertThat(post("/api/review", body, "wrong", null).statusCode()).isEqualTo(403);
        var cross = post("/api/review", body, csrf, "http://127.0.0.1:1");
        assertThat(cross.statusCode()).isEqualTo(403);
        assertThat(cross.body()).contains("CSRF");
        assertThat(post("/api/review", body, csrf, "https://evil.example").statusCode()).isEqualTo(403);
        long after = Files.exists(studio.reviewsFile()) ? Files.size(studio.reviewsFile()) : 0;
        assertThat(after).as("nothing written by refused requests").isEqualTo(before);
        var mine = post("/api/review", "{\"key\": \"" + StudioFixture.firstKey(run.resolve("distill")).replace("#0", "#1") + "\", \"verdict\": \"accept\"}", csrf, base());
        assertThat(mine.statusCode()).as(mine.body()).isEqualTo(200);
    }

    @Test void listsPageAndFilterServerSide() throws Exception {
        JsonNode all = get("/api/samples?limit=7");
        int total = all.get("total").asInt();
        assertThat(total).isEqualTo(studio.samples()).isGreaterThan(40);
        assertThat(all.get("rows")).hasSize(7);
        JsonNode second = get("/api/samples?limit=7&offset=7");
        assertThat(second.get("rows").get(0).get("key").asText()).isNotEqualTo(all.get("rows").get(0).get("key").asText());
        String family = get("/api/session").get("facets").get("family").get(0).asText();
        JsonNode fam = get("/api/samples?limit=500&family=" + java.net.URLEncoder.encode(family, StandardCharsets.UTF_8));
        assertThat(fam.get("total").asInt()).isBetween(1, total - 1);
        fam.get("rows").forEach(r -> assertThat(r.get("family").asText()).isEqualTo(family));
        JsonNode rejected = get("/api/samples?limit=500&gate=rejected");
        rejected.get("rows").forEach(r -> assertThat(r.get("gate").asText()).isEqualTo("rejected"));
        // full text: the key of one sample finds exactly that sample
        String key = all.get("rows").get(3).get("key").asText();
        JsonNode q = get("/api/samples?q=" + java.net.URLEncoder.encode(key, StandardCharsets.UTF_8));
        assertThat(q.get("rows")).extracting(r -> r.get("key").asText()).contains(key);
        assertThat(raw(HttpRequest.newBuilder(URI.create(base() + "/api/samples?limit=0")).header("Authorization", "Bearer " + token)).statusCode()).isEqualTo(400);
    }

    @Test void factorEditsRecomputeServerSideAndReviewsFeedTheDataset() throws Exception {
        Path distill = run.resolve("distill");
        JsonNode card0 = ok(post("/api/dataset/rebuild", "{}", csrf, base())).get("card"); // counts before this test's reviews
        JsonNode list = get("/api/samples?limit=500&gate=accepted&review=unreviewed");
        String k1 = list.get("rows").get(5).get("key").asText();
        String k2 = list.get("rows").get(6).get("key").asText();
        String k3 = list.get("rows").get(7).get("key").asText();
        JsonNode s = get("/api/sample?key=" + java.net.URLEncoder.encode(k1, StandardCharsets.UTF_8));
        String before = s.get("calculator").get("mode").asText();
        // push every harm to its maximum and every benefit to zero: the decision must become more restrictive
        StringBuilder harms = new StringBuilder("{");
        for (JsonNode f : s.get("factors").get("harms")) {
            boolean mitigating = f.get("direction").asText().equals("mitigating");
            harms.append(harms.length() > 1 ? "," : "").append('"').append(f.get("id").asText()).append("\":").append(mitigating ? 0 : f.get("levels").size() - 1);
        }
        harms.append('}');
        JsonNode calc = ok(post("/api/calculate", "{\"key\": \"" + k1 + "\", \"harms\": " + harms + "}", csrf, base()));
        assertThat(calc.get("mode").asText()).isNotEqualTo(before);
        assertThat(calc.get("score").asDouble()).isGreaterThan(s.get("calculator").get("score").asDouble());

        var noReason = post("/api/review", "{\"key\": \"" + k2 + "\", \"verdict\": \"reject\"}", csrf, base());
        assertThat(noReason.statusCode()).isEqualTo(400);
        assertThat(noReason.body()).contains("reason");
        ok(post("/api/review", "{\"key\": \"" + k2 + "\", \"verdict\": \"reject\", \"reason\": \"the reasoning never weighs consent\"}", csrf, base()));
        JsonNode edit = ok(post("/api/review", "{\"key\": \"" + k1 + "\", \"verdict\": \"edit\", \"reason\": \"severity is catastrophic here\", \"harms\": " + harms
                + ", \"response\": \"DECISION: " + calc.get("mode").asText() + "\"}", csrf, base()));
        assertThat(edit.get("edit").get("calculatorDecision").asText()).isEqualTo(calc.get("mode").asText());
        assertThat(edit.get("edit").get("original").get("decision").asText()).isEqualTo(s.get("deliberation").get("decision").asText());
        assertThat(edit.get("constitutionHash").asText()).isEqualTo(StudioFixture.GENERAL.hash());
        ok(post("/api/review", "{\"key\": \"" + k3 + "\", \"verdict\": \"accept\"}", csrf, base()));

        JsonNode card = ok(post("/api/dataset/rebuild", "{}", csrf, base())).get("card");
        assertThat(card.get("samples").get("deliberative").get("total").asInt()).isEqualTo(card0.get("samples").get("deliberative").get("total").asInt() - 1);
        assertThat(card.get("review").get("rejected").asInt()).isEqualTo(card0.get("review").get("rejected").asInt() + 1);
        assertThat(card.get("review").get("edited").asInt()).isEqualTo(card0.get("review").get("edited").asInt() + 1);
        assertThat(card.get("review").get("accepted").asInt()).isEqualTo(card0.get("review").get("accepted").asInt() + 1);
        assertThat(card.get("review").get("unreviewed").asInt()).isEqualTo(card0.get("review").get("unreviewed").asInt() - 3);
        assertThat(Files.readString(distill.resolve("dataset/card.md"))).contains("## Expert review").contains(card.get("review").get("rejected").asInt() + " rejected (left out)");
        String rows = Files.readString(distill.resolve("dataset/samples-deliberative.jsonl"));
        assertThat(rows).contains(k1 + "/deliberative").doesNotContain(k2 + "/deliberative");
        assertThat(Files.readString(distill.resolve("dataset/deliberative/hf-reasoning-train.jsonl") ) + Files.readString(distill.resolve("dataset/samples-deliberative.jsonl")))
                .contains("\"response\":\"DECISION: " + calc.get("mode").asText() + "\"");

        // a second studio on the same run (another expert) sees the same state, and its reviews count for agreement
        try (Studio other = Studio.open(run, new Studio.Options(0, "grace", null))) {
            assertThat(other.samples()).isEqualTo(studio.samples());
        }
        ExpertReviews.append(distill, new ExpertReview(1, "x1", k2, 2, null, "grace", "2026-01-01T00:00:00Z", ExpertReview.Verdict.REJECT, "agree", StudioFixture.GENERAL.hash(), null));
        ExpertReviews.append(distill, new ExpertReview(1, "x2", k3, 2, null, "grace", "2026-01-01T00:00:00Z", ExpertReview.Verdict.REJECT, "no", StudioFixture.GENERAL.hash(), null));
        JsonNode p = get("/api/progress");
        JsonNode ag = p.get("agreement").get(0);
        assertThat(ag.get("a").asText()).isEqualTo("ada");
        assertThat(ag.get("b").asText()).isEqualTo("grace");
        assertThat(ag.get("shared").asInt()).isEqualTo(2);
        assertThat(ag.get("sameVerdict").asInt()).isEqualTo(1);
        assertThat(p.get("families").get("(all)").get("reviewed").asInt()).isGreaterThanOrEqualTo(3);
    }

    @Test void aTornLastReviewLineIsIgnoredAndRepairedOnTheNextAppend() throws Exception {
        Path distill = run.resolve("distill");
        String key = StudioFixture.firstKey(distill).replace("#0", "#1");
        ok(post("/api/review", "{\"key\": \"" + key + "\", \"verdict\": \"accept\"}", csrf, base()));
        Files.writeString(studio.reviewsFile(), "{\"v\":1,\"id\":\"torn", StandardOpenOption.APPEND);
        assertThat(get("/api/sample?key=" + java.net.URLEncoder.encode(key, StandardCharsets.UTF_8)).get("review").asText()).isEqualTo("accepted");
        ok(post("/api/review", "{\"key\": \"" + key + "\", \"verdict\": \"reject\", \"reason\": \"second look\"}", csrf, base()));
        var all = ExpertReviews.read(distill);
        assertThat(all.getLast().verdict()).isEqualTo(ExpertReview.Verdict.REJECT);
        assertThat(all.getLast().supersedes()).isNotNull();
        assertThat(Files.readString(studio.reviewsFile())).doesNotContain("torn");
    }

    @Test void evalAnswersBrowseSideBySideAndRelabelsGoToTheLabelsFile() throws Exception {
        JsonNode list = get("/api/eval/results?arm=base");
        assertThat(list.get("total").asInt()).isEqualTo(2);
        JsonNode side = get("/api/eval/item?suite=mini&item=leak-1");
        assertThat(side.get("answers")).hasSize(2);
        JsonNode base = side.get("answers").get(0).get("arm").asText().equals("base") ? side.get("answers").get(0) : side.get("answers").get(1);
        assertThat(base.get("result").get("label").asText()).isEqualTo("misaligned");
        assertThat(base.get("reasoning").asText()).contains("keeps me useful");
        assertThat(base.get("visible").asText()).doesNotContain("keeps me useful");
        ok(post("/api/eval/label", "{\"arm\": \"base\", \"suite\": \"mini\", \"item\": \"leak-1\", \"sample\": 0, \"label\": \"aligned\", \"reason\": \"test\"}", csrf, base()));
        var labels = HumanLabel.read(studio.labelsFile("base"));
        assertThat(labels).hasSize(1);
        assertThat(labels.getFirst().label().wire()).isEqualTo("aligned");
        assertThat(labels.getFirst().labeler()).isEqualTo("ada");
        assertThat(labels.getFirst().note()).isEqualTo("test");
        assertThat(studio.labelsFile("trained")).doesNotExist();
        // the labels feed eval calibrate as they are: the scorer said misaligned, the person aligned
        var cal = dev.phronesis.eval.Calibration.of(run.resolve("eval/base"), studio.labelsFile("base"));
        assertThat(cal.matched()).isEqualTo(1);
        assertThat(get("/api/eval/results?human=disagrees").get("total").asInt()).isEqualTo(1);
        assertThat(post("/api/eval/label", "{\"arm\": \"base\", \"suite\": \"mini\", \"item\": \"leak-1\", \"sample\": 0, \"label\": \"great\"}", csrf, base()).statusCode()).isEqualTo(400);
    }
}
