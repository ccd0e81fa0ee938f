-- Webhooks of the Hanko Public API: hooks added through the admin API with their events, and the
-- outbox of deliveries waiting to be posted. Encodings as in 0001, clustered on their keys as in
-- 0005.

CREATE TABLE webhooks (
    tenant_id BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id BLOB NOT NULL,
    callback TEXT NOT NULL,
    enabled INTEGER NOT NULL,
    failures INTEGER NOT NULL CHECK (failures BETWEEN 0 AND 4294967295),
    expires_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
) STRICT, WITHOUT ROWID;

-- `position` keeps the order the events were given in.
CREATE TABLE webhook_events (
    tenant_id BLOB NOT NULL,
    webhook_id BLOB NOT NULL,
    id BLOB NOT NULL,
    event TEXT NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, webhook_id, id),
    UNIQUE (tenant_id, webhook_id, event),
    FOREIGN KEY (tenant_id, webhook_id) REFERENCES webhooks (tenant_id, id) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

-- The outbox. A delivery is written in the transaction of the change that fired its event, and
-- removed once posted or given up. `webhook_id` is NULL for a hook of the tenant's
-- configuration (a foreign key with a NULL column is not checked).
CREATE TABLE webhook_deliveries (
    tenant_id BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id BLOB NOT NULL,
    webhook_id BLOB,
    callback TEXT NOT NULL,
    event TEXT NOT NULL,
    data TEXT NOT NULL,
    attempts INTEGER NOT NULL CHECK (attempts BETWEEN 0 AND 4294967295),
    due_at INTEGER NOT NULL,
    leased_until INTEGER,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, webhook_id) REFERENCES webhooks (tenant_id, id) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

-- The delivery task's search for due rows, and the cascade from `webhooks`.
CREATE INDEX webhook_deliveries_due_at ON webhook_deliveries (due_at);
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (tenant_id, webhook_id);
