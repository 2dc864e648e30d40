// mediagen in the browser: one plain ES module, no dependencies, talking only to this origin.

const KEY_STORAGE = 'mediagen.apiKey';
const TERMINAL = new Set(['succeeded', 'failed', 'canceled']);
const ACTIVE = new Set(['queued', 'processing']);
const WAIT_SECONDS = 25;
const PAGE_SIZE = 12;
/** Thumbnails are laid out at most this wide (CSS pixels); the attribute reserves their space. */
const THUMB_SIZE = 160;
const NUMBER_FIELDS = ['width', 'height', 'num_outputs', 'seed'];
const FIELD_LABELS = { width: 'Width', height: 'Height', num_outputs: 'Number of outputs', seed: 'Seed' };

/** The element with this id (the page is static, so a missing one is a bug). */
function byId(id) {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is missing from the page`);
  return element;
}

/** A new element with attributes and children (strings become text, never HTML). */
function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') element.className = value;
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  element.append(...children.filter((child) => child !== undefined && child !== null));
  return element;
}

function sleep(ms, signal) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}

const isAbort = (error) => error instanceof DOMException && error.name === 'AbortError';

// ---------------------------------------------------------------------------------------------
// API access

let apiKey = readStoredKey();

function readStoredKey() {
  try {
    return sessionStorage.getItem(KEY_STORAGE) ?? '';
  } catch {
    return '';
  }
}

function storeKey(key) {
  apiKey = key;
  try {
    if (key) sessionStorage.setItem(KEY_STORAGE, key);
    else sessionStorage.removeItem(KEY_STORAGE);
  } catch {
    // Storage disabled: the key still works until the tab reloads.
  }
}

function withAuth(headers = {}) {
  return apiKey ? { ...headers, authorization: `Bearer ${apiKey}` } : { ...headers };
}

/** An error answer, carrying its RFC 9457 problem document. */
class ProblemError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `The server answered ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

/** Calls the API; resolves to the parsed JSON and the response, throws a ProblemError on 4xx/5xx. */
async function api(path, { method = 'GET', body, headers = {}, signal } = {}) {
  const init = { method, headers: withAuth({ accept: 'application/json', ...headers }), signal, cache: 'no-store' };
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  const type = response.headers.get('content-type') ?? '';
  const data = type.includes('json') ? await response.json().catch(() => null) : null;
  if (!response.ok) {
    const problem =
      data && typeof data === 'object'
        ? data
        : {
            title: response.statusText || 'Error',
            status: response.status,
            detail: `The server answered ${response.status}`,
          };
    throw new ProblemError(response.status, problem);
  }
  return { data, response };
}

/** A problem for any failure: the server's, or one describing a network error. */
function problemOf(error) {
  if (error instanceof ProblemError) return error.problem;
  return { title: 'Network error', detail: 'The server could not be reached. Check the connection and try again.' };
}

/**
 * The path (and query) of an output URL. Output URLs are absolute and built from the server's
 * PUBLIC_BASE_URL, which may not be where this page is served: media is always read from here.
 */
function localPath(url) {
  try {
    const parsed = new URL(url, window.location.href);
    return `${parsed.pathname}${parsed.search}`;
  } catch {
    return null;
  }
}

/** The `next` path of a page, accepted only if it is a list path of this API. */
function safeNextPath(next) {
  if (!next) return null;
  try {
    const parsed = new URL(next, window.location.origin);
    if (parsed.origin !== window.location.origin || parsed.pathname !== '/v1/jobs') return null;
    return `${parsed.pathname}${parsed.search}`;
  } catch {
    return null;
  }
}

/** A fresh UUID; crypto.randomUUID needs a secure context, so plain http gets a v4 built by hand. */
function newIdempotencyKey() {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Media fetched with the API key and shown through blob: URLs. `reset()` aborts what is still
 * loading and revokes every URL handed out, so replaced media does not leak.
 */
class MediaSet {
  #urls = [];
  #controller = new AbortController();

  reset() {
    this.#controller.abort();
    this.#controller = new AbortController();
    for (const url of this.#urls) URL.revokeObjectURL(url);
    this.#urls = [];
  }

  async load(output) {
    const signal = this.#controller.signal;
    const path = localPath(output.url);
    if (!path) throw new Error('the output has no usable URL');
    const response = await fetch(path, { headers: withAuth(), signal });
    if (!response.ok) throw new Error(`the server answered ${response.status}`);
    let blob = await response.blob();
    if (!blob.type && output.contentType) blob = new Blob([blob], { type: output.contentType });
    const url = URL.createObjectURL(blob);
    if (signal.aborted) {
      URL.revokeObjectURL(url);
      throw new DOMException('replaced', 'AbortError');
    }
    this.#urls.push(url);
    return url;
  }
}

// ---------------------------------------------------------------------------------------------
// Formatting

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const shortDateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'short', timeStyle: 'short' });

function timeElement(iso, format = dateTime) {
  if (!iso) return document.createTextNode('—');
  return h('time', { datetime: iso }, format.format(new Date(iso)));
}

function duration(fromIso, toIso) {
  const ms = new Date(toIso).getTime() - new Date(fromIso).getTime();
  if (!Number.isFinite(ms) || ms < 0) return '';
  if (ms < 1000) return `${ms} ms`;
  if (ms < 90_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.round(ms / 60_000)} min`;
}

function formatBytes(bytes) {
  if (!Number.isFinite(bytes)) return '';
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

const STATUS_LABELS = {
  queued: 'Queued',
  processing: 'Processing',
  succeeded: 'Succeeded',
  failed: 'Failed',
  canceled: 'Canceled',
};

function statusLabel(status) {
  return STATUS_LABELS[status] ?? status;
}

function fileName(output, index) {
  const path = localPath(output.url) ?? '';
  return path.split('?')[0].split('/').pop() || `output-${index + 1}`;
}

/** Fills `box` with a problem: title and status, detail, and each field error. */
function showProblem(box, problem, hint) {
  const title = `${problem.title ?? 'Error'}${problem.status ? ` (${problem.status})` : ''}`;
  const children = [h('p', { class: 'problem-title' }, title)];
  if (problem.detail) children.push(h('p', { class: 'problem-detail' }, problem.detail));
  if (Array.isArray(problem.errors) && problem.errors.length > 0) {
    children.push(
      h(
        'ul',
        { class: 'problem-errors' },
        ...problem.errors.map((item) =>
          h('li', {}, h('code', {}, String(item.field ?? '')), ' ', String(item.message ?? 'is invalid')),
        ),
      ),
    );
  }
  if (hint) children.push(h('p', { class: 'problem-hint' }, hint));
  box.replaceChildren(...children);
  box.hidden = false;
}

function hideProblem(box) {
  box.hidden = true;
  box.replaceChildren();
}

function hintFor(error) {
  if (error instanceof ProblemError && error.status === 401) return 'Enter a valid API key above.';
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// API key

const keyForm = byId('key-form');
const keyInput = byId('api-key');
const keyStatus = byId('key-status');

keyInput.value = apiKey;
keyStatus.textContent = apiKey ? 'A key is in use in this tab.' : '';

keyForm.addEventListener('submit', (event) => {
  event.preventDefault();
  storeKey(keyInput.value.trim());
  keyStatus.textContent = apiKey ? 'Key in use for this tab.' : 'No key: requests are sent without one.';
  reloadGallery();
});

byId('forget-key').addEventListener('click', () => {
  keyInput.value = '';
  storeKey('');
  keyStatus.textContent = 'Key forgotten.';
  reloadGallery();
});

// ---------------------------------------------------------------------------------------------
// New job

const form = byId('generate-form');
const submitButton = byId('generate');
const submitStatus = byId('submit-status');
const formProblem = byId('form-problem');
let idempotencyKey = null;
let submitting = false;

// One key per form content: resubmitting the same form (a double click, a retry after a network
// error) returns the job already made; any change to the form makes the next submit a new job.
form.addEventListener('input', () => {
  idempotencyKey = null;
  submitStatus.textContent = '';
});
form.addEventListener('change', () => {
  idempotencyKey = null;
});

/** The form as a generate request, or the problems that keep it from being sent. */
function readForm() {
  const errors = [];
  const prompt = byId('prompt').value;
  if (!prompt.trim()) errors.push({ field: 'prompt', message: 'Enter a prompt.' });
  const body = { prompt };
  const model = byId('model').value.trim();
  if (model) body.model = model;
  const input = {};
  const extra = byId('extra').value.trim();
  if (extra) {
    let parsed;
    try {
      parsed = JSON.parse(extra);
    } catch {
      parsed = undefined;
    }
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) Object.assign(input, parsed);
    else errors.push({ field: 'input', message: 'Other inputs must be a JSON object, like {"key": "value"}.' });
  }
  for (const name of NUMBER_FIELDS) {
    const element = byId(name);
    if (element.validity.badInput || element.validity.stepMismatch) {
      errors.push({ field: `input.${name}`, message: `${FIELD_LABELS[name]} must be a whole number.` });
    } else if (element.value !== '') {
      input[name] = Number(element.value);
    }
  }
  if (Object.keys(input).length > 0) body.input = input;
  return { body, errors };
}

/** The form control a problem's field names. */
function controlFor(field) {
  if (field === 'prompt' || field === 'model') return byId(field);
  const name = String(field).replace(/^input\./, '');
  if (NUMBER_FIELDS.includes(name)) return byId(name);
  if (String(field).startsWith('input')) return byId('extra');
  return null;
}

function markInvalid(errors) {
  for (const control of form.querySelectorAll('[aria-invalid]')) control.removeAttribute('aria-invalid');
  for (const item of errors ?? []) {
    const control = controlFor(item.field);
    if (!control) continue;
    control.setAttribute('aria-invalid', 'true');
    if (control.id === 'extra') control.closest('details').open = true;
  }
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  if (submitting) return;
  const { body, errors } = readForm();
  markInvalid(errors);
  if (errors.length > 0) {
    showProblem(formProblem, { title: 'Check the form', detail: 'The job was not sent.', errors });
    formProblem.focus();
    return;
  }
  hideProblem(formProblem);
  idempotencyKey ??= newIdempotencyKey();
  submitting = true;
  submitButton.disabled = true;
  form.setAttribute('aria-busy', 'true');
  submitStatus.textContent = 'Submitting…';
  try {
    const { data: job, response } = await api('/v1/generate', {
      method: 'POST',
      body,
      headers: { 'idempotency-key': idempotencyKey },
    });
    const replayed = response.headers.get('idempotent-replayed') === 'true';
    submitStatus.textContent = replayed
      ? 'Already submitted: this is the same job. Change the form to make a new one.'
      : 'Job submitted.';
    follow(job);
    revealJob();
    if (gallery.page === 1) reloadGallery();
  } catch (error) {
    submitStatus.textContent = '';
    const problem = problemOf(error);
    markInvalid(problem.errors);
    showProblem(formProblem, problem, hintFor(error));
    formProblem.focus();
  } finally {
    submitting = false;
    submitButton.disabled = false;
    form.removeAttribute('aria-busy');
  }
});

// ---------------------------------------------------------------------------------------------
// The followed job

const jobPanel = byId('job-panel');
const jobHeading = byId('job-heading');
const jobCard = byId('job-card');
const jobStatus = byId('job-status');
const jobNote = byId('job-note');
const jobProblem = byId('job-problem');
const jobOutputs = byId('job-outputs');
const announcer = byId('job-announcer');
const cancelButton = byId('cancel-job');
const jobMedia = new MediaSet();
let following = null;
let shownJob = null;
let shownOutputs = '';
let announced = '';

jobHeading.tabIndex = -1;

/** Shows `job` in the card and, until it ends, follows it live (its event stream, or long polls). */
function follow(job) {
  following?.controller.abort();
  following = { id: job.id, controller: new AbortController() };
  hideProblem(jobProblem);
  jobPanel.hidden = false;
  renderJob(job);
  if (window.location.hash !== `#job=${job.id}`) window.history.replaceState(null, '', `#job=${job.id}`);
  if (!TERMINAL.has(job.status)) void watch(job.id, following.controller.signal);
}

/**
 * A small Server-Sent Events reader: feed it text as it arrives, it calls `onEvent` with each
 * complete event ({ event, id, data }) and `onRetry` with a reconnection delay the server asks for.
 * (EventSource would be simpler, but it cannot send the API key.)
 */
function eventStreamParser(onEvent, onRetry) {
  let buffer = '';
  let fields = { event: 'message', id: undefined, data: [] };
  const dispatch = () => {
    if (fields.data.length > 0) onEvent({ event: fields.event, id: fields.id, data: fields.data.join('\n') });
    fields = { event: 'message', id: fields.id, data: [] };
  };
  return (text) => {
    buffer += text;
    const lines = buffer.split(/\r\n|\r|\n/);
    buffer = lines.pop() ?? '';
    for (const line of lines) {
      if (line === '') dispatch();
      else if (!line.startsWith(':')) {
        const colon = line.indexOf(':');
        const name = colon === -1 ? line : line.slice(0, colon);
        const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (name === 'data') fields.data.push(value);
        else if (name === 'event') fields.event = value;
        else if (name === 'id') fields.id = value;
        else if (name === 'retry' && /^\d+$/.test(value)) onRetry(Number(value));
      }
    }
  };
}

/**
 * Follows a job through `GET /v1/jobs/{id}/events`: every status change, progress update and
 * the final job. A stream that ends early (a server restarting, or busy) is reopened with
 * Last-Event-ID; if streaming does not work here (an old proxy, an error), long polls take over.
 */
async function watch(id, signal) {
  let lastEventId;
  let retryMs = 2000;
  let fruitless = 0;
  while (!signal.aborted) {
    let response;
    try {
      const headers = withAuth({ accept: 'text/event-stream' });
      if (lastEventId) headers['last-event-id'] = lastEventId;
      response = await fetch(`/v1/jobs/${encodeURIComponent(id)}/events`, { headers, signal, cache: 'no-store' });
    } catch (error) {
      if (signal.aborted || isAbort(error)) return;
      return poll(id, signal);
    }
    const type = response.headers.get('content-type') ?? '';
    if (!response.ok || !type.startsWith('text/event-stream') || !response.body) {
      await response.body?.cancel().catch(() => undefined);
      return poll(id, signal);
    }
    let received = 0;
    let ended = false;
    const feed = eventStreamParser(
      (message) => {
        if (signal.aborted) return;
        received += 1;
        lastEventId = message.id;
        const data = JSON.parse(message.data);
        hideProblem(jobProblem);
        if (message.event === 'progress') renderProgress(data);
        else renderJob(data);
        if (message.event === 'done') {
          ended = true;
          jobFinished();
        }
      },
      (ms) => {
        retryMs = Math.max(1000, ms);
      },
    );
    try {
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      for (let chunk = await reader.read(); !chunk.done && !ended; chunk = await reader.read()) feed(chunk.value);
      if (ended) await reader.cancel().catch(() => undefined);
    } catch (error) {
      if (signal.aborted || isAbort(error)) return;
    }
    if (ended || signal.aborted) return;
    fruitless = received > 0 ? 0 : fruitless + 1;
    if (fruitless >= 3) return poll(id, signal);
    await sleep(retryMs, signal);
  }
}

/**
 * `GET /v1/status/{id}` with `Prefer: wait=25` in a loop: the server answers as soon as the job
 * ends, or after 25 s with its current state. Errors back off; a fast non-final answer (a server
 * or proxy ignoring Prefer) waits before the next request, so this never polls tightly.
 */
async function poll(id, signal) {
  let failures = 0;
  while (!signal.aborted) {
    const started = Date.now();
    try {
      const { data: job } = await api(`/v1/status/${encodeURIComponent(id)}`, {
        headers: { prefer: `wait=${WAIT_SECONDS}` },
        signal,
      });
      if (signal.aborted) return;
      failures = 0;
      hideProblem(jobProblem);
      renderJob(job);
      if (TERMINAL.has(job.status)) {
        jobFinished();
        return;
      }
      if (Date.now() - started < 1000) await sleep(2000, signal);
    } catch (error) {
      if (signal.aborted || isAbort(error)) return;
      const status = error instanceof ProblemError ? error.status : 0;
      if (status >= 400 && status < 500 && status !== 408 && status !== 429) {
        showProblem(jobProblem, problemOf(error), hintFor(error));
        jobCard.setAttribute('aria-busy', 'false');
        return;
      }
      failures += 1;
      const delay = Math.min(30_000, 1000 * 2 ** failures);
      jobNote.textContent = `Lost contact with the server; trying again in ${Math.round(delay / 1000)} s.`;
      await sleep(delay, signal);
    }
  }
}

function noteFor(job) {
  if (job.outputsExpiredAt) return 'The outputs of this job were deleted by the retention policy.';
  switch (job.status) {
    case 'queued':
      return isRetrying(job) ? 'The last attempt failed; waiting for another one.' : 'Waiting for a worker.';
    case 'processing':
      return 'A worker is generating the media.';
    case 'succeeded':
      return job.outputs.length === 1 ? 'One output.' : `${job.outputs.length} outputs.`;
    case 'failed':
      return 'No attempt succeeded.';
    case 'canceled':
      return 'The job was canceled.';
    default:
      return '';
  }
}

/** A queued job that already ran an attempt is waiting for its retry. */
function isRetrying(job) {
  return job.status === 'queued' && job.attempts > 0;
}

function renderJob(job) {
  shownJob = job;
  const shortId = job.id.slice(0, 8);
  jobStatus.textContent = isRetrying(job) ? 'Retrying' : statusLabel(job.status);
  jobStatus.dataset.status = job.status;
  byId('job-prompt').textContent = job.prompt;
  byId('job-id').textContent = job.id;
  byId('job-model').textContent = job.model;
  byId('job-attempts').textContent = `${job.attempts} of ${job.maxAttempts}`;
  const errorRow = byId('job-error-row');
  errorRow.hidden = !job.error;
  if (job.error) {
    const retry = job.error.retryable && ACTIVE.has(job.status) ? ' (will be retried)' : '';
    byId('job-error').replaceChildren(h('code', {}, job.error.code), ` ${job.error.message}${retry}`);
  }
  byId('job-created').replaceChildren(timeElement(job.createdAt));
  const waited = job.startedAt ? duration(job.createdAt, job.startedAt) : '';
  byId('job-started').replaceChildren(timeElement(job.startedAt), waited ? ` (after ${waited} queued)` : '');
  const ran = job.completedAt && job.startedAt ? duration(job.startedAt, job.completedAt) : '';
  byId('job-completed').replaceChildren(timeElement(job.completedAt), ran ? ` (ran ${ran})` : '');
  const queueRow = byId('job-queue-row');
  queueRow.hidden = job.status !== 'queued' || typeof job.queuePosition !== 'number';
  if (!queueRow.hidden) {
    byId('job-queue').textContent =
      job.queuePosition === 0 ? 'Next in line' : `About ${job.queuePosition} ahead (approximate)`;
  }
  renderElapsed();
  renderProgress(job.status === 'processing' ? job.progress : null);
  renderHistory(job.attemptHistory ?? []);
  jobNote.textContent = noteFor(job);
  const active = ACTIVE.has(job.status);
  jobCard.setAttribute('aria-busy', String(active));
  if (!active && document.activeElement === cancelButton) jobHeading.focus();
  cancelButton.hidden = !active;

  const announcement = `${job.id}:${job.status}`;
  if (announcement !== announced) {
    announced = announcement;
    announcer.textContent = `Job ${shortId}: ${statusLabel(job.status).toLowerCase()}.`;
  }
  const outputsKey = `${job.id}:${job.outputsExpiredAt ?? ''}:${job.outputs.map((output) => output.sha256).join(',')}`;
  if (outputsKey !== shownOutputs) {
    shownOutputs = outputsKey;
    renderOutputs(job);
  }
}

/** The progress bar: shown while an attempt runs, with the percent (or busy, without one) and the latest message. */
function renderProgress(progress) {
  const box = byId('job-progress');
  const running = shownJob?.status === 'processing';
  box.hidden = !running;
  if (!running) return;
  const bar = byId('job-progress-bar');
  const percent = typeof progress?.percent === 'number' ? progress.percent : null;
  if (percent === null) bar.removeAttribute('value');
  else bar.value = percent;
  const parts = [percent === null ? 'Working…' : `${percent}%`];
  if (progress?.message) parts.push(progress.message);
  byId('job-progress-label').textContent = parts.join(' · ');
  renderElapsed();
}

function renderHistory(history) {
  const box = byId('job-history-box');
  box.hidden = history.length === 0;
  // A failed attempt is worth seeing without a click.
  if (history.some((entry) => entry.error)) box.open = true;
  byId('job-history').replaceChildren(
    ...history.map((entry) => {
      const ended = entry.endedAt ? duration(entry.startedAt, entry.endedAt) : '';
      const outcome = entry.endedAt
        ? entry.error
          ? [' failed after ', ended, ': ', h('code', {}, entry.error.code), ` ${entry.error.message}`]
          : [` ended after ${ended}`]
        : [' running'];
      return h('li', {}, `Attempt ${entry.attempt}, started `, timeElement(entry.startedAt), ...outcome);
    }),
  );
}

/** Time since the job was created: until now while it runs, until it ended once it did. */
function renderElapsed() {
  if (!shownJob) return;
  const until = shownJob.completedAt ?? new Date().toISOString();
  byId('job-elapsed').textContent = duration(shownJob.createdAt, until) || '0 ms';
}

setInterval(() => {
  if (shownJob && ACTIVE.has(shownJob.status)) renderElapsed();
}, 1000);

function renderOutputs(job) {
  jobMedia.reset();
  jobOutputs.replaceChildren();
  if (job.outputsExpiredAt || job.outputs.length === 0) return;
  const items = job.outputs.map((output, index) => {
    const label = `Output ${index + 1} of ${job.outputs.length}`;
    const placeholder = h('p', { class: 'media-placeholder' }, 'Loading…');
    const caption = h('figcaption', {}, `${label} · ${output.contentType} · ${formatBytes(output.bytes)}`);
    const figure = h('figure', { class: 'output' }, placeholder, caption);
    jobMedia
      .load(output)
      .then((url) => {
        placeholder.replaceWith(mediaElement(output, url, `${label} for “${job.prompt}”`));
        caption.append(' · ', h('a', { href: url, download: fileName(output, index) }, 'Download'));
      })
      .catch((error) => {
        if (!isAbort(error)) placeholder.textContent = `Could not load this output: ${error.message}.`;
      });
    return h('li', {}, figure);
  });
  jobOutputs.replaceChildren(h('ul', { class: 'output-list' }, ...items));
}

function mediaElement(output, url, label) {
  const type = output.contentType ?? '';
  if (type.startsWith('image/')) return h('img', { src: url, alt: label, decoding: 'async' });
  if (type.startsWith('video/'))
    return h('video', { src: url, controls: true, preload: 'metadata', 'aria-label': label });
  if (type.startsWith('audio/'))
    return h('audio', { src: url, controls: true, preload: 'metadata', 'aria-label': label });
  return h('p', { class: 'media-placeholder' }, `${label}: ${type || 'a file'} (use Download).`);
}

/** Scrolls the job card into view (on a phone it is below the form). */
function revealJob(block = 'nearest') {
  const still = window.matchMedia('(prefers-reduced-motion: reduce)').matches;
  jobPanel.scrollIntoView({ behavior: still ? 'auto' : 'smooth', block });
}

function jobFinished() {
  if (gallery.page === 1) reloadGallery();
}

cancelButton.addEventListener('click', async () => {
  if (!following) return;
  const { id } = following;
  cancelButton.disabled = true;
  try {
    const { data: job } = await api(`/v1/jobs/${encodeURIComponent(id)}/cancel`, { method: 'POST' });
    if (following?.id !== id) return;
    following.controller.abort();
    hideProblem(jobProblem);
    renderJob(job);
    jobFinished();
  } catch (error) {
    if (error instanceof ProblemError && error.status === 409) {
      // It ended first: show how.
      const { data: job } = await api(`/v1/status/${encodeURIComponent(id)}`).catch(() => ({ data: null }));
      if (job && following?.id === id) renderJob(job);
      jobNote.textContent = 'The job had already ended, so it could not be canceled.';
    } else {
      showProblem(jobProblem, problemOf(error), hintFor(error));
    }
  } finally {
    cancelButton.disabled = false;
  }
});

// ---------------------------------------------------------------------------------------------
// Recent jobs

const statusFilter = byId('status-filter');
const galleryList = byId('gallery');
const galleryStatus = byId('gallery-status');
const galleryProblem = byId('gallery-problem');
const galleryHeading = byId('gallery-heading');
const nextButton = byId('next-page');
const firstButton = byId('first-page');
const galleryMedia = new MediaSet();
const thumbObservers = [];
const gallery = { page: 1, path: null, next: null, controller: null };

galleryHeading.tabIndex = -1;

function firstPagePath() {
  const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
  if (statusFilter.value) query.set('status', statusFilter.value);
  return `/v1/jobs?${query}`;
}

function reloadGallery() {
  void loadGallery(firstPagePath(), 1);
}

async function loadGallery(path, page) {
  gallery.controller?.abort();
  const controller = new AbortController();
  gallery.controller = controller;
  galleryList.setAttribute('aria-busy', 'true');
  galleryStatus.textContent = 'Loading jobs…';
  try {
    const { data } = await api(path, { signal: controller.signal });
    if (controller.signal.aborted) return;
    hideProblem(galleryProblem);
    gallery.page = page;
    gallery.path = path;
    gallery.next = safeNextPath(data.next);
    renderGallery(data.data);
    const filter = statusFilter.value ? `${statusLabel(statusFilter.value).toLowerCase()} ` : '';
    galleryStatus.textContent =
      data.data.length === 0
        ? page === 1
          ? `No ${filter}jobs yet.`
          : 'No more jobs.'
        : `Page ${page}: ${data.data.length} ${filter}job${data.data.length === 1 ? '' : 's'}${gallery.next ? ', more on the next page' : ''}.`;
  } catch (error) {
    if (controller.signal.aborted || isAbort(error)) return;
    galleryStatus.textContent = '';
    showProblem(galleryProblem, problemOf(error), hintFor(error));
  } finally {
    if (gallery.controller === controller) {
      galleryList.setAttribute('aria-busy', 'false');
      nextButton.disabled = !gallery.next;
      firstButton.disabled = gallery.page === 1;
      // Keyboard users keep their place when the button they pressed turns off.
      if (document.activeElement instanceof HTMLButtonElement && document.activeElement.disabled) {
        galleryHeading.focus();
      }
    }
  }
}

function renderGallery(jobs) {
  galleryMedia.reset();
  for (const observer of thumbObservers.splice(0)) observer.disconnect();
  galleryList.replaceChildren(...jobs.map(galleryTile));
}

/** A thumbnail image: small in the layout, decoded off the main thread, loaded only near the viewport. */
function thumbImage(src) {
  return h('img', { src, alt: '', decoding: 'async', loading: 'lazy', width: THUMB_SIZE, height: THUMB_SIZE });
}

/**
 * Loads a tile's image once it comes near the viewport, so a page of tiles does not download every
 * full-size output at once. Without a key the browser does that itself (`loading=lazy`); with one,
 * the image is fetched with the key, as a blob, when the tile is about to show.
 */
function showThumb(thumb, output) {
  const path = localPath(output.url);
  if (!apiKey && path) {
    thumb.replaceChildren(thumbImage(path));
    return;
  }
  thumb.append(h('span', { class: 'thumb-text' }, '…'));
  const load = () =>
    galleryMedia
      .load(output)
      .then((url) => thumb.replaceChildren(thumbImage(url)))
      .catch((error) => {
        if (!isAbort(error)) thumb.replaceChildren(h('span', { class: 'thumb-text' }, 'No preview'));
      });
  if (!('IntersectionObserver' in window)) return void load();
  const observer = new IntersectionObserver(
    (entries) => {
      if (!entries.some((entry) => entry.isIntersecting)) return;
      observer.disconnect();
      void load();
    },
    { rootMargin: '200px' },
  );
  observer.observe(thumb);
  thumbObservers.push(observer);
}

function galleryTile(job) {
  const thumb = h('span', { class: 'thumb', 'data-status': job.status });
  const first = job.outputs[0];
  if (first && !job.outputsExpiredAt && first.contentType?.startsWith('image/')) {
    showThumb(thumb, first);
  } else {
    const text = first ? (first.contentType?.split('/')[0] ?? 'file') : job.outputsExpiredAt ? 'Expired' : '—';
    thumb.append(h('span', { class: 'thumb-text' }, text));
  }
  const button = h(
    'button',
    { type: 'button', class: 'tile', 'data-job-id': job.id },
    thumb,
    h(
      'span',
      { class: 'tile-meta' },
      h('span', { class: 'badge', 'data-status': job.status }, statusLabel(job.status)),
      h('span', { class: 'tile-prompt' }, job.prompt),
      timeElement(job.createdAt, shortDateTime),
    ),
  );
  button.addEventListener('click', () => {
    follow(job);
    revealJob('start');
    jobHeading.focus({ preventScroll: true });
  });
  return h('li', {}, button);
}

statusFilter.addEventListener('change', reloadGallery);
// Refresh reloads the page shown (the first page follows the filter, which may have changed).
byId('refresh-gallery').addEventListener('click', () => {
  if (gallery.page === 1 || !gallery.path) reloadGallery();
  else void loadGallery(gallery.path, gallery.page);
});
firstButton.addEventListener('click', reloadGallery);
nextButton.addEventListener('click', () => {
  if (gallery.next) void loadGallery(gallery.next, gallery.page + 1);
});

// ---------------------------------------------------------------------------------------------
// Start

reloadGallery();

// `#job=<id>` (set while a job is shown) reopens that job after a reload.
const linked = /^#job=([0-9a-f-]{36})$/i.exec(window.location.hash);
if (linked) {
  api(`/v1/status/${linked[1]}`)
    .then(({ data }) => follow(data))
    .catch(() => window.history.replaceState(null, '', window.location.pathname));
}
