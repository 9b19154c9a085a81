package io.escrow.transport;

import com.google.common.collect.MapMaker;
import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.UnknownFieldSet;
import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.concurrent.ConcurrentMap;

/**
 * Request parsing that never throws. In grpc-java any exception from a request marshaller becomes
 * UNKNOWN "Application error processing RPC" with a SEVERE stack trace in the log, which turns
 * every garbage request into a log-flooding lever. This marshaller instead hands the service a
 * fresh empty message and remembers, by that object's identity, why the bytes were refused;
 * {@link #reject} (the first line of every service method) turns it into INVALID_ARGUMENT with
 * a short reason, through the usual mapping and audit. The mark is the object itself, so no
 * client can forge it with a field of its own.
 */
final class MalformedRequests<T extends Message> implements MethodDescriptor.Marshaller<T> {
    /** Nesting followed when looking for the string field that is not UTF-8. */
    private static final int MAX_DEPTH = 16;
    /** Refused requests by identity; weak, so one never handed to a method is not kept. */
    private static final ConcurrentMap<Object, String> REFUSED = new MapMaker().weakKeys().makeMap();

    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(MalformedRequests.class);
    /** At most one log line per this period, however many malformed requests arrive. */
    private static final long LOG_PERIOD_NANOS = 60_000_000_000L;
    private static final java.util.concurrent.atomic.AtomicLong UNLOGGED = new java.util.concurrent.atomic.AtomicLong();
    private static final java.util.concurrent.atomic.AtomicLong LAST_LOG = new java.util.concurrent.atomic.AtomicLong(
            System.nanoTime() - LOG_PERIOD_NANOS);

    private final T prototype;
    private final MethodDescriptor.Marshaller<T> delegate;
    private final String method;

    private MalformedRequests(T prototype, MethodDescriptor.Marshaller<T> delegate, String method) {
        this.prototype = prototype;
        this.delegate = delegate;
        this.method = method;
    }

    /** Wraps the request marshaller of every method of a service. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    static ServerServiceDefinition wrap(ServerServiceDefinition service) {
        ServerServiceDefinition.Builder b = ServerServiceDefinition.builder(service.getServiceDescriptor().getName());
        for (ServerMethodDefinition<?, ?> m : service.getMethods()) {
            MethodDescriptor md = m.getMethodDescriptor();
            if (md.getRequestMarshaller() instanceof MethodDescriptor.PrototypeMarshaller pm
                    && pm.getMessagePrototype() instanceof Message proto) {
                MethodDescriptor wrapped = md.toBuilder(new MalformedRequests(proto, md.getRequestMarshaller(), md.getFullMethodName()),
                        md.getResponseMarshaller()).build();
                b.addMethod(ServerMethodDefinition.create(wrapped, (io.grpc.ServerCallHandler) m.getServerCallHandler()));
            } else {
                b.addMethod(m);
            }
        }
        return b.build();
    }

    /** Throws INVALID_ARGUMENT saying why, if {@code request} stands for bytes that were not a valid message. */
    static void reject(Message request) {
        String reason = REFUSED.remove(request);
        if (reason != null) {
            throw new MalformedRequestException(reason);
        }
    }

    @Override
    public InputStream stream(T value) {
        return delegate.stream(value);
    }

    @Override
    @SuppressWarnings("unchecked")
    public T parse(InputStream stream) {
        byte[] bytes;
        try {
            bytes = stream.readAllBytes();
        } catch (IOException e) {
            throw Status.INTERNAL.withDescription("cannot read request").withCause(e).asRuntimeException();
        }
        try {
            return (T) prototype.getParserForType().parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            String field = invalidUtf8Field(prototype.getDescriptorForType(), ByteString.copyFrom(bytes), "", 0);
            T marked = (T) prototype.newBuilderForType().build();
            String reason = field != null ? field + ": is not valid UTF-8"
                    : "request: not a valid " + prototype.getDescriptorForType().getName() + " message";
            REFUSED.put(marked, reason);
            logRateLimited(reason);
            return marked;
        }
    }

    /** One line a minute at most, counting the requests it stands for, so garbage cannot flood the log. */
    private void logRateLimited(String reason) {
        long n = UNLOGGED.incrementAndGet();
        long last = LAST_LOG.get();
        long now = System.nanoTime();
        if (now - last >= LOG_PERIOD_NANOS && LAST_LOG.compareAndSet(last, now)) {
            UNLOGGED.addAndGet(-n);
            LOG.warnf("refused %d malformed request(s) in the last minute (INVALID_ARGUMENT); latest: %s, %s", n, method, reason);
        }
    }

    /** The path of the first string field, at any depth, whose bytes are not UTF-8, if that is the problem. */
    private static String invalidUtf8Field(Descriptor type, ByteString bytes, String prefix, int depth) {
        if (depth > MAX_DEPTH) {
            return null;
        }
        UnknownFieldSet raw;
        try {
            raw = UnknownFieldSet.parseFrom(bytes);
        } catch (InvalidProtocolBufferException notAMessage) {
            return null;
        }
        for (FieldDescriptor f : type.getFields()) {
            List<ByteString> values = raw.getField(f.getNumber()).getLengthDelimitedList();
            for (ByteString value : values) {
                if (f.getType() == FieldDescriptor.Type.STRING && !value.isValidUtf8()) {
                    return prefix + f.getName();
                }
                if (f.getType() == FieldDescriptor.Type.MESSAGE) {
                    String inner = invalidUtf8Field(f.getMessageType(), value, prefix + f.getName() + ".", depth + 1);
                    if (inner != null) {
                        return inner;
                    }
                }
            }
        }
        return null;
    }

    /** A request whose bytes are not a valid message of its type. */
    static final class MalformedRequestException extends io.escrow.error.InvalidArgumentException {
        MalformedRequestException(String reason) {
            super(reason.substring(0, reason.indexOf(':')), reason.substring(reason.indexOf(':') + 2));
        }
    }
}
