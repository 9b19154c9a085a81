package io.escrow.testing;

import io.quarkus.arc.Arc;
import io.quarkus.grpc.runtime.GrpcServer;
import io.quarkus.value.registry.ValueRegistry;

/** The port the test service's gRPC server actually bound (the test profile asks for a random one). */
public final class GrpcTestPort {
    private GrpcTestPort() {
    }

    public static int actual() {
        ValueRegistry registry = Arc.container().instance(ValueRegistry.class).get();
        if (registry == null || !registry.containsKey(GrpcServer.GRPC_SERVER)) {
            throw new IllegalStateException("the test service's gRPC server is not running");
        }
        int port = registry.get(GrpcServer.GRPC_SERVER).getPort();
        if (port <= 0) {
            throw new IllegalStateException("the test service's gRPC server reports port " + port);
        }
        return port;
    }
}
