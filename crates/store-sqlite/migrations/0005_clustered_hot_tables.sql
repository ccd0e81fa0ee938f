-- Every ceremony writes rows of these two tables: a start stores its ceremony and an audit event,
-- a finish takes the ceremony and stores another event. A commit writes each page it changed to
-- the write-ahead log, and a row costs a page in the table and one in each index: a ceremony
-- cost four (its rowid table, its key, its challenge, its expiry), an audit event four (its rowid
-- table, its key, and two indexes by time). Both tables are rebuilt clustered on the key their
-- reads use, so a row costs one page.
--
-- A finish finds its ceremony by challenge: the key is (tenant, challenge), and the ID stays a
-- column. The periodic removal of expired ceremonies scans the table, which holds only the
-- ceremonies in flight.
CREATE TABLE ceremonies_next (
    tenant_id BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    challenge BLOB NOT NULL,
    id BLOB NOT NULL,
    operation TEXT NOT NULL CHECK (
        operation IN ('registration', 'authentication', 'transaction', 'mfa_registration', 'mfa_authentication')
    ),
    user_id BLOB,
    user_verification TEXT NOT NULL CHECK (user_verification IN ('required', 'preferred', 'discouraged')),
    -- JSON array of base64url credential ids.
    allowed_credentials TEXT NOT NULL,
    transaction_id BLOB,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, challenge)
) STRICT, WITHOUT ROWID;

INSERT INTO ceremonies_next
    (tenant_id, challenge, id, operation, user_id, user_verification, allowed_credentials,
     transaction_id, expires_at)
SELECT tenant_id, challenge, id, operation, user_id, user_verification, allowed_credentials,
       transaction_id, expires_at
FROM ceremonies;

DROP TABLE ceremonies;
ALTER TABLE ceremonies_next RENAME TO ceremonies;

-- Audit events are listed by tenant, newest first, and removed by age, tenant by tenant: the key
-- is (tenant, time, id).
CREATE TABLE audit_events_next (
    tenant_id BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    id BLOB NOT NULL,
    kind TEXT NOT NULL,
    error TEXT,
    request_id TEXT NOT NULL,
    source_ip TEXT NOT NULL,
    user_agent TEXT NOT NULL,
    -- Strings, not foreign keys: the log outlives the users and transactions it mentions.
    actor_user_id TEXT,
    transaction_id TEXT,
    PRIMARY KEY (tenant_id, created_at, id)
) STRICT, WITHOUT ROWID;

INSERT INTO audit_events_next
    (tenant_id, created_at, id, kind, error, request_id, source_ip, user_agent, actor_user_id,
     transaction_id)
SELECT tenant_id, created_at, id, kind, error, request_id, source_ip, user_agent, actor_user_id,
       transaction_id
FROM audit_events;

DROP TABLE audit_events;
ALTER TABLE audit_events_next RENAME TO audit_events;
