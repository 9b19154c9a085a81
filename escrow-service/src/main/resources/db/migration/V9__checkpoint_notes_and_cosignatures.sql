-- The checkpoint as a C2SP signed note: besides the contract's ECDSA signature (a note signature
-- of type 0x02), each head carries an Ed25519 signature (type 0x01) from a second key in the
-- audit token, for witnesses that accept only Ed25519 log keys. Heads published before this
-- migration have none; their notes carry the ECDSA line alone.
alter table audit_checkpoints add column ed25519_signature bytea, add column ed25519_public_key bytea;

-- Every cosignature a witness returned for a head (c2sp.org/tlog-witness): the note signature
-- line's key name, key ID and bytes (timestamp || Ed25519 signature). A witness may return
-- several lines, one per key.
create table audit_cosignatures (
    tree_size    bigint      not null references audit_checkpoints (tree_size),
    witness      text        not null,
    key_name     text        not null,
    key_id       integer     not null,
    signature    bytea       not null,
    received_at  timestamptz not null,
    primary key (tree_size, witness, key_id)
);

-- The size each configured witness last cosigned, so a restarted publisher sends the right
-- consistency proof at once instead of learning the size from a 409.
create table audit_witness_progress (
    witness        text        primary key,
    cosigned_size  bigint      not null check (cosigned_size >= 0),
    cosigned_at    timestamptz not null
);
