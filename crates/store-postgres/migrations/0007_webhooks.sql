-- Webhooks of the Hanko Public API: hooks added through the admin API with their events, and the
-- outbox of deliveries waiting to be posted. Constraint names are mapped to conflicts in
-- src/error.rs, as in 0001.

CREATE TABLE webhooks (
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id uuid NOT NULL,
    callback text NOT NULL,
    enabled boolean NOT NULL,
    failures bigint NOT NULL CHECK (failures BETWEEN 0 AND 4294967295),
    expires_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    CONSTRAINT webhooks_pkey PRIMARY KEY (tenant_id, id)
);

-- `position` keeps the order the events were given in.
CREATE TABLE webhook_events (
    tenant_id uuid NOT NULL,
    webhook_id uuid NOT NULL,
    id uuid NOT NULL,
    event text NOT NULL,
    position bigint NOT NULL,
    CONSTRAINT webhook_events_pkey PRIMARY KEY (tenant_id, webhook_id, id),
    CONSTRAINT webhook_events_event_key UNIQUE (tenant_id, webhook_id, event),
    CONSTRAINT webhook_events_webhook_fkey FOREIGN KEY (tenant_id, webhook_id)
        REFERENCES webhooks (tenant_id, id) ON DELETE CASCADE
);

-- The outbox. A delivery is written in the transaction of the change that fired its event, and
-- removed once posted or given up. `webhook_id` is NULL for a hook of the tenant's configuration
-- (a foreign key with a NULL column is not checked).
CREATE TABLE webhook_deliveries (
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id uuid NOT NULL,
    webhook_id uuid,
    callback text NOT NULL,
    event text NOT NULL,
    data text NOT NULL,
    attempts bigint NOT NULL CHECK (attempts BETWEEN 0 AND 4294967295),
    due_at timestamptz NOT NULL,
    leased_until timestamptz,
    created_at timestamptz NOT NULL,
    CONSTRAINT webhook_deliveries_pkey PRIMARY KEY (tenant_id, id),
    CONSTRAINT webhook_deliveries_webhook_fkey FOREIGN KEY (tenant_id, webhook_id)
        REFERENCES webhooks (tenant_id, id) ON DELETE CASCADE
);

-- The delivery task's search for due rows, and the cascade from `webhooks`.
CREATE INDEX webhook_deliveries_due_at_idx ON webhook_deliveries (due_at);
CREATE INDEX webhook_deliveries_webhook_idx ON webhook_deliveries (tenant_id, webhook_id);
