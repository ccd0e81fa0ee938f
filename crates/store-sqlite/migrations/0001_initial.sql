-- latchkey's schema on SQLite.
--
-- Times are INTEGER microseconds since the Unix epoch (UTC). That is exactly PostgreSQL's
-- precision, so both stores give back the same values; comparisons and ORDER BY are integer ones
-- that the indexes serve; and unlike RFC 3339 text there is no format whose width or offset could
-- make the order of the strings differ from the order of the times.
--
-- UUIDs are 16-byte BLOBs (sqlx's encoding), binary ids are BLOBs, lists and the tenant
-- configuration are JSON text. Tables are STRICT, so a value of the wrong type is an error rather
-- than a silent conversion.
--
-- Every row a tenant owns has the tenant first in its primary key: lookups always name the
-- tenant, and the same index serves the ON DELETE CASCADE from `tenants` (foreign keys are
-- enforced: the store turns them on for every connection).

CREATE TABLE tenants (
    id BLOB NOT NULL PRIMARY KEY,
    display_name TEXT NOT NULL,
    -- TenantConfig as one document: read whole on every request, replaced whole by the admin API.
    config TEXT NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE api_keys (
    tenant_id BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id BLOB NOT NULL,
    name TEXT NOT NULL,
    secret_hash BLOB NOT NULL CHECK (length(secret_hash) = 32),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
) STRICT;

-- Every authenticated request looks its key up by hash; unique so that a hash names one key.
CREATE UNIQUE INDEX api_keys_secret_hash ON api_keys (tenant_id, secret_hash);

CREATE TABLE signing_keys (
    tenant_id BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id BLOB NOT NULL,
    algorithm TEXT NOT NULL CHECK (algorithm IN ('RS256', 'ES256', 'EdDSA')),
    encrypted_private_key BLOB NOT NULL,
    public_key BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
) STRICT;

CREATE INDEX signing_keys_created_at ON signing_keys (tenant_id, created_at);

CREATE TABLE users (
    tenant_id BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id BLOB NOT NULL,
    external_id TEXT NOT NULL,
    name TEXT NOT NULL,
    display_name TEXT NOT NULL,
    icon TEXT,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, external_id)
) STRICT;

CREATE INDEX users_created_at ON users (tenant_id, created_at);

-- Credential ids are unique per tenant, not globally as in Hanko: WebAuthn scopes a credential to
-- its relying party, every lookup names the tenant, and a global constraint would let one tenant
-- learn (through a conflict) that an id is registered in another.
CREATE TABLE credentials (
    tenant_id BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id BLOB NOT NULL,
    user_id BLOB NOT NULL,
    name TEXT,
    public_key BLOB NOT NULL,
    attestation_format TEXT NOT NULL,
    aaguid BLOB NOT NULL CHECK (length(aaguid) = 16),
    sign_count INTEGER NOT NULL CHECK (sign_count BETWEEN 0 AND 4294967295),
    -- JSON array of strings.
    transports TEXT NOT NULL,
    backup_eligible INTEGER NOT NULL,
    backup_state INTEGER NOT NULL,
    is_mfa INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    last_used_at INTEGER,
    PRIMARY KEY (tenant_id, id),
    -- Through (tenant, user), so a credential can never belong to another tenant's user.
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
) STRICT;

CREATE INDEX credentials_user ON credentials (tenant_id, user_id, created_at);
CREATE INDEX credentials_created_at ON credentials (tenant_id, created_at);

-- No foreign key to users: a registration ceremony may start before its user is stored, and a
-- ceremony whose user is gone simply fails to finish.
CREATE TABLE ceremonies (
    tenant_id BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id BLOB NOT NULL,
    challenge BLOB NOT NULL,
    operation TEXT NOT NULL CHECK (
        operation IN ('registration', 'authentication', 'transaction', 'mfa_registration', 'mfa_authentication')
    ),
    user_id BLOB,
    user_verification TEXT NOT NULL CHECK (user_verification IN ('required', 'preferred', 'discouraged')),
    -- JSON array of base64url credential ids.
    allowed_credentials TEXT NOT NULL,
    transaction_id BLOB,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    -- A finish takes the ceremony by its challenge, so a challenge names one ceremony.
    UNIQUE (tenant_id, challenge)
) STRICT;

CREATE INDEX ceremonies_expires_at ON ceremonies (expires_at);

CREATE TABLE transactions (
    tenant_id BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id BLOB NOT NULL,
    user_id BLOB NOT NULL,
    identifier TEXT NOT NULL,
    data TEXT NOT NULL,
    challenge BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, identifier),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
) STRICT;

CREATE INDEX transactions_challenge ON transactions (tenant_id, challenge);
CREATE INDEX transactions_user ON transactions (tenant_id, user_id, created_at);

CREATE TABLE audit_events (
    tenant_id BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id BLOB NOT NULL,
    kind TEXT NOT NULL,
    error TEXT,
    request_id TEXT NOT NULL,
    source_ip TEXT NOT NULL,
    user_agent TEXT NOT NULL,
    -- Strings, not foreign keys: the log outlives the users and transactions it mentions.
    actor_user_id TEXT,
    transaction_id TEXT,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
) STRICT;

CREATE INDEX audit_events_created_at ON audit_events (tenant_id, created_at);
