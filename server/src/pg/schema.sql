-- The mock's state in PostgreSQL: what `ecs_image_copy::store::Store`
-- keeps. Every statement is idempotent, so every replica applies it at
-- start. Kept to SQL that CockroachDB and YugabyteDB also run: sequences,
-- ON CONFLICT, partial indexes, row locks; no advisory locks, no triggers.

CREATE TABLE IF NOT EXISTS ecs_meta (
    key text PRIMARY KEY,
    value text NOT NULL
);

CREATE SEQUENCE IF NOT EXISTS ecs_account_ids;
CREATE TABLE IF NOT EXISTS ecs_accounts (
    id integer PRIMARY KEY,
    name text NOT NULL UNIQUE
);

-- One row per account and region that ever had an image there: the row a
-- call locks before it starts a copy or queues one, so that the copy limit
-- and first-in-first-out hold across replicas.
CREATE TABLE IF NOT EXISTS ecs_shelves (
    owner integer NOT NULL,
    region smallint NOT NULL,
    PRIMARY KEY (owner, region)
);

CREATE SEQUENCE IF NOT EXISTS ecs_image_keys;
CREATE SEQUENCE IF NOT EXISTS ecs_image_seqs;
CREATE TABLE IF NOT EXISTS ecs_images (
    id bigint PRIMARY KEY,
    seq bigint NOT NULL,
    owner integer NOT NULL,
    region smallint NOT NULL,
    created bigint NOT NULL,
    size_gib integer NOT NULL,
    -- NULL for a copy made without a name: names are unique where given.
    name text,
    -- `ImageStatus as i16`, for DescribeImages' filters.
    status smallint NOT NULL,
    -- `CopyPhase as i16` of a copy, for its slots and queue.
    phase smallint,
    source bigint,
    task text,
    details text
);
CREATE UNIQUE INDEX IF NOT EXISTS ecs_images_name
    ON ecs_images (owner, region, name) WHERE name IS NOT NULL;
CREATE INDEX IF NOT EXISTS ecs_images_listing
    ON ecs_images (owner, region, status, seq);
CREATE INDEX IF NOT EXISTS ecs_images_copies
    ON ecs_images (owner, region, phase, seq) WHERE phase IS NOT NULL;

CREATE TABLE IF NOT EXISTS ecs_tokens (
    owner integer NOT NULL,
    token text NOT NULL,
    parameters text NOT NULL,
    image bigint NOT NULL,
    PRIMARY KEY (owner, token)
);

CREATE SEQUENCE IF NOT EXISTS ecs_grant_order;
CREATE TABLE IF NOT EXISTS ecs_grants (
    grantee integer NOT NULL,
    region smallint NOT NULL,
    image bigint NOT NULL,
    position bigint NOT NULL,
    PRIMARY KEY (grantee, region, image)
);

CREATE TABLE IF NOT EXISTS ecs_orphans (
    snapshot bigint PRIMARY KEY,
    owner integer NOT NULL,
    region smallint NOT NULL
);

-- Signature nonces, as `key\nnonce`, spent by any replica.
CREATE TABLE IF NOT EXISTS ecs_nonces (
    nonce text PRIMARY KEY,
    spent bigint NOT NULL
);

-- Who advances running copies, and until when: one replica at a time.
CREATE TABLE IF NOT EXISTS ecs_ticker (
    id integer PRIMARY KEY,
    holder text NOT NULL,
    until_ms bigint NOT NULL
);
INSERT INTO ecs_ticker (id, holder, until_ms) VALUES (1, '', 0) ON CONFLICT (id) DO NOTHING;
