import type { Alert, CameraHealth, DetectionEvent, FlowCount, ShopScoreChange } from '@streetwatch/schemas';
import { utcDays, type SinkRows } from './rows.js';

/**
 * One INSERT per table and batch: columns go in as arrays through `unnest` (one parameter per
 * column, any number of rows), `ON CONFLICT DO NOTHING` makes a retried batch a no-op, and in
 * plain mode the rollup is updated in the same statement from the rows actually inserted.
 */
export interface Statement {
  readonly text: string;
  readonly values: unknown[];
}

const col = <T>(rows: readonly T[], f: (r: T) => unknown): unknown[] => rows.map(f);

/** Detection events as sink rows (their JSON texts), for callers that hold objects (tests, tools). */
export function detectionRows(rows: readonly DetectionEvent[]): SinkRows {
  return { json: rows.map((r) => JSON.stringify(r)).join(','), count: rows.length, days: [...utcDays(rows.map((r) => r.eventTime))] };
}

/**
 * Detection rows go in as one JSON array, the messages' own texts: PostgreSQL's json_to_recordset
 * picks the columns (no per-column arrays to build and escape in JavaScript). `evidence_url` holds the
 * picture's reference: its object key in the evidence store (or, from gateways before the store, their URL).
 */
export function detectionInsert(chunks: readonly SinkRows[], rollup: boolean): Statement {
  const insert = `INSERT INTO detection_events (event_id, event_time, violation_id, phase, type, gateway_id, camera_id, zone_id,
      site_id, grid_id, community_id, shop_id, object_class, score, dwell_seconds, started_at, processed_at, end_reason,
      evidence_url, evidence_sha256)
    SELECT r."eventId", r."eventTime", r."violationId", r.phase, r.type, r."gatewayId", r."cameraId", r."zoneId",
      r."siteId", r."gridId", r."communityId", r."shopId", r."objectClass", r.score, r."dwellSeconds", r."startedAt",
      r."processedAt", r."endReason", COALESCE(r.evidence->>'key', r.evidence->>'url'), r.evidence->>'sha256'
    FROM json_to_recordset($1::json) AS r("eventId" text, "eventTime" timestamptz, "violationId" text, phase text, type text,
      "gatewayId" text, "cameraId" text, "zoneId" text, "siteId" text, "gridId" text, "communityId" text, "shopId" text,
      "objectClass" text, score real, "dwellSeconds" real, "startedAt" timestamptz, "processedAt" timestamptz,
      "endReason" text, evidence json)
    ON CONFLICT DO NOTHING`;
  const text = rollup
    ? `WITH ins AS (${insert} RETURNING event_time, camera_id, zone_id, type, phase)
       INSERT INTO violations_hourly (bucket, camera_id, zone_id, type, starts, events)
       SELECT date_trunc('hour', event_time), camera_id, zone_id, type, count(*) FILTER (WHERE phase = 'start'), count(*)
       FROM ins GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
       ON CONFLICT (bucket, camera_id, zone_id, type) DO UPDATE
       SET starts = violations_hourly.starts + EXCLUDED.starts, events = violations_hourly.events + EXCLUDED.events`
    : insert;
  return { text, values: [`[${chunks.map((c) => c.json).join(',')}]`] };
}

/**
 * The latest health per camera in a batch, for `camera_status`: its newest event (change or
 * heartbeat), since when the camera has been in that state as far as this batch tells (the
 * earliest event of the run of equal status and reason that ends with the newest one), and whether
 * the batch itself holds a change into that state (then `since` is the batch's, whatever the row says).
 */
export function latestHealth(rows: readonly CameraHealth[]): Array<{ h: CameraHealth; since: string; changed: boolean; beats: boolean }> {
  const by = new Map<string, CameraHealth[]>();
  for (const r of rows) {
    const l = by.get(r.cameraId);
    if (l) l.push(r);
    else by.set(r.cameraId, [r]);
  }
  const out: Array<{ h: CameraHealth; since: string; changed: boolean; beats: boolean }> = [];
  for (const list of by.values()) {
    // stable: equal times keep the topic's order (the later message wins, as before)
    const sorted = list.map((r, i) => ({ r, i, t: Date.parse(r.eventTime) })).sort((a, b) => a.t - b.t || a.i - b.i);
    const last = sorted[sorted.length - 1] as (typeof sorted)[number];
    let k = sorted.length - 1;
    while (k > 0 && sameState((sorted[k - 1] as (typeof sorted)[number]).r, last.r)) k--;
    out.push({ h: last.r, since: (sorted[k] as (typeof sorted)[number]).r.eventTime, changed: k > 0, beats: list.some((r) => r.heartbeat === true) });
  }
  return out;
}

const sameState = (a: CameraHealth, b: CameraHealth): boolean => a.status === b.status && a.reason === b.reason;

/**
 * Camera health: the changes into `camera_health` (heartbeats are not history: at one per camera
 * per minute they would be 1,440 rows per camera and day saying "still the same"), and the latest
 * state per camera, heartbeats included, upserted into `camera_status`. An event older than the row's `last_seen` changes
 * nothing (a late or replayed message; equal times: the later message wins). A newer one sets `last_seen` (never past the database's
 * now: a gateway clock running ahead must not keep a camera fresh) and the state; `since` moves only
 * when status or reason differ from the row's, so a heartbeat keeps "in this state since"; `heartbeats` turns true
 * with the camera's first heartbeat (its gateway re-states: its silence means something). One
 * upsert per camera and batch: heartbeats cost one upsert per camera per minute.
 */
export function healthInsert(all: readonly CameraHealth[]): Statement {
  const l = latestHealth(all);
  const rows = all.filter((r) => r.heartbeat !== true);
  return {
    text: `WITH ins AS (
        INSERT INTO camera_health (event_id, event_time, gateway_id, camera_id, status, reason, detail, decoded_fps, last_frame_age_s, detector_ms)
        SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
          $8::real[], $9::real[], $10::real[])
        ON CONFLICT DO NOTHING RETURNING 1),
      u AS (SELECT * FROM unnest($11::text[], $12::text[], $13::text[], $14::text[], $15::timestamptz[], $16::timestamptz[], $17::boolean[],
          $18::boolean[]) AS u(c, g, s, r, si, ls, changed, beats))
      INSERT INTO camera_status (camera_id, gateway_id, status, reason, since, last_seen, heartbeats)
      SELECT c, g, s, r, LEAST(si, now()), LEAST(ls, now()), beats FROM u
      ON CONFLICT (camera_id) DO UPDATE SET gateway_id = EXCLUDED.gateway_id, status = EXCLUDED.status, reason = EXCLUDED.reason,
        since = CASE WHEN camera_status.status = EXCLUDED.status AND camera_status.reason = EXCLUDED.reason
                      AND NOT (SELECT changed FROM u WHERE u.c = EXCLUDED.camera_id) THEN camera_status.since ELSE EXCLUDED.since END,
        last_seen = EXCLUDED.last_seen, heartbeats = camera_status.heartbeats OR EXCLUDED.heartbeats
      WHERE camera_status.last_seen <= EXCLUDED.last_seen`,
    values: [
      col(rows, (r) => r.eventId),
      col(rows, (r) => r.eventTime),
      col(rows, (r) => r.gatewayId),
      col(rows, (r) => r.cameraId),
      col(rows, (r) => r.status),
      col(rows, (r) => r.reason),
      col(rows, (r) => r.detail ?? null),
      col(rows, (r) => r.stats?.decodedFps ?? null),
      col(rows, (r) => r.stats?.lastFrameAgeSeconds ?? null),
      col(rows, (r) => r.stats?.detectorMs ?? null),
      col(l, (x) => x.h.cameraId),
      col(l, (x) => x.h.gatewayId),
      col(l, (x) => x.h.status),
      col(l, (x) => x.h.reason),
      col(l, (x) => x.since),
      col(l, (x) => x.h.eventTime),
      col(l, (x) => x.changed),
      col(l, (x) => x.beats),
    ],
  };
}

export function alertInsert(rows: readonly Alert[], rollup: boolean): Statement {
  const insert = `INSERT INTO alerts (alert_id, event_time, rule_id, rule_kind, key, type, severity, title, window_start, window_end,
      count, violation_ids, camera_ids, zone_id, grid_id, community_id, shop_id, labels, evidence, created_at)
    SELECT a.alert_id, a.event_time, a.rule_id, a.rule_kind, a.key, a.type, a.severity, a.title, a.window_start, a.window_end,
      a.count, ARRAY(SELECT jsonb_array_elements_text(a.violation_ids)), ARRAY(SELECT jsonb_array_elements_text(a.camera_ids)),
      a.zone_id, a.grid_id, a.community_id, a.shop_id, a.labels, a.evidence, a.created_at
    FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
      $9::timestamptz[], $10::timestamptz[], $11::int[], $12::jsonb[], $13::jsonb[], $14::text[], $15::text[], $16::text[],
      $17::text[], $18::jsonb[], $19::jsonb[], $20::timestamptz[])
      AS a(alert_id, event_time, rule_id, rule_kind, key, type, severity, title, window_start, window_end, count,
           violation_ids, camera_ids, zone_id, grid_id, community_id, shop_id, labels, evidence, created_at)
    ON CONFLICT DO NOTHING`;
  const text = rollup
    ? `WITH ins AS (${insert} RETURNING event_time, rule_id, type, severity)
       INSERT INTO alerts_hourly (bucket, rule_id, type, severity, alerts)
       SELECT date_trunc('hour', event_time), rule_id, type, severity, count(*) FROM ins GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
       ON CONFLICT (bucket, rule_id, type, severity) DO UPDATE SET alerts = alerts_hourly.alerts + EXCLUDED.alerts`
    : insert;
  return {
    text,
    values: [
      col(rows, (r) => r.alertId),
      col(rows, (r) => r.eventTime),
      col(rows, (r) => r.ruleId),
      col(rows, (r) => r.ruleKind),
      col(rows, (r) => r.key),
      col(rows, (r) => r.type),
      col(rows, (r) => r.severity),
      col(rows, (r) => r.title),
      col(rows, (r) => r.window.start),
      col(rows, (r) => r.window.end),
      col(rows, (r) => r.count),
      col(rows, (r) => JSON.stringify(r.violationIds)),
      col(rows, (r) => JSON.stringify(r.site.cameraIds)),
      col(rows, (r) => r.site.zoneId ?? null),
      col(rows, (r) => r.site.gridId ?? null),
      col(rows, (r) => r.site.communityId ?? null),
      col(rows, (r) => r.site.shopId ?? null),
      col(rows, (r) => JSON.stringify(r.labels)),
      col(rows, (r) => JSON.stringify(r.evidence)),
      col(rows, (r) => r.createdAt),
    ],
  };
}

export function scoreChangeInsert(rows: readonly ShopScoreChange[]): Statement {
  return {
    text: `INSERT INTO shop_score_changes (event_id, event_time, rule_id, shop_id, score, colour, previous_colour)
      SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::float8[], $6::text[], $7::text[])
      ON CONFLICT DO NOTHING`,
    values: [
      col(rows, (r) => r.eventId),
      col(rows, (r) => r.eventTime),
      col(rows, (r) => r.ruleId),
      col(rows, (r) => r.shopId),
      col(rows, (r) => r.score),
      col(rows, (r) => r.colour),
      col(rows, (r) => r.previousColour),
    ],
  };
}

/**
 * Flow counts: one minute row per message, class and direction (`ON CONFLICT DO NOTHING`: a
 * redelivered message is a no-op), and in the same statement the hourly rollup upserted from the
 * rows actually inserted, keyed by hour (UTC), camera, line, class and direction. Both storage
 * modes run this statement (TimescaleDB: both tables are hypertables).
 */
export function flowInsert(rows: readonly FlowCount[]): Statement {
  const flat = rows.flatMap((r) => r.counts.map((c) => ({ r, c })));
  return {
    text: `WITH ins AS (
        INSERT INTO flow_counts_minute (event_id, minute, object_class, direction, gateway_id, camera_id, line_id, grid_id, community_id, count, observed_s)
        SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
          $10::int[], $11::real[])
        ON CONFLICT DO NOTHING
        RETURNING minute, camera_id, line_id, object_class, direction, grid_id, community_id, count, observed_s)
      INSERT INTO flow_counts_hourly (bucket, camera_id, line_id, object_class, direction, grid_id, community_id, count, observed_s)
      SELECT date_trunc('hour', minute, 'UTC'), camera_id, line_id, object_class, direction, max(grid_id), max(community_id), sum(count), sum(observed_s)
      FROM ins GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
      ON CONFLICT (bucket, camera_id, line_id, object_class, direction) DO UPDATE
      SET count = flow_counts_hourly.count + EXCLUDED.count, observed_s = flow_counts_hourly.observed_s + EXCLUDED.observed_s,
        grid_id = COALESCE(EXCLUDED.grid_id, flow_counts_hourly.grid_id), community_id = COALESCE(EXCLUDED.community_id, flow_counts_hourly.community_id)`,
    values: [
      col(flat, (x) => x.r.eventId),
      col(flat, (x) => x.r.minute),
      col(flat, (x) => x.c.objectClass),
      col(flat, (x) => x.c.direction),
      col(flat, (x) => x.r.gatewayId),
      col(flat, (x) => x.r.cameraId),
      col(flat, (x) => x.r.lineId),
      col(flat, (x) => x.r.gridId ?? null),
      col(flat, (x) => x.r.communityId ?? null),
      col(flat, (x) => x.c.count),
      col(flat, (x) => x.r.observedSeconds),
    ],
  };
}
