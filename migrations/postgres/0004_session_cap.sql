-- At most 100 live sessions per user: a new one beyond that revokes the oldest (as the SQLite
-- trigger of the same name).
CREATE FUNCTION sessions_cap() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM sessions
    WHERE user_id = NEW.user_id
      AND id NOT IN (SELECT id FROM sessions WHERE user_id = NEW.user_id ORDER BY id DESC LIMIT 100);
    RETURN NULL;
END
$$;

CREATE TRIGGER sessions_cap AFTER INSERT ON sessions FOR EACH ROW EXECUTE FUNCTION sessions_cap();
