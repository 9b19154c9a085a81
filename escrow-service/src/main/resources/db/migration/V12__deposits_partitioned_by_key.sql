-- Retention by key retirement (issue 17). Deposits are partitioned by escrow key: retiring a key,
-- after its custodians' agents destroyed their shares, drops that key's partition as a whole, with
-- no per-row delete, no vacuum debt and no index bloat left behind.
--
-- Each partition is deposits_<md5 of key_id> (a key_id may hold characters a name may not), made by
-- deposit_partition() before the first deposit under its key, and attached with a SHARE UPDATE
-- EXCLUSIVE lock on the parent, which neither reads nor writes of other partitions wait for.
--
-- What this leaves out of the old table:
--   * the primary key on record_id (about 42 bytes a deposit): no query finds a deposit by its
--     record_id, and a unique index on a partitioned table must include the partition key;
--   * the unique (provider, provider_record_id) constraint, for the same reason. Idempotency does
--     not rest on it: deposit_batch_v2 takes the audit head's row lock, which every writer of every
--     replica takes first, before it looks for an earlier deposit under the same id (V6);
--   * request_digest, which V11 stopped filling; deposit_batch (V6), which filled it, is dropped.
--     A rolling upgrade therefore passes through the V11 version first.
--   * the foreign key from warrant_releases: release rows outlive a retired key's deposits, as the
--     record of what was released;
--   * the deposit's audit leaf. A deposit is stored once: its leaf (AuditLeaves.deposit) is a
--     function of its row and the subject-hash salt, so the service rebuilds it from the row
--     (io.escrow.audit.LeafRange) instead of keeping a second copy of about 340 bytes in
--     audit_log. A retirement writes its key's leaves into audit_log before it drops the rows, so
--     every leaf stays readable. Leaves stored before this migration are checked against their
--     rebuilt bytes and removed from audit_log by the service, online, with progress
--     (io.escrow.audit.DepositLeafCompaction), up to the head recorded in audit_leaf_compaction.
--
-- Columns are ordered widest fixed-width first, so no row carries alignment padding, and the two
-- lookup indexes hold a 64-bit digest instead of the text (the query re-checks the text): about
-- 29 and 41 bytes a deposit instead of 60 and 82 measured with the text in them. Reading leaves
-- by index range uses a BRIN index: each partition is written in audit-index order.

create table retired_keys (
    key_id       text        primary key,
    retired_at   timestamptz not null,
    audit_index  bigint      not null
);

alter table warrant_releases drop constraint warrant_releases_record_id_fkey;
drop function deposit_batch(uuid[], text[], text[], text[], text[], bigint[], bigint[], bytea[], bytea[], bytea[], bytea[], text, timestamptz);

alter table deposits rename to deposits_unpartitioned;

create table deposits (
    audit_index         bigint      not null,
    deposited_at        timestamptz not null,
    covers_from         bigint      not null,
    covers_until        bigint      not null,
    record_id           uuid        not null,
    provider            text        not null,
    provider_record_id  text        not null,
    subject_id          text        not null,
    key_id              text        not null,
    enc                 bytea       not null,
    ciphertext          bytea       not null,
    constraint deposits_covers_window_v12 check (covers_from <= covers_until)
) partition by list (key_id);

-- The partition for one key, made and attached if missing; refused (EK001) for a retired key. The
-- advisory lock orders it with other replicas making the same partition and with retirements.
create function deposit_partition(p_key_id text) returns text
language plpgsql
as $$
declare
    part constant text := 'deposits_' || md5(p_key_id);
begin
    perform pg_advisory_xact_lock(hashtext('escrow.deposit_partition'));
    if exists (select 1 from retired_keys r where r.key_id = p_key_id) then
        raise exception 'escrow key % is retired', p_key_id using errcode = 'EK001';
    end if;
    if to_regclass(part) is null then
        execute format('create table %I (like deposits including defaults including constraints)', part);
        -- Lets the attach below skip its validating scan.
        execute format('alter table %I add constraint %I check (key_id = %L)', part, part || '_key', p_key_id);
        execute format('alter table deposits attach partition %I for values in (%L)', part, p_key_id);
        execute format('comment on table %I is %L', part, 'deposits sealed to escrow key ' || p_key_id);
    end if;
    return part;
end;
$$;

-- Moves the rows in slices of heap pages (a TID range scan), with progress in the service's log.
do $$
declare
    pages constant bigint := pg_relation_size('deposits_unpartitioned') / current_setting('block_size')::bigint;
    slice constant bigint := 8192;
    lo bigint := 0;
    k text;
begin
    while lo < pages loop
        for k in select distinct u.key_id from deposits_unpartitioned u
                 where u.ctid >= format('(%s,0)', lo)::tid and u.ctid < format('(%s,0)', lo + slice)::tid loop
            perform deposit_partition(k);
        end loop;
        insert into deposits (record_id, provider, provider_record_id, subject_id, key_id, covers_from, covers_until,
                              enc, ciphertext, audit_index, deposited_at)
        select u.record_id, u.provider, u.provider_record_id, u.subject_id, u.key_id, u.covers_from, u.covers_until,
               u.enc, u.ciphertext, u.audit_index, u.deposited_at
        from deposits_unpartitioned u
        where u.ctid >= format('(%s,0)', lo)::tid and u.ctid < format('(%s,0)', lo + slice)::tid;
        lo := lo + slice;
        raise notice 'deposits partitioned by key: % of % pages', least(lo, pages), pages;
    end loop;
end;
$$;

drop table deposits_unpartitioned;

-- 64-bit digests for the lookup indexes: collisions only cost a re-check of the text.
create function deposit_record_key(p_provider text, p_provider_record_id text) returns bigint
language sql immutable strict parallel safe
return ('x' || left(md5(length(p_provider) || ':' || p_provider || p_provider_record_id), 16))::bit(64)::bigint;

create function deposit_subject_key(p_subject_id text) returns bigint
language sql immutable strict parallel safe
return ('x' || left(md5(p_subject_id), 16))::bit(64)::bigint;

-- Built after the copy (faster than maintaining them row by row); new partitions get them on attach.
create index deposits_by_provider_record on deposits (deposit_record_key(provider, provider_record_id));
create index deposits_by_subject_in_log_order on deposits (deposit_subject_key(subject_id), audit_index);
create index deposits_by_audit_index on deposits using brin (audit_index) with (pages_per_range = 32, autosummarize = on);

-- Deposit leaves stored in audit_log before this migration, below end_index, are the compaction's
-- to check and remove; next_index is how far it got.
create table audit_leaf_compaction (
    id          integer primary key check (id = 1),
    next_index  bigint  not null,
    end_index   bigint  not null
);
insert into audit_leaf_compaction (id, next_index, end_index) select 1, 0, h.next_index from audit_head h where h.id = 1;

-- As V11's deposit_batch_v2 (which this drops), with three changes: the retired-key check after
-- the head's lock, the lookup through deposit_record_key, and no audit_log row per deposit (the
-- leaf is rebuilt from the row; p_at is its time, truncated to microseconds by the caller).
drop function deposit_batch_v2(uuid[], text[], text[], text[], text[], bigint[], bigint[], bytea[], bytea[], bytea[], text, timestamptz);

create function deposit_batch_v3(
    p_record_id           uuid[],
    p_provider            text[],
    p_provider_record_id  text[],
    p_subject_id          text[],
    p_key_id              text[],
    p_covers_from         bigint[],
    p_covers_until        bigint[],
    p_enc                 bytea[],
    p_ciphertext          bytea[],
    p_at                  timestamptz)
returns table (ord integer, record_id uuid, audit_index bigint, stored boolean, held_subject_id text, held_key_id text,
               held_covers_from bigint, held_covers_until bigint, held_enc bytea, held_ciphertext bytea)
language plpgsql
-- Both settings as in V6, for the same measured reasons.
set plan_cache_mode = force_generic_plan
set enable_seqscan = off
as $$
#variable_conflict use_column
declare
    first_index bigint;
begin
    select h.next_index into first_index from audit_head h where h.id = 1 for update;

    -- After the head's lock, so that a retirement committed before it is seen: no deposit under a
    -- retired key is stored, whatever a replica's cache says (the caller refuses those and retries).
    if exists (select 1 from unnest(p_key_id) as k(key_id) join retired_keys r on r.key_id = k.key_id) then
        raise exception 'a deposit names a retired escrow key' using errcode = 'EK001';
    end if;

    return query
    with input as (
        select u.*, u.n::integer as o
        from unnest(p_record_id, p_provider, p_provider_record_id, p_subject_id, p_key_id, p_covers_from,
                    p_covers_until, p_enc, p_ciphertext)
             with ordinality as u(r, p, pr, s, k, cf, cu, e, ct, n)
    ), earlier as (
        select i.o, d.record_id, d.audit_index, d.subject_id, d.key_id, d.covers_from, d.covers_until, d.enc, d.ciphertext
        from input i join deposits d
          on deposit_record_key(d.provider, d.provider_record_id) = deposit_record_key(i.p, i.pr)
         and d.provider = i.p and d.provider_record_id = i.pr
    ), fresh as (
        select i.*, first_index + row_number() over (order by i.o) - 1 as ai
        from input i
        where not exists (select 1 from earlier x where x.o = i.o)
    ), rows as (
        insert into deposits (audit_index, deposited_at, covers_from, covers_until, record_id, provider, provider_record_id,
                              subject_id, key_id, enc, ciphertext)
        select f.ai, p_at, f.cf, f.cu, f.r, f.p, f.pr, f.s, f.k, f.e, f.ct from fresh f
    ), head as (
        update audit_head set next_index = first_index + (select count(*) from fresh) where id = 1
    )
    select x.o, x.record_id, x.audit_index, false, x.subject_id, x.key_id, x.covers_from, x.covers_until, x.enc, x.ciphertext
    from earlier x
    union all
    select f.o, f.r, f.ai, true, null::text, null::text, null::bigint, null::bigint, null::bytea, null::bytea from fresh f
    order by 1;
end;
$$;
