-- Custodian agents' attestations of escrow keys (escrow/v1/key-attestation statements and their
-- CMS signatures), one per key and custodian. A key is served as current only with t of them.
create table key_attestations (
    key_id         text        not null,
    custodian_id   text        not null,
    statement      bytea       not null,
    cms_signature  bytea       not null,
    attested_at    timestamptz not null,
    audit_index    bigint      not null references audit_log (idx),
    primary key (key_id, custodian_id)
);
