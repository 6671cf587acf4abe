package dev.phronesis.cli;

import dev.phronesis.train.ChatServer;
import dev.phronesis.train.EmbeddedStudent;
import dev.phronesis.train.Torch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

@Command(name = "serve", mixinStandardHelpOptions = true,
        header = "Serve a trained student as an OpenAI-compatible Chat Completions endpoint on 127.0.0.1.")
public final class ServeCommand implements Callable<Integer> {
    @Parameters(index = "0", description = "checkpoint or run directory") Path checkpoint;
    @Option(names = "--port", defaultValue = "8000", description = "port on 127.0.0.1 (0 = any free port); default ${DEFAULT-VALUE}") int port;
    @Option(names = "--model-name", description = "model id reported by the API (default: the checkpoint's directory name)") String name;
    @Option(names = "--max-batch", defaultValue = "64", description = "most concurrent requests per batched generation") int maxBatch;
    @Option(names = "--think", description = "start every answer with <think>") boolean think;
    @Option(names = "--threads", defaultValue = "0", description = "torch threads (0 = all cores)") int threads;

    @Override public Integer call() throws Exception {
        Torch.threads(threads);
        EmbeddedStudent student = EmbeddedStudent.load(checkpoint, new EmbeddedStudent.Options(maxBatch, Duration.ofMillis(20), think));
        String model = name != null ? name : checkpoint.toAbsolutePath().normalize().getFileName().toString();
        ChatServer server = ChatServer.start(student, model, port);
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> { server.close(); student.close(); stop.countDown(); }));
        System.out.println("serving " + model + " on http://127.0.0.1:" + server.port() + "/v1 (Ctrl-C to stop)");
        System.out.flush();
        stop.await();
        return Main.OK;
    }
}
