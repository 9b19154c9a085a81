package io.escrow.transport;

import io.escrow.proto.v1.CustodianServiceGrpc;
import io.quarkus.grpc.GrpcService;

/**
 * CustodianService of the contract. Registered now so that {@link AccessControlInterceptor} guards it:
 * callers without the role get PERMISSION_DENIED; callers with it get UNIMPLEMENTED until the
 * issue that implements this service fills it in.
 */
@GrpcService
public class CustodianGrpcService extends CustodianServiceGrpc.CustodianServiceImplBase {
}
