package dev.phronesis.cli;

import dev.phronesis.llm.ChatMessage;
import dev.phronesis.train.EmbeddedStudent;
import dev.phronesis.train.Generator;
import dev.phronesis.train.ModelRuntime;
import dev.phronesis.train.Torch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "generate", mixinStandardHelpOptions = true,
        header = "Sample from a checkpoint (organism or Hugging Face, optionally with a LoRA adapter): chat or raw text.")
public final class GenerateCommand implements Callable<Integer> {
    @Parameters(index = "0", description = "checkpoint or run directory") Path checkpoint;
    @Option(names = "--prompt", required = true, description = "user message (repeat for a batch)") List<String> prompts;
    @Option(names = "--system", description = "system message") String system;
    @Option(names = "--adapter", description = "PEFT LoRA adapter directory applied on top of the checkpoint (not merged)") Path adapter;
    @Option(names = "--raw", description = "continue the prompt as plain text instead of a chat") boolean raw;
    @Option(names = "--think", description = "start the answer with <think> (reasoning first)") boolean think;
    @Option(names = "--temperature", defaultValue = "0.8") double temperature;
    @Option(names = "--top-p", defaultValue = "0.95") double topP;
    @Option(names = "--max-tokens", defaultValue = "128") int maxTokens;
    @Option(names = "--stop", description = "stop sequence (repeatable)") List<String> stop = new ArrayList<>();
    @Option(names = "--seed", defaultValue = "0") long seed;
    @Option(names = "--threads", defaultValue = "0", description = "torch threads (0 = all cores)") int threads;

    @Override public Integer call() {
        Torch.threads(threads);
        try (ModelRuntime rt = ModelRuntime.load(checkpoint, adapter == null ? Map.of() : ServeCommand.adapterDirs(List.of("adapter=" + adapter)))) {
            if (adapter != null) rt.activate("adapter");
            List<Generator.Request> reqs = new ArrayList<>();
            for (int i = 0; i < prompts.size(); i++) {
                int[] ids;
                if (raw) ids = rt.textPrompt(prompts.get(i));
                else {
                    List<ChatMessage> msgs = new ArrayList<>();
                    if (system != null) msgs.add(ChatMessage.system(system));
                    msgs.add(ChatMessage.user(prompts.get(i)));
                    ids = rt.chatPrompt(msgs, List.of(), think);
                }
                reqs.add(new Generator.Request(ids, temperature, topP, Math.min(maxTokens, Math.max(1, rt.contextLength() - ids.length - 1)), stop, seed + i));
            }
            var outs = rt.generator().generate(reqs);
            for (int i = 0; i < outs.size(); i++) {
                if (raw) System.out.println(prompts.get(i) + outs.get(i).text());
                else {
                    ModelRuntime.Reply r = ModelRuntime.parse(outs.get(i).text(), think, false);
                    if (r.reasoning() != null) System.out.println("<think>" + r.reasoning() + "</think>");
                    System.out.println(r.content());
                }
                if (prompts.size() > 1) System.out.println("---");
            }
            return Main.OK;
        } catch (IllegalArgumentException e) {
            throw new dev.phronesis.core.UserError(e.getMessage());
        }
    }
}
