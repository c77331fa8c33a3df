import { type Logger, silentLogger } from '../core/index.ts';
import type { DataPlane } from '../data-plane/index.ts';
import type { FencedJournal, LeadershipChange } from '../journal/index.ts';
import { leaderDataPlane } from './leader-data-plane.ts';
import type { LeaderGate } from './leader-gate.ts';
import type { MigrationController, RolloutJournal } from './migration-controller.ts';

/** Options of {@link runWhileLeader}. */
export interface ControllerHostOptions {
  /** This control plane's campaign (a journal `Leadership`, started by the caller). */
  leadership: LeaderGate & { onChange(listener: (change: LeadershipChange) => void): () => void };
  journal: RolloutJournal & { fenced(fence: { lease: string; holder: string; term: number }): FencedJournal };
  dataPlane: DataPlane;
  /** Builds a controller on the journal and data plane given: fenced at the leader's term, or refusing every write. */
  makeController: (parts: { journal: RolloutJournal; dataPlane: DataPlane }) => MigrationController;
  logger?: Logger;
}

/** What {@link runWhileLeader} returns. */
export interface ControllerHost {
  /**
   * The controller to ask: the running one while this process leads; otherwise one that is never
   * started, which lists and shows migrations from the journal and whose every write is refused.
   */
  controller(): MigrationController;
  /** The running controller, or null on a follower. */
  leading(): MigrationController | null;
  /** Resolves once the starts and stops asked for so far are done. */
  settled(): Promise<void>;
  /** Stops following leadership and closes the running controller; idempotent. */
  close(): Promise<void>;
}

/**
 * Runs a migration controller only while this control plane leads. Elected at term N, it starts
 * one on the journal fenced at N and on the data plane with N on every split, so it recovers the
 * active migrations from the journal at their recorded step; when leadership is lost, it closes
 * it. A controller left running by mistake still cannot act: its journal writes fail with
 * PIPER_NOT_LEADER once the term moved on, and its splits are not sent once `holds()` is false.
 */
export function runWhileLeader(o: ControllerHostOptions): ControllerHost {
  const log = (o.logger ?? silentLogger()).child({ part: 'controller-host' });
  const gate = o.leadership;
  // Term 0 is never held (terms start at 1): the reader's writes, should any be tried, are refused.
  const readerFence = { lease: gate.lease, holder: gate.name, term: 0 };
  const reader = o.makeController({ journal: o.journal.fenced(readerFence), dataPlane: leaderDataPlane(o.dataPlane, gate, 0) });
  let running: MigrationController | null = null;
  let chain: Promise<void> = Promise.resolve();
  let closed = false;

  const stop = async (): Promise<void> => {
    const c = running;
    running = null;
    if (c !== null) await c.close();
  };
  const start = async (term: number): Promise<void> => {
    await stop();
    const fence = gate.fence();
    if (closed || fence === null || fence.term !== term || !gate.holds()) return;
    const c = o.makeController({ journal: o.journal.fenced(fence), dataPlane: leaderDataPlane(o.dataPlane, gate, term) });
    running = c;
    try {
      await c.start();
      log.info({ term }, 'migration controller started');
    } catch (err) {
      log.error({ err, term }, 'migration controller failed to start; it runs again at the next election');
      if (running === c) await stop();
    }
  };
  const queue = (work: () => Promise<void>): void => {
    chain = chain.then(work).catch((err: unknown) => log.error({ err }, 'controller host failed'));
  };
  const unsubscribe = gate.onChange((change) => {
    if (change.leading) queue(() => start(change.term));
    else
      queue(async () => {
        await stop();
        log.warn({ term: change.term, reason: change.reason }, 'migration controller stopped');
      });
  });
  if (gate.holds()) {
    const fence = gate.fence();
    if (fence !== null) queue(() => start(fence.term));
  }

  return {
    controller: () => running ?? reader,
    leading: () => running,
    settled: () => chain,
    close: async () => {
      if (closed) return chain;
      closed = true;
      unsubscribe();
      queue(stop);
      await chain;
      await reader.close();
    },
  };
}
