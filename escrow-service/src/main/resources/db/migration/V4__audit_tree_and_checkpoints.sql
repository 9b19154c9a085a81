-- The RFC 9162 tree over audit_log, stored compactly: the hash of every perfect subtree
-- (level 0 = leaf hashes), about two rows per leaf. Any root or proof for any size is composed
-- from O(log n) of them, without rereading leaves. Derived data: rebuilt from audit_log if lost.
create table audit_nodes (
    level  smallint not null check (level between 0 and 63),
    idx    bigint   not null check (idx >= 0),
    hash   bytea    not null,
    primary key (level, idx)
);

-- How many leaves the stored nodes cover; its row lock serialises tree builders across replicas.
create table audit_tree (
    id    smallint primary key check (id = 1),
    size  bigint   not null check (size >= 0)
);
insert into audit_tree (id, size) values (1, 0);

-- Every published signed tree head, so that consistency between any two can be proven.
create table audit_checkpoints (
    tree_size     bigint      primary key check (tree_size >= 0),
    root          bytea       not null,
    checkpoint    bytea       not null,
    signature     bytea       not null,
    public_key    bytea       not null,
    published_at  timestamptz not null
);
