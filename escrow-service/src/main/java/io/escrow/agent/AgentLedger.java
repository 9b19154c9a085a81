package io.escrow.agent;

import io.escrow.consent.ConsentStatement;
import io.escrow.warrant.SignedBytes;
import io.escrow.warrant.WarrantSpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a custodian agent knows, rebuilt from its journal: per warrant, the custodian's current
 * consent, the uses spent under it, every record the agent has worked on (the agent's own count
 * against max_records) and whether the warrant was revoked. Not thread-safe: the agent applies
 * entries under its own lock.
 */
final class AgentLedger {
    /** One warrant as far as this agent is concerned. */
    static final class WarrantEntry {
        final String warrantId;
        WarrantSpec spec;
        ConsentStatement consent;
        int usesSpent;
        boolean deactivated;
        boolean revoked;
        final Set<String> opened = new HashSet<>();

        WarrantEntry(String warrantId) {
            this.warrantId = warrantId;
        }

        Instant expiresAt() {
            return Instant.ofEpochSecond(Math.min(consent.notAfter(), spec.notAfter()));
        }

        int usesLeft() {
            return Math.max(0, consent.maxUses() - usesSpent);
        }

        AgentConsent.State state(Instant now) {
            if (revoked) {
                return AgentConsent.State.REVOKED;
            }
            if (deactivated) {
                return AgentConsent.State.DEACTIVATED;
            }
            if (usesLeft() == 0 || opened.size() >= spec.maxRecords()) {
                return AgentConsent.State.EXHAUSTED;
            }
            return now.isBefore(expiresAt()) ? AgentConsent.State.ACTIVE : AgentConsent.State.EXPIRED;
        }
    }

    private final String custodianId;
    private final Map<String, WarrantEntry> warrants = new LinkedHashMap<>();
    private final Set<String> usedStatements = new HashSet<>();

    AgentLedger(String custodianId) {
        this.custodianId = custodianId;
    }

    /** Applies one journal entry (on replay, and after each append). */
    void apply(AgentJournal.WarrantFact e) {
        WarrantEntry w = warrants.computeIfAbsent(e.warrantId(), WarrantEntry::new);
        if (e instanceof AgentJournal.Activated a) {
            w.spec = SignedBytes.decode("signed_bytes", a.signedBytes()).spec();
            w.consent = ConsentStatement.decode(a.statement());
            w.usesSpent = 0;
            w.deactivated = false;
            usedStatements.add(statementKey(a.statement()));
        } else if (e instanceof AgentJournal.Opened o) {
            w.usesSpent += o.recordIds().size();
            w.opened.addAll(o.recordIds());
        } else if (e instanceof AgentJournal.Deactivated) {
            w.deactivated = true;
        } else if (e instanceof AgentJournal.Revoked) {
            w.revoked = true;
        }
    }

    WarrantEntry find(String warrantId) {
        return warrants.get(warrantId);
    }

    boolean statementUsed(byte[] statement) {
        return usedStatements.contains(statementKey(statement));
    }

    private static String statementKey(byte[] statement) {
        return java.util.HexFormat.of().formatHex(ConsentStatement.sha256(statement));
    }

    AgentConsent view(WarrantEntry w, Instant now) {
        return new AgentConsent(custodianId, w.warrantId, w.state(now), w.expiresAt(), w.usesLeft(), w.opened.size());
    }

    /** Every warrant this agent holds a consent for (or only {@code warrantId}'s), oldest first. */
    List<AgentConsent> list(String warrantId, Instant now) {
        List<AgentConsent> out = new ArrayList<>();
        for (WarrantEntry w : warrants.values()) {
            if (w.consent != null && (warrantId.isEmpty() || w.warrantId.equals(warrantId))) {
                out.add(view(w, now));
            }
        }
        return out;
    }
}
