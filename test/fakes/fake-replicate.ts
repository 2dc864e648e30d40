import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { PNG } from 'pngjs';
import { listenOnLoopback } from '../support/loopback';

/**
 * A scriptable stand-in for Replicate's HTTP API on loopback, for tests. The real `replicate` client talks to it via
 * `new Replicate({ auth: 'test-token', baseUrl: fake.baseUrl })`. Scenarios are chosen by a prediction's `input.prompt`.
 */

export interface OutputFile {
  name: string;
  contentType: string;
  body: Buffer;
  /** serve the body slowly: delay in ms between 1 KiB chunks */
  chunkDelayMs?: number;
  /** answer this status instead of the body */
  status?: number;
  /** only the first N downloads are slow/failing, later ones are normal */
  times?: number;
}

/** A canned answer given instead of the normal one. `drop` destroys the socket without answering. */
export interface FailureResponse {
  status?: number;
  headers?: Record<string, string>;
  body?: unknown;
  drop?: true;
}

export type Outcome =
  | { status: 'succeeded'; output?: unknown }
  | { status: 'failed'; error: string }
  | { status: 'canceled' }
  | { status: 'aborted' }
  | { status: 'stuck' };

export interface Scenario {
  /** Responses to return for create requests before a prediction is really created, in order. Each is used once. */
  createFailures?: FailureResponse[];
  /** Same for GET /v1/predictions/{id}: failures returned (each once) before normal answers. */
  getFailures?: FailureResponse[];
  /** How many GETs a prediction stays `starting`, then `processing` (default 1 and 1). */
  startingPolls?: number;
  processingPolls?: number;
  /** Final outcome per created prediction, in order; the last entry repeats. Default: [{status: 'succeeded'}]. */
  outcomes?: Outcome[];
  files?: OutputFile[];
}

export type PredictionStatus = 'starting' | 'processing' | 'succeeded' | 'failed' | 'canceled' | 'aborted';

export interface FakePrediction {
  id: string;
  model: string;
  version: string | null;
  input: Record<string, unknown>;
  status: PredictionStatus;
  output: unknown;
  error: string | null;
  logs: string;
  metrics: Record<string, number>;
  source: 'api';
  data_removed: boolean;
  webhook?: string;
  webhook_events_filter?: string[];
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
  urls: { get: string; cancel: string };
}

export interface FakeStats {
  createRequests: number;
  predictionsCreated: number;
  getRequests: number;
  cancelRequests: number;
  downloads: Record<string, number>;
  predictionIds: string[];
}

export interface SeenRequest {
  method: string;
  path: string;
  prompt?: string;
  /** whether an Authorization header was sent (right or wrong) */
  hasAuthorization: boolean;
  /** status answered; 0 when the connection was dropped; undefined while in flight */
  status?: number;
}

/** Name of the file that unscripted prompts get as output (a 1x1 PNG). */
export const DEFAULT_OUTPUT_FILE = 'default.png';

const TERMINAL: readonly PredictionStatus[] = ['succeeded', 'failed', 'canceled', 'aborted'];
const CHUNK = 1024;
const ALLOWED_CREATE_KEYS = new Set(['input', 'version', 'webhook', 'webhook_events_filter', 'stream']);

interface PredictionState {
  prediction: FakePrediction;
  prompt: string;
  startingLeft: number;
  processingLeft: number;
  /** processingPolls, to tell how far the prediction got */
  processingPolls: number;
  outcome: Outcome;
}

interface ScenarioState {
  scenario: Scenario;
  createFailuresUsed: number;
  getFailuresUsed: number;
}

interface FileState {
  file: OutputFile;
  /** prompt whose scenario registered it (undefined for the default file) */
  prompt?: string;
  served: number;
}

class HttpError {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {}
}

/** A valid 1x1 transparent PNG. */
export function tinyPng(): Buffer {
  return PNG.sync.write(new PNG({ width: 1, height: 1 }));
}

function samplePng(): Buffer {
  const png = new PNG({ width: 4, height: 4 });
  for (let i = 0; i < png.data.length; i += 4) {
    png.data[i] = 200;
    png.data[i + 1] = (i * 7) % 256;
    png.data[i + 2] = 40;
    png.data[i + 3] = 255;
  }
  return PNG.sync.write(png);
}

/** `head` followed by deterministic filler bytes up to `size`. */
function padded(head: Buffer, size: number, seed: number): Buffer {
  const body = Buffer.alloc(Math.max(size, head.length));
  head.copy(body);
  for (let i = head.length; i < body.length; i++) body[i] = (i * 31 + seed) % 256;
  return body;
}

/** RIFF container: "RIFF" + little-endian size of the rest + form type + first chunk header. */
function riff(form: string, chunkId: string, chunkData: Buffer, total: number, seed: number): Buffer {
  const head = Buffer.alloc(20);
  head.write('RIFF', 0, 'ascii');
  head.writeUInt32LE(total - 8, 4);
  head.write(form, 8, 'ascii');
  head.write(chunkId, 12, 'ascii');
  head.writeUInt32LE(total - 20, 16);
  return padded(Buffer.concat([head, chunkData]), total, seed);
}

function sampleWav(): Buffer {
  // fmt chunk is 16 bytes: PCM, mono, 8 kHz, 16 bit; then a data chunk.
  const total = 80;
  const head = Buffer.alloc(44);
  head.write('RIFF', 0, 'ascii');
  head.writeUInt32LE(total - 8, 4);
  head.write('WAVE', 8, 'ascii');
  head.write('fmt ', 12, 'ascii');
  head.writeUInt32LE(16, 16);
  head.writeUInt16LE(1, 20);
  head.writeUInt16LE(1, 22);
  head.writeUInt32LE(8000, 24);
  head.writeUInt32LE(16000, 28);
  head.writeUInt16LE(2, 32);
  head.writeUInt16LE(16, 34);
  head.write('data', 36, 'ascii');
  head.writeUInt32LE(total - 44, 40);
  return padded(head, total, 5);
}

function sampleMp4(): Buffer {
  const ftyp = Buffer.alloc(24);
  ftyp.writeUInt32BE(24, 0);
  ftyp.write('ftypisom', 4, 'ascii');
  ftyp.writeUInt32BE(0x200, 12);
  ftyp.write('isomiso2', 16, 'ascii');
  const free = Buffer.alloc(8);
  free.writeUInt32BE(72, 0);
  free.write('free', 4, 'ascii');
  return padded(Buffer.concat([ftyp, free]), 96, 4);
}

/** Small bodies with real magic bytes (each >= 64 bytes, all distinct), for content sniffing. */
export const SAMPLE_MEDIA: Record<
  'png' | 'jpeg' | 'webp' | 'gif' | 'mp4' | 'wav' | 'mp3',
  { contentType: string; body: Buffer }
> = {
  png: { contentType: 'image/png', body: samplePng() },
  jpeg: {
    contentType: 'image/jpeg',
    body: padded(
      Buffer.concat([
        Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]),
        Buffer.from('JFIF\0', 'ascii'),
        Buffer.from([0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00]),
      ]),
      80,
      1,
    ),
  },
  webp: { contentType: 'image/webp', body: riff('WEBP', 'VP8 ', Buffer.from([0x30, 0x01, 0x00, 0x9d]), 72, 2) },
  gif: {
    contentType: 'image/gif',
    body: padded(Buffer.concat([Buffer.from('GIF89a', 'ascii'), Buffer.from([0x01, 0x00, 0x01, 0x00, 0x80])]), 64, 3),
  },
  mp4: { contentType: 'video/mp4', body: sampleMp4() },
  wav: { contentType: 'audio/wav', body: sampleWav() },
  mp3: {
    contentType: 'audio/mpeg',
    body: padded(
      Buffer.concat([Buffer.from('ID3', 'ascii'), Buffer.from([0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00])]),
      96,
      6,
    ),
  },
};

/** A progress line as tqdm writes it in a diffusion model's logs: ` 45%|████▌     | 9/20 [00:04<00:05, 2.10it/s]`. */
export function tqdmLine(done: number, total: number): string {
  const percent = Math.floor((100 * done) / total);
  const filled = Math.floor((10 * done) / total);
  const bar = '█'.repeat(filled).padEnd(10, ' ');
  return `${String(percent).padStart(3)}%|${bar}| ${done}/${total} [00:0${done % 10}<00:05, 2.10it/s]\n`;
}

function predictionId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from(randomBytes(26), (b) => alphabet[b % alphabet.length]).join('');
}

function emptyStats(): FakeStats {
  return {
    createRequests: 0,
    predictionsCreated: 0,
    getRequests: 0,
    cancelRequests: 0,
    downloads: {},
    predictionIds: [],
  };
}

function promptOf(input: unknown): string | undefined {
  if (input && typeof input === 'object' && typeof (input as Record<string, unknown>).prompt === 'string') {
    return (input as Record<string, unknown>).prompt as string;
  }
  return undefined;
}

function defaultFailureBody(status: number): unknown {
  if (status === 429) return { detail: 'Request was throttled. Your rate limit resets in ~30s.', status: 429 };
  return { title: 'Fake failure', detail: `Scripted failure with status ${status}`, status };
}

export class FakeReplicate {
  /** Every request seen, in order. */
  readonly requests: SeenRequest[] = [];

  private readonly token: string;
  private server?: Server;
  private port = 0;
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private scenarios = new Map<string, ScenarioState>();
  private predictions = new Map<string, PredictionState>();
  private counters = new Map<string, FakeStats>();
  private files = new Map<string, FileState>();
  /** version id → the `owner/name` it belongs to */
  private versions = new Map<string, string>();

  constructor(options: { token?: string } = {}) {
    this.token = options.token ?? 'test-token';
    this.registerDefaultFile();
  }

  async start(): Promise<void> {
    if (this.server) return;
    const server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) this.json(res, 500, { detail: String(error) });
        else res.destroy();
      });
    });
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    this.port = await listenOnLoopback(server);
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    server.closeAllConnections();
    await closed;
  }

  /** `http://127.0.0.1:PORT` */
  get origin(): string {
    if (!this.port) throw new Error('FakeReplicate is not started');
    return `http://127.0.0.1:${this.port}`;
  }

  /** `http://127.0.0.1:PORT/v1`, for `new Replicate({ baseUrl })`. */
  get baseUrl(): string {
    return `${this.origin}/v1`;
  }

  /**
   * The settings that run the service's Replicate generator against this fake, with `settings` on
   * top. For `useService`: the base URL is read when the service starts, after the fake listens.
   */
  serviceSettings(settings: Record<string, string> = {}): Record<string, string> {
    return Object.defineProperties(
      { GENERATOR: 'replicate', REPLICATE_API_TOKEN: this.token, REPLICATE_DEFAULT_MODEL: 'acme/painter', ...settings },
      { REPLICATE_BASE_URL: { get: () => this.baseUrl, enumerable: true } },
    );
  }

  /** Scripts the behaviour of predictions whose `input.prompt` is `prompt`; replaces an earlier script for it. */
  script(prompt: string, scenario: Scenario): void {
    this.scenarios.set(prompt, { scenario, createFailuresUsed: 0, getFailuresUsed: 0 });
    for (const file of scenario.files ?? []) this.files.set(file.name, { file, prompt, served: 0 });
  }

  /** Registers a file to serve at `/files/NAME` outside of any scenario. */
  addFile(file: OutputFile): void {
    this.files.set(file.name, { file, served: 0 });
  }

  /** Makes `version` a version of `model` (`owner/name`): `GET /v1/models/{owner}/{name}/versions/{id}` finds it. */
  addVersion(model: string, version: string): void {
    this.versions.set(version, model);
  }

  fileUrl(name: string): string {
    return `${this.origin}/files/${encodeURIComponent(name)}`;
  }

  /** Counters for one prompt (all zero if never seen). Downloads count under the prompt whose scenario registered the file. */
  stats(prompt: string): FakeStats {
    const stats = this.counters.get(prompt) ?? emptyStats();
    return { ...stats, downloads: { ...stats.downloads }, predictionIds: [...stats.predictionIds] };
  }

  /** The current state of a prediction, without counting as a poll. */
  prediction(id: string): FakePrediction | undefined {
    const state = this.predictions.get(id);
    return state ? structuredClone(state.prediction) : undefined;
  }

  /** Forgets scenarios, predictions, files, counters and the request log. */
  reset(): void {
    this.scenarios.clear();
    this.predictions.clear();
    this.counters.clear();
    this.files.clear();
    this.versions.clear();
    this.requests.length = 0;
    this.registerDefaultFile();
  }

  private registerDefaultFile(): void {
    this.files.set(DEFAULT_OUTPUT_FILE, {
      file: { name: DEFAULT_OUTPUT_FILE, contentType: 'image/png', body: tinyPng() },
      served: 0,
    });
  }

  private statsFor(prompt: string): FakeStats {
    let stats = this.counters.get(prompt);
    if (!stats) {
      stats = emptyStats();
      this.counters.set(prompt, stats);
    }
    return stats;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const path = (req.url ?? '/').split('?')[0];
    const seen: SeenRequest = { method, path, hasAuthorization: req.headers.authorization !== undefined };
    this.requests.push(seen);
    res.on('finish', () => {
      seen.status = res.statusCode;
    });

    if (path.startsWith('/files/')) {
      if (method !== 'GET' && method !== 'HEAD')
        return this.json(res, 405, { detail: `Method "${method}" not allowed.` });
      return this.serveFile(req, res, decodeURIComponent(path.slice('/files/'.length)), seen);
    }
    if (path !== '/v1' && !path.startsWith('/v1/')) return this.json(res, 404, { detail: 'Not found.' });

    const raw = await readBody(req);
    if (req.headers.authorization !== `Bearer ${this.token}`) {
      if (method === 'POST') seen.prompt = promptOf(tryParse(raw)?.input);
      return this.json(res, 401, {
        title: 'Unauthenticated',
        detail: 'You did not pass a valid authentication token',
        status: 401,
      });
    }

    try {
      const segments = path.split('/').filter(Boolean).map(decodeURIComponent).slice(1);
      if (segments[0] === 'models' && segments.length === 4 && segments[3] === 'predictions') {
        if (method !== 'POST') throw notAllowed(method);
        return this.create(res, raw, seen, `${segments[1]}/${segments[2]}`);
      }
      if (segments[0] === 'models' && segments.length === 5 && segments[3] === 'versions') {
        if (method !== 'GET') throw notAllowed(method);
        return this.getVersion(res, `${segments[1]}/${segments[2]}`, segments[4]);
      }
      if (segments[0] === 'predictions' && segments.length === 1) {
        if (method === 'POST') return this.create(res, raw, seen);
        if (method === 'GET') return this.list(res);
        throw notAllowed(method);
      }
      if (segments[0] === 'predictions' && segments.length === 2) {
        if (method !== 'GET') throw notAllowed(method);
        return this.get(res, segments[1], seen);
      }
      if (segments[0] === 'predictions' && segments.length === 3 && segments[2] === 'cancel') {
        if (method !== 'POST') throw notAllowed(method);
        return this.cancel(res, segments[1], seen);
      }
      throw new HttpError(404, { detail: 'Not found.' });
    } catch (error) {
      if (error instanceof HttpError) return this.json(res, error.status, error.body);
      throw error;
    }
  }

  private create(res: ServerResponse, raw: string, seen: SeenRequest, model?: string): void {
    const body = tryParse(raw);
    if (!body)
      throw new HttpError(400, { title: 'Invalid JSON', detail: 'The request body is not a JSON object', status: 400 });
    const prompt = promptOf(body.input);
    seen.prompt = prompt;
    const key = prompt ?? '';
    const stats = this.statsFor(key);
    stats.createRequests++;

    const state = prompt === undefined ? undefined : this.scenarios.get(prompt);
    if (state && state.createFailuresUsed < (state.scenario.createFailures?.length ?? 0)) {
      const failure = (state.scenario.createFailures as FailureResponse[])[state.createFailuresUsed++];
      this.fail(res, failure, seen);
      return;
    }

    const invalid: Array<{ type: string; field: string; description: string }> = [];
    for (const k of Object.keys(body)) {
      if (!ALLOWED_CREATE_KEYS.has(k) || (model && k === 'version')) {
        invalid.push({
          type: 'additional_property_not_allowed',
          field: '(root)',
          description: `Additional property ${k} is not allowed`,
        });
      }
    }
    if (!body.input || typeof body.input !== 'object' || Array.isArray(body.input)) {
      invalid.push({ type: 'required', field: 'input', description: 'input is required' });
    }
    let version: string | null = null;
    if (!model) {
      if (typeof body.version !== 'string' || !body.version) {
        invalid.push({ type: 'required', field: 'version', description: 'version is required' });
      } else if (body.version.includes(':')) {
        const at = body.version.lastIndexOf(':');
        model = body.version.slice(0, at);
        version = body.version.slice(at + 1);
      } else if (body.version.includes('/')) {
        model = body.version;
      } else {
        model = this.versions.get(body.version) ?? 'fake/unknown-model';
        version = body.version;
      }
    }
    if (invalid.length > 0) {
      throw new HttpError(422, {
        title: 'Input validation failed',
        detail: invalid.map((f) => f.description).join('\n'),
        status: 422,
        invalid_fields: invalid,
      });
    }

    const scenario: Scenario = state?.scenario ?? {
      outcomes: [{ status: 'succeeded', output: [`{{file:${DEFAULT_OUTPUT_FILE}}}`] }],
    };
    const outcomes: Outcome[] = scenario.outcomes?.length ? scenario.outcomes : [{ status: 'succeeded' }];
    const outcome = outcomes[Math.min(stats.predictionsCreated, outcomes.length - 1)];

    const id = predictionId();
    const prediction: FakePrediction = {
      id,
      model: model as string,
      version,
      input: body.input as Record<string, unknown>,
      status: 'starting',
      output: null,
      error: null,
      logs: '',
      metrics: {},
      source: 'api',
      data_removed: false,
      ...(typeof body.webhook === 'string' ? { webhook: body.webhook } : {}),
      ...(Array.isArray(body.webhook_events_filter) ? { webhook_events_filter: body.webhook_events_filter } : {}),
      created_at: new Date().toISOString(),
      started_at: null,
      completed_at: null,
      urls: { get: `${this.baseUrl}/predictions/${id}`, cancel: `${this.baseUrl}/predictions/${id}/cancel` },
    };
    this.predictions.set(id, {
      prediction,
      prompt: key,
      startingLeft: scenario.startingPolls ?? 1,
      processingLeft: scenario.processingPolls ?? 1,
      processingPolls: scenario.processingPolls ?? 1,
      outcome,
    });
    stats.predictionsCreated++;
    stats.predictionIds.push(id);
    this.json(res, 201, prediction);
  }

  private getVersion(res: ServerResponse, model: string, version: string): void {
    if (this.versions.get(version) !== model) throw new HttpError(404, { detail: 'Not found.' });
    this.json(res, 200, {
      id: version,
      created_at: new Date(0).toISOString(),
      cog_version: '0.9.0',
      openapi_schema: {},
    });
  }

  private list(res: ServerResponse): void {
    const results = [...this.predictions.values()].map((s) => s.prediction).reverse();
    this.json(res, 200, { next: null, previous: null, results });
  }

  private get(res: ServerResponse, id: string, seen: SeenRequest): void {
    const state = this.predictions.get(id);
    if (!state) throw new HttpError(404, { detail: 'Not found.' });
    seen.prompt = state.prompt;
    this.statsFor(state.prompt).getRequests++;

    const scripted = this.scenarios.get(state.prompt);
    if (scripted && scripted.getFailuresUsed < (scripted.scenario.getFailures?.length ?? 0)) {
      const failure = (scripted.scenario.getFailures as FailureResponse[])[scripted.getFailuresUsed++];
      this.fail(res, failure, seen);
      return;
    }

    this.advance(state);
    this.json(res, 200, state.prediction);
  }

  /** One poll's worth of progress: count down `starting`, then `processing`, then apply the outcome. */
  private advance(state: PredictionState): void {
    const p = state.prediction;
    if (TERMINAL.includes(p.status)) return;
    if (state.startingLeft > 0) {
      state.startingLeft--;
      return;
    }
    if (p.status === 'starting') {
      p.status = 'processing';
      p.started_at = new Date().toISOString();
    }
    if (state.processingLeft > 0) {
      state.processingLeft--;
      p.logs += tqdmLine(state.processingPolls - state.processingLeft, state.processingPolls);
      return;
    }
    const outcome = state.outcome;
    if (outcome.status === 'stuck') return;
    const now = new Date();
    p.completed_at = now.toISOString();
    p.status = outcome.status;
    if (outcome.status === 'succeeded') {
      p.output = outcome.output === undefined ? null : this.substitute(outcome.output);
      const started = p.started_at ? Date.parse(p.started_at) : now.getTime();
      p.metrics = {
        predict_time: (now.getTime() - started) / 1000,
        total_time: (now.getTime() - Date.parse(p.created_at)) / 1000,
      };
    } else if (outcome.status === 'failed') {
      p.error = outcome.error;
    }
  }

  private cancel(res: ServerResponse, id: string, seen: SeenRequest): void {
    const state = this.predictions.get(id);
    if (!state) throw new HttpError(404, { detail: 'Not found.' });
    seen.prompt = state.prompt;
    this.statsFor(state.prompt).cancelRequests++;
    const p = state.prediction;
    if (!TERMINAL.includes(p.status)) {
      p.status = 'canceled';
      p.completed_at = new Date().toISOString();
    }
    this.json(res, 200, p);
  }

  /** Replaces `{{file:NAME}}` anywhere in strings, arrays and objects by the file's absolute URL. */
  private substitute(value: unknown): unknown {
    if (typeof value === 'string') {
      return value.replace(/\{\{file:([^}]+)\}\}/g, (_, name: string) => this.fileUrl(name));
    }
    if (Array.isArray(value)) return value.map((v) => this.substitute(v));
    if (value && typeof value === 'object' && !Buffer.isBuffer(value)) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.substitute(v)]));
    }
    return value;
  }

  private serveFile(req: IncomingMessage, res: ServerResponse, name: string, seen: SeenRequest): void {
    const state = this.files.get(name);
    if (!state) {
      this.json(res, 404, { detail: 'Not found.' });
      return;
    }
    seen.prompt = state.prompt;
    const { file } = state;
    if (req.method === 'GET') {
      const stats = this.statsFor(state.prompt ?? '');
      stats.downloads[name] = (stats.downloads[name] ?? 0) + 1;
    }
    const special = file.times === undefined || state.served < file.times;
    if (req.method === 'GET') state.served++;

    if (special && file.status !== undefined) {
      this.json(res, file.status, { detail: `Scripted status ${file.status} for ${name}` });
      return;
    }
    res.writeHead(200, { 'content-type': file.contentType, 'content-length': String(file.body.length) });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const delay = special ? (file.chunkDelayMs ?? 0) : 0;
    if (delay <= 0) {
      res.end(file.body);
      return;
    }

    let offset = 0;
    const writeNext = () => {
      if (res.destroyed) return;
      const chunk = file.body.subarray(offset, offset + CHUNK);
      offset += chunk.length;
      if (offset >= file.body.length) {
        res.end(chunk);
        return;
      }
      res.write(chunk);
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        writeNext();
      }, delay);
      this.timers.add(timer);
    };
    writeNext();
  }

  private fail(res: ServerResponse, failure: FailureResponse, seen: SeenRequest): void {
    if (failure.drop) {
      seen.status = 0;
      res.req.socket.destroy();
      return;
    }
    const status = failure.status ?? 500;
    const body = failure.body === undefined ? defaultFailureBody(status) : failure.body;
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', ...failure.headers });
    res.end(text);
  }

  private json(res: ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) });
    res.end(text);
  }
}

function notAllowed(method: string): HttpError {
  return new HttpError(405, { detail: `Method "${method}" not allowed.` });
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function tryParse(raw: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(raw);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
