-- Names compared in every script (#13 item 7). `name_key` is the name's
-- compatibility case fold (NFKC + case folding), which makes it unique:
-- "Élodie" and "élodie" are one name (the NOCASE of `username` folds
-- ASCII only). `name_skeleton` is what the name looks like (UTS #39), for
-- refusing look-alikes. SQL cannot compute either: Huddle fills them in at
-- start-up for the rows that have none (`Store::connect`), and writes them
-- with every new account. A row left without a key is an account whose
-- name folds to another, older account's (see the README).

ALTER TABLE users ADD COLUMN name_key TEXT;
ALTER TABLE users ADD COLUMN name_skeleton TEXT;

CREATE UNIQUE INDEX users_name_key ON users (name_key);
CREATE INDEX users_name_skeleton ON users (name_skeleton);
