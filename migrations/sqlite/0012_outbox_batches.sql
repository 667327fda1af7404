-- The mailer leases due emails in batches under one lease id and records the batch as sent with one
-- statement (`WHERE lease_id = $1`); this index finds a lease's rows. Only leased rows carry an id,
-- so the index stays as small as the batches in flight.
CREATE INDEX email_outbox_lease_idx ON email_outbox (lease_id) WHERE lease_id IS NOT NULL;
