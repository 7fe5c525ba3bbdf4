package net.palisade.controlplane.cluster;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP forwarder on 127.0.0.1 for tests that cut a node off from PostgreSQL: {@link #blackHole()} stops moving
 * bytes both ways without closing anything (as a pulled cable does: the client's calls hang until its own timeouts),
 * {@link #heal()} moves them again. Real sockets; not a mock.
 */
final class TcpProxy implements AutoCloseable {
    private final ServerSocket server;
    private final InetSocketAddress target;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final Object gate = new Object();
    private volatile boolean holes;

    TcpProxy(String host, int port) throws IOException {
        this.target = new InetSocketAddress(host, port);
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().start(this::acceptLoop);
    }

    int port() {
        return server.getLocalPort();
    }

    void blackHole() {
        holes = true;
    }

    void heal() {
        synchronized (gate) {
            holes = false;
            gate.notifyAll();
        }
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket in = server.accept();
                Socket out = new Socket();
                out.connect(target, 2000);
                sockets.add(in);
                sockets.add(out);
                Thread.ofVirtual().start(() -> pump(in, out));
                Thread.ofVirtual().start(() -> pump(out, in));
            } catch (IOException e) {
                // closed, or the target refused: the client sees its connection drop
            }
        }
    }

    private void pump(Socket from, Socket to) {
        byte[] buf = new byte[16384];
        try (InputStream i = from.getInputStream(); OutputStream o = to.getOutputStream()) {
            int n;
            while ((n = i.read(buf)) >= 0) {
                synchronized (gate) {
                    while (holes) {
                        gate.wait(); // bytes read while cut are held, as in a queue behind a dead link
                    }
                }
                o.write(buf, 0, n);
                o.flush();
            }
        } catch (IOException | InterruptedException e) {
            // one side went away
        } finally {
            try {
                from.close();
                to.close();
            } catch (IOException ignored) {
                // closing
            }
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        heal();
        for (Socket s : sockets) {
            s.close();
        }
    }
}
