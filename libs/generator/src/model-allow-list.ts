/**
 * The one place that decides what REPLICATE_ALLOWED_MODELS lets a job run. An `owner/name` entry
 * allows that model's latest version and its pinned versions, but a pinned version is only known
 * to belong to the model once the upstream confirms it: `POST /predictions` runs a version by its
 * id alone, whatever model the reference names.
 */
export type ModelAllowance = 'allowed' | 'allowed_if_version_belongs' | 'refused';

export function modelAllowance(allowList: readonly string[], reference: string): ModelAllowance {
  if (allowList.length === 0 || allowList.includes(reference)) return 'allowed';
  const [model, version] = reference.split(':');
  // Stryker disable next-line ConditionalExpression: without a version, model is the whole reference, which was checked above.
  return version !== undefined && allowList.includes(model) ? 'allowed_if_version_belongs' : 'refused';
}
