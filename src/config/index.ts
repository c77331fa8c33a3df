export { closestName } from './closest-name.ts';
export { type ConfigIssue, formatIssue } from './config-issue.ts';
export { configJsonSchema } from './json-schema.ts';
export { type ConfigResult, defaultConfig, loadConfigFile, parseConfig, unwrapConfig, validateConfig } from './load-config.ts';
export {
  isPostgresUrl,
  type ListenerConfig,
  type MigrationConfig,
  type PiperConfig,
  type PiperConfigInput,
  type PlatformConfig,
  type PoolConfig,
  piperConfigSchema,
  type RouteConfig,
  type SloConfig,
  storageLocation,
} from './schema.ts';
export { configErrors } from './config-errors.ts';
