-- At most 100 live sessions per user: a new one beyond that revokes the oldest. A trigger, so
-- that signing in stays one statement on the single writer (and the cap can't be forgotten).
CREATE TRIGGER sessions_cap AFTER INSERT ON sessions
BEGIN
    DELETE FROM sessions
    WHERE user_id = NEW.user_id
      AND id NOT IN (SELECT id FROM sessions WHERE user_id = NEW.user_id ORDER BY id DESC LIMIT 100);
END;
