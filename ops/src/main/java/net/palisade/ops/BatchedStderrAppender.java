package net.palisade.ops;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.UnsynchronizedAppenderBase;
import ch.qos.logback.core.encoder.Encoder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The node's log on stderr, INFO and below written in batches: a line is formatted on the thread that logs it and
 * queued, and a writer thread writes what queued in one {@code write(2)} at most {@link #setFlushMillis every 20 ms}
 * after the first line of a batch. Under IKE setup load (five INFO lines per setup) the console appender's one write
 * per line cost the IKE outcome lane about 9 % of its CPU (docs/benchmarks.md, 2026-12-07).
 *
 * <p>What it does not lose: a WARN or ERROR line is written, after everything queued before it, before the logging
 * call returns (as the console appender did), so a line explaining a failure is on stderr whatever happens next; an
 * orderly exit (SIGTERM, {@code System.exit}, the context stopped) writes what is queued, and lines logged after that
 * are written at once. A kill -9 or a crash of the JVM can lose the INFO lines of its last 20 ms (the journal holds
 * what they report). Lines keep their order. When the writer falls {@link #MAX_QUEUED} lines behind (stderr blocked),
 * the logging thread writes them itself, so memory stays bounded and, as before, a blocked stderr slows the logger.
 */
public final class BatchedStderrAppender extends UnsynchronizedAppenderBase<ILoggingEvent> {
    static final int MAX_QUEUED = 10_000;

    private Encoder<ILoggingEvent> encoder;
    private long flushMillis = 20;
    private OutputStream out;
    private final ConcurrentLinkedQueue<byte[]> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger queued = new AtomicInteger();
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private final Object writeLock = new Object();
    private volatile boolean direct;
    private volatile Thread writer;
    private Thread hook;

    /** The encoder that makes a line of an event (logback's {@code <encoder>}). */
    public void setEncoder(Encoder<ILoggingEvent> encoder) {
        this.encoder = encoder;
    }

    /** How long the writer waits after the first line of a batch before it writes (default 20 ms). */
    public void setFlushMillis(long flushMillis) {
        this.flushMillis = flushMillis;
    }

    /** Where lines go instead of stderr (tests). */
    void setOutput(OutputStream out) {
        this.out = out;
    }

    @Override
    public void start() {
        if (encoder == null) {
            addError("no encoder for appender " + name);
            return;
        }
        if (out == null) {
            out = System.err;
        }
        direct = false;
        Thread t = new Thread(this::writeLoop, "palisade-log-writer");
        t.setDaemon(true);
        writer = t;
        t.start();
        hook = new Thread(this::goDirect, "palisade-log-drain");
        try {
            Runtime.getRuntime().addShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            direct = true;
            hook = null;
        }
        super.start();
    }

    @Override
    public void stop() {
        if (!isStarted()) {
            return;
        }
        super.stop();
        goDirect();
        Thread t = writer;
        writer = null;
        if (t != null) {
            LockSupport.unpark(t);
        }
        if (hook != null) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs or ran: it only writes what is queued
            }
            hook = null;
        }
    }

    @Override
    protected void append(ILoggingEvent event) {
        byte[] line = encoder.encode(event);
        if (direct || event.getLevel().isGreaterOrEqual(Level.WARN) || queued.get() >= MAX_QUEUED) {
            synchronized (writeLock) {
                drain(line);
            }
            return;
        }
        queue.add(line);
        queued.incrementAndGet();
        if (!scheduled.get() && scheduled.compareAndSet(false, true)) {
            Thread t = writer;
            if (t != null) {
                LockSupport.unpark(t);
            }
        }
        if (direct) { // went direct while this line queued: the drain may have run before it
            synchronized (writeLock) {
                drain(null);
            }
        }
    }

    /** From now on every line is written before its call returns; what is queued is written now. */
    private void goDirect() {
        direct = true;
        synchronized (writeLock) {
            drain(null);
        }
    }

    private void writeLoop() {
        Thread me = Thread.currentThread();
        while (writer == me) {
            if (!scheduled.get()) {
                LockSupport.park(this);
                continue;
            }
            // the whole window, even after a permit left over from an unpark that came before this thread parked,
            // or a spurious wake-up; stop() ends it early
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(flushMillis);
            for (long left = deadline - System.nanoTime(); left > 0 && writer == me;
                    left = deadline - System.nanoTime()) {
                LockSupport.parkNanos(this, left);
            }
            scheduled.set(false);
            synchronized (writeLock) {
                drain(null);
            }
        }
    }

    /** Writes every queued line, then {@code last} if given, in one write. Holds {@link #writeLock}. */
    private void drain(byte[] last) {
        ByteArrayOutputStream batch = null;
        byte[] line;
        while ((line = queue.poll()) != null) {
            queued.decrementAndGet();
            if (batch == null) {
                batch = new ByteArrayOutputStream(8192);
            }
            batch.writeBytes(line);
        }
        if (last != null) {
            if (batch == null) {
                write(last);
                return;
            }
            batch.writeBytes(last);
        }
        if (batch != null) {
            write(batch.toByteArray());
        }
    }

    private void write(byte[] bytes) {
        try {
            out.write(bytes);
            out.flush();
        } catch (IOException | RuntimeException e) {
            addError("cannot write the log", e);
        }
    }
}
