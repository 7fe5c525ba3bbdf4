package net.palisade.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The node's log appender: nothing lost or reordered, WARN and ERROR on the stream before the call returns. */
class BatchedStderrAppenderTest {
    /** A stream that counts its writes. */
    private static final class Recorder extends ByteArrayOutputStream {
        final AtomicInteger writes = new AtomicInteger();

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            writes.incrementAndGet();
            super.write(b, off, len);
        }

        synchronized String text() {
            return toString(StandardCharsets.UTF_8);
        }
    }

    private final LoggerContext context = new LoggerContext();
    private final Recorder out = new Recorder();
    private BatchedStderrAppender appender;
    private Logger log;

    @BeforeEach
    void start() {
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern("%level %msg%n");
        encoder.start();
        appender = new BatchedStderrAppender();
        appender.setContext(context);
        appender.setEncoder(encoder);
        appender.setOutput(out);
        appender.setFlushMillis(600_000); // the writer thread never writes in a test: only the rules below do
        appender.start();
        log = context.getLogger("t");
        log.setAdditive(false);
        log.setLevel(Level.INFO);
        log.addAppender(appender);
    }

    @AfterEach
    void stop() {
        appender.stop();
        context.stop();
    }

    @Test
    void aWarningIsWrittenBeforeTheCallReturnsAfterTheLinesBeforeIt() {
        log.info("one");
        log.info("two");
        log.warn("three");
        assertEquals("INFO one\nINFO two\nWARN three\n", out.text());
        log.error("four");
        assertEquals("INFO one\nINFO two\nWARN three\nERROR four\n", out.text());
    }

    @Test
    void infoLinesAreWrittenTogetherAndAllWrittenWhenStopped() {
        for (int i = 0; i < 1000; i++) {
            log.info("line {}", i);
        }
        appender.stop();
        StringBuilder expected = new StringBuilder();
        for (int i = 0; i < 1000; i++) {
            expected.append("INFO line ").append(i).append('\n');
        }
        assertEquals(expected.toString(), out.text());
        assertEquals(1, out.writes.get(), "one write for the 1000 queued lines");
    }

    @Test
    void manyThreadsLoseNothingAndKeepEachThreadsOrder() throws InterruptedException {
        int threads = 4;
        int lines = BatchedStderrAppender.MAX_QUEUED; // together past the bound: loggers write themselves too
        List<Thread> started = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int id = t;
            Thread th = new Thread(() -> {
                for (int i = 0; i < lines; i++) {
                    log.info("{} {}", id, i);
                }
            });
            th.start();
            started.add(th);
        }
        for (Thread th : started) {
            th.join();
        }
        appender.stop();
        int[] next = new int[threads];
        for (String line : out.text().split("\n")) {
            String[] f = line.split(" ");
            int id = Integer.parseInt(f[1]);
            assertEquals(next[id], Integer.parseInt(f[2]), "thread " + id + "'s lines in order");
            next[id]++;
        }
        for (int t = 0; t < threads; t++) {
            assertEquals(lines, next[t], "every line of thread " + t);
        }
    }
}
