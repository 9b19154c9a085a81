-- Custodian activations as granted (never the credential, which lives only in the memory of the
-- replica holding the token session). A CMS signature activates once: the unique hash makes a
-- replay after deactivation fail.
create table custodian_activations (
    custodian_id  text        not null,
    warrant_id    text        not null references warrants (warrant_id),
    cms_sha256    bytea       not null unique,
    activated_by  text        not null,
    activated_at  timestamptz not null,
    expires_at    timestamptz not null,
    max_uses      integer     not null check (max_uses > 0),
    audit_index   bigint      not null references audit_log (idx),
    primary key (custodian_id, warrant_id, activated_at)
);
