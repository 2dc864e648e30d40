import { type GeneratorConfig, generatorConfig } from '@app/config';
import { Module } from '@nestjs/common';
import { MediaGenerator } from './media-generator';
import { MockMediaGenerator } from './mock-media-generator';

@Module({
  providers: [
    {
      provide: MediaGenerator,
      inject: [generatorConfig.KEY],
      useFactory: (generator: GeneratorConfig): MediaGenerator => {
        if (generator.kind !== 'mock') {
          throw new Error(`GENERATOR=${generator.kind} is not available in this build; use GENERATOR=mock`);
        }
        return new MockMediaGenerator(generator.mock);
      },
    },
  ],
  exports: [MediaGenerator],
})
export class GeneratorModule {}
