import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, relative } from 'node:path';
import { type AppConfig, Environment, parseEnvironment, type QueueConfig } from '@app/config';
import type { MetricsRegistry, Readiness } from '@app/observability';
import { PATH_METADATA } from '@nestjs/common/constants';
import { getMetadataStorage } from 'class-validator';
import { parseAllDocuments } from 'yaml';
import { OpsController } from '../../apps/api/src/ops/ops.controller';
import { HealthServer } from '../../apps/worker/src/health.server';

// The Kubernetes manifests, checked offline: rendered with `kubectl kustomize`, every object
// validated against the Kubernetes and KEDA schemas, and what matters about this service asserted.

const root = join(__dirname, '../..');
const OVERLAY = join(__dirname, 'overlays/example');
const SCALE_TO_ZERO = join(__dirname, 'components/scale-to-zero');
const KUBECTL = process.env.KUBECTL_PATH ?? 'kubectl';
const kubectlFound = KUBECTL.includes('/')
  ? existsSync(KUBECTL)
  : (process.env.PATH ?? '').split(delimiter).some((dir) => existsSync(join(dir, KUBECTL)));
// Skipped where kubectl is missing, except in CI (.ci/run installs Debian's kubectl).
const describeWithKubectl = kubectlFound || process.env.CI ? describe : describe.skip;
const TITLE = kubectlFound
  ? 'Kubernetes manifests (deploy/kubernetes)'
  : `Kubernetes manifests: skipped, ${KUBECTL} not found (apt-get install kubectl)`;

// biome-ignore lint/suspicious/noExplicitAny: rendered YAML, checked against the schemas below.
type K8sObject = { apiVersion: string; kind: string; metadata: { name: string }; [field: string]: any };
// biome-ignore lint/suspicious/noExplicitAny: as above.
type Container = { name: string; image: string; command?: string[]; [field: string]: any };

function kustomize(dir: string): string {
  if (!kubectlFound) throw new Error(`kubectl is required to render the manifests (${KUBECTL} not found)`);
  return execFileSync(KUBECTL, ['kustomize', dir], { encoding: 'utf8' });
}

/** Schema problems of every object in `yaml` (see validate-objects.mjs); empty when all are valid. */
function schemaProblems(yaml: string): string[] {
  const output = execFileSync(process.execPath, [join(__dirname, 'validate-objects.mjs')], {
    input: yaml,
    encoding: 'utf8',
  });
  return JSON.parse(output) as string[];
}

/** The example overlay with the scale-to-zero component added, rendered from a scratch kustomization. */
function withScaleToZero(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mediagen-kustomize-'));
  try {
    writeFileSync(
      join(dir, 'kustomization.yaml'),
      [
        'apiVersion: kustomize.config.k8s.io/v1beta1',
        'kind: Kustomization',
        `resources: [${relative(dir, OVERLAY)}]`,
        `components: [${relative(dir, SCALE_TO_ZERO)}]`,
      ].join('\n'),
    );
    return kustomize(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const parse = (yaml: string): K8sObject[] => parseAllDocuments(yaml).map((document) => document.toJS() as K8sObject);

const settings = new Set(
  getMetadataStorage()
    .getTargetValidationMetadatas(Environment, '', true, false)
    .map((metadata) => metadata.propertyName),
);
/** Settings that carry credentials (a database or Redis URL may hold a password). */
const CREDENTIALS = /^(DATABASE_URL|REDIS_URL|API_KEYS)$|TOKEN|PASSWORD|SECRET|ACCESS_KEY/;

const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
const scripts = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> })
  .scripts;
/** The image's default command: the api. */
const IMAGE_CMD = JSON.parse(/^CMD (\[.*\])$/m.exec(dockerfile)?.[1] ?? '[]') as string[];

/** The routes OpsController serves, e.g. `/health/live`. */
function apiRoutes(): string[] {
  const prototype = OpsController.prototype as unknown as Record<string, object>;
  return Object.getOwnPropertyNames(prototype)
    .map((name) => Reflect.getMetadata(PATH_METADATA, prototype[name]) as string | undefined)
    .filter((path): path is string => typeof path === 'string')
    .map((path) => `/${path}`);
}

/** The status the worker's health server answers for `path` (readiness stubbed as ready). */
async function workerHealthStatus(path: string): Promise<number> {
  const readiness = { report: async () => ({ httpStatus: 200, body: { status: 'ok' } }) } as unknown as Readiness;
  const server = new HealthServer(
    readiness,
    {} as MetricsRegistry,
    { healthPort: 0 } as QueueConfig,
    { host: '127.0.0.1' } as AppConfig,
  );
  await server.onApplicationBootstrap();
  try {
    return (await fetch(`http://127.0.0.1:${server.port}${path}`)).status;
  } finally {
    await server.beforeApplicationShutdown();
  }
}

describeWithKubectl(TITLE, () => {
  let objects: K8sObject[];
  let rendered: string;
  const find = (kind: string, name: string): K8sObject => {
    const found = objects.find((object) => object.kind === kind && object.metadata.name === name);
    if (!found) throw new Error(`${kind}/${name} is not rendered`);
    return found;
  };
  const podSpec = (kind: string, name: string) => find(kind, name).spec.template.spec;
  const container = (kind: string, name: string): Container => podSpec(kind, name).containers[0];
  const configMap = () => {
    const found = objects.find((object) => object.kind === 'ConfigMap');
    if (!found) throw new Error('no ConfigMap is rendered');
    return found;
  };
  /** The settings the pods run with: the ConfigMap, read as the service reads its environment. */
  const podEnvironment = () => parseEnvironment(configMap().data);

  beforeAll(() => {
    rendered = kustomize(OVERLAY);
    objects = parse(rendered);
  });

  it('renders every expected object', () => {
    expect(objects.map((object) => `${object.kind}/${object.metadata.name}`).sort()).toEqual(
      expect.arrayContaining([
        'Deployment/mediagen-api',
        'Deployment/mediagen-worker',
        'HorizontalPodAutoscaler/mediagen-api',
        'Job/mediagen-migrate',
        'NetworkPolicy/mediagen-egress',
        'PodDisruptionBudget/mediagen-api',
        'PodDisruptionBudget/mediagen-worker',
        'ScaledObject/mediagen-worker',
        'Service/mediagen-api',
      ]),
    );
  });

  it('validates every object against the Kubernetes and KEDA schemas', () => {
    expect(schemaProblems(rendered)).toEqual([]);
  });

  it('validates the overlay with workers scaling to zero', () => {
    const scaled = withScaleToZero();
    expect(schemaProblems(scaled)).toEqual([]);
    const scaledObject = parse(scaled).find((object) => object.kind === 'ScaledObject');
    expect(scaledObject?.spec.minReplicaCount).toBe(0);
    expect(
      scaledObject?.spec.triggers.map((trigger: { metadata: { query: string } }) => trigger.metadata.query),
    ).toEqual([expect.stringContaining('mediagen_queue_jobs'), expect.stringMatching(/mediagen_queue_jobs.*delayed/)]);
  });

  describe('probes', () => {
    it('point the api at its own health routes and port', () => {
      const api = container('Deployment', 'mediagen-api');
      const port = api.ports.find((candidate: K8sObject) => candidate.name === 'http');
      expect(port.containerPort).toBe(podEnvironment().PORT);
      expect(api.startupProbe.httpGet).toEqual({ path: '/health/live', port: 'http' });
      expect(api.livenessProbe.httpGet).toEqual({ path: '/health/live', port: 'http' });
      expect(api.readinessProbe.httpGet).toEqual({ path: '/health/ready', port: 'http' });
      expect(apiRoutes()).toEqual(expect.arrayContaining(['/health/live', '/health/ready']));
    });

    it("point the worker at its health server's port and paths", async () => {
      const worker = container('Deployment', 'mediagen-worker');
      const port = worker.ports.find((candidate: K8sObject) => candidate.name === 'health');
      expect(port.containerPort).toBe(podEnvironment().WORKER_HEALTH_PORT);
      expect(port.containerPort).toBe(new Environment().WORKER_HEALTH_PORT);
      for (const probe of [worker.startupProbe, worker.livenessProbe, worker.readinessProbe]) {
        expect(probe.httpGet.port).toBe('health');
        expect(await workerHealthStatus(probe.httpGet.path)).toBe(200);
      }
      expect(await workerHealthStatus('/health/nothing')).toBe(404);
    });
  });

  it('gives a worker longer than WORKER_SHUTDOWN_TIMEOUT_MS (plus closing its pools) to drain', () => {
    const gracePeriodMs = podSpec('Deployment', 'mediagen-worker').terminationGracePeriodSeconds * 1000;
    expect(gracePeriodMs).toBeGreaterThanOrEqual(podEnvironment().WORKER_SHUTDOWN_TIMEOUT_MS + 10_000);
  });

  describe('configuration', () => {
    const containers = () =>
      objects
        .filter((object) => object.kind === 'Deployment' || object.kind === 'Job')
        .flatMap((object) => object.spec.template.spec.containers as Container[]);

    it('is a valid environment of the service, every name a setting it reads', () => {
      const names = [
        ...Object.keys(configMap().data),
        ...containers().flatMap((each) => (each.env ?? []).map((variable: { name: string }) => variable.name)),
      ];
      expect(names.filter((name) => !settings.has(name))).toEqual([]);
      expect(() => podEnvironment()).not.toThrow();
    });

    it('takes credentials from the Secret by name, never from the manifests', () => {
      expect(objects.filter((object) => object.kind === 'Secret')).toEqual([]);
      expect(Object.keys(configMap().data).filter((name) => CREDENTIALS.test(name))).toEqual([]);
      for (const each of containers()) {
        const fromSecret = [
          ...(each.envFrom ?? []).map((source: K8sObject) => source.secretRef?.name),
          ...(each.env ?? []).map((variable: K8sObject) => variable.valueFrom?.secretKeyRef?.name),
        ].filter(Boolean);
        expect(fromSecret).toContain('mediagen-secrets');
        expect((each.env ?? []).filter((variable: K8sObject) => 'value' in variable)).toEqual([]);
      }
    });
  });

  describe('the image', () => {
    const workloads: Array<[string, string, string[]]> = [
      ['Deployment', 'mediagen-api', scripts['start:api'].split(' ')],
      ['Deployment', 'mediagen-worker', scripts['start:worker'].split(' ')],
      ['Job', 'mediagen-migrate', scripts['migration:run'].split(' ')],
    ];

    it.each(workloads)('%s/%s runs the command the image and package.json name', (kind, name, command) => {
      expect(command[0]).toBe('node');
      expect(container(kind, name).command).toEqual(command);
    });

    it('is one image for every workload', () => {
      expect(IMAGE_CMD).toEqual(scripts['start:api'].split(' '));
      const images = new Set(workloads.map(([kind, name]) => container(kind, name).image));
      expect([...images]).toEqual(['registry.example.com/mediagen:0.1.0']);
    });

    it.each(workloads)('%s/%s runs as the non-root image user on a read-only root filesystem', (kind, name) => {
      expect(dockerfile).toMatch(/^USER node$/m);
      const spec = podSpec(kind, name);
      expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
      expect(spec.automountServiceAccountToken).toBe(false);
      for (const each of spec.containers as Container[]) {
        expect(each.securityContext).toMatchObject({
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          capabilities: { drop: ['ALL'] },
        });
        expect(each.resources.requests).toEqual({ cpu: expect.any(String), memory: expect.any(String) });
        expect(each.resources.limits.memory).toEqual(expect.any(String));
      }
    });
  });

  describe('autoscaling', () => {
    it('scales the api on CPU', () => {
      const hpa = find('HorizontalPodAutoscaler', 'mediagen-api');
      expect(hpa.spec.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: 'mediagen-api' });
      expect(hpa.spec.metrics).toEqual([
        expect.objectContaining({ resource: expect.objectContaining({ name: 'cpu' }) }),
      ]);
    });

    it('scales workers on the queue depth the service exports', () => {
      const scaledObject = find('ScaledObject', 'mediagen-worker');
      expect(scaledObject.spec.scaleTargetRef.name).toBe('mediagen-worker');
      expect(scaledObject.spec.minReplicaCount).toBe(1);
      const [trigger] = scaledObject.spec.triggers;
      expect(trigger.type).toBe('prometheus');
      // Every process reports the same queue-wide gauge: take the max across them, never a plain sum.
      expect(trigger.metadata.query).toMatch(/^sum\(max by \(queue, state\) \(mediagen_queue_jobs\{/);
      expect(trigger.metadata.query).toMatch(/queue=~"generation\|webhooks"/);
      expect(Number(trigger.metadata.threshold)).toBe(2 * podEnvironment().WORKER_CONCURRENCY);
    });
  });

  it('keeps an api and all but one worker through voluntary disruptions', () => {
    expect(find('PodDisruptionBudget', 'mediagen-api').spec.minAvailable).toBe(1);
    expect(find('PodDisruptionBudget', 'mediagen-worker').spec.maxUnavailable).toBe(1);
  });

  describe('egress', () => {
    const rules = () => find('NetworkPolicy', 'mediagen-egress').spec.egress as K8sObject[];
    const ports = (rule: K8sObject) => rule.ports.map((port: { port: number }) => port.port);

    it('applies to every pod of the service', () => {
      expect(find('NetworkPolicy', 'mediagen-egress').spec).toMatchObject({
        podSelector: { matchLabels: { 'app.kubernetes.io/name': 'mediagen' } },
        policyTypes: ['Egress'],
      });
    });

    it('allows DNS to kube-dns only', () => {
      const dns = rules().find((rule) => ports(rule).includes(53));
      expect(dns?.to).toEqual([
        {
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
          podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
        },
      ]);
    });

    it('allows PostgreSQL and Redis, and beyond the cluster only 443', () => {
      expect(rules().map(ports)).toEqual([[53, 53], [5432, 6432], [6379, 26379], [443]]);
      const outside = rules()[3];
      expect(outside.to).toHaveLength(1);
      expect(outside.to[0].ipBlock.cidr).toBe('0.0.0.0/0');
      expect(outside.to[0].ipBlock.except).toEqual(
        expect.arrayContaining(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16']),
      );
    });
  });
});
