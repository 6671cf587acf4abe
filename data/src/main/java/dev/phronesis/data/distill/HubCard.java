package dev.phronesis.data.distill;

import dev.phronesis.core.records.Sample;
import dev.phronesis.core.records.Split;
import dev.phronesis.core.records.Variant;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The dataset directory's {@code README.md} as a Hugging Face dataset card: YAML front matter declaring one
 * config per variant ({@code deliberative}, {@code demonstration}) over the Parquet files when they were written
 * ({@code datasets} uses one loader per repository); without Parquet, over the JSONL formats, with one more config
 * per variant and format ({@code deliberative-think}, ...). Each config lists its splits
 * ({@code dev} is named {@code validation} and {@code heldout} {@code test}, the Hub's names), the Parquet
 * configs with their features; the license is left for the publisher to set. The body is {@code card.md}.
 */
final class HubCard {
    /** Order in which a variant's own config picks its files: the native Parquet columns first. */
    private static final List<DatasetBuilder.Format> PREFERRED = List.of(DatasetBuilder.Format.PARQUET, DatasetBuilder.Format.HF_REASONING,
            DatasetBuilder.Format.THINK, DatasetBuilder.Format.OPENAI);

    private HubCard() {}

    /** The Hub's name for one of our splits. */
    static String hubSplit(Split s) {
        return switch (s) {
            case TRAIN -> "train";
            case DEV -> "validation";
            case HELDOUT -> "test";
        };
    }

    static void write(Path dir, Map<Variant, List<Sample>> selected, Set<DatasetBuilder.Format> formats) {
        StringBuilder y = new StringBuilder("---\n");
        y.append("# Hugging Face dataset card (written by phronesis dataset build). Set the license before publishing, e.g. apache-2.0 or cc-by-4.0.\n");
        y.append("license: null\n");
        y.append("pretty_name: Phronesis deliberation SFT data\n");
        y.append("task_categories:\n- text-generation\n");
        y.append("tags:\n- sft\n- reasoning\n- phronesis\n");
        StringBuilder configs = new StringBuilder("configs:\n");
        StringBuilder info = new StringBuilder("dataset_info:\n");
        // datasets picks one loader (parquet or json) for a whole repository: declare the Parquet files when they exist, else the JSONL formats
        List<DatasetBuilder.Format> declared = formats.contains(DatasetBuilder.Format.PARQUET) ? List.of(DatasetBuilder.Format.PARQUET)
                : PREFERRED.stream().filter(formats::contains).toList();
        boolean first = true;
        for (var e : selected.entrySet()) {
            Variant v = e.getKey();
            config(configs, info, v.wire(), v, declared.getFirst(), e.getValue(), first);
            first = false;
            if (declared.size() > 1) for (DatasetBuilder.Format f : declared) config(configs, info, v.wire() + "-" + f.wire(), v, f, e.getValue(), false);
        }
        y.append(configs);
        if (!info.toString().equals("dataset_info:\n")) y.append(info);
        y.append("---\n\n");
        y.append("""
                Load a variant with `datasets.load_dataset("%s", "deliberative")` (or `"demonstration"`): the Parquet files when written
                (the other formats are beside them: `load_dataset("json", data_files=...)`), else `"<variant>-<format>"` for each JSONL format.
                Splits: `train`, `validation` (our `dev`), `test` (our `heldout`).
                Reasoning is in each assistant message's `reasoning_content` (parquet, hf-reasoning) or inline in a leading `<think>` span
                (think, openai); the `demonstration` variant has none. Parquet's `tools` column is the OpenAI tool list as a JSON string.
                `samples-<variant>.jsonl` holds the train split in Phronesis' own record format (other splits: `samples-<variant>-<split>.jsonl`).

                """.formatted(dir.getFileName()));
        try {
            String body = Files.readString(dir.resolve("card.md"));
            Files.writeString(dir.resolve("README.md"), y + body);
        } catch (IOException e) {
            throw new UncheckedIOException(dir + ": cannot write README.md: " + e.getMessage(), e);
        }
    }

    private static void config(StringBuilder configs, StringBuilder info, String name, Variant v, DatasetBuilder.Format f, List<Sample> samples,
                               boolean isDefault) {
        configs.append("- config_name: ").append(name).append('\n');
        if (isDefault) configs.append("  default: true\n");
        configs.append("  data_files:\n");
        StringBuilder splits = new StringBuilder();
        for (Split s : Split.values()) {
            long n = samples.stream().filter(x -> x.split() == s).count();
            if (n == 0) continue;
            configs.append("  - split: ").append(hubSplit(s)).append("\n    path: ").append(v.wire()).append('/').append(f.wire()).append('-')
                    .append(s.wire()).append('.').append(f.extension()).append('\n');
            splits.append("  - name: ").append(hubSplit(s)).append("\n    num_examples: ").append(n).append('\n');
        }
        if (f != DatasetBuilder.Format.PARQUET) return; // JSONL features are inferred by the json loader (tool schemas vary per row)
        info.append("- config_name: ").append(name).append("\n  features:\n");
        for (String c : List.of("id", "scenario_id", "family", "split", "form", "variant")) info.append("  - name: ").append(c).append("\n    dtype: string\n");
        info.append("  - name: messages\n    list:\n");
        for (String c : List.of("role", "content", "reasoning_content")) info.append("    - name: ").append(c).append("\n      dtype: string\n");
        for (String c : List.of("tools", "reasoning", "response")) info.append("  - name: ").append(c).append("\n    dtype: string\n");
        info.append("  - name: tokens\n    dtype: int32\n");
        info.append("  splits:\n").append(splits);
    }
}
