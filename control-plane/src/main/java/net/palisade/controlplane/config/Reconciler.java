package net.palisade.controlplane.config;

import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import net.palisade.controlplane.tunnel.TunnelCommand;
import net.palisade.controlplane.tunnel.TunnelReply;
import net.palisade.model.IpsecConfig;
import net.palisade.model.TunnelSpec;
import net.palisade.model.event.Cause;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Applies a change of the running config to the tunnel entities: a tunnel whose spec changed (compared by value,
 * secrets included) or that is new gets {@code Configure}, a tunnel no longer in the config gets {@code Remove},
 * and an unchanged tunnel gets nothing. Messages are sent without waiting; refusals are logged. The store sends a
 * full sync at start ({@link Apply#sync}), which repairs anything a crash between commit and reconcile missed:
 * Configure with an unchanged spec and Remove of an unconfigured tunnel persist nothing.
 */
public final class Reconciler {
    private Reconciler() {}

    /** What the reconciler receives. */
    public sealed interface Message {}

    /** Go from {@code before} to {@code after}; {@code alsoRemove} names labels to remove if not in {@code after}. */
    public record Apply(IpsecConfig before, IpsecConfig after, Set<String> alsoRemove, Cause cause)
            implements Message {
        public Apply {
            Objects.requireNonNull(before, "before");
            Objects.requireNonNull(after, "after");
            alsoRemove = Set.copyOf(alsoRemove);
            Objects.requireNonNull(cause, "cause");
        }

        /** One change. */
        public static Apply change(IpsecConfig before, IpsecConfig after, Cause cause) {
            return new Apply(before, after, Set.of(), cause);
        }

        /** Bring every tunnel ever configured in line with {@code running}. */
        public static Apply sync(IpsecConfig running, Set<String> everConfigured, Cause cause) {
            return new Apply(ConfigStoreState.EMPTY, running, everConfigured, cause);
        }
    }

    private record Ack(TunnelReply reply) implements Message {}

    /** The reconciler actor. */
    public static Behavior<Message> create(TunnelDirectory directory) {
        return Behaviors.setup(ctx -> {
            ActorRef<TunnelReply> ack = ctx.messageAdapter(TunnelReply.class, Ack::new);
            return Behaviors.receive(Message.class)
                    .onMessage(Apply.class, a -> {
                        for (TunnelSpec t : a.after().tunnels()) {
                            Optional<TunnelSpec> old = a.before().tunnel(t.label());
                            if (old.isEmpty() || !old.get().equals(t)) {
                                directory.tunnel(t.label()).tell(new TunnelCommand.Configure(t, a.cause(), ack));
                            }
                        }
                        Set<String> gone = new LinkedHashSet<>(a.alsoRemove());
                        a.before().tunnels().forEach(t -> gone.add(t.label()));
                        for (String label : gone) {
                            if (a.after().tunnel(label).isEmpty()) {
                                directory.tunnel(label).tell(new TunnelCommand.Remove(a.cause(), ack));
                            }
                        }
                        return Behaviors.same();
                    })
                    .onMessage(Ack.class, m -> {
                        if (m.reply() instanceof TunnelReply.Rejected r) {
                            if (r.error().endsWith("is not configured")) {
                                ctx.getLog().debug("reconcile: tunnel {}: {}", r.label(), r.error());
                            } else {
                                ctx.getLog().warn("reconcile: tunnel {} refused: {}", r.label(), r.error());
                            }
                        }
                        return Behaviors.same();
                    })
                    .build();
        });
    }
}
