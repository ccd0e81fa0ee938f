-- The records of the Hanko Public API: users' email addresses, the passcodes sent to them, users'
-- passwords and login sessions. Encodings as in 0001. Each row goes with its tenant and with its
-- user; a passcode also goes with the address it was sent to.
--
-- Every row is small and read by its key, so the tables are clustered on it (WITHOUT ROWID, as in
-- 0005): one b-tree per table instead of a rowid table beside the index of its key.

-- Addresses are the tenant's, whoever holds them: an address not yet proven has no user.
CREATE TABLE emails (
    tenant_id BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id BLOB NOT NULL,
    -- A foreign key with a NULL column is not checked: an address without a user is allowed.
    user_id BLOB,
    -- Lower-cased by the engine, compared as stored.
    address TEXT NOT NULL,
    verified INTEGER NOT NULL,
    is_primary INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, address),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

-- A user's addresses, oldest first; also serves the cascade from `users`.
CREATE INDEX emails_user ON emails (tenant_id, user_id, created_at);
-- At most one primary address per user. Making another one primary unsets the old one first.
CREATE UNIQUE INDEX emails_primary ON emails (tenant_id, user_id) WHERE is_primary;

CREATE TABLE passcodes (
    tenant_id BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id BLOB NOT NULL,
    user_id BLOB NOT NULL,
    email_id BLOB NOT NULL,
    code_hash BLOB NOT NULL CHECK (length(code_hash) = 32),
    ttl_seconds INTEGER NOT NULL CHECK (ttl_seconds BETWEEN 0 AND 4294967295),
    failed_attempts INTEGER NOT NULL CHECK (failed_attempts BETWEEN 0 AND 4294967295),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, email_id) REFERENCES emails (tenant_id, id) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

-- The cascades from `users` and `emails`, and the periodic removal of expired passcodes.
CREATE INDEX passcodes_user ON passcodes (tenant_id, user_id);
CREATE INDEX passcodes_email ON passcodes (tenant_id, email_id);
CREATE INDEX passcodes_expires_at ON passcodes (expires_at);

CREATE TABLE passwords (
    tenant_id BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id BLOB NOT NULL,
    -- PHC string format.
    hash TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, user_id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

CREATE TABLE sessions (
    tenant_id BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id BLOB NOT NULL,
    user_id BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

-- Ending all of a user's sessions, and the cascade from `users`.
CREATE INDEX sessions_user ON sessions (tenant_id, user_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);
