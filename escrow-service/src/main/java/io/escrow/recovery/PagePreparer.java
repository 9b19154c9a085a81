package io.escrow.recovery;

import io.escrow.agent.PageEvidence;
import io.escrow.agent.PartialRequest;
import io.escrow.agent.RecordEvidence;
import io.escrow.audit.AuditReader;
import io.escrow.audit.AuditTree;
import io.escrow.audit.SignedTreeHead;
import io.escrow.keys.KeyRegistry;
import io.escrow.storage.Database;
import io.escrow.warrant.Warrant;
import io.escrow.warrant.WarrantService;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Makes the next page of a recovery ready to open: reads the in-scope records after a cursor,
 * reserves t custodians for them, commits their release leaves (dropping records past the cap),
 * and asks the custodians for the page's partials. Nothing here decrypts.
 */
final class PagePreparer {
    private final Database db;
    private final WarrantService warrants;
    private final KeyRegistry keys;
    private final CustodianAccess custodians;
    private final io.escrow.audit.SubjectHasher subjects;
    private final AuditTree tree;
    private final AuditReader log;
    private final io.escrow.audit.WitnessQuorum quorum;
    private final int pageSize;

    PagePreparer(Database db, WarrantService warrants, KeyRegistry keys, CustodianAccess custodians,
                 io.escrow.audit.SubjectHasher subjects, AuditTree tree, AuditReader log, io.escrow.audit.WitnessQuorum quorum,
                 int pageSize) {
        this.quorum = quorum;
        this.subjects = subjects;
        this.tree = tree;
        this.log = log;
        this.db = db;
        this.warrants = warrants;
        this.keys = keys;
        this.custodians = custodians;
        this.pageSize = pageSize;
    }

    /**
     * A page made ready to open: read, t custodians reserved for it, its release leaves committed
     * (unless the warrant stopped being ACTIVE), and the custodians asked for its partials.
     * {@code committed} is null when the page is empty or no custodian may open it.
     */
    record Step(List<InScopeRecord> page, CustodianAccess.Reservation reserved, ReleaseLedger.Committed committed,
                        long cursor, int threshold) {}

    Step prepare(String caller, String warrantId, boolean onlyNew, Warrant verified, long after) {
        List<InScopeRecord> page = db.inTransaction("reading records for warrant " + warrantId,
                c -> ReleaseStore.page(c, warrantId, verified.spec(), after, onlyNew, pageSize));
        if (page.isEmpty()) {
            return new Step(page, CustodianAccess.Reservation.NONE, null, after, 0);
        }
        int threshold = page.stream().mapToInt(r -> keys.require(r.keyId()).threshold()).max().orElseThrow();
        CustodianAccess.Reservation reserved = custodians.reserve(warrantId, threshold, page.size());
        if (reserved.records() == 0) {
            return new Step(page, reserved, null, after, threshold);
        }
        try {
            List<InScopeRecord> batch = page.subList(0, reserved.records());
            ReleaseLedger.Committed committed = db.inTransaction("releasing records under warrant " + warrantId,
                    c -> ReleaseLedger.commitReleases(c, caller, warrantId, onlyNew, batch, reserved.custodianIds(),
                            verified.signedBytes(), warrants.now(), warrants.policy(), subjects::hash));
            if (committed.stopped() == null && !committed.releases().isEmpty()) {
                // No key leaves before k witnesses cosigned a head covering its release leaf; the
                // custodians' partials are asked for only under such a head.
                long covering = committed.releases().stream().mapToLong(ReleaseLedger.Release::auditIndex).max().orElseThrow() + 1;
                SignedTreeHead head = quorum.quorum() > 0 ? awaitWitnessed(covering) : null;
                if (custodians.needsLogEvidence()) {
                    withLogEvidence(warrantId, reserved, committed.releases(), head != null ? head : tree.publish());
                } else {
                    custodians.prepare(reserved, warrantId, committed.releases().stream().map(r -> request(r, null)).toList(), null);
                }
            }
            return new Step(page, reserved, committed, batch.get(batch.size() - 1).depositIndex(), threshold);
        } catch (RuntimeException e) {
            custodians.finished(reserved);
            throw e;
        }
    }


    /**
     * Asks the custodians with each record's proof: a checkpoint signed now (it covers the
     * release leaves just committed), both leaves, and their inclusion proofs, fetched in bulk.
     */
    private void withLogEvidence(String warrantId, CustodianAccess.Reservation reserved, List<ReleaseLedger.Release> releases,
                                 SignedTreeHead head) {
        List<Long> indexes = new ArrayList<>();
        releases.forEach(r -> indexes.add(r.record().depositIndex()));
        releases.forEach(r -> indexes.add(r.auditIndex()));
        List<List<byte[]>> proofs = tree.inclusionProofs(indexes, head.size());
        Map<Long, byte[]> depositLeaves = log.depositLeaves(releases.stream().map(r -> r.record().stored()).toList());
        List<PartialRequest> out = new ArrayList<>(releases.size());
        for (int i = 0; i < releases.size(); i++) {
            ReleaseLedger.Release r = releases.get(i);
            byte[] depositLeaf = depositLeaves.get(r.record().depositIndex());
            out.add(request(r, new RecordEvidence(r.record().ciphertext(), r.record().depositIndex(), depositLeaf, proofs.get(i),
                    r.auditIndex(), r.leaf(), proofs.get(releases.size() + i))));
        }
        custodians.prepare(reserved, warrantId, out, new PageEvidence(head.checkpoint(), head.signature(), subjects.salt(),
                head.note().encode()));
    }

    private SignedTreeHead awaitWitnessed(long covering) {
        try {
            return quorum.await(covering);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new io.escrow.audit.WitnessQuorum.UnavailableException("interrupted while waiting for witnesses");
        }
    }

    private static PartialRequest request(ReleaseLedger.Release r, RecordEvidence evidence) {
        InScopeRecord x = r.record();
        return new PartialRequest(x.recordId().toString(), x.subjectId(), x.keyId(), x.coversFrom(), x.coversUntil(), x.enc(),
                evidence);
    }
}
