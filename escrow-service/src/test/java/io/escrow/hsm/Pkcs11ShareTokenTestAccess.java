package io.escrow.hsm;

import java.lang.reflect.Field;
import java.security.Provider;

/** Test-only access to a token's provider, to inspect what JCA exposes of a stored share. */
final class Pkcs11ShareTokenTestAccess {
    private Pkcs11ShareTokenTestAccess() {}

    static Provider provider(Pkcs11ShareToken token) throws ReflectiveOperationException {
        Field f = Pkcs11ShareToken.class.getDeclaredField("provider");
        f.setAccessible(true);
        return (Provider) f.get(token);
    }
}
