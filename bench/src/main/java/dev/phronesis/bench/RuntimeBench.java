package dev.phronesis.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.phronesis.llm.ChatMessage;
import dev.phronesis.train.ChatServer;
import dev.phronesis.train.EmbeddedStudent;
import dev.phronesis.train.Generator;
import dev.phronesis.train.Guide;
import dev.phronesis.train.Guides;
import dev.phronesis.train.ModelRuntime;
import dev.phronesis.train.Torch;
import dev.phronesis.train.hf.RandomCheckpoint;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The runtime's three ratios, all in one run on one machine:
 * <ol>
 *   <li>decode tokens/s of our generator vs transformers {@code generate} (greedy, same random
 *       ~100M-parameter Llama written by transformers' save_pretrained, same prompts, same threads)
 *       at batch 1, 8 and 32;</li>
 *   <li>{@code serve} throughput with 32 concurrent streaming clients vs 1, and time to first token at 32 vs 1;</li>
 *   <li>guided decoding (a JSON schema) vs free decoding, seconds per generated token.</li>
 * </ol>
 * Usage: {@code bench/run RuntimeBench [--threads N] [--new-tokens N] [--small] [--python PATH]}.
 * {@code --small} uses a ~8M-parameter model (quick check of the harness).
 */
public final class RuntimeBench {
    private static final int PROMPT_LEN = 32, CLIENTS = 32;
    private static final ObjectMapper JSON = new ObjectMapper();

    public static void main(String[] args) throws Exception {
        int threads = 2, newTokens = 32;
        boolean small = false, peer = true;
        String only = "all";
        String python = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--new-tokens" -> newTokens = Integer.parseInt(args[++i]);
                case "--small" -> small = true;
                case "--no-peer" -> peer = false;
                case "--only" -> only = args[++i];
                case "--python" -> python = args[++i];
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        Torch.threads(threads);
        Path py = python != null ? Path.of(python) : LoraBench.findPython();
        if (py == null) { System.out.println("RuntimeBench needs the Python venv (transformers) to write the checkpoint and time the peer; use --python PATH"); return; }
        Path dir = Path.of(System.getProperty("java.io.tmpdir"), "phronesis-runtime-bench-" + (small ? "small" : "100m"));
        Map<String, Object> arg = new LinkedHashMap<>();
        arg.put("dir", dir.toString());
        arg.put("vocab", 32000);
        arg.put("hidden", small ? 256 : 768);
        arg.put("intermediate", small ? 512 : 2048);
        arg.put("layers", small ? 2 : 12);
        arg.put("heads", small ? 4 : 12);
        arg.put("kv_heads", small ? 2 : 4);
        arg.put("prompt_len", PROMPT_LEN);
        arg.put("new_tokens", newTokens);
        arg.put("threads", threads);
        arg.put("batches", List.of(1, 8, 32));
        Path script = Files.createTempFile("runtime_torch", ".py");
        try (var in = RuntimeBench.class.getResourceAsStream("runtime_torch.py")) { Files.write(script, in.readAllBytes()); }
        if (!Files.exists(dir.resolve("config.json"))) {
            Map<String, Object> w = new LinkedHashMap<>(arg);
            w.put("write_only", true);
            run(py, script, w, threads);
            RandomCheckpoint.writeTokenizer(dir); // byte-level tokenizer + ChatML template, so serve can render chats
        }
        // 1. decode: ours, then transformers, on the same checkpoint
        Map<Integer, Double> ours = new LinkedHashMap<>();
        if (only.equals("all") || only.equals("decode")) try (ModelRuntime rt = ModelRuntime.load(dir)) {
            System.out.printf(Locale.ROOT, "model: %,d parameters (random Llama written by transformers), prompts of %d tokens, %d new tokens, %d threads%n",
                    rt.weights().config().parameterCount(), PROMPT_LEN, newTokens, threads);
            System.out.println("forward: " + (rt.generator().onJavaForward() ? "Java (Vector API)" : "libtorch (start the JVM with --add-modules jdk.incubator.vector for the Java forward)"));
            List<Generator.Request> jit = new ArrayList<>(); // JIT warm-up of both batch shapes before anything is timed
            for (int i = 0; i < 4; i++) jit.add(new Generator.Request(new int[]{1 + i, 2, 3, 4, 5, 6, 7, 8}, 0.0, 1.0, 24, List.of(), i));
            rt.generator().generate(jit);
            rt.generator().generate(jit.subList(0, 1));
            for (int b : List.of(1, 8, 32)) {
                List<Generator.Request> reqs = new ArrayList<>();
                for (int i = 0; i < b; i++) {
                    int[] ids = new int[PROMPT_LEN];
                    for (int j = 0; j < PROMPT_LEN; j++) ids[j] = (i * 31 + j * 7 + 1) % 32000;
                    reqs.add(new Generator.Request(ids, 0.0, 1.0, newTokens, List.of(), i));
                }
                rt.generator().generate(reqs.stream().map(r -> new Generator.Request(r.prompt(), 0.0, 1.0, 2, List.of(), 0)).toList()); // warm-up, as the transformers side does
                long t0 = System.nanoTime();
                long n = rt.generator().generate(reqs).stream().mapToLong(o -> o.tokens().length).sum();
                ours.put(b, n / ((System.nanoTime() - t0) / 1e9));
            }
        }
        JsonNode theirs = peer && !ours.isEmpty() ? run(py, script, arg, threads) : JSON.createObjectNode();
        for (int b : ours.keySet()) {
            double t = theirs.path(Integer.toString(b)).asDouble(Double.NaN);
            System.out.printf(Locale.ROOT, "decode batch %2d: phronesis %7.1f tok/s, transformers %7.1f tok/s, ratio %.2f%n", b, ours.get(b), t, ours.get(b) / t);
        }
        // 2. serve: 32 streaming clients vs 1, every client the same prompt (a shared prefix the server's prefix cache
        // reuses), then every request its own prompt (only the chat template's opening is shared), then the same prompt
        // with the prefix cache off
        if (only.equals("all") || only.equals("serve")) for (String mode : List.of("same prompt", "distinct prompts", "same prompt, prefix cache off"))
            try (EmbeddedStudent s = EmbeddedStudent.load(dir); ChatServer server = ChatServer.start(s, "bench", 0)) {
                if (mode.endsWith("off")) s.runtime().generator().prefixCacheBytes(0);
                boolean distinct = mode.startsWith("distinct");
                streamClients(server.port(), 1, newTokens, distinct ? "w" : null); // warm-up
                double[] m0 = ttft(server.port());
                double[] one = streamClients(server.port(), 1, newTokens, distinct ? "a" : null);
                double[] m1 = ttft(server.port());
                double[] many = streamClients(server.port(), CLIENTS, newTokens, distinct ? "b" : null);
                double[] m2 = ttft(server.port());
                // time to first token as the server measures it (admission request to the first generated token): a random
                // byte-level model's first tokens are often partial UTF-8 that the stream holds back, so the client's first
                // content chunk can come at the end of the row
                one[1] = (m1[0] - m0[0]) / Math.max(1, m1[1] - m0[1]);
                many[1] = (m2[0] - m1[0]) / Math.max(1, m2[1] - m1[1]);
                EmbeddedStudent.Stats st = s.stats();
                System.out.printf(Locale.ROOT, "serve (%s): 1 client %.1f tok/s (TTFT %.3f s, first content chunk %.3f s); %d clients %.1f tok/s (TTFT mean %.3f s, first content chunk %.3f s); prompt tokens %d, from the prefix cache %d%n",
                        mode, one[0], one[1], one[2], CLIENTS, many[0], many[1], many[2], st.promptTokens(), st.prefixHitTokens());
                System.out.printf(Locale.ROOT, "serve (%s): throughput ratio %d clients / 1 = %.2f; TTFT ratio %d / 1 = %.2f%n", mode, CLIENTS, many[0] / one[0], CLIENTS, many[1] / one[1]);
            }
        // 3. guided vs free decoding, 8 rows
        if (only.equals("all") || only.equals("guided")) try (ModelRuntime rt = ModelRuntime.load(dir)) {
            Guide g = Guides.jsonSchema("{\"type\":\"object\",\"properties\":{\"mode\":{\"enum\":[\"comply\",\"refuse\"]},\"note\":{\"type\":\"string\"}}}", rt.tokenizer());
            int[] prompt = rt.chatPrompt(List.of(ChatMessage.user("decide")), List.of(), false);
            Guide answer = Guides.answerEnding(List.of("comply", "refuse", "escalate"), Map.of(), rt.tokenizer());
            perToken(rt, prompt, null, newTokens); // warm-up
            double free = perToken(rt, prompt, null, newTokens), guided0 = perToken(rt, prompt, g, newTokens), guided = perToken(rt, prompt, g, newTokens);
            double answer0 = perToken(rt, prompt, answer, newTokens), answerWarm = perToken(rt, prompt, answer, newTokens), free2 = perToken(rt, prompt, null, newTokens);
            double freeMean = (free + free2) / 2;
            System.out.printf(Locale.ROOT, "guided decoding: %.2f ms/token free (%.2f before, %.2f after), %.2f ms/token json_schema (first run incl. mask building %.2f); ratio %.2f%n",
                    freeMean * 1e3, free * 1e3, free2 * 1e3, guided * 1e3, guided0 * 1e3, guided / freeMean);
            System.out.printf(Locale.ROOT, "guided decoding: %.2f ms/token answer grammar (first run incl. mask building %.2f); ratio %.2f%n",
                    answerWarm * 1e3, answer0 * 1e3, answerWarm / freeMean);
        }
    }

    private static double perToken(ModelRuntime rt, int[] prompt, Guide g, int newTokens) {
        List<Generator.Request> reqs = new ArrayList<>();
        for (int i = 0; i < 8; i++) reqs.add(new Generator.Request(prompt, 1.0, 1.0, newTokens, List.of(), i, 0, g));
        long t0 = System.nanoTime();
        long n = rt.generator().generate(reqs).stream().mapToLong(o -> Math.max(1, o.tokens().length)).sum();
        return (System.nanoTime() - t0) / 1e9 / n;
    }

    /** {tokens/s over all clients, mean time to first token} for {@code clients} concurrent streaming chats. */
    private static double[] streamClients(int port, int clients, int newTokens, String tag) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        long t0 = System.nanoTime();
        List<Future<double[]>> fs = new ArrayList<>();
        try (var ex = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int c = 0; c < clients; c++) {
                String text = (tag == null ? "" : tag + c + " ") + "the agent reads the file"; // tag: a prompt of its own from its first word
                String body = "{\"model\":\"bench\",\"messages\":[{\"role\":\"user\",\"content\":\"" + text + "\"}],\"max_tokens\":" + newTokens
                        + ",\"temperature\":1,\"stream\":true,\"stream_options\":{\"include_usage\":true}}";
                fs.add(ex.submit(() -> {
                long s = System.nanoTime();
                HttpResponse<java.io.InputStream> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/chat/completions"))
                        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofInputStream());
                double ttft = -1, tokens = 0;
                try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body()))) {
                    for (String line; (line = in.readLine()) != null; ) {
                        if (!line.startsWith("data: {")) continue;
                        JsonNode n = JSON.readTree(line.substring(6));
                        if (ttft < 0 && n.path("choices").path(0).path("delta").has("content") && !n.path("choices").path(0).path("delta").path("content").asText().isEmpty())
                            ttft = (System.nanoTime() - s) / 1e9;
                        if (n.has("usage") && !n.path("usage").isNull()) tokens = n.path("usage").path("completion_tokens").asDouble();
                    }
                }
                return new double[]{tokens, ttft < 0 ? (System.nanoTime() - s) / 1e9 : ttft};
                }));
            }
        }
        double tokens = 0, ttft = 0;
        for (Future<double[]> f : fs) { tokens += f.get()[0]; ttft += f.get()[1]; }
        return new double[]{tokens / ((System.nanoTime() - t0) / 1e9), Double.NaN, ttft / clients};
    }

    /** {sum, count} of the server's time-to-first-token histogram (GET /metrics). */
    private static double[] ttft(int port) throws Exception {
        String m = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        double sum = 0, count = 0;
        for (String line : m.split("\n")) {
            if (line.startsWith("phronesis_time_to_first_token_seconds_sum ")) sum = Double.parseDouble(line.substring(line.indexOf(' ') + 1).strip());
            if (line.startsWith("phronesis_time_to_first_token_seconds_count ")) count = Double.parseDouble(line.substring(line.indexOf(' ') + 1).strip());
        }
        return new double[]{sum, count};
    }

    private static JsonNode run(Path py, Path script, Map<String, Object> arg, int threads) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(py.toString(), script.toString(), JSON.writeValueAsString(arg)).redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.environment().put("OMP_NUM_THREADS", Integer.toString(threads));
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes()).strip();
        if (p.waitFor() != 0) throw new IllegalStateException("transformers side failed: " + out);
        return JSON.readTree(out.isEmpty() ? "{}" : out.lines().reduce((a, b) -> b).orElse("{}"));
    }

    private RuntimeBench() {}
}
