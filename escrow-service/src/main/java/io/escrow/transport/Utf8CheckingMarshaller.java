package io.escrow.transport;

import com.google.protobuf.ByteString;
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

/**
 * Protobuf refuses invalid UTF-8 in proto3 string fields while parsing, inside grpc-java's
 * marshaller, where any exception becomes UNKNOWN "Application error processing RPC". This
 * marshaller instead hands the service an empty message marked with the offending field, which
 * {@link #rejectIfMalformed} turns into INVALID_ARGUMENT naming it, through the usual mapping.
 */
final class Utf8CheckingMarshaller<T extends Message> implements MethodDescriptor.Marshaller<T> {
    /** Highest legal field number; never used by the contract. */
    private static final int MARKER = 536_870_911;

    private final T prototype;
    private final MethodDescriptor.Marshaller<T> delegate;

    private Utf8CheckingMarshaller(T prototype, MethodDescriptor.Marshaller<T> delegate) {
        this.prototype = prototype;
        this.delegate = delegate;
    }

    /** Wraps the request marshaller of every method of a service. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    static ServerServiceDefinition wrap(ServerServiceDefinition service) {
        ServerServiceDefinition.Builder b = ServerServiceDefinition.builder(service.getServiceDescriptor().getName());
        for (ServerMethodDefinition<?, ?> m : service.getMethods()) {
            MethodDescriptor md = m.getMethodDescriptor();
            if (md.getRequestMarshaller() instanceof MethodDescriptor.PrototypeMarshaller pm
                    && pm.getMessagePrototype() instanceof Message proto) {
                MethodDescriptor wrapped = md.toBuilder(new Utf8CheckingMarshaller(proto, md.getRequestMarshaller()),
                        md.getResponseMarshaller()).build();
                b.addMethod(ServerMethodDefinition.create(wrapped, (io.grpc.ServerCallHandler) m.getServerCallHandler()));
            } else {
                b.addMethod(m);
            }
        }
        return b.build();
    }

    /** Throws INVALID_ARGUMENT naming the field if {@code request} carries the malformed-UTF-8 marker. */
    static void rejectIfMalformed(Message request) {
        UnknownFieldSet.Field marker = request.getUnknownFields().getField(MARKER);
        if (!marker.getLengthDelimitedList().isEmpty()) {
            throw new MalformedRequestException(marker.getLengthDelimitedList().get(0).toStringUtf8());
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
            String field = invalidUtf8Field(bytes);
            if (field == null) {
                throw Status.INVALID_ARGUMENT.withDescription("request is not a valid " + prototype.getDescriptorForType().getName())
                        .asRuntimeException();
            }
            return (T) prototype.newBuilderForType().setUnknownFields(UnknownFieldSet.newBuilder()
                    .addField(MARKER, UnknownFieldSet.Field.newBuilder().addLengthDelimited(ByteString.copyFromUtf8(field)).build())
                    .build()).build();
        }
    }

    /** The name of the first top-level string field whose bytes are not UTF-8, if that is the problem. */
    private String invalidUtf8Field(byte[] bytes) {
        try {
            UnknownFieldSet raw = UnknownFieldSet.parseFrom(bytes);
            for (FieldDescriptor f : prototype.getDescriptorForType().getFields()) {
                if (f.getType() == FieldDescriptor.Type.STRING) {
                    for (ByteString value : raw.getField(f.getNumber()).getLengthDelimitedList()) {
                        if (!value.isValidUtf8()) {
                            return f.getName();
                        }
                    }
                }
            }
        } catch (InvalidProtocolBufferException ignored) {
            // Not even a well-formed message.
        }
        return null;
    }

    /** A request string field that is not valid UTF-8. */
    static final class MalformedRequestException extends io.escrow.error.InvalidArgumentException {
        MalformedRequestException(String field) {
            super(field, "is not valid UTF-8");
        }
    }
}
