package io.escrow.recovery;

import io.escrow.agent.PartialRequest;
import io.escrow.keys.KeyRegistry;
import io.escrow.storage.Database;
import io.escrow.warrant.Warrant;
import io.escrow.warrant.WarrantService;
import java.util.List;

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
    private final int pageSize;

    PagePreparer(Database db, WarrantService warrants, KeyRegistry keys, CustodianAccess custodians,
                 io.escrow.audit.SubjectHasher subjects, int pageSize) {
        this.subjects = subjects;
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
        List<InScopeRecord> batch = page.subList(0, reserved.records());
        ReleaseLedger.Committed committed = db.inTransaction("releasing records under warrant " + warrantId,
                c -> ReleaseLedger.commitReleases(c, caller, warrantId, onlyNew, batch, reserved.custodianIds(),
                        verified.signedBytes(), warrants.now(), warrants.policy(), subjects::hash));
        if (committed.stopped() == null) {
            custodians.prepare(reserved, warrantId, committed.releases().stream().map(r -> new PartialRequest(
                    r.record().recordId().toString(), r.record().subjectId(), r.record().keyId(), r.record().coversFrom(),
                    r.record().coversUntil(), r.record().enc())).toList());
        }
        return new Step(page, reserved, committed, batch.get(batch.size() - 1).depositIndex(), threshold);
    }

}
