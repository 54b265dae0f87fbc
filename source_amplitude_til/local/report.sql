-- What visitors read, from a DuckDB file written by `make sync` (run by report.py).
-- Statements before the first "-- # " heading set up views; each heading titles one printed table.
-- Tables and columns are those PyAirbyte writes: one table per stream, lower-case column names.

-- Page views from the raw export. Amplitude's charts count an event on the day of its event_time
-- (UTC here), so the same day is used to compare raw events with event_segmentation.
CREATE OR REPLACE TEMP VIEW page_views AS
SELECT
    CAST(event_time AS DATE) AS day,
    amplitude_id,
    country,
    event_properties ->> '$."[Amplitude] Page Path"' AS page
FROM events
WHERE event_type = '[Amplitude] Page Viewed';

CREATE OR REPLACE TEMP VIEW page_chart AS
SELECT date AS day, "group" AS page, totals AS views, uniques AS visitors
FROM event_segmentation
WHERE event_type = '[Amplitude] Page Viewed' AND group_by = '[Amplitude] Page Path';

-- The last 7 days of the data: up to the newest day of the chart, and never before its first day,
-- so both sides of the comparison cover the same days.
CREATE OR REPLACE TEMP VIEW report_days AS
SELECT greatest(min(day), max(day) - 6) AS first_day, max(day) AS last_day
FROM page_chart;

-- # Top 10 pages of the last 7 days: event_segmentation beside raw events (visitors: sum of daily uniques)
WITH chart AS (
    SELECT page, sum(views) AS views, sum(visitors) AS visitors
    FROM page_chart, report_days
    WHERE day BETWEEN first_day AND last_day
    GROUP BY page
),
raw AS (
    SELECT page, count(*) AS views, count(DISTINCT (day, amplitude_id)) AS visitors
    FROM page_views, report_days
    WHERE day BETWEEN first_day AND last_day
    GROUP BY page
)
SELECT
    page,
    CAST(chart.views AS BIGINT) AS views,
    CAST(chart.visitors AS BIGINT) AS visitors,
    raw.views AS "views (events)",
    raw.visitors AS "visitors (events)",
    CASE WHEN chart.views = raw.views AND chart.visitors = raw.visitors THEN 'yes' ELSE 'NO' END AS agree
FROM chart FULL JOIN raw USING (page)
ORDER BY coalesce(chart.views, raw.views) DESC, page
LIMIT 10;

-- # Top countries by visitors, same 7 days (raw events)
SELECT
    coalesce(country, '(unknown)') AS country,
    count(DISTINCT amplitude_id) AS visitors,
    count(*) AS "page views"
FROM page_views, report_days
WHERE day BETWEEN first_day AND last_day
GROUP BY ALL
ORDER BY visitors DESC, country
LIMIT 10;

-- # The 10 known users who read most in the cohort with the most known users, and the pages each read most (all synced days)
WITH cohort AS (
    SELECT cohort_id
    FROM cohort_members
    WHERE user_id IS NOT NULL
    GROUP BY cohort_id
    ORDER BY count(*) DESC, cohort_id
    LIMIT 1
),
reads AS (
    SELECT member.cohort_id, member.user_id, viewed.page, count(viewed.page) AS views
    FROM cohort_members AS member
    JOIN cohort USING (cohort_id)
    LEFT JOIN page_views AS viewed USING (amplitude_id)
    WHERE member.user_id IS NOT NULL
    GROUP BY ALL
),
ranked AS (
    SELECT *, row_number() OVER (PARTITION BY cohort_id, user_id ORDER BY views DESC, page) AS rank
    FROM reads
)
SELECT
    coalesce(cohorts.name, cohort_id) AS cohort,
    user_id,
    CAST(sum(views) AS BIGINT) AS "page views",
    coalesce(string_agg(page || ' (' || views || ')', ', ' ORDER BY rank) FILTER (WHERE rank <= 3 AND views > 0), '-')
        AS "most read pages"
FROM ranked
LEFT JOIN cohorts ON cohorts.id = ranked.cohort_id
GROUP BY ALL
ORDER BY "page views" DESC, user_id
LIMIT 10;

-- # Syncs into this file (newest first)
SELECT
    strftime(started_at, '%Y-%m-%d %H:%M:%S') || ' UTC' AS started,
    round(seconds, 1) AS seconds,
    records_read AS "records read"
FROM sync_log
ORDER BY started_at DESC
LIMIT 5;
