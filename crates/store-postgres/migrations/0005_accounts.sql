-- The records of the Hanko Public API: users' email addresses, the passcodes sent to them, users'
-- passwords and login sessions. Each row goes with its tenant and with its user; a passcode also
-- goes with the address it was sent to. Constraint names are mapped to conflicts in src/error.rs,
-- as in 0001.

-- Addresses are the tenant's, whoever holds them: an address not yet proven has no user.
CREATE TABLE emails (
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id uuid NOT NULL,
    -- A foreign key with a NULL column is not checked (MATCH SIMPLE): an address without a user
    -- is allowed.
    user_id uuid,
    -- Lower-cased by the engine, compared as stored.
    address text NOT NULL,
    verified boolean NOT NULL,
    is_primary boolean NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    CONSTRAINT emails_pkey PRIMARY KEY (tenant_id, id),
    CONSTRAINT emails_address_key UNIQUE (tenant_id, address),
    CONSTRAINT emails_user_fkey FOREIGN KEY (tenant_id, user_id)
        REFERENCES users (tenant_id, id) ON DELETE CASCADE
);

-- A user's addresses, oldest first; also serves the cascade from `users`.
CREATE INDEX emails_user_idx ON emails (tenant_id, user_id, created_at);
-- At most one primary address per user. Making another one primary unsets the old one first.
CREATE UNIQUE INDEX emails_primary_key ON emails (tenant_id, user_id) WHERE is_primary;

CREATE TABLE passcodes (
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id uuid NOT NULL,
    user_id uuid NOT NULL,
    email_id uuid NOT NULL,
    code_hash bytea NOT NULL CHECK (octet_length(code_hash) = 32),
    -- u32s, which do not fit PostgreSQL's signed integer.
    ttl_seconds bigint NOT NULL CHECK (ttl_seconds BETWEEN 0 AND 4294967295),
    failed_attempts bigint NOT NULL CHECK (failed_attempts BETWEEN 0 AND 4294967295),
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    CONSTRAINT passcodes_pkey PRIMARY KEY (tenant_id, id),
    CONSTRAINT passcodes_user_fkey FOREIGN KEY (tenant_id, user_id)
        REFERENCES users (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT passcodes_email_fkey FOREIGN KEY (tenant_id, email_id)
        REFERENCES emails (tenant_id, id) ON DELETE CASCADE
);

-- The cascades from `users` and `emails`, and the periodic removal of expired passcodes.
CREATE INDEX passcodes_user_idx ON passcodes (tenant_id, user_id);
CREATE INDEX passcodes_email_idx ON passcodes (tenant_id, email_id);
CREATE INDEX passcodes_expires_at_idx ON passcodes (expires_at);

CREATE TABLE passwords (
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id uuid NOT NULL,
    -- PHC string format.
    hash text NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    CONSTRAINT passwords_pkey PRIMARY KEY (tenant_id, user_id),
    CONSTRAINT passwords_user_fkey FOREIGN KEY (tenant_id, user_id)
        REFERENCES users (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE sessions (
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id uuid NOT NULL,
    user_id uuid NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    CONSTRAINT sessions_pkey PRIMARY KEY (tenant_id, id),
    CONSTRAINT sessions_user_fkey FOREIGN KEY (tenant_id, user_id)
        REFERENCES users (tenant_id, id) ON DELETE CASCADE
);

-- Ending all of a user's sessions, and the cascade from `users`.
CREATE INDEX sessions_user_idx ON sessions (tenant_id, user_id);
CREATE INDEX sessions_expires_at_idx ON sessions (expires_at);
