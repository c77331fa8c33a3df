import { parentPort, workerData } from 'node:worker_threads';
import { SeededRandom, SystemClock } from '../core/index.ts';
import { EventLoopProbe } from './generator-probe.ts';
import { createHttpSender, type HttpSenderKind } from './http-sender.ts';
import { type JudgedWindow, LoadLoop, type WorkloadModel } from './load-loop.ts';
import { RequestMix, type RequestSpec } from './request-mix.ts';

/** What the coordinator hands each worker thread. */
export interface LoadWorkerData {
  target: string;
  httpSender?: HttpSenderKind;
  requests: RequestSpec[];
  model: WorkloadModel;
  connections: number;
  maxInFlight: number;
  timeoutMs: number;
  tailFromMs: number;
  tailUntilMs: number;
  intervalMs: number;
  judge?: JudgedWindow;
  seed: number;
}

/** Messages between the coordinator and a worker. */
export type ToWorker = { type: 'start'; startAt: number } | { type: 'stop' };
export type FromWorker = { type: 'ready' } | { type: 'interval'; report: import('./interval-report.ts').IntervalReport } | { type: 'done' };

// Entry point of a generator worker thread: one loop, its own pool and histogram, reporting each
// interval to the coordinator (as autocannon and k6 split work; ANCHORS §2.2).
if (parentPort !== null) {
  const port = parentPort;
  const data = workerData as LoadWorkerData;
  const clock = new SystemClock();
  const sender = createHttpSender(data.httpSender, {
    origin: data.target,
    requests: data.requests,
    connections: data.connections,
    timeoutMs: data.timeoutMs,
    monotonic: () => clock.monotonic(),
  });
  const probe = new EventLoopProbe();
  const controller = new AbortController();
  const post = (m: FromWorker): void => port.postMessage(m);
  port.on('message', (msg: ToWorker) => {
    if (msg.type === 'stop') controller.abort();
    else {
      void (async () => {
        // Workers start together on the wall clock, so their intervals line up.
        const wait = msg.startAt - clock.now();
        if (wait > 0) await clock.sleep(wait);
        const loop = new LoadLoop({
          clock,
          random: new SeededRandom(data.seed),
          sender,
          mix: new RequestMix(data.requests),
          model: data.model,
          maxInFlight: data.maxInFlight,
          timeoutMs: data.timeoutMs,
          tailFromMs: data.tailFromMs,
          tailUntilMs: data.tailUntilMs,
          intervalMs: data.intervalMs,
          ...(data.judge === undefined ? {} : { judge: data.judge }),
          probe,
          encodeHistograms: true,
          onInterval: (report) => post({ type: 'interval', report }),
          signal: controller.signal,
        });
        await loop.run();
        probe.close();
        await sender.close();
        post({ type: 'done' });
        port.close();
      })();
    }
  });
  post({ type: 'ready' });
}
