-- The call the user is in on this device (at most one), as JSON, without its token: after a
-- restart it is offered as "rejoin" while the server still has it ONGOING.
CREATE TABLE my_call (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    json TEXT NOT NULL
);
