/**
 * Environment overrides for one describe block. Apps read their config when they are created, so
 * set values before creating an app; `restore()` (in afterAll/afterEach) puts back what was there.
 */
export class EnvironmentOverrides {
  private readonly saved = new Map<string, string | undefined>();

  set(values: Record<string, string>): void {
    for (const [name, value] of Object.entries(values)) {
      if (!this.saved.has(name)) this.saved.set(name, process.env[name]);
      process.env[name] = value;
    }
  }

  restore(): void {
    for (const [name, value] of this.saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    this.saved.clear();
  }
}
