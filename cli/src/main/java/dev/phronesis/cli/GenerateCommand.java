package dev.phronesis.cli;

import dev.phronesis.llm.ChatMessage;
import dev.phronesis.llm.ChatRequest;
import dev.phronesis.llm.ChatResult;
import dev.phronesis.train.Checkpoint;
import dev.phronesis.train.EmbeddedStudent;
import dev.phronesis.train.Generator;
import dev.phronesis.train.Torch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "generate", mixinStandardHelpOptions = true, header = "Sample from a trained student (chat or raw text).")
public final class GenerateCommand implements Callable<Integer> {
    @Parameters(index = "0", description = "checkpoint or run directory") Path checkpoint;
    @Option(names = "--prompt", required = true, description = "user message (repeat for a batch)") List<String> prompts;
    @Option(names = "--system", description = "system message") String system;
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
        if (raw) {
            try (Checkpoint.Loaded l = Checkpoint.load(checkpoint)) {
                List<Generator.Request> reqs = new ArrayList<>();
                for (int i = 0; i < prompts.size(); i++)
                    reqs.add(new Generator.Request(l.tokenizer().encode(prompts.get(i)), temperature, topP, maxTokens, stop, seed + i));
                var outs = new Generator(l.model(), l.tokenizer()).generate(reqs);
                for (int i = 0; i < outs.size(); i++) System.out.println(prompts.get(i) + outs.get(i).text());
            }
            return Main.OK;
        }
        try (EmbeddedStudent s = EmbeddedStudent.load(checkpoint, new EmbeddedStudent.Options(64, Duration.ofMillis(50), think))) {
            List<Thread> threadsList = new ArrayList<>();
            ChatResult[] results = new ChatResult[prompts.size()];
            for (int i = 0; i < prompts.size(); i++) {
                final int k = i;
                List<ChatMessage> msgs = new ArrayList<>();
                if (system != null) msgs.add(ChatMessage.system(system));
                msgs.add(ChatMessage.user(prompts.get(i)));
                ChatRequest r = ChatRequest.of(msgs).withSampling(temperature, topP, maxTokens).withStop(stop).withSeed(seed + i);
                threadsList.add(Thread.ofVirtual().start(() -> results[k] = s.chat(r)));
            }
            for (Thread t : threadsList) t.join();
            int rc = Main.OK;
            for (ChatResult r : results) {
                switch (r) {
                    case ChatResult.Completed c -> {
                        if (c.reasoning() != null) System.out.println("<think>" + c.reasoning() + "</think>");
                        System.out.println(c.content());
                    }
                    case ChatResult.Failed f -> { System.err.println("phronesis: " + f.message()); rc = Main.USAGE; }
                }
                if (prompts.size() > 1) System.out.println("---");
            }
            return rc;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Main.CHECK_FAILED;
        }
    }
}
