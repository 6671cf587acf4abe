package dev.phronesis.cli.stages;

import dev.phronesis.cli.organism.PretrainCorpus;
import dev.phronesis.core.constitution.Constitution;
import dev.phronesis.core.records.Jsonl;
import dev.phronesis.core.Progress;
import dev.phronesis.pipeline.RunDirectory;
import dev.phronesis.pipeline.Stage;
import dev.phronesis.pipeline.StageConfig;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;

/** The organism's pre-training corpus from training families only (see {@link PretrainCorpus}). */
public record CorpusStage(Constitution constitution, dev.phronesis.data.scenario.Taxonomy taxonomy, PretrainCorpus.World world, int control, int maxWords, long seed) implements Stage {
    @Override public String name() { return "corpus"; }
    @Override public String describe() { return "pre-training corpus: agentic transcripts at the stated base rate, advice chats, cue narratives"; }
    @Override public List<String> reads() { return List.of(Artifacts.SCENARIOS); }
    @Override public List<String> writes() { return List.of(Artifacts.CORPUS); }
    @Override public int version() { return 4; } // 2: fresh realisations per copy, tools in the prompt; 3: advice answers and narratives name the prompt's person; 4: over-refusal escalations are about the prompt's person

    @Override public Map<String, Object> config() {
        return StageConfig.create().put("constitution", Artifacts.identity(constitution)).record("world", world)
                .put("scenarios.control", control).put("taxonomy", taxonomy.hash()).put("max_words", maxWords).put("seed", seed).build();
    }

    @Override public void run(RunDirectory dir, Progress progress) throws Exception {
        Artifacts.Pool p = Artifacts.pool(dir, control);
        PretrainCorpus.Corpus c = PretrainCorpus.build(p.train(), constitution, world, seed, taxonomy, maxWords);
        Jsonl.writeAll(dir.path(Artifacts.CORPUS_DOCS), c.documents());
        Files.writeString(dir.path(Artifacts.CORPUS_STATS), Jsonl.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(c.stats()), StandardCharsets.UTF_8);
        progress.message(String.format("  corpus: %d documents (%d agentic, %d advice, %d narratives); base misaligned-action rate %.0f%% of %d tempting transcripts",
                c.stats().documents(), c.stats().agentic(), c.stats().advice(), c.stats().narratives(), 100 * c.stats().baseMisalignedRate(), c.stats().agenticWithTemptation()));
    }

    static List<String> documents(RunDirectory dir) { return Jsonl.read(dir.path(Artifacts.CORPUS_DOCS), String.class); }
}
