-- Who asked for each call, so the per-address limit survives restarts. NULL for rows made before this column existed
-- and for requests without a known client address. An IPv6 client is stored as its /64 network.
ALTER TABLE recordings ADD COLUMN address TEXT;
-- The per-number and per-address limits count the last hour's rows.
CREATE INDEX recordings_phone_created ON recordings (phone, created_at);
CREATE INDEX recordings_address_created ON recordings (address, created_at);
