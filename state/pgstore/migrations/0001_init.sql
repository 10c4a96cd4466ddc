-- The reconciler's shared state: one row per unit, its lease, the manual
-- commands for its leader, and the live replicas.

CREATE TABLE reconciler_units (
    name       text PRIMARY KEY,
    doc        jsonb NOT NULL,       -- the state document (state.State)
    version    integer NOT NULL,     -- the document's schema version
    epoch      bigint NOT NULL,      -- the lease epoch it was written under
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE reconciler_leases (
    name        text PRIMARY KEY,
    epoch       bigint NOT NULL,     -- incremented at every acquisition
    holder_id   text,                -- NULL once released
    holder      jsonb,               -- state.Holder, for operators
    acquired_at timestamptz,
    renewed_at  timestamptz,
    expires_at  timestamptz NOT NULL
);

CREATE TABLE reconciler_requests (
    id             text PRIMARY KEY,
    name           text NOT NULL,
    request        jsonb NOT NULL,   -- state.Request
    posted_at      timestamptz NOT NULL DEFAULT now(),
    response       jsonb,            -- state.Response; NULL while pending
    answered_at    timestamptz,
    answered_epoch bigint
);

CREATE INDEX reconciler_requests_pending ON reconciler_requests (name, posted_at)
    WHERE response IS NULL;

CREATE TABLE reconciler_members (
    id         text PRIMARY KEY,
    holder     jsonb NOT NULL,       -- state.Holder
    joined_at  timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
