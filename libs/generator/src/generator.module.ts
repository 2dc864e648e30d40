import { type GeneratorConfig, generatorConfig } from '@app/config';
import { DestinationPolicy, EgressModule } from '@app/egress';
import { JobMetrics, MetricsModule } from '@app/observability';
import { Module } from '@nestjs/common';
import { MediaGenerator } from './media-generator';
import { MockMediaGenerator } from './mock-media-generator';

/** Binds the MediaGenerator port: Replicate when configured, otherwise the offline mock. */
@Module({
  imports: [MetricsModule, EgressModule],
  providers: [
    {
      provide: MediaGenerator,
      inject: [generatorConfig.KEY, JobMetrics, DestinationPolicy],
      useFactory: (generator: GeneratorConfig, metrics: JobMetrics, egress: DestinationPolicy): MediaGenerator => {
        if (generator.kind !== 'replicate') return new MockMediaGenerator(generator.mock);
        // Loaded only when used: the mock (and the api, which never generates) need no Replicate client.
        const { ReplicateMediaGenerator } =
          require('./replicate-media-generator') as typeof import('./replicate-media-generator');
        const { OutputDownloader } = require('./output-downloader') as typeof import('./output-downloader');
        return new ReplicateMediaGenerator(
          { ...generator.replicate, allowedModels: generator.allowedModels },
          new OutputDownloader(generator.outputs, egress),
          (...args) => metrics.upstreamRequest(...args),
        );
      },
    },
  ],
  exports: [MediaGenerator],
})
export class GeneratorModule {}
