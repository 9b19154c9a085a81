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
--     record of what was released.

create table retired_keys (
    key_id       text        primary key,
    retired_at   timestamptz not null,
    audit_index  bigint      not null
);

alter table warrant_releases drop constraint warrant_releases_record_id_fkey;
drop function deposit_batch(uuid[], text[], text[], text[], text[], bigint[], bigint[], bytea[], bytea[], bytea[], bytea[], text, timestamptz);

alter table deposits rename to deposits_unpartitioned;

create table deposits (
    record_id           uuid        not null,
    provider            text        not null,
    provider_record_id  text        not null,
    subject_id          text        not null,
    key_id              text        not null,
    covers_from         bigint      not null,
    covers_until        bigint      not null,
    enc                 bytea       not null,
    ciphertext          bytea       not null,
    audit_index         bigint      not null,
    deposited_at        timestamptz not null,
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

-- Built after the copy (faster than maintaining them row by row); new partitions get them on attach.
create index deposits_by_provider_record on deposits (provider, provider_record_id);
create index deposits_by_subject_in_log_order on deposits (subject_id, audit_index);

-- As in V11, with the retired-key check after the head's lock.
create or replace function deposit_batch_v2(
    p_record_id           uuid[],
    p_provider            text[],
    p_provider_record_id  text[],
    p_subject_id          text[],
    p_key_id              text[],
    p_covers_from         bigint[],
    p_covers_until        bigint[],
    p_enc                 bytea[],
    p_ciphertext          bytea[],
    p_leaf                bytea[],
    p_leaf_type           text,
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
                    p_covers_until, p_enc, p_ciphertext, p_leaf)
             with ordinality as u(r, p, pr, s, k, cf, cu, e, ct, lf, n)
    ), earlier as (
        select i.o, d.record_id, d.audit_index, d.subject_id, d.key_id, d.covers_from, d.covers_until, d.enc, d.ciphertext
        from input i join deposits d on d.provider = i.p and d.provider_record_id = i.pr
    ), fresh as (
        select i.*, first_index + row_number() over (order by i.o) - 1 as ai
        from input i
        where not exists (select 1 from earlier x where x.o = i.o)
    ), leaves as (
        insert into audit_log (idx, logged_at, type, actor, leaf)
        select f.ai, p_at, p_leaf_type, f.p, f.lf from fresh f
    ), rows as (
        insert into deposits (record_id, provider, provider_record_id, subject_id, key_id, covers_from, covers_until,
                              enc, ciphertext, audit_index, deposited_at)
        select f.r, f.p, f.pr, f.s, f.k, f.cf, f.cu, f.e, f.ct, f.ai, p_at from fresh f
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
