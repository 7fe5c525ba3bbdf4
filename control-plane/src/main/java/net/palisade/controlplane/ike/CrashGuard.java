package net.palisade.controlplane.ike;

import java.util.function.BiFunction;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.BehaviorInterceptor;
import org.apache.pekko.actor.typed.TypedActorContext;

/**
 * Around an actor's message handlers: an exception one throws (a defect, or input no test foresaw) goes to
 * {@code onCrash}, which decides the next behavior, instead of stopping the actor silently under Pekko's default
 * supervision (the IKE session actor uses it to end its tunnel's IKE SAs as a journaled failure and start again).
 */
final class CrashGuard<T> extends BehaviorInterceptor<T, T> {
    private final BiFunction<T, RuntimeException, Behavior<T>> onCrash;

    CrashGuard(Class<T> type, BiFunction<T, RuntimeException, Behavior<T>> onCrash) {
        super(type);
        this.onCrash = onCrash;
    }

    @Override
    public Behavior<T> aroundReceive(TypedActorContext<T> ctx, T message, ReceiveTarget<T> target) {
        try {
            return target.apply(ctx, message);
        } catch (RuntimeException e) {
            return onCrash.apply(message, e);
        }
    }
}
