export { closestName } from './closest-name.ts';
export { type ConfigIssue, formatIssue, formatPath } from './config-issue.ts';
export { configJsonSchema } from './json-schema.ts';
export {
  type ConfigResult,
  defaultConfig,
  loadConfigFile,
  type ParseConfigOptions,
  parseConfig,
  unwrapConfig,
  validateConfig,
} from './load-config.ts';
export {
  type BackendConfig,
  type ControlConfig,
  type DataPlaneConfig,
  type DataPlaneMemberConfig,
  type HaproxyConfig,
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
