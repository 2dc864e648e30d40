import { type GeneratorConfig, generatorConfig } from '@app/config';
import { Module } from '@nestjs/common';
import { MediaGenerator } from './media-generator';
import { MockMediaGenerator } from './mock-media-generator';
import { OutputDownloader } from './output-downloader';
import { ReplicateMediaGenerator } from './replicate-media-generator';

/** Binds the MediaGenerator port: Replicate when configured, otherwise the offline mock. */
@Module({
  providers: [
    {
      provide: MediaGenerator,
      inject: [generatorConfig.KEY],
      useFactory: (generator: GeneratorConfig): MediaGenerator =>
        generator.kind === 'replicate'
          ? new ReplicateMediaGenerator(generator.replicate, new OutputDownloader(generator.outputs))
          : new MockMediaGenerator(generator.mock),
    },
  ],
  exports: [MediaGenerator],
})
export class GeneratorModule {}
