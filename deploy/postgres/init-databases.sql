-- Runs once, when the data volume is initialised: one database per service that owns data.
-- (POSTGRES_DB already created `switchboard`, the persistence service's database.)
CREATE DATABASE switchboard_auth OWNER switchboard;
