package dev.phronesis.cli;

import dev.phronesis.core.UserError;
import dev.phronesis.train.ChatServer;
import dev.phronesis.train.EmbeddedStudent;
import dev.phronesis.train.Torch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

@Command(name = "serve", mixinStandardHelpOptions = true,
        header = "Serve a checkpoint (organism or Hugging Face, with LoRA adapters) as an OpenAI-compatible API on 127.0.0.1.")
public final class ServeCommand implements Callable<Integer> {
    /** Environment variable read for the API key when --api-key is not given. */
    static final String API_KEY_ENV = "PHRONESIS_API_KEY";

    @Parameters(index = "0", description = "checkpoint or run directory") Path checkpoint;
    @Option(names = "--host", defaultValue = "127.0.0.1", description = "address to bind; default ${DEFAULT-VALUE}") String host;
    @Option(names = "--port", defaultValue = "8000", description = "port (0 = any free port); default ${DEFAULT-VALUE}") int port;
    @Option(names = "--model-name", description = "model id reported by the API (default: the checkpoint's directory name)") String name;
    @Option(names = "--adapter", description = "PEFT LoRA adapter served as model NAME, not merged (NAME=DIR, or DIR named after its directory; repeatable)")
    List<String> adapters = new ArrayList<>();
    @Option(names = "--api-key", description = "require 'Authorization: Bearer KEY' (default: $" + API_KEY_ENV + " if set)") String apiKey;
    @Option(names = "--allowed-host", description = "extra Host header name to accept (repeatable)") List<String> allowedHosts = new ArrayList<>();
    @Option(names = "--allowed-origin", description = "browser origin allowed to call the API, or * (repeatable; default none)") List<String> allowedOrigins = new ArrayList<>();
    @Option(names = "--max-batch", defaultValue = "" + EmbeddedStudent.Options.DEFAULT_MAX_BATCH, description = "most rows decoded together; default ${DEFAULT-VALUE}") int maxBatch;
    @Option(names = "--max-queue", defaultValue = "" + EmbeddedStudent.Options.DEFAULT_MAX_QUEUE, description = "most rows waiting (beyond: 429); default ${DEFAULT-VALUE}") int maxQueue;
    @Option(names = "--max-per-client", defaultValue = "" + EmbeddedStudent.Options.DEFAULT_MAX_PER_CLIENT, description = "most rows one client may have queued or running; default ${DEFAULT-VALUE}") int maxPerClient;
    @Option(names = "--max-kv-mib", defaultValue = "2048", description = "memory bound on the KV cache of running rows, MiB; default ${DEFAULT-VALUE}") long maxKvMib;
    @Option(names = "--prefix-cache-mib", defaultValue = "256", description = "keys and values of finished requests kept so that prompts starting the same way skip that part of the prefill, MiB (0 = off; exact; Java forward only); default ${DEFAULT-VALUE}") long prefixCacheMib;
    @Option(names = "--header-timeout", defaultValue = "10", description = "seconds a client has to send request headers; default ${DEFAULT-VALUE}") int headerTimeout;
    @Option(names = "--body-timeout", defaultValue = "30", description = "seconds a client has to send the request body; default ${DEFAULT-VALUE}") int bodyTimeout;
    @Option(names = "--max-connections", defaultValue = "" + ChatServer.Options.DEFAULT_MAX_CONNECTIONS, description = "open connections at most; default ${DEFAULT-VALUE}") int maxConnections;
    @Option(names = "--think", description = "start every chat answer with <think>") boolean think;
    @Option(names = "--threads", defaultValue = "0", description = "torch threads (0 = all cores)") int threads;

    @Override public Integer call() throws Exception {
        if (maxBatch < 1 || maxQueue < 1 || maxPerClient < 1 || maxKvMib < 1 || headerTimeout < 1 || bodyTimeout < 1 || maxConnections < 1)
            throw new UserError("--max-batch, --max-queue, --max-per-client, --max-kv-mib, --header-timeout, --body-timeout and --max-connections must be >= 1");
        if (prefixCacheMib < 0) throw new UserError("--prefix-cache-mib must be >= 0 (0 turns the prefix cache off)");
        Torch.threads(threads);
        String key = apiKey != null ? apiKey : System.getenv(API_KEY_ENV);
        EmbeddedStudent.Options so = EmbeddedStudent.Options.defaults().withMaxBatch(maxBatch).withForceThink(think)
                .withLimits(maxQueue, maxPerClient, maxKvMib << 20);
        EmbeddedStudent student = EmbeddedStudent.load(checkpoint, adapterDirs(adapters), so);
        student.runtime().generator().prefixCacheBytes(prefixCacheMib << 20);
        String model = name != null ? name : checkpoint.toAbsolutePath().normalize().getFileName().toString();
        ChatServer.Options o = new ChatServer.Options(host, port, key, new LinkedHashSet<>(allowedHosts), new LinkedHashSet<>(allowedOrigins),
                ChatServer.Options.DEFAULT_MAX_BODY_BYTES, Duration.ofSeconds(headerTimeout), Duration.ofSeconds(bodyTimeout), maxConnections);
        ChatServer server = ChatServer.start(student, model, o);
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> { server.close(); student.close(); stop.countDown(); }));
        String shown = host.contains(":") ? "[" + host + "]" : host;
        System.out.println("serving " + model + (student.runtime().adapterNames().isEmpty() ? "" : " and adapters " + student.runtime().adapterNames())
                + " on http://" + shown + ":" + server.port() + "/v1" + (key != null ? " (API key required)" : "") + " (Ctrl-C to stop)");
        System.out.flush();
        stop.await();
        return Main.OK;
    }

    /** {@code NAME=DIR} or {@code DIR} (named after the directory), each a PEFT adapter directory. */
    static Map<String, Path> adapterDirs(List<String> specs) {
        Map<String, Path> out = new LinkedHashMap<>();
        for (String s : specs) {
            int eq = s.indexOf('=');
            Path dir = Path.of(eq > 0 ? s.substring(eq + 1) : s);
            String name = eq > 0 ? s.substring(0, eq) : dir.toAbsolutePath().normalize().getFileName().toString();
            if (!Files.isDirectory(dir)) throw new UserError("--adapter " + s + ": no such directory " + dir);
            if (out.put(name, dir) != null) throw new UserError("--adapter " + s + ": the name '" + name + "' is given twice");
        }
        return out;
    }
}
