export { GENERATION_QUEUE, type GenerationJobData, generationJobOptions } from './generation-queue';
export { GenerationQueueProducer } from './generation-queue.producer';
export { QueueModule } from './queue.module';
