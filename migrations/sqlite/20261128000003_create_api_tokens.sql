-- API tokens. Operational state, not history: a token can be revoked, so this is a plain table.
-- Every event still records the id and role of the token that wrote it.
create table api_tokens (
    -- The public half of the token, shown in token listings and stored in event metadata.
    id text primary key,
    -- SHA-256 of the secret half; the secret itself is shown once and never stored.
    secret_hash blob not null,
    -- admin, reporter or reviewer.
    role text not null,
    -- The mechanism a reporter may write for; null for other roles.
    mechanism_id text,
    -- A human note, e.g. who holds the token.
    label text,
    created_at text not null,
    -- Set when revoked; a revoked token authenticates nothing.
    revoked_at text,
    constraint api_tokens_role_check check (role in ('admin', 'reporter', 'reviewer')),
    constraint api_tokens_reporter_has_mechanism
        check ((role = 'reporter') = (mechanism_id is not null))
);
