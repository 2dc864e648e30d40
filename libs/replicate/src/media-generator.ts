import type { Readable } from 'node:stream';

export interface GenerationRequest {
  jobId: string;
  /** 1 for the first attempt; a retry or a resumed stalled job has a higher number. */
  attempt: number;
  model: string;
  prompt: string;
  input: Record<string, unknown>;
}

export interface GeneratedMedia {
  contentType: string;
  /** File extension without the dot, e.g. `png`. */
  extension: string;
  content: Readable;
}

export interface InputProblem {
  field: string;
  message: string;
}

/** The generator port: turns a prompt and model inputs into media. */
export abstract class MediaGenerator {
  /** Problems with `input` that the generator can see before any work starts (empty when fine). */
  abstract checkInput(model: string, input: Record<string, unknown>): InputProblem[];

  abstract generate(request: GenerationRequest): Promise<GeneratedMedia[]>;
}
