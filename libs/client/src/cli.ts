import { writeFile } from 'node:fs/promises';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { newApiKey } from './api-key';
import { createMediagenClient, type MediagenClient } from './client';
import { outputPath } from './output-path';
import type { components } from './schema';
import { download, follow, getJob, JobFailedError, MediagenApiError, submit } from './sdk';

type JobResource = components['schemas']['JobResource'];

/** Exit codes: 0 done, 1 the job failed or was canceled, 2 bad usage or no usable answer from the service. */
export const EXIT = { ok: 0, jobFailed: 1, usage: 2 } as const;

/** What the CLI touches outside itself, so a test can run it in-process as well as spawned. */
export interface CliIo {
  env: Record<string, string | undefined>;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Whether stderr is a terminal (the progress line is then rewritten in place). */
  interactive: boolean;
}

interface GlobalOptions {
  url: string;
  apiKey?: string;
  json?: boolean;
}

class UsageError extends Error {}

/** `-i width=512`: numbers and true/false become JSON values, the rest stays a string. */
function inputPair(pair: string, inputs: Record<string, unknown> = {}): Record<string, unknown> {
  const at = pair.indexOf('=');
  if (at < 1) throw new InvalidArgumentError('expected key=value');
  const raw = pair.slice(at + 1);
  const value = /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw === 'true' ? true : raw === 'false' ? false : raw;
  return { ...inputs, [pair.slice(0, at)]: value };
}

function positiveInt(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new InvalidArgumentError('expected a positive integer');
  return parsed;
}

function describeJob(job: JobResource): string {
  const attempt = job.attempts > 0 ? ` (attempt ${job.attempts}/${job.maxAttempts})` : '';
  const error = job.error ? ` — ${job.error.code}: ${job.error.message}` : '';
  return `job ${job.id} ${job.status}${attempt}${error}`;
}

/** The `mediagen` command line: run, status, list and key, on top of the SDK helpers. */
export function buildCli(io: CliIo): Command {
  const program = new Command('mediagen');
  const clientOf = (options: GlobalOptions): MediagenClient =>
    createMediagenClient(options.url.replace(/\/+$/, ''), {
      headers: options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {},
    });
  const print = (options: GlobalOptions, json: unknown, text: string) =>
    io.stdout(`${options.json ? JSON.stringify(json, null, 2) : text}\n`);
  let progressShown = false;
  let shownState = '';
  /** One line per change of status or attempt (the submit's answer, then what following the job sees). */
  const progress = (job: JobResource) => {
    const state = `${job.status}/${job.attempts}`;
    if (state === shownState) return;
    shownState = state;
    io.stderr(io.interactive ? `\r\x1b[2K${describeJob(job)}` : `${describeJob(job)}\n`);
    progressShown = true;
  };
  const endProgress = () => {
    if (io.interactive && progressShown) io.stderr('\n');
  };

  program
    .description('Submit and follow mediagen jobs from a terminal or a script')
    .option('--url <url>', 'the service (env MEDIAGEN_URL)', io.env.MEDIAGEN_URL || 'http://localhost:8000')
    .option('--api-key <key>', 'an API key (env MEDIAGEN_API_KEY)', io.env.MEDIAGEN_API_KEY || undefined)
    .option('--json', 'print JSON on stdout, for scripts')
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });

  program
    .command('run')
    .description('submit a prompt, wait for the job, download its outputs')
    .argument('<prompt>', 'what to generate')
    .option('-m, --model <model>', 'owner/name or owner/name:version (default: the server default)')
    .option('-i, --input <key=value>', 'a model input, repeatable (e.g. -i width=512 -i seed=7)', inputPair)
    .option('-o, --output <file>', 'where to write the output (several: file-0.png, file-1.png …)')
    .option('--idempotency-key <key>', 'repeat-safe submit: the same key and request give the same job')
    .action(
      async (
        prompt: string,
        options: { model?: string; input?: Record<string, unknown>; output?: string; idempotencyKey?: string },
        command: Command,
      ) => {
        const global = command.optsWithGlobals<GlobalOptions>();
        const client = clientOf(global);
        const submitted = await submit(
          client,
          { prompt, model: options.model, input: options.input },
          options.idempotencyKey,
        );
        progress(submitted);
        const job = await follow(client, submitted.id, { onUpdate: progress });
        endProgress();
        if (job.status !== 'succeeded') throw new JobFailedError(job);
        const files: string[] = [];
        if (options.output) {
          for (const [index, output] of job.outputs.entries()) {
            const path = outputPath(options.output, index, job.outputs.length);
            await writeFile(path, (await download(client, job.id, output)).bytes);
            files.push(path);
          }
        }
        const urls = job.outputs.map((output) => output.url);
        print(
          global,
          { ...job, files },
          files.length ? files.map((file) => `wrote ${file}`).join('\n') : urls.join('\n'),
        );
      },
    );

  program
    .command('status')
    .description('show a job')
    .argument('<id>', 'the job id')
    .option('-w, --wait', 'wait until the job ends, showing its progress')
    .action(async (id: string, options: { wait?: boolean }, command: Command) => {
      const global = command.optsWithGlobals<GlobalOptions>();
      const client = clientOf(global);
      const job = options.wait ? await follow(client, id, { onUpdate: progress }) : await getJob(client, id);
      endProgress();
      print(global, job, [describeJob(job), ...job.outputs.map((output) => `  ${output.url}`)].join('\n'));
      if (job.status === 'failed' || job.status === 'canceled') process.exitCode = EXIT.jobFailed;
    });

  program
    .command('list')
    .description('list your jobs, newest first')
    .option('-s, --status <status>', 'only jobs in this status (queued, processing, succeeded, failed, canceled)')
    .option('-n, --limit <n>', 'how many', positiveInt, 20)
    .action(async (options: { status?: string; limit: number }, command: Command) => {
      const global = command.optsWithGlobals<GlobalOptions>();
      const query = { limit: options.limit, ...(options.status && { status: [options.status] }) } as never;
      const answer = await clientOf(global).GET('/v1/jobs', { params: { query } });
      if (!answer.data) throw new MediagenApiError(answer.response.status, answer.error as never);
      const lines = answer.data.data.map(
        (job) => `${job.id}  ${job.status.padEnd(10)}  ${job.createdAt}  ${job.prompt}`,
      );
      print(global, answer.data, lines.join('\n') || 'no jobs');
    });

  program
    .command('key')
    .description('make a new API key and print the API_KEYS entry for the server')
    .argument('[name]', 'the key owner, as API_KEYS names it', 'client')
    .action((name: string, _options: unknown, command: Command) => {
      if (!/^[\w.-]+$/.test(name)) throw new UsageError('the name may contain only letters, digits, ".", "_" and "-"');
      const made = newApiKey(name);
      print(
        command.optsWithGlobals<GlobalOptions>(),
        { name, ...made },
        [
          `API key for ${name} (give it to the client; it is stored nowhere):`,
          `  ${made.key}`,
          "Add this entry to the server's API_KEYS (comma-separated with any others):",
          `  ${made.entry}`,
        ].join('\n'),
      );
    });

  return program;
}

/** Runs the CLI on `argv` (without node and the script) and returns the exit code; never throws. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const program = buildCli(io);
  process.exitCode = undefined;
  try {
    await program.parseAsync(argv, { from: 'user' });
    return Number(process.exitCode ?? EXIT.ok);
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    if (io.interactive) io.stderr('\n');
    if (error instanceof JobFailedError) {
      io.stderr(`mediagen: ${error.message}\n`);
      if (program.opts<GlobalOptions>().json) io.stdout(`${JSON.stringify(error.job, null, 2)}\n`);
      return EXIT.jobFailed;
    }
    io.stderr(`mediagen: ${describeFailure(error, program.opts<GlobalOptions>().url)}\n`);
    return EXIT.usage;
  }
}

function describeFailure(error: unknown, url: string): string {
  if (error instanceof MediagenApiError || error instanceof UsageError) return error.message;
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code) return `cannot reach ${url} (${cause.code}): is the service running? Set MEDIAGEN_URL or --url`;
  return error instanceof Error ? error.message : String(error);
}
