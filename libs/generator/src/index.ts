export { GenerationError, type GenerationErrorCode } from './generation.error';
export { GeneratorModule } from './generator.module';
export {
  ABORT_REASONS,
  type GeneratedMedia,
  type Generation,
  type GenerationProgress,
  type GenerationRequest,
  type InputProblem,
  isCanceled,
  MediaGenerator,
} from './media-generator';
export { renderMockImage } from './mock-image';
export { MockMediaGenerator } from './mock-media-generator';
export { type ModelAllowance, modelAllowance } from './model-allow-list';
export type { OutputDownloader } from './output-downloader';
export type { OutputShape } from './prediction-output';
export type { ReplicateMediaGenerator } from './replicate-media-generator';
