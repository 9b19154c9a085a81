-- The RFC 9162 tree over audit_log as tiles (Tessera's and C2SP tlog-tiles' layout): a row per
-- 256 consecutive hashes of every eighth tree level, about 32 bytes per leaf where audit_nodes
-- took two rows (233 bytes) per leaf. Nodes of the levels between are computed from their tile
-- on read (io.escrow.merkle.Tiles). Derived data, like audit_nodes was: rebuilt from audit_log
-- if lost.
create table audit_tiles (
    tile_level  smallint not null check (tile_level between 0 and 7),
    tile_index  bigint   not null check (tile_index >= 0),
    hashes      bytea    not null check (length(hashes) between 32 and 8192 and length(hashes) % 32 = 0),
    primary key (tile_level, tile_index)
);
-- Hashes do not compress: store large values out of line without trying.
alter table audit_tiles alter column hashes set storage external;

-- Convert in place, a thousand tiles at a time, reporting progress (Flyway logs each notice).
do $$
declare
    total_tiles bigint;
    converted   bigint := 0;
    lvl         smallint;
    last_tile   bigint;
    first_tile  bigint;
    n           bigint;
begin
    select coalesce(sum((cnt + 255) / 256), 0) into total_tiles
        from (select count(*) as cnt from audit_nodes where level % 8 = 0 group by level) per_level;
    raise notice 'audit tree as tiles: converting % tiles from audit_nodes', total_tiles;
    for lvl in select distinct level from audit_nodes where level % 8 = 0 order by level loop
        select max(idx) >> 8 into last_tile from audit_nodes where level = lvl;
        first_tile := 0;
        while first_tile <= last_tile loop
            insert into audit_tiles (tile_level, tile_index, hashes)
                select lvl / 8, idx >> 8, string_agg(hash, ''::bytea order by idx)
                from audit_nodes
                where level = lvl and idx >= first_tile * 256 and idx < (first_tile + 1000) * 256
                group by idx >> 8;
            get diagnostics n = row_count;
            converted := converted + n;
            raise notice 'audit tree as tiles: % of % tiles', converted, total_tiles;
            first_tile := first_tile + 1000;
        end loop;
    end loop;
end
$$;

drop table audit_nodes;
