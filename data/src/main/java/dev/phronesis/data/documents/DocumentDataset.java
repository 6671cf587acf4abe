package dev.phronesis.data.documents;

import dev.phronesis.core.UserError;
import dev.phronesis.core.records.Jsonl;
import dev.phronesis.data.distill.TokenCounter;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The {@code documents} dataset kind: plain text for continued pre-training ("mid-training") before
 * SFT. Writes {@code documents.jsonl} ({@code {"text", "id", "genre"}} per line), a Hugging Face
 * dataset card ({@code README.md} with {@code configs:} front matter, so
 * {@code load_dataset(DIR, "documents")} reads it), {@code tokens.json}, and two trainer exports:
 * {@code trl-midtrain.py} (TRL {@code SFTTrainer} on the text field, loss on every token, CPU when no
 * GPU is present) and {@code axolotl-midtrain.yaml} ({@code type: completion}).
 *
 * <p>Selection under the budget keeps plan order: the planner deals the least-covered items first, so
 * a prefix of the plan covers every item as evenly as its length allows.
 */
public final class DocumentDataset {
    public static final String FILE = "documents.jsonl";

    public record Row(String text, String id, String genre) {}

    public record Summary(int documents, int available, long tokens, long budget, String tokenizer, Map<String, Integer> genres) {}

    private DocumentDataset() {}

    public static Summary write(List<Document> docs, long budgetTokens, TokenCounter counter, Path outDir) {
        if (budgetTokens <= 0) throw new UserError("documents dataset: --budget must be a positive number of tokens, got " + budgetTokens);
        if (docs.isEmpty()) throw new UserError("documents dataset: no documents to write (run 'phronesis documents generate' first)");
        List<Row> rows = new ArrayList<>();
        Map<String, Integer> genres = new java.util.TreeMap<>();
        long tokens = 0;
        for (Document d : docs) {
            int n = counter.count(d.text());
            if (tokens + n > budgetTokens) continue;
            tokens += n;
            rows.add(new Row(d.text(), d.id(), d.spec().genre().wire()));
            genres.merge(d.spec().genre().wire(), 1, Integer::sum);
        }
        if (rows.isEmpty()) throw new UserError("documents dataset: --budget " + budgetTokens + " tokens is smaller than the shortest document");
        Jsonl.writeAll(outDir.resolve(FILE), rows);
        Summary s = new Summary(rows.size(), docs.size(), tokens, budgetTokens, counter.id(), genres);
        Map<String, Object> tok = new LinkedHashMap<>();
        tok.put("documents", s.documents());
        tok.put("available", s.available());
        tok.put("tokens", s.tokens());
        tok.put("budget", s.budget());
        tok.put("tokenizer", s.tokenizer());
        tok.put("genres", s.genres());
        write(outDir.resolve("tokens.json"), Jsonl.toJson(tok) + "\n");
        write(outDir.resolve("README.md"), card(s, docs.getFirst()));
        write(outDir.resolve("trl-midtrain.py"), TRL);
        write(outDir.resolve("axolotl-midtrain.yaml"), AXOLOTL);
        return s;
    }

    private static String card(Summary s, Document first) {
        return """
                ---
                configs:
                - config_name: documents
                  data_files:
                  - split: train
                    path: documents.jsonl
                dataset_info:
                  config_name: documents
                  features:
                  - name: text
                    dtype: string
                  - name: id
                    dtype: string
                  - name: genre
                    dtype: string
                  splits:
                  - name: train
                    num_examples: %d
                # license: choose one before you publish
                ---
                # Synthetic documents about a constitution

                Plain-text documents for continued pre-training ("mid-training") before SFT: explainers of
                principles and heuristics, essays weighing two principles, case studies of the factor weighing
                and the 1,000-users test, Q&A, and stories of an AI agent that reasons through the constitution
                under pressure. Written by Phronesis (`phronesis documents generate`) from training families only.

                - constitution: `%s` (sha256 `%s`)
                - writer: `%s`
                - documents: %d of %d available, %d tokens (budget %d, counted with `%s`)
                - genres: %s

                Train with `accelerate launch trl-midtrain.py --model BASE` (loss on every token), then run SFT on
                the deliberation dataset from the result. `axolotl-midtrain.yaml` is the same job for Axolotl.
                """.formatted(s.documents(), first.constitution(), first.constitutionHash(), first.realiser(), s.documents(),
                s.available(), s.tokens(), s.budget(), s.tokenizer(), s.genres());
    }

    private static final String TRL = """
            # Continued pre-training ("mid-training") on the documents: every token in the loss.
            # Written by Phronesis. Runs on CPU when no GPU is present (no bf16 then); several GPUs or
            # processes: accelerate launch trl-midtrain.py --model BASE
            import argparse
            import pathlib

            import torch
            from datasets import load_dataset
            from trl import SFTConfig, SFTTrainer

            HERE = pathlib.Path(__file__).resolve().parent
            p = argparse.ArgumentParser(description="mid-train a base model on Phronesis documents")
            p.add_argument("--model", required=True, help="base checkpoint directory or Hub id")
            p.add_argument("--out", default=str(HERE / "midtrain-out"))
            p.add_argument("--max-steps", type=int, default=-1)
            p.add_argument("--epochs", type=float, default=1.0)
            p.add_argument("--lr", type=float, default=2e-5)
            p.add_argument("--batch-size", type=int, default=4)
            p.add_argument("--max-length", type=int, default=2048)
            a = p.parse_args()

            gpu = torch.cuda.is_available()
            data = load_dataset("json", data_files=str(HERE / "documents.jsonl"), split="train")
            config = SFTConfig(
                output_dir=a.out, dataset_text_field="text", completion_only_loss=False, packing=False,
                max_length=a.max_length, per_device_train_batch_size=a.batch_size, learning_rate=a.lr,
                num_train_epochs=a.epochs, max_steps=a.max_steps, logging_steps=1, save_strategy="no",
                bf16=gpu and torch.cuda.is_bf16_supported(), use_cpu=not gpu, report_to=[])
            trainer = SFTTrainer(model=a.model, args=config, train_dataset=data)
            trainer.train()
            trainer.save_model(a.out)
            print("saved", a.out)
            """;

    private static final String AXOLOTL = """
            # Mid-training on the documents with Axolotl (type: completion = loss on every token).
            # Written by Phronesis; not run here (Axolotl is not installable on this project's CI machine).
            base_model: BASE_MODEL
            datasets:
              - path: documents.jsonl
                ds_type: json
                type: completion
                field: text
            sequence_len: 2048
            sample_packing: false
            micro_batch_size: 4
            num_epochs: 1
            learning_rate: 0.00002
            output_dir: ./midtrain-out
            """;

    private static void write(Path p, String text) {
        try {
            Files.createDirectories(p.toAbsolutePath().getParent());
            Files.writeString(p, text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(p + ": cannot write: " + e.getMessage(), e);
        }
    }

    static String lower(String s) { return s.toLowerCase(Locale.ROOT); }
}
