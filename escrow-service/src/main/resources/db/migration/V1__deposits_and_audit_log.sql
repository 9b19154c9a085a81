-- The audit log: one row per leaf, with gap-free indexes. Writers reserve indexes by locking the
-- single audit_head row in the same transaction as the action they record, so indexes stay linear
-- when several replicas append, and an action and its leaf commit or vanish together.
create table audit_head (
    id          smallint primary key check (id = 1),
    next_index  bigint   not null check (next_index >= 0)
);
insert into audit_head (id, next_index) values (1, 0);

create table audit_log (
    idx        bigint      primary key check (idx >= 0),
    logged_at  timestamptz not null,
    type       text        not null,
    actor      text        not null,
    leaf       bytea       not null
);

-- Deposited session keys, HPKE-sealed to an escrow key. The provider comes from the caller's
-- certificate; request_digest makes deposits idempotent on (provider, provider_record_id).
create table deposits (
    record_id           uuid        primary key,
    provider            text        not null,
    provider_record_id  text        not null,
    subject_id          text        not null,
    key_id              text        not null,
    covers_from         bigint      not null,
    covers_until        bigint      not null,
    enc                 bytea       not null,
    ciphertext          bytea       not null,
    request_digest      bytea       not null,
    audit_index         bigint      not null unique references audit_log (idx),
    deposited_at        timestamptz not null,
    constraint deposits_provider_record unique (provider, provider_record_id),
    constraint deposits_covers_window check (covers_from <= covers_until)
);
create index deposits_by_subject on deposits (subject_id, covers_from, covers_until);

-- Per-deployment secrets that are not keys, e.g. the salt of subject hashes in audit leaves.
create table service_secrets (
    name   text  primary key,
    value  bytea not null
);
