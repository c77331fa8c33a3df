import { connect } from 'node:net';
import type { AttackCase, CaseBackendView } from './attack-cases.ts';
import { type ClientResponse, type ClientView, clientResponses } from './client-responses.ts';
import type { BackendRequest, EchoBackend } from './echo-backend.ts';
import type { ProxyUnderTest } from './proxies-under-test.ts';

/** One case through one proxy: what the client got, what the backends read, and what failed. */
export interface CaseRun {
  case: string;
  proxy: ProxyUnderTest['name'];
  /** Statuses of the responses the client read, in order. */
  statuses: number[];
  /** The proxy closed the client's connection. */
  closed: boolean;
  /** Complete requests the backends read while the case ran (the canary's not counted). */
  backendRequests: number;
  /** Their methods and targets, for the report. */
  backendSeen: string[];
  /** Failure codes with what they concern; empty when the proxy passed. */
  failures: string[];
}

// How long a connection must stay silent before a client takes the exchange as over: briefly
// once the answers it expects are in (a proxy answering twice shows up meanwhile), longer while
// some are missing (a proxy waiting for more of a body, or about to close). Not a timing check:
// a slow machine only makes cases wait longer.
const QUIET_AFTER_ANSWERS_MS = 25;
const QUIET_WITHOUT_ANSWERS_MS = 200;
const BACKEND_QUIET_MS = 15;

/** Sends `bytes` on a new connection and reads until the exchange is over (see the quiet times). */
async function talk(port: number, bytes: Buffer, expected: number): Promise<{ view: ClientView; closed: boolean }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let closed = false;
    let timer: NodeJS.Timeout | null = null;
    const socket = connect(port, '127.0.0.1', () => socket.write(bytes));
    const text = (): string => Buffer.concat(chunks).toString('latin1');
    const finish = (): void => {
      if (timer !== null) clearTimeout(timer);
      timer = null;
      socket.destroy();
      resolve({ view: clientResponses(text(), closed), closed });
    };
    const arm = (): void => {
      if (timer !== null) clearTimeout(timer);
      const answered = clientResponses(text(), false).responses.filter((r) => r.complete).length >= expected;
      timer = setTimeout(finish, answered ? QUIET_AFTER_ANSWERS_MS : QUIET_WITHOUT_ANSWERS_MS);
    };
    socket.on('data', (d: Buffer) => {
      chunks.push(d);
      arm();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      closed = true;
      finish();
    });
    arm();
  });
}

/** Waits until neither backend has received a byte for a while. */
async function settle(backends: EchoBackend[]): Promise<void> {
  for (;;) {
    const last = Math.max(...backends.map((b) => b.lastActivity));
    const wait = last + BACKEND_QUIET_MS - performance.now();
    if (wait <= 0) return;
    await new Promise((r) => setTimeout(r, wait));
  }
}

function header(r: ClientResponse, name: string): string | undefined {
  return r.headers.get(name)?.[0];
}

/** An absolute-form target (RFC 9112 §3.2.2), which an origin server must accept too. */
const ABSOLUTE_FORM = /^https?:\/\/[^/?#]*/i;

/**
 * The path of a target with `%2e` decoded and dot segments removed (RFC 3986 §5.2.4), as a
 * backend may resolve it; an absolute-form target's authority is dropped first.
 */
export function resolvedPath(target: string): string {
  const path = (target.replace(ABSOLUTE_FORM, '').split('?')[0] as string).replace(/%2e/gi, '.');
  const out: string[] = [];
  const segments = path.split('/');
  for (let i = 1; i < segments.length; i++) {
    const s = segments[i] as string;
    if (s === '..') out.pop();
    else if (s !== '.') out.push(s);
    if ((s === '..' || s === '.') && i === segments.length - 1) out.push('');
  }
  return `/${out.join('/')}`;
}

/**
 * The failures in one case. Responses that name a backend request (`x-echo-seq`) must carry
 * exactly the body the backend sent for it. A request the backend read whole must have had its
 * answer relayed, unless the client sent it as such (a proxy may answer those itself). The canary
 * must reach the backend as its own request, alone, and get its own answer. No backend may read
 * CONNECT or TRACE, a target in no form of RFC 9112 §3.2, or (the `api` one) a path that resolves
 * outside `/api/`; nor anything its parser refuses (but an unknown method). Then the case's own rule.
 */
function judge(
  c: AttackCase,
  caseReqs: { backend: EchoBackend; r: BackendRequest }[],
  canaryReqs: { backend: EchoBackend; r: BackendRequest }[],
  canaryTarget: string,
  client: ClientView,
  canary: ClientView,
  backends: EchoBackend[],
): string[] {
  const failures: string[] = [];
  const sent = (seq: string): string | undefined => {
    for (const b of backends) {
      const body = b.sentBodies.get(seq);
      if (body !== undefined) return body;
    }
    return undefined;
  };
  // Every response that says it came from a backend carries exactly what the backend sent for it.
  for (const r of [...client.responses, ...canary.responses]) {
    const seq = header(r, 'x-echo-seq');
    if (seq === undefined) continue;
    const body = sent(seq);
    if (body === undefined) failures.push(`foreign-response:${seq}`);
    else if (r.body !== body) failures.push(`response-body-mismatch:${seq}`);
  }
  // A request the backend read whole that the client never got the answer to, and never sent as
  // such: the proxy did not forward it as a request.
  const answered = new Set(client.responses.map((r) => header(r, 'x-echo-seq')));
  for (const { r } of caseReqs) {
    if (r.complete && !answered.has(r.seq) && !c.targets.includes(r.target)) failures.push(`unforwarded-request:${r.method} ${r.target}`);
  }
  // The next client (the canary) must reach the backend as itself and get its own answer.
  const own = canaryReqs.filter(({ r }) => r.target === canaryTarget && r.complete);
  if (own.length !== 1) failures.push('canary-not-read-as-a-request');
  for (const { r } of canaryReqs) if (r.target !== canaryTarget) failures.push(`canary-phase-request:${r.method} ${r.target}`);
  for (const { r } of [...caseReqs, ...canaryReqs]) if (r.body.includes('canary')) failures.push(`canary-in-a-body:${r.target}`);
  const canaryAnswer = canary.responses[0];
  const ownSeq = own[0]?.r.seq;
  if (canary.responses.length !== 1 || canaryAnswer === undefined || header(canaryAnswer, 'x-echo-seq') !== ownSeq) {
    failures.push(`canary-got-another-answer:${canary.responses.map((r) => header(r, 'x-echo-seq') ?? r.status).join(',')}`);
  }
  for (const { backend, r } of [...caseReqs, ...canaryReqs]) {
    if (r.method === 'CONNECT' || r.method === 'TRACE') failures.push(`forwarded-method:${r.method}`);
    const form = r.target.startsWith('/') || r.target === '*' || ABSOLUTE_FORM.test(r.target) || r.method === 'CONNECT';
    if (!form) failures.push(`malformed-target:${r.target}`);
    if (backend.name === 'api' && !resolvedPath(r.target).startsWith('/api/')) failures.push(`prefix-escape:${r.target}`);
  }
  for (const b of backends) {
    // llhttp knows a fixed list of methods, where RFC 9110 §9.1 leaves them open: a proxy passing
    // on an extension method (`GaT`) the backend refuses has moved no boundary.
    for (const e of b.parseErrors) if (!e.startsWith('HPE_INVALID_METHOD')) failures.push(`backend-parse-error:${e}`);
  }
  const views: CaseBackendView[] = caseReqs.map(({ r }) => ({
    method: r.method,
    target: r.target,
    rawHeaders: r.rawHeaders,
    body: r.body,
  }));
  const ownRule = c.check?.(views) ?? null;
  if (ownRule !== null) failures.push(ownRule);
  return [...new Set(failures)];
}

/**
 * Runs one case through one proxy: the case's bytes on a fresh connection, then a canary request
 * on another (the next user, whose request must neither complete a smuggled prefix nor receive
 * someone else's answer), then the backends' logs are judged and their connections closed so
 * nothing a case leaves behind reaches the next.
 */
export async function runCase(p: ProxyUnderTest, c: AttackCase, index: number): Promise<CaseRun> {
  const backends = [p.api, p.web];
  for (const b of backends) b.reset();
  const first = await talk(p.port, Buffer.from(c.send, 'latin1'), c.requests);
  await settle(backends);
  const mark = backends.map((b) => b.requests.length);
  const canaryTarget = `/api/canary-${index}`;
  const canary = await talk(
    p.port,
    Buffer.from(`GET ${canaryTarget} HTTP/1.1\r\nHost: x\r\nCookie: secret=canary-${index}\r\n\r\n`, 'latin1'),
    1,
  );
  await settle(backends);
  const caseReqs = backends.flatMap((backend, i) => backend.requests.slice(0, mark[i]).map((r) => ({ backend, r })));
  const canaryReqs = backends.flatMap((backend, i) => backend.requests.slice(mark[i]).map((r) => ({ backend, r })));
  const failures = judge(c, caseReqs, canaryReqs, canaryTarget, first.view, canary.view, backends);
  for (const b of backends) b.closeConnections();
  // Let the proxy see its idle upstream connections close before the next case.
  await new Promise((r) => setTimeout(r, 10));
  const complete = caseReqs.filter(({ r }) => r.complete);
  return {
    case: c.name,
    proxy: p.name,
    statuses: first.view.responses.map((r) => r.status),
    closed: first.closed,
    backendRequests: complete.length,
    backendSeen: complete.map(({ backend, r }) => `${backend.name}:${r.method} ${r.target}`),
    failures,
  };
}
