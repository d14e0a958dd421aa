-- The runners that take partitions of jobs (sq.jobs.runners=remote): what each advertises (its backends with device
-- names and memory, as JSON) and when it last said it is alive. Routing does not read this table (the queues do
-- that: a runner listens only on the queues of its backends); it is what operators and the API's runner list see.
CREATE TABLE sq_runner (
    name          VARCHAR(200)  PRIMARY KEY,
    backends      TEXT          NOT NULL,
    started_at    TIMESTAMP WITH TIME ZONE NOT NULL,
    heartbeat_at  TIMESTAMP WITH TIME ZONE NOT NULL
);
