-- Lean storage (issue 17): two things each deposit stored that no query needs.
--
-- request_digest (33 bytes a row): a replay is now recognised by comparing the stored deposit's
-- fields with the new request's, which only a replay or a conflict ever needs. The column stays,
-- nullable, for replicas still running the previous version during a rolling upgrade (they keep
-- calling deposit_batch, which still fills it); deposit_batch_v2 leaves it null, which costs a
-- row nothing. A later migration drops it.
--
-- The unique index on deposits.audit_index (22 bytes a row): no query looks deposits up by
-- their leaf index alone (recovery pages use deposits_by_subject_in_log_order), and the writer
-- gives every deposit a fresh leaf index under the audit head's lock.
alter table deposits alter column request_digest drop not null;
alter table deposits drop constraint deposits_audit_index_key;

-- As deposit_batch (V6), without the digest. For a (provider, provider_record_id) already taken,
-- returns the earlier deposit's fields so that the caller tells a replay from a conflict; for a
-- new deposit those columns are null.
create function deposit_batch_v2(
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
