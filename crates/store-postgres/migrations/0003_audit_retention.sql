-- Retention removes old audit events of every tenant at once: by creation time alone.
CREATE INDEX audit_events_created_at_any_tenant_idx ON audit_events (created_at);
