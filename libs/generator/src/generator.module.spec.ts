import { MetricsModule } from '@app/observability';
import { QueueModule } from '@app/queue';
import { MODULE_METADATA } from '@nestjs/common/constants';
import { GeneratorModule } from './generator.module';

/** Every module `module` imports, itself included, following imports transitively. */
function importedModules(module: unknown, seen = new Set<unknown>()): Set<unknown> {
  if (seen.has(module)) return seen;
  seen.add(module);
  const imports: unknown[] = Reflect.getMetadata(MODULE_METADATA.IMPORTS, module as object) ?? [];
  for (const imported of imports) importedModules(imported, seen);
  return seen;
}

describe('GeneratorModule', () => {
  it('reports metrics without registering the BullMQ queues (the adapter has no business with them)', () => {
    const modules = importedModules(GeneratorModule);
    expect(modules).toContain(MetricsModule);
    expect(modules).not.toContain(QueueModule);
  });
});
