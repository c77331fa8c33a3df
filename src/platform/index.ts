export { chooseCodec, DEFAULT_AUTO_POLICY } from './auto-codec.ts';
export { type Codec, checkLevel } from './codec.ts';
export { codecByName, codecs } from './codec-registry.ts';
export { detectFormat, MAGIC_LENGTH } from './magic-bytes.ts';
export { type PlatformServer, startPlatformServer } from './platform-server.ts';
export { ProgressBar } from './progress-bar.ts';
export { readHead } from './stream-head.ts';
export { weissmanScore } from './weissman-score.ts';
export { gzipCodec } from './zlib-codecs.ts';
