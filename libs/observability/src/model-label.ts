/** Models that get a label of their own when no allow-list names them. */
export const MAX_UNLISTED_MODEL_LABELS = 20;

export const OTHER_MODEL = 'other';

/**
 * The one place where a client-chosen model becomes a Prometheus label, so /metrics cannot grow
 * without bound. With an allow-list, a model is labelled by the entry it matched (`owner/name` or
 * `owner/name:version`); anything else is `other`. Without one, the first
 * MAX_UNLISTED_MODEL_LABELS distinct models keep their name and the rest are `other`.
 */
export class ModelLabels {
  private readonly listed: ReadonlySet<string>;
  private readonly admitted = new Set<string>();
  private readonly room: number;

  constructor(allowedModels: readonly string[], defaultModel: string) {
    this.listed = new Set([...allowedModels, defaultModel]);
    this.room = allowedModels.length > 0 ? 0 : MAX_UNLISTED_MODEL_LABELS;
  }

  of(model: string): string {
    if (this.listed.has(model)) return model;
    const name = model.split(':')[0];
    if (this.listed.has(name)) return name;
    if (this.admitted.has(model)) return model;
    if (this.admitted.size >= this.room) return OTHER_MODEL;
    this.admitted.add(model);
    return model;
  }
}
