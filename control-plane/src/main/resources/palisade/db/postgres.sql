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

-- event reads by type (EventQueries): the type's events in journal order, found without reading the others
CREATE INDEX IF NOT EXISTS event_journal_manifest_idx ON public.event_journal(event_ser_manifest, ordering);

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

-- The journal fence of a gateway pair (docs/ha.md, "Fencing"): a tunnel's event is written only by the node that
-- holds the active lease (table palisade_lease, row 'palisade-active'), checked inside the transaction that inserts
-- it, against the database's clock. The node names itself in the setting palisade.node, which it sets on every
-- journal connection (the JDBC option "-c palisade.node=HOST:PORT", its lease owner name); a connection without it
-- (a node of an older release, a tool) is not fenced. The shared advisory lock is held until the commit; a node that
-- takes the lease from another holds it exclusively while it changes the row (LeaseTable.takeFencingJournal), so
-- every event the old holder's check let through is committed before the new epoch exists, and none after.
-- Renewals take no lock: a busy journal never delays them. 8097872805151990885 is "palisade" in ASCII. Because a
-- takeover waits for such a transaction, one that the node abandons (cut from the database between its statements)
-- must not live for as long as TCP keepalive allows: the node's setting palisade.write_idle (milliseconds, its lease
-- TTL) becomes the transaction's idle_in_transaction_session_timeout, and the server rolls it back after that. The
-- check runs once per transaction (pekko-persistence-jdbc writes a batch of events in one): its lock lasts until the
-- commit, so no takeover can come between the first event and the last.
CREATE OR REPLACE FUNCTION palisade_journal_fence() RETURNS trigger LANGUAGE plpgsql AS $fence$
DECLARE
    writer TEXT := current_setting('palisade.node', true);
    holder TEXT;
    held_epoch BIGINT;
    valid BOOLEAN;
BEGIN
    IF NEW.persistence_id NOT LIKE 'Tunnel|%' OR writer IS NULL OR writer = ''
            -- checked for an earlier event of this transaction: the lock is held until the commit
            OR current_setting('palisade.fence_checked', true) = 'on' THEN
        RETURN NEW;
    END IF;
    IF coalesce(current_setting('palisade.write_idle', true), '') <> '' THEN
        PERFORM set_config('idle_in_transaction_session_timeout', current_setting('palisade.write_idle'), true);
    END IF;
    PERFORM pg_advisory_xact_lock_shared(8097872805151990885);
    SELECT owner, epoch, NOT released AND expires >= clock_timestamp() INTO holder, held_epoch, valid
      FROM palisade_lease WHERE name = 'palisade-active';
    IF holder IS NULL OR holder <> writer OR NOT valid THEN
        RAISE EXCEPTION 'journal fence: % may not write % (sequence number %): the active lease is %', writer,
            NEW.persistence_id, NEW.sequence_number,
            CASE WHEN holder IS NULL THEN 'held by no node'
                 ELSE format('%s''s, epoch %s%s', holder, held_epoch, CASE WHEN valid THEN '' ELSE ', expired' END)
            END
            USING ERRCODE = 'PF001';
    END IF;
    PERFORM set_config('palisade.fence_checked', 'on', true);
    RETURN NEW;
END
$fence$;

DO $create$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'palisade_journal_fence'
                   AND tgrelid = 'public.event_journal'::regclass) THEN
        CREATE TRIGGER palisade_journal_fence BEFORE INSERT ON public.event_journal
            FOR EACH ROW EXECUTE FUNCTION palisade_journal_fence();
    END IF;
END
$create$;

-- a tunnel's state after every 32nd event (StateCheckpoints): state?at= folds at most 32 events onto the latest
-- whose events all happened by then (through_nanos: the latest event time up to it). A cache of the journal.
CREATE TABLE IF NOT EXISTS public.state_checkpoint (
    persistence_id VARCHAR(255) NOT NULL,
    sequence_number BIGINT NOT NULL,
    through_nanos BIGINT NOT NULL,
    state_ser_id INTEGER NOT NULL,
    state_ser_manifest VARCHAR(255) NOT NULL,
    state_payload BYTEA NOT NULL,
    handler VARCHAR(64) NOT NULL DEFAULT '',
    PRIMARY KEY(persistence_id, sequence_number)
);

-- journals made before checkpoints named their event handler (StateCheckpoints.fingerprint): their rows get ''
-- and are dropped at the next start
ALTER TABLE public.state_checkpoint ADD COLUMN IF NOT EXISTS handler VARCHAR(64) NOT NULL DEFAULT '';

-- the checkpoint a read starts from, found in the index alone (through_nanos rises with sequence_number)
CREATE INDEX IF NOT EXISTS state_checkpoint_through_idx ON public.state_checkpoint(persistence_id, through_nanos,
    sequence_number);

-- each installed inbound SA's replay high-water mark: the highest sequence number it authenticated, sampled about
-- once a second (ReplayMarkWriter) so that a node resuming the SA's keys after a restart or a takeover starts its
-- replay window there. Operational state, not history: one row per installed SA, rewritten in place, removed with
-- the SA.
CREATE TABLE IF NOT EXISTS public.replay_mark (
    label VARCHAR(255) NOT NULL,
    spi BIGINT NOT NULL,
    mark BIGINT NOT NULL,
    updated TIMESTAMPTZ NOT NULL,
    PRIMARY KEY(label, spi)
);
