-- Leaves are read from deposits by audit-index range (io.escrow.audit.LeafRange: the tree builder,
-- StreamAudit, audit verify). V12 served that with a BRIN index, which measured at 50.8 million
-- deposits failed twice:
--   * a BRIN range is summarized only when autovacuum gets to its work item; under a steady fill
--     the queue overflowed ("request for BRIN range summarization ... was not recorded") and 3,379
--     ranges stayed unsummarized. Every scan reads every unsummarized range, so reading 1,000
--     fresh leaves read 108,167 heap pages: 837 ms, against 1.1 ms at a million deposits. The tree
--     builder then lagged the deposits, and recovery waited on it;
--   * even fully summarized, a BRIN scan reads the whole BRIN index: 4.4 ms per read at 50 million,
--     growing with the table, where a B-tree descends in O(log n) (0.4 ms measured).
-- A B-tree on audit_index costs 22.5 bytes a deposit (measured at 50.8 million); appends go to its
-- rightmost page. Built per partition with a notice each, then attached; new partitions get it on
-- attach (deposit_partition()). The build takes a SHARE lock on each partition in turn: deposits
-- under that key wait for it (88 s measured for 50.8 million rows on 2 cores).

drop index deposits_by_audit_index;

create index deposits_in_log_order on only deposits (audit_index);

do $$
declare
    part record;
    done integer := 0;
    total integer;
begin
    select count(*) into total from pg_inherits where inhparent = 'deposits'::regclass;
    for part in select c.relname from pg_inherits i join pg_class c on c.oid = i.inhrelid
                where i.inhparent = 'deposits'::regclass order by c.relname loop
        execute format('create index %I on %I (audit_index)', part.relname || '_in_log_order', part.relname);
        execute format('alter index deposits_in_log_order attach partition %I', part.relname || '_in_log_order');
        done := done + 1;
        raise notice 'deposits in log order: % of % partitions indexed (%)', done, total, part.relname;
    end loop;
end;
$$;
