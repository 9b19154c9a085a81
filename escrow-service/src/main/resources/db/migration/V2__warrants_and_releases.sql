-- Warrants as filed. signed_bytes is fixed at filing and is exactly what authorities sign; the
-- spec columns are kept alongside for queries. state holds only transitions that are facts
-- (REVOKED, EXPIRED, EXHAUSTED); PENDING vs ACTIVE is derived from approvals and the clock.
create table warrants (
    warrant_id            text        primary key,
    filed_by              text        not null,
    filed_at              timestamptz not null,
    case_reference        text        not null,
    requesting_agency     text        not null,
    subject_ids           text[]      not null,
    covers_from           bigint      not null,
    covers_until          bigint      not null,
    not_before            bigint      not null,
    not_after             bigint      not null,
    max_records           integer     not null check (max_records > 0),
    recipient_public_key  bytea       not null,
    nonce                 bytea       not null unique,
    signed_bytes          bytea       not null,
    state                 text        not null check (state in ('OPEN', 'REVOKED', 'EXPIRED', 'EXHAUSTED')),
    records_released      integer     not null default 0 check (records_released between 0 and max_records),
    audit_index           bigint      not null references audit_log (idx),
    constraint warrants_covers_window check (covers_from <= covers_until),
    constraint warrants_lifetime check (not_before < not_after)
);

-- One approval per authority: a second signer of the same authority does not count twice.
create table warrant_approvals (
    warrant_id     text        not null references warrants (warrant_id),
    authority      text        not null,
    signer         text        not null,
    signing_time   timestamptz not null,
    approved_at    timestamptz not null,
    cms_signature  bytea       not null,
    audit_index    bigint      not null references audit_log (idx),
    primary key (warrant_id, authority)
);

-- Each record released under a warrant, once: the cap counts these rows.
create table warrant_releases (
    warrant_id   text        not null references warrants (warrant_id),
    record_id    uuid        not null references deposits (record_id),
    released_at  timestamptz not null,
    audit_index  bigint      not null references audit_log (idx),
    primary key (warrant_id, record_id)
);
