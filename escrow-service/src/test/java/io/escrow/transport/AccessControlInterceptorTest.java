package io.escrow.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import org.junit.jupiter.api.Test;

/** The role table: method rules override service rules, and the operator never takes part in a decision. */
class AccessControlInterceptorTest {
    private static Set<Role> allowed(String service, String method) {
        return AccessControlInterceptor.allowed(service + "/" + method, service);
    }

    @Test
    void operator_mayReadButNeverFileApproveActivateOrRecover() {
        assertFalse(allowed("escrow.v1.WarrantService", "FileWarrant").contains(Role.OPERATOR));
        assertFalse(allowed("escrow.v1.WarrantService", "ApproveWarrant").contains(Role.OPERATOR));
        assertFalse(allowed("escrow.v1.WarrantService", "RevokeWarrant").contains(Role.OPERATOR));
        assertFalse(allowed("escrow.v1.RecoveryService", "Recover").contains(Role.OPERATOR));
        assertFalse(allowed("escrow.v1.CustodianService", "ActivateShare").contains(Role.OPERATOR));
        assertTrue(allowed("escrow.v1.WarrantService", "GetWarrant").contains(Role.OPERATOR));
        assertTrue(allowed("escrow.v1.CustodianService", "ListActivations").contains(Role.OPERATOR));
        assertTrue(allowed("escrow.v1.AuditService", "StreamAudit").contains(Role.OPERATOR));
    }

    @Test
    void onlyCustodiansActivate_onlyAuthoritiesApprove_onlyAgenciesFileAndRecover() {
        assertEquals(Set.of(Role.CUSTODIAN), allowed("escrow.v1.CustodianService", "ActivateShare"));
        assertEquals(Set.of(Role.CUSTODIAN), allowed("escrow.v1.CustodianService", "DeactivateShare"));
        assertEquals(Set.of(Role.AUTHORITY), allowed("escrow.v1.WarrantService", "ApproveWarrant"));
        assertEquals(Set.of(Role.AGENCY), allowed("escrow.v1.WarrantService", "FileWarrant"));
        assertEquals(Set.of(Role.AGENCY), allowed("escrow.v1.RecoveryService", "Recover"));
        assertEquals(Set.of(), allowed("escrow.v1.Unknown", "Anything"), "unknown services are closed");
    }

    @Test
    void onlyOperatorsCreateOrRetireKeys_andOnlyCustodiansConsentToEither() {
        assertEquals(Set.of(Role.OPERATOR), allowed("escrow.v1.EscrowService", "CreateEscrowKey"), "not providers, whose service it is");
        assertEquals(Set.of(Role.OPERATOR), allowed("escrow.v1.EscrowService", "RetireEscrowKey"));
        assertEquals(Set.of(Role.CUSTODIAN), allowed("escrow.v1.CustodianService", "ConsentKeyCeremony"));
        assertEquals(Set.of(Role.CUSTODIAN), allowed("escrow.v1.CustodianService", "ConsentKeyRetirement"));
    }
}
