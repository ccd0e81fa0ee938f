-- latchkey's schema on PostgreSQL.
--
-- Every row a tenant owns has the tenant in its primary key, first: lookups always name the
-- tenant, and the same index serves the ON DELETE CASCADE from `tenants` (PostgreSQL does not
-- index foreign-key columns by itself).
--
-- Constraint names are part of the contract: src/error.rs turns a unique violation into
-- `Conflict(<what>)` by constraint name.

CREATE TABLE tenants (
    id uuid NOT NULL,
    display_name text NOT NULL,
    -- TenantConfig as one document: read whole on every request, replaced whole by the admin API.
    config jsonb NOT NULL,
    created_at timestamptz NOT NULL,
    CONSTRAINT tenants_pkey PRIMARY KEY (id)
);

CREATE TABLE api_keys (
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id uuid NOT NULL,
    name text NOT NULL,
    secret_hash bytea NOT NULL CHECK (octet_length(secret_hash) = 32),
    created_at timestamptz NOT NULL,
    CONSTRAINT api_keys_pkey PRIMARY KEY (tenant_id, id),
    -- Every request authenticates by this lookup; unique so that a hash names one key.
    CONSTRAINT api_keys_secret_hash_key UNIQUE (tenant_id, secret_hash)
);

CREATE TABLE signing_keys (
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id uuid NOT NULL,
    algorithm text NOT NULL CHECK (algorithm IN ('RS256', 'ES256', 'EdDSA')),
    encrypted_private_key bytea NOT NULL,
    public_key bytea NOT NULL,
    created_at timestamptz NOT NULL,
    CONSTRAINT signing_keys_pkey PRIMARY KEY (tenant_id, id)
);

CREATE TABLE users (
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id uuid NOT NULL,
    external_id text NOT NULL,
    name text NOT NULL,
    display_name text NOT NULL,
    icon text,
    created_at timestamptz NOT NULL,
    CONSTRAINT users_pkey PRIMARY KEY (tenant_id, id),
    CONSTRAINT users_external_id_key UNIQUE (tenant_id, external_id)
);

CREATE INDEX users_created_at_idx ON users (tenant_id, created_at);

-- Credential ids are unique per tenant, not globally as in Hanko: WebAuthn scopes a credential to
-- its relying party, every lookup names the tenant, and a global constraint would let one tenant
-- learn (through a conflict) that an id is registered in another.
CREATE TABLE credentials (
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id bytea NOT NULL,
    user_id uuid NOT NULL,
    name text,
    public_key bytea NOT NULL,
    attestation_format text NOT NULL,
    aaguid uuid NOT NULL,
    -- The authenticator's counter is a u32, which does not fit PostgreSQL's signed integer.
    sign_count bigint NOT NULL CHECK (sign_count BETWEEN 0 AND 4294967295),
    transports text[] NOT NULL,
    backup_eligible boolean NOT NULL,
    backup_state boolean NOT NULL,
    is_mfa boolean NOT NULL,
    created_at timestamptz NOT NULL,
    last_used_at timestamptz,
    CONSTRAINT credentials_pkey PRIMARY KEY (tenant_id, id),
    -- Through (tenant, user), so a credential can never belong to another tenant's user.
    CONSTRAINT credentials_user_fkey FOREIGN KEY (tenant_id, user_id)
        REFERENCES users (tenant_id, id) ON DELETE CASCADE
);

CREATE INDEX credentials_user_idx ON credentials (tenant_id, user_id, created_at);
CREATE INDEX credentials_created_at_idx ON credentials (tenant_id, created_at);

-- No foreign key to users: a registration ceremony may start before its user is stored, and a
-- ceremony whose user is gone simply fails to finish.
CREATE TABLE ceremonies (
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id uuid NOT NULL,
    challenge bytea NOT NULL,
    operation text NOT NULL CHECK (
        operation IN ('registration', 'authentication', 'transaction', 'mfa_registration', 'mfa_authentication')
    ),
    user_id uuid,
    user_verification text NOT NULL CHECK (user_verification IN ('required', 'preferred', 'discouraged')),
    allowed_credentials bytea[] NOT NULL,
    transaction_id uuid,
    expires_at timestamptz NOT NULL,
    CONSTRAINT ceremonies_pkey PRIMARY KEY (tenant_id, id),
    -- A finish takes the ceremony by its challenge, so a challenge names one ceremony.
    CONSTRAINT ceremonies_challenge_key UNIQUE (tenant_id, challenge)
);

CREATE INDEX ceremonies_expires_at_idx ON ceremonies (expires_at);

CREATE TABLE transactions (
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id uuid NOT NULL,
    user_id uuid NOT NULL,
    identifier text NOT NULL,
    data text NOT NULL,
    challenge bytea NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    CONSTRAINT transactions_pkey PRIMARY KEY (tenant_id, id),
    CONSTRAINT transactions_identifier_key UNIQUE (tenant_id, identifier),
    CONSTRAINT transactions_user_fkey FOREIGN KEY (tenant_id, user_id)
        REFERENCES users (tenant_id, id) ON DELETE CASCADE
);

CREATE INDEX transactions_challenge_idx ON transactions (tenant_id, challenge);
CREATE INDEX transactions_user_idx ON transactions (tenant_id, user_id, created_at);

CREATE TABLE audit_events (
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id uuid NOT NULL,
    kind text NOT NULL,
    error text,
    request_id text NOT NULL,
    source_ip text NOT NULL,
    user_agent text NOT NULL,
    -- Strings, not foreign keys: the log outlives the users and transactions it mentions.
    actor_user_id text,
    transaction_id text,
    created_at timestamptz NOT NULL,
    CONSTRAINT audit_events_pkey PRIMARY KEY (tenant_id, id)
);

CREATE INDEX audit_events_created_at_idx ON audit_events (tenant_id, created_at);
