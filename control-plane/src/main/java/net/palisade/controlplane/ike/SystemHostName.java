package net.palisade.controlplane.ike;

import java.net.InetAddress;
import net.palisade.model.Host;

/** This machine's host name, as a {@code dynamic} tunnel's identity without {@code srcid} uses it. */
public final class SystemHostName {
    private SystemHostName() {}

    /**
     * This machine's host name: the kernel's, or its canonical name when that is a longer FQDN of it (the
     * resolver's answer for the name, as {@code hostname -f} gives it).
     */
    public static String get() {
        try {
            InetAddress me = InetAddress.getLocalHost();
            String name = me.getHostName();
            if (name.indexOf('.') < 0) {
                String canonical = me.getCanonicalHostName();
                if (canonical.startsWith(name + ".") && Host.isHostName(canonical)) {
                    return canonical;
                }
            }
            return name;
        } catch (java.net.UnknownHostException e) {
            String name = e.getMessage() == null ? "" : e.getMessage().split(":")[0].trim();
            return Host.isHostName(name) ? name : "localhost";
        }
    }
}
