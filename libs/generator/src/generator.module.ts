import { type GeneratorConfig, generatorConfig } from '@app/config';
import { DestinationPolicy, EgressModule } from '@app/egress';
import { JobMetrics, MetricsModule } from '@app/observability';
import { Module } from '@nestjs/common';
import { MediaGenerator } from './media-generator';
import { MockMediaGenerator } from './mock-media-generator';
import { OutputDownloader } from './output-downloader';
import { ReplicateMediaGenerator } from './replicate-media-generator';

/** Binds the MediaGenerator port: Replicate when configured, otherwise the offline mock. */
@Module({
  imports: [MetricsModule, EgressModule],
  providers: [
    {
      provide: MediaGenerator,
      inject: [generatorConfig.KEY, JobMetrics, DestinationPolicy],
      useFactory: (generator: GeneratorConfig, metrics: JobMetrics, egress: DestinationPolicy): MediaGenerator =>
        generator.kind === 'replicate'
          ? new ReplicateMediaGenerator(
              { ...generator.replicate, allowedModels: generator.allowedModels },
              new OutputDownloader(generator.outputs, egress),
              (...args) => metrics.upstreamRequest(...args),
            )
          : new MockMediaGenerator(generator.mock),
    },
  ],
  exports: [MediaGenerator],
})
export class GeneratorModule {}
