package io.escrow.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.escrow.proto.v1.AuditServiceGrpc;
import io.escrow.proto.v1.CustodianServiceGrpc;
import io.escrow.proto.v1.EscrowServiceGrpc;
import io.escrow.proto.v1.RecoveryServiceGrpc;
import io.escrow.proto.v1.WarrantServiceGrpc;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.MethodDescriptor;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Bytes that are not a valid request, sent raw to every RPC of the service: each is answered
 * INVALID_ARGUMENT with a short reason, never UNKNOWN ("Application error processing RPC", which
 * grpc-java gives any exception in request parsing, with a SEVERE stack trace in the log).
 */
@QuarkusTest
class MalformedWireGrpcTest {
    @GrpcClient("escrow")
    Channel channel;

    /** Malformed encodings, each a way a fuzzing client broke request parsing. */
    static final Map<String, byte[]> GARBAGE = new LinkedHashMap<>();

    static {
        GARBAGE.put("truncated varint", new byte[] {0x08, (byte) 0xff});
        GARBAGE.put("wire type 6", new byte[] {0x0e, 0x01});
        GARBAGE.put("wire type 7", new byte[] {0x0f, 0x01});
        GARBAGE.put("unterminated group", new byte[] {0x0b, 0x08, 0x01});
        GARBAGE.put("length past the end", new byte[] {0x0a, 0x7f, 0x01});
        GARBAGE.put("field number 0", new byte[] {0x00, 0x01});
        GARBAGE.put("valid empty request then junk", new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff});
    }

    static final MethodDescriptor.Marshaller<byte[]> RAW = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    };

    static List<MethodDescriptor<?, ?>> everyMethod() {
        List<MethodDescriptor<?, ?>> out = new ArrayList<>();
        for (ServiceDescriptor s : List.of(EscrowServiceGrpc.getServiceDescriptor(), WarrantServiceGrpc.getServiceDescriptor(),
                RecoveryServiceGrpc.getServiceDescriptor(), CustodianServiceGrpc.getServiceDescriptor(),
                AuditServiceGrpc.getServiceDescriptor())) {
            out.addAll(s.getMethods());
        }
        return out;
    }

    /** Calls {@code method} with {@code bytes} as the request and returns the status the call ended with. */
    private Status call(MethodDescriptor<?, ?> method, byte[] bytes) throws Exception {
        MethodDescriptor<byte[], byte[]> raw = method.toBuilder(RAW, RAW).build();
        CallOptions options = CallOptions.DEFAULT.withDeadlineAfter(20, TimeUnit.SECONDS);
        try {
            switch (method.getType()) {
                case UNARY -> ClientCalls.blockingUnaryCall(channel, raw, options, bytes);
                case SERVER_STREAMING -> {
                    Iterator<byte[]> it = ClientCalls.blockingServerStreamingCall(channel, raw, options, bytes);
                    while (it.hasNext()) {
                        it.next();
                    }
                }
                default -> {
                    CompletableFuture<Status> done = new CompletableFuture<>();
                    StreamObserver<byte[]> requests = ClientCalls.asyncBidiStreamingCall(channel.newCall(raw, options),
                            new StreamObserver<>() {
                                public void onNext(byte[] value) {}
                                public void onError(Throwable t) { done.complete(Status.fromThrowable(t)); }
                                public void onCompleted() { done.complete(Status.OK); }
                            });
                    requests.onNext(bytes);
                    requests.onCompleted();
                    return done.get(20, TimeUnit.SECONDS);
                }
            }
            return Status.OK;
        } catch (StatusRuntimeException e) {
            return e.getStatus();
        }
    }

    @Test
    void everyRpc_withGarbageBytes_isInvalidArgument_neverUnknown() throws Exception {
        List<MethodDescriptor<?, ?>> methods = everyMethod();
        assertEquals(23, methods.size(), "every RPC of the five services is tried: " + methods);
        List<String> wrong = new ArrayList<>();
        for (MethodDescriptor<?, ?> m : methods) {
            for (Map.Entry<String, byte[]> g : GARBAGE.entrySet()) {
                Status s = call(m, g.getValue());
                if (s.getCode() != Status.Code.INVALID_ARGUMENT || s.getDescription() == null || s.getDescription().length() > 200) {
                    wrong.add(m.getFullMethodName() + " with " + g.getKey() + ": " + s);
                }
            }
        }
        assertTrue(wrong.isEmpty(), String.join("\n", wrong));
    }

    @Test
    void everyRpc_withARequestOverOneMebibyte_isResourceExhausted() throws Exception {
        // Only the length prefix is read: the bytes are not even a valid request.
        byte[] oversized = new byte[(1 << 20) + 1];
        List<String> wrong = new ArrayList<>();
        for (MethodDescriptor<?, ?> m : everyMethod()) {
            Status s = call(m, oversized);
            if (s.getCode() != Status.Code.RESOURCE_EXHAUSTED) {
                wrong.add(m.getFullMethodName() + ": " + s);
            }
        }
        assertTrue(wrong.isEmpty(), String.join("\n", wrong));
        assertEquals(Status.Code.INVALID_ARGUMENT, call(WarrantServiceGrpc.getApproveWarrantMethod(), new byte[1 << 20]).getCode(),
                "a request of exactly the limit is parsed (and refused for what it says)");
    }

    @Test
    void nestedInvalidUtf8_isNamedByItsPath() throws Exception {
        // FileWarrantRequest { spec (1) { case_reference (1) = 'a' 0xC3 0x28 } }
        byte[] caseReference = {0x0a, 0x05, 0x0a, 0x03, 'a', (byte) 0xc3, 0x28};
        Status s = call(WarrantServiceGrpc.getFileWarrantMethod(), caseReference);
        assertEquals(Status.Code.INVALID_ARGUMENT, s.getCode(), s.toString());
        assertEquals("spec.case_reference: is not valid UTF-8", s.getDescription());
        // ... { subject_ids (3) = ['ok', 0xFF] }
        byte[] subject = {0x0a, 0x07, 0x1a, 0x02, 'o', 'k', 0x1a, 0x01, (byte) 0xff};
        Status t = call(WarrantServiceGrpc.getFileWarrantMethod(), subject);
        assertEquals("spec.subject_ids: is not valid UTF-8", t.getDescription());
    }

    /** The old marker was a field number a client could send itself and so choose the error text; now nothing marks a request but its identity. */
    @Test
    void aClientCannotForgeTheMalformedMark() throws Exception {
        // GetEscrowKeyRequest {} with field 536870911 (the old marker) = "provider_record_id"
        byte[] forged = {(byte) 0xfa, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x0f, 0x12, 'p', 'r', 'o', 'v', 'i', 'd', 'e', 'r', '_', 'r', 'e',
                'c', 'o', 'r', 'd', '_', 'i', 'd'};
        Status s = call(EscrowServiceGrpc.getGetEscrowKeyMethod(), forged);
        assertEquals(Status.Code.OK, s.getCode(), "an unknown field is ignored, as protobuf says: " + s);
    }

    @Test
    void listTreeHeads_fromBeyondAnySize_isInvalidArgument() throws Exception {
        // from_size (1) = 2^63 as a varint
        byte[] huge = {0x08, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80,
                (byte) 0x80, 0x01};
        Status s = call(AuditServiceGrpc.getListTreeHeadsMethod(), huge);
        assertEquals(Status.Code.INVALID_ARGUMENT, s.getCode(), s.toString());
        assertNotNull(s.getDescription());
        assertTrue(s.getDescription().startsWith("from_size"), s.getDescription());
    }
}
