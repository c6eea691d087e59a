// Runs through the API: submit, follow until the run ends, cancel. No DOM here.
import { errorOf, post, send, url } from "./api.js";
import { TERMINAL } from "./format.js";

/** Rows per page of a result (the grid's page; the first one comes with a quick run). */
export const PAGE_SIZE = 100;
/** Rows a table preview reads. */
export const PREVIEW_ROWS = 100;
const SUBMIT_WAIT_MS = 500;
const POLL_WAIT_MS = 1000;
const RETRY_DELAY_MS = 1000;
const MAX_RETRIES = 30;

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The run and error of a submission's answer: 200/202 carry the run, a failed run answers
 * 4xx/5xx with {error, run}, other failures (unknown connection, bad request) with {error}.
 */
function outcome(answer) {
  if (answer.ok) return { run: answer.data, error: answer.data?.error || null };
  if (answer.data?.run) return { run: answer.data.run, error: answer.data.error };
  return { run: null, error: errorOf(answer) };
}

async function submitTo(path, body) {
  try {
    return outcome(await send("POST", path, body));
  } catch (error) {
    return { run: null, error };
  }
}

/**
 * Submit a query ({connection, sql}) or a direct table read ({connection, table: {schema, name},
 * max_rows or export}); resolves to {run, error} as soon as the server answers (maybe still
 * running). A run that ended within the wait carries its first page of rows as `run.result`.
 */
export const submit = (body) =>
  submitTo("/api/v1/runs", { surface: "sqllab", wait_ms: SUBMIT_WAIT_MS, page_size: PAGE_SIZE, ...body });

/** Run a saved query (its SQL on its connection, as yourself): resolves as submit() does. */
export const submitSaved = (id) =>
  submitTo(`/api/v1/saved-queries/${encodeURIComponent(id)}/run`, {
    surface: "sqllab",
    wait_ms: SUBMIT_WAIT_MS,
    page_size: PAGE_SIZE,
  });

/**
 * Follow a run until it ends, calling onProgress(run) with each answer. Stops early (resolving
 * to the last run seen) once isStale() is true. Network hiccups and 5xx answers are retried.
 */
export async function follow(run, { onProgress = () => {}, isStale = () => false } = {}) {
  let retries = 0;
  while (!TERMINAL.has(run.status) && !isStale()) {
    let answer;
    try {
      answer = await send(
        "GET",
        url(`/api/v1/runs/${encodeURIComponent(run.id)}`, { wait_ms: POLL_WAIT_MS }),
      );
    } catch (error) {
      answer = { status: 0, ok: false, data: { error: { code: error.code, message: error.message } } };
    }
    if (isStale()) break;
    if (answer.ok) {
      retries = 0;
      run = answer.data;
      onProgress(run);
    } else if ((answer.status === 0 || answer.status >= 500) && retries < MAX_RETRIES) {
      retries += 1;
      await pause(RETRY_DELAY_MS);
    } else {
      return { run, error: errorOf(answer) };
    }
  }
  return { run, error: run.error || null };
}

/** Submit and follow to the end: resolves to {run, error}. */
export async function execute(body, options = {}) {
  const first = await submit(body);
  if (!first.run || TERMINAL.has(first.run.status)) return first;
  options.onProgress?.(first.run);
  return follow(first.run, options);
}

/** Ask the server to cancel a run; resolves to the run (cancelled unless it had ended). */
export async function cancel(runId) {
  return post(`/api/v1/runs/${encodeURIComponent(runId)}/cancel`);
}

/**
 * Where a run's stored result downloads in a format (csv, json, parquet); `name` (what the
 * query is called) names the file, made safe by the server: `<name>-<yyyy-mm-dd>.csv`.
 */
export const exportUrl = (runId, format, name = null) =>
  url(`/api/v1/runs/${encodeURIComponent(runId)}/export`, { format, name: name || null });
