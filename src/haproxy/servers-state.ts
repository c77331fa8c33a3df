import type { ServerAdminState } from './runtime-api-command.ts';
import { garbage, unexpectedBlock } from './runtime-api-output.ts';

/** `srv_op_state` (management guide §9.3, `show servers state`). */
export type ServerOperationalState = 'stopped' | 'starting' | 'running' | 'stopping';

/** One server as `show servers state` reports it: what HAProxy applies now. */
export interface ServerState {
  backend: string;
  backendId: number;
  server: string;
  serverId: number;
  address: string;
  port: number | null;
  operational: ServerOperationalState;
  /** `srv_admin_state`, the raw mask. */
  adminMask: number;
  /** The administrative state the mask amounts to: maintenance wins over drain. */
  admin: ServerAdminState;
  /** `srv_uweight`: the weight `set server ... weight` sets (0..256). */
  weight: number;
  /** `srv_iweight`: the weight in the configuration. */
  initialWeight: number;
  /** `srv_check_result`: unknown, neutral, failed, passed, conditionally passed. */
  checkResult: 'unknown' | 'neutral' | 'failed' | 'passed' | 'condpass';
}

const OPERATIONAL: readonly ServerOperationalState[] = ['stopped', 'starting', 'running', 'stopping'];
const CHECK_RESULTS: readonly ServerState['checkResult'][] = ['unknown', 'neutral', 'failed', 'passed', 'condpass'];
/** SRV_ADMF_FMAINT | IMAINT | CMAINT | RMAINT: any of them keeps traffic away. */
const MAINT_MASK = 0x01 | 0x02 | 0x04 | 0x20;
/** SRV_ADMF_FDRAIN | IDRAIN. */
const DRAIN_MASK = 0x08 | 0x10;
const REQUIRED = [
  'be_id',
  'be_name',
  'srv_id',
  'srv_name',
  'srv_addr',
  'srv_op_state',
  'srv_admin_state',
  'srv_uweight',
  'srv_iweight',
] as const;
const COMMAND = 'show servers state';

/**
 * Parses `show servers state` (format version 1: a version line, a `#` header naming the
 * columns, then one space-separated line per server). Columns are found by header name, so a
 * later HAProxy that appends columns still parses.
 */
export function parseServersState(block: readonly string[]): ServerState[] {
  if (block[0] !== '1') {
    if (block.length === 1) throw unexpectedBlock(COMMAND, block, 'no format version line');
    throw garbage([COMMAND], block.join('\n'), `format version ${JSON.stringify(block[0]?.slice(0, 20))}, not 1`);
  }
  const header = block[1];
  if (header === undefined || !header.startsWith('# ')) throw garbage([COMMAND], block.join('\n'), 'no "# be_id ..." header line');
  const names = header.slice(2).split(' ');
  const col: Record<string, number> = {};
  names.forEach((n, i) => {
    col[n] = i;
  });
  for (const r of REQUIRED) if (col[r] === undefined) throw garbage([COMMAND], header, `no ${r} column`);
  const out: ServerState[] = [];
  for (let i = 2; i < block.length; i++) {
    const line = block[i] as string;
    if (line.startsWith('#')) continue;
    const f = line.split(' ');
    if (f.length < names.length) throw garbage([COMMAND], line, `a server line of ${f.length} fields under a header of ${names.length}`);
    const at = (name: string): string => f[col[name] as number] as string;
    const int = (name: string): number => {
      const v = at(name);
      if (!/^\d+$/.test(v)) throw garbage([COMMAND], line, `${name} is ${JSON.stringify(v.slice(0, 20))}, not a number`);
      return Number(v);
    };
    const op = OPERATIONAL[int('srv_op_state')];
    if (op === undefined) throw garbage([COMMAND], line, `srv_op_state ${at('srv_op_state')} is not 0..3`);
    const adminMask = int('srv_admin_state');
    const port = col.srv_port === undefined ? null : Number(at('srv_port'));
    out.push({
      backend: at('be_name'),
      backendId: int('be_id'),
      server: at('srv_name'),
      serverId: int('srv_id'),
      address: at('srv_addr'),
      port: port !== null && Number.isInteger(port) ? port : null,
      operational: op,
      adminMask,
      admin: (adminMask & MAINT_MASK) !== 0 ? 'maint' : (adminMask & DRAIN_MASK) !== 0 ? 'drain' : 'ready',
      weight: int('srv_uweight'),
      initialWeight: int('srv_iweight'),
      checkResult: col.srv_check_result === undefined ? 'unknown' : (CHECK_RESULTS[int('srv_check_result')] ?? 'unknown'),
    });
  }
  return out;
}
