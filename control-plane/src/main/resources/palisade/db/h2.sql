-- Palisade journal schema for H2 (embedded default), the schema of pekko-persistence-jdbc 1.1 (event_journal,
-- event_tag, snapshot), made idempotent: the node runs it at every start.
-- The payloads are VARBINARY, not the plugin's BLOBs: an event or a state is a few hundred bytes to a few kilobytes,
-- and H2 keeps a BLOB over 256 bytes in its LOB maps (three more B-trees written per commit, a temporary LOB per
-- parameter). Journals created with BLOBs keep them (the DDL only creates what is missing); both read the same.
CREATE TABLE IF NOT EXISTS PUBLIC."event_journal" (
    "ordering" BIGINT UNIQUE NOT NULL AUTO_INCREMENT,
    "deleted" BOOLEAN DEFAULT false NOT NULL,
    "persistence_id" VARCHAR(255) NOT NULL,
    "sequence_number" BIGINT NOT NULL,
    "writer" VARCHAR NOT NULL,
    "write_timestamp" BIGINT NOT NULL,
    "adapter_manifest" VARCHAR NOT NULL,
    "event_payload" VARBINARY NOT NULL,
    "event_ser_id" INTEGER NOT NULL,
    "event_ser_manifest" VARCHAR NOT NULL,
    "meta_payload" VARBINARY,
    "meta_ser_id" INTEGER,
    "meta_ser_manifest" VARCHAR,
    PRIMARY KEY("persistence_id","sequence_number")
);

-- no second unique index on the ordering: the column's UNIQUE already makes one (CONSTRAINT_INDEX_...), which the
-- plugin's schema doubled with "event_journal_ordering_idx"; every insert kept and checked both (docs/benchmarks.md,
-- 2026-12-07). Journals made before lose the copy here.
DROP INDEX IF EXISTS PUBLIC."event_journal_ordering_idx";

-- the ordering's identity records how far it handed out values every 1,024 values, not H2's default 32: each such
-- record is a commit of H2's system session, which writes a whole chunk of the store (every page changed since the
-- last one), and at 32 it took 39 % of the journal writer's CPU in an IKE setup run (docs/benchmarks.md,
-- 2026-12-07). After a kill -9 the next ordering starts above the last record: a gap of up to 1,024 orderings
-- (up to 32 before), skipped by every reader as it skips a rolled-back write's. Journals made before get it too.
ALTER TABLE PUBLIC."event_journal" ALTER COLUMN "ordering" SET CACHE 1024;

-- time windows of event reads (EventQueries): since bounds the write timestamp
CREATE INDEX IF NOT EXISTS "event_journal_write_timestamp_idx" ON PUBLIC."event_journal" ("write_timestamp");

-- event reads by type (EventQueries): the type's events in journal order, found without reading the others
CREATE INDEX IF NOT EXISTS "event_journal_manifest_idx" ON PUBLIC."event_journal" ("event_ser_manifest", "ordering");

CREATE TABLE IF NOT EXISTS PUBLIC."event_tag" (
    "event_id" BIGINT NOT NULL,
    "tag" VARCHAR NOT NULL,
    PRIMARY KEY("event_id", "tag"),
    CONSTRAINT "fk_event_journal"
      FOREIGN KEY("event_id")
      REFERENCES "event_journal"("ordering")
      ON DELETE CASCADE
);

CREATE TABLE IF NOT EXISTS PUBLIC."snapshot" (
    "persistence_id" VARCHAR(255) NOT NULL,
    "sequence_number" BIGINT NOT NULL,
    "created" BIGINT NOT NULL,
    "snapshot_ser_id" INTEGER NOT NULL,
    "snapshot_ser_manifest" VARCHAR NOT NULL,
    "snapshot_payload" VARBINARY NOT NULL,
    "meta_ser_id" INTEGER,
    "meta_ser_manifest" VARCHAR,
    "meta_payload" VARBINARY,
    PRIMARY KEY("persistence_id","sequence_number")
);

-- a tunnel's state after every 32nd event (StateCheckpoints): state?at= folds at most 32 events onto the latest
-- whose events all happened by then (through_nanos: the latest event time up to it). A cache of the journal.
-- The payload is VARBINARY, not a BLOB: a few kilobytes at most, and H2 makes a temporary LOB for every BLOB
-- parameter, also for the inserts that find their checkpoint already there. With BLOBs, H2's LOB clean-up at the
-- first close after a kill -9 once failed an assertion (CrashTest, in a fresh-chroot run; not reproduced alone in
-- eight kills of a writer doing only such inserts, so the cause is likely, not proven).
CREATE TABLE IF NOT EXISTS PUBLIC."state_checkpoint" (
    "persistence_id" VARCHAR(255) NOT NULL,
    "sequence_number" BIGINT NOT NULL,
    "through_nanos" BIGINT NOT NULL,
    "state_ser_id" INTEGER NOT NULL,
    "state_ser_manifest" VARCHAR NOT NULL,
    "state_payload" VARBINARY NOT NULL,
    "handler" VARCHAR(64) DEFAULT '' NOT NULL,
    PRIMARY KEY("persistence_id","sequence_number")
);

-- journals made before checkpoints named their event handler (StateCheckpoints.fingerprint): their rows get ''
-- and are dropped at the next start
ALTER TABLE PUBLIC."state_checkpoint" ADD COLUMN IF NOT EXISTS "handler" VARCHAR(64) DEFAULT '' NOT NULL;

-- the checkpoint a read starts from, found in the index alone (through_nanos rises with sequence_number)
CREATE INDEX IF NOT EXISTS "state_checkpoint_through_idx" ON PUBLIC."state_checkpoint" ("persistence_id",
    "through_nanos", "sequence_number");

-- each installed inbound SA's replay high-water mark: the highest sequence number it authenticated, sampled about
-- once a second (ReplayMarkWriter) so that a node resuming the SA's keys after a restart starts its replay window
-- there. Operational state, not history: one row per installed SA, rewritten in place, removed with the SA.
CREATE TABLE IF NOT EXISTS PUBLIC."replay_mark" (
    "label" VARCHAR(255) NOT NULL,
    "spi" BIGINT NOT NULL,
    "mark" BIGINT NOT NULL,
    "updated" TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY("label","spi")
);
