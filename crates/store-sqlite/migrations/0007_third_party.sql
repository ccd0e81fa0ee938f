-- Third-party sign-in of the Hanko Public API: users' accounts at identity providers, and the
-- one-time tokens a sign-in hands to the page for `POST /token`. Encodings as in 0001,
-- clustered on their keys as in 0005.

CREATE TABLE identities (
    tenant_id BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    provider TEXT NOT NULL,
    subject TEXT NOT NULL,
    user_id BLOB NOT NULL,
    -- The address the provider last gave; a removed address leaves the identity without one.
    email_id BLOB,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, provider, subject),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

-- The cascade from `users`.
CREATE INDEX identities_user ON identities (tenant_id, user_id);

-- Only the SHA-256 of a token is kept: it is a bearer secret for a minute.
CREATE TABLE one_time_tokens (
    tenant_id BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    hash BLOB NOT NULL CHECK (length(hash) = 32),
    user_id BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, hash),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

CREATE INDEX one_time_tokens_user ON one_time_tokens (tenant_id, user_id);
CREATE INDEX one_time_tokens_expires_at ON one_time_tokens (expires_at);
