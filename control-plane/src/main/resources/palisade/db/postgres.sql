-- Palisade journal schema for PostgreSQL, the schema of pekko-persistence-jdbc 1.1 (event_journal, event_tag,
-- snapshot), made idempotent: the node runs it at every start. Run it by hand (psql -f) if the node's database
-- user may not create tables.
CREATE TABLE IF NOT EXISTS public.event_journal (
    ordering BIGSERIAL,
    persistence_id VARCHAR(255) NOT NULL,
    sequence_number BIGINT NOT NULL,
    deleted BOOLEAN DEFAULT FALSE NOT NULL,
    writer VARCHAR(255) NOT NULL,
    write_timestamp BIGINT,
    adapter_manifest VARCHAR(255),
    event_ser_id INTEGER NOT NULL,
    event_ser_manifest VARCHAR(255) NOT NULL,
    event_payload BYTEA NOT NULL,
    meta_ser_id INTEGER,
    meta_ser_manifest VARCHAR(255),
    meta_payload BYTEA,
    PRIMARY KEY(persistence_id, sequence_number)
);

CREATE UNIQUE INDEX IF NOT EXISTS event_journal_ordering_idx ON public.event_journal(ordering);

-- time windows of event reads (EventQueries): since bounds the write timestamp
CREATE INDEX IF NOT EXISTS event_journal_write_timestamp_idx ON public.event_journal(write_timestamp);

CREATE TABLE IF NOT EXISTS public.event_tag (
    event_id BIGINT,
    tag VARCHAR(256),
    PRIMARY KEY(event_id, tag),
    CONSTRAINT fk_event_journal
      FOREIGN KEY(event_id)
      REFERENCES event_journal(ordering)
      ON DELETE CASCADE
);

CREATE TABLE IF NOT EXISTS public.snapshot (
    persistence_id VARCHAR(255) NOT NULL,
    sequence_number BIGINT NOT NULL,
    created BIGINT NOT NULL,
    snapshot_ser_id INTEGER NOT NULL,
    snapshot_ser_manifest VARCHAR(255) NOT NULL,
    snapshot_payload BYTEA NOT NULL,
    meta_ser_id INTEGER,
    meta_ser_manifest VARCHAR(255),
    meta_payload BYTEA,
    PRIMARY KEY(persistence_id, sequence_number)
);

-- a tunnel's state after every 32nd event (StateCheckpoints): state?at= folds at most 32 events onto the latest
-- whose events all happened by then (through_nanos: the latest event time up to it). A cache of the journal.
CREATE TABLE IF NOT EXISTS public.state_checkpoint (
    persistence_id VARCHAR(255) NOT NULL,
    sequence_number BIGINT NOT NULL,
    through_nanos BIGINT NOT NULL,
    state_ser_id INTEGER NOT NULL,
    state_ser_manifest VARCHAR(255) NOT NULL,
    state_payload BYTEA NOT NULL,
    PRIMARY KEY(persistence_id, sequence_number)
);

-- the checkpoint a read starts from, found in the index alone (through_nanos rises with sequence_number)
CREATE INDEX IF NOT EXISTS state_checkpoint_through_idx ON public.state_checkpoint(persistence_id, through_nanos,
    sequence_number);
