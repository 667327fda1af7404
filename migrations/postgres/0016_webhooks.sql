-- Webhooks: the merchant's endpoints, the events each endpoint is sent (the API's "webhook events"),
-- and every attempt to send one (the API's "deliveries").
--
-- `webhook_events` stays what it is: the outbox, one row per change, written in the change's
-- transaction. An event is queued for fan-out (`webhook_queue`) by a trigger only when its
-- organization has an enabled endpoint, so an organization without webhooks pays one indexed probe
-- per event and nothing after. The queue's `seq` orders events as their transactions took their
-- locks: two changes of one seat (a claim, then a revoke) serialise on that seat's row, and the later
-- one draws the later number. The dispatcher turns queued events into one `webhook_sends` row per
-- subscribed endpoint, in `seq` order, and deletes exactly the queue rows it handled.
--
-- Delivery is per endpoint, in `seq` order: a worker leases the endpoint (`lease_id`,
-- `locked_until`), sends its due messages oldest first and records each attempt only while its lease
-- holds. `next_delivery_at` is when the endpoint's oldest pending message is due (NULL: nothing
-- pending), so finding work is one indexed read of the endpoints.

CREATE TABLE webhook_endpoints (
    id                    UUID PRIMARY KEY NOT NULL,
    organization_id       UUID NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    created_at            TIMESTAMPTZ NOT NULL,
    modified_at           TIMESTAMPTZ,
    url                   TEXT NOT NULL,
    name                  TEXT,
    api_version           TEXT NOT NULL,
    format                TEXT NOT NULL CHECK (format IN ('raw')),
    secret                TEXT NOT NULL,
    events                TEXT NOT NULL,
    enabled               BOOLEAN NOT NULL,
    consecutive_failures  BIGINT NOT NULL DEFAULT 0,
    next_delivery_at      TIMESTAMPTZ,
    lease_id              UUID,
    locked_until          TIMESTAMPTZ
);

CREATE INDEX webhook_endpoints_organization_idx ON webhook_endpoints (organization_id, created_at);
CREATE INDEX webhook_endpoints_due_idx ON webhook_endpoints (next_delivery_at)
    WHERE next_delivery_at IS NOT NULL AND enabled;

CREATE TABLE webhook_queue (
    seq       BIGSERIAL PRIMARY KEY,
    event_id  UUID NOT NULL
);

CREATE FUNCTION seatkeeper_queue_webhook_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM webhook_endpoints
               WHERE organization_id = NEW.organization_id AND enabled) THEN
        INSERT INTO webhook_queue (event_id) VALUES (NEW.id);
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER webhook_events_queue AFTER INSERT ON webhook_events
    FOR EACH ROW EXECUTE FUNCTION seatkeeper_queue_webhook_event();

CREATE TABLE webhook_sends (
    id               UUID PRIMARY KEY NOT NULL,
    organization_id  UUID NOT NULL,
    endpoint_id      UUID NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_id         UUID NOT NULL REFERENCES webhook_events (id) ON DELETE CASCADE,
    seq              BIGINT NOT NULL,
    type             TEXT NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    modified_at      TIMESTAMPTZ,
    status           TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    attempts         BIGINT NOT NULL DEFAULT 0,
    next_attempt_at  TIMESTAMPTZ NOT NULL,
    last_http_code   BIGINT
);

CREATE INDEX webhook_sends_pending_idx ON webhook_sends (endpoint_id, seq) WHERE status = 'pending';
CREATE INDEX webhook_sends_organization_idx ON webhook_sends (organization_id, created_at);

CREATE TABLE webhook_deliveries (
    id               UUID PRIMARY KEY NOT NULL,
    organization_id  UUID NOT NULL,
    endpoint_id      UUID NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    send_id          UUID NOT NULL REFERENCES webhook_sends (id) ON DELETE CASCADE,
    type             TEXT NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    succeeded        BOOLEAN NOT NULL,
    http_code        BIGINT,
    response         TEXT,
    duration_ms      BIGINT NOT NULL
);

CREATE INDEX webhook_deliveries_organization_idx ON webhook_deliveries (organization_id, created_at);
CREATE INDEX webhook_deliveries_send_idx ON webhook_deliveries (send_id);
