package io.escrow.transport;

import io.grpc.Context;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/**
 * Who is calling: a name taken from the caller's certificate (never from the request) and the
 * roles it holds. Attached to the gRPC context by {@link AccessControlInterceptor}.
 */
public record CallerIdentity(String name, Set<Role> roles) {
    static final Context.Key<CallerIdentity> KEY = Context.key("escrow-caller");

    /** The fixed identity of the embedded development default: holds every role. */
    public static final CallerIdentity DEVELOPMENT = new CallerIdentity("dev", EnumSet.allOf(Role.class));

    public CallerIdentity {
        Objects.requireNonNull(name, "name");
        roles = Set.copyOf(roles);
    }

    /** The identity of the current call; fails if the interceptor did not run. */
    public static CallerIdentity current() {
        CallerIdentity id = KEY.get();
        if (id == null) {
            throw new IllegalStateException("no caller identity in the gRPC context");
        }
        return id;
    }
}
