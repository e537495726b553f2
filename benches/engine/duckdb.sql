-- The bench pack as DuckDB SQL, one query per rule over a relation `ev` (the events:
-- a table loaded from the JSON Lines, or a view over read_json of the file).
-- Each query returns one number: matching events for a detection, distinct groups that
-- fired for a correlation or first-seen rule. `-- rule: NAME` starts a query.
-- Sigma semantics kept: string equality and contains are case-insensitive, a missing
-- field fails a comparison (so `not` of it holds), windows are [t - span, t] inclusive.

-- rule: bench_denied
SELECT count(*) FROM ev
WHERE lower(signal) = 'log' AND lower(event_name) = 'codex.tool_decision'
  AND lower(decision) = 'denied';

-- rule: bench_destructive
SELECT count(*) FROM ev
WHERE lower(event_name) = 'codex.tool_result'
  AND (contains(lower(command), 'rm -rf') OR contains(lower(command), 'git push --force')
       OR contains(lower(command), '| sh'));

-- rule: bench_aws_key_output
SELECT count(*) FROM ev
WHERE lower(event_name) = 'codex.tool_result' AND regexp_matches(output, 'AKIA[0-9A-Z]{16}');

-- rule: bench_injection
SELECT count(*) FROM ev
WHERE lower(event_name) = 'codex.user_prompt'
  AND (contains(lower(prompt), 'ignore previous instructions')
       OR starts_with(lower(prompt), 'system override:'));

-- rule: bench_danger_sandbox
SELECT count(*) FROM ev
WHERE lower(event_name) = 'codex.conversation_starts'
  AND lower(sandbox_policy) = 'danger-full-access'
  AND NOT coalesce(ends_with(lower(originator), '_vscode'), false);

-- rule: bench_api_5xx
SELECT count(*) FROM ev
WHERE lower(event_name) = 'codex.api_request' AND http_response_status_code >= 500;

-- rule: bench_shadow_keyword
-- keyword search: any value of the row (the row cast to text also holds the key names,
-- which never contain the keyword here)
SELECT count(*) FROM ev
WHERE lower(event_name) = 'codex.tool_result' AND contains(lower(CAST(ev AS VARCHAR)), '/etc/shadow');

-- rule: bench_denied_burst
-- event_count >= 3 per conversation_id in 10m
SELECT count(DISTINCT conversation_id) FROM (
  SELECT conversation_id,
         count(*) OVER (PARTITION BY conversation_id ORDER BY CAST(time AS TIMESTAMP)
                        RANGE BETWEEN INTERVAL 10 MINUTES PRECEDING AND CURRENT ROW) AS n
  FROM ev
  WHERE lower(signal) = 'log' AND lower(event_name) = 'codex.tool_decision'
    AND lower(decision) = 'denied' AND conversation_id IS NOT NULL
) WHERE n >= 3;

-- rule: bench_tool_variety
-- value_count(tool_name) >= 5 per conversation_id in 5m
SELECT count(DISTINCT conversation_id) FROM (
  SELECT conversation_id,
         count(DISTINCT lower(tool_name)) OVER (PARTITION BY conversation_id ORDER BY CAST(time AS TIMESTAMP)
                        RANGE BETWEEN INTERVAL 5 MINUTES PRECEDING AND CURRENT ROW) AS n
  FROM ev
  WHERE lower(event_name) = 'codex.tool_result' AND conversation_id IS NOT NULL
) WHERE n >= 5;

-- rule: bench_injection_then_destructive
-- temporal: both rules within 10m in one conversation_id
WITH inj AS (
  SELECT conversation_id, CAST(time AS TIMESTAMP) AS t FROM ev
  WHERE lower(event_name) = 'codex.user_prompt'
    AND (contains(lower(prompt), 'ignore previous instructions')
         OR starts_with(lower(prompt), 'system override:'))
), des AS (
  SELECT conversation_id, CAST(time AS TIMESTAMP) AS t FROM ev
  WHERE lower(event_name) = 'codex.tool_result'
    AND (contains(lower(command), 'rm -rf') OR contains(lower(command), 'git push --force')
         OR contains(lower(command), '| sh'))
)
SELECT count(DISTINCT inj.conversation_id) FROM inj JOIN des USING (conversation_id)
WHERE inj.t BETWEEN des.t - INTERVAL 10 MINUTES AND des.t + INTERVAL 10 MINUTES;

-- rule: bench_new_tool_on_host
-- first_seen(tool_name) per host_name after 5m of learning from the first tool call
WITH tc AS (
  SELECT host_name, lower(tool_name) AS tool, CAST(time AS TIMESTAMP) AS t FROM ev
  WHERE lower(event_name) = 'codex.tool_result'
    AND host_name IS NOT NULL AND tool_name IS NOT NULL
), firsts AS (
  SELECT host_name, tool, min(t) AS first_t FROM tc GROUP BY host_name, tool
)
SELECT count(*) FROM firsts, (SELECT min(t) AS start_t FROM tc)
WHERE first_t >= start_t + INTERVAL 5 MINUTES;
