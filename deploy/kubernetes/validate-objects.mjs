// Validates Kubernetes objects against the Kubernetes and KEDA schemas (kubernetes-models).
// Reads a multi-document YAML stream on stdin; prints a JSON array of problems (empty when all
// are valid). A separate ESM process because those packages are ESM-only and jest loads
// CommonJS; manifests.spec.ts runs it on the rendered overlay.
import { readFileSync } from 'node:fs';
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Job } from 'kubernetes-models/batch/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Namespace, Service, ServiceAccount } from 'kubernetes-models/v1';
import { parseAllDocuments } from 'yaml';

const MODELS = [
  ConfigMap,
  Deployment,
  HorizontalPodAutoscaler,
  Job,
  Namespace,
  NetworkPolicy,
  PodDisruptionBudget,
  ScaledObject,
  Service,
  ServiceAccount,
];

const problems = [];
for (const document of parseAllDocuments(readFileSync(0, 'utf8'))) {
  const object = document.toJS();
  const name = `${object.kind}/${object.metadata?.name}`;
  const Model = MODELS.find((model) => model.apiVersion === object.apiVersion && model.kind === object.kind);
  if (!Model) {
    problems.push(`${name}: no schema for ${object.apiVersion} ${object.kind}`);
    continue;
  }
  try {
    new Model(object).validate();
  } catch (error) {
    problems.push(`${name}: ${error.message}`);
  }
}
process.stdout.write(JSON.stringify(problems));
