export { AppConfigModule } from './app-config.module';
export {
  type AppConfig,
  type AuthConfig,
  appConfig,
  authConfig,
  type DatabaseConfig,
  databaseConfig,
  type EgressConfig,
  egressConfig,
  type GeneratorConfig,
  generatorConfig,
  type QueueConfig,
  queueConfig,
  type RedisNode,
  type RedisTopology,
  type StorageConfig,
  storageConfig,
  type WebhooksConfig,
  webhooksConfig,
} from './config.namespaces';
export { Environment, InvalidEnvironmentError, MODEL_REFERENCE_PATTERN, parseEnvironment } from './environment';
