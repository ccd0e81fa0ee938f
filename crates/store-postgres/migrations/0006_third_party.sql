-- Third-party sign-in of the Hanko Public API: users' accounts at identity providers, and the
-- one-time tokens a sign-in hands to the page for `POST /token`. Constraint names are mapped to
-- conflicts in src/error.rs, as in 0001.

CREATE TABLE identities (
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    provider text NOT NULL,
    subject text NOT NULL,
    user_id uuid NOT NULL,
    -- The address the provider last gave; a removed address leaves the identity without one.
    email_id uuid,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    CONSTRAINT identities_pkey PRIMARY KEY (tenant_id, provider, subject),
    CONSTRAINT identities_user_fkey FOREIGN KEY (tenant_id, user_id)
        REFERENCES users (tenant_id, id) ON DELETE CASCADE
);

-- The cascade from `users`.
CREATE INDEX identities_user_idx ON identities (tenant_id, user_id);

-- Only the SHA-256 of a token is kept: it is a bearer secret for a minute.
CREATE TABLE one_time_tokens (
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    hash bytea NOT NULL CHECK (length(hash) = 32),
    user_id uuid NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    CONSTRAINT one_time_tokens_pkey PRIMARY KEY (tenant_id, hash),
    CONSTRAINT one_time_tokens_user_fkey FOREIGN KEY (tenant_id, user_id)
        REFERENCES users (tenant_id, id) ON DELETE CASCADE
);

CREATE INDEX one_time_tokens_user_idx ON one_time_tokens (tenant_id, user_id);
CREATE INDEX one_time_tokens_expires_at_idx ON one_time_tokens (expires_at);
