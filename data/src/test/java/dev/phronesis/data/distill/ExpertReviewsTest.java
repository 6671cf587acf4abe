package dev.phronesis.data.distill;

import dev.phronesis.core.UserError;
import dev.phronesis.core.records.Deliberation;
import dev.phronesis.core.records.FactorAssessment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The rule by which expert reviews change what the dataset builder uses. */
class ExpertReviewsTest {
    @TempDir Path dir;
    static final String HASH = "h1";

    static Deliberation d(String id) {
        return new Deliberation(id, 0, "t", "pop", Map.of(), List.of(), Map.of(), List.of(new FactorAssessment("severity", 1, "minor", "r")), List.of(),
                List.of(), "help", 0.5, "reasoning of " + id, "DECISION: help", Map.of());
    }

    static ExpertReview r(String id, String sample, String who, ExpertReview.Verdict v, String hash, ExpertReview.Edit e) {
        return new ExpertReview(1, id, sample, 1, null, who, "2026-01-01T00:00:00Z", v, v == ExpertReview.Verdict.ACCEPT ? "" : "because", hash, e);
    }

    @Test void latestReviewDecidesRejectDropsEditReplacesAndStaleOrGateRejectedReviewsAreCounted() throws Exception {
        List<Deliberation> gateAccepted = List.of(d("a"), d("b"), d("c"), d("d"));
        var edit = new ExpertReview.Edit("better reasoning", "fixed\nDECISION: decline", List.of(new FactorAssessment("severity", 3, "catastrophic", "x")), List.of(),
                "decline", 0.2, dev.phronesis.core.calculator.DecidedBy.SCORE, new ExpertReview.Original("reasoning of c", "DECISION: help", List.of(), List.of(), "help", 0.5));
        ExpertReviews.append(dir, r("1", "a#0", "ada", ExpertReview.Verdict.REJECT, HASH, null));
        ExpertReviews.append(dir, r("2", "a#0", "grace", ExpertReview.Verdict.ACCEPT, HASH, null)); // later: a comes back
        ExpertReviews.append(dir, r("3", "b#0", "ada", ExpertReview.Verdict.REJECT, HASH, null));
        ExpertReviews.append(dir, r("4", "c#0", "ada", ExpertReview.Verdict.EDIT, HASH, edit));
        ExpertReviews.append(dir, r("5", "d#0", "ada", ExpertReview.Verdict.REJECT, "another-constitution", null));
        ExpertReviews.append(dir, r("6", "zz#0", "ada", ExpertReview.Verdict.ACCEPT, HASH, null)); // the gates rejected zz
        Files.writeString(dir.resolve(ExpertReviews.FILE), "{\"v\":1,\"id\":\"7\",\"sam", StandardOpenOption.APPEND); // torn by a crash

        var applied = ExpertReviews.apply(dir, gateAccepted, HASH);
        assertThat(applied.deliberations()).extracting(Deliberation::scenarioId).containsExactly("a", "c", "d");
        Deliberation c = applied.deliberations().get(1);
        assertThat(c.reasoning()).isEqualTo("better reasoning");
        assertThat(c.decision()).as("the edited response's DECISION line").isEqualTo("decline");
        assertThat(c.harms().getFirst().level()).isEqualTo(3);
        assertThat(applied.counts()).isEqualTo(new ExpertReviews.Counts(1, 1, 1, 1, 1, 1));
    }

    @Test void recordsAreCheckedWhereTheyAreMadeAndWhereTheyAreRead() throws Exception {
        assertThatThrownBy(() -> new ExpertReview(1, "1", "a#0", 1, null, "ada", "t", ExpertReview.Verdict.REJECT, " ", HASH, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("reason");
        Files.writeString(dir.resolve(ExpertReviews.FILE), "{\"v\":2,\"id\":\"1\",\"sample\":\"a#0\",\"revision\":1,\"reviewer\":\"ada\",\"time\":\"t\",\"verdict\":\"accept\",\"constitutionHash\":\"h\"}\n");
        assertThatThrownBy(() -> ExpertReviews.read(dir)).isInstanceOf(UserError.class).hasMessageContaining(ExpertReviews.FILE + ":1").hasMessageContaining("version 2");
    }
}
